//! Reading an authorization request (OpenID Connect Core 3.1.2.1, RFC 6749
//! 4.1.1, RFC 7636). Who is asking and where to answer are checked first:
//! an unknown client or a `redirect_uri` that is not exactly a registered
//! one gets a page, never a redirect (Core 3.1.2.6), so this app can never
//! be used to bounce people to an address an attacker chose. Every other
//! problem goes back to the client's `redirect_uri` as `error=...`.

use serde::{Deserialize, Serialize};
use url::Url;

use super::Provider;

/// Longest `state` and `nonce` kept: they ride in the session cookie.
const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 512;
/// Longest `login_hint` used to fill in the phone field.
const MAX_LOGIN_HINT: usize = 64;

/// An accepted request, kept in the session cookie while the person goes
/// through the pages. The cookie packs its fields by their place
/// (`session::Packed`): adding, removing or reordering one needs a new
/// version of that layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    /// Shown on the pages: "{client_name} wants to confirm your phone number".
    pub client_name: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// S256 of the client's PKCE verifier.
    pub code_challenge: Option<String>,
    /// The `phone` scope: the id_token and UserInfo carry the number.
    pub phone_scope: bool,
    /// A number to fill in the phone form with.
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown as a page: there is no trustworthy address to answer to.
    Page(BadLink),
    /// Sent back to the client.
    Redirect(Url),
}

/// What is wrong with a sign-in link that cannot be answered to the
/// website that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadLink {
    Unreadable,
    /// `client_id` or `redirect_uri` given twice.
    ClientTwice,
    UnknownClient,
    UnregisteredRedirect,
}

impl BadLink {
    /// What the page says, in `locales/`.
    pub fn message_id(self) -> &'static str {
        match self {
            BadLink::Unreadable => "bad-link-unreadable",
            BadLink::ClientTwice => "bad-link-client-twice",
            BadLink::UnknownClient => "bad-link-unknown-client",
            BadLink::UnregisteredRedirect => "bad-link-unregistered-redirect",
        }
    }
}

/// The request's parameters; each may appear once.
#[derive(Debug, Default, Deserialize)]
struct Params {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
    ui_locales: Option<String>,
    prompt: Option<String>,
    request: Option<String>,
    request_uri: Option<String>,
}

/// `redirect_uri` with `params` added to whatever query it has, then the
/// `state` the client sent and the issuer.
pub(super) fn redirect_to(
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
    issuer: &str,
) -> Url {
    // Registered URIs were checked to be absolute URLs when settings loaded.
    let mut url =
        Url::parse(redirect_uri).unwrap_or_else(|_| Url::parse("about:blank").expect("a URL"));
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    url
}

/// A PKCE code challenge: S256 gives 43 characters; RFC 7636 allows 43 to 128.
fn is_challenge(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl Provider {
    /// Checks an authorization request given as its query string.
    pub fn authorize(&self, query: &str) -> Result<AuthorizationRequest, AuthorizeError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| AuthorizeError::Page(BadLink::Unreadable))?;
        let repeated = |name: &str| pairs.iter().filter(|(n, _)| n == name).count() > 1;
        if repeated("client_id") || repeated("redirect_uri") {
            return Err(AuthorizeError::Page(BadLink::ClientTwice));
        }
        let params: Params = serde_urlencoded::from_str(query).unwrap_or_default();
        let client = params
            .client_id
            .as_deref()
            .and_then(|id| self.client(id))
            .ok_or(AuthorizeError::Page(BadLink::UnknownClient))?;
        let redirect_uri = params
            .redirect_uri
            .clone()
            .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
            .ok_or(AuthorizeError::Page(BadLink::UnregisteredRedirect))?;
        let refuse = |error: &str, description: &str| {
            AuthorizeError::Redirect(redirect_to(
                &redirect_uri,
                &[("error", error), ("error_description", description)],
                params.state.as_deref(),
                &self.issuer,
            ))
        };
        let repeated_name = pairs.iter().map(|(n, _)| n).find(|n| repeated(n));
        if let Some(name) = repeated_name {
            return Err(refuse(
                "invalid_request",
                &format!("{name} is given more than once"),
            ));
        }
        if params.response_type.as_deref() != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "only the authorization code flow (response_type=code) is supported",
            ));
        }
        let scopes: Vec<&str> = params.scope.as_deref().unwrap_or("").split(' ').collect();
        if !scopes.contains(&"openid") {
            return Err(refuse("invalid_scope", "scope must include openid"));
        }
        if params.request.is_some() {
            return Err(refuse(
                "request_not_supported",
                "request objects are not supported",
            ));
        }
        if params.request_uri.is_some() {
            return Err(refuse(
                "request_uri_not_supported",
                "request_uri is not supported",
            ));
        }
        if params
            .prompt
            .as_deref()
            .is_some_and(|p| p.split(' ').any(|p| p == "none"))
        {
            return Err(refuse(
                "login_required",
                "a code must be typed, so prompt=none cannot be met",
            ));
        }
        match (
            &params.code_challenge,
            params.code_challenge_method.as_deref(),
        ) {
            (None, None) if client.secret.is_none() => {
                return Err(refuse(
                    "invalid_request",
                    "a public client must use PKCE (code_challenge)",
                ));
            }
            (None, None) => {}
            (Some(challenge), Some("S256")) if is_challenge(challenge) => {}
            (Some(_), Some("S256")) => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
                ));
            }
            _ => {
                return Err(refuse(
                    "invalid_request",
                    "code_challenge_method must be S256, with a code_challenge",
                ));
            }
        }
        if params.state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
            return Err(refuse("invalid_request", "state is too long"));
        }
        if params.nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE) {
            return Err(refuse("invalid_request", "nonce is too long"));
        }
        Ok(AuthorizationRequest {
            client_id: client.id.clone(),
            client_name: client.name.clone(),
            redirect_uri,
            state: params.state,
            nonce: params.nonce,
            code_challenge: params.code_challenge,
            phone_scope: scopes.contains(&"phone"),
            login_hint: params
                .login_hint
                .filter(|h| h.chars().count() <= MAX_LOGIN_HINT),
            ui_locales: params.ui_locales.filter(|l| l.len() <= 64),
        })
    }
}
