//! Wall-clock time for expiry and cooldowns.
//!
//! Time is kept as milliseconds since the Unix epoch rather than `Instant`, so
//! that a shared store can hold the same figures. Tests move the clock forward
//! instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    pub fn as_millis(self) -> u64 {
        self.0
    }

    pub fn after(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(duration)))
    }

    /// How long from `self` until `later`; zero when `later` has passed.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0))
    }
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The system clock plus an offset that only tests move; tests may also
/// stop it at a moment of their choosing.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_millis: Arc<AtomicU64>,
    /// When set, the time stands still here (plus the offset).
    frozen: Option<Timestamp>,
}

impl Clock {
    /// A clock that stands at `at` until moved by `advance`.
    pub fn frozen_at(at: Timestamp) -> Self {
        Self {
            offset_millis: Arc::default(),
            frozen: Some(at),
        }
    }

    pub fn now(&self) -> Timestamp {
        let base = self.frozen.unwrap_or_else(|| {
            let system = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            Timestamp(duration_millis(system))
        });
        base.after(Duration::from_millis(
            self.offset_millis.load(Ordering::Relaxed),
        ))
    }

    /// Moves this clock (and every clone of it) forward, for tests of expiry.
    pub fn advance(&self, by: Duration) {
        self.offset_millis
            .fetch_add(duration_millis(by), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_a_clock_moves_every_clone() {
        let clock = Clock::default();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(Duration::from_secs(600));
        assert!(before.until(copy.now()) >= Duration::from_secs(600));
    }

    #[test]
    fn time_until_a_past_moment_is_zero() {
        let now = Timestamp::from_millis(10_000);
        assert_eq!(now.until(Timestamp::from_millis(5_000)), Duration::ZERO);
    }
}
