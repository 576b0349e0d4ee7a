//! The in-process store: a map behind a `Mutex`, never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::{CheckOutcome, Verification, VerificationId};
use crate::clock::Timestamp;
use crate::otp::CodeDigest;

#[derive(Debug, Default)]
pub struct MemoryStore {
    verifications: Mutex<HashMap<VerificationId, Verification>>,
}

impl MemoryStore {
    /// A panic elsewhere while holding the lock leaves the map consistent
    /// (every change is a single map operation), so a poisoned lock is used as is.
    fn map(&self) -> MutexGuard<'_, HashMap<VerificationId, Verification>> {
        self.verifications
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn insert(&self, id: VerificationId, verification: Verification) {
        self.map().insert(id, verification);
    }

    pub fn get(&self, id: &VerificationId) -> Option<Verification> {
        self.map().get(id).cloned()
    }

    pub fn remove(&self, id: &VerificationId) {
        self.map().remove(id);
    }

    pub fn check(
        &self,
        id: &VerificationId,
        attempt: &CodeDigest,
        now: Timestamp,
        max_attempts: u32,
    ) -> CheckOutcome {
        match self.map().get_mut(id) {
            Some(verification) => verification.check(attempt, now, max_attempts),
            None => CheckOutcome::NotFound,
        }
    }

    pub fn sweep(&self, now: Timestamp) -> usize {
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, verification| verification.expires > now);
        before - map.len()
    }

    pub fn count(&self) -> usize {
        self.map().len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::otp::{CodeKey, OtpCode};
    use crate::phone::PhoneNumber;
    use crate::verification::State;

    const START: Timestamp = Timestamp::from_millis(1_000_000);
    const TTL: Duration = Duration::from_secs(600);

    fn digest(code: &str) -> CodeDigest {
        let format = crate::otp::CodeFormat {
            alphabet: crate::otp::Alphabet::Digits,
            length: 6,
        };
        let code: OtpCode = format.read_attempt(code).expect("a code");
        CodeKey::derive_from(b"test key").digest(b"id", &code)
    }

    fn pending(code: &str) -> Verification {
        let phone = PhoneNumber::parse("+12015550123", &"+1".parse().expect("+1")).expect("valid");
        Verification {
            phone,
            digest: digest(code),
            created: START,
            expires: START.after(TTL),
            wrong_tries: 0,
            state: State::Pending,
        }
    }

    fn store_with(code: &str) -> (MemoryStore, VerificationId) {
        let store = MemoryStore::default();
        let id = VerificationId::random();
        store.insert(id.clone(), pending(code));
        (store, id)
    }

    #[test]
    fn the_right_code_verifies_once() {
        let (store, id) = store_with("123456");
        assert!(matches!(
            store.check(&id, &digest("123456"), START, 5),
            CheckOutcome::Verified { .. }
        ));
        assert_eq!(
            store.check(&id, &digest("123456"), START, 5),
            CheckOutcome::AlreadyUsed
        );
    }

    #[test]
    fn wrong_codes_count_down_to_a_lock_that_the_right_code_cannot_open() {
        let (store, id) = store_with("123456");
        for left in (0..5).rev() {
            let outcome = store.check(&id, &digest("999999"), START, 5);
            assert!(
                matches!(outcome, CheckOutcome::WrongCode { tries_left, .. } if tries_left == left),
                "{outcome:?}"
            );
        }
        assert_eq!(
            store.check(&id, &digest("999999"), START, 5),
            CheckOutcome::Locked
        );
        assert_eq!(
            store.check(&id, &digest("123456"), START, 5),
            CheckOutcome::Locked
        );
    }

    #[test]
    fn a_code_is_refused_from_the_moment_it_expires() {
        let (store, id) = store_with("123456");
        assert_eq!(
            store.check(&id, &digest("123456"), START.after(TTL), 5),
            CheckOutcome::Expired
        );
    }

    #[test]
    fn an_unknown_id_is_not_found() {
        let (store, _) = store_with("123456");
        assert_eq!(
            store.check(&VerificationId::random(), &digest("123456"), START, 5),
            CheckOutcome::NotFound
        );
    }

    #[test]
    fn sweeping_forgets_only_expired_verifications() {
        let (store, id) = store_with("123456");
        let mut later = pending("123456");
        later.expires = START.after(TTL * 2);
        store.insert(VerificationId::random(), later);
        assert_eq!(store.sweep(START.after(TTL)), 1);
        assert_eq!(store.count(), 1);
        assert_eq!(
            store.check(&id, &digest("123456"), START, 5),
            CheckOutcome::NotFound
        );
    }

    #[test]
    fn a_stream_of_new_verifications_stays_bounded_by_their_life() {
        // 100 new verifications a minute for six hours, swept every minute,
        // each living ten minutes: never more than ten minutes' worth.
        let store = MemoryStore::default();
        let template = pending("123456");
        let mut most = 0;
        for minute in 0..360u64 {
            let now = START.after(Duration::from_secs(minute * 60));
            for _ in 0..100 {
                let mut verification = template.clone();
                verification.created = now;
                verification.expires = now.after(TTL);
                store.insert(VerificationId::random(), verification);
            }
            store.sweep(now);
            most = most.max(store.count());
        }
        assert!(most <= 1_100, "{most}");
    }
}
