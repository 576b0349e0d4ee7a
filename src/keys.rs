//! The app's secret keys, all derived from one master key
//! (`server.cookie_key`) with HKDF-SHA256 (RFC 5869) under a label each, so
//! no key is another: the cookie's encryption key does not key the code
//! HMAC, and one leaking tells nothing of the others.

use axum_extra::extract::cookie::Key;
use hkdf::Hkdf;
use rand::Rng;
use sha2::Sha256;

use crate::otp::CodeKey;

/// One label per use; changing a label changes that key everywhere.
const COOKIE_LABEL: &[u8] = b"telnyx-2fa cookie encryption v1";
const CODE_LABEL: &[u8] = b"telnyx-2fa code hmac v1";
const SUBJECT_LABEL: &[u8] = b"telnyx-2fa oidc subject v1";

/// The keys derived from one master key.
pub struct Keys {
    /// Encrypts and authenticates the session cookie (AES-256-GCM).
    pub cookie: Key,
    /// Keys the HMAC of stored codes.
    pub code: CodeKey,
    /// Keys the OpenID Connect `sub`: a hash of phone number and client.
    pub subject: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(••••)")
    }
}

impl Keys {
    /// The keys of `master` (at least 32 secret bytes, checked by settings).
    pub fn derive(master: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(None, master);
        let mut cookie = [0u8; 64];
        let mut code = [0u8; 32];
        let mut subject = [0u8; 32];
        hkdf.expand(COOKIE_LABEL, &mut cookie)
            .and_then(|()| hkdf.expand(CODE_LABEL, &mut code))
            .and_then(|()| hkdf.expand(SUBJECT_LABEL, &mut subject))
            .expect("HKDF-SHA256 gives up to 8160 bytes, far more than these");
        Self {
            cookie: Key::from(&cookie),
            code: CodeKey::new(code),
            subject,
        }
    }

    /// Keys for this process only, from a random master key.
    pub fn random() -> Self {
        let mut master = [0u8; 64];
        rand::rng().fill_bytes(&mut master);
        Self::derive(&master)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{Alphabet, CodeFormat};

    #[test]
    fn the_cookie_key_and_the_code_key_differ_and_neither_is_the_master() {
        let master = [9u8; 64];
        let keys = Keys::derive(&master);
        let cookie = keys.cookie.master();
        assert_ne!(cookie, master.as_slice());
        let code = CodeFormat {
            alphabet: Alphabet::Digits,
            length: 6,
        }
        .read_attempt("123456")
        .expect("a code");
        // The code key is neither the cookie key's half nor the master.
        for wrong in [&cookie[..32], &cookie[32..], &master[..32]] {
            let mut bytes = [0u8; 32];
            bytes.copy_from_slice(wrong);
            assert_ne!(
                CodeKey::new(bytes).digest(b"id", &code),
                keys.code.digest(b"id", &code)
            );
        }
    }

    #[test]
    fn the_same_master_gives_the_same_keys() {
        let a = Keys::derive(&[3u8; 32]);
        let b = Keys::derive(&[3u8; 32]);
        assert_eq!(a.cookie.master(), b.cookie.master());
        let c = Keys::derive(&[4u8; 32]);
        assert_ne!(a.cookie.master(), c.cookie.master());
    }
}
