//! `GET /verify` shows the code page of the code this browser is waiting
//! on (a reload works); `GET /verify/status` is what its script polls for
//! news of the SMS; `POST /verify` checks the code.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::code_page;
use super::extract::{CurrentSession, PageForm};
use crate::errors::AppError;
use crate::pages::{VerifiedPage, delivery_note};
use crate::session::{SendNews, Session};
use crate::state::AppState;
use crate::verification::{Ended, Verification};
use crate::verifier::{Checked, PendingCode, Reading, Requester, VerifyError};

/// The tutorial's form: the typed code is its `token` field.
#[derive(Deserialize)]
pub struct CodeForm {
    token: String,
}

/// The code page again; with nothing pending, the phone form.
pub async fn show_code_page(
    State(app): State<Arc<AppState>>,
    CurrentSession(session): CurrentSession,
) -> Result<Response, AppError> {
    let Some(pending) = session.pending.clone() else {
        let phone_form = if session.authorization.is_some() {
            "/sign-in"
        } else {
            "/"
        };
        return Ok(Redirect::to(phone_form).into_response());
    };
    let verification = still_pending(&app, &pending).await?;
    Ok(code_page(&app, &session, &pending, Some(&verification)).into_response())
}

/// The verification this browser waits on, if it can still take a code.
async fn still_pending(app: &AppState, pending: &PendingCode) -> Result<Verification, AppError> {
    let now = app.verifier.clock().now();
    let found = app.verifier.status(&pending.id).await;
    let ended = |why| VerifyError::Ended(why, None);
    match found.and_then(|v| v.still_pending(now).map(|()| v).map_err(ended)) {
        Ok(verification) => Ok(verification),
        Err(VerifyError::Ended(Ended::Missing, _)) if now >= pending.expires => {
            Err(AppError::Expired)
        }
        Err(error) => Err(error.into()),
    }
}

/// `{"delivery": "delivered", "message": "Delivered to your phone.",
/// "resend_wait_secs": null}`, or a 404 with nothing pending.
pub async fn delivery_status(
    State(app): State<Arc<AppState>>,
    CurrentSession(session): CurrentSession,
) -> Response {
    let Some(pending) = session.pending else {
        return (StatusCode::NOT_FOUND, Json(json!({"delivery": null}))).into_response();
    };
    match app.verifier.status(&pending.id).await {
        Ok(verification) => Json(json!({
            "delivery": verification.delivery.name(),
            "message": delivery_note(verification.delivery),
            "resend_wait_secs": app.verifier.resend_wait(&verification).map(|w| w.as_secs_f64().ceil() as u64),
        }))
        .into_response(),
        Err(VerifyError::Store(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"delivery": null}))).into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, Json(json!({"delivery": null}))).into_response(),
    }
}

pub async fn check_code(
    State(app): State<Arc<AppState>>,
    requester: Requester,
    PageForm {
        fields,
        mut session,
    }: PageForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(pending) = session.pending.clone() else {
        // Back from the success page, then "Verify" again.
        return Err(match session.verified {
            Some(masked_phone) => AppError::AlreadyVerified { masked_phone },
            None => AppError::NoVerification,
        });
    };
    // Signing in to another website: a right code also keeps the
    // authorization code to send the browser back with, in the same step.
    let signing_in = app.oidc.as_ref().zip(session.authorization.as_ref());
    let hand_off = signing_in.map(|(provider, request)| {
        provider.hand_off(request, pending.phone, app.verifier.clock().now())
    });
    let checked = app
        .verifier
        .check_handing_off(
            &pending.id,
            &fields.token,
            Reading::Strict,
            &requester,
            hand_off.as_ref(),
        )
        .await;
    let verification = match checked {
        Ok(Checked::Verified(verification)) => verification,
        not_verified => return Err(not_verified_page(&app, &session, &pending, not_verified)),
    };
    session.pending = None;
    if let (Some(provider), Some(request), Some(hand_off)) =
        (&app.oidc, session.authorization.take(), hand_off)
    {
        let back = provider.back(&request, &hand_off, &verification);
        let jar = app.cookies.write(&session);
        return Ok((jar, Redirect::to(back.as_str())).into_response());
    }
    session.verified = Some(verification.phone.masked());
    session.news = SendNews::default();
    Ok((app.cookies.write(&session), Redirect::to("/verified")).into_response())
}

/// The success page, where a right code sends the browser: a reload or Back
/// shows it again rather than posting the code twice.
pub async fn show_verified(CurrentSession(session): CurrentSession) -> Response {
    match session.verified {
        Some(masked_phone) => VerifiedPage { masked_phone }.into_response(),
        None => Redirect::to("/").into_response(),
    }
}

/// Why the code did not verify, as a page: the code page again for a wrong
/// or malformed code, else what happened.
fn not_verified_page(
    app: &AppState,
    session: &Session,
    pending: &PendingCode,
    checked: Result<Checked, VerifyError>,
) -> AppError {
    let page = |verification| Box::new(code_page(app, session, pending, Some(verification)));
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
        Err(VerifyError::Ended(Ended::Missing, _))
            if app.verifier.clock().now() >= pending.expires =>
        {
            AppError::Expired
        }
        // Handled by the caller; never a page of refusal.
        Ok(Checked::Verified(_)) => AppError::NoVerification,
        Err(error) => error.into(),
    }
}
