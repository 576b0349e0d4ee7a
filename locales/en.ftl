# English: the reference. Every message here must be in every other file.
#
# Rules for every language file (locales/<tag>.ftl, the tag in the file name):
# - Keep every message id and every { $variable } exactly as here; word order
#   is yours. Plurals use the language's CLDR categories ([zero] [one] [two]
#   [few] [many] *[other]); always end a selector with a *[default] variant.
# - Ids ending in "-html" may hold the tags <strong>…</strong> (and the
#   support link's <a href="{ $url }">…</a>); keep the same tags. The app
#   escapes the variables put into them. No other message may hold markup.
# - Numbers are written with Western digits (the codes people type are).

## About the language itself (used by the language switcher and the page)

# The language's own name for itself, as a person choosing it would look for it.
language-name = English
# ltr or rtl: the direction the pages are laid out in.
language-direction = ltr
# The switcher's label, for screen readers.
language-switcher = Language

## Every page

# The name in the header when the operator has not set one.
default-brand-name = Phone verification
# A button's label while its form is being sent.
sending = Sending…

## Durations, as they read inside a sentence ("It works for 10 minutes.")

duration-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}
duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}

## The phone form (GET /)

phone-title = Verify your phone number
phone-lead = We'll text you a code to confirm it's yours.
phone-label = Mobile number
# $example is a phone number, e.g. "(201) 555-0123".
phone-hint = For example { $example }
phone-submit = Text me a code
# Shown during a sign-in for another website; $client is that website's name.
client-asks-html = <strong>{ $client }</strong> wants to confirm your phone number.
cancel-sign-in = Cancel and go back

## What is wrong with a typed number (shown under the phone field)

phone-empty = Enter your phone number.
phone-not-a-number = That doesn't look like a phone number. Check the digits and try again.
# $region is a country's name ("Guernsey (+44)"), $allowed a list of them
# ("United States and Canada"), made by the app in this language.
phone-country-not-allowed = We can't send codes to numbers in { $region }. We can text numbers in { $allowed }.
# Said instead when the number belongs to no single country (e.g. +800).
phone-no-country-not-allowed = We can't send codes to international service numbers. We can text numbers in { $allowed }.
# Said when any country is allowed but the number belongs to none.
phone-no-country = We can't send codes to international service numbers. Use your mobile number.
phone-service-number = We can't send codes to premium-rate, shared-cost, toll-free or other service numbers. Use your mobile number.
phone-not-textable = This number can't receive text messages. Use your mobile number.
# Telnyx refused the number when we tried to text it.
phone-cannot-take-texts = We can't send a text message to this number: it may be a landline or a number that can't receive texts. Check it, or use a mobile number.

## The code page (GET /verify)

code-title = Enter your code
# $phone is the number with all but its last digits hidden, $valid_for a duration.
code-lead-sent-html = We texted a code to <strong>{ $phone }</strong>. It works for { $valid_for }.
code-lead-resent-html = We texted the code again to <strong>{ $phone }</strong>. It works for { $valid_for }.
code-lead-uncertain-html = We tried to text a code to <strong>{ $phone }</strong>. It works for { $valid_for }.
# When Telnyx did not answer: $wait is a duration.
code-uncertain = We may not have reached your phone. If a code arrives, enter it; otherwise ask again in { $wait }.
# As code-uncertain, when the code can be asked for again at once.
code-uncertain-now = We may not have reached your phone. If a code arrives, enter it; otherwise ask for it again.
# The code field's label: $length is how many digits (or characters) it has.
code-label-digits = { $length }-digit code
code-label-characters = { $length }-character code
# The tooltip of the code field.
code-field-hint-digits = The { $length } digits from the text
code-field-hint-characters = The { $length } characters from the text
code-submit = Verify
code-wrong = { $tries ->
    [one] That code isn't right. Check the text and try again ({ $tries } try left).
   *[other] That code isn't right. Check the text and try again ({ $tries } tries left).
}
code-malformed-digits = Enter the { $length }-digit code from the text message.
code-malformed-characters = Enter the { $length }-character code from the text message.
# "Send the code again" texts the SAME code once more (the code is not
# replaced). $wait is a duration; the page's script counts it down.
resend-countdown = Didn't get it? You can have it sent again in { $wait }.
resend-ready = Didn't get it? You can have it sent again now.
resend-offer = Didn't get it? We can send the code again.
resend-submit = Send the code again
use-another-number = Use a different number
delivery-delivered = Delivered to your phone.
delivery-failed = Your carrier couldn't deliver the code. Send it again, or use a different number.

## Waits (shown beside the form that was refused, or on their own page)

wait-title = Please wait
wait-resend-cooldown = We just sent a code to this number. Wait { $wait } before asking again.
wait-sends-per-phone = We've sent this number as many codes as we can for now. Try again in { $wait }.
wait-sends-per-network = Too many codes have been asked for from your network. Try again in { $wait }.
wait-failures-per-network = Too many wrong codes have been typed from your network. Try again in { $wait }.
wait-sends = Too many codes have been asked for. Try again in { $wait }.

## The verified page (GET /verified)

verified-title = Phone number verified
verified-body-html = <strong>{ $phone }</strong> is confirmed as yours. You're all set.
verify-another = Verify another number

## Error pages: a title, then what happened and what to do

start-again = Start again
support-html = Still stuck? <a href="{ $url }">Get help</a>.

no-code-title = No code to check
no-code-body = This browser hasn't asked for a code, or it was asked for too long ago. Start again to get a new one.
expired-title = This code has expired
expired-body = Codes only work for a short time. Start again to get a new one.
used-title = This code was already used
used-body = Each code works once, and this one has verified its number. Start again to verify a number again.
already-verified-title = This number is already verified
already-verified-body-html = <strong>{ $phone }</strong> is already confirmed as yours, with the code you typed; nothing more is needed. To verify another number, start again.
locked-title = Too many wrong codes
locked-body = For your security this code no longer works. Start again to get a new one.
busy-title = We're very busy
busy-body = Too many people are verifying right now. Please try again in a few minutes.
saturated-title = We're sending too many codes right now
saturated-body = We've reached the most text messages we send in an hour. No code was sent. Please try again in { $wait }.
blocked-title = We can't text this number right now
blocked-body = Many codes sent to numbers like this one were never used, so we've paused sending to them. No code was sent. Please try again in { $wait }.
store-down-title = We can't verify numbers right now
store-down-body = Something on our side is briefly unavailable. No code was sent or checked. Please try again in a minute.
sms-failed-title = We couldn't send your code
sms-busy-body = Our text message service is busy. Wait a minute, then try again.
sms-failed-body = Something went wrong sending the text message. Please try again in a moment.
forbidden-title = This form has expired
forbidden-body = For your security we only accept forms from our own pages. Start again from the first page.
unreadable-form-title = That form didn't come through
unreadable-form-body = The page sent something we couldn't read. Start again from the first page.
too-slow-title = That took too long
too-slow-body = The form didn't arrive in time. Check your connection and start again.
too-large-title = That was too much
too-large-body = The form sent more than we accept. Start again from the first page.
not-found-title = Page not found
not-found-body = There is nothing at this address.
bad-request-title = Something went wrong
bad-request-body = We couldn't handle that request. Start again from the first page.
server-error-title = Something went wrong on our side
server-error-body = We're sorry: please try again in a moment.
method-not-allowed-title = This address takes forms only
method-not-allowed-body = This address only takes a form from the verification pages.

## A sign-in link from another website that we refuse

bad-link-title = This sign-in link isn't valid
bad-link-unreadable = The sign-in link is not readable. Go back to the website you came from and try again.
bad-link-client-twice = The sign-in link names its app twice. Go back to the website you came from and try again.
bad-link-unknown-client = The app that sent you here is not one we know. Go back to the website you came from and try again.
bad-link-unregistered-redirect = The app that sent you here asked us to send you back to an address it has not registered. Go back to the website you came from and try again.

## The text message (SMS)
# It must fit one SMS segment with a 6-digit code, after which the app adds
# a blank line and "@<host> #<code>" (host up to 30 characters). If every
# character is in the GSM-7 alphabet, the whole SMS may be 160 characters
# (so this line up to 119); otherwise 70 (so this line up to 29). Put the
# code where it is easy to spot.

sms-code = Your verification code is { $code }
# $app is the name of the service asking, e.g. "Acme".
sms-code-from = Your { $app } verification code is { $code }
