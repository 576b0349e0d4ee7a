//! The pages, one struct per template in `templates/`.

mod ahead;

use ahead::{CodeFormsAhead, PhoneFormsAhead, ProblemsAhead};

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n;
use crate::otp::{Alphabet, CodeFormat};
use crate::phone::{PhoneNumber, PhoneRules};
use crate::session::Session;
use crate::verification::Delivery;

pub use crate::settings::Branding;

/// What one app's pages are made with: its branding, and the pages it
/// renders ahead (made the first time each is asked for, then copied).
#[derive(Debug, Default)]
pub struct PageKit {
    pub branding: Arc<Branding>,
    phone_forms: PhoneFormsAhead,
    code_forms: CodeFormsAhead,
    problems: ProblemsAhead,
}

impl PageKit {
    pub fn new(branding: Arc<Branding>, languages: &i18n::Languages) -> Self {
        Self {
            branding,
            phone_forms: PhoneFormsAhead::new(languages),
            code_forms: CodeFormsAhead::new(languages),
            problems: ProblemsAhead::new(languages),
        }
    }
}

tokio::task_local! {
    /// The app's pages' making, while one of its requests is answered.
    static KIT: Arc<PageKit>;
}

/// Answers `request` with `kit`'s branding and pages.
pub fn branded<F: Future>(kit: Arc<PageKit>, request: F) -> impl Future<Output = F::Output> {
    KIT.scope(kit, request)
}

/// The name in every page's header and title: the operator's, else
/// "Phone verification" in the page's language.
pub fn brand_name() -> Cow<'static, str> {
    match KIT.try_with(|kit| kit.branding.name.clone()).ok().flatten() {
        Some(name) => Cow::Owned(name),
        None => i18n::t("default-brand-name"),
    }
}

/// "<strong>Acme</strong> wants to confirm your phone number."
pub fn client_asks(client: &str) -> String {
    i18n::current().html("client-asks-html", &[("client", client)])
}

/// Where the error pages send people for help, if anywhere.
pub fn support_url() -> Option<String> {
    KIT.try_with(|kit| kit.branding.support_url.as_ref().map(|u| u.to_string()))
        .ok()
        .flatten()
}

/// A response extension: the origin, besides our own, that this page's
/// forms may lead to (the website a sign-in returns to), for the
/// Content-Security-Policy's `form-action`, which browsers apply to the
/// redirects after a form too.
#[derive(Debug, Clone)]
pub struct FormTarget(pub String);

/// The origin a sign-in in `session` returns to, if any.
fn form_target(session: &Session) -> Option<FormTarget> {
    let request = session.authorization.as_ref()?;
    let url = url::Url::parse(&request.redirect_uri).ok()?;
    Some(FormTarget(url.origin().ascii_serialization()))
}

/// Bytes a page's HTML is rendered into before it needs to grow.
const PAGE_CAPACITY: usize = 4096;

/// Headers a page's response carries when it leaves (content type, cookie,
/// language, request id, the security headers, caching, HSTS).
const RESPONSE_HEADERS: usize = 12;

/// A page's HTML as a response, with room for every header it gets on its
/// way out: grown by doubling, the map would be copied several times.
fn html_response(html: String) -> Response {
    // Made at its size, not grown after: growing moves what is in it.
    let mut headers = HeaderMap::with_capacity(RESPONSE_HEADERS);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let mut response = Response::new(Body::from(html));
    *response.headers_mut() = headers;
    response
}

/// A page whose forms may lead to `target` as well as to this app.
fn with_form_target(page: &impl Template, target: Option<&FormTarget>) -> Response {
    // Room for the largest page (the code page is ~2.4 KB).
    let mut html = String::with_capacity(PAGE_CAPACITY);
    let mut response = match page.render_into(&mut html) {
        Ok(()) => html_response(html),
        Err(error) => {
            tracing::error!("a page could not be rendered: {error}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    if let Some(target) = target {
        response.extensions_mut().insert(target.clone());
    }
    response
}

/// `GET /`, and `POST /request` when the number needs fixing.
#[derive(Debug, Template)]
#[template(path = "phone_form.html")]
pub struct PhoneFormPage {
    pub csrf: String,
    /// The website this person is signing in to, if any.
    pub client: Option<String>,
    pub form_target: Option<FormTarget>,
    /// A number in the configured country's format, for the hint.
    pub example: String,
    /// What the user typed, kept when the form is shown again.
    pub typed: String,
    pub error: Option<String>,
}

impl PhoneFormPage {
    /// "For example (201) 555-0123"
    pub fn hint(&self) -> String {
        let example = i18n::left_to_right(&self.example);
        i18n::current().fill("phone-hint", &[("example", &example)])
    }

    pub fn new(session: &Session, rules: &PhoneRules) -> Self {
        let login_hint = session
            .authorization
            .as_ref()
            .and_then(|a| a.login_hint.clone());
        Self {
            csrf: session.csrf_token().to_owned(),
            client: session.client_name().map(str::to_owned),
            form_target: form_target(session),
            example: rules.default_country.example().to_owned(),
            typed: login_hint.unwrap_or_default(),
            error: None,
        }
    }
}

impl IntoResponse for PhoneFormPage {
    fn into_response(self) -> Response {
        KIT.try_with(|kit| kit.phone_forms.answer(&self))
            .ok()
            .flatten()
            .unwrap_or_else(|| with_form_target(&self, self.form_target.as_ref()))
    }
}

/// After a code is sent, and when a typed code was wrong.
#[derive(Debug, Template)]
#[template(path = "code_form.html")]
pub struct CodeFormPage {
    pub csrf: String,
    /// The website this person is signing in to, if any.
    pub client: Option<String>,
    pub form_target: Option<FormTarget>,
    pub masked_phone: String,
    /// How long the code works from now.
    pub valid_for: Duration,
    pub code_length: usize,
    /// Digits get a number pad; hex gets capitals.
    pub numeric: bool,
    /// The field's `pattern`, e.g. `[0-9]{6}`.
    pub pattern: String,
    /// Seconds until "Send the code again" will send, when there is a wait.
    pub resend_wait_secs: Option<u64>,
    /// Set when the code was just texted again.
    pub resent: bool,
    /// Said when the SMS may not have gone: what to do.
    pub notice: Option<String>,
    /// About the typed code.
    pub error: Option<String>,
    /// About "Send the code again": shown beside that button, not the code field.
    pub resend_error: Option<String>,
    /// What Telnyx has said of the SMS.
    pub delivery: Delivery,
    /// Receipts are on: the page's script asks `/verify/status` for news.
    pub watch_delivery: bool,
    /// Rendered ahead: the lead is a mark, put in per request.
    lead_is_marked: bool,
}

/// What the code page says of the SMS, when there is news.
pub fn delivery_note(delivery: Delivery) -> Option<Cow<'static, str>> {
    match delivery {
        Delivery::Delivered => Some(i18n::t("delivery-delivered")),
        Delivery::Failed => Some(i18n::t("delivery-failed")),
        Delivery::Unknown | Delivery::Sent => None,
    }
}

impl CodeFormPage {
    pub fn delivery_note(&self) -> Option<Cow<'static, str>> {
        delivery_note(self.delivery)
    }

    /// Whether there is still news to wait for.
    pub fn polls(&self) -> bool {
        self.watch_delivery && matches!(self.delivery, Delivery::Unknown | Delivery::Sent)
    }

    /// Where "Use a different number" leads: the phone form of this flow.
    pub fn phone_form(&self) -> &'static str {
        if self.client.is_some() {
            "/sign-in"
        } else {
            "/"
        }
    }

    /// "We texted a code to <strong>+1 ••• ••• 0123</strong>. It works for
    /// 10 minutes." (HTML)
    pub fn lead(&self) -> String {
        if self.lead_is_marked {
            return ahead::LEAD_MARK.to_owned();
        }
        let language = i18n::current();
        let id = if self.notice.is_some() {
            "code-lead-uncertain-html"
        } else if self.resent {
            "code-lead-resent-html"
        } else {
            "code-lead-sent-html"
        };
        let valid_for = language.duration(self.valid_for);
        let phone = i18n::left_to_right(&self.masked_phone);
        language.html(id, &[("phone", &phone), ("valid_for", &valid_for)])
    }

    /// "6-digit code"
    pub fn label(&self) -> String {
        self.about_length("code-label-digits", "code-label-characters")
    }

    /// "The 6 digits from the text"
    pub fn field_hint(&self) -> String {
        self.about_length("code-field-hint-digits", "code-field-hint-characters")
    }

    fn about_length(&self, digits: &str, characters: &str) -> String {
        let id = if self.numeric { digits } else { characters };
        i18n::current()
            .counted(id, self.code_length as u64)
            .into_owned()
    }

    /// "Didn't get it? You can have it sent again in <span>29 seconds</span>."
    /// (HTML): the page's script counts the span down.
    pub fn resend_countdown(&self) -> String {
        let secs = self.resend_wait_secs.unwrap_or_default();
        let language = i18n::current();
        // The sentence is made around a stand-in, then the duration is put
        // in its place inside the span the script updates.
        const STAND_IN: &str = "\u{E000}";
        let sentence = language.fill("resend-countdown", &[("wait", STAND_IN)]);
        let wait = language.duration(Duration::from_secs(secs));
        i18n::escape(&sentence).replace(
            STAND_IN,
            &format!(r#"<span class="countdown">{}</span>"#, i18n::escape(&wait)),
        )
    }

    pub fn new(
        session: &Session,
        phone: &PhoneNumber,
        valid_for: Duration,
        format: CodeFormat,
    ) -> Self {
        let numeric = format.alphabet == Alphabet::Digits;
        let symbols = if numeric { "[0-9]" } else { "[0-9A-Fa-f]" };
        let mut length = itoa::Buffer::new();
        let length = length.format(format.length);
        Self {
            csrf: session.csrf_token().to_owned(),
            client: session.client_name().map(str::to_owned),
            form_target: form_target(session),
            masked_phone: phone.masked(),
            valid_for,
            code_length: format.length,
            numeric,
            // `[0-9]{6}`, made without `format!` (a code page is made per
            // wrong code).
            pattern: [symbols, "{", length, "}"].concat(),
            resend_wait_secs: None,
            resent: false,
            notice: None,
            error: None,
            resend_error: None,
            delivery: Delivery::Unknown,
            watch_delivery: false,
            lead_is_marked: false,
        }
    }
}

impl IntoResponse for CodeFormPage {
    fn into_response(self) -> Response {
        KIT.try_with(|kit| kit.code_forms.answer(&self))
            .ok()
            .flatten()
            .unwrap_or_else(|| with_form_target(&self, self.form_target.as_ref()))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verified.html")]
pub struct VerifiedPage {
    pub masked_phone: String,
}

impl VerifiedPage {
    /// "<strong>+1 ••• ••• 0123</strong> is confirmed as yours." (HTML)
    pub fn body(&self) -> String {
        let phone = i18n::left_to_right(&self.masked_phone);
        i18n::current().html("verified-body-html", &[("phone", &phone)])
    }
}

/// "Still stuck? <a href=…>Get help</a>." (HTML), if there is help.
pub fn support_link() -> Option<String> {
    let url = support_url()?;
    Some(i18n::current().html("support-html", &[("url", &url)]))
}

/// Every error that is not a form to fix: what happened, what to do next.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub title: Cow<'static, str>,
    /// HTML: the message, escaped, or a markup message.
    pub message_html: Cow<'static, str>,
}

impl IntoResponse for ProblemPage {
    fn into_response(self) -> Response {
        KIT.try_with(|kit| kit.problems.answer(&self))
            .ok()
            .flatten()
            .unwrap_or_else(|| with_form_target(&self, None))
    }
}
