//! The one place where the Verify API's errors become responses, in
//! Telnyx's shape: `{"errors": [{"code", "title", "detail", "source":
//! {"pointer"}}]}`, with Telnyx's codes (strings) and the status carrying
//! the class, which is what Telnyx's SDKs turn into their exception types.
//!
//! Telnyx's SDKs retry 408, 409, 429 and 5xx answers up to twice, POSTs
//! included, without an idempotency key. An answer after which a retry
//! could text a second code, or cannot help, says `x-should-retry: false`.

use std::time::Duration;

use super::models::{ErrorEntry, ErrorSource, Errors};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::limits::LimitHit;
use crate::phone::PhoneError;
use crate::routes::MAX_BODY_BYTES;
use crate::sms::SmsError;
use crate::verifier::VerifyError;

/// Telnyx's SDKs honour a `Retry-After` of at most this; a longer wait
/// means "do not retry now".
const SDK_RETRY_CEILING: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or unknown API key")]
    Unauthorized,
    #[error("not found")]
    NotFound { pointer: Option<&'static str> },
    #[error("the body is not a JSON object")]
    BadRequest(&'static str),
    #[error("the body is over the size limit")]
    TooLarge,
    #[error("the body did not arrive in time")]
    TooSlow,
    #[error("{pointer}: {detail}")]
    Invalid {
        pointer: &'static str,
        code: &'static str,
        title: &'static str,
        detail: String,
    },
    #[error("limit reached: {:?}", .0.kind)]
    Limited(LimitHit),
    #[error("too many pending verifications")]
    Busy,
    #[error("the service-wide SMS limit is reached")]
    Saturated(Duration),
    #[error("the pumping breaker blocks this number's destination")]
    Blocked(Duration),
    #[error("{0}")]
    Unavailable(VerifyError),
    #[error("SMS not sent: {0}")]
    Sms(SmsError),
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    /// A field that is missing.
    pub fn missing(pointer: &'static str) -> Self {
        ApiError::Invalid {
            pointer,
            code: "10004",
            title: "Missing required parameter",
            detail: format!("{} is required.", &pointer[1..]),
        }
    }

    /// A field that cannot be used, and why.
    pub fn invalid(pointer: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Invalid {
            pointer,
            code: "10015",
            title: "Bad Request",
            detail: detail.into(),
        }
    }

    /// A phone number we will not text, and why.
    pub fn phone(problem: PhoneError) -> Self {
        ApiError::Invalid {
            pointer: "/phone_number",
            code: "10002",
            title: "Invalid phone number",
            detail: problem.to_string(),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Limited(hit) if hit.kind == crate::limits::LimitKind::SmsPerHour => {
                ApiError::Saturated(hit.retry_after)
            }
            VerifyError::Limited(hit) => ApiError::Limited(hit),
            VerifyError::Blocked { retry_after, .. } => ApiError::Blocked(retry_after),
            VerifyError::Busy => ApiError::Busy,
            VerifyError::Sms(error) => ApiError::Sms(error),
            VerifyError::NotCustomCode => ApiError::invalid(
                "/status",
                "status can be reported only for a verification with a custom_code.",
            ),
            VerifyError::Ended(..) => ApiError::NotFound { pointer: None },
            other @ VerifyError::Store(_) => ApiError::Unavailable(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Sms(_) | ApiError::Unavailable(_) => tracing::error!("API: {self}"),
            ApiError::Busy => tracing::warn!("API: {self}: refusing new verifications"),
            _ => tracing::debug!("API refused: {self}"),
        }
        let mut retry = true;
        let mut retry_after = None;
        let (status, code, title, detail, pointer) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "10009",
                "Authentication failed",
                "The required authentication headers were either invalid or not included in the request.".to_owned(),
                None,
            ),
            ApiError::NotFound { pointer } => (
                StatusCode::NOT_FOUND,
                "10005",
                "Resource not found",
                "The requested resource or URL could not be found.".to_owned(),
                pointer,
            ),
            ApiError::BadRequest(why) => (StatusCode::BAD_REQUEST, "10015", "Bad Request", why.to_owned(), None),
            ApiError::TooSlow => (
                StatusCode::REQUEST_TIMEOUT,
                "10015",
                "Bad Request",
                "The body did not arrive in time.".to_owned(),
                None,
            ),
            ApiError::TooLarge => {
                // Sent again, it would be refused again.
                retry = false;
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "10015",
                    "Bad Request",
                    format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
                    None,
                )
            }
            ApiError::Invalid {
                pointer,
                code,
                title,
                detail,
            } => (StatusCode::UNPROCESSABLE_ENTITY, code, title, detail, Some(pointer)),
            ApiError::Limited(hit) => {
                retry_after = Some(hit.retry_after);
                retry = hit.retry_after <= SDK_RETRY_CEILING;
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "10011",
                    "Too many requests",
                    format!("{}. Try again in {} s.", limit_detail(&hit), seconds(hit.retry_after)),
                    None,
                )
            }
            ApiError::Busy => {
                retry = false;
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "10011",
                    "Too many requests",
                    "Too many verifications are pending. Try again in a few minutes.".to_owned(),
                    None,
                )
            }
            ApiError::Saturated(wait) => {
                retry_after = Some(wait);
                retry = false;
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "10011",
                    "Too many requests",
                    "The service has sent as many SMS as it may this hour. Nothing was sent.".to_owned(),
                    None,
                )
            }
            ApiError::Blocked(wait) => {
                retry_after = Some(wait);
                retry = false;
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "10011",
                    "Too many requests",
                    "Codes to numbers like this one are paused: many were sent and few verified. Nothing was sent.".to_owned(),
                    Some("/phone_number"),
                )
            }
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "10007",
                "Unexpected error",
                "The service is briefly unavailable. Nothing was sent or checked.".to_owned(),
                None,
            ),
            ApiError::Sms(error) => {
                // A retry could text a second code.
                retry = false;
                let status = match error {
                    SmsError::RateLimited => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_GATEWAY,
                };
                (
                    status,
                    "10007",
                    "Unexpected error",
                    "The code could not be sent by SMS. Try again in a moment.".to_owned(),
                    None,
                )
            }
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "10015",
                "Bad Request",
                "This method is not allowed here.".to_owned(),
                None,
            ),
        };
        let body = Errors {
            errors: vec![ErrorEntry {
                code,
                title,
                detail,
                source: pointer.map(|pointer| ErrorSource { pointer }),
            }],
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(wait) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds(wait)));
        }
        if !retry {
            headers.insert("x-should-retry", HeaderValue::from_static("false"));
        }
        response
    }
}

fn seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

fn limit_detail(hit: &LimitHit) -> &'static str {
    use crate::limits::LimitKind::*;
    match hit.kind {
        ResendCooldown => "A code was just sent to this number",
        SendsPerPhone => "This number has been sent as many codes as it may get for now",
        SendsPerAddress | SendsPerNetwork | SendsPerApiKey => {
            "This API key has asked for as many codes as it may for now"
        }
        SmsPerHour => "The service has sent as many SMS as it may this hour",
        VerifyFailuresPerAddress | VerifyFailuresPerApiKey => {
            "Too many wrong codes have been checked with this API key"
        }
    }
}
