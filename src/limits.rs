//! Rate limits, counted over a sliding window: "at most `max` in `window`"
//! holds for every window of that length, wherever it starts.
//!
//! Several limits are checked and taken together in one atomic step, so a
//! request refused by one limit uses up none of the others, and N requests
//! racing for the last slot cannot all get it.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::Timestamp;
use crate::phone::PhoneNumber;
use crate::settings::LimitSettings;

const HOUR: Duration = Duration::from_secs(3600);

/// What a limit protects; the page a refusal shows depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// One code per number per `resend_cooldown_secs`.
    ResendCooldown,
    SendsPerPhone,
    SendsPerAddress,
    VerifyFailuresPerAddress,
}

/// One limit to take: at most `max` events per `window` under `key`.
#[derive(Debug, Clone)]
pub struct Limit {
    pub kind: LimitKind,
    pub key: String,
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
    keys: Vec<String>,
    at: Timestamp,
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
                key: format!("send:phone:{}", phone.e164()),
                max: s.sends_per_phone_per_hour,
                window: HOUR,
            },
            Limit {
                kind: LimitKind::SendsPerAddress,
                key: format!("send:ip:{}", client.0),
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
            key: format!("cooldown:{}", phone.e164()),
            max: 1,
            window: Duration::from_secs(secs),
        })
    }

    /// Before a typed code is checked for `client`; given back unless it was wrong.
    pub fn for_guessing(&self, client: &ClientKey) -> Vec<Limit> {
        vec![Limit {
            kind: LimitKind::VerifyFailuresPerAddress,
            key: format!("fail:ip:{}", client.0),
            max: self.settings.verify_failures_per_ip_per_hour,
            window: HOUR,
        }]
    }
}

/// How a client address is counted: IPv4 whole, IPv6 by its /64, since one
/// subscriber usually holds a whole /64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey(String);

impl From<IpAddr> for ClientKey {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let s = v6.segments();
                    Self(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
                }
            },
        }
    }
}

/// Where limit counts live; a shared store becomes another variant.
#[derive(Debug)]
pub enum RateLimiter {
    Memory(MemoryLimiter),
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::Memory(MemoryLimiter::default())
    }
}

impl RateLimiter {
    /// Takes every limit in `limits`, or none of them: the refusal with the
    /// longest wait is returned.
    pub async fn acquire(&self, limits: &[Limit], now: Timestamp) -> Result<Permit, Refusal> {
        match self {
            RateLimiter::Memory(memory) => memory.acquire(limits, now),
        }
    }

    /// How long until `limit` would let one more through; `None` if it would now.
    pub async fn wait(&self, limit: &Limit, now: Timestamp) -> Option<Duration> {
        match self {
            RateLimiter::Memory(memory) => memory.wait(limit, now),
        }
    }

    /// Gives back what `permit` took.
    pub async fn release(&self, permit: Permit) {
        match self {
            RateLimiter::Memory(memory) => memory.release(permit),
        }
    }

    /// Forgets keys with no event inside their window; returns how many.
    pub async fn sweep(&self, now: Timestamp) -> usize {
        match self {
            RateLimiter::Memory(memory) => memory.sweep(now),
        }
    }
}

/// The events of one key inside its window, oldest first.
#[derive(Debug)]
struct Events {
    window: Duration,
    times: VecDeque<Timestamp>,
}

impl Events {
    fn forget_before(&mut self, now: Timestamp) {
        while self
            .times
            .front()
            .is_some_and(|t| t.after(self.window) <= now)
        {
            self.times.pop_front();
        }
    }

    /// How long until one more event fits under `max`, if it does not now.
    fn wait_for_room(&self, max: u32, now: Timestamp) -> Option<Duration> {
        let max = max as usize;
        if self.times.len() < max {
            return None;
        }
        // The event that must leave the window before there is room.
        let blocking = self.times[self.times.len() - max];
        Some(now.until(blocking.after(self.window)))
    }
}

#[derive(Debug, Default)]
pub struct MemoryLimiter {
    keys: Mutex<HashMap<String, Events>>,
}

impl MemoryLimiter {
    fn keys(&self) -> MutexGuard<'_, HashMap<String, Events>> {
        // Each change is a single push or pop, so a poisoned map is still consistent.
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn acquire(&self, limits: &[Limit], now: Timestamp) -> Result<Permit, Refusal> {
        let mut keys = self.keys();
        let refusal = limits
            .iter()
            .filter_map(|limit| {
                let events = keys.get_mut(&limit.key)?;
                events.forget_before(now);
                let retry_after = events.wait_for_room(limit.max, now)?;
                Some(Refusal {
                    kind: limit.kind,
                    retry_after,
                })
            })
            .max_by_key(|refusal| refusal.retry_after);
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        for limit in limits {
            keys.entry(limit.key.clone())
                .or_insert_with(|| Events {
                    window: limit.window,
                    times: VecDeque::new(),
                })
                .times
                .push_back(now);
        }
        Ok(Permit {
            keys: limits.iter().map(|l| l.key.clone()).collect(),
            at: now,
        })
    }

    fn wait(&self, limit: &Limit, now: Timestamp) -> Option<Duration> {
        let mut keys = self.keys();
        let events = keys.get_mut(&limit.key)?;
        events.forget_before(now);
        events.wait_for_room(limit.max, now)
    }

    fn release(&self, permit: Permit) {
        let mut keys = self.keys();
        for key in &permit.keys {
            if let Some(events) = keys.get_mut(key)
                && let Some(position) = events.times.iter().rposition(|t| *t == permit.at)
            {
                events.times.remove(position);
            }
        }
    }

    fn sweep(&self, now: Timestamp) -> usize {
        let mut keys = self.keys();
        let before = keys.len();
        keys.retain(|_, events| {
            events.forget_before(now);
            !events.times.is_empty()
        });
        before - keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Timestamp = Timestamp::from_millis(10_000_000);

    fn limit(key: &str, max: u32, window_secs: u64) -> Limit {
        Limit {
            kind: LimitKind::SendsPerPhone,
            key: key.into(),
            max,
            window: Duration::from_secs(window_secs),
        }
    }

    fn at(secs: u64) -> Timestamp {
        START.after(Duration::from_secs(secs))
    }

    #[test]
    fn at_most_max_events_fit_in_any_window() {
        let limiter = MemoryLimiter::default();
        let three_per_minute = [limit("k", 3, 60)];
        for secs in [0, 10, 20] {
            assert!(limiter.acquire(&three_per_minute, at(secs)).is_ok());
        }
        let refusal = limiter
            .acquire(&three_per_minute, at(30))
            .expect_err("a fourth is refused");
        assert_eq!(refusal.retry_after, Duration::from_secs(30));
        assert!(limiter.acquire(&three_per_minute, at(59)).is_err());
        assert!(limiter.acquire(&three_per_minute, at(60)).is_ok());
        assert!(
            limiter.acquire(&three_per_minute, at(61)).is_err(),
            "the events at 10 and 20 still count"
        );
    }

    #[test]
    fn a_refusal_by_one_limit_takes_none_of_the_others() {
        let limiter = MemoryLimiter::default();
        assert!(limiter.acquire(&[limit("full", 1, 60)], START).is_ok());
        let both = [limit("free", 1, 60), limit("full", 1, 60)];
        assert!(limiter.acquire(&both, START).is_err());
        assert!(
            limiter.acquire(&[limit("free", 1, 60)], START).is_ok(),
            "free was not taken"
        );
    }

    #[test]
    fn the_longest_wait_is_reported() {
        let limiter = MemoryLimiter::default();
        let limits = [limit("short", 1, 30), limit("long", 1, 3600)];
        assert!(limiter.acquire(&limits, START).is_ok());
        let refusal = limiter.acquire(&limits, at(1)).expect_err("refused");
        assert_eq!(refusal.retry_after, Duration::from_secs(3599));
    }

    #[test]
    fn a_released_permit_gives_its_room_back() {
        let limiter = MemoryLimiter::default();
        let once = [limit("k", 1, 60)];
        let permit = limiter.acquire(&once, START).expect("room");
        limiter.release(permit);
        assert!(limiter.acquire(&once, START).is_ok());
    }

    #[test]
    fn sweeping_forgets_keys_whose_window_has_passed() {
        let limiter = MemoryLimiter::default();
        assert!(limiter.acquire(&[limit("old", 5, 60)], START).is_ok());
        assert!(limiter.acquire(&[limit("new", 5, 60)], at(30)).is_ok());
        assert_eq!(limiter.sweep(at(60)), 1);
        assert_eq!(limiter.sweep(at(90)), 1);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(ClientKey::from(a), ClientKey::from(b));
        assert_ne!(ClientKey::from(a), ClientKey::from(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("v6");
        assert_eq!(
            ClientKey::from(mapped),
            ClientKey::from("192.0.2.7".parse::<IpAddr>().expect("v4"))
        );
    }
}
