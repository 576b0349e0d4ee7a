# Arabic (Modern Standard Arabic). Reference: locales/en.ftl; the rules are in
# its header comments.
#
# Terminology: code = رمز, text message = رسالة نصية, number = رقم,
# mobile number = رقم الهاتف المحمول, verify = التحقق من, confirm = تأكيد,
# check (a number, a message) = مراجعة / التأكد من.
# The person is addressed without gendered forms: requests use يُرجى + verbal
# noun, buttons and titles use verbal nouns, and only unvocalized second-person
# suffixes (ـك، أدخلت) that read the same for anyone.
# Durations sit after a preposition or as an adverb (لمدة، بعد، الانتظار), so the
# dual is written in the oblique case (ثانيتين، دقيقتين).

## About the language itself (used by the language switcher and the page)

# The language's own name for itself, as a person choosing it would look for it.
language-name = العربية
# ltr or rtl: the direction the pages are laid out in.
language-direction = rtl
# The switcher's label, for screen readers.
language-switcher = اللغة

## Every page

# The name in the header when the operator has not set one.
default-brand-name = التحقق من رقم الهاتف
# A button's label while its form is being sent.
sending = جارٍ الإرسال…

## Durations, as they read inside a sentence ("It works for 10 minutes.")

duration-seconds = { $count ->
    [zero] { $count } ثانية
    [one] ثانية واحدة
    [two] ثانيتين
    [few] { $count } ثوانٍ
    [many] { $count } ثانية
   *[other] { $count } ثانية
}
duration-minutes = { $count ->
    [zero] { $count } دقيقة
    [one] دقيقة واحدة
    [two] دقيقتين
    [few] { $count } دقائق
    [many] { $count } دقيقة
   *[other] { $count } دقيقة
}

## The phone form (GET /)

phone-title = التحقق من رقم هاتفك
phone-lead = سنرسل إليك رمزًا برسالة نصية للتأكد من أن هذا الرقم يخصّك.
phone-label = رقم الهاتف المحمول
# $example is a phone number, e.g. "(201) 555-0123".
phone-hint = مثال: { $example }
phone-submit = إرسال رمز برسالة نصية
# Shown during a sign-in for another website; $client is that website's name.
client-asks-html = يطلب <strong>{ $client }</strong> تأكيد رقم هاتفك.
cancel-sign-in = الإلغاء والعودة

## What is wrong with a typed number (shown under the phone field)

phone-empty = يُرجى إدخال رقم هاتفك.
phone-not-a-number = لا يبدو هذا رقم هاتف. يُرجى مراجعة الرقم والمحاولة مرة أخرى.
# $region is a country's name ("Guernsey (+44)"), $allowed a list of them
# ("United States and Canada"), made by the app in this language.
phone-country-not-allowed = لا يمكننا إرسال رموز إلى الأرقام في { $region }. يمكننا إرسال رسائل نصية إلى الأرقام في { $allowed }.
# Said instead when the number belongs to no single country (e.g. +800).
phone-no-country-not-allowed = لا يمكننا إرسال رموز إلى أرقام الخدمات الدولية. يمكننا إرسال رسائل نصية إلى الأرقام في { $allowed }.
# Said when any country is allowed but the number belongs to none.
phone-no-country = لا يمكننا إرسال رموز إلى أرقام الخدمات الدولية. يُرجى استخدام رقم هاتفك المحمول.
phone-service-number = لا يمكننا إرسال رموز إلى الأرقام ذات التعرفة المرتفعة أو أرقام التكلفة المشتركة أو الأرقام المجانية أو غيرها من أرقام الخدمات. يُرجى استخدام رقم هاتفك المحمول.
phone-not-textable = لا يمكن لهذا الرقم استقبال الرسائل النصية. يُرجى استخدام رقم هاتفك المحمول.
# Telnyx refused the number when we tried to text it.
phone-cannot-take-texts = لا يمكننا إرسال رسالة نصية إلى هذا الرقم، فقد يكون رقم هاتف أرضي أو رقمًا لا يستقبل الرسائل النصية. يُرجى مراجعته أو استخدام رقم هاتف محمول.

## The code page (GET /verify)

code-title = إدخال الرمز
# $phone is the number with all but its last digits hidden, $valid_for a duration.
code-lead-sent-html = أرسلنا رمزًا برسالة نصية إلى <strong>{ $phone }</strong>. الرمز صالح لمدة { $valid_for }.
code-lead-resent-html = أعدنا إرسال الرمز برسالة نصية إلى <strong>{ $phone }</strong>. الرمز صالح لمدة { $valid_for }.
code-lead-uncertain-html = حاولنا إرسال رمز برسالة نصية إلى <strong>{ $phone }</strong>. الرمز صالح لمدة { $valid_for }.
# When Telnyx did not answer: $wait is a duration.
code-uncertain = ربما لم تصل رسالتنا إلى هاتفك. إذا وصلك رمز، فيُرجى إدخاله؛ وإلا فيمكنك طلب إعادة إرساله بعد { $wait }.
# As code-uncertain, when the code can be asked for again at once.
code-uncertain-now = ربما لم تصل رسالتنا إلى هاتفك. إذا وصلك رمز، فيُرجى إدخاله؛ وإلا فيمكنك الآن طلب إعادة إرساله.
# The code field's label: $length is how many digits (or characters) it has.
code-label-digits = { $length ->
    [many] رمز مكوّن من { $length } رقمًا
   *[other] رمز مكوّن من { $length } أرقام
}
code-label-characters = { $length ->
    [many] رمز مكوّن من { $length } حرفًا
   *[other] رمز مكوّن من { $length } أحرف
}
# The tooltip of the code field.
code-field-hint-digits = الأرقام الواردة في الرسالة النصية، وعددها { $length }
code-field-hint-characters = الأحرف الواردة في الرسالة النصية، وعددها { $length }
code-submit = التحقق
code-wrong = { $tries ->
    [zero] هذا الرمز غير صحيح، ولم تتبقَّ أي محاولة.
    [one] هذا الرمز غير صحيح. يُرجى مراجعة الرسالة النصية والمحاولة مرة أخرى (تبقّت محاولة واحدة).
    [two] هذا الرمز غير صحيح. يُرجى مراجعة الرسالة النصية والمحاولة مرة أخرى (تبقّت محاولتان).
    [few] هذا الرمز غير صحيح. يُرجى مراجعة الرسالة النصية والمحاولة مرة أخرى (تبقّت { $tries } محاولات).
    [many] هذا الرمز غير صحيح. يُرجى مراجعة الرسالة النصية والمحاولة مرة أخرى (تبقّت { $tries } محاولة).
   *[other] هذا الرمز غير صحيح. يُرجى مراجعة الرسالة النصية والمحاولة مرة أخرى (تبقّت { $tries } محاولة).
}
code-malformed-digits = { $length ->
    [many] يُرجى إدخال الرمز المكوّن من { $length } رقمًا الوارد في الرسالة النصية.
   *[other] يُرجى إدخال الرمز المكوّن من { $length } أرقام الوارد في الرسالة النصية.
}
code-malformed-characters = { $length ->
    [many] يُرجى إدخال الرمز المكوّن من { $length } حرفًا الوارد في الرسالة النصية.
   *[other] يُرجى إدخال الرمز المكوّن من { $length } أحرف الوارد في الرسالة النصية.
}
# "إعادة إرسال الرمز" ("Send the code again") texts the SAME code once more
# (the code is not replaced). $wait is a duration; the page's script counts
# it down.
resend-countdown = ألم يصلك الرمز؟ يمكنك طلب إعادة إرساله بعد { $wait }.
resend-ready = ألم يصلك الرمز؟ يمكنك الآن طلب إعادة إرساله.
resend-offer = ألم يصلك الرمز؟ يمكننا إعادة إرساله.
resend-submit = إعادة إرسال الرمز
use-another-number = استخدام رقم آخر
delivery-delivered = تم تسليم الرسالة إلى هاتفك.
delivery-failed = تعذّر على مشغّل شبكة هاتفك تسليم الرمز. يمكنك إعادة إرساله أو استخدام رقم آخر.

## Waits (shown beside the form that was refused, or on their own page)

wait-title = يُرجى الانتظار
wait-resend-cooldown = أرسلنا للتو رمزًا إلى هذا الرقم. يُرجى الانتظار لمدة { $wait } قبل طلبه مرة أخرى.
wait-sends-per-phone = أرسلنا إلى هذا الرقم الحد الأقصى من الرموز المسموح به حاليًا. يُرجى المحاولة مرة أخرى بعد { $wait }.
wait-sends-per-network = طُلب عدد كبير جدًا من الرموز من شبكتك. يُرجى المحاولة مرة أخرى بعد { $wait }.
wait-failures-per-network = أُدخل عدد كبير جدًا من الرموز الخاطئة من شبكتك. يُرجى المحاولة مرة أخرى بعد { $wait }.
wait-sends = طُلب عدد كبير جدًا من الرموز. يُرجى المحاولة مرة أخرى بعد { $wait }.

## The verified page (GET /verified)

verified-title = تم التحقق من رقم الهاتف
verified-body-html = تأكّدنا من أن الرقم <strong>{ $phone }</strong> يخصّك. اكتملت العملية.
verify-another = التحقق من رقم آخر

## Error pages: a title, then what happened and what to do

start-again = البدء من جديد
support-html = هل ما زالت المشكلة قائمة؟ <a href="{ $url }">الحصول على المساعدة</a>.

no-code-title = لا يوجد رمز للتحقق منه
no-code-body = لم يطلب هذا المتصفح رمزًا، أو طلبه منذ وقت طويل. يُرجى البدء من جديد للحصول على رمز جديد.
expired-title = انتهت صلاحية هذا الرمز
expired-body = الرموز صالحة لفترة قصيرة فقط. يُرجى البدء من جديد للحصول على رمز جديد.
used-title = سبق استخدام هذا الرمز
used-body = يصلح كل رمز لمرة واحدة فقط، وقد استُخدم هذا الرمز للتحقق من رقمه. للتحقق من رقم مرة أخرى، يُرجى البدء من جديد.
already-verified-title = تم التحقق من هذا الرقم مسبقًا
already-verified-body-html = سبق أن تأكّدنا بالرمز الذي أدخلته من أن الرقم <strong>{ $phone }</strong> يخصّك، ولا حاجة إلى أي إجراء آخر. للتحقق من رقم آخر، يُرجى البدء من جديد.
locked-title = أُدخل عدد كبير جدًا من الرموز الخاطئة
locked-body = حفاظًا على أمانك، لم يعد هذا الرمز صالحًا. يُرجى البدء من جديد للحصول على رمز جديد.
busy-title = نواجه ضغطًا كبيرًا حاليًا
busy-body = يحاول عدد كبير جدًا من الأشخاص التحقق في الوقت نفسه. يُرجى المحاولة مرة أخرى بعد بضع دقائق.
saturated-title = نرسل عددًا كبيرًا جدًا من الرموز حاليًا
saturated-body = بلغنا الحد الأقصى لعدد الرسائل النصية التي نرسلها في الساعة، ولم يُرسَل أي رمز. يُرجى المحاولة مرة أخرى بعد { $wait }.
blocked-title = لا يمكننا إرسال رسائل نصية إلى هذا الرقم حاليًا
blocked-body = لم يُستخدم كثير من الرموز المرسلة إلى أرقام مشابهة لهذا الرقم، لذا أوقفنا الإرسال إليها مؤقتًا، ولم يُرسَل أي رمز. يُرجى المحاولة مرة أخرى بعد { $wait }.
store-down-title = لا يمكننا التحقق من الأرقام حاليًا
store-down-body = أحد مكوّنات نظامنا غير متاح مؤقتًا، ولم يُرسَل أي رمز ولم يُتحقَّق من أي رمز. يُرجى المحاولة مرة أخرى بعد دقيقة.
sms-failed-title = تعذّر إرسال الرمز
sms-busy-body = خدمة الرسائل النصية لدينا مشغولة. يُرجى الانتظار دقيقة ثم المحاولة مرة أخرى.
sms-failed-body = حدث خطأ أثناء إرسال الرسالة النصية. يُرجى المحاولة مرة أخرى بعد قليل.
forbidden-title = انتهت صلاحية هذا النموذج
forbidden-body = حفاظًا على أمانك، لا نقبل إلا النماذج المرسلة من صفحاتنا. يُرجى البدء من جديد من الصفحة الأولى.
unreadable-form-title = لم يصل النموذج كما ينبغي
unreadable-form-body = أرسلت الصفحة بيانات لم نتمكن من قراءتها. يُرجى البدء من جديد من الصفحة الأولى.
too-slow-title = استغرق الأمر وقتًا طويلًا جدًا
too-slow-body = لم يصل النموذج في الوقت المحدد. يُرجى التأكد من اتصالك بالإنترنت ثم البدء من جديد.
too-large-title = البيانات المرسلة كبيرة جدًا
too-large-body = أرسل النموذج بيانات أكثر مما نقبله. يُرجى البدء من جديد من الصفحة الأولى.
not-found-title = الصفحة غير موجودة
not-found-body = لا يوجد شيء على هذا العنوان.
bad-request-title = حدث خطأ ما
bad-request-body = تعذّر علينا معالجة هذا الطلب. يُرجى البدء من جديد من الصفحة الأولى.
server-error-title = حدث خطأ ما من جهتنا
server-error-body = نعتذر عن ذلك. يُرجى المحاولة مرة أخرى بعد قليل.
method-not-allowed-title = هذا العنوان يقبل النماذج فقط
method-not-allowed-body = لا يقبل هذا العنوان إلا نموذجًا مرسلًا من صفحات التحقق.

## A sign-in link from another website that we refuse

bad-link-title = رابط تسجيل الدخول هذا غير صالح
bad-link-unreadable = تتعذّر قراءة رابط تسجيل الدخول. يُرجى العودة إلى الموقع الذي جئت منه والمحاولة مرة أخرى.
bad-link-client-twice = يذكر رابط تسجيل الدخول اسم التطبيق مرتين. يُرجى العودة إلى الموقع الذي جئت منه والمحاولة مرة أخرى.
bad-link-unknown-client = التطبيق الذي أرسلك إلى هنا غير معروف لدينا. يُرجى العودة إلى الموقع الذي جئت منه والمحاولة مرة أخرى.
bad-link-unregistered-redirect = طلب منا التطبيق الذي أرسلك إلى هنا إعادتك إلى عنوان لم يسجّله لدينا. يُرجى العودة إلى الموقع الذي جئت منه والمحاولة مرة أخرى.

## The text message (SMS)
# It must fit one SMS segment with a 6-digit code, after which the app adds
# a blank line and "@<host> #<code>" (host up to 30 characters). If every
# character is in the GSM-7 alphabet, the whole SMS may be 160 characters
# (so this line up to 119); otherwise 70 (so this line up to 29). Put the
# code where it is easy to spot.

sms-code = رمز التحقق: { $code }
# $app is the name of the service asking, e.g. "Acme".
sms-code-from = رمز التحقق في { $app }: { $code }
