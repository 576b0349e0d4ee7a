//! `GET /` shows the phone form; `POST /request` texts a code; `POST /resend`
//! texts the same code again.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::code_page;
use super::extract::{CurrentSession, PageForm};
use crate::errors::{AppError, LimitedForm};
use crate::i18n;
use crate::limits::LimitKind;
use crate::pages::PhoneFormPage;
use crate::session::{SendNews, Session, SessionCookie};
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
) -> (SessionCookie, Response) {
    session.authorization = None;
    let page = PhoneFormPage::new(&session, &app.verifier.rules().phone).into_response();
    (app.cookies.write(&session), page)
}

pub async fn request_code(
    State(app): State<Arc<AppState>>,
    requester: Requester,
    PageForm { fields, session }: PageForm<PhoneForm>,
) -> Result<Response, AppError> {
    let phone = app.verifier.read_phone(&fields.phone).map_err(|problem| {
        AppError::InvalidPhone(Box::new(PhoneFormPage {
            typed: fields.phone.clone(),
            error: Some(problem.message(i18n::current())),
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
    let phone_form = |error: Option<String>| {
        Box::new(PhoneFormPage {
            typed: fields.phone.clone(),
            error,
            ..PhoneFormPage::new(&session, &app.verifier.rules().phone)
        })
    };
    match &sent {
        // Telnyx says this number cannot take a text: another try will not
        // help, another number may.
        Err(VerifyError::Sms(error)) if error.refuses_the_number() => {
            tracing::info!("Telnyx refused the number: {error}");
            let refusal = i18n::t("phone-cannot-take-texts").into_owned();
            return Err(AppError::InvalidPhone(phone_form(Some(refusal))));
        }
        // A limit on a new ask (another browser's cooldown on this number,
        // this network's hourly count): the phone form again, with the wait.
        Err(VerifyError::Limited(hit))
            if resending.is_none() && hit.kind != LimitKind::SmsPerHour =>
        {
            return Err(AppError::TooManyRequests {
                hit: *hit,
                form: Some(LimitedForm::Phone(phone_form(None))),
            });
        }
        _ => {}
    }
    code_sent(&app, session, sent, resending.as_ref())
}

pub async fn resend_code(
    State(app): State<Arc<AppState>>,
    requester: Requester,
    PageForm { session, .. }: PageForm<ResendForm>,
) -> Result<Response, AppError> {
    let pending = session.pending.clone().ok_or(AppError::NoVerification)?;
    let sent = app.verifier.resend(&pending, &requester).await;
    code_sent(&app, session, sent, Some(&pending))
}

/// After a send, the browser is sent to the code page (`GET /verify`), so
/// Back and reload show a page rather than a form to post again; a refused
/// resend shows the wait beside the code field of the code page it was
/// asked from.
fn code_sent(
    app: &AppState,
    mut session: Session,
    sent: Result<Sent, VerifyError>,
    resending: Option<&PendingCode>,
) -> Result<Response, AppError> {
    match (sent, resending) {
        (Ok(sent), _) => {
            session.news = SendNews {
                resent: sent.resent,
                uncertain: sent.uncertain,
            };
            session.pending = Some(sent.pending);
            Ok((app.cookies.write(&session), Redirect::to("/verify")).into_response())
        }
        (Err(VerifyError::Limited(hit)), Some(pending)) => Err(AppError::TooManyRequests {
            hit,
            form: Some(LimitedForm::Code(Box::new(code_page(
                app, &session, pending, None,
            )))),
        }),
        (Err(error), _) => Err(error.into()),
    }
}
