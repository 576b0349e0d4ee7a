//! The one place where errors become pages.
//!
//! Handlers return `AppError` for everything that is not the happy path. A
//! user's mistake re-shows its form with a message and a 4xx; trouble with
//! Telnyx gives a 502 (503 when Telnyx asks us to slow down); anything else a
//! generic 500, with the cause in the log and none of it on the page.

use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::pages::{CodeFormPage, PhoneFormPage, ProblemPage};
use crate::phone::PhoneError;
use crate::sms::SmsError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid phone number: {problem}")]
    InvalidPhone { typed: String, problem: PhoneError },
    #[error("wrong code, {tries_left} tries left")]
    WrongCode {
        code_page: CodeFormPage,
        tries_left: u32,
    },
    #[error("malformed code")]
    MalformedCode {
        code_page: CodeFormPage,
        length: usize,
    },
    #[error("no verification in progress in this browser")]
    NoVerification,
    #[error("verification expired")]
    Expired,
    #[error("verification already used")]
    AlreadyUsed,
    #[error("too many wrong codes")]
    Locked,
    #[error("SMS not sent: {0}")]
    SmsFailed(#[from] SmsError),
    #[error("unreadable form: {0}")]
    BadForm(#[from] FormRejection),
    #[error("no such page")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
}

fn problem(status: StatusCode, title: &'static str, message: impl Into<String>) -> Response {
    let page = ProblemPage {
        title,
        message: message.into(),
    };
    (status, page).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::SmsFailed(SmsError::Misconfigured { .. }) => {
                tracing::error!("TELNYX CONFIGURATION PROBLEM: {self}");
            }
            AppError::SmsFailed(_) => tracing::error!("{self}"),
            _ => tracing::info!("refused: {self}"),
        }
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match self {
            AppError::InvalidPhone { typed, problem } => {
                let page = PhoneFormPage {
                    typed,
                    error: Some(problem.to_string()),
                };
                (unprocessable, page).into_response()
            }
            AppError::WrongCode {
                mut code_page,
                tries_left,
            } => {
                let tries = if tries_left == 1 { "try" } else { "tries" };
                code_page.error = Some(format!(
                    "That code isn't right. Check the text and try again ({tries_left} {tries} left)."
                ));
                (unprocessable, code_page).into_response()
            }
            AppError::MalformedCode {
                mut code_page,
                length,
            } => {
                code_page.error = Some(format!(
                    "Enter the {length}-character code from the text message."
                ));
                (unprocessable, code_page).into_response()
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
            AppError::Locked => problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many wrong codes",
                "For your security this code no longer works. Start again to get a new one.",
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
            // 415 for another content type, 422 for missing fields, 413 for too much.
            AppError::BadForm(rejection) => problem(
                rejection.status(),
                "That form didn't come through",
                "The page sent something we couldn't read. Start again from the first page.",
            ),
            AppError::NotFound => problem(
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address.",
            ),
            AppError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "Page not found",
                "This address only takes a form from the verification pages.",
            ),
        }
    }
}
