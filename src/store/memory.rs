//! The in-process store: verifications and limit state in maps behind one
//! `Mutex`, never held across an `.await`, so each operation is atomic.
//!
//! Limit state is one map from a keyed hash of (kind, subject) to that
//! subject's GCRA theoretical arrival time: 16 bytes an entry. A pending
//! verification causes three (its number's hourly count and cooldown, its
//! client's hourly count).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use subtle::ConstantTimeEq;

use super::{
    Checking, Delivered, EVENTS_REMEMBERED, HandingOff, Opened, Opening, Receipt, Redeemed,
    Refusal, SecretHash, Which,
};
use crate::FastMap;
use crate::clock::Timestamp;
use crate::limits::{Gcra, Limit, LimitHit, LimitKind, Subject};
use crate::phone::PhoneNumber;
use crate::pumping::{self, Counts, Watch};
use crate::verification::{
    CheckOutcome, Delivery, Ended, Verification, VerificationId, for_code_by_number,
};

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Keys the limit hash, so no one can aim two subjects at one counter.
    hasher: RandomState,
    /// Tests make every operation fail from a point on, as a dying Redis would.
    #[cfg(test)]
    pub(crate) failing: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    verifications: Verifications,
    /// Subject → theoretical arrival time, in microseconds since the epoch.
    limits: FastMap<u64, u64>,
    /// The Verify API's verifications of each number, oldest first.
    by_phone: HashMap<PhoneNumber, Vec<VerificationId>>,
    hand_offs: HashMap<SecretHash, HandOff>,
    /// The pumping breaker's counts, by destination, and their window (ms).
    pumps: HashMap<String, (Counts, u64)>,
    /// Token → the data it stands for, and until when.
    tokens: HashMap<SecretHash, (Vec<u8>, Timestamp)>,
    /// Receipt events seen, until they may be forgotten.
    events: HashMap<u128, Timestamp>,
}

/// Verifications by id, kept in two parts: a small index (id → slot) and
/// the verifications themselves in one array. A hash table runs up to half
/// empty after it grows; this way its empty half costs 21 bytes a slot, not
/// a whole verification's 130 (measured: 345 → under 256 bytes per pending
/// verification at a million).
#[derive(Debug, Default)]
struct Verifications {
    index: FastMap<VerificationId, u32>,
    slots: Vec<Option<Verification>>,
    /// Slots emptied, to be used again first.
    free: Vec<u32>,
}

impl Verifications {
    fn len(&self) -> usize {
        self.index.len()
    }

    fn contains_key(&self, id: &VerificationId) -> bool {
        self.index.contains_key(id)
    }

    fn get(&self, id: &VerificationId) -> Option<&Verification> {
        let slot = *self.index.get(id)?;
        self.slots.get(slot as usize)?.as_ref()
    }

    fn get_mut(&mut self, id: &VerificationId) -> Option<&mut Verification> {
        let slot = *self.index.get(id)?;
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    fn insert(&mut self, id: VerificationId, verification: Verification) {
        if let Some(held) = self.get_mut(&id) {
            *held = verification;
            return;
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                // Four billion verifications would need half a terabyte:
                // `limits.max_pending` stops far short of running out.
                let Ok(slot) = u32::try_from(self.slots.len()) else {
                    return;
                };
                self.slots.push(None);
                slot
            }
        };
        if let Some(place) = self.slots.get_mut(slot as usize) {
            *place = Some(verification);
            self.index.insert(id, slot);
        }
    }

    fn remove(&mut self, id: &VerificationId) -> Option<Verification> {
        let slot = self.index.remove(id)?;
        let verification = self.slots.get_mut(slot as usize)?.take();
        self.free.push(slot);
        verification
    }

    fn retain(&mut self, mut keep: impl FnMut(&Verification) -> bool) {
        let Self { index, slots, free } = self;
        index.retain(|_, slot| {
            let Some(place) = slots.get_mut(*slot as usize) else {
                return false;
            };
            let kept = place.as_ref().is_some_and(&mut keep);
            if !kept {
                *place = None;
                free.push(*slot);
            }
            kept
        });
    }
}

#[derive(Debug)]
struct HandOff {
    data: Vec<u8>,
    binding: SecretHash,
    expires: Timestamp,
    /// Once redeemed (or refused): the token that use got, if any.
    used: Option<Option<SecretHash>>,
}

impl From<&HandingOff<'_>> for HandOff {
    fn from(hand_off: &HandingOff<'_>) -> Self {
        Self {
            data: hand_off.data.to_vec(),
            binding: *hand_off.binding,
            expires: hand_off.expires,
            used: None,
        }
    }
}

impl State {
    /// The limit with the longest wait, if any limit is spent.
    fn refusal(&self, limits: &[Limit], keys: &[u64], now: u64) -> Option<LimitHit> {
        limits
            .iter()
            .zip(keys)
            .filter_map(|(limit, key)| {
                let retry_after = Gcra::of(limit).wait(self.limits.get(key).copied(), now)?;
                Some(LimitHit {
                    kind: limit.kind,
                    retry_after,
                })
            })
            .max_by_key(|hit| hit.retry_after)
    }

    /// A destination of `watch` that is blocked, and for how long.
    fn blocked(&self, watch: Option<&Watch>, now: Timestamp) -> Option<Refusal> {
        let watch = watch?;
        watch.destinations.iter().find_map(|destination| {
            let (counts, _) = self.pumps.get(&destination.name)?;
            let blocked = !destination.exempt && counts.until > now.as_millis();
            blocked.then(|| Refusal::Pumping {
                destination: destination.name.clone(),
                retry_after: pumping::wait(counts.until, now),
            })
        })
    }

    /// Counts one send (or, `undo`, takes one back) to `watch`'s
    /// destinations; returns those this send blocked.
    fn count_send(&mut self, watch: Option<&Watch>, now: Timestamp, undo: bool) -> Vec<String> {
        let Some(watch) = watch else {
            return Vec::new();
        };
        let (now, window) = (now.as_millis(), watch.window_ms());
        let mut tripped = Vec::new();
        for destination in watch.destinations.iter().filter(|d| !d.exempt) {
            let (counts, kept_window) = self.pumps.entry(destination.name.clone()).or_default();
            *kept_window = window;
            counts.rotate(now, window);
            if undo {
                counts.sent.0 = (counts.sent.0 - 1.0).max(0.0);
                continue;
            }
            counts.sent.0 += 1.0;
            let blocking = counts.until <= now
                && counts.trips(now, window, destination.min_sends, watch.min_conversion);
            if blocking {
                counts.until = now.saturating_add(watch.block_ms());
                tripped.push(destination.name.clone());
            }
        }
        tripped
    }

    /// Counts a verified code for `phone`'s destinations.
    fn count_verified(&mut self, phone: &PhoneNumber, window: Duration, now: Timestamp) {
        let (now, window) = (now.as_millis(), pumping::millis(window));
        for name in pumping::destinations(phone) {
            let (counts, kept_window) = self.pumps.entry(name).or_default();
            *kept_window = window;
            counts.rotate(now, window);
            counts.verified.0 += 1.0;
        }
    }

    fn take(&mut self, limits: &[Limit], keys: &[u64], now: u64) {
        for (limit, key) in limits.iter().zip(keys) {
            let tat = self.limits.entry(*key).or_insert(0);
            *tat = Gcra::of(limit).take(*tat, now);
        }
    }
}

impl MemoryStore {
    /// A panic elsewhere while holding the lock leaves the maps consistent
    /// (every change is a few map operations that cannot panic), so a
    /// poisoned lock is used as is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether operations may go ahead: always, but for tests that make the
    /// store fail as a dying Redis would.
    pub(super) fn ready(&self) -> Result<(), super::StoreUnavailable> {
        #[cfg(test)]
        if self.failing.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(super::StoreUnavailable::new("the test made the store fail"));
        }
        Ok(())
    }

    fn keys(&self, limits: &[Limit]) -> Vec<u64> {
        limits
            .iter()
            .map(|limit| self.hasher.hash_one((limit.kind, limit.subject)))
            .collect()
    }

    pub(super) fn open(&self, opening: &Opening<'_>, now: Timestamp) -> Result<Opened, Refusal> {
        let Opening {
            id,
            verification,
            limits,
            max_pending,
            replaces,
            watch,
            // Digested for the verification found, at the check.
            by_number: _,
        } = *opening;
        let keys = self.keys(limits);
        let now_us = Gcra::micros(now);
        let mut state = self.state();
        let replacing = replaces.is_some_and(|old| state.verifications.contains_key(old));
        if state.verifications.len() - usize::from(replacing) >= max_pending {
            return Err(Refusal::Busy);
        }
        if let Some(blocked) = state.blocked(watch, now) {
            return Err(blocked);
        }
        if let Some(hit) = state.refusal(limits, &keys, now_us) {
            return Err(Refusal::Limit(hit));
        }
        state.take(limits, &keys, now_us);
        if let Some(old) = replaces {
            state.verifications.remove(old);
        }
        if verification.profile.is_some() {
            let ids = state.by_phone.entry(verification.phone).or_default();
            ids.push(id.clone());
        }
        state.verifications.insert(id.clone(), verification.clone());
        let tripped = state.count_send(watch, now, false);
        Ok(Opened { tripped })
    }

    pub(super) fn reopen(
        &self,
        id: &VerificationId,
        limits: &[Limit],
        watch: Option<&Watch>,
        now: Timestamp,
    ) -> Result<(Verification, Opened), Refusal> {
        let keys = self.keys(limits);
        let now_us = Gcra::micros(now);
        let mut state = self.state();
        let Some(verification) = state.verifications.get(id) else {
            return Err(Refusal::Ended(Ended::Missing, None));
        };
        verification
            .still_pending(now)
            .map_err(|why| Refusal::Ended(why, None))?;
        if let Some(blocked) = state.blocked(watch, now) {
            return Err(blocked);
        }
        if let Some(hit) = state.refusal(limits, &keys, now_us) {
            return Err(Refusal::Limit(hit));
        }
        state.take(limits, &keys, now_us);
        let verification = state
            .verifications
            .get_mut(id)
            .ok_or(Refusal::Ended(Ended::Missing, None))?;
        verification.sent = now;
        verification.updated = now;
        verification.delivery = Delivery::Unknown;
        let verification = verification.clone();
        let tripped = state.count_send(watch, now, false);
        Ok((verification, Opened { tripped }))
    }

    pub(super) fn undo(
        &self,
        opened: Option<&VerificationId>,
        phone: &PhoneNumber,
        limits: &[Limit],
        watch: Option<&Watch>,
        now: Timestamp,
    ) {
        let keys = self.keys(limits);
        let mut state = self.state();
        state.count_send(watch, now, true);
        if let Some(id) = opened {
            state.verifications.remove(id);
            if let Some(ids) = state.by_phone.get_mut(phone) {
                ids.retain(|other| other != id);
            }
        }
        for (limit, key) in limits.iter().zip(&keys) {
            if let Some(tat) = state.limits.get_mut(key) {
                *tat = Gcra::of(limit).give_back(*tat);
            }
        }
    }

    pub(super) fn check(&self, checking: &Checking<'_>, now: Timestamp) -> CheckOutcome {
        let limits = std::slice::from_ref(checking.guessing);
        let keys = self.keys(limits);
        let now_us = Gcra::micros(now);
        // Digested before the lock when the id is known; by number, for
        // the id found under it.
        let for_id = match checking.which {
            Which::Id(id) => checking.typed.for_id(id.as_bytes()),
            Which::Newest { .. } => Vec::new(),
        };
        let mut state = self.state();
        let missing = CheckOutcome::Ended {
            why: Ended::Missing,
            verification: None,
        };
        let (id, attempts) = match checking.which {
            Which::Id(id) => {
                let found = state.verifications.get(id);
                let Some(verification) =
                    found.filter(|v| !checking.api_only || v.profile.is_some())
                else {
                    return missing;
                };
                if let Err(why) = verification.still_pending(now) {
                    return CheckOutcome::Ended {
                        why,
                        verification: Some(verification.clone()),
                    };
                }
                (id.clone(), for_id)
            }
            Which::Newest { phone, profile } => {
                let ids = state.by_phone.get(phone).map_or(&[][..], Vec::as_slice);
                let newest_first = ids
                    .iter()
                    .rev()
                    .filter_map(|id| Some((id, state.verifications.get(id)?)));
                match for_code_by_number(newest_first, profile, now) {
                    Ok((id, _)) => (id.clone(), checking.typed.for_id(id.as_bytes())),
                    Err((why, verification)) => {
                        return CheckOutcome::Ended {
                            why,
                            verification: verification.cloned(),
                        };
                    }
                }
            }
        };
        if let Some(hit) = state.refusal(limits, &keys, now_us) {
            return CheckOutcome::Limited(hit);
        }
        let Some(verification) = state.verifications.get_mut(&id) else {
            return missing;
        };
        match verification.check(&attempts, now, checking.max_attempts) {
            Ok(true) => {
                let verified = verification.clone();
                if let Some(window) = checking.pumping_window {
                    state.count_verified(&verified.phone, window, now);
                }
                if let Some(hand_off) = &checking.hand_off
                    && hand_off.phone.e164() == verified.phone.e164()
                {
                    state
                        .hand_offs
                        .insert(*hand_off.key, HandOff::from(hand_off));
                }
                CheckOutcome::Verified(verified)
            }
            Ok(false) => {
                let outcome = CheckOutcome::Wrong {
                    tries_left: verification.tries_left(checking.max_attempts),
                    verification: verification.clone(),
                };
                state.take(limits, &keys, now_us);
                outcome
            }
            Err(why) => CheckOutcome::Ended {
                why,
                verification: Some(verification.clone()),
            },
        }
    }

    pub(super) fn settle(
        &self,
        id: &VerificationId,
        accepted: bool,
        now: Timestamp,
    ) -> Result<Verification, Refusal> {
        let mut state = self.state();
        // Only the Verify API's verifications: a page's is none of its business.
        let verification = state
            .verifications
            .get_mut(id)
            .filter(|v| v.profile.is_some())
            .ok_or(Refusal::Ended(Ended::Missing, None))?;
        if let Err(why) = verification.still_pending(now) {
            return Err(Refusal::Ended(why, Some(Box::new(verification.clone()))));
        }
        if !verification.custom_code {
            return Err(Refusal::NotCustomCode);
        }
        verification
            .settle(accepted, now)
            .map_err(|why| Refusal::Ended(why, None))?;
        Ok(verification.clone())
    }

    pub(super) fn list(&self, phone: &PhoneNumber) -> Vec<(VerificationId, Verification)> {
        let state = self.state();
        let Some(ids) = state.by_phone.get(phone) else {
            return Vec::new();
        };
        ids.iter()
            .rev()
            .filter_map(|id| Some((id.clone(), state.verifications.get(id)?.clone())))
            .collect()
    }

    pub(super) fn redeem(
        &self,
        key: &SecretHash,
        binding: &SecretHash,
        token: &SecretHash,
        token_expires: Timestamp,
        now: Timestamp,
    ) -> Redeemed {
        let mut state = self.state();
        let State {
            hand_offs, tokens, ..
        } = &mut *state;
        let Some(hand_off) = hand_offs.get_mut(key) else {
            return Redeemed::Unknown;
        };
        if let Some(issued) = hand_off.used {
            hand_off.used = Some(None);
            return match issued {
                Some(issued) => {
                    tokens.remove(&issued);
                    Redeemed::Revoked
                }
                None => Redeemed::Reused,
            };
        }
        let fits: bool = hand_off.binding.ct_eq(binding).into();
        if now >= hand_off.expires || !fits {
            hand_off.used = Some(None);
            return Redeemed::Refused;
        }
        hand_off.used = Some(Some(*token));
        // Kept as long as its token, so a second use can still revoke it.
        hand_off.expires = hand_off.expires.max(token_expires);
        tokens.insert(*token, (hand_off.data.clone(), token_expires));
        Redeemed::Issued(hand_off.data.clone())
    }

    pub(super) fn token(&self, token: &SecretHash, now: Timestamp) -> Option<Vec<u8>> {
        let state = self.state();
        let (data, expires) = state.tokens.get(token)?;
        (now < *expires).then(|| data.clone())
    }

    pub(super) fn deliver(&self, receipt: &Receipt, now: Timestamp) -> Delivered {
        let mut state = self.state();
        let remembered = now.after(EVENTS_REMEMBERED);
        if state.events.insert(receipt.event, remembered).is_some() {
            return Delivered::Duplicate;
        }
        let id = &receipt.send.verification;
        let Some(verification) = state
            .verifications
            .get_mut(id)
            .filter(|v| v.phone.e164() == receipt.to)
        else {
            return Delivered::Unknown;
        };
        let latest = verification.sent == receipt.send.sent;
        let changed = verification.delivery.after(receipt.news, latest);
        if let Some(delivery) = changed {
            verification.delivery = delivery;
        }
        let verification = verification.clone();
        if changed == Some(Delivery::Failed) {
            // A failed delivery should not make the person wait to try again.
            let cooldown = self.hasher.hash_one((
                LimitKind::ResendCooldown,
                Subject::Phone(verification.phone),
            ));
            state.limits.remove(&cooldown);
        }
        Delivered::Known {
            id: id.clone(),
            verification,
            changed: changed.is_some(),
        }
    }

    pub(super) fn get(&self, id: &VerificationId) -> Option<Verification> {
        self.state().verifications.get(id).cloned()
    }

    pub(super) fn sweep(&self, now: Timestamp) -> usize {
        let now_us = Gcra::micros(now);
        let mut state = self.state();
        let before = state.verifications.len();
        state.verifications.retain(|v| v.kept_until() > now);
        let State {
            verifications,
            by_phone,
            ..
        } = &mut *state;
        by_phone.retain(|_, ids| {
            ids.retain(|id| verifications.contains_key(id));
            !ids.is_empty()
        });
        // A subject whose arrival time has passed is as good as new.
        state.limits.retain(|_, tat| *tat > now_us);
        state.hand_offs.retain(|_, hand_off| hand_off.expires > now);
        let now_ms = now.as_millis();
        state.pumps.retain(|_, (counts, window)| {
            counts.until > now_ms || counts.start.saturating_add(2 * *window) > now_ms
        });
        state.tokens.retain(|_, (_, expires)| *expires > now);
        state.events.retain(|_, until| *until > now);
        before - state.verifications.len()
    }

    pub(crate) fn held(&self) -> usize {
        self.state().verifications.len()
    }

    /// How many limit subjects are being counted: for the memory benchmark.
    pub fn limit_subjects(&self) -> usize {
        self.state().limits.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::limits::{ClientKey, LimitKind, Subject};
    use crate::otp::CodeKey;
    use crate::phone::PhoneNumber;
    use crate::verification::Status;

    const START: Timestamp = Timestamp::from_millis(10_000_000);
    const TTL: Duration = Duration::from_secs(600);

    fn at(secs: u64) -> Timestamp {
        START.after(Duration::from_secs(secs))
    }

    fn verification(now: Timestamp) -> Verification {
        let code = crate::otp::CodeFormat {
            alphabet: crate::otp::Alphabet::Digits,
            length: 6,
        }
        .generate();
        Verification {
            phone: PhoneNumber::parse("+12015550123", &"+1".parse().expect("+1")).expect("valid"),
            digest: CodeKey::new([1; 32]).digest(b"id", &code),
            created: now,
            expires: now.after(TTL),
            sent: now,
            wrong_tries: 0,
            status: Status::Pending,
            profile: None,
            custom_code: false,
            updated: now,
            delivery: crate::verification::Delivery::Unknown,
        }
    }

    fn client_limit(address: IpAddr, max: u32, window_secs: u64) -> Limit {
        Limit {
            kind: LimitKind::SendsPerAddress,
            subject: Subject::Client(ClientKey::from(address)),
            max,
            window: Duration::from_secs(window_secs),
        }
    }

    fn open(store: &MemoryStore, limits: &[Limit], now: Timestamp) -> Result<(), Refusal> {
        static TEMPLATE: std::sync::LazyLock<Verification> =
            std::sync::LazyLock::new(|| verification(START));
        let v = Verification {
            created: now,
            expires: now.after(TTL),
            sent: now,
            updated: now,
            delivery: crate::verification::Delivery::Unknown,
            ..TEMPLATE.clone()
        };
        let opening = Opening {
            id: &VerificationId::random(),
            verification: &v,
            limits,
            max_pending: usize::MAX,
            replaces: None,
            watch: None,
            by_number: None,
        };
        store.open(&opening, now).map(|_| ())
    }

    #[test]
    fn sweeping_forgets_limit_subjects_back_to_a_full_allowance() {
        let store = MemoryStore::default();
        let one = client_limit(IpAddr::from([192, 0, 2, 1]), 5, 60);
        let two = client_limit(IpAddr::from([192, 0, 2, 2]), 5, 60);
        for _ in 0..5 {
            assert!(open(&store, &[one], START).is_ok());
        }
        assert!(open(&store, &[two], at(30)).is_ok());
        store.sweep(at(41));
        assert_eq!(store.limit_subjects(), 2);
        store.sweep(at(42));
        assert_eq!(
            store.limit_subjects(),
            1,
            "one event of five per minute: 12 s"
        );
        store.sweep(at(60));
        assert_eq!(store.limit_subjects(), 0, "five events: the whole minute");
    }

    #[test]
    fn a_stream_of_new_verifications_and_subjects_stays_bounded_by_what_one_window_holds() {
        // 100 new clients a minute for six hours, each verification living
        // ten minutes and kept ten more, swept every minute; 20 an hour means
        // one event is forgotten after 3 minutes.
        let store = MemoryStore::default();
        let (mut most_held, mut most_subjects) = (0, 0);
        for minute in 0..360u64 {
            let now = at(minute * 60);
            for n in 0..100u32 {
                let address = IpAddr::V4(Ipv4Addr::from_bits((minute as u32) << 8 | n));
                assert!(open(&store, &[client_limit(address, 20, 3600)], now).is_ok());
            }
            store.sweep(now);
            most_held = most_held.max(store.held());
            most_subjects = most_subjects.max(store.limit_subjects());
        }
        assert!(most_held <= 2_100, "{most_held}");
        assert!(most_subjects <= 400, "{most_subjects}");
    }

    #[test]
    fn emptied_slots_are_used_again_and_every_id_finds_its_own_verification() {
        let mut held = Verifications::default();
        let ids: Vec<VerificationId> = (0..4).map(|_| VerificationId::random()).collect();
        for (i, id) in ids.iter().enumerate() {
            held.insert(id.clone(), verification(at(i as u64)));
        }
        assert_eq!(held.remove(&ids[1]).map(|v| v.created), Some(at(1)));
        held.retain(|v| v.created != at(2));
        assert_eq!((held.len(), held.slots.len()), (2, 4));
        let newer = [VerificationId::random(), VerificationId::random()];
        for (i, id) in newer.iter().enumerate() {
            held.insert(id.clone(), verification(at(10 + i as u64)));
        }
        assert_eq!(
            held.slots.len(),
            4,
            "no new slots while emptied ones are free"
        );
        for (id, created) in [(&ids[0], 0), (&ids[3], 3), (&newer[0], 10), (&newer[1], 11)] {
            assert_eq!(held.get(id).map(|v| v.created), Some(at(created)));
        }
        assert!(held.get(&ids[1]).is_none() && held.get(&ids[2]).is_none());
        held.insert(ids[0].clone(), verification(at(20)));
        assert_eq!(
            (held.len(), held.get(&ids[0]).map(|v| v.created)),
            (4, Some(at(20)))
        );
    }
}
