//! What handlers take from a request: the browser's session, its address,
//! and forms that carry the session's anti-CSRF token.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use serde::de::DeserializeOwned;
use serde::de::value::MapDeserializer;

use crate::body::WholeBody;
use crate::errors::AppError;
use crate::i18n;
use crate::limits::{Asker, ClientKey};
use crate::session::Session;
use crate::settings::ForwardedFor;
use crate::state::AppState;
use crate::verifier::Requester;

/// The browser's session, or a fresh one for a first visit.
pub struct CurrentSession(pub Session);

/// The session as the language layer read it (`None`: no valid cookie),
/// so a request decrypts its cookie once.
#[derive(Clone)]
pub struct SessionRead(pub Option<Session>);

/// The session the language layer read, else the cookie's.
fn read_session(
    extensions: &mut Extensions,
    headers: &HeaderMap,
    app: &AppState,
) -> Option<Session> {
    match extensions.remove::<SessionRead>() {
        Some(SessionRead(session)) => session,
        None => app.cookies.read(headers),
    }
}

impl FromRequestParts<Arc<AppState>> for CurrentSession {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Infallible> {
        let session = read_session(&mut parts.extensions, &parts.headers, app);
        Ok(Self(session.unwrap_or_default()))
    }
}

/// Who is asking, as the `Verifier` needs it: the client's address (as
/// the limits count it) and the host an SMS's origin-bound line names.
impl FromRequestParts<Arc<AppState>> for Requester {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, AppError> {
        let ClientAddress(client) = ClientAddress::from_request_parts(parts, app).await?;
        Ok(Requester {
            asker: Asker::Address(client),
            language: i18n::current(),
            origin_host: app.webotp_host.clone(),
        })
    }
}

/// The client's address, as rate limits count it: the connection's peer,
/// or behind trusted proxies the address they forwarded.
pub struct ClientAddress(pub ClientKey);

impl FromRequestParts<Arc<AppState>> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let address = client_address(peer, &parts.headers, &app.forwarded_for).map_err(|entry| {
            tracing::warn!(entry = %entry, "refused an X-Forwarded-For entry that is not an address");
            AppError::BadForwardedFor
        })?;
        Ok(Self(ClientKey::from(address)))
    }
}

/// The client's address: `peer`, or when `peer` is a trusted proxy, the
/// first `X-Forwarded-For` entry from the right that is not one. An entry
/// that is not an address is refused (its text, for the log), never taken
/// to mean the proxy.
fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &ForwardedFor,
) -> Result<IpAddr, String> {
    let is_proxy = |address: &IpAddr| match trusted {
        ForwardedFor::Ignored => false,
        ForwardedFor::FromPeer => *address == peer,
        ForwardedFor::Through(networks) => networks.iter().any(|n| n.contains(address)),
    };
    if !is_proxy(&peer) {
        return Ok(peer);
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|value| value.to_str().map_err(|_| "(not text)".to_owned()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        client =
            forwarded_address(entry).ok_or_else(|| entry.chars().take(64).collect::<String>())?;
        // Behind the one proxy, its last entry is the client.
        if matches!(trusted, ForwardedFor::FromPeer) || !is_proxy(&client) {
            break;
        }
    }
    Ok(client)
}

/// One `X-Forwarded-For` entry: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    if let Ok(address) = entry.parse() {
        return Some(address);
    }
    if let Ok(socket) = entry.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// A POSTed form whose `csrf` field matches the session cookie's token.
/// Anything else is refused before the form's own fields are read.
pub struct PageForm<T> {
    pub fields: T,
    pub session: Session,
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
        let (mut parts, body) = request.into_parts();
        let session = read_session(&mut parts.extensions, &parts.headers, app);
        let request = Request::from_parts(parts, body);
        let Ok(WholeBody(body)) = WholeBody::from_request(request, app).await;
        let body = body.map_err(AppError::BadBody)?;
        // Read once: the token, then the fields from the same pairs.
        let pairs = form_pairs(&body);
        let session = match (session, submitted_token(&pairs)) {
            (Some(session), Some(token)) if session.accepts(token) => session,
            _ => return Err(AppError::Forbidden),
        };
        let fields = pairs
            .iter()
            .filter(|(name, _)| name != CSRF_FIELD)
            .map(|(name, value)| (name.as_ref(), value.as_ref()));
        // Read as text (`&str`), as a form's values are: a field of
        // another type (a number, an `Option`) would refuse every form,
        // which its handler's tests would show at once.
        let fields = MapDeserializer::<_, serde::de::value::Error>::new(fields);
        let fields = T::deserialize(fields).map_err(|_| AppError::BadForm)?;
        Ok(Self { fields, session })
    }
}

/// A form body's name-value pairs, decoded as `form_urlencoded::parse`
/// decodes them. A body with nothing to decode (no `%`, no `+`, valid
/// UTF-8: our forms' tokens and codes) is split in place, where the
/// decoder's per-piece work was 340 instructions a piece.
fn form_pairs(body: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    match std::str::from_utf8(body) {
        Ok(text) if !text.contains(['%', '+']) => text
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (Cow::Borrowed(name), Cow::Borrowed(value))
            })
            .collect(),
        _ => url::form_urlencoded::parse(body).collect(),
    }
}

/// The field every page form carries its anti-CSRF token in.
const CSRF_FIELD: &str = "csrf";

/// The form's token: its one `csrf` field (none, or two, is no token).
fn submitted_token<'a>(pairs: &'a [(Cow<'a, str>, Cow<'a, str>)]) -> Option<&'a str> {
    let mut tokens = pairs.iter().filter(|(name, _)| name == CSRF_FIELD);
    match (tokens.next(), tokens.next()) {
        (Some((_, token)), None) => Some(token),
        _ => None,
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

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    const PROXY: &str = "10.0.0.5";

    proptest::proptest! {
        #[test]
        fn form_pairs_are_what_form_urlencoded_reads(
            body in proptest::collection::vec(
                proptest::sample::select(b"ab=&%+2F\xc3\xa9\xff 0".to_vec()),
                0..24,
            )
        ) {
            let expected: Vec<_> = url::form_urlencoded::parse(&body).collect();
            proptest::prop_assert_eq!(form_pairs(&body), expected);
        }
    }

    #[test]
    fn a_form_with_no_csrf_field_or_two_carries_no_token() {
        let token = |body: &str| {
            let pairs: Vec<_> = url::form_urlencoded::parse(body.as_bytes()).collect();
            submitted_token(&pairs).map(str::to_owned)
        };
        assert_eq!(token("csrf=abc&token=1").as_deref(), Some("abc"));
        assert_eq!(token("token=1&cs%72f=abc").as_deref(), Some("abc"));
        assert_eq!(token("token=1"), None);
        assert_eq!(token("csrf=abc&csrf=abc&token=1"), None);
        assert_eq!(token("csrf=abc&token=1&csrf=xyz"), None);
    }

    #[test]
    fn without_a_trusted_proxy_the_peer_is_the_client_whatever_it_forwards() {
        let forwarded = headers(&["203.0.113.9"]);
        let got = client_address(ip(PROXY), &forwarded, &ForwardedFor::Ignored);
        assert_eq!(got, Ok(ip(PROXY)));
    }

    #[test]
    fn behind_the_one_trusted_peer_its_last_entry_is_the_client() {
        let trust = ForwardedFor::FromPeer;
        let got = client_address(ip(PROXY), &headers(&["203.0.113.9, 198.51.100.2"]), &trust);
        assert_eq!(got, Ok(ip("198.51.100.2")));
        let got = client_address(ip(PROXY), &headers(&["203.0.113.9", "2001:db8::1"]), &trust);
        assert_eq!(got, Ok(ip("2001:db8::1")));
        assert_eq!(
            client_address(ip(PROXY), &HeaderMap::new(), &trust),
            Ok(ip(PROXY))
        );
    }

    #[test]
    fn entries_with_ports_and_brackets_are_read() {
        for (entry, address) in [
            ("198.51.100.2:4711", "198.51.100.2"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
        ] {
            let got = client_address(ip(PROXY), &headers(&[entry]), &ForwardedFor::FromPeer);
            assert_eq!(got, Ok(ip(address)), "{entry}");
        }
    }

    #[test]
    fn trusted_networks_are_walked_from_the_right() {
        let trust = ForwardedFor::Through(vec![
            "10.0.0.0/8".parse().expect("a network"),
            "2001:db8:ffff::/48".parse().expect("a network"),
        ]);
        let forwarded = headers(&["6.6.6.6, 203.0.113.9, 10.1.2.3, [2001:db8:ffff::7]:80"]);
        assert_eq!(
            client_address(ip(PROXY), &forwarded, &trust),
            Ok(ip("203.0.113.9"))
        );
        // A peer outside the trusted networks forwards nothing we believe.
        let got = client_address(ip("192.0.2.50"), &forwarded, &trust);
        assert_eq!(got, Ok(ip("192.0.2.50")));
    }

    #[test]
    fn an_entry_that_is_not_an_address_is_refused_not_taken_as_the_proxy() {
        for entry in ["nonsense", "unknown", "198.51.100.2, _hidden", "1.2.3.4.5"] {
            let got = client_address(ip(PROXY), &headers(&[entry]), &ForwardedFor::FromPeer);
            assert!(got.is_err(), "{entry}: {got:?}");
        }
    }
}
