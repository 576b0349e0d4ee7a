//! `POST /verify`: checks the code this browser was sent.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::code_page;
use super::extract::PageForm;
use crate::errors::AppError;
use crate::pages::VerifiedPage;
use crate::session::Session;
use crate::state::AppState;
use crate::verification::Ended;
use crate::verifier::{Checked, PendingCode, Reading, Requester, VerifyError};

/// The tutorial's form: the typed code is its `token` field.
#[derive(Deserialize)]
pub struct CodeForm {
    token: String,
}

pub async fn check_code(
    State(app): State<Arc<AppState>>,
    requester: Requester,
    PageForm {
        fields,
        mut session,
    }: PageForm<CodeForm>,
) -> Result<Response, AppError> {
    let pending = session.pending.clone().ok_or(AppError::NoVerification)?;
    let checked = app
        .verifier
        .check(&pending.id, &fields.token, Reading::Strict, &requester)
        .await;
    let verification = match checked {
        Ok(Checked::Verified(verification)) => verification,
        not_verified => return Err(not_verified_page(&app, &session, &pending, not_verified)),
    };
    session.pending = None;
    // Signing in to another website: back to it, with an authorization code.
    if let (Some(provider), Some(request)) = (&app.oidc, session.authorization.take()) {
        let back = provider
            .hand_off(&app.verifier, &request, &verification)
            .await?;
        let jar = app.cookies.write(&session);
        return Ok((jar, Redirect::to(back.as_str())).into_response());
    }
    let page = VerifiedPage {
        masked_phone: verification.phone.masked(),
    };
    Ok((app.cookies.write(&session), page).into_response())
}

/// Why the code did not verify, as a page: the code page again for a wrong
/// or malformed code, else what happened.
fn not_verified_page(
    app: &AppState,
    session: &Session,
    pending: &PendingCode,
    checked: Result<Checked, VerifyError>,
) -> AppError {
    let page = |verification| {
        let wait = app.verifier.resend_wait(verification);
        Box::new(code_page(app, session, pending, wait))
    };
    match checked {
        Ok(Checked::Wrong { tries_left: 0, .. }) => AppError::Locked,
        Ok(Checked::Wrong {
            verification,
            tries_left,
        }) => AppError::WrongCode {
            code_page: page(&verification),
            tries_left,
        },
        Ok(Checked::Malformed(verification)) => AppError::MalformedCode {
            code_page: page(&verification),
            length: app.verifier.rules().code.length,
        },
        // The store forgets a verification a while after it expires; the
        // cookie still knows when it did.
        Err(VerifyError::Ended(Ended::Missing))
            if app.verifier.clock().now() >= pending.expires =>
        {
            AppError::Expired
        }
        // Handled by the caller; never a page of refusal.
        Ok(Checked::Verified(_)) => AppError::NoVerification,
        Err(error) => error.into(),
    }
}
