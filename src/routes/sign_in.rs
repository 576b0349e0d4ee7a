//! The pages of a sign-in for another website (OpenID Connect): `GET
//! /authorize` checks the website's request and keeps it in the session;
//! `GET /sign-in` is the phone form branded with the website's name (its
//! pages in the website's `ui_locales`, if we speak one: `routes::language`); `POST
//! /sign-in/cancel` sends the person back with `error=access_denied`. The
//! rest is the standalone flow's pages; after the right code, `POST /verify`
//! sends the browser back with an authorization code (`routes::verify`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::extract::{CurrentSession, PageForm};
use crate::errors::AppError;
use crate::oidc::AuthorizeError;
use crate::pages::PhoneFormPage;
use crate::state::AppState;

/// The cancel form has no fields but its token.
#[derive(Deserialize)]
pub struct CancelForm {}

pub async fn authorize(
    State(app): State<Arc<AppState>>,
    CurrentSession(mut session): CurrentSession,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let provider = app.oidc.as_ref().ok_or(AppError::NotFound)?;
    match provider.authorize(query.as_deref().unwrap_or_default()) {
        Ok(request) => {
            session.authorization = Some(request);
            let jar = app.cookies.write(&session);
            Ok((jar, Redirect::to("/sign-in")).into_response())
        }
        Err(AuthorizeError::Page(why)) => Err(AppError::BadSignInLink(why)),
        Err(AuthorizeError::Redirect(url)) => Ok(Redirect::to(url.as_str()).into_response()),
    }
}

pub async fn show_form(
    State(app): State<Arc<AppState>>,
    CurrentSession(session): CurrentSession,
) -> Response {
    if session.authorization.is_none() {
        return Redirect::to("/").into_response();
    }
    let page = PhoneFormPage::new(&session, &app.verifier.rules().phone);
    (app.cookies.write(&session), page).into_response()
}

pub async fn cancel(
    State(app): State<Arc<AppState>>,
    PageForm { mut session, .. }: PageForm<CancelForm>,
) -> Response {
    let (Some(provider), Some(request)) = (app.oidc.as_ref(), session.authorization.take()) else {
        return Redirect::to("/").into_response();
    };
    tracing::info!(client = %request.client_id, "sign-in cancelled");
    let jar = app.cookies.write(&session);
    (jar, Redirect::to(provider.denied(&request).as_str())).into_response()
}
