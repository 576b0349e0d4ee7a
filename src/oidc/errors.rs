//! The one place where the JSON endpoints' errors become responses: RFC 6749
//! 5.2 for the token endpoint (`{"error": ..., "error_description": ...}`,
//! 401 with `WWW-Authenticate` for client authentication), RFC 6750 3 for
//! UserInfo. Nothing is cached.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::verifier::VerifyError;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Missing, repeated or malformed parameters.
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// Unknown client, wrong or missing secret.
    #[error("invalid_client")]
    InvalidClient,
    /// The code is unknown, used, expired, or not for this client, address
    /// or PKCE verifier.
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// UserInfo without a bearer token.
    #[error("no access token")]
    NoToken,
    /// UserInfo with a token that is unknown, expired or revoked.
    #[error("invalid_token")]
    InvalidToken,
    /// The id_token could not be signed: nothing was issued.
    #[error("could not sign an id_token")]
    SigningFailed,
    /// The store is unavailable: nothing was issued.
    #[error("{0}")]
    Unavailable(VerifyError),
}

impl From<VerifyError> for OidcError {
    fn from(error: VerifyError) -> Self {
        OidcError::Unavailable(error)
    }
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        let (status, error, description, challenge) = match &self {
            OidcError::InvalidRequest(why) => {
                (StatusCode::BAD_REQUEST, "invalid_request", *why, None)
            }
            OidcError::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "unknown client, or wrong or missing client secret",
                Some("Basic realm=\"telnyx-2fa\""),
            ),
            OidcError::InvalidGrant(why) => (StatusCode::BAD_REQUEST, "invalid_grant", *why, None),
            OidcError::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only authorization_code is supported",
                None,
            ),
            OidcError::NoToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_request",
                "an access token is required",
                Some("Bearer realm=\"telnyx-2fa\""),
            ),
            OidcError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is unknown, expired or revoked",
                Some("Bearer realm=\"telnyx-2fa\", error=\"invalid_token\""),
            ),
            OidcError::Unavailable(_) | OidcError::SigningFailed => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is briefly unavailable; try again in a minute",
                None,
            ),
        };
        match &self {
            OidcError::Unavailable(cause) => tracing::error!("OIDC: {cause}: failing closed"),
            OidcError::SigningFailed => tracing::error!("OIDC: could not sign an id_token"),
            // As the other faces: what a client can repeat at will stays
            // below the operator's level (a code used twice is warned of
            // where it is found).
            refused => tracing::debug!("OIDC refused: {refused}"),
        }
        let body = json!({"error": error, "error_description": description});
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}
