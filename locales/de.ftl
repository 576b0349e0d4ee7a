# Deutsch (de). Übersetzung von locales/en.ftl, der Referenz.
#
# Rules for every language file (locales/<tag>.ftl, the tag in the file name):
# - Keep every message id and every { $variable } exactly as here; word order
#   is yours. Plurals use the language's CLDR categories ([zero] [one] [two]
#   [few] [many] *[other]); always end a selector with a *[default] variant.
# - Ids ending in "-html" may hold the tags <strong>…</strong> (and the
#   support link's <a href="{ $url }">…</a>); keep the same tags. The app
#   escapes the variables put into them. No other message may hold markup.
# - Numbers are written with Western digits (the codes people type are).
#
# Conventions of this file: "Sie"; terms: Code, SMS (die SMS), Nummer
# (Telefonnummer, Mobilnummer), bestätigen for verify/confirm; titles and
# buttons in the infinitive. U+00A0 (no-break space) between a number and
# its unit. The SMS stays in GSM-7.

## About the language itself (used by the language switcher and the page)

# The language's own name for itself, as a person choosing it would look for it.
language-name = Deutsch
# ltr or rtl: the direction the pages are laid out in.
language-direction = ltr
# The switcher's label, for screen readers.
language-switcher = Sprache

## Every page

# The name in the header when the operator has not set one.
default-brand-name = Telefonnummer-Bestätigung
# A button's label while its form is being sent.
sending = Wird gesendet…

## Durations, as they read inside a sentence ("Er ist 10 Minuten gültig.", "in 29 Sekunden")

duration-seconds = { $count ->
    [one] { $count } Sekunde
   *[other] { $count } Sekunden
}
duration-minutes = { $count ->
    [one] { $count } Minute
   *[other] { $count } Minuten
}

## The phone form (GET /)

phone-title = Telefonnummer bestätigen
phone-lead = Wir senden Ihnen einen Code per SMS, um zu bestätigen, dass die Nummer Ihnen gehört.
phone-label = Mobilnummer
# $example is a phone number, e.g. "01512 3456789".
phone-hint = Zum Beispiel: { $example }
phone-submit = Code per SMS senden
# Shown during a sign-in for another website; $client is that website's name.
client-asks-html = <strong>{ $client }</strong> möchte Ihre Telefonnummer bestätigen.
cancel-sign-in = Abbrechen und zurück

## What is wrong with a typed number (shown under the phone field)

phone-empty = Geben Sie Ihre Telefonnummer ein.
phone-not-a-number = Das ist keine gültige Telefonnummer. Prüfen Sie die Ziffern und versuchen Sie es erneut.
# $region is a country's name ("Guernsey (+44)"), $allowed a list of them
# ("Vereinigte Staaten und Kanada"), made by the app in this language, without articles.
phone-country-not-allowed = An Nummern in diesem Land können wir keine Codes senden: { $region }. Unterstützte Länder: { $allowed }.
# Said instead when the number belongs to no single country (e.g. +800).
phone-no-country-not-allowed = An internationale Servicenummern können wir keine Codes senden. Unterstützte Länder: { $allowed }.
# Said when any country is allowed but the number belongs to none.
phone-no-country = An internationale Servicenummern können wir keine Codes senden. Verwenden Sie Ihre Mobilnummer.
phone-service-number = An Mehrwertnummern, Shared-Cost-Nummern, kostenlose Nummern und andere Servicenummern können wir keine Codes senden. Verwenden Sie Ihre Mobilnummer.
phone-not-textable = Diese Nummer kann keine SMS empfangen. Verwenden Sie Ihre Mobilnummer.
# Telnyx refused the number when we tried to text it.
phone-cannot-take-texts = An diese Nummer können wir keine SMS senden. Möglicherweise handelt es sich um eine Festnetznummer oder um eine Nummer, die keine SMS empfangen kann. Prüfen Sie die Nummer oder verwenden Sie eine Mobilnummer.

## The code page (GET /verify)

code-title = Code eingeben
# $phone is the number with all but its last digits hidden, $valid_for a duration.
code-lead-sent-html = Wir haben einen Code per SMS an <strong>{ $phone }</strong> gesendet. Er ist { $valid_for } gültig.
code-lead-resent-html = Wir haben den Code erneut per SMS an <strong>{ $phone }</strong> gesendet. Er ist { $valid_for } gültig.
code-lead-uncertain-html = Wir haben versucht, einen Code per SMS an <strong>{ $phone }</strong> zu senden. Er ist { $valid_for } gültig.
# When Telnyx did not answer: $wait is a duration.
code-uncertain = Die SMS hat Ihr Telefon möglicherweise nicht erreicht. Wenn der Code ankommt, geben Sie ihn ein; andernfalls können Sie ihn sich in { $wait } erneut senden lassen.
# As code-uncertain, when the code can be asked for again at once.
code-uncertain-now = Die SMS hat Ihr Telefon möglicherweise nicht erreicht. Wenn der Code ankommt, geben Sie ihn ein; andernfalls können Sie ihn sich jetzt erneut senden lassen.
# The code field's label: $length is how many digits (or characters) it has.
code-label-digits = { $length }-stelliger Code
code-label-characters = Code mit { $length } Zeichen
# The tooltip of the code field.
code-field-hint-digits = Die { $length } Ziffern aus der SMS
code-field-hint-characters = Die { $length } Zeichen aus der SMS
code-submit = Bestätigen
code-wrong = { $tries ->
    [one] Dieser Code ist falsch. Prüfen Sie die SMS und versuchen Sie es erneut (noch { $tries } Versuch).
   *[other] Dieser Code ist falsch. Prüfen Sie die SMS und versuchen Sie es erneut (noch { $tries } Versuche).
}
code-malformed-digits = Geben Sie den { $length }-stelligen Code aus der SMS ein.
code-malformed-characters = Geben Sie den Code mit { $length } Zeichen aus der SMS ein.
# "Code erneut senden" texts the SAME code once more (the code is not
# replaced). $wait is a duration; the page's script counts it down.
resend-countdown = Keine SMS erhalten? Sie können sich den Code in { $wait } erneut senden lassen.
resend-ready = Keine SMS erhalten? Sie können sich den Code jetzt erneut senden lassen.
resend-offer = Keine SMS erhalten? Wir können Ihnen den Code erneut senden.
resend-submit = Code erneut senden
use-another-number = Andere Nummer verwenden
delivery-delivered = Die SMS wurde an Ihr Telefon zugestellt.
delivery-failed = Ihr Mobilfunkanbieter konnte den Code nicht zustellen. Senden Sie ihn erneut oder verwenden Sie eine andere Nummer.

## Waits (shown beside the form that was refused, or on their own page)

wait-title = Bitte warten
wait-resend-cooldown = Wir haben gerade einen Code an diese Nummer gesendet. Warten Sie { $wait }, bevor Sie es erneut versuchen.
wait-sends-per-phone = An diese Nummer haben wir vorerst die maximale Anzahl an Codes gesendet. Versuchen Sie es in { $wait } erneut.
wait-sends-per-network = Aus Ihrem Netzwerk wurden zu viele Codes angefordert. Versuchen Sie es in { $wait } erneut.
wait-failures-per-network = Aus Ihrem Netzwerk wurden zu viele falsche Codes eingegeben. Versuchen Sie es in { $wait } erneut.
wait-sends = Es wurden zu viele Codes angefordert. Versuchen Sie es in { $wait } erneut.

## The verified page (GET /verified)

verified-title = Telefonnummer bestätigt
verified-body-html = <strong>{ $phone }</strong> ist als Ihre Nummer bestätigt. Alles erledigt.
verify-another = Weitere Nummer bestätigen

## Error pages: a title, then what happened and what to do

start-again = Von vorn beginnen
support-html = Immer noch Probleme? <a href="{ $url }">Hilfe erhalten</a>.

no-code-title = Kein Code zum Prüfen
no-code-body = In diesem Browser wurde kein Code angefordert, oder die Anforderung liegt zu lange zurück. Beginnen Sie von vorn, um einen neuen zu erhalten.
expired-title = Dieser Code ist abgelaufen
expired-body = Codes sind nur kurze Zeit gültig. Beginnen Sie von vorn, um einen neuen zu erhalten.
used-title = Dieser Code wurde bereits verwendet
used-body = Jeder Code ist nur einmal gültig, und mit diesem wurde die Nummer bereits bestätigt. Beginnen Sie von vorn, um eine Nummer erneut zu bestätigen.
already-verified-title = Diese Nummer ist bereits bestätigt
already-verified-body-html = <strong>{ $phone }</strong> ist mit dem eingegebenen Code bereits als Ihre Nummer bestätigt; Sie müssen nichts weiter tun. Um eine andere Nummer zu bestätigen, beginnen Sie von vorn.
locked-title = Zu viele falsche Codes
locked-body = Zu Ihrer Sicherheit ist dieser Code nicht mehr gültig. Beginnen Sie von vorn, um einen neuen zu erhalten.
busy-title = Wir sind gerade stark ausgelastet
busy-body = Gerade bestätigen sehr viele Personen ihre Nummer. Bitte versuchen Sie es in ein paar Minuten erneut.
saturated-title = Wir senden gerade zu viele Codes
saturated-body = Wir haben die Höchstzahl an SMS erreicht, die wir pro Stunde senden können. Es wurde kein Code gesendet. Bitte versuchen Sie es in { $wait } erneut.
blocked-title = An diese Nummer können wir zurzeit keine SMS senden
blocked-body = Viele an ähnliche Nummern gesendete Codes wurden nie verwendet. Deshalb haben wir den Versand an solche Nummern ausgesetzt. Es wurde kein Code gesendet. Bitte versuchen Sie es in { $wait } erneut.
store-down-title = Wir können zurzeit keine Nummern bestätigen
store-down-body = Ein Teil unseres Systems ist kurzzeitig nicht verfügbar. Es wurde kein Code gesendet oder geprüft. Bitte versuchen Sie es in einer Minute erneut.
sms-failed-title = Wir konnten Ihren Code nicht senden
sms-busy-body = Unser SMS-Dienst ist ausgelastet. Warten Sie eine Minute und versuchen Sie es dann erneut.
sms-failed-body = Beim Senden der SMS ist ein Fehler aufgetreten. Bitte versuchen Sie es gleich noch einmal.
forbidden-title = Dieses Formular ist abgelaufen
forbidden-body = Zu Ihrer Sicherheit nehmen wir nur Formulare von unseren eigenen Seiten an. Beginnen Sie noch einmal auf der ersten Seite.
unreadable-form-title = Das Formular ist nicht richtig angekommen
unreadable-form-body = Die Seite hat Daten gesendet, die wir nicht lesen konnten. Beginnen Sie noch einmal auf der ersten Seite.
too-slow-title = Das hat zu lange gedauert
too-slow-body = Das Formular ist nicht rechtzeitig angekommen. Prüfen Sie Ihre Verbindung und beginnen Sie von vorn.
too-large-title = Zu viele Daten
too-large-body = Das Formular hat mehr Daten gesendet, als wir annehmen. Beginnen Sie noch einmal auf der ersten Seite.
not-found-title = Seite nicht gefunden
not-found-body = Unter dieser Adresse gibt es nichts.
bad-request-title = Etwas ist schiefgelaufen
bad-request-body = Wir konnten diese Anfrage nicht verarbeiten. Beginnen Sie noch einmal auf der ersten Seite.
server-error-title = Bei uns ist etwas schiefgelaufen
server-error-body = Das tut uns leid. Bitte versuchen Sie es gleich noch einmal.
method-not-allowed-title = Diese Adresse nimmt nur Formulare an
method-not-allowed-body = Diese Adresse nimmt nur Formulare von den Bestätigungsseiten an.

## A sign-in link from another website that we refuse

bad-link-title = Dieser Anmeldelink ist ungültig
bad-link-unreadable = Der Anmeldelink ist nicht lesbar. Kehren Sie zur vorherigen Website zurück und versuchen Sie es erneut.
bad-link-client-twice = Der Anmeldelink nennt seine App zweimal. Kehren Sie zur vorherigen Website zurück und versuchen Sie es erneut.
bad-link-unknown-client = Die App, die Sie hierher geschickt hat, kennen wir nicht. Kehren Sie zur vorherigen Website zurück und versuchen Sie es erneut.
bad-link-unregistered-redirect = Die App, die Sie hierher geschickt hat, möchte Sie an eine Adresse zurückleiten, die sie nicht registriert hat. Kehren Sie zur vorherigen Website zurück und versuchen Sie es erneut.

## The text message (SMS)
# It must fit one SMS segment with a 6-digit code, after which the app adds
# a blank line and "@<host> #<code>" (host up to 30 characters). If every
# character is in the GSM-7 alphabet, the whole SMS may be 160 characters
# (so this line up to 119); otherwise 70 (so this line up to 29). Put the
# code where it is easy to spot.
# German: ä ö ü ß Ä Ö Ü are in GSM-7; typographic quotes and U+00A0 are not.

sms-code = Ihr Bestätigungscode lautet { $code }
# $app is the name of the service asking, e.g. "Acme".
sms-code-from = Ihr Bestätigungscode für { $app } lautet { $code }
