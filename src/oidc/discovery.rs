//! What a client configured with only our issuer URL reads first:
//! OpenID Connect Discovery 1.0, and the keys id_tokens are signed with.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;

use crate::state::AppState;

/// Clients may cache these for a few minutes.
const CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "public, max-age=300");

pub async fn configuration(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    let Some(provider) = app.oidc.as_ref() else {
        return Json(json!({})).into_response();
    };
    let ui_locales: Vec<&str> = app.languages.offered().iter().map(|l| l.tag()).collect();
    let configuration = json!({
        "issuer": provider.issuer,
        "authorization_endpoint": provider.endpoint("/authorize"),
        "token_endpoint": provider.endpoint("/token"),
        "userinfo_endpoint": provider.endpoint("/userinfo"),
        "jwks_uri": provider.endpoint("/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "phone"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr",
            "phone_number", "phone_number_verified"
        ],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ui_locales,
    });
    ([CACHE], Json(configuration)).into_response()
}

pub async fn keys(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    let keys = app
        .oidc
        .as_ref()
        .map(|provider| json!(provider.signing.jwks()))
        .unwrap_or_else(|| json!({"keys": []}));
    ([CACHE], Json(keys))
}
