//! Verifications: one browser, one phone number, one code.
//!
//! The browser holds only a random `VerificationId` (in a cookie); the store
//! maps it to the rest. A code is checked against its own verification only,
//! so a code sent to one number can never verify another browser.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

use crate::clock::Timestamp;
use crate::limits::LimitHit;
use crate::otp::CodeDigest;
use crate::phone::PhoneNumber;

/// How long a finished or expired verification is kept after its code
/// expires, so a late check is told what happened rather than "not found".
pub const KEPT_AFTER_EXPIRY: Duration = Duration::from_secs(600);

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub phone: PhoneNumber,
    /// Only the HMAC of the code is kept (see `otp::CodeKey`).
    pub digest: CodeDigest,
    pub created: Timestamp,
    pub expires: Timestamp,
    /// When its code was last texted.
    pub sent: Timestamp,
    pub wrong_tries: u32,
    pub status: Status,
    /// The Verify API profile it was made under; `None` for the pages'.
    pub profile: Option<ProfileId>,
    /// The caller chose the code (the API's `custom_code`), and may report
    /// the outcome of checking it itself.
    pub custom_code: bool,
    /// When it last changed: its code texted, a code checked.
    pub updated: Timestamp,
}

/// A Verify API profile's id, as the operator named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProfileId(std::sync::Arc<str>);

impl ProfileId {
    pub fn new(id: &str) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a verification is in its life; expiry is read from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    /// The right code was given; kept so a replay is told so.
    Used,
    /// `otp.max_attempts` wrong codes were given; only a new code can help.
    Locked,
}

/// Why a verification can no longer take a code, or be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Expired,
    Used,
    Locked,
    /// Never existed, or forgotten since.
    Missing,
}

/// What checking a typed code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The right code: the verification is now used.
    Verified(Verification),
    /// A wrong code, counted (the verification as it is now); at no tries
    /// left it is locked.
    Wrong {
        verification: Verification,
        tries_left: u32,
    },
    /// The address has typed too many wrong codes: not checked, not counted.
    Limited(LimitHit),
    Ended(Ended),
}

impl Verification {
    /// Whether a code can still be checked or resent; if not, why not.
    pub fn still_pending(&self, now: Timestamp) -> Result<(), Ended> {
        if now >= self.expires {
            return Err(Ended::Expired);
        }
        match self.status {
            Status::Pending => Ok(()),
            Status::Used => Err(Ended::Used),
            Status::Locked => Err(Ended::Locked),
        }
    }

    /// When the store may forget it.
    pub fn kept_until(&self) -> Timestamp {
        self.expires.after(KEPT_AFTER_EXPIRY)
    }

    /// The rules for one attempt that the address's limit let through,
    /// applied in place. `Ok` if the code was right or wrong (and counted);
    /// `Err` when there was nothing to check.
    /// `attempts` are the typed code's digests under each code key (more
    /// than one while a key is being rotated); any may match.
    pub fn check(
        &mut self,
        attempts: &[CodeDigest],
        now: Timestamp,
        max_attempts: u32,
    ) -> Result<bool, Ended> {
        self.still_pending(now)?;
        self.updated = now;
        // Every digest is compared, so the time taken says nothing of which.
        let matched = attempts.iter().fold(false, |matched, attempt| {
            matched | self.digest.matches(attempt)
        });
        if matched {
            self.status = Status::Used;
            return Ok(true);
        }
        self.wrong_tries += 1;
        if self.wrong_tries >= max_attempts {
            self.status = Status::Locked;
        }
        Ok(false)
    }

    /// The caller who chose the code checked it: accepted is used, rejected
    /// locked.
    pub fn settle(&mut self, accepted: bool, now: Timestamp) -> Result<(), Ended> {
        self.still_pending(now)?;
        self.status = if accepted {
            Status::Used
        } else {
            Status::Locked
        };
        self.updated = now;
        Ok(())
    }

    /// Tries left before it locks.
    pub fn tries_left(&self, max_attempts: u32) -> u32 {
        max_attempts.saturating_sub(self.wrong_tries)
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
