//! `GET /` shows the phone form; `POST /request` texts a code; `POST /resend`
//! texts the same code again.

use std::sync::Arc;

use axum::extract::State;
use axum_extra::extract::PrivateCookieJar;
use serde::Deserialize;

use super::code_page;
use super::extract::{CurrentSession, PageForm};
use crate::errors::AppError;
use crate::pages::{CodeFormPage, PhoneFormPage, describe_wait};
use crate::session::Session;
use crate::state::AppState;
use crate::verifier::{PendingCode, Requester, Sent, VerifyError};

#[derive(Deserialize)]
pub struct PhoneForm {
    phone: String,
}

/// The resend form has no fields but its token.
#[derive(Deserialize)]
pub struct ResendForm {}

/// The standalone flow: a sign-in for another website, if one was under
/// way in this browser, is left behind.
pub async fn show_form(
    State(app): State<Arc<AppState>>,
    CurrentSession(mut session): CurrentSession,
) -> (PrivateCookieJar, PhoneFormPage) {
    session.authorization = None;
    let page = PhoneFormPage::new(&session, &app.verifier.rules().phone);
    (app.cookies.write(&session), page)
}

pub async fn request_code(
    State(app): State<Arc<AppState>>,
    requester: Requester,
    PageForm { fields, session }: PageForm<PhoneForm>,
) -> Result<(PrivateCookieJar, CodeFormPage), AppError> {
    let phone = app.verifier.read_phone(&fields.phone).map_err(|problem| {
        AppError::InvalidPhone(Box::new(PhoneFormPage {
            typed: fields.phone.clone(),
            error: Some(problem.to_string()),
            ..PhoneFormPage::new(&session, &app.verifier.rules().phone)
        }))
    })?;
    let previous = session.pending.clone();
    let sent = app
        .verifier
        .start(phone, &requester, previous.as_ref())
        .await;
    // Asking again for the number this browser is verifying is a resend.
    let resending = previous.filter(|p| p.phone == phone);
    code_sent(&app, session, sent, resending.as_ref())
}

pub async fn resend_code(
    State(app): State<Arc<AppState>>,
    requester: Requester,
    PageForm { session, .. }: PageForm<ResendForm>,
) -> Result<(PrivateCookieJar, CodeFormPage), AppError> {
    let pending = session.pending.clone().ok_or(AppError::NoVerification)?;
    let sent = app.verifier.resend(&pending, &requester).await;
    code_sent(&app, session, sent, Some(&pending))
}

/// The code page after a send; a refused resend shows the wait beside the
/// code field of the code page it was asked from.
fn code_sent(
    app: &AppState,
    mut session: Session,
    sent: Result<Sent, VerifyError>,
    resending: Option<&PendingCode>,
) -> Result<(PrivateCookieJar, CodeFormPage), AppError> {
    match (sent, resending) {
        (Ok(sent), _) => {
            let wait = app.verifier.resend_wait(&sent.verification);
            let mut page = code_page(app, &session, &sent.pending, Some(&sent.verification));
            page.resent = sent.resent;
            if sent.uncertain {
                page.notice = Some(format!(
                    "We may not have reached your phone. If a code arrives, enter it; otherwise ask again in {}.",
                    describe_wait(wait.unwrap_or_default())
                ));
            }
            session.pending = Some(sent.pending);
            Ok((app.cookies.write(&session), page))
        }
        (Err(VerifyError::Limited(hit)), Some(pending)) => Err(AppError::TooManyRequests {
            hit,
            code_page: Some(Box::new(code_page(app, &session, pending, None))),
        }),
        (Err(error), _) => Err(error.into()),
    }
}
