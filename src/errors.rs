//! The one place where errors become pages.
//!
//! Handlers and extractors return `AppError` for everything that is not the
//! happy path. A user's mistake re-shows its form with a message and a 4xx;
//! a limit gives a 429 that says how long to wait; trouble with Telnyx gives a
//! 502 (503 when Telnyx asks us to slow down). Responses that leave a layer
//! without a page (a CSRF refusal, a timeout) get one from `status_page`.

use std::time::Duration;

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::limits::{LimitHit, LimitKind};
use crate::pages::{CodeFormPage, PhoneFormPage, ProblemPage, describe_wait};
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
    #[error("unreadable body: {0}")]
    BadBody(#[from] BytesRejection),
    #[error("client too slow sending its body")]
    ClientTooSlow,
    #[error("form fields missing or malformed")]
    BadForm,
    #[error("no such page")]
    NotFound,
    #[error("an X-Forwarded-For entry is not an address")]
    BadForwardedFor,
    #[error("sign-in request refused: {0}")]
    BadSignInLink(&'static str),
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
            VerifyError::Ended(Ended::Expired) => AppError::Expired,
            VerifyError::Ended(Ended::Used) => AppError::AlreadyUsed,
            VerifyError::Ended(Ended::Locked) => AppError::Locked,
            VerifyError::Ended(Ended::Missing) | VerifyError::NotCustomCode => {
                AppError::NoVerification
            }
            VerifyError::Store(unavailable) => AppError::StoreUnavailable(unavailable),
            VerifyError::Sms(error) => AppError::SmsFailed(error),
        }
    }
}

fn problem(status: StatusCode, title: &'static str, message: impl Into<String>) -> Response {
    let page = ProblemPage {
        title,
        message: message.into(),
    };
    (status, page).into_response()
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
    let wait = describe_wait(hit.retry_after);
    match hit.kind {
        LimitKind::ResendCooldown => {
            format!("We just sent a code to this number. Wait {wait} before asking for another.")
        }
        LimitKind::SendsPerPhone => {
            format!("We've sent this number as many codes as we can for now. Try again in {wait}.")
        }
        LimitKind::SendsPerAddress | LimitKind::SendsPerNetwork => {
            format!("Too many codes have been asked for from your network. Try again in {wait}.")
        }
        LimitKind::VerifyFailuresPerAddress => {
            format!("Too many wrong codes have been typed from your network. Try again in {wait}.")
        }
        // The pages never ask with an API key.
        LimitKind::SendsPerApiKey | LimitKind::VerifyFailuresPerApiKey | LimitKind::SmsPerHour => {
            format!("Too many codes have been asked for. Try again in {wait}.")
        }
    }
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
        StatusCode::PAYLOAD_TOO_LARGE => problem(
            status,
            "That was too much",
            "The form sent more than we accept. Start again from the first page.",
        ),
        _ if status.is_client_error() => problem(
            status,
            "Something went wrong",
            "We couldn't handle that request. Start again from the first page.",
        ),
        _ => problem(
            status,
            "Something went wrong on our side",
            "We're sorry: please try again in a moment.",
        ),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Refusals a flood repeats are logged at debug; those that happen once
        // per verification, or need an operator, above it.
        match &self {
            AppError::SmsFailed(SmsError::Misconfigured { .. }) => {
                tracing::error!("TELNYX CONFIGURATION PROBLEM: {self}");
            }
            AppError::SmsFailed(_) => tracing::error!("{self}"),
            AppError::Busy => tracing::warn!("{self}: refusing new verifications"),
            AppError::Saturated { .. } | AppError::Blocked { .. } => {
                tracing::debug!("refused: {self}")
            }
            AppError::StoreUnavailable(_) => tracing::error!("{self}: failing closed"),
            AppError::AlreadyUsed | AppError::Locked => tracing::info!("refused: {self}"),
            _ => tracing::debug!("refused: {self}"),
        }
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match self {
            AppError::InvalidPhone(page) => (unprocessable, *page).into_response(),
            AppError::WrongCode {
                mut code_page,
                tries_left,
            } => {
                let tries = if tries_left == 1 { "try" } else { "tries" };
                code_page.error = Some(format!(
                    "That code isn't right. Check the text and try again ({tries_left} {tries} left)."
                ));
                (unprocessable, *code_page).into_response()
            }
            AppError::MalformedCode {
                mut code_page,
                length,
            } => {
                let symbols = if code_page.numeric {
                    "digit"
                } else {
                    "character"
                };
                code_page.error = Some(format!(
                    "Enter the {length}-{symbols} code from the text message."
                ));
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
                    None => problem(status, "Please wait", wait_message(&hit)),
                };
                with_retry_after(response, hit.retry_after)
            }
            AppError::NoVerification => problem(
                StatusCode::BAD_REQUEST,
                "No code to check",
                "This browser hasn't asked for a code, or it was asked for too long ago. Start again to get a new one.",
            ),
            AppError::Expired => problem(
                StatusCode::GONE,
                "This code has expired",
                "Codes only work for a short time. Start again to get a new one.",
            ),
            AppError::AlreadyUsed => problem(
                StatusCode::GONE,
                "This code was already used",
                "Each code works once, and this one has verified its number. Start again to verify a number again.",
            ),
            AppError::AlreadyVerified { masked_phone } => problem(
                StatusCode::CONFLICT,
                "This number is already verified",
                format!(
                    "{masked_phone} is already confirmed as yours, with the code you typed; nothing more is needed. To verify another number, start again."
                ),
            ),
            AppError::Locked => problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many wrong codes",
                "For your security this code no longer works. Start again to get a new one.",
            ),
            AppError::Busy => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "We're very busy",
                "Too many people are verifying right now. Please try again in a few minutes.",
            ),
            AppError::Saturated { retry_after } => with_retry_after(
                problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "We're sending too many codes right now",
                    format!(
                        "We've reached the most text messages we send in an hour. No code was sent. Please try again in {}.",
                        describe_wait(retry_after)
                    ),
                ),
                retry_after,
            ),
            AppError::Blocked { retry_after, .. } => with_retry_after(
                problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "We can't text this number right now",
                    format!(
                        "Many codes sent to numbers like this one were never used, so we've paused sending to them. No code was sent. Please try again in {}.",
                        describe_wait(retry_after)
                    ),
                ),
                retry_after,
            ),
            AppError::StoreUnavailable(_) => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "We can't verify numbers right now",
                "Something on our side is briefly unavailable. No code was sent or checked. Please try again in a minute.",
            ),
            AppError::SmsFailed(SmsError::RateLimited) => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "We couldn't send your code",
                "Our text message service is busy. Wait a minute, then try again.",
            ),
            AppError::SmsFailed(_) => problem(
                StatusCode::BAD_GATEWAY,
                "We couldn't send your code",
                "Something went wrong sending the text message. Please try again in a moment.",
            ),
            AppError::Forbidden => problem(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your security we only accept forms from our own pages. Start again from the first page.",
            ),
            AppError::NotAForm => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "That form didn't come through",
                "The page sent something we couldn't read. Start again from the first page.",
            ),
            AppError::BadBody(rejection) => status_page(rejection.status()),
            AppError::ClientTooSlow => problem(
                StatusCode::REQUEST_TIMEOUT,
                "That took too long",
                "The form didn't arrive in time. Check your connection and start again.",
            ),
            AppError::BadForm => problem(
                unprocessable,
                "That form didn't come through",
                "The page sent something we couldn't read. Start again from the first page.",
            ),
            AppError::NotFound => problem(
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address.",
            ),
            AppError::BadForwardedFor => problem(
                StatusCode::BAD_REQUEST,
                "Something went wrong",
                "We couldn't handle that request. Start again from the first page.",
            ),
            AppError::BadSignInLink(why) => problem(
                StatusCode::BAD_REQUEST,
                "This sign-in link isn't valid",
                format!("{why} Go back to the website you came from and try again."),
            ),
            AppError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "This address takes forms only",
                "This address only takes a form from the verification pages.",
            ),
        }
    }
}
