//! Rate limits by GCRA, the generic cell rate algorithm (the algorithm of the
//! `governor` crate and of Redis's `redis-cell`): "`max` per `window`" lets
//! `max` through at once, then one more every `window / max`. Over a long
//! run that is `max` per `window`; it never lets more than `max` through in
//! a burst; and each subject's whole state is one timestamp.
//!
//! Several limits are checked and taken together in one atomic step of the
//! store (`store`), so a request refused by one limit uses up none of the
//! others, and N requests racing for the last slot cannot all get it. This
//! module holds the arithmetic and which limits apply when; the store holds
//! the state (in Rust for memory, in Lua for Redis, one test suite for both).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::phone::PhoneNumber;
use crate::settings::LimitSettings;

const HOUR: Duration = Duration::from_secs(3600);

/// What a limit protects; the page a refusal shows depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// One code per number per `resend_cooldown_secs`.
    ResendCooldown,
    SendsPerPhone,
    SendsPerAddress,
    /// Per IPv4 /24 and IPv6 /48: the many addresses one subscriber or
    /// one attacker's range holds.
    SendsPerNetwork,
    VerifyFailuresPerAddress,
    SendsPerApiKey,
    /// Wrong codes sent through one API key.
    VerifyFailuresPerApiKey,
    /// Every SMS of the service, all instances together.
    SmsPerHour,
}

/// Who asks, as the limits count them: a browser by its address, a
/// backend by its API key (its address is the backend's, shared by all
/// the people it serves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Asker {
    Address(ClientKey),
    ApiKey(KeyTag),
}

/// Whose events a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Phone(PhoneNumber),
    Client(ClientKey),
    Network(NetworkKey),
    ApiKey(KeyTag),
    /// The whole service.
    Everyone,
}

/// An API key as the limits name it: the first 8 bytes of its SHA-256, so
/// the key itself is never a store key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyTag(pub [u8; 8]);

impl KeyTag {
    pub fn of(key: &str) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        let mut tag = [0u8; 8];
        tag.copy_from_slice(&digest[..8]);
        Self(tag)
    }
}

impl fmt::Display for KeyTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
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
pub struct LimitHit {
    pub kind: LimitKind,
    pub retry_after: Duration,
}

/// GCRA for one limit. A subject's state is its theoretical arrival time
/// (TAT): when it would be back to a full allowance. An event at `now` fits
/// if `TAT - now` leaves room for one more interval within the window.
///
/// Times are in microseconds since the epoch, which Redis's Lua (doubles,
/// exact to 2^53) holds exactly until the year 2255.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gcra {
    /// `window / max`, in microseconds: how often one more is allowed.
    pub(crate) interval: u64,
    /// `window`, in microseconds: how far ahead the TAT may run.
    pub(crate) window: u64,
}

impl Gcra {
    pub(crate) fn of(limit: &Limit) -> Self {
        let window = u64::try_from(limit.window.as_micros()).unwrap_or(u64::MAX);
        Self {
            interval: (window / u64::from(limit.max.max(1))).max(1),
            window,
        }
    }

    pub(crate) fn micros(at: Timestamp) -> u64 {
        at.as_millis().saturating_mul(1_000)
    }

    /// How long until one more event fits; `None` if it fits now.
    pub(crate) fn wait(self, tat: Option<u64>, now: u64) -> Option<Duration> {
        let tat = tat?.max(now);
        let fits_from = (tat + self.interval).saturating_sub(self.window);
        (fits_from > now).then(|| Duration::from_micros(fits_from - now))
    }

    /// The TAT after one more event at `now` (which must fit).
    pub(crate) fn take(self, tat: u64, now: u64) -> u64 {
        tat.max(now) + self.interval
    }

    /// The TAT with one event given back.
    pub(crate) fn give_back(self, tat: u64) -> u64 {
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

    /// Verifications held at most; beyond, new ones are refused.
    pub fn max_pending(&self) -> usize {
        self.settings.max_pending
    }

    /// The wait between two codes to one number.
    pub fn resend_cooldown(&self) -> Duration {
        self.settings.resend_cooldown
    }

    /// Before a code is texted to `phone` at the request of `asker`.
    pub fn for_sending(&self, phone: &PhoneNumber, asker: &Asker) -> Vec<Limit> {
        let s = &self.settings;
        let hourly = |kind, subject, max| Limit {
            kind,
            subject,
            max,
            window: HOUR,
        };
        let mut limits = vec![
            hourly(
                LimitKind::SendsPerPhone,
                Subject::Phone(*phone),
                s.sends_per_phone_per_hour,
            ),
            hourly(LimitKind::SmsPerHour, Subject::Everyone, s.sms_per_hour),
        ];
        match *asker {
            Asker::Address(client) => limits.extend([
                hourly(
                    LimitKind::SendsPerAddress,
                    Subject::Client(client),
                    s.sends_per_ip_per_hour,
                ),
                hourly(
                    LimitKind::SendsPerNetwork,
                    Subject::Network(client.network()),
                    s.sends_per_network_per_hour,
                ),
            ]),
            Asker::ApiKey(key) => limits.push(hourly(
                LimitKind::SendsPerApiKey,
                Subject::ApiKey(key),
                s.sends_per_api_key_per_hour,
            )),
        }
        limits.extend(self.cooldown(phone));
        limits
    }

    /// The wait between two codes to one number; `None` when there is none.
    fn cooldown(&self, phone: &PhoneNumber) -> Option<Limit> {
        let cooldown = self.settings.resend_cooldown;
        (!cooldown.is_zero()).then_some(Limit {
            kind: LimitKind::ResendCooldown,
            subject: Subject::Phone(*phone),
            max: 1,
            window: cooldown,
        })
    }

    /// Room for one more wrong code from `asker`; taken only when it is
    /// wrong. An API key may spend every try of every code it may send.
    pub fn for_guessing(&self, asker: &Asker, max_attempts: u32) -> Limit {
        let s = &self.settings;
        match *asker {
            Asker::Address(client) => Limit {
                kind: LimitKind::VerifyFailuresPerAddress,
                subject: Subject::Client(client),
                max: s.verify_failures_per_ip_per_hour,
                window: HOUR,
            },
            Asker::ApiKey(key) => Limit {
                kind: LimitKind::VerifyFailuresPerApiKey,
                subject: Subject::ApiKey(key),
                max: s.sends_per_api_key_per_hour.saturating_mul(max_attempts),
                window: HOUR,
            },
        }
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

impl ClientKey {
    /// The network it belongs to: its IPv4 /24, or its IPv6 /48 (a site's
    /// allocation, 65,536 /64s).
    pub fn network(&self) -> NetworkKey {
        NetworkKey(match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & 0xFFFF_FF00)),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !(u128::MAX >> 48))),
        })
    }
}

/// A client network as the network limit counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkKey(IpAddr);

impl fmt::Display for NetworkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}/24"),
            IpAddr::V6(v6) => write!(f, "{v6}/48"),
        }
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

    #[test]
    fn networks_are_ipv4_24s_and_ipv6_48s() {
        let key = |text: &str| ClientKey::from(text.parse::<IpAddr>().expect("an address"));
        assert_eq!(key("192.0.2.7").network(), key("192.0.2.200").network());
        assert_ne!(key("192.0.2.7").network(), key("192.0.3.7").network());
        assert_eq!(key("192.0.2.7").network().to_string(), "192.0.2.0/24");
        assert_eq!(
            key("2001:db8:1:2::1").network(),
            key("2001:db8:1:ffff::1").network()
        );
        assert_ne!(
            key("2001:db8:1::1").network(),
            key("2001:db8:2::1").network()
        );
        assert_eq!(
            key("2001:db8:1:2::1").network().to_string(),
            "2001:db8:1::/48"
        );
    }
}
