//! Rate limits by GCRA, the generic cell rate algorithm (the algorithm of the
//! `governor` crate and of Redis's `redis-cell`): "`max` per `window`" lets
//! `max` through at once, then one more every `window / max`. Over a long
//! run that is `max` per `window`; it never lets more than `max` through in
//! a burst; and each subject's whole state is one timestamp.
//!
//! Several limits are checked and taken together in one atomic step, so a
//! request refused by one limit uses up none of the others, and N requests
//! racing for the last slot cannot all get it.

mod memory;
mod redis;

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

pub use memory::MemoryLimiter;
pub use redis::RedisLimiter;

use crate::clock::Timestamp;
use crate::phone::PhoneNumber;
use crate::settings::LimitSettings;
use crate::shared_store::StoreUnavailable;

const HOUR: Duration = Duration::from_secs(3600);

/// What a limit protects; the page a refusal shows depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// One code per number per `resend_cooldown_secs`.
    ResendCooldown,
    SendsPerPhone,
    SendsPerAddress,
    VerifyFailuresPerAddress,
}

/// Whose events a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Phone(PhoneNumber),
    Client(ClientKey),
}

/// One limit to take: at most `max` events per `window` for `subject`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub kind: LimitKind,
    pub subject: Subject,
    pub max: u32,
    pub window: Duration,
}

/// A limit said no; trying again after `retry_after` may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub kind: LimitKind,
    pub retry_after: Duration,
}

/// Proof of limits taken, to give back when what they guarded did not happen.
#[derive(Debug)]
pub struct Permit {
    limits: Vec<Limit>,
}

/// GCRA for one limit. A subject's state is its theoretical arrival time
/// (TAT): when it would be back to a full allowance. An event at `now` fits
/// if `TAT - now` leaves room for one more interval within the window.
///
/// Times are in microseconds since the epoch, which Redis's Lua (doubles,
/// exact to 2^53) holds exactly until the year 2255.
#[derive(Debug, Clone, Copy)]
struct Gcra {
    /// `window / max`, in microseconds: how often one more is allowed.
    interval: u64,
    /// `window`, in microseconds: how far ahead the TAT may run.
    window: u64,
}

impl Gcra {
    fn of(limit: &Limit) -> Self {
        let window = u64::try_from(limit.window.as_micros()).unwrap_or(u64::MAX);
        Self {
            interval: (window / u64::from(limit.max.max(1))).max(1),
            window,
        }
    }

    fn micros(at: Timestamp) -> u64 {
        at.as_millis().saturating_mul(1_000)
    }

    /// How long until one more event fits; `None` if it fits now.
    fn wait(self, tat: Option<u64>, now: u64) -> Option<Duration> {
        let tat = tat?.max(now);
        let fits_from = (tat + self.interval).saturating_sub(self.window);
        (fits_from > now).then(|| Duration::from_micros(fits_from - now))
    }

    /// The TAT after one more event at `now` (which must fit).
    fn take(self, tat: u64, now: u64) -> u64 {
        tat.max(now) + self.interval
    }

    /// The TAT with one event given back.
    fn give_back(self, tat: u64) -> u64 {
        tat.saturating_sub(self.interval)
    }
}

/// The limits of this app, from its settings.
#[derive(Debug, Clone)]
pub struct LimitRules {
    settings: LimitSettings,
}

impl LimitRules {
    pub fn new(settings: LimitSettings) -> Self {
        Self { settings }
    }

    /// Before a code is texted to `phone` at the request of `client`.
    pub fn for_sending(&self, phone: &PhoneNumber, client: &ClientKey) -> Vec<Limit> {
        let s = &self.settings;
        let mut limits = vec![
            Limit {
                kind: LimitKind::SendsPerPhone,
                subject: Subject::Phone(*phone),
                max: s.sends_per_phone_per_hour,
                window: HOUR,
            },
            Limit {
                kind: LimitKind::SendsPerAddress,
                subject: Subject::Client(*client),
                max: s.sends_per_ip_per_hour,
                window: HOUR,
            },
        ];
        limits.extend(self.cooldown(phone));
        limits
    }

    /// The wait between two codes to one number; `None` when there is none.
    pub fn cooldown(&self, phone: &PhoneNumber) -> Option<Limit> {
        let secs = self.settings.resend_cooldown_secs;
        (secs > 0).then(|| Limit {
            kind: LimitKind::ResendCooldown,
            subject: Subject::Phone(*phone),
            max: 1,
            window: Duration::from_secs(secs),
        })
    }

    /// Before a typed code is checked for `client`; given back unless it was wrong.
    pub fn for_guessing(&self, client: &ClientKey) -> Vec<Limit> {
        vec![Limit {
            kind: LimitKind::VerifyFailuresPerAddress,
            subject: Subject::Client(*client),
            max: self.settings.verify_failures_per_ip_per_hour,
            window: HOUR,
        }]
    }
}

/// How a client address is counted: IPv4 whole, IPv6 by its /64, since one
/// subscriber usually holds a whole /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl From<IpAddr> for ClientKey {
    fn from(address: IpAddr) -> Self {
        Self(match address {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
            },
        })
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Where limit state lives. The memory limiter never fails; the Redis one
/// fails closed when Redis does.
#[derive(Debug)]
pub enum RateLimiter {
    Memory(MemoryLimiter),
    Redis(RedisLimiter),
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::Memory(MemoryLimiter::default())
    }
}

/// A limit said no, or the limits could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("limit reached: {:?}, retry in {:?}", .0.kind, .0.retry_after)]
    Limit(Refusal),
    #[error(transparent)]
    Unavailable(#[from] StoreUnavailable),
}

impl RateLimiter {
    /// Takes every limit in `limits`, or none of them: the refusal with the
    /// longest wait is returned.
    pub async fn acquire(&self, limits: Vec<Limit>, now: Timestamp) -> Result<Permit, Refused> {
        match self {
            RateLimiter::Memory(memory) => memory.acquire(limits, now).map_err(Refused::Limit),
            RateLimiter::Redis(redis) => redis.acquire(limits, now).await,
        }
    }

    /// How long until `limit` would let one more through; `None` if it would now.
    pub async fn wait(
        &self,
        limit: &Limit,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreUnavailable> {
        match self {
            RateLimiter::Memory(memory) => Ok(memory.wait(limit, now)),
            RateLimiter::Redis(redis) => redis.wait(limit, now).await,
        }
    }

    /// Gives back what `permit` took.
    pub async fn release(&self, permit: Permit, now: Timestamp) -> Result<(), StoreUnavailable> {
        match self {
            RateLimiter::Memory(memory) => {
                memory.release(permit);
                Ok(())
            }
            RateLimiter::Redis(redis) => redis.release(permit, now).await,
        }
    }

    /// Forgets subjects back to a full allowance; returns how many. (Redis
    /// expires them by itself.)
    pub async fn sweep(&self, now: Timestamp) -> usize {
        match self {
            RateLimiter::Memory(memory) => memory.sweep(now),
            RateLimiter::Redis(_) => 0,
        }
    }

    /// How many subjects are being counted in this process.
    pub fn tracked(&self) -> usize {
        match self {
            RateLimiter::Memory(memory) => memory.tracked(),
            RateLimiter::Redis(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(ClientKey::from(a), ClientKey::from(b));
        assert_ne!(ClientKey::from(a), ClientKey::from(c));
        assert_eq!(ClientKey::from(a).to_string(), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("v6");
        let v4: IpAddr = "192.0.2.7".parse().expect("v4");
        assert_eq!(ClientKey::from(mapped), ClientKey::from(v4));
        assert_eq!(ClientKey::from(v4).to_string(), "192.0.2.7");
    }
}
