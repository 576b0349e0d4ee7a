//! Telnyx's webhooks, both ways: delivery receipts coming in from Telnyx
//! (`receipts`), and the Verify API's events going out to profiles'
//! `webhook_url`s (`events`), signed the way Telnyx signs its own, so one
//! verifier serves a receiver of either.
//!
//! The scheme (Telnyx's SDKs, `webhook_verification`): an Ed25519 signature
//! over `"{telnyx-timestamp}|{raw body}"`, in the `telnyx-signature-ed25519`
//! header as standard base64; `telnyx-timestamp` is Unix seconds, and a
//! receiver refuses one more than 300 s from its own clock, either way.

pub mod events;
pub mod receipts;

use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::clock::Timestamp;

pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

/// How far a webhook's timestamp may be from our clock, either way.
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// Why a webhook's signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unsigned {
    #[error("no telnyx-signature-ed25519 or telnyx-timestamp header")]
    Missing,
    #[error("a signature or timestamp header that cannot be read")]
    Malformed,
    #[error("a timestamp more than 300 s from now")]
    Stale,
    #[error("a signature that does not match the body")]
    Forged,
}

/// The bytes a signature covers.
fn signed_bytes(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(timestamp.len() + 1 + body.len());
    bytes.extend_from_slice(timestamp.as_bytes());
    bytes.push(b'|');
    bytes.extend_from_slice(body);
    bytes
}

/// Checks `body` against its headers and `key`, before anything reads it:
/// the timestamp first (as Telnyx's SDKs do), then the signature, strictly.
pub fn verify(
    key: &VerifyingKey,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<(), Unsigned> {
    let header = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().map_err(|_| Unsigned::Malformed))
    };
    let (Some(signature), Some(timestamp)) = (header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER))
    else {
        return Err(Unsigned::Missing);
    };
    let (signature, timestamp) = (signature?, timestamp?);
    let seconds: u64 = timestamp.trim().parse().map_err(|_| Unsigned::Malformed)?;
    let sent = Timestamp::from_millis(seconds.saturating_mul(1000));
    if now.until(sent) > TOLERANCE || sent.until(now) > TOLERANCE {
        return Err(Unsigned::Stale);
    }
    let signature = STANDARD
        .decode(signature.trim())
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .ok_or(Unsigned::Malformed)?;
    key.verify_strict(&signed_bytes(timestamp, body), &signature)
        .map_err(|_| Unsigned::Forged)
}

/// The two headers that sign `body` at `now`, as Telnyx would.
pub fn sign(key: &SigningKey, body: &[u8], now: Timestamp) -> [(&'static str, String); 2] {
    let timestamp = (now.as_millis() / 1000).to_string();
    let signature = key.sign(&signed_bytes(&timestamp, body));
    [
        (SIGNATURE_HEADER, STANDARD.encode(signature.to_bytes())),
        (TIMESTAMP_HEADER, timestamp),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);

    fn signed(key: &SigningKey, body: &[u8], at: Timestamp) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in sign(key, body, at) {
            headers.insert(name, value.parse().expect("a header value"));
        }
        headers
    }

    #[test]
    fn a_body_signed_with_the_key_passes_and_one_altered_byte_fails() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let body = br#"{"data":{"event_type":"message.finalized"}}"#;
        let headers = signed(&key, body, NOW);
        assert_eq!(verify(&key.verifying_key(), &headers, body, NOW), Ok(()));
        let mut altered = body.to_vec();
        altered[10] ^= 1;
        assert_eq!(
            verify(&key.verifying_key(), &headers, &altered, NOW),
            Err(Unsigned::Forged)
        );
        let other = SigningKey::from_bytes(&[4; 32]).verifying_key();
        assert_eq!(verify(&other, &headers, body, NOW), Err(Unsigned::Forged));
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_away_either_way_is_stale() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let public = key.verifying_key();
        for (offset, expected) in [(299, Ok(())), (301, Err(Unsigned::Stale))] {
            let early = signed(&key, b"{}", NOW.after(Duration::from_secs(offset)));
            assert_eq!(verify(&public, &early, b"{}", NOW), expected, "+{offset} s");
            let late = signed(&key, b"{}", NOW);
            let now = NOW.after(Duration::from_secs(offset));
            assert_eq!(verify(&public, &late, b"{}", now), expected, "-{offset} s");
        }
    }

    #[test]
    fn missing_or_unreadable_headers_are_refused() {
        let public = SigningKey::from_bytes(&[3; 32]).verifying_key();
        assert_eq!(
            verify(&public, &HeaderMap::new(), b"{}", NOW),
            Err(Unsigned::Missing)
        );
        let mut headers = HeaderMap::new();
        headers.insert(TIMESTAMP_HEADER, "1800000000".parse().expect("value"));
        headers.insert(SIGNATURE_HEADER, "not base64!".parse().expect("value"));
        assert_eq!(
            verify(&public, &headers, b"{}", NOW),
            Err(Unsigned::Malformed)
        );
        headers.insert(TIMESTAMP_HEADER, "soon".parse().expect("value"));
        assert_eq!(
            verify(&public, &headers, b"{}", NOW),
            Err(Unsigned::Malformed)
        );
    }
}
