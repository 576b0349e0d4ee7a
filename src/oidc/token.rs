//! `POST /token` (OpenID Connect Core 3.1.3, RFC 6749 4.1.3, RFC 7636 4.6):
//! a client trades an authorization code for an id_token and an access
//! token that works only at UserInfo.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::errors::OidcError;
use super::{Grant, Provider, binding};
use crate::body::WholeBody;
use crate::settings::OidcClient;
use crate::state::AppState;
use crate::store::Redeemed;
use crate::verifier::Redemption;

/// The claims of an id_token (Core 2, 5.1; RFC 8176 for `amr`).
#[derive(Serialize)]
struct IdToken<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    /// Confirmed by a code sent by SMS.
    amr: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number_verified: Option<bool>,
}

/// A form body whose parameters each appear once.
struct Form(HashMap<String, String>);

impl Form {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OidcError> {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OidcError::InvalidRequest(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| OidcError::InvalidRequest("the form could not be read"))?;
        let mut form = HashMap::new();
        for (name, value) in pairs {
            if form.insert(name, value).is_some() {
                return Err(OidcError::InvalidRequest(
                    "a parameter is given more than once",
                ));
            }
        }
        Ok(Self(form))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

pub async fn exchange(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    WholeBody(body): WholeBody,
) -> Result<Response, OidcError> {
    let provider = app.oidc.as_ref().ok_or(OidcError::InvalidClient)?;
    let body = body.map_err(|_| OidcError::InvalidRequest("the body could not be read"))?;
    let form = Form::parse(&headers, &body)?;
    let client = provider.authenticate(&headers, &form)?;
    match form.get("grant_type") {
        Some("authorization_code") => {}
        Some(_) => return Err(OidcError::UnsupportedGrantType),
        None => return Err(OidcError::InvalidRequest("grant_type is required")),
    }
    let code = form
        .get("code")
        .ok_or(OidcError::InvalidRequest("code is required"))?;
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or(OidcError::InvalidRequest("redirect_uri is required"))?;
    let challenge = form.get("code_verifier").map(challenge_of);
    let binding = binding(&client.id, redirect_uri, challenge.as_deref());
    let redemption = app
        .verifier
        .redeem(code, &binding, provider.token_ttl)
        .await?;
    let (data, access_token) = match redemption {
        Redemption::Issued { data, token } => (data, token),
        Redemption::Refused(Redeemed::Revoked) => {
            // Someone else may hold the code (RFC 6749 10.5): worth a look,
            // once; the tries after it are refusals like any other.
            tracing::warn!(
                presented_by = %client.id,
                "an authorization code was redeemed again: the tokens its first use gave are revoked"
            );
            return Err(OidcError::InvalidGrant(
                "the code was used before; the tokens it gave are revoked",
            ));
        }
        Redemption::Refused(Redeemed::Reused) => {
            return Err(OidcError::InvalidGrant("the code was used before"));
        }
        Redemption::Refused(_) => {
            return Err(OidcError::InvalidGrant(
                "the code is unknown or expired, or not for this client, redirect_uri or code_verifier",
            ));
        }
    };
    let grant: Grant = serde_json::from_slice(&data)
        .map_err(|_| OidcError::InvalidGrant("the code's record is unreadable"))?;
    let id_token = provider.id_token(&grant, app.verifier.clock().now().as_millis() / 1000)?;
    let scope = if grant.phone_scope {
        "openid phone"
    } else {
        "openid"
    };
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": provider.token_ttl.as_secs(),
        "id_token": id_token,
        "scope": scope,
    });
    Ok(([(header::PRAGMA, "no-cache")], Json(body)).into_response())
}

/// The S256 challenge a PKCE verifier answers to (RFC 7636 4.6).
fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Provider {
    /// The client a token request authenticates as: by HTTP Basic or by
    /// form fields with its secret (`client_secret_basic`, `_post`), or by
    /// its id alone if it is a public client (`none`, with PKCE).
    fn authenticate(&self, headers: &HeaderMap, form: &Form) -> Result<&OidcClient, OidcError> {
        let basic = headers.get(header::AUTHORIZATION).map(basic_credentials);
        let (id, secret) = match basic {
            Some(Some((id, secret))) => {
                if form.get("client_secret").is_some() {
                    return Err(OidcError::InvalidRequest(
                        "use one way to authenticate the client",
                    ));
                }
                if form.get("client_id").is_some_and(|body| body != id) {
                    return Err(OidcError::InvalidRequest(
                        "client_id differs from the one authenticated",
                    ));
                }
                (id, Some(secret))
            }
            Some(None) => return Err(OidcError::InvalidClient),
            None => (
                form.get("client_id")
                    .ok_or(OidcError::InvalidClient)?
                    .to_owned(),
                form.get("client_secret").map(str::to_owned),
            ),
        };
        let client = self.client(&id).ok_or(OidcError::InvalidClient)?;
        let authenticated = match (&client.secret, secret) {
            (None, None) => true,
            (Some(_), Some(secret)) => Self::secret_matches(client, &secret),
            _ => false,
        };
        if authenticated {
            Ok(client)
        } else {
            Err(OidcError::InvalidClient)
        }
    }

    /// The signed id_token for a redeemed grant, issued at `now` (seconds).
    fn id_token(&self, grant: &Grant, now: u64) -> Result<String, OidcError> {
        let phone = grant.phone_scope.then_some(grant.phone.as_str());
        let claims = IdToken {
            iss: &self.issuer,
            sub: self.subject(&grant.client_id, &grant.phone),
            aud: &grant.client_id,
            exp: now + self.token_ttl.as_secs(),
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.nonce.as_deref(),
            amr: ["sms"],
            phone_number: phone,
            phone_number_verified: phone.map(|_| true),
        };
        self.signing
            .sign(&claims)
            .map_err(|_| OidcError::SigningFailed)
    }
}

/// `Authorization: Basic base64(id:secret)`, each part form-encoded (RFC
/// 6749 2.3.1); `None` for anything else. Secrets of letters, digits and
/// `-._~` (what `openssl rand -hex` makes) read the same either way.
fn basic_credentials(value: &axum::http::HeaderValue) -> Option<(String, String)> {
    let value = value.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unencode = |part: &str| {
        url::form_urlencoded::parse(format!("v={}", part.replace('&', "%26")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| part.to_owned())
    };
    Some((unencode(id), unencode(secret)))
}
