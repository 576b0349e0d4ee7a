//! Verifications: one browser, one phone number, one code.
//!
//! The browser holds only a random `VerificationId` (in a cookie); the store
//! maps it to the rest. A code is checked against its own verification only,
//! so a code sent to one number can never verify another browser.

mod memory;
mod redis;

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

pub use memory::MemoryStore;
pub use redis::RedisStore;

use crate::clock::Timestamp;
use crate::otp::CodeDigest;
use crate::phone::PhoneNumber;
use crate::shared_store::StoreUnavailable;

/// 128 random bits, written as 22 URL-safe base64 characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerificationId([u8; 16]);

impl VerificationId {
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Reads an id back from a cookie; anything else is `None`.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        bytes.try_into().ok().map(Self)
    }
}

/// The id is as good as a password while the code is pending: keep it out of logs.
impl fmt::Debug for VerificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationId(••••)")
    }
}

/// One pending (or finished) phone verification.
#[derive(Debug, Clone)]
pub struct Verification {
    pub phone: PhoneNumber,
    /// Only the HMAC of the code is kept (see `otp::CodeKey`).
    pub digest: CodeDigest,
    pub created: Timestamp,
    pub expires: Timestamp,
    pub wrong_tries: u32,
    pub state: State,
}

/// Where a verification is in its life; expiry is read from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    /// The right code was given; kept until it expires so a replay is told so.
    Used,
    /// `otp.max_attempts` wrong codes were given; only a new code can help.
    Locked,
}

/// What checking a code against a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    Verified {
        phone: PhoneNumber,
    },
    WrongCode {
        phone: PhoneNumber,
        tries_left: u32,
        expires: Timestamp,
    },
    /// This wrong code was the last allowed one, or an earlier one was.
    Locked,
    Expired,
    AlreadyUsed,
    NotFound,
}

/// Where verifications live. Handlers see only this. The memory store never
/// fails; the Redis one fails closed when Redis does.
#[derive(Debug)]
pub enum VerificationStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Default for VerificationStore {
    fn default() -> Self {
        VerificationStore::Memory(MemoryStore::default())
    }
}

impl VerificationStore {
    pub async fn insert(
        &self,
        id: VerificationId,
        verification: Verification,
    ) -> Result<(), StoreUnavailable> {
        match self {
            VerificationStore::Memory(store) => {
                store.insert(id, verification);
                Ok(())
            }
            VerificationStore::Redis(store) => store.insert(&id, &verification).await,
        }
    }

    pub async fn get(&self, id: &VerificationId) -> Result<Option<Verification>, StoreUnavailable> {
        match self {
            VerificationStore::Memory(store) => Ok(store.get(id)),
            VerificationStore::Redis(store) => store.get(id).await,
        }
    }

    pub async fn remove(&self, id: &VerificationId) -> Result<(), StoreUnavailable> {
        match self {
            VerificationStore::Memory(store) => {
                store.remove(id);
                Ok(())
            }
            VerificationStore::Redis(store) => store.remove(id).await,
        }
    }

    /// Checks the digest of a typed code and records the result in one
    /// atomic step: a right code is used up, a wrong one counted.
    pub async fn check(
        &self,
        id: &VerificationId,
        attempt: &CodeDigest,
        now: Timestamp,
        max_attempts: u32,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        match self {
            VerificationStore::Memory(store) => Ok(store.check(id, attempt, now, max_attempts)),
            VerificationStore::Redis(store) => store.check(id, attempt, now, max_attempts).await,
        }
    }

    /// Forgets verifications that have expired; returns how many.
    pub async fn sweep(&self, now: Timestamp) -> Result<usize, StoreUnavailable> {
        match self {
            VerificationStore::Memory(store) => Ok(store.sweep(now)),
            VerificationStore::Redis(store) => store.sweep(now).await,
        }
    }

    /// How many verifications are held (live ones, and used or locked ones
    /// kept until they expire).
    pub async fn count(&self, now: Timestamp) -> Result<usize, StoreUnavailable> {
        match self {
            VerificationStore::Memory(store) => Ok(store.count()),
            VerificationStore::Redis(store) => store.count(now).await,
        }
    }
}

impl Verification {
    /// Whether a code can still be checked or resent; if not, why not.
    pub fn still_pending(&self, now: Timestamp) -> Result<(), CheckOutcome> {
        if now >= self.expires {
            return Err(CheckOutcome::Expired);
        }
        match self.state {
            State::Pending => Ok(()),
            State::Used => Err(CheckOutcome::AlreadyUsed),
            State::Locked => Err(CheckOutcome::Locked),
        }
    }

    /// The rules for one attempt, applied to the verification in place.
    fn check(&mut self, attempt: &CodeDigest, now: Timestamp, max_attempts: u32) -> CheckOutcome {
        if let Err(outcome) = self.still_pending(now) {
            return outcome;
        }
        if self.digest.matches(attempt) {
            self.state = State::Used;
            return CheckOutcome::Verified { phone: self.phone };
        }
        self.wrong_tries += 1;
        let tries_left = max_attempts.saturating_sub(self.wrong_tries);
        if tries_left == 0 {
            self.state = State::Locked;
        }
        CheckOutcome::WrongCode {
            phone: self.phone,
            tries_left,
            expires: self.expires,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_survives_a_round_trip_through_text() {
        let id = VerificationId::random();
        assert_eq!(id.encode().len(), 22);
        assert_eq!(VerificationId::decode(&id.encode()), Some(id));
    }

    #[test]
    fn text_that_is_not_an_id_is_refused() {
        for text in [
            "",
            "short",
            "!!!!!!!!!!!!!!!!!!!!!!",
            &"A".repeat(23),
            &"A".repeat(400),
        ] {
            assert_eq!(VerificationId::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn ids_do_not_show_in_debug_output() {
        let id = VerificationId::random();
        assert!(!format!("{id:?}").contains(&id.encode()));
    }
}
