//! The address Telnyx is asked to send one message's receipts to names the
//! send they are about: `{server.public_url}/webhooks/telnyx?send=…`, where
//! `…` is the verification's id and the time its code was texted, sealed.
//! So a receipt finds its verification from its own address, and a send
//! needs no second store step after the SMS to note Telnyx's message id.
//!
//! Sealed, not only signed: a verification's id is as good as a password
//! while its code is pending, and addresses end up in logs (Telnyx's,
//! a proxy's). AES-256-GCM under a key of its own (`keys.rs`), base64url of
//! nonce ‖ ciphertext ‖ tag. The first key seals; every key opens, so
//! receipts of messages sent before a key rotation still find their
//! verification.
//!
//! Telnyx repeats the address in each receipt's signed body
//! (`payload.webhook_url`), which is where it is read from: so a receipt is
//! bound to its send by Telnyx's signature (`webhooks`), and it counts only
//! for a verification of the number the receipt names.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use url::Url;

use crate::clock::Timestamp;
use crate::verification::{SendRef, VerificationId};

/// The query parameter that carries the sealed send.
pub const PARAMETER: &str = "send";

/// Bound to this use: a sealed cookie is not a link, nor a link a cookie.
const ASSOCIATED: &[u8] = b"telnyx-2fa receipt link";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The verification's id and the send's time in milliseconds.
const PLAIN_LEN: usize = 16 + 8;
const SEALED_LEN: usize = NONCE_LEN + PLAIN_LEN + TAG_LEN;
/// Base64url without padding of `SEALED_LEN` bytes.
const TEXT_LEN: usize = (SEALED_LEN * 4).div_ceil(3);

/// Makes and opens the receipt addresses of sends.
#[derive(Clone)]
pub struct ReceiptLinks {
    /// `{server.public_url}/webhooks/telnyx`.
    url: Url,
    /// The first seals; every one opens (key rotation). Never empty.
    ciphers: Vec<Aes256Gcm>,
}

impl std::fmt::Debug for ReceiptLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptLinks")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl ReceiptLinks {
    /// Links to `url`, sealed with the first of `keys`; `None` when there
    /// are no keys.
    pub fn new(url: Url, keys: &[[u8; 32]]) -> Option<Self> {
        let ciphers: Vec<Aes256Gcm> = keys
            .iter()
            .filter_map(|key| Aes256Gcm::new_from_slice(key).ok())
            .collect();
        (!ciphers.is_empty()).then_some(Self { url, ciphers })
    }

    /// Where Telnyx is to send the receipts of `send`.
    pub fn url_for(&self, send: &SendRef) -> Url {
        let mut sealed = Vec::with_capacity(SEALED_LEN);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(send.verification.as_bytes());
        sealed.extend_from_slice(&send.sent.as_millis().to_be_bytes());
        let mut url = self.url.clone();
        // Sealing 24 bytes under a valid key does not fail; if it did, the
        // address names no send and its receipts are ignored.
        if let Ok(tag) = self.ciphers[0].encrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            ASSOCIATED,
            &mut sealed[NONCE_LEN..],
        ) {
            sealed.extend_from_slice(&tag);
            url.query_pairs_mut()
                .append_pair(PARAMETER, &URL_SAFE_NO_PAD.encode(&sealed));
        }
        url
    }

    /// The send an address made by `url_for` names, if one of our keys
    /// sealed it. (Its `send` is the last: ours is appended to whatever
    /// query `server.public_url` has.)
    pub fn open(&self, address: &str) -> Option<SendRef> {
        let address = Url::parse(address).ok()?;
        let text = address
            .query_pairs()
            .filter_map(|(name, value)| (name == PARAMETER).then_some(value))
            .last()?;
        if text.len() != TEXT_LEN {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
        if sealed.len() != SEALED_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at_checked(NONCE_LEN)?;
        let (ciphertext, tag) = rest.split_at_checked(PLAIN_LEN)?;
        let plain = self.ciphers.iter().find_map(|cipher| {
            let mut plain = [0u8; PLAIN_LEN];
            plain.copy_from_slice(ciphertext);
            cipher
                .decrypt_in_place_detached(
                    Nonce::from_slice(nonce),
                    ASSOCIATED,
                    &mut plain,
                    Tag::from_slice(tag),
                )
                .ok()
                .map(|()| plain)
        })?;
        let (id, sent) = plain.split_at(16);
        Some(SendRef {
            verification: VerificationId::from_bytes(id.try_into().ok()?),
            sent: Timestamp::from_millis(u64::from_be_bytes(sent.try_into().ok()?)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://verify.example.com/webhooks/telnyx";

    fn links(keys: &[[u8; 32]]) -> ReceiptLinks {
        ReceiptLinks::new(Url::parse(BASE).expect("a URL"), keys).expect("keys")
    }

    fn a_send() -> SendRef {
        SendRef {
            verification: VerificationId::random(),
            sent: Timestamp::from_millis(1_800_000_000_123),
        }
    }

    #[test]
    fn a_link_opens_to_the_send_it_was_made_for_and_does_not_show_the_id() {
        let links = links(&[[1; 32]]);
        let send = a_send();
        let url = links.url_for(&send);
        assert_eq!(url.path(), "/webhooks/telnyx");
        assert_eq!(links.open(url.as_str()), Some(send.clone()));
        let id = send.verification.encode();
        assert!(!url.as_str().contains(&id), "{url}");
        assert_ne!(
            links.url_for(&send),
            url,
            "a fresh nonce each time, so two links of one verification look unrelated"
        );
    }

    #[test]
    fn a_link_of_another_key_or_changed_or_missing_opens_to_nothing() {
        let send = a_send();
        let url = links(&[[1; 32]]).url_for(&send);
        assert_eq!(links(&[[2; 32]]).open(url.as_str()), None, "another key");
        let rotated = links(&[[2; 32], [1; 32]]);
        assert_eq!(
            rotated.open(url.as_str()),
            Some(send),
            "an older key still opens"
        );
        let links = links(&[[1; 32]]);
        let text = url
            .query()
            .and_then(|q| q.strip_prefix("send="))
            .expect("a seal");
        // The nonce, the id, the time, the tag: one character changed in each.
        for at in [3, 20, 40, text.len() - 10] {
            let mut changed = text.as_bytes().to_vec();
            changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).expect("ASCII");
            let address = format!("{BASE}?send={changed}");
            assert_eq!(links.open(&address), None, "at {at}");
        }
        let odd = [
            String::new(),
            BASE.to_owned(),
            format!("{BASE}?send="),
            format!("{BASE}?other={text}"),
            format!("{BASE}?send=%FF"),
            format!("{BASE}?send={text}A"),
            format!("{BASE}?send={}", &text[..text.len() - 1]),
            format!("{BASE}?send={text}&send=AAAA"),
        ];
        for odd in odd {
            assert_eq!(links.open(&odd), None, "{odd:?}");
        }
    }

    #[test]
    fn a_public_url_with_a_query_of_its_own_keeps_it_and_ours_is_the_send_read() {
        let url =
            Url::parse("https://verify.example.com/hooks/telnyx?tenant=a&send=x").expect("a URL");
        let links = ReceiptLinks::new(url, &[[1; 32]]).expect("keys");
        let send = a_send();
        let link = links.url_for(&send);
        let kept = "https://verify.example.com/hooks/telnyx?tenant=a&send=x&send=";
        assert!(link.as_str().starts_with(kept), "{link}");
        assert_eq!(links.open(link.as_str()), Some(send));
    }
}
