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

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
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

/// What a sealed session starts with: the version of its layout. A session
/// sealed as JSON (before December 2026) starts with `{`.
const PACKED_V1: u8 = 1;

/// The session as the cookie holds it (before encryption), after
/// `PACKED_V1`: postcard, which writes each field in order with no names,
/// and reads strings in place. Reading it took a wrong code's reading of
/// the session from 11.3k instructions to 6.2k (`BENCHMARKS.md`).
///
/// Fields are known by their place, so adding, removing or reordering one
/// here or in `AuthorizationRequest` is a new layout: give it a new
/// version byte and keep reading this one (a test pins its bytes).
#[derive(Serialize, Deserialize)]
struct Packed<'a> {
    csrf: &'a str,
    #[serde(borrow)]
    pending: Option<PackedPending<'a>>,
    authorization: Option<AuthorizationRequest>,
    /// `SendNews` as bits.
    news: u8,
    /// The number verified last, masked.
    verified: Option<&'a str>,
    /// The chosen language's tag.
    language: Option<&'a str>,
}

#[derive(Serialize, Deserialize)]
struct PackedPending<'a> {
    id: [u8; 16],
    code: &'a str,
    /// The number, E.164, its calling code and its country.
    phone: &'a str,
    country_code: u16,
    region: &'a str,
    /// When the code expires, in milliseconds since the epoch.
    expires: u64,
}

/// The session as cookies sealed before December 2026 hold it: JSON with
/// short names. Still read, so no one's session ends at the upgrade.
#[derive(Deserialize)]
struct Stored {
    c: String,
    #[serde(default)]
    p: Option<StoredPending>,
    #[serde(default)]
    a: Option<AuthorizationRequest>,
    /// `SendNews` as bits.
    #[serde(default)]
    s: u8,
    /// The number verified last, masked.
    #[serde(default)]
    v: Option<String>,
    /// The chosen language's tag.
    #[serde(default)]
    l: Option<String>,
}

#[derive(Deserialize)]
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

    /// `PACKED_V1` and the packed session, appended to `out`: only ever
    /// seen encrypted. `None` only if postcard failed, which writing into a
    /// `Vec` does not.
    fn encode_into(&self, out: Vec<u8>) -> Option<Vec<u8>> {
        let packed = Packed {
            csrf: &self.csrf,
            pending: self.pending.as_ref().map(|p| PackedPending {
                id: p.id.to_bytes(),
                code: p.code.as_str(),
                phone: p.phone.e164(),
                country_code: p.phone.country_code(),
                region: p.phone.region_code(),
                expires: p.expires.as_millis(),
            }),
            authorization: self.authorization.clone(),
            news: self.news.bits(),
            verified: self.verified.as_deref(),
            language: self.language.map(|l| l.tag()),
        };
        let mut out = out;
        out.push(PACKED_V1);
        postcard::to_extend(&packed, out).ok()
    }

    fn decode(opened: &[u8], format: CodeFormat) -> Option<Self> {
        match opened.split_first()? {
            (&PACKED_V1, packed) => Self::unpack(packed, format),
            (b'{', _) => Self::from_json(std::str::from_utf8(opened).ok()?, format),
            _ => None,
        }
    }

    fn unpack(bytes: &[u8], format: CodeFormat) -> Option<Self> {
        let (packed, rest) = postcard::take_from_bytes::<Packed>(bytes).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let pending = match packed.pending {
            None => None,
            Some(p) => Some(PendingCode {
                id: VerificationId::from_bytes(p.id),
                code: OtpCode::from_cookie(p.code, format)?,
                phone: PhoneNumber::from_stored(p.phone, p.country_code, p.region)?,
                expires: Timestamp::from_millis(p.expires),
            }),
        };
        Some(Self {
            csrf: Some(packed.csrf)
                .filter(|c| c.len() == CSRF_LEN)?
                .to_owned(),
            pending,
            authorization: packed.authorization,
            news: SendNews::from_bits(packed.news),
            verified: packed.verified.map(str::to_owned),
            language: packed.language.and_then(Language::from_tag),
        })
    }

    fn from_json(text: &str, format: CodeFormat) -> Option<Self> {
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
            csrf: Some(stored.c).filter(|c| c.len() == CSRF_LEN)?,
            pending,
            authorization: stored.a,
            news: SendNews::from_bits(stored.s),
            verified: stored.v,
            language: stored.l.as_deref().and_then(Language::from_tag),
        })
    }
}

/// A CSRF token: 16 random bytes in URL-safe base64.
const CSRF_LEN: usize = 22;

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads and writes the session cookie.
///
/// Sealed as the cookie crate's private jar seals (AES-256-GCM under
/// `Key::encryption`, the cookie's name as associated data, base64 of
/// nonce ‖ ciphertext ‖ tag), so the cookies it sealed, with JSON inside,
/// open here (a test holds it); what is sealed here since December 2026 is
/// the packed session, which the jar, wanting text, would not take. The
/// jar expands each key's AES schedule again for every
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
        let mut sealed = STANDARD.decode(value.as_bytes()).ok()?;
        let tag_at = sealed.len().checked_sub(TAG_LEN)?;
        let (rest, tag) = sealed.split_at_mut(tag_at);
        let (nonce, ciphertext) = rest.split_at_mut_checked(NONCE_LEN)?;
        let (nonce, tag) = (Nonce::from_slice(nonce), Tag::from_slice(tag));
        // Opened in place: the tag is checked before anything is
        // decrypted, so a key that fails leaves it for the next.
        self.ciphers.iter().find(|cipher| {
            cipher
                .decrypt_in_place_detached(nonce, name.as_bytes(), ciphertext, tag)
                .is_ok()
        })?;
        Session::decode(ciphertext, self.format)
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
        let mut sealed = Vec::with_capacity(NONCE_LEN + 128 + TAG_LEN);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        sealed.extend_from_slice(&nonce);
        let Some(mut sealed) = session.encode_into(sealed) else {
            return SessionCookie(None);
        };
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

    /// `read` holds every field of `session`.
    fn assert_same(read: &Session, session: &Session) {
        assert!(read.accepts(session.csrf_token()));
        assert_eq!(read.pending, session.pending);
        assert_eq!(read.authorization, session.authorization);
        assert_eq!(read.news, session.news);
        assert_eq!(read.verified, session.verified);
        assert_eq!(read.language, session.language);
    }

    /// A session with every field set.
    fn every_field() -> Session {
        let mut session = Session::new();
        session.pending = Some(pending(FORMAT.generate()));
        session.authorization = Some(AuthorizationRequest {
            client_id: "spa".into(),
            client_name: "Single Page App".into(),
            redirect_uri: "https://app.example.com/callback".into(),
            state: Some("state with spaces & symbols ü".into()),
            nonce: None,
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            phone_scope: true,
            login_hint: None,
            ui_locales: Some("es ar".into()),
        });
        session.news = SendNews {
            resent: true,
            uncertain: true,
        };
        session.verified = Some("+1 ••• ••• 0123".into());
        session.language = Language::from_tag("ar");
        session
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

        let session = every_field();
        let read = round_trip(&cookies, &session).expect("read back");
        assert_same(&read, &session);
    }

    #[test]
    fn a_session_sealed_as_json_before_the_packed_layout_reads_the_same() {
        let key = Key::generate();
        let cookies = SessionCookies::new(vec![key.clone()], false, FORMAT);
        let session = every_field();
        let sealed = jar_sealed(&key, "twofa", json(&session), false);
        let mut headers = HeaderMap::new();
        let pair = sealed.split(';').next().expect("a pair");
        headers.insert("cookie", pair.parse().expect("a header"));
        let read = cookies.read(&headers).expect("opens");
        assert_same(&read, &session);
        // Written back in the packed layout, which is smaller.
        let packed = session.encode_into(Vec::new()).expect("packs");
        assert_eq!(packed.first(), Some(&PACKED_V1));
        assert!(packed.len() < json(&session).len(), "{}", packed.len());
    }

    #[test]
    fn a_packed_session_of_another_version_or_cut_short_does_not_read() {
        let mut session = Session::new();
        session.pending = Some(pending(FORMAT.generate()));
        let packed = session.encode_into(Vec::new()).expect("packs");
        assert!(Session::decode(&packed, FORMAT).is_some());
        let mut longer = packed.clone();
        longer.push(0);
        assert!(
            Session::decode(&longer, FORMAT).is_none(),
            "a byte too many"
        );
        for cut in 0..packed.len() {
            assert!(
                Session::decode(&packed[..cut], FORMAT).is_none(),
                "cut at {cut}"
            );
        }
        let mut other = packed.clone();
        other[0] = 2;
        assert!(Session::decode(&other, FORMAT).is_none(), "version 2");
        assert!(Session::decode(b"", FORMAT).is_none());
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

    /// `session` as cookies sealed before December 2026 held it.
    fn json(session: &Session) -> String {
        let mut stored = serde_json::json!({
            "c": session.csrf_token(),
            "a": session.authorization,
            "s": session.news.bits(),
            "v": session.verified,
            "l": session.language.map(|l| l.tag()),
        });
        if let Some(p) = &session.pending {
            stored["p"] = serde_json::json!({
                "i": p.id.encode(),
                "c": p.code.as_str(),
                "n": p.phone.e164(),
                "cc": p.phone.country_code(),
                "r": p.phone.region_code(),
                "e": p.expires.as_millis(),
            });
        }
        stored.to_string()
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
    fn cookies_sealed_by_the_cookie_crates_private_jar_as_json_still_open() {
        let key = Key::generate();
        for secure in [false, true] {
            let cookies = SessionCookies::new(vec![key.clone()], secure, FORMAT);
            let name = cookies.name();
            let mut session = Session::new();
            session.pending = Some(pending(FORMAT.generate()));

            let response = (cookies.write(&session), "").into_response();
            let ours = response.headers()["set-cookie"]
                .to_str()
                .expect("ascii")
                .to_owned();

            // The jar's (as cookies were sealed before 2026-12, JSON inside),
            // opened by us, and its attributes are ours.
            let theirs = jar_sealed(&key, name, json(&session), secure);
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
        let other = jar_sealed(&key, "other", json(&session), false);
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
        let padded = json(&session).replacen(
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
    fn the_packed_layout_of_version_1_stays_as_it_is() {
        let mut session = Session::new();
        session.csrf = "A".repeat(CSRF_LEN);
        session.pending = Some(PendingCode {
            id: VerificationId::from_bytes([7; 16]),
            code: OtpCode::from_cookie("123456", FORMAT).expect("a code"),
            phone: PhoneNumber::parse("+12015550123", &"+1".parse().expect("+1")).expect("valid"),
            expires: Timestamp::from_millis(1_800_000_600_000),
        });
        session.news.resent = true;
        session.language = Language::from_tag("es");
        let packed = session.encode_into(Vec::new()).expect("packs");
        let hex: String = packed.iter().map(|b| format!("{b:02x}")).collect();
        // Each line one field; spaces only for reading.
        let expected = [
            "01",                                              // version 1
            "16 41414141414141414141414141414141414141414141", // csrf, 22 bytes
            "01",                                              // a pending code:
            "07070707070707070707070707070707",                // its verification's id
            "06 313233343536",                                 // the code
            "0c 2b3132303135353530313233",                     // the number
            "01",                                              // its calling code
            "02 5553",                                         // its country
            "c0ef95c3b134",                                    // expiry, ms (varint)
            "00",                                              // no sign-in
            "01",                                              // news: resent
            "00",                                              // no verified number
            "01 02 6573",                                      // a language: es
        ];
        assert_eq!(hex, expected.concat().replace(' ', ""));
    }

    #[test]
    fn a_sealed_value_too_short_for_a_nonce_and_a_tag_or_a_token_of_another_length_does_not_read() {
        let cookies = cookies();
        for short in [16, 21, 27] {
            let value = format!("twofa={}", STANDARD.encode(vec![0u8; short]));
            let mut headers = HeaderMap::new();
            headers.insert("cookie", value.parse().expect("a header"));
            assert!(cookies.read(&headers).is_none(), "{short} bytes");
        }
        for csrf in ["", "short", &"A".repeat(CSRF_LEN + 1)] {
            let mut session = Session::new();
            session.csrf = csrf.to_owned();
            let packed = session.encode_into(Vec::new()).expect("packs");
            assert!(Session::decode(&packed, FORMAT).is_none(), "{csrf:?}");
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
