//! `POST /verify`: checks the code this browser was sent.

use std::sync::Arc;

use axum::extract::State;
use axum_extra::extract::PrivateCookieJar;
use serde::Deserialize;

use super::code_page;
use super::extract::{Client, PageForm};
use super::phone::dead_verification;
use crate::errors::AppError;
use crate::pages::VerifiedPage;
use crate::state::AppState;
use crate::verification::CheckOutcome;

#[derive(Deserialize)]
pub struct CodeForm {
    token: String,
}

pub async fn check_code(
    State(app): State<Arc<AppState>>,
    Client(client): Client,
    PageForm {
        fields,
        mut session,
    }: PageForm<CodeForm>,
) -> Result<(PrivateCookieJar, VerifiedPage), AppError> {
    let pending = session.pending.clone().ok_or(AppError::NoVerification)?;
    let now = app.clock.now();
    let attempt = match app.code_format.read_attempt(&fields.token) {
        Ok(attempt) => attempt,
        // Not a code at all: say so, without spending a try.
        Err(_) => {
            let verification = app
                .store
                .get(&pending.id)
                .await?
                .ok_or(AppError::NoVerification)?;
            return Err(AppError::MalformedCode {
                code_page: Box::new(
                    code_page(&app, &session, &verification.phone, verification.expires).await,
                ),
                length: app.code_format.length,
            });
        }
    };
    // Each check takes a failure slot for the address first, so racing
    // guesses cannot pass the limit; all but wrong codes give it back.
    let permit = app
        .limiter
        .acquire(app.limit_rules.for_guessing(&client), now)
        .await?;
    let digest = app.code_key.digest(pending.id.as_bytes(), &attempt);
    let outcome = app
        .store
        .check(&pending.id, &digest, now, app.settings.otp.max_attempts)
        .await?;
    // The outcome stands whatever happens here: a store failing now must not
    // turn a verified code into an error page.
    if !matches!(outcome, CheckOutcome::WrongCode { .. })
        && let Err(error) = app.limiter.release(permit, now).await
    {
        tracing::warn!("could not give back a failure slot: {error}");
    }
    match outcome {
        CheckOutcome::Verified { phone } => {
            tracing::info!(to = %phone, "phone number verified");
            session.pending = None;
            Ok((
                app.cookies.write(&session),
                VerifiedPage {
                    masked_phone: phone.masked(),
                },
            ))
        }
        CheckOutcome::WrongCode { tries_left: 0, .. } => Err(AppError::Locked),
        CheckOutcome::WrongCode {
            phone,
            tries_left,
            expires,
        } => Err(AppError::WrongCode {
            code_page: Box::new(code_page(&app, &session, &phone, expires).await),
            tries_left,
        }),
        dead => Err(dead_verification(dead)),
    }
}
