//! UserInfo (OpenID Connect Core 5.3): the claims an access token stands
//! for, to its bearer only (RFC 6750).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::Grant;
use super::errors::OidcError;
use crate::state::AppState;

pub async fn claims(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, OidcError> {
    let provider = app.oidc.as_ref().ok_or(OidcError::InvalidToken)?;
    let token = bearer(&headers).ok_or(OidcError::NoToken)?;
    let data = app
        .verifier
        .token(token)
        .await?
        .ok_or(OidcError::InvalidToken)?;
    let grant: Grant = serde_json::from_slice(&data).map_err(|_| OidcError::InvalidToken)?;
    let mut claims = json!({"sub": provider.subject(&grant.client_id, &grant.phone)});
    if grant.phone_scope {
        claims["phone_number"] = json!(grant.phone);
        claims["phone_number_verified"] = json!(true);
    }
    Ok(Json(claims))
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
