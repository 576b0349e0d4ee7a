//! Where verifications and limit counts live: in this process (`memory`) or
//! in Redis shared by every instance (`redis`). A closed set, so an enum.
//!
//! Each operation is one atomic step that does everything one request needs
//! (capacity, limits and the insert for a send; the address's guessing limit,
//! the check, the try count and, during a sign-in, the authorization code for
//! a code), so racing requests on any number of instances allow together
//! exactly what one allows, and every request costs one Redis round trip.
//! (A send with receipts on notes nothing after the SMS: the address
//! Telnyx sends its receipts to names the send, `sms::ReceiptLinks`. A code
//! checked by number takes one too: the Verify API's verifications keep a
//! second digest of their code, keyed by number and profile, which the
//! typed code's can be compared with before anyone knows which verification
//! it is for.)
//! `tests/api/redis.rs` counts what each request sends. The same rules are
//! written twice, in Rust and in Lua; the tests at the end of this file run
//! against both backends.

mod connection;
mod memory;
mod packed;
mod redis;

pub use connection::{RedisConnection, StoreUnavailable};
pub use memory::MemoryStore;
pub use redis::RedisStore;

use std::time::Duration;

use crate::clock::Timestamp;
use crate::limits::{Limit, LimitHit};
use crate::otp::{CodeDigest, Typed};
use crate::phone::PhoneNumber;
use crate::pumping::Watch;
use crate::verification::{CheckOutcome, Delivery, Ended, SendRef, Verification, VerificationId};

/// How long a receipt's event id is remembered, so Telnyx's retries of it
/// are recognised: longer than Telnyx goes on retrying.
pub const EVENTS_REMEMBERED: Duration = Duration::from_secs(24 * 3600);

/// A delivery receipt, as the store needs it.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Which send it speaks of, as its signed `webhook_url` named it.
    pub send: SendRef,
    /// The number the message went to, as Telnyx wrote it: a receipt
    /// counts only for a verification of that number.
    pub to: String,
    /// The event's id, hashed: the same event sent again has the same.
    pub event: u128,
    pub news: Delivery,
}

/// What a receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// This event was seen before: nothing done again.
    Duplicate,
    /// For a message of no verification held (another app's, or forgotten).
    Unknown,
    /// For this verification, as it is now; `changed` if the receipt
    /// changed its delivery state (a failure also lifts its number's
    /// resend cooldown).
    Known {
        id: VerificationId,
        verification: Verification,
        changed: bool,
    },
}

/// Why the store would not take a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `limits.max_pending` verifications are held already.
    Busy,
    Limit(LimitHit),
    /// A resend or settlement for a verification that can no longer take a
    /// code; a settlement gives the verification as it stands (the Verify
    /// API's answer names its number).
    Ended(Ended, Option<Box<Verification>>),
    /// A settlement for a verification whose code the caller did not choose.
    NotCustomCode,
    /// The number's prefix or country is blocked by the pumping breaker.
    Pumping {
        destination: String,
        retry_after: Duration,
    },
}

/// A new verification, and what storing it must respect.
#[derive(Debug)]
pub struct Opening<'a> {
    pub id: &'a VerificationId,
    pub verification: &'a Verification,
    pub limits: &'a [Limit],
    pub max_pending: usize,
    pub replaces: Option<&'a VerificationId>,
    pub watch: Option<&'a Watch>,
    /// For a Verify API verification (one with a profile): its code's
    /// `CodeKey::number_digest`, for checks by number. Redis keeps it
    /// beside the number's index; the memory store digests the typed code
    /// for the verification it finds instead, in its one step.
    pub by_number: Option<&'a CodeDigest>,
}

/// A typed code to check, and the rules the check applies.
#[derive(Debug)]
pub struct Checking<'a> {
    pub which: Which<'a>,
    /// The code as typed, with the keys that digest it for the
    /// verification found.
    pub typed: Typed<'a>,
    /// The asker's guessing limit.
    pub guessing: &'a Limit,
    pub max_attempts: u32,
    /// The pumping breaker's window, when it is on: a right code counts.
    pub pumping_window: Option<Duration>,
    /// Only the Verify API's verifications (those with a profile) are
    /// found: a caller with an API key reaches no page's verification, and
    /// counts no try on one.
    pub api_only: bool,
    /// Kept when the code is right, in the same step (see `redeem`).
    pub hand_off: Option<HandingOff<'a>>,
}

/// Which verification a typed code is for.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    Id(&'a VerificationId),
    /// The newest verification of `phone` under Verify API profile
    /// `profile` that can take a code (`verification::for_code_by_number`),
    /// found in the check's own step.
    Newest {
        phone: &'a PhoneNumber,
        profile: &'a str,
    },
}

/// What a right code hands off: `data`, kept until `expires` for whoever
/// shows the secret whose hash is `key` together with `binding`, once. An
/// OpenID Connect authorization code, for one. It is kept only if the
/// verification is of `phone` (the same E.164), the number the data speaks
/// for.
#[derive(Debug)]
pub struct HandingOff<'a> {
    pub key: &'a SecretHash,
    pub data: &'a [u8],
    pub binding: &'a SecretHash,
    pub expires: Timestamp,
    pub phone: &'a PhoneNumber,
}

/// A send the store took.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opened {
    /// Destinations this send blocked (see `pumping`): to be named in the
    /// log, once, by whoever tripped the breaker.
    pub tripped: Vec<String>,
}

/// What redeeming a hand-off found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The first use, by the party it was made for: its data. The token is
    /// now valid until the time given.
    Issued(Vec<u8>),
    /// Used before, and the token that use got is revoked now: refused.
    /// Someone else may hold the code.
    Revoked,
    /// Used before, with nothing (left) to revoke: refused.
    Reused,
    /// Not for this party (another binding), or past its time: refused, and
    /// used up.
    Refused,
    /// No such hand-off.
    Unknown,
}

/// The 32-byte keys hand-offs and tokens are stored under: hashes of the
/// secrets that clients hold, so the store gives none away.
pub type SecretHash = [u8; 32];

/// An operation's answer: `Ok(Err(refusal))` when the store said no,
/// `Err` when it could not be asked.
pub type Answer<T> = Result<Result<T, Refusal>, StoreUnavailable>;

// One per process, never moved about: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Default for Store {
    fn default() -> Self {
        Store::Memory(MemoryStore::default())
    }
}

impl Store {
    /// Stores a new verification, if fewer than `max_pending` are held, the
    /// pumping breaker has not blocked its destination and every limit has
    /// room, taking the limits and counting the send; the browser's previous
    /// verification it `replaces` is removed in the same step. All or
    /// nothing.
    pub async fn open(&self, opening: &Opening<'_>, now: Timestamp) -> Answer<Opened> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.open(opening, now)),
            Store::Redis(store) => store.open(opening, now).await,
        }
    }

    /// For sending a verification's code again: if it is still pending and
    /// every limit has room, takes the limits and notes the send time.
    pub async fn reopen(
        &self,
        id: &VerificationId,
        limits: &[Limit],
        watch: Option<&Watch>,
        now: Timestamp,
    ) -> Answer<(Verification, Opened)> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.reopen(id, limits, watch, now)),
            Store::Redis(store) => store.reopen(id, limits, watch, now).await,
        }
    }

    /// Undoes a send whose SMS certainly did not go: removes `opened` (the
    /// verification `open` stored for `phone`, if it was new), gives the
    /// limits back and takes the send off the breaker's count.
    pub async fn undo(
        &self,
        opened: Option<&VerificationId>,
        phone: &PhoneNumber,
        limits: &[Limit],
        watch: Option<&Watch>,
        now: Timestamp,
    ) -> Result<(), StoreUnavailable> {
        match self {
            Store::Memory(store) => store
                .ready()
                .map(|()| store.undo(opened, phone, limits, watch, now)),
            Store::Redis(store) => store.undo(opened, phone, limits, watch, now).await,
        }
    }

    /// Checks a typed code against the verification `which` names (by id,
    /// or the newest of a number under a profile that can take a code), in
    /// one atomic step: unless `guessing` (the address's wrong-code limit)
    /// is spent, a right code is used up (and counted for the pumping
    /// breaker, when it is on), and a wrong one counted against the
    /// verification and taken from `guessing`.
    pub async fn check(
        &self,
        checking: &Checking<'_>,
        now: Timestamp,
    ) -> Result<CheckOutcome, StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.check(checking, now)),
            Store::Redis(store) => store.check(checking, now).await,
        }
    }

    /// Marks a pending verification whose code its caller chose as used
    /// (`accepted`) or locked.
    pub async fn settle(
        &self,
        id: &VerificationId,
        accepted: bool,
        now: Timestamp,
    ) -> Answer<Verification> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.settle(id, accepted, now)),
            Store::Redis(store) => store.settle(id, accepted, now).await,
        }
    }

    /// The verifications of `phone` made under a Verify API profile (the
    /// only ones indexed by number) and still kept at `now`, newest first.
    pub async fn list(
        &self,
        phone: &PhoneNumber,
        now: Timestamp,
    ) -> Result<Vec<(VerificationId, Verification)>, StoreUnavailable> {
        let listed = match self {
            Store::Memory(store) => store.ready().map(|()| store.list(phone)),
            Store::Redis(store) => store.list(phone).await,
        };
        listed.map(|all| {
            all.into_iter()
                .filter(|(_, v)| v.kept_until() > now)
                .collect()
        })
    }

    pub async fn get(&self, id: &VerificationId) -> Result<Option<Verification>, StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.get(id)),
            Store::Redis(store) => store.get(id).await,
        }
    }

    /// Forgets verifications past `kept_until` and limits back to a full
    /// allowance; returns how many verifications went.
    pub async fn sweep(&self, now: Timestamp) -> Result<usize, StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.sweep(now)),
            Store::Redis(store) => store.sweep(now).await,
        }
    }

    /// Redeems hand-off `key` once, in one atomic step: with the right
    /// `binding` and in time, its data is returned and `token` made valid
    /// for the same data until `token_expires`; any later try is refused and
    /// revokes that token.
    pub async fn redeem(
        &self,
        key: &SecretHash,
        binding: &SecretHash,
        token: &SecretHash,
        token_expires: Timestamp,
        now: Timestamp,
    ) -> Result<Redeemed, StoreUnavailable> {
        match self {
            Store::Memory(store) => store
                .ready()
                .map(|()| store.redeem(key, binding, token, token_expires, now)),
            Store::Redis(store) => store.redeem(key, binding, token, token_expires, now).await,
        }
    }

    /// The data a valid, unrevoked token stands for.
    pub async fn token(
        &self,
        token: &SecretHash,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.token(token, now)),
            Store::Redis(store) => store.token(token, now).await,
        }
    }

    /// Applies a delivery receipt (see `Delivery::after`), once per event.
    pub async fn deliver(
        &self,
        receipt: &Receipt,
        now: Timestamp,
    ) -> Result<Delivered, StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.deliver(receipt, now)),
            Store::Redis(store) => store.deliver(receipt).await,
        }
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready(),
            Store::Redis(store) => store.ping().await,
        }
    }

    /// How many verifications are held: pending ones, finished ones kept
    /// until `kept_until`, and those past it until the next sweep.
    pub async fn held(&self) -> Result<usize, StoreUnavailable> {
        match self {
            Store::Memory(store) => store.ready().map(|()| store.held()),
            Store::Redis(store) => store.held().await,
        }
    }
}

#[cfg(test)]
mod tests;
