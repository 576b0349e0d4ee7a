//! `GET /` shows the phone form; `POST /request` texts a code.

use std::sync::Arc;

use axum::extract::State;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::{PageForm, VERIFICATION_COOKIE};
use crate::errors::AppError;
use crate::pages::{CodeFormPage, PhoneFormPage};
use crate::phone::PhoneNumber;
use crate::sms::code_message;
use crate::state::AppState;
use crate::verification::{State as VerificationState, Verification, VerificationId};

#[derive(Deserialize)]
pub struct PhoneForm {
    phone: String,
}

pub async fn show_form() -> PhoneFormPage {
    PhoneFormPage::default()
}

pub async fn request_code(
    State(app): State<Arc<AppState>>,
    jar: CookieJar,
    PageForm(form): PageForm<PhoneForm>,
) -> Result<(CookieJar, CodeFormPage), AppError> {
    let phone = PhoneNumber::parse(&form.phone, &app.default_country).map_err(|problem| {
        AppError::InvalidPhone {
            typed: form.phone,
            problem,
        }
    })?;
    let ttl = app.settings.code_ttl();
    let code = app.code_format.generate();
    let id = VerificationId::random();
    let now = app.clock.now();
    let verification = Verification {
        phone: phone.clone(),
        code: code.clone(),
        created: now,
        expires: now.after(ttl),
        wrong_tries: 0,
        state: VerificationState::Pending,
    };
    app.store.insert(id.clone(), verification).await;
    if let Err(error) = app.sms.send(&phone, &code_message(&code)).await {
        app.store.remove(&id).await;
        return Err(error.into());
    }
    // A new code replaces whatever this browser was verifying before.
    if let Some(previous) = jar
        .get(VERIFICATION_COOKIE)
        .and_then(|c| VerificationId::decode(c.value()))
    {
        app.store.remove(&previous).await;
    }
    tracing::info!(to = %phone, "code sent");
    let cookie = Cookie::build((VERIFICATION_COOKIE, id.encode()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::seconds(
            i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        ));
    Ok((jar.add(cookie), CodeFormPage::new(&phone, ttl)))
}
