//! The OpenID Connect face: any website sends a person here, they verify
//! their number on the same pages as the standalone flow, and the website
//! gets back a signed id_token with `phone_number_verified: true`.
//!
//! - `authorize`: reading an authorization request, and the redirects back;
//!   the pages keep an accepted request in the session cookie while the
//!   person goes through the flow (`routes::sign_in`).
//! - Before the code is checked, `Provider::hand_off` makes a one-time
//!   authorization code bound to the client, its redirect URI and its PKCE
//!   challenge; the `Verifier` keeps it in the same step as a right code,
//!   and `Provider::back` sends the browser back with it.
//! - `token`, `userinfo` and `discovery`: the JSON endpoints, with their one
//!   error mapping in `errors`.

mod authorize;
mod discovery;
mod errors;
mod token;
mod userinfo;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use url::Url;

pub use authorize::{AuthorizationRequest, AuthorizeError, BadLink};

use crate::clock::Timestamp;
use crate::phone::PhoneNumber;
use crate::settings::{OidcClient, OidcSettings};
use crate::signing::SigningKey;
use crate::state::AppState;
use crate::verification::Verification;
use crate::verifier::HandOff;

/// Authorization codes live this long (RFC 6749 allows ten minutes; one is usual).
const CODE_TTL: Duration = Duration::from_secs(60);

/// The provider: its issuer, its clients and its signing key.
#[derive(Debug)]
pub struct Provider {
    /// `server.public_url` without a trailing slash, exactly as clients compare it.
    issuer: String,
    clients: Vec<OidcClient>,
    signing: SigningKey,
    /// How long id_tokens and access tokens are valid.
    token_ttl: Duration,
    /// Keys `sub`, so it is stable per number and client and reveals neither.
    subject_key: [u8; 32],
}

/// What an authorization code (and the access token it becomes) stands
/// for: kept in the store, as JSON.
#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    client_id: String,
    nonce: Option<String>,
    /// E.164.
    phone: String,
    /// The `phone` scope was asked for: the phone claims are given.
    phone_scope: bool,
    /// When the code was checked, in seconds since the epoch.
    auth_time: u64,
}

impl Provider {
    /// `None` when no client is registered: then the provider is off.
    pub fn new(
        settings: OidcSettings,
        public_url: Option<&Url>,
        subject_key: [u8; 32],
    ) -> Result<Option<Self>, String> {
        if settings.clients.is_empty() {
            return Ok(None);
        }
        // Settings refuse clients without a public URL; this keeps it total.
        let Some(public_url) = public_url else {
            return Ok(None);
        };
        let signing = match settings.signing_key {
            Some(key) => key,
            None => SigningKey::generate()?,
        };
        Ok(Some(Self {
            issuer: public_url.as_str().trim_end_matches('/').to_owned(),
            clients: settings.clients,
            signing,
            token_ttl: settings.id_token_ttl,
            subject_key,
        }))
    }

    fn client(&self, id: &str) -> Option<&OidcClient> {
        self.clients.iter().find(|c| c.id == id)
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// `sub`: HMAC of client and number, the same every time for both.
    fn subject(&self, client_id: &str, phone: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.subject_key)
            .expect("HMAC takes a key of any length");
        mac.update(client_id.as_bytes());
        mac.update(b"\0");
        mac.update(phone.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `secret` is the client's, compared in constant time.
    fn secret_matches(client: &OidcClient, secret: &str) -> bool {
        client
            .secret
            .as_ref()
            .is_some_and(|s| s.expose_secret().as_bytes().ct_eq(secret.as_bytes()).into())
    }

    /// The authorization code a right code for `phone` is to give the
    /// client that asked, checked at `now`.
    pub fn hand_off(
        &self,
        request: &AuthorizationRequest,
        phone: PhoneNumber,
        now: Timestamp,
    ) -> HandOff {
        let grant = Grant {
            client_id: request.client_id.clone(),
            nonce: request.nonce.clone(),
            phone: phone.e164().to_owned(),
            phone_scope: request.phone_scope,
            auth_time: now.as_millis() / 1000,
        };
        let data = serde_json::to_vec(&grant).unwrap_or_default();
        let binding = binding(
            &request.client_id,
            &request.redirect_uri,
            request.code_challenge.as_deref(),
        );
        HandOff::new(phone, data, &binding, CODE_TTL)
    }

    /// After the right code kept `hand_off`: the address that takes the
    /// browser back to the client with its authorization code.
    pub fn back(
        &self,
        request: &AuthorizationRequest,
        hand_off: &HandOff,
        verified: &Verification,
    ) -> Url {
        tracing::info!(to = %verified.phone, client = %request.client_id, "authorization code issued");
        self.redirect(request, &[("code", hand_off.secret())])
    }

    /// Where a person who cancels is sent: `error=access_denied`.
    pub fn denied(&self, request: &AuthorizationRequest) -> Url {
        self.redirect(
            request,
            &[
                ("error", "access_denied"),
                ("error_description", "The person cancelled."),
            ],
        )
    }

    /// `redirect_uri` with `params`, the request's `state` and our `iss`
    /// (RFC 9207).
    fn redirect(&self, request: &AuthorizationRequest, params: &[(&str, &str)]) -> Url {
        authorize::redirect_to(
            &request.redirect_uri,
            params,
            request.state.as_deref(),
            &self.issuer,
        )
    }
}

/// What a code is bound to: the client, where it was sent, and the PKCE
/// challenge (at the token endpoint, the challenge the verifier makes).
fn binding(client_id: &str, redirect_uri: &str, challenge: Option<&str>) -> Vec<u8> {
    [client_id, redirect_uri, challenge.unwrap_or("")]
        .join("\n")
        .into_bytes()
}

/// The JSON endpoints: discovery, keys, token, UserInfo. They take no
/// cookies, so no CSRF check applies, and answer any origin (CORS) without
/// credentials, for browser-based clients.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route("/jwks.json", get(discovery::keys))
        .route("/token", axum::routing::post(token::exchange))
        .route("/userinfo", get(userinfo::claims).post(userinfo::claims))
}
