# Português (Brasil) (pt-BR): translation of en.ftl, the reference. Every
# message in en.ftl must be here too.
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
# Portuguese style: "você", Brazilian usage. Terms used throughout:
# "código" (code), "SMS" (text message; "enviar por SMS" for "to text"),
# "número" / "número de celular" (number / mobile number), "digitar" (to
# enter/type), "tente novamente daqui a …" (try again in …), "comece de novo"
# (start again). Note: CLDR puts both 0 and 1 in [one] for Portuguese.

## About the language itself (used by the language switcher and the page)

# The language's own name for itself, as a person choosing it would look for it.
language-name = Português (Brasil)
# ltr or rtl: the direction the pages are laid out in.
language-direction = ltr
# The switcher's label, for screen readers.
language-switcher = Idioma

## Every page

# The name in the header when the operator has not set one.
default-brand-name = Verificação de telefone
# A button's label while its form is being sent.
sending = Enviando…

## Durations, as they read inside a sentence ("Ele é válido por 10 minutos.")

duration-seconds = { $count ->
    [one] { $count } segundo
   *[other] { $count } segundos
}
duration-minutes = { $count ->
    [one] { $count } minuto
   *[other] { $count } minutos
}

## The phone form (GET /)

phone-title = Verifique seu número de telefone
phone-lead = Vamos enviar um código por SMS para confirmar que o número é seu.
phone-label = Número de celular
# $example is a phone number, e.g. "(201) 555-0123".
phone-hint = Por exemplo: { $example }
phone-submit = Receber código por SMS
# Shown during a sign-in for another website; $client is that website's name.
client-asks-html = <strong>{ $client }</strong> quer confirmar seu número de telefone.
cancel-sign-in = Cancelar e voltar

## What is wrong with a typed number (shown under the phone field)

phone-empty = Digite seu número de telefone.
phone-not-a-number = Isso não parece um número de telefone. Confira os dígitos e tente novamente.
# $region is a country's name ("Guernsey (+44)"), $allowed a list of them
# ("Estados Unidos e Canadá"), made by the app in this language, without
# articles: hence the colons.
phone-country-not-allowed = Não podemos enviar códigos para números deste país ou região: { $region }. Países e regiões atendidos: { $allowed }.
# Said instead when the number belongs to no single country (e.g. +800).
phone-no-country-not-allowed = Não podemos enviar códigos para números de serviços internacionais. Países e regiões atendidos: { $allowed }.
# Said when any country is allowed but the number belongs to none.
phone-no-country = Não podemos enviar códigos para números de serviços internacionais. Use seu número de celular.
phone-service-number = Não podemos enviar códigos para números de tarifa especial, de custo compartilhado, gratuitos ou outros números de serviço. Use seu número de celular.
phone-not-textable = Este número não pode receber SMS. Use seu número de celular.
# Telnyx refused the number when we tried to text it.
phone-cannot-take-texts = Não conseguimos enviar um SMS para este número: pode ser um telefone fixo ou um número que não recebe SMS. Confira o número ou use um número de celular.

## The code page (GET /verify)

code-title = Digite seu código
# $phone is the number with all but its last digits hidden, $valid_for a duration.
code-lead-sent-html = Enviamos um código por SMS para <strong>{ $phone }</strong>. Ele é válido por { $valid_for }.
code-lead-resent-html = Enviamos o código novamente por SMS para <strong>{ $phone }</strong>. Ele é válido por { $valid_for }.
code-lead-uncertain-html = Tentamos enviar um código por SMS para <strong>{ $phone }</strong>. Ele é válido por { $valid_for }.
# When Telnyx did not answer: $wait is a duration.
code-uncertain = Talvez o SMS não tenha chegado ao seu celular. Se um código chegar, digite-o; caso contrário, peça o código novamente daqui a { $wait }.
# As code-uncertain, when the code can be asked for again at once.
code-uncertain-now = Talvez o SMS não tenha chegado ao seu celular. Se um código chegar, digite-o; caso contrário, você já pode pedir o código novamente.
# The code field's label: $length is how many digits (or characters) it has.
code-label-digits = Código de { $length } dígitos
code-label-characters = Código de { $length } caracteres
# The tooltip of the code field.
code-field-hint-digits = Os { $length } dígitos do SMS
code-field-hint-characters = Os { $length } caracteres do SMS
code-submit = Verificar
code-wrong = { $tries ->
    [one] Esse código está incorreto. Confira o SMS e tente novamente (resta { $tries } tentativa).
   *[other] Esse código está incorreto. Confira o SMS e tente novamente (restam { $tries } tentativas).
}
code-malformed-digits = Digite o código de { $length } dígitos que você recebeu por SMS.
code-malformed-characters = Digite o código de { $length } caracteres que você recebeu por SMS.
# "Reenviar o código" texts the SAME code once more (the code is not
# replaced). $wait is a duration; the page's script counts it down.
resend-countdown = Não recebeu? Você poderá reenviar o código daqui a { $wait }.
resend-ready = Não recebeu? Você já pode reenviar o código.
resend-offer = Não recebeu? Podemos reenviar o código.
resend-submit = Reenviar o código
use-another-number = Usar outro número
delivery-delivered = O SMS foi entregue no seu celular.
delivery-failed = Sua operadora não conseguiu entregar o código. Reenvie o código ou use outro número.

## Waits (shown beside the form that was refused, or on their own page)

wait-title = Aguarde um pouco
wait-resend-cooldown = Acabamos de enviar um código para este número. Aguarde { $wait } antes de pedir novamente.
wait-sends-per-phone = Já enviamos para este número o máximo de códigos possível por enquanto. Tente novamente daqui a { $wait }.
wait-sends-per-network = Muitos códigos foram pedidos a partir da sua rede. Tente novamente daqui a { $wait }.
wait-failures-per-network = Muitos códigos incorretos foram digitados a partir da sua rede. Tente novamente daqui a { $wait }.
wait-sends = Muitos códigos foram pedidos. Tente novamente daqui a { $wait }.

## The verified page (GET /verified)

verified-title = Número de telefone verificado
verified-body-html = Confirmamos que o número <strong>{ $phone }</strong> é seu. Está tudo certo!
verify-another = Verificar outro número

## Error pages: a title, then what happened and what to do

start-again = Começar de novo
support-html = Ainda com problemas? <a href="{ $url }">Peça ajuda</a>.

no-code-title = Nenhum código para verificar
no-code-body = Este navegador não pediu um código ou o pediu há muito tempo. Comece de novo para receber outro código.
expired-title = Este código expirou
expired-body = Os códigos só valem por pouco tempo. Comece de novo para receber outro código.
used-title = Este código já foi usado
used-body = Cada código só pode ser usado uma vez e este já foi usado para verificar o número. Comece de novo para verificar um número outra vez.
already-verified-title = Este número já foi verificado
already-verified-body-html = Já confirmamos que <strong>{ $phone }</strong> é seu com o código que você digitou; não é preciso fazer mais nada. Para verificar outro número, comece de novo.
locked-title = Muitos códigos incorretos
locked-body = Para sua segurança, este código não funciona mais. Comece de novo para receber outro código.
busy-title = Estamos com muito movimento
busy-body = Muitas pessoas estão fazendo a verificação agora. Tente novamente daqui a alguns minutos.
saturated-title = Estamos enviando códigos demais no momento
saturated-body = Atingimos o limite de SMS que podemos enviar por hora. Nenhum código foi enviado. Tente novamente daqui a { $wait }.
blocked-title = No momento, não podemos enviar SMS para este número
blocked-body = Muitos dos códigos enviados para números como este nunca foram usados, então pausamos os envios para esses números. Nenhum código foi enviado. Tente novamente daqui a { $wait }.
store-down-title = No momento, não podemos verificar números
store-down-body = Um dos nossos sistemas está temporariamente indisponível. Nenhum código foi enviado ou verificado. Tente novamente daqui a um minuto.
sms-failed-title = Não conseguimos enviar seu código
sms-busy-body = Nosso serviço de SMS está sobrecarregado. Aguarde um minuto e tente novamente.
sms-failed-body = Algo deu errado ao enviar o SMS. Tente novamente daqui a pouco.
forbidden-title = Este formulário expirou
forbidden-body = Para sua segurança, só aceitamos formulários das nossas próprias páginas. Comece de novo pela primeira página.
unreadable-form-title = O formulário não chegou direito
unreadable-form-body = A página enviou algo que não conseguimos ler. Comece de novo pela primeira página.
too-slow-title = Demorou demais
too-slow-body = O formulário não chegou a tempo. Confira sua conexão e comece de novo.
too-large-title = Dados demais
too-large-body = O formulário enviou mais dados do que aceitamos. Comece de novo pela primeira página.
not-found-title = Página não encontrada
not-found-body = Não há nada neste endereço.
bad-request-title = Algo deu errado
bad-request-body = Não conseguimos processar essa solicitação. Comece de novo pela primeira página.
server-error-title = Algo deu errado do nosso lado
server-error-body = Desculpe. Tente novamente daqui a pouco.
method-not-allowed-title = Este endereço só aceita formulários
method-not-allowed-body = Este endereço só aceita formulários enviados pelas páginas de verificação.

## A sign-in link from another website that we refuse

bad-link-title = Este link de login não é válido
bad-link-unreadable = Não foi possível ler o link de login. Volte ao site de onde você veio e tente novamente.
bad-link-client-twice = O link de login indica o aplicativo duas vezes. Volte ao site de onde você veio e tente novamente.
bad-link-unknown-client = Não reconhecemos o aplicativo que trouxe você até aqui. Volte ao site de onde você veio e tente novamente.
bad-link-unregistered-redirect = O aplicativo que trouxe você até aqui pediu para levarmos você de volta a um endereço que ele não registrou. Volte ao site de onde você veio e tente novamente.

## The text message (SMS)
# It must fit one SMS segment with a 6-digit code, after which the app adds
# a blank line and "@<host> #<code>" (host up to 30 characters). If every
# character is in the GSM-7 alphabet, the whole SMS may be 160 characters
# (so this line up to 119); otherwise 70 (so this line up to 29). Put the
# code where it is easy to spot.
# "ó" is not GSM-7, so this is UCS-2: 19 characters with the code.

sms-code = Seu código é { $code }
# $app is the name of the service asking, e.g. "Acme". The colon avoids
# having to choose "do"/"da" for the app's name.
sms-code-from = { $app }: seu código é { $code }
