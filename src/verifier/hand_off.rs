//! Handing what a verification proved to another party: a one-time secret
//! (an OpenID Connect authorization code) that the party redeems, once and
//! only with the binding it was made for, for a short-lived token.
//!
//! The store keeps only SHA-256 hashes of the secrets, so a copy of it
//! gives away no usable code or token.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::{Verifier, VerifyError};
use crate::clock::Timestamp;
use crate::phone::PhoneNumber;
use crate::store::{HandingOff, Redeemed, SecretHash};

/// 256 random bits, as 43 URL-safe characters.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(bytes: &[u8]) -> SecretHash {
    Sha256::digest(bytes).into()
}

/// A one-time secret made before a code is checked, and kept by the check
/// itself when the code is right: one step, so one round trip to the
/// store. It stands for `data` about `phone`, and only `phone`: a check of
/// another number's verification keeps nothing and gives no secret.
#[derive(Debug)]
pub struct HandOff {
    secret: SecretString,
    key: SecretHash,
    data: Vec<u8>,
    binding: SecretHash,
    ttl: Duration,
    phone: PhoneNumber,
}

impl HandOff {
    /// `data` about `phone`, redeemable once within `ttl` of the check and
    /// only with `binding` (e.g. a client id, redirect URI and PKCE challenge).
    pub fn new(phone: PhoneNumber, data: Vec<u8>, binding: &[u8], ttl: Duration) -> Self {
        let secret = new_secret();
        Self {
            key: hash(secret.as_bytes()),
            secret: secret.into(),
            data,
            binding: hash(binding),
            ttl,
            phone,
        }
    }

    /// The secret to give the party, once the check said `Verified`.
    pub fn secret(&self) -> &str {
        self.secret.expose_secret()
    }

    /// Whether this hand-off speaks for `phone` (the same E.164, as both
    /// stores compare it).
    pub(super) fn is_for(&self, phone: &PhoneNumber) -> bool {
        self.phone.e164() == phone.e164()
    }

    /// As the store keeps it, when checked at `now`.
    pub(super) fn kept(&self, now: Timestamp) -> HandingOff<'_> {
        HandingOff {
            key: &self.key,
            data: &self.data,
            binding: &self.binding,
            expires: now.after(self.ttl),
            phone: &self.phone,
        }
    }
}

/// What redeeming a hand-off gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// The data handed off, and a token that stands for it until it expires.
    Issued { data: Vec<u8>, token: String },
    /// Refused: unknown, used before (its token is now revoked), too late, or
    /// shown with another binding.
    Refused(Redeemed),
}

impl Verifier {
    /// Redeems `secret` with `binding`; on success the token is good for
    /// `token_ttl`.
    pub async fn redeem(
        &self,
        secret: &str,
        binding: &[u8],
        token_ttl: Duration,
    ) -> Result<Redemption, VerifyError> {
        let token = new_secret();
        let now = self.clock.now();
        let redeemed = self
            .store
            .redeem(
                &hash(secret.as_bytes()),
                &hash(binding),
                &hash(token.as_bytes()),
                now.after(token_ttl),
                now,
            )
            .await?;
        Ok(match redeemed {
            Redeemed::Issued(data) => Redemption::Issued { data, token },
            refused => Redemption::Refused(refused),
        })
    }

    /// The data a token stands for, while it is valid and not revoked.
    pub async fn token(&self, token: &str) -> Result<Option<Vec<u8>>, VerifyError> {
        let now = self.clock.now();
        Ok(self.store.token(&hash(token.as_bytes()), now).await?)
    }
}
