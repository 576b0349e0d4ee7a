//! Limit state in this process: one map from a keyed hash of (kind,
//! subject) to that subject's theoretical arrival time (GCRA, below).
//!
//! A pending verification causes three entries here (its number's hourly
//! count and cooldown, its client's hourly count), so an entry is 16 bytes.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::{Gcra, Limit, Permit, Refusal};
use crate::clock::Timestamp;

#[derive(Debug, Default)]
pub struct MemoryLimiter {
    /// Keys the hash, so no one can aim two subjects at one counter.
    hasher: RandomState,
    /// Subject → theoretical arrival time, in microseconds since the epoch.
    subjects: Mutex<HashMap<u64, u64>>,
}

impl MemoryLimiter {
    fn subjects(&self) -> MutexGuard<'_, HashMap<u64, u64>> {
        // Each change is a single insert or remove: a poisoned map is still consistent.
        self.subjects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn key(&self, limit: &Limit) -> u64 {
        self.hasher.hash_one((limit.kind, limit.subject))
    }

    pub(super) fn acquire(&self, limits: Vec<Limit>, now: Timestamp) -> Result<Permit, Refusal> {
        let mut subjects = self.subjects();
        let now = Gcra::micros(now);
        let refusal = limits
            .iter()
            .filter_map(|limit| {
                let tat = subjects.get(&self.key(limit)).copied();
                let retry_after = Gcra::of(limit).wait(tat, now)?;
                Some(Refusal {
                    kind: limit.kind,
                    retry_after,
                })
            })
            .max_by_key(|refusal| refusal.retry_after);
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        for limit in &limits {
            let tat = subjects.entry(self.key(limit)).or_insert(0);
            *tat = Gcra::of(limit).take(*tat, now);
        }
        Ok(Permit { limits })
    }

    pub(super) fn wait(&self, limit: &Limit, now: Timestamp) -> Option<Duration> {
        let tat = self.subjects().get(&self.key(limit)).copied();
        Gcra::of(limit).wait(tat, Gcra::micros(now))
    }

    pub(super) fn release(&self, permit: Permit) {
        let mut subjects = self.subjects();
        for limit in &permit.limits {
            if let Some(tat) = subjects.get_mut(&self.key(limit)) {
                *tat = Gcra::of(limit).give_back(*tat);
            }
        }
    }

    pub(super) fn sweep(&self, now: Timestamp) -> usize {
        let now = Gcra::micros(now);
        let mut subjects = self.subjects();
        let before = subjects.len();
        // A subject whose arrival time has passed is as good as new.
        subjects.retain(|_, tat| *tat > now);
        before - subjects.len()
    }

    pub(super) fn tracked(&self) -> usize {
        self.subjects().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{ClientKey, LimitKind, Subject};

    const START: Timestamp = Timestamp::from_millis(10_000_000);

    fn limit(client: u8, max: u32, window_secs: u64) -> Limit {
        let address = std::net::IpAddr::from([192, 0, 2, client]);
        Limit {
            kind: LimitKind::SendsPerAddress,
            subject: Subject::Client(ClientKey::from(address)),
            max,
            window: Duration::from_secs(window_secs),
        }
    }

    fn at(secs: u64) -> Timestamp {
        START.after(Duration::from_secs(secs))
    }

    #[test]
    fn max_events_fit_at_once_then_one_more_each_interval() {
        let limiter = MemoryLimiter::default();
        let three_per_minute = || vec![limit(1, 3, 60)];
        for _ in 0..3 {
            assert!(limiter.acquire(three_per_minute(), START).is_ok());
        }
        let refusal = limiter
            .acquire(three_per_minute(), START)
            .expect_err("a fourth is refused");
        assert_eq!(refusal.retry_after, Duration::from_secs(20));
        assert!(limiter.acquire(three_per_minute(), at(19)).is_err());
        assert!(
            limiter.acquire(three_per_minute(), at(20)).is_ok(),
            "one more after 60 / 3 s"
        );
        assert!(limiter.acquire(three_per_minute(), at(20)).is_err());
        // After a full window of quiet, the whole allowance is back.
        for _ in 0..3 {
            assert!(limiter.acquire(three_per_minute(), at(80)).is_ok());
        }
    }

    #[test]
    fn a_limit_of_one_is_a_cooldown() {
        let limiter = MemoryLimiter::default();
        assert!(limiter.acquire(vec![limit(1, 1, 30)], START).is_ok());
        let refusal = limiter
            .acquire(vec![limit(1, 1, 30)], at(10))
            .expect_err("inside the cooldown");
        assert_eq!(refusal.retry_after, Duration::from_secs(20));
        assert!(limiter.acquire(vec![limit(1, 1, 30)], at(30)).is_ok());
    }

    #[test]
    fn a_refusal_by_one_limit_takes_none_of_the_others() {
        let limiter = MemoryLimiter::default();
        assert!(limiter.acquire(vec![limit(1, 1, 60)], START).is_ok());
        assert!(
            limiter
                .acquire(vec![limit(2, 1, 60), limit(1, 1, 60)], START)
                .is_err()
        );
        assert!(
            limiter.acquire(vec![limit(2, 1, 60)], START).is_ok(),
            "2 was not taken"
        );
    }

    #[test]
    fn the_longest_wait_is_reported() {
        let limiter = MemoryLimiter::default();
        let limits = || vec![limit(1, 1, 30), limit(2, 1, 3600)];
        assert!(limiter.acquire(limits(), START).is_ok());
        let refusal = limiter.acquire(limits(), at(1)).expect_err("refused");
        assert_eq!(refusal.retry_after, Duration::from_secs(3599));
    }

    #[test]
    fn a_released_permit_gives_its_room_back() {
        let limiter = MemoryLimiter::default();
        let twice = || vec![limit(1, 2, 60)];
        assert!(limiter.acquire(twice(), START).is_ok());
        let permit = limiter.acquire(twice(), at(1)).expect("room");
        assert!(limiter.acquire(twice(), at(2)).is_err());
        limiter.release(permit);
        assert!(limiter.acquire(twice(), at(2)).is_ok());
    }

    #[test]
    fn the_same_subject_under_another_kind_is_counted_apart() {
        let limiter = MemoryLimiter::default();
        let mut failures = limit(1, 1, 60);
        failures.kind = LimitKind::VerifyFailuresPerAddress;
        assert!(limiter.acquire(vec![limit(1, 1, 60)], START).is_ok());
        assert!(limiter.acquire(vec![failures], START).is_ok());
    }

    #[test]
    fn sweeping_forgets_subjects_back_to_a_full_allowance() {
        let limiter = MemoryLimiter::default();
        for _ in 0..5 {
            assert!(limiter.acquire(vec![limit(1, 5, 60)], START).is_ok());
        }
        assert!(limiter.acquire(vec![limit(2, 5, 60)], at(30)).is_ok());
        assert_eq!(limiter.sweep(at(41)), 0);
        assert_eq!(
            limiter.sweep(at(42)),
            1,
            "one event of five per minute: 12 s"
        );
        assert_eq!(limiter.sweep(at(60)), 1, "five events: the whole minute");
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn a_stream_of_new_subjects_stays_bounded_by_what_one_window_holds() {
        // 100 new clients a minute for six hours, swept every minute; 20 an
        // hour means one event is forgotten after 3 minutes.
        let limiter = MemoryLimiter::default();
        let mut most = 0;
        for minute in 0..360u64 {
            for n in 0..100u32 {
                let address =
                    std::net::IpAddr::from(std::net::Ipv4Addr::from_bits((minute as u32) << 8 | n));
                let limit = Limit {
                    kind: LimitKind::SendsPerAddress,
                    subject: Subject::Client(ClientKey::from(address)),
                    max: 20,
                    window: Duration::from_secs(3600),
                };
                assert!(limiter.acquire(vec![limit], at(minute * 60)).is_ok());
            }
            limiter.sweep(at(minute * 60));
            most = most.max(limiter.tracked());
        }
        assert!(most <= 400, "{most}");
    }
}
