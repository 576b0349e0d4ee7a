//! The one place where errors become pages.
//!
//! Handlers and extractors return `AppError` for everything that is not the
//! happy path. A user's mistake re-shows its form with a message and a 4xx;
//! a limit gives a 429 that says how long to wait; trouble with Telnyx gives a
//! 502 (503 when Telnyx asks us to slow down). Responses that leave a layer
//! without a page (a CSRF refusal, a timeout) get one from `status_page`.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::body::BodyProblem;
use crate::i18n::{self, args};
use crate::limits::{LimitHit, LimitKind};
use crate::oidc::BadLink;
use crate::ops::Answered;
use crate::pages::{CodeFormPage, PhoneFormPage, ProblemPage};
use crate::sms::SmsError;
use crate::store::StoreUnavailable;
use crate::verification::Ended;
use crate::verifier::VerifyError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid phone number: {}", .0.error.as_deref().unwrap_or_default())]
    // Pages are boxed: every handler's `Result` carries an `AppError`, and a
    // small one is cheaper to move around on the happy path.
    InvalidPhone(Box<PhoneFormPage>),
    #[error("wrong code, {tries_left} tries left")]
    WrongCode {
        code_page: Box<CodeFormPage>,
        tries_left: u32,
    },
    #[error("malformed code")]
    MalformedCode {
        code_page: Box<CodeFormPage>,
        length: usize,
    },
    #[error("no verification in progress in this browser")]
    NoVerification,
    #[error("verification expired")]
    Expired,
    #[error("verification already used")]
    AlreadyUsed,
    #[error("the number was verified already")]
    AlreadyVerified { masked_phone: String },
    #[error("too many wrong codes for this verification")]
    Locked,
    #[error("limit reached: {:?}, retry in {:?}", .hit.kind, .hit.retry_after)]
    TooManyRequests {
        hit: LimitHit,
        /// The form the person was on, shown again with the wait.
        form: Option<LimitedForm>,
    },
    #[error("too many pending verifications")]
    Busy,
    #[error("the service-wide SMS limit is reached")]
    Saturated { retry_after: Duration },
    #[error("pumping breaker: {destination} blocked")]
    Blocked {
        destination: String,
        retry_after: Duration,
    },
    #[error("{0}")]
    StoreUnavailable(#[from] StoreUnavailable),
    #[error("SMS not sent: {0}")]
    SmsFailed(#[from] SmsError),
    #[error("missing or wrong anti-CSRF token")]
    Forbidden,
    #[error("body is not a form")]
    NotAForm,
    #[error("body not read whole: {0:?}")]
    BadBody(BodyProblem),
    #[error("client too slow sending its body")]
    ClientTooSlow,
    #[error("form fields missing or malformed")]
    BadForm,
    #[error("no such page")]
    NotFound,
    #[error("an X-Forwarded-For entry is not an address")]
    BadForwardedFor,
    #[error("sign-in request refused: {0:?}")]
    BadSignInLink(BadLink),
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl From<VerifyError> for AppError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Limited(hit) if hit.kind == LimitKind::SmsPerHour => AppError::Saturated {
                retry_after: hit.retry_after,
            },
            VerifyError::Limited(hit) => AppError::TooManyRequests { hit, form: None },
            VerifyError::Blocked {
                destination,
                retry_after,
            } => AppError::Blocked {
                destination,
                retry_after,
            },
            VerifyError::Busy => AppError::Busy,
            VerifyError::Ended(Ended::Expired, _) => AppError::Expired,
            VerifyError::Ended(Ended::Used, _) => AppError::AlreadyUsed,
            VerifyError::Ended(Ended::Locked, _) => AppError::Locked,
            VerifyError::Ended(Ended::Missing, _) | VerifyError::NotCustomCode => {
                AppError::NoVerification
            }
            VerifyError::Store(unavailable) => AppError::StoreUnavailable(unavailable),
            VerifyError::Sms(error) => AppError::SmsFailed(error),
        }
    }
}

/// A page with a title and a message, each a message id of `locales/`.
fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    let language = i18n::current();
    problem_html(status, title, i18n::escaped(language.text(message)))
}

/// A page with a title (a message id) and a message already worded.
fn problem_saying(status: StatusCode, title: &str, message: String) -> Response {
    problem_html(status, title, i18n::escaped(message.into()))
}

/// A page with a title (a message id) and a message in HTML.
fn problem_html(status: StatusCode, title: &str, message_html: Cow<'static, str>) -> Response {
    let page = ProblemPage {
        title: i18n::current().text(title),
        message_html,
    };
    (status, page).into_response()
}

/// A message that says how long to wait.
fn saying_wait(id: &str, wait: Duration) -> String {
    let language = i18n::current();
    let wait = language.duration(wait);
    language.text_with(id, &args([("wait", wait.into())]))
}

fn with_retry_after(mut response: Response, wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The sentence a 429 page shows.
fn wait_message(hit: &LimitHit) -> String {
    let id = match hit.kind {
        LimitKind::ResendCooldown => "wait-resend-cooldown",
        LimitKind::SendsPerPhone => "wait-sends-per-phone",
        LimitKind::SendsPerAddress | LimitKind::SendsPerNetwork => "wait-sends-per-network",
        LimitKind::VerifyFailuresPerAddress => "wait-failures-per-network",
        // The pages never ask with an API key.
        LimitKind::SendsPerApiKey | LimitKind::VerifyFailuresPerApiKey | LimitKind::SmsPerHour => {
            "wait-sends"
        }
    };
    saying_wait(id, hit.retry_after)
}

/// The form a limited person was on: shown again, with the wait.
#[derive(Debug)]
pub enum LimitedForm {
    Phone(Box<PhoneFormPage>),
    Code(Box<CodeFormPage>),
}

/// A page for a response that has only a status, e.g. from a middleware.
pub fn status_page(status: StatusCode) -> Response {
    match status {
        StatusCode::FORBIDDEN => AppError::Forbidden.into_response(),
        StatusCode::NOT_FOUND => AppError::NotFound.into_response(),
        StatusCode::REQUEST_TIMEOUT => AppError::ClientTooSlow.into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => problem(status, "too-large-title", "too-large-body"),
        _ if status.is_client_error() => problem(status, "bad-request-title", "bad-request-body"),
        _ => problem(status, "server-error-title", "server-error-body"),
    }
}

/// `response`, or a page in its place if it failed without one: pages, and
/// the JSON errors of the OpenID Connect and API faces, are answers
/// already; anything else that failed (a layer's bare status) gets a page.
pub fn status_page_if_needed(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let answered = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if answered || response.extensions().get::<Answered>().is_some() {
        response
    } else {
        status_page(status)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Refusals a flood repeats are logged at debug (a verification's
        // lock is logged once, by the Verifier, when it happens); what needs
        // an operator above it.
        match &self {
            AppError::SmsFailed(SmsError::Misconfigured { .. }) => {
                tracing::error!("TELNYX CONFIGURATION PROBLEM: {self}");
            }
            AppError::SmsFailed(_) => tracing::error!("{self}"),
            AppError::Busy => tracing::warn!("{self}: refusing new verifications"),
            AppError::StoreUnavailable(_) => tracing::error!("{self}: failing closed"),
            _ => tracing::debug!("refused: {self}"),
        }
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        let language = i18n::current();
        match self {
            AppError::InvalidPhone(page) => (unprocessable, *page).into_response(),
            AppError::WrongCode {
                mut code_page,
                tries_left,
            } => {
                code_page.error = Some(
                    language
                        .counted("code-wrong", u64::from(tries_left))
                        .into_owned(),
                );
                (unprocessable, *code_page).into_response()
            }
            AppError::MalformedCode {
                mut code_page,
                length,
            } => {
                let id = if code_page.numeric {
                    "code-malformed-digits"
                } else {
                    "code-malformed-characters"
                };
                code_page.error = Some(language.counted(id, length as u64).into_owned());
                (unprocessable, *code_page).into_response()
            }
            AppError::TooManyRequests { hit, form } => {
                let status = StatusCode::TOO_MANY_REQUESTS;
                let response = match form {
                    Some(LimitedForm::Code(mut page)) => {
                        page.resend_error = Some(wait_message(&hit));
                        if hit.kind == LimitKind::ResendCooldown {
                            page.resend_wait_secs =
                                Some(hit.retry_after.as_secs_f64().ceil() as u64);
                        }
                        (status, *page).into_response()
                    }
                    Some(LimitedForm::Phone(mut page)) => {
                        page.error = Some(wait_message(&hit));
                        (status, *page).into_response()
                    }
                    None => problem_saying(status, "wait-title", wait_message(&hit)),
                };
                with_retry_after(response, hit.retry_after)
            }
            AppError::NoVerification => {
                problem(StatusCode::BAD_REQUEST, "no-code-title", "no-code-body")
            }
            AppError::Expired => problem(StatusCode::GONE, "expired-title", "expired-body"),
            AppError::AlreadyUsed => problem(StatusCode::GONE, "used-title", "used-body"),
            AppError::AlreadyVerified { masked_phone } => problem_html(
                StatusCode::CONFLICT,
                "already-verified-title",
                language
                    .html(
                        "already-verified-body-html",
                        &[("phone", &i18n::left_to_right(&masked_phone))],
                    )
                    .into(),
            ),
            AppError::Locked => {
                problem(StatusCode::TOO_MANY_REQUESTS, "locked-title", "locked-body")
            }
            AppError::Busy => problem(StatusCode::SERVICE_UNAVAILABLE, "busy-title", "busy-body"),
            AppError::Saturated { retry_after } => with_retry_after(
                problem_saying(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "saturated-title",
                    saying_wait("saturated-body", retry_after),
                ),
                retry_after,
            ),
            AppError::Blocked { retry_after, .. } => with_retry_after(
                problem_saying(
                    StatusCode::TOO_MANY_REQUESTS,
                    "blocked-title",
                    saying_wait("blocked-body", retry_after),
                ),
                retry_after,
            ),
            AppError::StoreUnavailable(_) => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "store-down-title",
                "store-down-body",
            ),
            AppError::SmsFailed(SmsError::RateLimited) => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "sms-failed-title",
                "sms-busy-body",
            ),
            AppError::SmsFailed(_) => problem(
                StatusCode::BAD_GATEWAY,
                "sms-failed-title",
                "sms-failed-body",
            ),
            AppError::Forbidden => {
                problem(StatusCode::FORBIDDEN, "forbidden-title", "forbidden-body")
            }
            AppError::NotAForm => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unreadable-form-title",
                "unreadable-form-body",
            ),
            AppError::BadBody(problem) => status_page(problem.status()),
            AppError::ClientTooSlow => problem(
                StatusCode::REQUEST_TIMEOUT,
                "too-slow-title",
                "too-slow-body",
            ),
            AppError::BadForm => problem(
                unprocessable,
                "unreadable-form-title",
                "unreadable-form-body",
            ),
            AppError::NotFound => {
                problem(StatusCode::NOT_FOUND, "not-found-title", "not-found-body")
            }
            AppError::BadForwardedFor => problem(
                StatusCode::BAD_REQUEST,
                "bad-request-title",
                "bad-request-body",
            ),
            AppError::BadSignInLink(why) => {
                problem(StatusCode::BAD_REQUEST, "bad-link-title", why.message_id())
            }
            AppError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed-title",
                "method-not-allowed-body",
            ),
        }
    }
}
