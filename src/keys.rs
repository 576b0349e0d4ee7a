//! The app's secret keys, all derived from the master keys
//! (`server.cookie_keys`, or the one `server.cookie_key`) with HKDF-SHA256
//! (RFC 5869) under a label each, so no key is another: the cookie's
//! encryption key does not key the code HMAC, and one leaking tells nothing
//! of the others.
//!
//! Rotation: the first master key encrypts cookies and keys new codes;
//! every one still decrypts cookies and checks codes, so pending
//! verifications survive a new key. The OpenID Connect `sub` is keyed by the
//! last (oldest) one, so it stays the same while that key is kept.

use axum_extra::extract::cookie::Key;
use hkdf::Hkdf;
use rand::Rng;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use crate::otp::CodeKey;

/// One label per use; changing a label changes that key everywhere.
const COOKIE_LABEL: &[u8] = b"telnyx-2fa cookie encryption v1";
const CODE_LABEL: &[u8] = b"telnyx-2fa code hmac v1";
const SUBJECT_LABEL: &[u8] = b"telnyx-2fa oidc subject v1";
const LOG_TAG_LABEL: &[u8] = b"telnyx-2fa log tag v1";
const RECEIPT_LINK_LABEL: &[u8] = b"telnyx-2fa receipt link v1";

/// The keys derived from the master keys.
pub struct Keys {
    /// Encrypt and authenticate the session cookie (AES-256-GCM): the
    /// first seals, all open.
    pub cookies: Vec<Key>,
    /// Key the HMAC of stored codes: the first for new codes, all to check.
    pub codes: Vec<CodeKey>,
    /// Keys the OpenID Connect `sub`: a hash of phone number and client.
    pub subject: [u8; 32],
    /// Keys the tags phone numbers carry in logs.
    pub log_tag: [u8; 32],
    /// Seal the send a receipt's address names (AES-256-GCM,
    /// `sms::ReceiptLinks`): the first seals, all open.
    pub receipt_links: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(••••)")
    }
}

fn expand<const N: usize>(master: &[u8], label: &[u8]) -> [u8; N] {
    let mut key = [0u8; N];
    Hkdf::<Sha256>::new(None, master)
        .expand(label, &mut key)
        .expect("HKDF-SHA256 gives up to 8160 bytes, far more than these");
    key
}

impl Keys {
    /// The keys of `masters` (each at least 32 secret bytes, checked by
    /// settings); a random one when there are none.
    pub fn derive(masters: &[SecretSlice<u8>]) -> Self {
        if masters.is_empty() {
            let mut master = [0u8; 64];
            rand::rng().fill_bytes(&mut master);
            return Self::derive(&[SecretSlice::from(master.to_vec())]);
        }
        let first = masters[0].expose_secret();
        let last = masters[masters.len() - 1].expose_secret();
        Self {
            cookies: masters
                .iter()
                .map(|m| Key::from(&expand::<64>(m.expose_secret(), COOKIE_LABEL)))
                .collect(),
            codes: masters
                .iter()
                .map(|m| CodeKey::new(expand(m.expose_secret(), CODE_LABEL)))
                .collect(),
            subject: expand(last, SUBJECT_LABEL),
            log_tag: expand(first, LOG_TAG_LABEL),
            receipt_links: masters
                .iter()
                .map(|m| expand(m.expose_secret(), RECEIPT_LINK_LABEL))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{Alphabet, CodeFormat};

    fn master(byte: u8) -> SecretSlice<u8> {
        SecretSlice::from(vec![byte; 64])
    }

    #[test]
    fn the_cookie_key_and_the_code_key_differ_and_neither_is_the_master() {
        let keys = Keys::derive(&[master(9)]);
        let cookie = keys.cookies[0].master();
        assert_ne!(cookie, [9u8; 64].as_slice());
        let code = CodeFormat {
            alphabet: Alphabet::Digits,
            length: 6,
        }
        .read_attempt("123456")
        .expect("a code");
        // The code key is neither the cookie key's half nor the master.
        for wrong in [&cookie[..32], &cookie[32..], &[9u8; 32][..]] {
            let mut bytes = [0u8; 32];
            bytes.copy_from_slice(wrong);
            assert_ne!(
                CodeKey::new(bytes).digest(b"id", &code),
                keys.codes[0].digest(b"id", &code)
            );
        }
        assert_ne!(keys.subject, keys.log_tag);
        assert_ne!(keys.receipt_links[0], keys.log_tag);
        assert_ne!(&keys.receipt_links[0][..], keys.cookies[0].encryption());
    }

    #[test]
    fn the_same_master_gives_the_same_keys_and_rotation_keeps_the_old_ones_and_the_subject() {
        let a = Keys::derive(&[master(3)]);
        let b = Keys::derive(&[master(3)]);
        assert_eq!(a.cookies[0].master(), b.cookies[0].master());
        let rotated = Keys::derive(&[master(4), master(3)]);
        assert_ne!(rotated.cookies[0].master(), a.cookies[0].master());
        assert_eq!(rotated.cookies[1].master(), a.cookies[0].master());
        assert_eq!(rotated.receipt_links[1], a.receipt_links[0]);
        assert_ne!(rotated.receipt_links[0], a.receipt_links[0]);
        assert_eq!(rotated.subject, a.subject, "keyed by the oldest key");
        let random = Keys::derive(&[]);
        assert_eq!((random.cookies.len(), random.codes.len()), (1, 1));
    }
}
