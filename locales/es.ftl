# Español (es): translation of en.ftl, the reference. Every message in en.ftl
# must be here too.
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
# Spanish style: "tú", neutral international Spanish. Terms used throughout:
# "código" (code), "SMS" (text message; "enviar por SMS" for "to text"),
# "número" / "número de teléfono móvil" (number / mobile number),
# "escribir" (to enter/type), "inténtalo de nuevo dentro de …" (try again in …),
# "empieza de nuevo" (start again).

## About the language itself (used by the language switcher and the page)

# The language's own name for itself, as a person choosing it would look for it.
language-name = Español
# ltr or rtl: the direction the pages are laid out in.
language-direction = ltr
# The switcher's label, for screen readers.
language-switcher = Idioma

## Every page

# The name in the header when the operator has not set one.
default-brand-name = Verificación de teléfono
# A button's label while its form is being sent.
sending = Enviando…

## Durations, as they read inside a sentence ("Es válido durante 10 minutos.")

duration-seconds = { $count ->
    [one] { $count } segundo
   *[other] { $count } segundos
}
duration-minutes = { $count ->
    [one] { $count } minuto
   *[other] { $count } minutos
}

## The phone form (GET /)

phone-title = Verifica tu número de teléfono
phone-lead = Te enviaremos un código por SMS para confirmar que el número es tuyo.
phone-label = Número de teléfono móvil
# $example is a phone number, e.g. "(201) 555-0123".
phone-hint = Por ejemplo: { $example }
phone-submit = Envíame un código
# Shown during a sign-in for another website; $client is that website's name.
client-asks-html = <strong>{ $client }</strong> quiere confirmar tu número de teléfono.
cancel-sign-in = Cancelar y volver

## What is wrong with a typed number (shown under the phone field)

phone-empty = Escribe tu número de teléfono.
phone-not-a-number = Eso no parece un número de teléfono. Revisa los dígitos e inténtalo de nuevo.
# $region is a country's name ("Guernsey (+44)"), $allowed a list of them
# ("Estados Unidos y Canadá"), made by the app in this language, without
# articles: hence the colons.
phone-country-not-allowed = No podemos enviar códigos a números de este país o región: { $region }. Países y regiones admitidos: { $allowed }.
# Said instead when the number belongs to no single country (e.g. +800).
phone-no-country-not-allowed = No podemos enviar códigos a números de servicios internacionales. Países y regiones admitidos: { $allowed }.
# Said when any country is allowed but the number belongs to none.
phone-no-country = No podemos enviar códigos a números de servicios internacionales. Usa tu número de teléfono móvil.
phone-service-number = No podemos enviar códigos a números de tarifa especial, de costo compartido, gratuitos ni a otros números de servicio. Usa tu número de teléfono móvil.
phone-not-textable = Este número no puede recibir SMS. Usa tu número de teléfono móvil.
# Telnyx refused the number when we tried to text it.
phone-cannot-take-texts = No podemos enviar un SMS a este número: puede que sea un teléfono fijo o un número que no recibe SMS. Revísalo o usa un número de teléfono móvil.

## The code page (GET /verify)

code-title = Escribe tu código
# $phone is the number with all but its last digits hidden, $valid_for a duration.
code-lead-sent-html = Te enviamos un código por SMS al <strong>{ $phone }</strong>. Es válido durante { $valid_for }.
code-lead-resent-html = Te volvimos a enviar el código por SMS al <strong>{ $phone }</strong>. Es válido durante { $valid_for }.
code-lead-uncertain-html = Intentamos enviarte un código por SMS al <strong>{ $phone }</strong>. Es válido durante { $valid_for }.
# When Telnyx did not answer: $wait is a duration.
code-uncertain = Puede que el SMS no haya llegado a tu teléfono. Si recibes un código, escríbelo; si no, vuelve a pedirlo dentro de { $wait }.
# As code-uncertain, when the code can be asked for again at once.
code-uncertain-now = Puede que el SMS no haya llegado a tu teléfono. Si recibes un código, escríbelo; si no, ya puedes volver a pedirlo.
# The code field's label: $length is how many digits (or characters) it has.
code-label-digits = Código de { $length } dígitos
code-label-characters = Código de { $length } caracteres
# The tooltip of the code field.
code-field-hint-digits = Los { $length } dígitos del SMS
code-field-hint-characters = Los { $length } caracteres del SMS
code-submit = Verificar
code-wrong = { $tries ->
    [one] Ese código no es correcto. Revisa el SMS e inténtalo de nuevo (te queda { $tries } intento).
   *[other] Ese código no es correcto. Revisa el SMS e inténtalo de nuevo (te quedan { $tries } intentos).
}
code-malformed-digits = Escribe el código de { $length } dígitos que recibiste por SMS.
code-malformed-characters = Escribe el código de { $length } caracteres que recibiste por SMS.
# "Reenviar el código" texts the SAME code once more (the code is not
# replaced). $wait is a duration; the page's script counts it down.
resend-countdown = ¿No te llegó? Podrás reenviarlo dentro de { $wait }.
resend-ready = ¿No te llegó? Ya puedes reenviarlo.
resend-offer = ¿No te llegó? Podemos reenviarte el código.
resend-submit = Reenviar el código
use-another-number = Usar otro número
delivery-delivered = El SMS llegó a tu teléfono.
delivery-failed = Tu compañía telefónica no pudo entregar el código. Reenvíalo o usa otro número.

## Waits (shown beside the form that was refused, or on their own page)

wait-title = Espera un momento
wait-resend-cooldown = Acabamos de enviar un código a este número. Espera { $wait } antes de volver a pedirlo.
wait-sends-per-phone = Ya enviamos a este número todos los códigos que podemos por ahora. Inténtalo de nuevo dentro de { $wait }.
wait-sends-per-network = Se pidieron demasiados códigos desde tu red. Inténtalo de nuevo dentro de { $wait }.
wait-failures-per-network = Se escribieron demasiados códigos incorrectos desde tu red. Inténtalo de nuevo dentro de { $wait }.
wait-sends = Se pidieron demasiados códigos. Inténtalo de nuevo dentro de { $wait }.

## The verified page (GET /verified)

verified-title = Número de teléfono verificado
verified-body-html = Confirmamos que el número <strong>{ $phone }</strong> es tuyo. ¡Todo listo!
verify-another = Verificar otro número

## Error pages: a title, then what happened and what to do

start-again = Empezar de nuevo
support-html = ¿Sigues con problemas? <a href="{ $url }">Pide ayuda</a>.

no-code-title = No hay ningún código que comprobar
no-code-body = Este navegador no pidió ningún código, o lo pidió hace demasiado tiempo. Empieza de nuevo para recibir otro.
expired-title = Este código caducó
expired-body = Los códigos solo son válidos durante poco tiempo. Empieza de nuevo para recibir otro.
used-title = Este código ya se usó
used-body = Cada código sirve una sola vez y este ya se usó para verificar su número. Empieza de nuevo para volver a verificar un número.
already-verified-title = Este número ya está verificado
already-verified-body-html = Ya confirmamos que <strong>{ $phone }</strong> es tuyo con el código que escribiste; no tienes que hacer nada más. Para verificar otro número, empieza de nuevo.
locked-title = Demasiados códigos incorrectos
locked-body = Por tu seguridad, este código ya no sirve. Empieza de nuevo para recibir otro.
busy-title = Estamos muy ocupados
busy-body = Ahora mismo hay demasiadas personas verificando su número. Inténtalo de nuevo dentro de unos minutos.
saturated-title = Ahora mismo estamos enviando demasiados códigos
saturated-body = Alcanzamos el máximo de SMS que podemos enviar por hora. No se envió ningún código. Inténtalo de nuevo dentro de { $wait }.
blocked-title = Ahora mismo no podemos enviar SMS a este número
blocked-body = Muchos de los códigos enviados a números como este nunca se usaron, así que pausamos los envíos a esos números. No se envió ningún código. Inténtalo de nuevo dentro de { $wait }.
store-down-title = Ahora mismo no podemos verificar números
store-down-body = Uno de nuestros sistemas no está disponible temporalmente. No se envió ni se comprobó ningún código. Inténtalo de nuevo dentro de un minuto.
sms-failed-title = No pudimos enviar tu código
sms-busy-body = Nuestro servicio de SMS está saturado. Espera un minuto e inténtalo de nuevo.
sms-failed-body = Algo salió mal al enviar el SMS. Inténtalo de nuevo dentro de un momento.
forbidden-title = Este formulario caducó
forbidden-body = Por tu seguridad, solo aceptamos formularios de nuestras propias páginas. Empieza de nuevo desde la primera página.
unreadable-form-title = El formulario no llegó bien
unreadable-form-body = La página envió algo que no pudimos leer. Empieza de nuevo desde la primera página.
too-slow-title = Tardó demasiado
too-slow-body = El formulario no llegó a tiempo. Revisa tu conexión y empieza de nuevo.
too-large-title = Demasiados datos
too-large-body = El formulario envió más datos de los que aceptamos. Empieza de nuevo desde la primera página.
not-found-title = Página no encontrada
not-found-body = No hay nada en esta dirección.
bad-request-title = Algo salió mal
bad-request-body = No pudimos procesar esa solicitud. Empieza de nuevo desde la primera página.
server-error-title = Algo salió mal por nuestra parte
server-error-body = Lo sentimos. Inténtalo de nuevo dentro de un momento.
method-not-allowed-title = Esta dirección solo acepta formularios
method-not-allowed-body = Esta dirección solo acepta formularios enviados desde las páginas de verificación.

## A sign-in link from another website that we refuse

bad-link-title = Este enlace de inicio de sesión no es válido
bad-link-unreadable = No se puede leer el enlace de inicio de sesión. Vuelve al sitio web del que viniste e inténtalo de nuevo.
bad-link-client-twice = El enlace de inicio de sesión indica su aplicación dos veces. Vuelve al sitio web del que viniste e inténtalo de nuevo.
bad-link-unknown-client = No conocemos la aplicación que te trajo hasta aquí. Vuelve al sitio web del que viniste e inténtalo de nuevo.
bad-link-unregistered-redirect = La aplicación que te trajo hasta aquí nos pidió que te devolviéramos a una dirección que no tiene registrada. Vuelve al sitio web del que viniste e inténtalo de nuevo.

## The text message (SMS)
# It must fit one SMS segment with a 6-digit code, after which the app adds
# a blank line and "@<host> #<code>" (host up to 30 characters). If every
# character is in the GSM-7 alphabet, the whole SMS may be 160 characters
# (so this line up to 119); otherwise 70 (so this line up to 29). Put the
# code where it is easy to spot.
# "ó" is not GSM-7, so this is UCS-2: 19 characters with the code.

sms-code = Tu código es { $code }
# $app is the name of the service asking, e.g. "Acme".
sms-code-from = Tu código de { $app } es { $code }
