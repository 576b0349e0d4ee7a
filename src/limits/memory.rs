//! Limit counts in this process: one map from a keyed hash of (kind,
//! subject) to the times of the events inside the window.
//!
//! A pending verification causes three entries here (its number's hourly
//! count and cooldown, its client's hourly count), so entries are kept small:
//! a 64-bit key, and a single event inline.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::{Limit, Permit, Refusal};
use crate::clock::Timestamp;

#[derive(Debug, Default)]
pub struct MemoryLimiter {
    /// Keys the hash, so no one can aim two subjects at one counter.
    hasher: RandomState,
    subjects: Mutex<HashMap<u64, Events>>,
}

/// The events of one subject inside its window, oldest first.
#[derive(Debug)]
struct Events {
    /// When the newest event leaves the window: the entry may go then.
    until: Timestamp,
    times: Times,
}

/// Boxed, the rare `Many` keeps every entry at 16 bytes instead of 40.
#[derive(Debug)]
#[allow(clippy::box_collection)]
enum Times {
    One(Timestamp),
    Many(Box<VecDeque<Timestamp>>),
}

impl Events {
    fn new(now: Timestamp, window: Duration) -> Self {
        Self {
            until: now.after(window),
            times: Times::One(now),
        }
    }

    fn push(&mut self, now: Timestamp, window: Duration) {
        self.until = now.after(window);
        self.times = match std::mem::replace(&mut self.times, Times::Many(Box::default())) {
            Times::One(first) => Times::Many(Box::new(VecDeque::from([first, now]))),
            Times::Many(mut times) => {
                times.push_back(now);
                Times::Many(times)
            }
        };
    }

    /// Drops events older than `window`; `true` if none are left.
    fn forget_before(&mut self, now: Timestamp, window: Duration) -> bool {
        let gone = |t: &Timestamp| t.after(window) <= now;
        match &mut self.times {
            Times::One(t) => gone(t),
            Times::Many(times) => {
                while times.front().is_some_and(gone) {
                    times.pop_front();
                }
                times.is_empty()
            }
        }
    }

    fn len(&self) -> usize {
        match &self.times {
            Times::One(_) => 1,
            Times::Many(times) => times.len(),
        }
    }

    /// How long until one more event fits under `max`, if it does not now.
    fn wait_for_room(&self, max: u32, window: Duration, now: Timestamp) -> Option<Duration> {
        let (len, max) = (self.len(), max as usize);
        if len < max {
            return None;
        }
        // The event that must leave the window before there is room.
        let blocking = match &self.times {
            Times::One(t) => *t,
            Times::Many(times) => times[len - max],
        };
        Some(now.until(blocking.after(window)))
    }

    /// Removes one event at `at`; `true` if none are left.
    fn remove(&mut self, at: Timestamp) -> bool {
        match &mut self.times {
            Times::One(t) => *t == at,
            Times::Many(times) => {
                if let Some(position) = times.iter().rposition(|t| *t == at) {
                    times.remove(position);
                }
                times.is_empty()
            }
        }
    }
}

impl MemoryLimiter {
    fn subjects(&self) -> MutexGuard<'_, HashMap<u64, Events>> {
        // Each change is a single insert, push or pop: a poisoned map is still consistent.
        self.subjects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn key(&self, limit: &Limit) -> u64 {
        self.hasher.hash_one((limit.kind, limit.subject))
    }

    /// The wait `limit` imposes now, after forgetting what left its window.
    fn wait_in(
        &self,
        subjects: &mut HashMap<u64, Events>,
        limit: &Limit,
        now: Timestamp,
    ) -> Option<Duration> {
        let key = self.key(limit);
        let events = subjects.get_mut(&key)?;
        if events.forget_before(now, limit.window) {
            subjects.remove(&key);
            return None;
        }
        events.wait_for_room(limit.max, limit.window, now)
    }

    pub(super) fn acquire(&self, limits: Vec<Limit>, now: Timestamp) -> Result<Permit, Refusal> {
        let mut subjects = self.subjects();
        let refusal = limits
            .iter()
            .filter_map(|limit| {
                let retry_after = self.wait_in(&mut subjects, limit, now)?;
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
            subjects
                .entry(self.key(limit))
                .and_modify(|events| events.push(now, limit.window))
                .or_insert_with(|| Events::new(now, limit.window));
        }
        Ok(Permit { limits, at: now })
    }

    pub(super) fn wait(&self, limit: &Limit, now: Timestamp) -> Option<Duration> {
        self.wait_in(&mut self.subjects(), limit, now)
    }

    pub(super) fn release(&self, permit: Permit) {
        let mut subjects = self.subjects();
        for limit in &permit.limits {
            let key = self.key(limit);
            if subjects
                .get_mut(&key)
                .is_some_and(|events| events.remove(permit.at))
            {
                subjects.remove(&key);
            }
        }
    }

    pub(super) fn sweep(&self, now: Timestamp) -> usize {
        let mut subjects = self.subjects();
        let before = subjects.len();
        subjects.retain(|_, events| events.until > now);
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
    fn at_most_max_events_fit_in_any_window() {
        let limiter = MemoryLimiter::default();
        let three_per_minute = || vec![limit(1, 3, 60)];
        for secs in [0, 10, 20] {
            assert!(limiter.acquire(three_per_minute(), at(secs)).is_ok());
        }
        let refusal = limiter
            .acquire(three_per_minute(), at(30))
            .expect_err("a fourth is refused");
        assert_eq!(refusal.retry_after, Duration::from_secs(30));
        assert!(limiter.acquire(three_per_minute(), at(59)).is_err());
        assert!(limiter.acquire(three_per_minute(), at(60)).is_ok());
        assert!(
            limiter.acquire(three_per_minute(), at(61)).is_err(),
            "the events at 10 and 20 still count"
        );
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
        limiter.release(permit);
        assert!(limiter.acquire(twice(), at(2)).is_ok());
        let permit = limiter.acquire(vec![limit(3, 1, 60)], START).expect("room");
        limiter.release(permit);
        assert_eq!(limiter.tracked(), 1, "an emptied subject is forgotten");
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
    fn sweeping_forgets_subjects_whose_window_has_passed() {
        let limiter = MemoryLimiter::default();
        assert!(limiter.acquire(vec![limit(1, 5, 60)], START).is_ok());
        assert!(limiter.acquire(vec![limit(2, 5, 60)], at(30)).is_ok());
        assert_eq!(limiter.sweep(at(60)), 1);
        assert_eq!(limiter.sweep(at(90)), 1);
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn a_stream_of_new_subjects_stays_bounded_by_what_one_window_holds() {
        // 100 new clients a minute for six hours, swept every minute, with
        // an hourly window: never more than an hour and a minute's worth.
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
        assert!(most <= 6_100, "{most}");
    }
}
