//! What handlers take from a request: the browser's session, its address,
//! and forms that carry the session's anti-CSRF token.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::errors::AppError;
use crate::limits::{Asker, ClientKey};
use crate::session::Session;
use crate::state::{AppState, WebOtp};
use crate::verifier::Requester;

/// The browser's session, or a fresh one for a first visit.
pub struct CurrentSession(pub Session);

impl FromRequestParts<Arc<AppState>> for CurrentSession {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Infallible> {
        Ok(Self(app.cookies.read(&parts.headers).unwrap_or_default()))
    }
}

/// Who is asking, as the `Verifier` needs it: the client's address (as
/// the limits count it) and the host an SMS's origin-bound line names.
impl FromRequestParts<Arc<AppState>> for Requester {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Infallible> {
        let ClientAddress(client) = ClientAddress::from_request_parts(parts, app).await?;
        let origin_host = match &app.webotp {
            WebOtp::Off => None,
            WebOtp::Host(host) => Some(host.clone()),
            WebOtp::RequestHost => parts
                .headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .and_then(hostname),
        };
        Ok(Requester {
            asker: Asker::Address(client),
            origin_host,
        })
    }
}

/// The client's address, as rate limits count it: the connection's peer,
/// or behind a trusted proxy the address it forwarded.
pub struct ClientAddress(pub ClientKey);

impl FromRequestParts<Arc<AppState>> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Infallible> {
        let socket = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = if app.trust_forwarded_for {
            last_forwarded_for(&parts.headers)
        } else {
            None
        };
        let address = forwarded
            .or(socket)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Self(ClientKey::from(address)))
    }
}

/// The host name of a `Host` header (no port), if it is a plain DNS name or
/// IPv4 address: it goes into an SMS, so nothing else may pass.
fn hostname(host: &str) -> Option<String> {
    let name = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    let plain = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    plain.then(|| name.to_ascii_lowercase())
}

/// The address our proxy appended: the last entry of the last
/// `X-Forwarded-For`. Entries before it are the client's to invent.
fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

/// A POSTed form whose `csrf` field matches the session cookie's token.
/// Anything else is refused before the form's own fields are read.
pub struct PageForm<T> {
    pub fields: T,
    pub session: Session,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for PageForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, app: &Arc<AppState>) -> Result<Self, AppError> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(AppError::NotAForm);
        }
        let session = app.cookies.read(request.headers());
        // A slow body gets the client's time limit; the size limit is the router's.
        let body = tokio::time::timeout(app.client_timeout, Bytes::from_request(request, app))
            .await
            .map_err(|_| AppError::ClientTooSlow)??;
        let token = serde_urlencoded::from_bytes::<CsrfField>(&body)
            .ok()
            .and_then(|f| f.csrf);
        let session = match (session, token) {
            (Some(session), Some(token)) if session.accepts(&token) => session,
            _ => return Err(AppError::Forbidden),
        };
        let fields = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadForm)?;
        Ok(Self { fields, session })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().expect("a header value"));
        }
        headers
    }

    #[test]
    fn the_proxys_entry_is_the_last_one() {
        let last = last_forwarded_for(&headers(&["203.0.113.9, 198.51.100.2"]));
        assert_eq!(last, "198.51.100.2".parse().ok());
        let last = last_forwarded_for(&headers(&["203.0.113.9", "2001:db8::1"]));
        assert_eq!(last, "2001:db8::1".parse().ok());
    }

    #[test]
    fn only_plain_host_names_reach_the_sms() {
        assert_eq!(
            hostname("verify.example.com:8443"),
            Some("verify.example.com".into())
        );
        assert_eq!(hostname("Example.COM"), Some("example.com".into()));
        assert_eq!(hostname("127.0.0.1:3000"), Some("127.0.0.1".into()));
        for bad in [
            "",
            ":80",
            "evil.com\n#123456",
            "a b",
            "[::1]:80",
            "ex@mple.com",
        ] {
            assert_eq!(hostname(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_unreadable_forwarded_for_is_ignored() {
        assert_eq!(
            last_forwarded_for(&headers(&["198.51.100.2, nonsense"])),
            None
        );
        assert_eq!(last_forwarded_for(&HeaderMap::new()), None);
    }
}
