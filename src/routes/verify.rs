//! `POST /verify`: checks the code this browser was sent.

use std::sync::Arc;

use axum::extract::State;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;

use super::{PageForm, VERIFICATION_COOKIE};
use crate::errors::AppError;
use crate::pages::{CodeFormPage, VerifiedPage};
use crate::state::AppState;
use crate::verification::{CheckOutcome, VerificationId};

#[derive(Deserialize)]
pub struct CodeForm {
    token: String,
}

pub async fn check_code(
    State(app): State<Arc<AppState>>,
    jar: CookieJar,
    PageForm(form): PageForm<CodeForm>,
) -> Result<(CookieJar, VerifiedPage), AppError> {
    let id = jar
        .get(VERIFICATION_COOKIE)
        .and_then(|cookie| VerificationId::decode(cookie.value()))
        .ok_or(AppError::NoVerification)?;
    let ttl = app.settings.code_ttl();
    let attempt = match app.code_format.read_attempt(&form.token) {
        Ok(attempt) => attempt,
        Err(_) => {
            let verification = app.store.get(&id).await.ok_or(AppError::NoVerification)?;
            return Err(AppError::MalformedCode {
                code_page: CodeFormPage::new(&verification.phone, ttl),
                length: app.code_format.length,
            });
        }
    };
    let now = app.clock.now();
    match app
        .store
        .check(&id, &attempt, now, app.settings.otp.max_attempts)
        .await
    {
        CheckOutcome::Verified { phone } => {
            tracing::info!(to = %phone, "phone number verified");
            let jar = jar.remove(Cookie::build(VERIFICATION_COOKIE).path("/"));
            Ok((
                jar,
                VerifiedPage {
                    masked_phone: phone.masked(),
                },
            ))
        }
        CheckOutcome::WrongCode { phone, tries_left } => Err(AppError::WrongCode {
            code_page: CodeFormPage::new(&phone, ttl),
            tries_left,
        }),
        CheckOutcome::Locked => Err(AppError::Locked),
        CheckOutcome::Expired => Err(AppError::Expired),
        CheckOutcome::AlreadyUsed => Err(AppError::AlreadyUsed),
        CheckOutcome::NotFound => Err(AppError::NoVerification),
    }
}
