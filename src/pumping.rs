//! The SMS-pumping breaker, open and tested: what Twilio's Fraud Guard and
//! Vonage's velocity rules do. Pumping sends codes to numbers the attacker
//! earns from; those codes are never typed back. So per destination (a
//! number's prefix, the E.164 number without its last four digits; and its
//! country) the store counts codes sent and codes verified over a sliding
//! window. A destination sent at least `min_sends` codes (ten times that for
//! a country) whose conversion (verified ÷ sent) is under `min_conversion`
//! is blocked for `block`; everyone else is untouched.
//!
//! The window slides by two fixed buckets, the current and the previous,
//! the previous weighted by how much of it the window still covers (the
//! estimate Cloudflare's rate limiter uses): one small record per
//! destination, the same arithmetic in Rust (memory) and Lua (Redis).

use std::time::Duration;

use crate::clock::Timestamp;
use crate::phone::PhoneNumber;
use crate::settings::PumpingSettings;

/// A country needs this many times a prefix's sends before it is judged.
const COUNTRY_FACTOR: u32 = 10;

/// The breaker's rules, from the settings.
#[derive(Debug, Clone)]
pub struct PumpingRules {
    settings: PumpingSettings,
}

/// A destination the breaker watches for one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `+1201555` or `US` (`001` for numbers of no country).
    pub name: String,
    /// Sends before its conversion is judged.
    pub min_sends: u32,
    /// Listed in `pumping.exempt`: counted never, blocked never.
    pub exempt: bool,
}

/// What a send or check asks of the breaker.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The number's prefix, then its country.
    pub destinations: [Destination; 2],
    pub window: Duration,
    pub min_conversion: f64,
    pub block: Duration,
}

impl PumpingRules {
    pub fn new(settings: PumpingSettings) -> Self {
        Self { settings }
    }

    /// The window verifications are counted over, when the breaker is on.
    pub fn window(&self) -> Option<Duration> {
        self.settings.enabled.then_some(self.settings.window)
    }

    /// What to watch when texting `phone`; `None` when the breaker is off.
    pub fn watch(&self, phone: &PhoneNumber) -> Option<Watch> {
        let s = &self.settings;
        if !s.enabled {
            return None;
        }
        let [prefix, country] = destinations(phone);
        // `+1201` exempts every prefix under it; `US` exempts a country.
        let exempt = |name: &str| {
            s.exempt.iter().any(|entry| match entry.starts_with('+') {
                true => name.starts_with(entry.as_str()),
                false => entry == name,
            })
        };
        Some(Watch {
            destinations: [
                Destination {
                    exempt: exempt(&prefix) || exempt(&country),
                    name: prefix,
                    min_sends: s.min_sends,
                },
                Destination {
                    exempt: exempt(&country),
                    name: country,
                    min_sends: s.min_sends.saturating_mul(COUNTRY_FACTOR),
                },
            ],
            window: s.window,
            min_conversion: s.min_conversion,
            block: s.block,
        })
    }
}

/// A number's prefix (all but its last four digits) and its country.
pub fn destinations(phone: &PhoneNumber) -> [String; 2] {
    let e164 = phone.e164();
    let prefix = &e164[..e164.len().saturating_sub(4).max(1)];
    let country = match phone.region_code() {
        "" => "001",
        code => code,
    };
    [prefix.to_owned(), country.to_owned()]
}

/// One destination's counts: sends and verifications in the current and
/// the previous bucket of `window`, and until when it is blocked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// When the current bucket began, in milliseconds.
    pub start: u64,
    pub sent: (f64, f64),
    pub verified: (f64, f64),
    /// Blocked until this, in milliseconds; 0: not blocked.
    pub until: u64,
}

impl Counts {
    /// Moves the buckets on to the one `now` falls in.
    pub fn rotate(&mut self, now: u64, window: u64) {
        let window = window.max(1);
        if now < self.start.saturating_add(window) {
            return;
        }
        let buckets = (now - self.start) / window;
        let carried = |(current, _): (f64, f64)| (0.0, if buckets == 1 { current } else { 0.0 });
        self.sent = carried(self.sent);
        self.verified = carried(self.verified);
        self.start += buckets * window;
    }

    /// The estimate over the window ending at `now`: the current bucket, and
    /// the part of the previous one the window still covers.
    fn estimate((current, previous): (f64, f64), start: u64, now: u64, window: u64) -> f64 {
        let covered = 1.0 - (now.saturating_sub(start) as f64 / window.max(1) as f64).min(1.0);
        current + previous * covered
    }

    /// After a send counted at `now`: whether it has earned a block.
    pub fn trips(&self, now: u64, window: u64, min_sends: u32, min_conversion: f64) -> bool {
        let sent = Self::estimate(self.sent, self.start, now, window);
        let verified = Self::estimate(self.verified, self.start, now, window);
        sent >= f64::from(min_sends) && verified < min_conversion * sent
    }
}

impl Watch {
    pub fn window_ms(&self) -> u64 {
        millis(self.window)
    }

    pub fn block_ms(&self) -> u64 {
        millis(self.block)
    }
}

pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// How long until `until` (ms), from `now`.
pub fn wait(until: u64, now: Timestamp) -> Duration {
    Duration::from_millis(until.saturating_sub(now.as_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;

    #[test]
    fn a_number_watches_its_prefix_and_its_country() {
        let us = "+1".parse().expect("+1");
        let phone = PhoneNumber::parse("+12015550123", &us).expect("valid");
        assert_eq!(
            destinations(&phone),
            ["+1201555".to_owned(), "US".to_owned()]
        );
    }

    #[test]
    fn the_window_slides_and_a_destination_trips_only_past_its_minimum_at_low_conversion() {
        let mut counts = Counts {
            start: 0,
            ..Counts::default()
        };
        for _ in 0..19 {
            counts.sent.0 += 1.0;
        }
        assert!(!counts.trips(10, HOUR, 20, 0.2), "19 sends are not judged");
        counts.sent.0 += 1.0;
        assert!(counts.trips(10, HOUR, 20, 0.2), "20 sends, none verified");
        counts.verified.0 += 4.0;
        assert!(!counts.trips(10, HOUR, 20, 0.2), "one in five verified");
        // Half-way through the next bucket, the old one counts half.
        counts.rotate(HOUR + HOUR / 2, HOUR);
        assert_eq!((counts.start, counts.sent), (HOUR, (0.0, 20.0)));
        assert!(
            !counts.trips(HOUR + HOUR / 2, HOUR, 20, 0.2),
            "10 sends left in the window"
        );
        counts.rotate(3 * HOUR, HOUR);
        assert_eq!(counts.sent, (0.0, 0.0), "two buckets on, nothing is left");
    }

    #[test]
    fn exempt_prefixes_and_countries_are_never_watched() {
        let us = "+1".parse().expect("+1");
        let phone = PhoneNumber::parse("+12015550123", &us).expect("valid");
        let rules = |exempt: &[&str]| {
            PumpingRules::new(PumpingSettings {
                enabled: true,
                window: Duration::from_secs(3600),
                min_sends: 20,
                min_conversion: 0.2,
                block: Duration::from_secs(3600),
                exempt: exempt.iter().map(|e| (*e).to_owned()).collect(),
            })
        };
        let watch = rules(&["+1201"]).watch(&phone).expect("on");
        assert!(watch.destinations[0].exempt && !watch.destinations[1].exempt);
        let watch = rules(&["US"]).watch(&phone).expect("on");
        assert!(watch.destinations[0].exempt && watch.destinations[1].exempt);
        let watch = rules(&["+44", "CA"]).watch(&phone).expect("on");
        assert!(!watch.destinations[0].exempt && !watch.destinations[1].exempt);
        assert_eq!(watch.destinations[1].min_sends, 200);
    }
}
