# Français (fr). Traduction de locales/en.ftl, qui fait référence.
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
# Conventions of this file: "vous"; terms: code, SMS, numéro (de mobile);
# typographic apostrophe ’ on the pages; U+00A0 (no-break space) before
# : ; ? ! and between a number and its unit. The SMS stays in GSM-7.

## About the language itself (used by the language switcher and the page)

# The language's own name for itself, as a person choosing it would look for it.
language-name = Français
# ltr or rtl: the direction the pages are laid out in.
language-direction = ltr
# The switcher's label, for screen readers.
language-switcher = Langue

## Every page

# The name in the header when the operator has not set one.
default-brand-name = Vérification du numéro
# A button's label while its form is being sent.
sending = Envoi…

## Durations, as they read inside a sentence ("Il est valable 10 minutes.")
# French CLDR: [one] is 0 and 1; [many] is large round numbers (1000000).

duration-seconds = { $count ->
    [one] { $count } seconde
    [many] { $count } secondes
   *[other] { $count } secondes
}
duration-minutes = { $count ->
    [one] { $count } minute
    [many] { $count } minutes
   *[other] { $count } minutes
}

## The phone form (GET /)

phone-title = Vérifiez votre numéro de téléphone
phone-lead = Nous allons vous envoyer un code par SMS pour confirmer que ce numéro est bien le vôtre.
phone-label = Numéro de mobile
# $example is a phone number, e.g. "06 12 34 56 78".
phone-hint = Par exemple : { $example }
phone-submit = Recevoir un code par SMS
# Shown during a sign-in for another website; $client is that website's name.
client-asks-html = <strong>{ $client }</strong> souhaite confirmer votre numéro de téléphone.
cancel-sign-in = Annuler et revenir en arrière

## What is wrong with a typed number (shown under the phone field)

phone-empty = Saisissez votre numéro de téléphone.
phone-not-a-number = Ce numéro ne semble pas valide. Vérifiez les chiffres et réessayez.
# $region is a country's name ("Guernesey (+44)"), $allowed a list of them
# ("États-Unis et Canada"), made by the app in this language, without articles.
phone-country-not-allowed = Nous ne pouvons pas envoyer de code aux numéros de ce pays : { $region }. Pays acceptés : { $allowed }.
# Said instead when the number belongs to no single country (e.g. +800).
phone-no-country-not-allowed = Nous ne pouvons pas envoyer de code aux numéros de service internationaux. Pays acceptés : { $allowed }.
# Said when any country is allowed but the number belongs to none.
phone-no-country = Nous ne pouvons pas envoyer de code aux numéros de service internationaux. Utilisez votre numéro de mobile.
phone-service-number = Nous ne pouvons pas envoyer de code aux numéros surtaxés, à coût partagé ou gratuits, ni aux autres numéros spéciaux. Utilisez votre numéro de mobile.
phone-not-textable = Ce numéro ne peut pas recevoir de SMS. Utilisez votre numéro de mobile.
# Telnyx refused the number when we tried to text it.
phone-cannot-take-texts = Nous ne pouvons pas envoyer de SMS à ce numéro : il s’agit peut-être d’un numéro fixe ou d’un numéro qui ne peut pas recevoir de SMS. Vérifiez-le ou utilisez un numéro de mobile.

## The code page (GET /verify)

code-title = Saisissez votre code
# $phone is the number with all but its last digits hidden, $valid_for a duration.
code-lead-sent-html = Nous avons envoyé un code par SMS au <strong>{ $phone }</strong>. Il est valable { $valid_for }.
code-lead-resent-html = Nous avons renvoyé le code par SMS au <strong>{ $phone }</strong>. Il est valable { $valid_for }.
code-lead-uncertain-html = Nous avons essayé d’envoyer un code par SMS au <strong>{ $phone }</strong>. Il est valable { $valid_for }.
# When Telnyx did not answer: $wait is a duration.
code-uncertain = Le SMS ne vous est peut-être pas parvenu. Si vous recevez le code, saisissez-le ; sinon, vous pourrez le faire renvoyer dans { $wait }.
# As code-uncertain, when the code can be asked for again at once.
code-uncertain-now = Le SMS ne vous est peut-être pas parvenu. Si vous recevez le code, saisissez-le ; sinon, vous pouvez le faire renvoyer dès maintenant.
# The code field's label: $length is how many digits (or characters) it has.
code-label-digits = Code à { $length } chiffres
code-label-characters = Code à { $length } caractères
# The tooltip of the code field.
code-field-hint-digits = Les { $length } chiffres reçus par SMS
code-field-hint-characters = Les { $length } caractères reçus par SMS
code-submit = Vérifier
code-wrong = { $tries ->
    [one] Ce code est incorrect. Vérifiez le SMS et réessayez (il vous reste { $tries } essai).
    [many] Ce code est incorrect. Vérifiez le SMS et réessayez (il vous reste { $tries } essais).
   *[other] Ce code est incorrect. Vérifiez le SMS et réessayez (il vous reste { $tries } essais).
}
code-malformed-digits = Saisissez le code à { $length } chiffres reçu par SMS.
code-malformed-characters = Saisissez le code à { $length } caractères reçu par SMS.
# "Renvoyer le code" texts the SAME code once more (the code is not
# replaced). $wait is a duration; the page's script counts it down.
resend-countdown = Vous n’avez pas reçu le code ? Vous pourrez le faire renvoyer dans { $wait }.
resend-ready = Vous n’avez pas reçu le code ? Vous pouvez le faire renvoyer dès maintenant.
resend-offer = Vous n’avez pas reçu le code ? Nous pouvons vous le renvoyer.
resend-submit = Renvoyer le code
use-another-number = Utiliser un autre numéro
delivery-delivered = Le SMS est arrivé sur votre téléphone.
delivery-failed = Votre opérateur n’a pas pu transmettre le code. Renvoyez-le ou utilisez un autre numéro.

## Waits (shown beside the form that was refused, or on their own page)

wait-title = Veuillez patienter
wait-resend-cooldown = Nous venons d’envoyer un code à ce numéro. Attendez { $wait } avant de faire une nouvelle demande.
wait-sends-per-phone = Nous avons envoyé le nombre maximal de codes à ce numéro pour le moment. Réessayez dans { $wait }.
wait-sends-per-network = Trop de codes ont été demandés depuis votre réseau. Réessayez dans { $wait }.
wait-failures-per-network = Trop de codes incorrects ont été saisis depuis votre réseau. Réessayez dans { $wait }.
wait-sends = Trop de codes ont été demandés. Réessayez dans { $wait }.

## The verified page (GET /verified)

verified-title = Numéro de téléphone vérifié
verified-body-html = Le numéro <strong>{ $phone }</strong> est confirmé comme étant le vôtre. Vous n’avez rien d’autre à faire.
verify-another = Vérifier un autre numéro

## Error pages: a title, then what happened and what to do

start-again = Recommencer
support-html = Le problème persiste ? <a href="{ $url }">Obtenir de l’aide</a>.

no-code-title = Aucun code à vérifier
no-code-body = Ce navigateur n’a pas demandé de code, ou la demande est trop ancienne. Recommencez pour en obtenir un nouveau.
expired-title = Ce code a expiré
expired-body = Les codes ne sont valables que peu de temps. Recommencez pour en obtenir un nouveau.
used-title = Ce code a déjà été utilisé
used-body = Chaque code n’est valable qu’une fois, et celui-ci a déjà servi à vérifier son numéro. Recommencez pour vérifier de nouveau un numéro.
already-verified-title = Ce numéro est déjà vérifié
already-verified-body-html = Le numéro <strong>{ $phone }</strong> est déjà confirmé comme étant le vôtre grâce au code que vous avez saisi ; vous n’avez rien d’autre à faire. Pour vérifier un autre numéro, recommencez.
locked-title = Trop de codes incorrects
locked-body = Pour votre sécurité, ce code n’est plus valable. Recommencez pour en obtenir un nouveau.
busy-title = Nous sommes très sollicités
busy-body = Trop de personnes vérifient leur numéro en ce moment. Veuillez réessayer dans quelques minutes.
saturated-title = Nous envoyons trop de codes en ce moment
saturated-body = Nous avons atteint le nombre maximal de SMS que nous pouvons envoyer en une heure. Aucun code n’a été envoyé. Veuillez réessayer dans { $wait }.
blocked-title = Nous ne pouvons pas envoyer de SMS à ce numéro pour le moment
blocked-body = De nombreux codes envoyés à des numéros comme celui-ci n’ont jamais été utilisés : nous avons donc suspendu les envois vers ces numéros. Aucun code n’a été envoyé. Veuillez réessayer dans { $wait }.
store-down-title = Nous ne pouvons pas vérifier de numéros pour le moment
store-down-body = Une partie de notre service est momentanément indisponible. Aucun code n’a été envoyé ni vérifié. Veuillez réessayer dans une minute.
sms-failed-title = Nous n’avons pas pu envoyer votre code
sms-busy-body = Notre service d’envoi de SMS est surchargé. Patientez une minute, puis réessayez.
sms-failed-body = Un problème est survenu lors de l’envoi du SMS. Veuillez réessayer dans un instant.
forbidden-title = Ce formulaire a expiré
forbidden-body = Pour votre sécurité, nous n’acceptons que les formulaires envoyés depuis nos propres pages. Recommencez depuis la première page.
unreadable-form-title = Le formulaire n’a pas été transmis correctement
unreadable-form-body = La page a envoyé des données que nous n’avons pas pu lire. Recommencez depuis la première page.
too-slow-title = Délai dépassé
too-slow-body = Le formulaire n’est pas arrivé à temps. Vérifiez votre connexion et recommencez.
too-large-title = Formulaire trop volumineux
too-large-body = Le formulaire contenait plus de données que nous n’en acceptons. Recommencez depuis la première page.
not-found-title = Page introuvable
not-found-body = Il n’y a rien à cette adresse.
bad-request-title = Un problème est survenu
bad-request-body = Nous n’avons pas pu traiter cette demande. Recommencez depuis la première page.
server-error-title = Un problème est survenu de notre côté
server-error-body = Nous sommes désolés : veuillez réessayer dans un instant.
method-not-allowed-title = Cette adresse n’accepte que des formulaires
method-not-allowed-body = Cette adresse n’accepte que les formulaires envoyés depuis les pages de vérification.

## A sign-in link from another website that we refuse

bad-link-title = Ce lien de connexion n’est pas valide
bad-link-unreadable = Le lien de connexion est illisible. Retournez sur le site d’origine et réessayez.
bad-link-client-twice = Le lien de connexion désigne deux fois son application. Retournez sur le site d’origine et réessayez.
bad-link-unknown-client = Nous ne connaissons pas l’application à l’origine de ce lien. Retournez sur le site d’origine et réessayez.
bad-link-unregistered-redirect = L’application à l’origine de ce lien nous demande de vous renvoyer vers une adresse qu’elle n’a pas enregistrée. Retournez sur le site d’origine et réessayez.

## The text message (SMS)
# It must fit one SMS segment with a 6-digit code, after which the app adds
# a blank line and "@<host> #<code>" (host up to 30 characters). If every
# character is in the GSM-7 alphabet, the whole SMS may be 160 characters
# (so this line up to 119); otherwise 70 (so this line up to 29). Put the
# code where it is easy to spot.
# French: keep to GSM-7 (é è à ù are in it; ç ê â î ô û ë ï, ’ and U+00A0 are not).

sms-code = Votre code de vérification est { $code }
# $app is the name of the service asking, e.g. "Acme".
sms-code-from = Votre code de vérification pour { $app } est { $code }
