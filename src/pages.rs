//! The pages, one struct per template in `templates/`.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::otp::{Alphabet, CodeFormat};
use crate::phone::{PhoneNumber, PhoneRules};
use crate::session::Session;
use crate::verification::Delivery;

pub use crate::settings::Branding;

tokio::task_local! {
    /// The app's branding, while one of its requests is answered.
    static BRANDING: Arc<Branding>;
}

/// Answers `request` with `branding` on its pages.
pub fn branded<F: Future>(branding: Arc<Branding>, request: F) -> impl Future<Output = F::Output> {
    BRANDING.scope(branding, request)
}

/// The name in every page's header and title.
pub fn brand_name() -> String {
    BRANDING
        .try_with(|b| b.display_name().to_owned())
        .unwrap_or_else(|_| Branding::DEFAULT_NAME.to_owned())
}

/// Where the error pages send people for help, if anywhere.
pub fn support_url() -> Option<String> {
    BRANDING
        .try_with(|b| b.support_url.as_ref().map(|u| u.to_string()))
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

/// A page whose forms may lead to `target` as well as to this app.
fn with_form_target(page: &impl Template, target: Option<&FormTarget>) -> Response {
    let mut response = match page.render() {
        Ok(html) => Html(html).into_response(),
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
        with_form_target(&self, self.form_target.as_ref())
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
    /// "10 minutes"
    pub valid_for: String,
    pub code_length: usize,
    /// Digits get a number pad; hex gets capitals.
    pub numeric: bool,
    /// The field's `pattern`, e.g. `[0-9]{6}`.
    pub pattern: String,
    /// Seconds until "Send a new code" will send, when there is a wait.
    pub resend_wait_secs: Option<u64>,
    /// Set when the code was just texted again.
    pub resent: bool,
    /// Said when the SMS may not have gone: what to do.
    pub notice: Option<String>,
    /// About the typed code.
    pub error: Option<String>,
    /// About "Send a new code": shown beside that button, not the code field.
    pub resend_error: Option<String>,
    /// What Telnyx has said of the SMS.
    pub delivery: Delivery,
    /// Receipts are on: the page's script asks `/verify/status` for news.
    pub watch_delivery: bool,
}

/// What the code page says of the SMS, when there is news.
pub fn delivery_note(delivery: Delivery) -> Option<&'static str> {
    match delivery {
        Delivery::Delivered => Some("Delivered to your phone."),
        Delivery::Failed => Some(
            "Your carrier couldn't deliver the code. Send it again, or use a different number.",
        ),
        Delivery::Unknown | Delivery::Sent => None,
    }
}

impl CodeFormPage {
    /// Where "Use a different number" leads: the phone form of this flow.
    pub fn delivery_note(&self) -> Option<&'static str> {
        delivery_note(self.delivery)
    }

    /// Whether there is still news to wait for.
    pub fn polls(&self) -> bool {
        self.watch_delivery && matches!(self.delivery, Delivery::Unknown | Delivery::Sent)
    }

    pub fn phone_form(&self) -> &'static str {
        if self.client.is_some() {
            "/sign-in"
        } else {
            "/"
        }
    }

    pub fn new(
        session: &Session,
        phone: &PhoneNumber,
        valid_for: Duration,
        format: CodeFormat,
    ) -> Self {
        let numeric = format.alphabet == Alphabet::Digits;
        let symbols = if numeric { "[0-9]" } else { "[0-9A-Fa-f]" };
        Self {
            csrf: session.csrf_token().to_owned(),
            client: session.client_name().map(str::to_owned),
            form_target: form_target(session),
            masked_phone: phone.masked(),
            valid_for: describe_wait(valid_for),
            code_length: format.length,
            numeric,
            pattern: format!("{symbols}{{{}}}", format.length),
            resend_wait_secs: None,
            resent: false,
            notice: None,
            error: None,
            resend_error: None,
            delivery: Delivery::Unknown,
            watch_delivery: false,
        }
    }
}

impl IntoResponse for CodeFormPage {
    fn into_response(self) -> Response {
        with_form_target(&self, self.form_target.as_ref())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verified.html")]
pub struct VerifiedPage {
    pub masked_phone: String,
}

/// Every error that is not a form to fix: what happened, what to do next.
#[derive(Template, WebTemplate)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub title: &'static str,
    pub message: String,
}

/// "10 minutes", "1 minute", "45 seconds": rounded up, never "0 seconds".
pub fn describe_wait(wait: Duration) -> String {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let (n, unit) = if secs >= 120 {
        (secs.div_ceil(60), "minute")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_naturally_and_round_up() {
        let secs = Duration::from_secs;
        assert_eq!(describe_wait(secs(600)), "10 minutes");
        assert_eq!(describe_wait(secs(60)), "1 minute");
        assert_eq!(describe_wait(secs(90)), "90 seconds");
        assert_eq!(describe_wait(secs(1)), "1 second");
        assert_eq!(describe_wait(Duration::from_millis(1_500)), "2 seconds");
        assert_eq!(describe_wait(Duration::ZERO), "1 second");
        assert_eq!(describe_wait(secs(3_599)), "60 minutes");
    }
}
