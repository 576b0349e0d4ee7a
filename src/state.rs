//! What every page handler shares: the flow's core and the face's own
//! typed settings. Handlers read no raw settings.

use std::time::Duration;

use crate::api::Api;
use crate::oidc::Provider;
use crate::session::SessionCookies;
use crate::verifier::Verifier;

/// Whose host the SMS's origin-bound line (`@host #code`) names.
#[derive(Debug, Clone)]
pub enum WebOtp {
    Off,
    /// `server.public_url`'s host.
    Host(String),
    /// The `Host` each request came with, when no public URL is set.
    RequestHost,
}

#[derive(Debug)]
pub struct AppState {
    pub verifier: Verifier,
    pub cookies: SessionCookies,
    pub webotp: WebOtp,
    /// Take the client's address from the proxy's `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Time a client gets to send its body.
    pub client_timeout: Duration,
    /// `server.public_url`'s origin, trusted by the cross-site check.
    pub public_origin: Option<String>,
    /// The OpenID Connect provider, when clients are registered.
    pub oidc: Option<Provider>,
    /// The Verify API, when keys are configured.
    pub api: Option<Api>,
}
