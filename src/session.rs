//! The browser's session: one encrypted, HttpOnly cookie.
//!
//! It holds the anti-CSRF token that every form echoes back; while a code is
//! pending, the verification id and the code itself; and during a sign-in
//! for another website (OpenID Connect), that website's request; what the
//! last send said (for the code page the browser is redirected to) and the
//! masked number it verified last (for `GET /verified`); and the language
//! the person picked on the switcher. The server
//! keeps only an HMAC of the code, so the cookie (AES-256-GCM, under a key
//! derived from `server.cookie_key`) is what lets "Send the code again" text the
//! same code again.

use std::convert::Infallible;

use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use axum_extra::extract::cookie::Key;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::Rng;
use subtle::ConstantTimeEq;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::i18n::Language;
use crate::oidc::AuthorizationRequest;
use crate::otp::{CodeFormat, OtpCode};
use crate::phone::PhoneNumber;
use crate::verification::VerificationId;
use crate::verifier::PendingCode;

/// What the browser carries between requests.
#[derive(Debug, Clone)]
pub struct Session {
    csrf: String,
    /// The code this browser is waiting on.
    pub pending: Option<PendingCode>,
    /// The website this person is signing in to, if any.
    pub authorization: Option<AuthorizationRequest>,
    /// What the last send said, for the code page the browser is sent to
    /// after it (Post/Redirect/Get).
    pub news: SendNews,
    /// The number (masked) this browser verified last: `GET /verified`
    /// shows it, and the used code typed again is told so.
    pub verified: Option<String>,
    /// The language picked on the pages' switcher: it beats the browser's
    /// (and, picked during a sign-in, the website's `ui_locales`).
    pub language: Option<Language>,
}

/// What a send said beyond "sent".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendNews {
    /// The same code was texted again.
    pub resent: bool,
    /// Telnyx's answer never came: the SMS may or may not have gone.
    pub uncertain: bool,
}

impl SendNews {
    fn bits(self) -> u8 {
        u8::from(self.resent) | (u8::from(self.uncertain) << 1)
    }

    fn from_bits(bits: u8) -> Self {
        Self {
            resent: bits & 1 != 0,
            uncertain: bits & 2 != 0,
        }
    }
}

/// The session as the cookie holds it (before encryption): short names,
/// since a cookie's size is limited.
#[derive(Serialize, Deserialize)]
struct Stored {
    c: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<StoredPending>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<AuthorizationRequest>,
    /// `SendNews` as bits.
    #[serde(default, skip_serializing_if = "is_zero")]
    s: u8,
    /// The number verified last, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v: Option<String>,
    /// The chosen language's tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    l: Option<String>,
}

fn is_zero(bits: &u8) -> bool {
    *bits == 0
}

#[derive(Serialize, Deserialize)]
struct StoredPending {
    /// Verification id.
    i: String,
    /// The code.
    c: String,
    /// The number, E.164, its calling code and its country.
    n: String,
    cc: u16,
    #[serde(default)]
    r: String,
    /// When the code expires, in milliseconds since the epoch.
    e: u64,
}

impl Session {
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self {
            csrf: URL_SAFE_NO_PAD.encode(bytes),
            pending: None,
            authorization: None,
            news: SendNews::default(),
            verified: None,
            language: None,
        }
    }

    /// The token for the forms' hidden `csrf` field.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    /// Whether a form's token is this session's, compared in constant time.
    pub fn accepts(&self, token: &str) -> bool {
        self.csrf.as_bytes().ct_eq(token.as_bytes()).into()
    }

    /// The name of the website this person is signing in to, if any.
    pub fn client_name(&self) -> Option<&str> {
        self.authorization.as_ref().map(|a| a.client_name.as_str())
    }

    /// JSON: only ever seen encrypted.
    fn encode(&self) -> String {
        let stored = Stored {
            c: self.csrf.clone(),
            p: self.pending.as_ref().map(|p| StoredPending {
                i: p.id.encode(),
                c: p.code.as_str().to_owned(),
                n: p.phone.e164().to_owned(),
                cc: p.phone.country_code(),
                r: p.phone.region_code().to_owned(),
                e: p.expires.as_millis(),
            }),
            a: self.authorization.clone(),
            s: self.news.bits(),
            v: self.verified.clone(),
            l: self.language.map(|l| l.tag().to_owned()),
        };
        serde_json::to_string(&stored).unwrap_or_default()
    }

    fn decode(text: &str, format: CodeFormat) -> Option<Self> {
        let stored: Stored = serde_json::from_str(text).ok()?;
        let pending = match stored.p {
            None => None,
            Some(p) => Some(PendingCode {
                id: VerificationId::decode(&p.i)?,
                code: OtpCode::from_cookie(&p.c, format)?,
                phone: PhoneNumber::from_stored(&p.n, p.cc, &p.r)?,
                expires: Timestamp::from_millis(p.e),
            }),
        };
        Some(Self {
            csrf: Some(stored.c).filter(|c| c.len() == 22)?,
            pending,
            authorization: stored.a,
            news: SendNews::from_bits(stored.s),
            verified: stored.v,
            language: stored.l.as_deref().and_then(Language::from_tag),
        })
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads and writes the session cookie.
///
/// Sealed as the cookie crate's private jar seals (AES-256-GCM under
/// `Key::encryption`, the cookie's name as associated data, base64 of
/// nonce ‖ ciphertext ‖ tag), so cookies of either open with the other (a
/// test holds it). The jar expands each key's AES schedule again for every
/// cookie and builds a jar around it; here each key's cipher is made once,
/// which took sealing and opening from 15% of `GET /`'s instructions to
/// what is left below.
#[derive(Clone)]
pub struct SessionCookies {
    /// The first seals; every one opens (key rotation).
    ciphers: Vec<Aes256Gcm>,
    /// Set when the app is served over https: adds `Secure` and the
    /// `__Host-` name prefix, which forbids a sibling domain from setting it.
    secure: bool,
    format: CodeFormat,
}

/// The private jar's layout of a sealed value.
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Browsers keep cookies of up to 4096 bytes, name included (RFC 6265 §6.1).
const MAX_COOKIE: usize = 4096;

impl std::fmt::Debug for SessionCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCookies")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl SessionCookies {
    /// `keys` must not be empty: the first seals new cookies.
    pub fn new(keys: Vec<Key>, secure: bool, format: CodeFormat) -> Self {
        let ciphers = keys
            .iter()
            .map(|key| {
                Aes256Gcm::new_from_slice(key.encryption())
                    .expect("a cookie key's encryption half is 32 bytes")
            })
            .collect();
        Self {
            ciphers,
            secure,
            format,
        }
    }

    fn name(&self) -> &'static str {
        if self.secure { "__Host-twofa" } else { "twofa" }
    }

    /// The session the request's cookie holds; `None` when there is no
    /// cookie, or it was made with none of our keys, or it is not well formed.
    ///
    /// Only our cookie is parsed and opened, not every cookie of the request
    /// under every key, as building a `PrivateCookieJar` would: reading the
    /// session was a sixth of a wrong code's CPU.
    pub fn read(&self, headers: &HeaderMap) -> Option<Session> {
        let name = self.name();
        let value = headers
            .get_all(header::COOKIE)
            .into_iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                let (n, value) = pair.trim().split_once('=')?;
                (n == name).then_some(value.trim())
            })?;
        // No browser keeps a longer cookie; a longer one is not opened
        // (under every key).
        if value.len() > MAX_COOKIE {
            return None;
        }
        // Written unencoded since 2026-12; one written before is decoded.
        let value = if value.contains('%') {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .ok()?
        } else {
            value.into()
        };
        let sealed = STANDARD.decode(value.as_bytes()).ok()?;
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::from_slice(nonce);
        self.ciphers.iter().find_map(|cipher| {
            let payload = Payload {
                msg: ciphertext,
                aad: name.as_bytes(),
            };
            let opened = cipher.decrypt(nonce, payload).ok()?;
            Session::decode(std::str::from_utf8(&opened).ok()?, self.format)
        })
    }

    /// The `Set-Cookie` that carries `session`, sealed with the first key.
    ///
    /// Written as it is, not percent-encoded as a `PrivateCookieJar` would:
    /// the sealed value is base64, whose `+`, `/` and `=` are cookie-octets
    /// (RFC 6265), so the encoding only cost time (3% of `GET /`). Cookies
    /// written encoded read back the same (`read` decodes).
    pub fn write(&self, session: &Session) -> SessionCookie {
        let Some(cipher) = self.ciphers.first() else {
            return SessionCookie(None);
        };
        let plain = session.encode();
        let mut sealed = Vec::with_capacity(NONCE_LEN + plain.len() + TAG_LEN);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plain.as_bytes());
        let name = self.name();
        let Ok(tag) = cipher.encrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            name.as_bytes(),
            &mut sealed[NONCE_LEN..],
        ) else {
            return SessionCookie(None);
        };
        sealed.extend_from_slice(&tag);
        let attributes = if self.secure {
            "; HttpOnly; SameSite=Lax; Secure; Path=/"
        } else {
            "; HttpOnly; SameSite=Lax; Path=/"
        };
        let mut header =
            String::with_capacity(name.len() + 1 + sealed.len() * 4 / 3 + 4 + attributes.len());
        header.push_str(name);
        header.push('=');
        STANDARD.encode_string(&sealed, &mut header);
        header.push_str(attributes);
        // The sealed session is a bearer token: kept out of debug output.
        SessionCookie(HeaderValue::try_from(header).ok().map(|mut value| {
            value.set_sensitive(true);
            value
        }))
    }
}

/// A response's `Set-Cookie` for the session (see `SessionCookies::write`).
#[derive(Debug)]
pub struct SessionCookie(Option<HeaderValue>);

impl IntoResponseParts for SessionCookie {
    type Error = Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Infallible> {
        if let Some(value) = self.0 {
            parts.headers_mut().append(header::SET_COOKIE, value);
        }
        Ok(parts)
    }
}

impl IntoResponse for SessionCookie {
    fn into_response(self) -> Response {
        (self, ()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::Alphabet;

    const FORMAT: CodeFormat = CodeFormat {
        alphabet: Alphabet::Digits,
        length: 6,
    };

    fn pending(code: OtpCode) -> PendingCode {
        PendingCode {
            id: VerificationId::random(),
            code,
            phone: PhoneNumber::parse("+12015550123", &"+1".parse().expect("+1")).expect("valid"),
            expires: Timestamp::from_millis(1_800_000_600_000),
        }
    }

    fn cookies() -> SessionCookies {
        SessionCookies::new(vec![Key::generate()], false, FORMAT)
    }

    fn round_trip(cookies: &SessionCookies, session: &Session) -> Option<Session> {
        let response = (cookies.write(session), "").into_response();
        let set_cookie = response.headers().get("set-cookie")?.to_str().ok()?;
        let mut headers = HeaderMap::new();
        headers.insert("cookie", set_cookie.split(';').next()?.parse().ok()?);
        cookies.read(&headers)
    }

    use axum::response::IntoResponse;

    #[test]
    fn the_cookie_is_written_as_plain_base64_and_a_percent_encoded_one_still_reads() {
        let cookies = cookies();
        let session = Session::new();
        let response = (cookies.write(&session), "").into_response();
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(set_cookie.starts_with("twofa="), "{set_cookie}");
        assert!(!set_cookie.contains('%'), "{set_cookie}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let value = set_cookie.split(';').next().unwrap_or_default();
        // As the cookie crate writes it: percent-encoded (any character may
        // be; the first always is here).
        let sealed = value.strip_prefix("twofa=").unwrap_or_default();
        let first = sealed.bytes().next().unwrap_or(b'A');
        let encoded = format!(
            "twofa=%{first:02X}{}",
            sealed[1..].replace('+', "%2B").replace('/', "%2F")
        );
        for sent in [value.to_owned(), encoded] {
            let mut headers = HeaderMap::new();
            headers.insert("cookie", sent.parse().expect("a header"));
            let read = cookies.read(&headers).expect("read back");
            assert!(read.accepts(session.csrf_token()), "{sent}");
        }
    }

    #[test]
    fn a_session_survives_the_cookie_round_trip() {
        let cookies = cookies();
        let mut session = Session::new();
        let read = round_trip(&cookies, &session).expect("read back");
        assert!(read.accepts(session.csrf_token()));
        assert!(read.pending.is_none());
        session.pending = Some(pending(FORMAT.generate()));
        let read = round_trip(&cookies, &session).expect("read back");
        assert_eq!(session.pending, read.pending);
    }

    #[test]
    fn a_cookie_made_with_another_key_is_ignored() {
        let session = Session::new();
        let response = (cookies().write(&session), "").into_response();
        let value = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .parse()
                .expect("header"),
        );
        assert!(cookies().read(&headers).is_none());
    }

    #[test]
    fn the_cookie_never_shows_the_code_or_token_in_clear() {
        let cookies = cookies();
        let mut session = Session::new();
        let code = FORMAT.generate();
        session.pending = Some(pending(code.clone()));
        let response = (cookies.write(&session), "").into_response();
        let value = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(!value.contains(session.csrf_token()));
        assert!(!value.contains(code.as_str()));
    }

    #[test]
    fn after_a_key_rotation_a_cookie_sealed_with_the_old_key_still_opens() {
        let (old, new) = (Key::generate(), Key::generate());
        let before = SessionCookies::new(vec![old.clone()], false, FORMAT);
        let session = Session::new();
        let response = (before.write(&session), "").into_response();
        let set_cookie = response.headers()["set-cookie"].to_str().expect("ascii");
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            set_cookie
                .split(';')
                .next()
                .expect("a cookie")
                .parse()
                .expect("a header"),
        );
        let after = SessionCookies::new(vec![new.clone(), old], false, FORMAT);
        assert!(
            after
                .read(&headers)
                .is_some_and(|s| s.accepts(session.csrf_token()))
        );
        let dropped = SessionCookies::new(vec![new], false, FORMAT);
        assert!(
            dropped.read(&headers).is_none(),
            "a key taken out no longer opens"
        );
    }

    /// The cookie crate's private jar, as the cookie was sealed before.
    fn jar_sealed(key: &Key, name: &'static str, value: String, secure: bool) -> String {
        let cookie = cookie::Cookie::build((name, value))
            .http_only(true)
            .secure(secure)
            .same_site(cookie::SameSite::Lax)
            .path("/");
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(key).add(cookie);
        jar.get(name).map(|c| c.to_string()).unwrap_or_default()
    }

    #[test]
    fn cookies_sealed_here_and_by_the_cookie_crates_private_jar_open_in_either() {
        let key = Key::generate();
        for secure in [false, true] {
            let cookies = SessionCookies::new(vec![key.clone()], secure, FORMAT);
            let name = cookies.name();
            let mut session = Session::new();
            session.pending = Some(pending(FORMAT.generate()));

            // Ours, opened by the jar.
            let response = (cookies.write(&session), "").into_response();
            let ours = response.headers()["set-cookie"]
                .to_str()
                .expect("ascii")
                .to_owned();
            let parsed = cookie::Cookie::parse(ours.clone()).expect("a cookie");
            let opened = cookie::CookieJar::new()
                .private(&key)
                .decrypt(parsed.into_owned())
                .expect("the jar opens ours");
            assert_eq!(opened.value(), session.encode());

            // The jar's, opened by us, and its attributes are ours.
            let theirs = jar_sealed(&key, name, session.encode(), secure);
            let attributes = |c: &str| c.split_once(';').map(|(_, a)| a.to_owned());
            assert_eq!(attributes(&ours), attributes(&theirs), "secure: {secure}");
            let mut headers = HeaderMap::new();
            let pair = theirs.split(';').next().expect("a pair");
            headers.insert("cookie", pair.parse().expect("a header"));
            let read = cookies.read(&headers).expect("we open the jar's");
            assert!(read.accepts(session.csrf_token()));
            assert_eq!(read.pending, session.pending);
        }
    }

    #[test]
    fn a_cookie_under_another_name_or_tampered_with_does_not_open() {
        let key = Key::generate();
        let cookies = SessionCookies::new(vec![key.clone()], false, FORMAT);
        let session = Session::new();
        // Sealed for another name: the name is the seal's associated data.
        let other = jar_sealed(&key, "other", session.encode(), false);
        let value = other
            .split(';')
            .next()
            .and_then(|p| p.split_once('='))
            .map(|(_, v)| v);
        let mut headers = HeaderMap::new();
        let swapped = format!("twofa={}", value.unwrap_or_default());
        headers.insert("cookie", swapped.parse().expect("a header"));
        assert!(
            cookies.read(&headers).is_none(),
            "a value moved between names"
        );

        let response = (cookies.write(&session), "").into_response();
        let ours = response.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let pair = ours.split(';').next().expect("a pair");
        let mut sealed = STANDARD
            .decode(pair.trim_start_matches("twofa="))
            .expect("base64");
        for at in [0, NONCE_LEN, sealed.len() - 1] {
            sealed[at] ^= 1;
            let tampered = format!("twofa={}", STANDARD.encode(&sealed));
            sealed[at] ^= 1;
            let mut headers = HeaderMap::new();
            headers.insert("cookie", tampered.parse().expect("a header"));
            assert!(cookies.read(&headers).is_none(), "a flipped bit at {at}");
        }
        // Sealed right, but longer than any browser keeps.
        let padded = session.encode().replacen(
            '{',
            &format!("{{\"pad\":\"{}\",", "x".repeat(MAX_COOKIE)),
            1,
        );
        let huge = jar_sealed(&key, "twofa", padded, false);
        let huge = huge.split(';').next().unwrap_or_default().to_owned();
        let quoted = format!("twofa=\"{}\"", pair.trim_start_matches("twofa="));
        for short in [
            "twofa=",
            "twofa=AAAA",
            "twofa=%%%",
            "twofa=not base64!",
            &huge,
            &quoted,
        ] {
            let mut headers = HeaderMap::new();
            headers.insert("cookie", short.parse().expect("a header"));
            assert!(cookies.read(&headers).is_none(), "{short}");
        }
    }

    #[test]
    fn tokens_are_compared_exactly() {
        let session = Session::new();
        assert!(session.accepts(session.csrf_token()));
        assert!(!session.accepts(""));
        assert!(!session.accepts(Session::new().csrf_token()));
    }
}
