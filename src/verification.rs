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

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_bytes(&self) -> [u8; 16] {
        self.0
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
    /// What became of its last SMS, as far as Telnyx's receipts have said.
    /// (Which message that was is the store's business: receipts name it.)
    pub delivery: Delivery,
}

/// One texting of a verification's code: which verification, and when
/// (its `sent` then). Delivery receipts name it (`sms::ReceiptLinks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRef {
    pub verification: VerificationId,
    pub sent: Timestamp,
}

/// A Telnyx message id: a UUID, kept as its 16 bytes (bytes rather than a
/// `u128`, whose 16-byte alignment would pad every verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageId([u8; 16]);

impl MessageId {
    /// `40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e`, in any case; `None` for
    /// anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let groups: Vec<&str> = text.split('-').collect();
        let shaped = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
        let hex: String = groups.concat();
        if !shaped || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(&hex, 16)
            .ok()
            .map(|id| Self(id.to_be_bytes()))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&uuid_text(self.0))
    }
}

/// 16 bytes written as a UUID: `40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e`.
pub fn uuid_text(bytes: [u8; 16]) -> String {
    let hex = format!("{:032x}", u128::from_be_bytes(bytes));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// What became of the last SMS of a verification, from Telnyx's receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Nothing heard yet (or receipts are off).
    #[default]
    Unknown,
    /// Handed to the carrier.
    Sent,
    /// On the phone.
    Delivered,
    /// The carrier could not deliver it, Telnyx could not send it, or it
    /// expired on the way.
    Failed,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [
        Delivery::Unknown,
        Delivery::Sent,
        Delivery::Delivered,
        Delivery::Failed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Delivery::Unknown => "unknown",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Failed => "failed",
        }
    }

    /// What a receipt saying `news` about one of a verification's messages
    /// (`latest`: the last one sent) changes, if anything. A delivered
    /// message means the code is on the phone, whichever send it was (every
    /// send of a verification texts the same code); a failure or a hand-over
    /// speaks only for the last send, and neither undoes a delivery.
    pub fn after(self, news: Delivery, latest: bool) -> Option<Delivery> {
        let changed = match news {
            Delivery::Delivered => self != Delivery::Delivered,
            Delivery::Failed => latest && matches!(self, Delivery::Unknown | Delivery::Sent),
            Delivery::Sent => latest && self == Delivery::Unknown,
            Delivery::Unknown => false,
        };
        changed.then_some(news)
    }
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

/// Which of a number's verifications, `newest_first`, a code checked by
/// number is for: the newest made under `profile` that can still take a
/// code. If none can, why the newest under `profile` cannot (the Verify
/// API answers `rejected`, naming it); `Missing` if there is none under
/// `profile`. Both stores apply this rule inside their check's one step.
pub fn for_code_by_number<'v>(
    newest_first: impl IntoIterator<Item = (&'v VerificationId, &'v Verification)>,
    profile: &str,
    now: Timestamp,
) -> Result<(&'v VerificationId, &'v Verification), (Ended, Option<&'v Verification>)> {
    let mut newest_ended = None;
    for (id, verification) in newest_first {
        // Past `kept_until` it is forgotten, whether or not swept yet.
        let of_profile = verification.profile.as_ref().map(ProfileId::as_str) == Some(profile);
        if !of_profile || verification.kept_until() <= now {
            continue;
        }
        match verification.still_pending(now) {
            Ok(()) => return Ok((id, verification)),
            Err(why) => {
                newest_ended.get_or_insert((why, Some(verification)));
            }
        }
    }
    Err(newest_ended.unwrap_or((Ended::Missing, None)))
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
    /// It can take no code: why, and the verification as it stands (none
    /// when it is missing), so that a caller can name its number without
    /// asking the store again.
    Ended {
        why: Ended,
        verification: Option<Verification>,
    },
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

    #[test]
    fn a_message_id_is_a_uuid_and_prints_as_one() {
        let text = "40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e";
        let id = MessageId::parse(text).expect("a UUID");
        assert_eq!(id.to_string(), text);
        assert_eq!(MessageId::parse(&text.to_uppercase()), Some(id));
        for odd in [
            "",
            "40317f8e7fc14b6b9d8b1d5f0a6f3b1e",
            "40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1",
            "4031 f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e",
            "+0317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e",
        ] {
            assert_eq!(MessageId::parse(odd), None, "{odd:?}");
        }
    }

    #[test]
    fn a_delivery_is_never_undone_and_failures_count_only_for_the_last_send() {
        use Delivery::*;
        assert_eq!(Unknown.after(Sent, true), Some(Sent));
        assert_eq!(Sent.after(Delivered, true), Some(Delivered));
        assert_eq!(Sent.after(Failed, true), Some(Failed));
        assert_eq!(
            Failed.after(Delivered, false),
            Some(Delivered),
            "an earlier send arrived"
        );
        assert_eq!(Delivered.after(Failed, true), None);
        assert_eq!(Delivered.after(Sent, true), None);
        assert_eq!(Sent.after(Failed, false), None, "an earlier send's failure");
        assert_eq!(Delivered.after(Delivered, true), None, "nothing new");
    }
}
