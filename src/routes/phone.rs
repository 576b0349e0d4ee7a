//! `GET /` shows the phone form; `POST /request` texts a code; `POST /resend`
//! texts the same code again.

use std::sync::Arc;

use axum::extract::State;
use axum_extra::extract::PrivateCookieJar;
use serde::Deserialize;

use super::code_page;
use super::extract::{Client, CurrentSession, OriginHost, PageForm};
use crate::errors::AppError;
use crate::limits::ClientKey;
use crate::pages::{CodeFormPage, PhoneFormPage};
use crate::phone::PhoneNumber;
use crate::session::{PendingCode, Session};
use crate::sms::code_message;
use crate::state::AppState;
use crate::verification::{CheckOutcome, State as VerificationState, Verification, VerificationId};

#[derive(Deserialize)]
pub struct PhoneForm {
    phone: String,
}

/// The resend form has no fields but its token.
#[derive(Deserialize)]
pub struct ResendForm {}

pub async fn show_form(
    State(app): State<Arc<AppState>>,
    CurrentSession(session): CurrentSession,
) -> (PrivateCookieJar, PhoneFormPage) {
    (
        app.cookies.write(&session),
        PhoneFormPage::new(&session, &app.phone_rules),
    )
}

/// Who asked for a code: counted by address, answered with the SMS bound
/// to the origin they asked on.
struct Requester {
    client: ClientKey,
    origin: Option<String>,
}

pub async fn request_code(
    State(app): State<Arc<AppState>>,
    Client(client): Client,
    OriginHost(origin): OriginHost,
    PageForm {
        fields,
        mut session,
    }: PageForm<PhoneForm>,
) -> Result<(PrivateCookieJar, CodeFormPage), AppError> {
    let phone = app.phone_rules.parse(&fields.phone).map_err(|problem| {
        AppError::InvalidPhone(Box::new(PhoneFormPage {
            typed: fields.phone,
            error: Some(problem.to_string()),
            ..PhoneFormPage::new(&session, &app.phone_rules)
        }))
    })?;
    let requester = Requester { client, origin };
    let now = app.clock.now();
    // Asking again for the number this browser is verifying is a resend:
    // the same code, and the wrong tries still count.
    if let Some(pending) = &session.pending {
        match app.store.get(&pending.id).await? {
            Some(v) if v.phone == phone && v.still_pending(now).is_ok() => {
                return resend(&app, &requester, &session, pending, &v).await;
            }
            _ => app.store.remove(&pending.id).await?,
        }
    }
    let pending = PendingCode {
        id: VerificationId::random(),
        code: app.code_format.generate(),
    };
    let verification = Verification {
        phone,
        digest: app.code_key.digest(pending.id.as_bytes(), &pending.code),
        created: now,
        expires: now.after(app.settings.code_ttl()),
        wrong_tries: 0,
        state: VerificationState::Pending,
    };
    let expires = verification.expires;
    send_code(&app, &requester, &phone, &pending, Some(verification)).await?;
    let page = code_page(&app, &session, &phone, expires).await;
    session.pending = Some(pending);
    Ok((app.cookies.write(&session), page))
}

pub async fn resend_code(
    State(app): State<Arc<AppState>>,
    Client(client): Client,
    OriginHost(origin): OriginHost,
    PageForm { session, .. }: PageForm<ResendForm>,
) -> Result<(PrivateCookieJar, CodeFormPage), AppError> {
    let pending = session.pending.as_ref().ok_or(AppError::NoVerification)?;
    let verification = app
        .store
        .get(&pending.id)
        .await?
        .ok_or(AppError::NoVerification)?;
    verification
        .still_pending(app.clock.now())
        .map_err(dead_verification)?;
    let requester = Requester { client, origin };
    resend(&app, &requester, &session, pending, &verification).await
}

/// Texts a pending verification's code again, within the limits.
async fn resend(
    app: &AppState,
    requester: &Requester,
    session: &Session,
    pending: &PendingCode,
    verification: &Verification,
) -> Result<(PrivateCookieJar, CodeFormPage), AppError> {
    let phone = &verification.phone;
    let sent = send_code(app, requester, phone, pending, None).await;
    let mut page = code_page(app, session, phone, verification.expires).await;
    match sent {
        Ok(()) => {
            page.resent = true;
            Ok((app.cookies.write(session), page))
        }
        // On the code page, a wait is shown beside the code field.
        Err(AppError::TooManyRequests { refusal, .. }) => Err(AppError::TooManyRequests {
            refusal,
            code_page: Some(Box::new(page)),
        }),
        Err(error) => Err(error),
    }
}

/// The checks and steps every SMS goes through: capacity, the sending limits,
/// then the text. A `new` verification is stored first and removed again if
/// the SMS fails, so a code that was not sent never works; limits taken for
/// an SMS that failed are given back.
async fn send_code(
    app: &AppState,
    requester: &Requester,
    phone: &PhoneNumber,
    pending: &PendingCode,
    new: Option<Verification>,
) -> Result<(), AppError> {
    let is_new = new.is_some();
    let now = app.clock.now();
    if is_new && app.store.count(now).await? >= app.settings.limits.max_pending {
        return Err(AppError::Busy);
    }
    let permit = app
        .limiter
        .acquire(app.limit_rules.for_sending(phone, &requester.client), now)
        .await?;
    if let Some(verification) = new {
        app.store.insert(pending.id.clone(), verification).await?;
    }
    let text = code_message(&pending.code, requester.origin.as_deref());
    if let Err(error) = app.sms.send(phone, &text).await {
        // Best effort: if the store is failing too, the unsent code expires
        // unused, and the limits count one SMS too many until they refill.
        if is_new && let Err(store) = app.store.remove(&pending.id).await {
            tracing::warn!("could not discard an unsent code: {store}");
        }
        if let Err(store) = app.limiter.release(permit, now).await {
            tracing::warn!("could not give back the limits of an unsent code: {store}");
        }
        return Err(error.into());
    }
    tracing::info!(to = %phone, resend = !is_new, "code sent");
    Ok(())
}

/// Why a verification can no longer take a code, as a page.
pub fn dead_verification(outcome: CheckOutcome) -> AppError {
    match outcome {
        CheckOutcome::Expired => AppError::Expired,
        CheckOutcome::AlreadyUsed => AppError::AlreadyUsed,
        CheckOutcome::Locked => AppError::Locked,
        _ => AppError::NoVerification,
    }
}
