//! One suite for both backends: every test runs against the memory store
//! and, when `TWOFA_TEST_REDIS_URL` names a Redis, against a Redis store
//! under a key prefix of its own. Without the variable the Redis half says
//! so and is skipped; under CI (`CI=true`) that is a failure.

use std::future::Future;
use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::limits::{ClientKey, LimitKind, Subject};
use crate::otp::{Alphabet, CodeFormat, CodeKey, OtpCode, Typed};
use crate::phone::PhoneNumber;
use crate::pumping::{Destination, Watch};
use crate::settings::RedisSettings;
use crate::verification::{Delivery, ProfileId, SendRef, Status};

const START: Timestamp = Timestamp::from_millis(10_000_000);
const TTL: Duration = Duration::from_secs(600);
const FORMAT: CodeFormat = CodeFormat {
    alphabet: Alphabet::Digits,
    length: 6,
};

/// Runs `test` on a memory store, then on a Redis store if there is one.
async fn each_store<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    test(Store::default()).await;
    if let Some(store) = redis_store().await {
        test(store).await;
    }
}

async fn redis_store() -> Option<Store> {
    let Ok(url) = std::env::var("TWOFA_TEST_REDIS_URL") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the store's Redis tests cannot run under CI without TWOFA_TEST_REDIS_URL");
        }
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "\n*** REDIS STORE TESTS SKIPPED: set TWOFA_TEST_REDIS_URL ***\n"
            );
        });
        return None;
    };
    let settings = RedisSettings {
        target: crate::settings::RedisTarget::Direct(url.into()),
        key_prefix: format!("store-test-{:016x}:", rand::random::<u64>()),
        wait: Duration::ZERO,
    };
    let connection = RedisConnection::connect(&settings)
        .await
        .expect("TWOFA_TEST_REDIS_URL answers");
    Some(Store::Redis(RedisStore::new(connection)))
}

fn key() -> CodeKey {
    CodeKey::new([7; 32])
}

fn digest(id: &VerificationId, code: &str) -> CodeDigest {
    let code = FORMAT.read_attempt(code).expect("a code");
    key().digest(id.as_bytes(), &code)
}

fn phone(last: u32) -> PhoneNumber {
    let us = "+1".parse().expect("+1");
    PhoneNumber::parse(&format!("+1201555{last:04}"), &us).expect("valid")
}

fn at(secs: u64) -> Timestamp {
    START.after(Duration::from_secs(secs))
}

fn pending(id: &VerificationId, code: &str) -> Verification {
    Verification {
        phone: phone(123),
        digest: digest(id, code),
        created: START,
        expires: START.after(TTL),
        sent: START,
        wrong_tries: 0,
        status: Status::Pending,
        profile: None,
        custom_code: false,
        updated: START,
        delivery: crate::verification::Delivery::Unknown,
    }
}

/// A store holding one pending verification with code 123456.
async fn with_one(store: &Store) -> VerificationId {
    let id = VerificationId::random();
    let opened = store
        .open(
            &Opening {
                id: &id,
                verification: &pending(&id, "123456"),
                limits: &[],
                max_pending: 1_000,
                replaces: None,
                watch: None,
                by_number: None,
            },
            START,
        )
        .await;
    assert_eq!(opened.expect("the store answers"), Ok(Opened::default()));
    id
}

fn address_limit(client: u8, max: u32, window_secs: u64) -> Limit {
    Limit {
        kind: LimitKind::SendsPerAddress,
        subject: Subject::Client(ClientKey::from(IpAddr::from([192, 0, 2, client]))),
        max,
        window: Duration::from_secs(window_secs),
    }
}

fn guessing(max: u32) -> Limit {
    Limit {
        kind: LimitKind::VerifyFailuresPerAddress,
        subject: Subject::Client(ClientKey::from(IpAddr::from([198, 51, 100, 1]))),
        max,
        window: Duration::from_secs(3600),
    }
}

/// Takes `limits` by opening a throw-away verification.
async fn take(store: &Store, limits: &[Limit], now: Timestamp) -> Result<Opened, Refusal> {
    let id = VerificationId::random();
    let mut verification = pending(&id, "123456");
    verification.expires = now.after(TTL);
    store
        .open(
            &Opening {
                id: &id,
                verification: &verification,
                limits,
                max_pending: usize::MAX,
                replaces: None,
                watch: None,
                by_number: None,
            },
            now,
        )
        .await
        .expect("the store answers")
}

/// The key the test verifications' codes are digested with.
static KEYS: std::sync::LazyLock<[CodeKey; 1]> = std::sync::LazyLock::new(|| [key()]);

/// A code as typed.
fn attempt(code: &str) -> OtpCode {
    FORMAT.read_attempt(code).expect("a code")
}

/// A check of `code` for verification `id` as the pages ask it: at most 5
/// wrong tries, no breaker.
fn checking<'a>(id: &'a VerificationId, code: &'a OtpCode, guessing: &'a Limit) -> Checking<'a> {
    Checking {
        which: Which::Id(id),
        typed: Typed::new(&KEYS[..], code),
        guessing,
        max_attempts: 5,
        pumping_window: None,
        api_only: false,
        hand_off: None,
    }
}

async fn check(store: &Store, id: &VerificationId, code: &str, now: Timestamp) -> CheckOutcome {
    let code = attempt(code);
    store
        .check(&checking(id, &code, &guessing(1_000)), now)
        .await
        .expect("the store answers")
}

/// Why a check found verification `id` ended, holding that the store gave
/// it back as a read gives it (none when it is missing).
async fn ended_because(store: &Store, id: &VerificationId, outcome: CheckOutcome) -> Ended {
    match outcome {
        CheckOutcome::Ended { why, verification } => {
            assert_eq!(
                verification,
                store.get(id).await.expect("answers"),
                "{why:?}"
            );
            why
        }
        other => panic!("not ended: {other:?}"),
    }
}

#[tokio::test]
async fn a_verification_reads_back_as_it_was_stored() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let read = store.get(&id).await.expect("answers");
        assert_eq!(read, Some(pending(&id, "123456")));
        assert_eq!(
            store.get(&VerificationId::random()).await.expect("answers"),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn the_right_code_verifies_once() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        match check(&store, &id, "123456", START).await {
            CheckOutcome::Verified(v) => {
                assert_eq!(v.status, Status::Used);
                assert_eq!(v.updated, START);
            }
            other => panic!("{other:?}"),
        }
        let again = check(&store, &id, "123456", START).await;
        assert_eq!(ended_because(&store, &id, again).await, Ended::Used);
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_count_down_to_a_lock_that_the_right_code_cannot_open() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        for left in (0..5).rev() {
            let now = at(u64::from(5 - left));
            match check(&store, &id, "999999", now).await {
                CheckOutcome::Wrong {
                    tries_left,
                    verification,
                } => {
                    assert_eq!(tries_left, left);
                    // A try writes its count, its time and (the last) the
                    // lock, and nothing else.
                    let mut tried = pending(&id, "123456");
                    tried.wrong_tries = 5 - left;
                    tried.updated = now;
                    if left == 0 {
                        tried.status = Status::Locked;
                    }
                    assert_eq!(verification, tried);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            store.get(&id).await.expect("answers").map(|v| v.status),
            Some(Status::Locked)
        );
        for code in ["999999", "123456"] {
            let locked = check(&store, &id, code, START).await;
            assert_eq!(ended_because(&store, &id, locked).await, Ended::Locked);
        }
    })
    .await;
}

#[tokio::test]
async fn a_code_is_refused_from_the_moment_it_expires() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let late = check(&store, &id, "123456", START.after(TTL)).await;
        assert_eq!(ended_because(&store, &id, late).await, Ended::Expired);
        assert!(matches!(
            check(
                &store,
                &id,
                "123456",
                START.after(TTL - Duration::from_millis(1))
            )
            .await,
            CheckOutcome::Verified(_)
        ));
    })
    .await;
}

#[tokio::test]
async fn an_unknown_id_is_missing() {
    each_store(|store| async move {
        with_one(&store).await;
        let unknown = VerificationId::random();
        let checked = check(&store, &unknown, "123456", START).await;
        assert_eq!(
            ended_because(&store, &unknown, checked).await,
            Ended::Missing
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_spend_the_guessing_limit_and_right_ones_do_not() {
    each_store(|store| async move {
        let ids = [
            with_one(&store).await,
            with_one(&store).await,
            with_one(&store).await,
        ];
        let limit = guessing(2);
        let try_code = |id: VerificationId, code: &'static str| {
            let store = &store;
            let limit = &limit;
            async move {
                let code = attempt(code);
                store
                    .check(&checking(&id, &code, limit), START)
                    .await
                    .expect("answers")
            }
        };
        assert!(matches!(
            try_code(ids[0].clone(), "123456").await,
            CheckOutcome::Verified(_)
        ));
        assert!(matches!(
            try_code(ids[1].clone(), "000000").await,
            CheckOutcome::Wrong { .. }
        ));
        assert!(matches!(
            try_code(ids[1].clone(), "000000").await,
            CheckOutcome::Wrong { .. }
        ));
        // Spent: even the right code waits, and nothing is counted.
        match try_code(ids[2].clone(), "123456").await {
            CheckOutcome::Limited(hit) => {
                assert_eq!(hit.kind, LimitKind::VerifyFailuresPerAddress);
                assert_eq!(hit.retry_after, Duration::from_secs(1800));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store
                .get(&ids[2])
                .await
                .expect("answers")
                .map(|v| v.wrong_tries),
            Some(0)
        );
        // An ended verification is told so before the limit is looked at.
        let used = try_code(ids[0].clone(), "123456").await;
        assert_eq!(ended_because(&store, &ids[0], used).await, Ended::Used);
    })
    .await;
}

#[tokio::test]
async fn max_events_fit_at_once_then_one_more_each_interval() {
    each_store(|store| async move {
        let three_per_minute = [address_limit(1, 3, 60)];
        for _ in 0..3 {
            assert_eq!(
                take(&store, &three_per_minute, START).await,
                Ok(Opened::default())
            );
        }
        let hit = LimitHit {
            kind: LimitKind::SendsPerAddress,
            retry_after: Duration::from_secs(20),
        };
        assert_eq!(
            take(&store, &three_per_minute, START).await,
            Err(Refusal::Limit(hit))
        );
        assert!(take(&store, &three_per_minute, at(19)).await.is_err());
        assert_eq!(
            take(&store, &three_per_minute, at(20)).await,
            Ok(Opened::default())
        );
        assert!(take(&store, &three_per_minute, at(20)).await.is_err());
        // After a full window of quiet, the whole allowance is back.
        for _ in 0..3 {
            assert_eq!(
                take(&store, &three_per_minute, at(80)).await,
                Ok(Opened::default())
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_limit_of_one_is_a_cooldown() {
    each_store(|store| async move {
        let cooldown = [address_limit(1, 1, 30)];
        assert_eq!(take(&store, &cooldown, START).await, Ok(Opened::default()));
        match take(&store, &cooldown, at(10)).await {
            Err(Refusal::Limit(hit)) => assert_eq!(hit.retry_after, Duration::from_secs(20)),
            other => panic!("{other:?}"),
        }
        assert_eq!(take(&store, &cooldown, at(30)).await, Ok(Opened::default()));
    })
    .await;
}

#[tokio::test]
async fn a_refusal_by_one_limit_takes_none_of_the_others_nor_stores_anything() {
    each_store(|store| async move {
        assert_eq!(
            take(&store, &[address_limit(1, 1, 60)], START).await,
            Ok(Opened::default())
        );
        let held = store.held().await.expect("answers");
        let both = [address_limit(2, 1, 60), address_limit(1, 1, 60)];
        assert!(take(&store, &both, START).await.is_err());
        assert_eq!(store.held().await.expect("answers"), held);
        assert_eq!(
            take(&store, &[address_limit(2, 1, 60)], START).await,
            Ok(Opened::default()),
            "2 was not taken"
        );
    })
    .await;
}

#[tokio::test]
async fn the_longest_wait_is_reported() {
    each_store(|store| async move {
        let limits = [address_limit(1, 1, 30), address_limit(2, 1, 3600)];
        assert_eq!(take(&store, &limits, START).await, Ok(Opened::default()));
        match take(&store, &limits, at(1)).await {
            Err(Refusal::Limit(hit)) => assert_eq!(hit.retry_after, Duration::from_secs(3599)),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn the_same_subject_under_another_kind_is_counted_apart() {
    each_store(|store| async move {
        let mut failures = address_limit(1, 1, 60);
        failures.kind = LimitKind::VerifyFailuresPerAddress;
        assert_eq!(
            take(&store, &[address_limit(1, 1, 60)], START).await,
            Ok(Opened::default())
        );
        assert_eq!(
            take(&store, &[failures], START).await,
            Ok(Opened::default())
        );
    })
    .await;
}

#[tokio::test]
async fn an_undone_send_gives_its_limits_back_and_forgets_its_verification() {
    each_store(|store| async move {
        let twice = [address_limit(1, 2, 60)];
        assert_eq!(take(&store, &twice, START).await, Ok(Opened::default()));
        let id = VerificationId::random();
        let opened = store
            .open(
                &Opening {
                    id: &id,
                    verification: &pending(&id, "123456"),
                    limits: &twice,
                    max_pending: 1_000,
                    replaces: None,
                    watch: None,
                    by_number: None,
                },
                at(1),
            )
            .await;
        assert_eq!(opened.expect("answers"), Ok(Opened::default()));
        assert!(take(&store, &twice, at(2)).await.is_err());
        let number = phone(123);
        store
            .undo(Some(&id), &number, &twice, None, at(2))
            .await
            .expect("answers");
        assert_eq!(store.get(&id).await.expect("answers"), None);
        assert_eq!(take(&store, &twice, at(2)).await, Ok(Opened::default()));
    })
    .await;
}

#[tokio::test]
async fn past_max_pending_a_new_verification_is_refused_unless_it_replaces_one() {
    each_store(|store| async move {
        let first = VerificationId::random();
        let second = VerificationId::random();
        let (one, two) = (pending(&first, "123456"), pending(&second, "123456"));
        let opened = store
            .open(
                &Opening {
                    id: &first,
                    verification: &one,
                    limits: &[],
                    max_pending: 1,
                    replaces: None,
                    watch: None,
                    by_number: None,
                },
                START,
            )
            .await;
        assert_eq!(opened.expect("answers"), Ok(Opened::default()));
        let limits = [address_limit(1, 1, 60)];
        let refused = store
            .open(
                &Opening {
                    id: &second,
                    verification: &two,
                    limits: &limits,
                    max_pending: 1,
                    replaces: None,
                    watch: None,
                    by_number: None,
                },
                START,
            )
            .await;
        assert_eq!(refused.expect("answers"), Err(Refusal::Busy));
        // The refusal took no limit: the same limits let the replacement in.
        let replacing = store
            .open(
                &Opening {
                    id: &second,
                    verification: &two,
                    limits: &limits,
                    max_pending: 1,
                    replaces: Some(&first),
                    watch: None,
                    by_number: None,
                },
                START,
            )
            .await;
        assert_eq!(replacing.expect("answers"), Ok(Opened::default()));
        assert_eq!(store.get(&first).await.expect("answers"), None);
        assert!(store.get(&second).await.expect("answers").is_some());
        assert_eq!(store.held().await.expect("answers"), 1);
    })
    .await;
}

#[tokio::test]
async fn a_resend_takes_the_limits_and_notes_when_it_was_sent() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let cooldown = [address_limit(9, 1, 30)];
        let resent = store
            .reopen(&id, &cooldown, None, at(5))
            .await
            .expect("answers");
        assert_eq!(resent.map(|(v, _)| v.sent), Ok(at(5)));
        assert_eq!(
            store.get(&id).await.expect("answers").map(|v| v.sent),
            Some(at(5))
        );
        match store
            .reopen(&id, &cooldown, None, at(6))
            .await
            .expect("answers")
        {
            Err(Refusal::Limit(hit)) => assert_eq!(hit.retry_after, Duration::from_secs(29)),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_verification_that_ended_cannot_be_resent() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let limits = [address_limit(9, 5, 30)];
        let expired = store.reopen(&id, &limits, None, START.after(TTL)).await;
        assert_eq!(
            expired.expect("answers"),
            Err(Refusal::Ended(Ended::Expired, None))
        );
        check(&store, &id, "123456", START).await;
        let used = store.reopen(&id, &limits, None, START).await;
        assert_eq!(
            used.expect("answers"),
            Err(Refusal::Ended(Ended::Used, None))
        );
        let missing = store
            .reopen(&VerificationId::random(), &limits, None, START)
            .await;
        assert_eq!(
            missing.expect("answers"),
            Err(Refusal::Ended(Ended::Missing, None))
        );
        assert_eq!(
            take(&store, &limits, START).await,
            Ok(Opened::default()),
            "no limit was taken"
        );
    })
    .await;
}

#[tokio::test]
async fn verifications_are_held_until_swept_after_their_keep_time() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let later = VerificationId::random();
        let mut verification = pending(&later, "123456");
        verification.expires = START.after(TTL * 2);
        let opening = Opening {
            id: &later,
            verification: &verification,
            limits: &[],
            max_pending: 10,
            replaces: None,
            watch: None,
            by_number: None,
        };
        let opened = store.open(&opening, START).await;
        assert_eq!(opened.expect("answers"), Ok(Opened::default()));
        let kept_until = pending(&id, "123456").kept_until();
        // Expired, but kept: a late check is told it expired.
        let late = check(&store, &id, "123456", kept_until).await;
        assert_eq!(ended_because(&store, &id, late).await, Ended::Expired);
        assert_eq!(store.sweep(START.after(TTL)).await.expect("answers"), 0);
        assert_eq!(store.held().await.expect("answers"), 2);
        assert_eq!(store.sweep(kept_until).await.expect("answers"), 1);
        assert_eq!(store.held().await.expect("answers"), 1);
        assert!(store.get(&later).await.expect("answers").is_some());
    })
    .await;
}

const CODE: SecretHash = [1; 32];
const BINDING: SecretHash = [2; 32];
const TOKEN: SecretHash = [3; 32];

/// Checks `code` for a new verification of (201) 555-0123, handing off
/// `key` about `phone` if it is right; what the check found.
async fn check_handing_off(
    store: &Store,
    key: &SecretHash,
    code: &str,
    phone: &PhoneNumber,
) -> CheckOutcome {
    let id = with_one(store).await;
    check_handing_off_for(store, &id, key, code, phone, START).await
}

/// Checks `code` for verification `id` at `now`, handing off `key` about
/// `phone` for 60 s if it is right.
async fn check_handing_off_for(
    store: &Store,
    id: &VerificationId,
    key: &SecretHash,
    code: &str,
    phone: &PhoneNumber,
    now: Timestamp,
) -> CheckOutcome {
    let code = attempt(code);
    let limit = guessing(1_000);
    let hand_off = HandingOff {
        key,
        data: b"proof",
        binding: &BINDING,
        expires: now.after(Duration::from_secs(60)),
        phone,
    };
    let checking = Checking {
        hand_off: Some(hand_off),
        ..checking(id, &code, &limit)
    };
    store
        .check(&checking, now)
        .await
        .expect("the store answers")
}

async fn handed_off(store: &Store) {
    let checked = check_handing_off(store, &CODE, "123456", &phone(123)).await;
    assert!(matches!(checked, CheckOutcome::Verified(_)), "{checked:?}");
}

#[tokio::test]
async fn only_a_right_code_for_the_hand_offs_own_number_keeps_the_hand_off() {
    each_store(|store| async move {
        let wrong = check_handing_off(&store, &CODE, "654321", &phone(123)).await;
        assert!(matches!(wrong, CheckOutcome::Wrong { .. }), "{wrong:?}");
        let redeemed = store.redeem(&CODE, &BINDING, &TOKEN, at(300), at(1)).await;
        assert_eq!(redeemed.expect("answers"), Redeemed::Unknown);

        let other = check_handing_off(&store, &CODE, "123456", &phone(124)).await;
        assert!(matches!(other, CheckOutcome::Verified(_)), "{other:?}");
        let redeemed = store.redeem(&CODE, &BINDING, &TOKEN, at(300), at(1)).await;
        assert_eq!(redeemed.expect("answers"), Redeemed::Unknown);

        // A verification that can take no code keeps nothing either.
        let id = with_one(&store).await;
        check(&store, &id, "123456", START).await;
        let used = check_handing_off_for(&store, &id, &CODE, "123456", &phone(123), START).await;
        assert_eq!(ended_because(&store, &id, used).await, Ended::Used);
        let late = START.after(TTL);
        let id = with_one(&store).await;
        let expired = check_handing_off_for(&store, &id, &CODE, "123456", &phone(123), late).await;
        assert_eq!(ended_because(&store, &id, expired).await, Ended::Expired);
        let redeemed = store.redeem(&CODE, &BINDING, &TOKEN, at(300), at(1)).await;
        assert_eq!(redeemed.expect("answers"), Redeemed::Unknown);

        handed_off(&store).await;
        // Redis forgets it a minute after the check, by the app's clock.
        if let Store::Redis(redis) = &store {
            let life = redis.hand_off_life(&CODE).await;
            assert!((1..=60_000).contains(&life), "{life}");
        }
        let redeemed = store.redeem(&CODE, &BINDING, &TOKEN, at(300), at(1)).await;
        assert_eq!(
            redeemed.expect("answers"),
            Redeemed::Issued(b"proof".to_vec())
        );
    })
    .await;
}

#[tokio::test]
async fn a_hand_off_is_redeemed_once_and_its_token_stands_for_its_data() {
    each_store(|store| async move {
        handed_off(&store).await;
        let redeemed = store.redeem(&CODE, &BINDING, &TOKEN, at(300), at(59)).await;
        assert_eq!(
            redeemed.expect("answers"),
            Redeemed::Issued(b"proof".to_vec())
        );
        assert_eq!(
            store.token(&TOKEN, at(299)).await.expect("answers"),
            Some(b"proof".to_vec())
        );
        assert_eq!(store.token(&TOKEN, at(300)).await.expect("answers"), None);
        assert_eq!(store.token(&[9; 32], START).await.expect("answers"), None);
    })
    .await;
}

#[tokio::test]
async fn a_second_redemption_is_refused_and_revokes_the_first_token_and_a_third_revokes_nothing() {
    each_store(|store| async move {
        handed_off(&store).await;
        let first = store.redeem(&CODE, &BINDING, &TOKEN, at(300), START).await;
        assert!(matches!(first.expect("answers"), Redeemed::Issued(_)));
        let second = store
            .redeem(&CODE, &BINDING, &[4; 32], at(300), at(1))
            .await;
        assert_eq!(second.expect("answers"), Redeemed::Revoked);
        assert_eq!(store.token(&TOKEN, at(2)).await.expect("answers"), None);
        assert_eq!(store.token(&[4; 32], at(2)).await.expect("answers"), None);
        // Even after the code's own time, within the token's, reuse is caught.
        let third = store
            .redeem(&CODE, &BINDING, &[5; 32], at(300), at(120))
            .await;
        assert_eq!(third.expect("answers"), Redeemed::Reused);
    })
    .await;
}

#[tokio::test]
async fn a_hand_off_shown_with_another_binding_or_too_late_is_refused_and_used_up() {
    each_store(|store| async move {
        handed_off(&store).await;
        let wrong = store.redeem(&CODE, &[7; 32], &TOKEN, at(300), START).await;
        assert_eq!(wrong.expect("answers"), Redeemed::Refused);
        let right = store.redeem(&CODE, &BINDING, &TOKEN, at(300), START).await;
        assert_eq!(
            right.expect("answers"),
            Redeemed::Reused,
            "used up by the wrong try"
        );
        assert_eq!(store.token(&TOKEN, START).await.expect("answers"), None);

        let late = [8; 32];
        let checked = check_handing_off(&store, &late, "123456", &phone(123)).await;
        assert!(matches!(checked, CheckOutcome::Verified(_)), "{checked:?}");
        let redeemed = store.redeem(&late, &BINDING, &TOKEN, at(300), at(60)).await;
        assert_eq!(redeemed.expect("answers"), Redeemed::Refused);
        let unknown = store
            .redeem(&[6; 32], &BINDING, &TOKEN, at(300), START)
            .await;
        assert_eq!(unknown.expect("answers"), Redeemed::Unknown);
    })
    .await;
}

/// A pending API verification for `number` under profile `acme`, made at `now`.
async fn api_verification(
    store: &Store,
    number: u32,
    custom: bool,
    now: Timestamp,
) -> VerificationId {
    let id = VerificationId::random();
    api_verification_as(store, &id, number, custom, now).await;
    id
}

async fn api_verification_as(
    store: &Store,
    id: &VerificationId,
    number: u32,
    custom: bool,
    now: Timestamp,
) {
    api_verification_with(store, id, number, "123456", custom, now).await;
}

/// As `api_verification_as`, with `code`.
async fn api_verification_with(
    store: &Store,
    id: &VerificationId,
    number: u32,
    code: &str,
    custom: bool,
    now: Timestamp,
) {
    let verification = Verification {
        phone: phone(number),
        profile: Some(ProfileId::new("acme")),
        custom_code: custom,
        created: now,
        sent: now,
        updated: now,
        delivery: crate::verification::Delivery::Unknown,
        expires: now.after(TTL),
        ..pending(id, code)
    };
    let code = FORMAT.read_attempt(code).expect("a code");
    let by_number = key().number_digest(phone(number).e164(), "acme", &code);
    let opened = store
        .open(
            &Opening {
                id,
                verification: &verification,
                limits: &[],
                max_pending: 1_000,
                replaces: None,
                watch: None,
                by_number: Some(&by_number),
            },
            now,
        )
        .await;
    assert_eq!(opened.expect("answers"), Ok(Opened::default()));
}

#[tokio::test]
async fn api_verifications_are_listed_by_number_newest_first_and_page_ones_are_not() {
    each_store(|store| async move {
        with_one(&store).await;
        let first = api_verification(&store, 123, false, START).await;
        let second = api_verification(&store, 123, true, at(1)).await;
        api_verification(&store, 124, false, at(2)).await;
        let listed = store.list(&phone(123), START).await.expect("answers");
        let ids: Vec<&VerificationId> = listed.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [&second, &first]);
        assert!(listed[0].1.custom_code);
        assert_eq!(
            listed[0].1.profile.as_ref().map(ProfileId::as_str),
            Some("acme")
        );
        if let Store::Redis(redis) = &store {
            let (mut kept, life) = redis.number_digests(&phone(123)).await;
            kept.sort();
            let mut ids = [first.encode(), second.encode()];
            ids.sort();
            assert_eq!(kept, ids);
            // As long as the newest verification is kept (opened at 1 s).
            let newest = listed[0].1.kept_until().as_millis() - at(1).as_millis();
            assert!((1..=newest as i64).contains(&life), "{life}");
        }
        let limits = [address_limit(3, 5, 60)];
        store
            .undo(Some(&second), &phone(123), &limits, None, at(2))
            .await
            .expect("answers");
        if let Store::Redis(redis) = &store {
            let (kept, _) = redis.number_digests(&phone(123)).await;
            assert_eq!(kept, [first.encode()], "undone, its digest goes too");
        }
        assert_eq!(
            store.list(&phone(123), START).await.expect("answers").len(),
            1
        );
        assert!(
            store
                .list(&phone(125), START)
                .await
                .expect("answers")
                .is_empty()
        );
        let later = at(100_000);
        assert!(
            store
                .list(&phone(123), later)
                .await
                .expect("answers")
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_verify_api_check_finds_no_page_verification_and_counts_no_try_on_it() {
    each_store(|store| async move {
        let page = with_one(&store).await;
        let limit = guessing(1_000);
        let wrong = attempt("999999");
        let from_the_api = Checking {
            api_only: true,
            ..checking(&page, &wrong, &limit)
        };
        let checked = store.check(&from_the_api, START).await.expect("answers");
        let missing = CheckOutcome::Ended {
            why: Ended::Missing,
            verification: None,
        };
        assert_eq!(checked, missing);
        let tries = store
            .get(&page)
            .await
            .expect("answers")
            .map(|v| v.wrong_tries);
        assert_eq!(tries, Some(0));
        // The API's own verifications are found as ever.
        let api = api_verification(&store, 126, false, START).await;
        let wrong = attempt("999999");
        let from_the_api = Checking {
            api_only: true,
            ..checking(&api, &wrong, &limit)
        };
        let checked = store.check(&from_the_api, START).await.expect("answers");
        assert!(
            matches!(checked, CheckOutcome::Wrong { tries_left: 4, .. }),
            "{checked:?}"
        );
    })
    .await;
}

/// Checks `code` by number: for the newest verification of `number` under
/// `profile` that can take one.
async fn check_by_number(
    store: &Store,
    number: u32,
    profile: &str,
    code: &str,
    limit: &Limit,
    now: Timestamp,
) -> CheckOutcome {
    let (code, phone, unused) = (attempt(code), phone(number), VerificationId::random());
    let checking = Checking {
        which: Which::Newest {
            phone: &phone,
            profile,
        },
        api_only: true,
        ..checking(&unused, &code, limit)
    };
    store.check(&checking, now).await.expect("answers")
}

/// The verification an outcome speaks of.
fn spoken_of(outcome: &CheckOutcome) -> Option<&Verification> {
    match outcome {
        CheckOutcome::Verified(v)
        | CheckOutcome::Wrong {
            verification: v, ..
        } => Some(v),
        CheckOutcome::Ended { verification, .. } => verification.as_ref(),
        CheckOutcome::Limited(_) => None,
    }
}

#[tokio::test]
async fn a_code_by_number_is_for_the_newest_verification_of_its_profile_that_can_take_one() {
    each_store(|store| async move {
        let limit = guessing(1_000);
        let older = api_verification(&store, 123, false, START).await;
        let newer = api_verification(&store, 123, false, at(1)).await;
        // Another number's, and a page's: never found by this number.
        api_verification(&store, 124, false, at(2)).await;
        with_one(&store).await;
        let read = |id: VerificationId| {
            let store = &store;
            async move { store.get(&id).await.expect("answers") }
        };

        let wrong = check_by_number(&store, 123, "acme", "999999", &limit, at(3)).await;
        assert!(
            matches!(wrong, CheckOutcome::Wrong { tries_left: 4, .. }),
            "{wrong:?}"
        );
        assert_eq!(spoken_of(&wrong), read(newer.clone()).await.as_ref());
        assert_eq!(read(older.clone()).await.map(|v| v.wrong_tries), Some(0));

        let right = check_by_number(&store, 123, "acme", "123456", &limit, at(4)).await;
        assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
        assert_eq!(
            read(newer.clone()).await.map(|v| v.status),
            Some(Status::Used)
        );
        // The newer is used: the older still takes its code.
        let right = check_by_number(&store, 123, "acme", "123456", &limit, at(5)).await;
        assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
        assert_eq!(
            read(older.clone()).await.map(|v| v.status),
            Some(Status::Used)
        );
        // None can take a code now: why the newest cannot, and itself.
        let ended = check_by_number(&store, 123, "acme", "123456", &limit, at(6)).await;
        assert_eq!(
            ended,
            CheckOutcome::Ended {
                why: Ended::Used,
                verification: read(newer.clone()).await,
            }
        );
        // Under another profile, or of a number with none: missing.
        let missing = CheckOutcome::Ended {
            why: Ended::Missing,
            verification: None,
        };
        for (number, profile) in [(123, "other"), (125, "acme"), (123, "")] {
            let none = check_by_number(&store, number, profile, "123456", &limit, at(7)).await;
            assert_eq!(none, missing, "{number} {profile:?}");
        }
        // Expired, then forgotten.
        let expiring = api_verification(&store, 126, false, START).await;
        let expired =
            check_by_number(&store, 126, "acme", "123456", &limit, START.after(TTL)).await;
        assert_eq!(
            expired,
            CheckOutcome::Ended {
                why: Ended::Expired,
                verification: read(expiring).await,
            }
        );
        let gone = START.after(TTL + crate::verification::KEPT_AFTER_EXPIRY);
        let forgotten = check_by_number(&store, 126, "acme", "123456", &limit, gone).await;
        assert_eq!(forgotten, missing);
    })
    .await;
}

#[tokio::test]
async fn a_code_by_number_is_compared_with_the_found_verifications_own_code_only() {
    each_store(|store| async move {
        let limit = guessing(1_000);
        let (older, newer) = (VerificationId::random(), VerificationId::random());
        api_verification_with(&store, &older, 123, "111111", false, START).await;
        api_verification_with(&store, &newer, 123, "222222", false, at(1)).await;
        let tries = |id: VerificationId| {
            let store = &store;
            async move {
                let v = store.get(&id).await.expect("answers").expect("kept");
                (v.status, v.wrong_tries)
            }
        };
        // The older's code is wrong for the newer, and counted on it.
        let wrong = check_by_number(&store, 123, "acme", "111111", &limit, at(2)).await;
        assert!(matches!(wrong, CheckOutcome::Wrong { .. }), "{wrong:?}");
        assert_eq!(tries(newer.clone()).await, (Status::Pending, 1));
        assert_eq!(tries(older.clone()).await, (Status::Pending, 0));
        let right = check_by_number(&store, 123, "acme", "222222", &limit, at(3)).await;
        assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
        // Now the older is the newest that can take a code: its own verifies.
        let wrong = check_by_number(&store, 123, "acme", "222222", &limit, at(4)).await;
        assert!(matches!(wrong, CheckOutcome::Wrong { .. }), "{wrong:?}");
        let right = check_by_number(&store, 123, "acme", "111111", &limit, at(5)).await;
        assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
        assert_eq!(tries(older).await, (Status::Used, 1));
    })
    .await;
}

#[tokio::test]
async fn a_code_by_number_spends_the_askers_guessing_limit_and_locks_as_by_id() {
    each_store(|store| async move {
        let id = api_verification(&store, 123, false, START).await;
        let limit = guessing(1);
        let wrong = check_by_number(&store, 123, "acme", "999999", &limit, at(1)).await;
        assert!(
            matches!(wrong, CheckOutcome::Wrong { tries_left: 4, .. }),
            "{wrong:?}"
        );
        // The one wrong code the limit allows is spent: not even a right
        // code is checked, and nothing is counted.
        let limited = check_by_number(&store, 123, "acme", "123456", &limit, at(2)).await;
        assert!(matches!(limited, CheckOutcome::Limited(_)), "{limited:?}");
        let stored = store.get(&id).await.expect("answers").expect("kept");
        assert_eq!((stored.status, stored.wrong_tries), (Status::Pending, 1));
        let limit = Limit {
            subject: Subject::Client(ClientKey::from(IpAddr::from([198, 51, 100, 2]))),
            ..guessing(1_000)
        };
        for _ in 0..4 {
            check_by_number(&store, 123, "acme", "999999", &limit, at(3)).await;
        }
        let locked = check_by_number(&store, 123, "acme", "123456", &limit, at(4)).await;
        let locked_at = store.get(&id).await.expect("answers");
        assert_eq!(
            locked,
            CheckOutcome::Ended {
                why: Ended::Locked,
                verification: locked_at,
            }
        );
    })
    .await;
}

#[tokio::test]
async fn a_verification_made_before_number_digests_were_kept_is_checked_by_number_all_the_same() {
    let Some(store) = redis_store().await else {
        return;
    };
    let Store::Redis(redis) = &store else {
        return;
    };
    let id = api_verification(&store, 123, false, START).await;
    redis.forget_number_digests(&phone(123)).await;
    // And one opened without its digest, which only a caller's mistake
    // would make: found by number all the same.
    let mistaken = VerificationId::random();
    let verification = Verification {
        phone: phone(124),
        profile: Some(ProfileId::new("acme")),
        ..pending(&mistaken, "123456")
    };
    let opening = Opening {
        id: &mistaken,
        verification: &verification,
        limits: &[],
        max_pending: 1_000,
        replaces: None,
        watch: None,
        by_number: None,
    };
    store
        .open(&opening, START)
        .await
        .expect("answers")
        .expect("opened");
    let limit = guessing(1_000);
    let right = check_by_number(&store, 124, "acme", "123456", &limit, at(1)).await;
    assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
    let wrong = check_by_number(&store, 123, "acme", "999999", &limit, at(1)).await;
    assert!(
        matches!(wrong, CheckOutcome::Wrong { tries_left: 4, .. }),
        "{wrong:?}"
    );
    let right = check_by_number(&store, 123, "acme", "123456", &limit, at(2)).await;
    assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
    let status = store.get(&id).await.expect("answers").map(|v| v.status);
    assert_eq!(status, Some(Status::Used));
}

#[tokio::test]
async fn a_code_by_number_takes_verifications_redis_has_forgotten_out_of_the_index() {
    let Some(store) = redis_store().await else {
        return;
    };
    let Store::Redis(redis) = &store else {
        return;
    };
    // The newer is gone: passed on the way to the older, and dropped.
    let kept = api_verification(&store, 123, false, START).await;
    let gone = api_verification(&store, 123, false, at(1)).await;
    redis.forget(&gone).await;
    let wrong = check_by_number(&store, 123, "acme", "999999", &guessing(1_000), at(2)).await;
    assert!(matches!(wrong, CheckOutcome::Wrong { .. }), "{wrong:?}");
    let (left, _) = redis.number_digests(&phone(123)).await;
    assert_eq!(left, [kept.encode()]);
    let listed = store.list(&phone(123), at(2)).await.expect("answers");
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn only_a_caller_who_chose_the_code_may_settle_it_and_only_while_pending() {
    each_store(|store| async move {
        let chosen = api_verification(&store, 123, true, START).await;
        let settled = store.settle(&chosen, true, at(5)).await.expect("answers");
        let settled = settled.expect("settled");
        assert_eq!((settled.status, settled.updated), (Status::Used, at(5)));
        let again = store.settle(&chosen, false, at(6)).await.expect("answers");
        // Refused, with the verification as it stands.
        let stood = store.get(&chosen).await.expect("answers").map(Box::new);
        assert_eq!(again, Err(Refusal::Ended(Ended::Used, stood)));
        let rejected = api_verification(&store, 124, true, START).await;
        let settled = store
            .settle(&rejected, false, at(5))
            .await
            .expect("answers");
        assert_eq!(settled.map(|v| v.status), Ok(Status::Locked));
        let ours = api_verification(&store, 125, false, START).await;
        let refused = store.settle(&ours, true, at(5)).await.expect("answers");
        assert_eq!(refused, Err(Refusal::NotCustomCode));
        let missing = store.settle(&VerificationId::random(), true, at(5)).await;
        assert_eq!(
            missing.expect("answers"),
            Err(Refusal::Ended(Ended::Missing, None))
        );
        // A page's verification is none of the Verify API's business.
        let page = with_one(&store).await;
        let refused = store.settle(&page, true, at(5)).await.expect("answers");
        assert_eq!(refused, Err(Refusal::Ended(Ended::Missing, None)));
    })
    .await;
}

#[tokio::test]
async fn a_code_checks_against_any_of_the_digests_under_rotated_keys() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        // Typed under the new key first, then the one it was sent under.
        let (code, limit) = (attempt("123456"), guessing(1_000));
        let keys = [CodeKey::new([8; 32]), key()];
        let rotating = Checking {
            typed: Typed::new(&keys, &code),
            ..checking(&id, &code, &limit)
        };
        let checked = store.check(&rotating, START).await.expect("answers");
        assert!(matches!(checked, CheckOutcome::Verified(_)), "{checked:?}");
    })
    .await;
}

/// The breaker as the verifier asks it for +1 201 555 xxxx: that prefix
/// (20 sends before it is judged) and the US (200).
fn watch(exempt: bool) -> Watch {
    Watch {
        destinations: [
            Destination {
                name: "+1201555".into(),
                min_sends: 20,
                exempt,
            },
            Destination {
                name: "US".into(),
                min_sends: 200,
                exempt: false,
            },
        ],
        window: Duration::from_secs(3600),
        min_conversion: 0.2,
        block: Duration::from_secs(3600),
    }
}

/// Opens a verification for `number` under the breaker `watch` at `now`.
async fn send_watched(
    store: &Store,
    number: u32,
    watch: &Watch,
    now: Timestamp,
) -> (VerificationId, Result<Opened, Refusal>) {
    let id = VerificationId::random();
    let verification = Verification {
        phone: phone(number),
        created: now,
        sent: now,
        updated: now,
        delivery: crate::verification::Delivery::Unknown,
        expires: now.after(TTL),
        ..pending(&id, "123456")
    };
    let opened = store
        .open(
            &Opening {
                id: &id,
                verification: &verification,
                limits: &[],
                max_pending: usize::MAX,
                replaces: None,
                watch: Some(watch),
                by_number: None,
            },
            now,
        )
        .await
        .expect("answers");
    (id, opened)
}

#[tokio::test]
async fn a_destination_sent_many_codes_that_are_never_typed_is_blocked_and_others_are_not() {
    each_store(|store| async move {
        let watch = watch(false);
        for n in 1..20 {
            let (_, opened) = send_watched(&store, n, &watch, at(n.into())).await;
            assert_eq!(opened, Ok(Opened::default()), "send {n}");
        }
        let (_, tripped) = send_watched(&store, 20, &watch, at(20)).await;
        assert_eq!(
            tripped,
            Ok(Opened {
                tripped: vec!["+1201555".into()]
            }),
            "the 20th trips it"
        );
        let (_, refused) = send_watched(&store, 21, &watch, at(21)).await;
        match refused {
            Err(Refusal::Pumping {
                destination,
                retry_after,
            }) => {
                assert_eq!(destination, "+1201555");
                assert_eq!(retry_after, Duration::from_secs(3599));
            }
            other => panic!("{other:?}"),
        }
        // Another prefix of the same country is untouched.
        let mut elsewhere = watch.clone();
        elsewhere.destinations[0].name = "+1201556".into();
        let (_, opened) = send_watched(&store, 22, &elsewhere, at(22)).await;
        assert_eq!(opened, Ok(Opened::default()));
        // After the block, sends go again.
        let (_, opened) = send_watched(&store, 23, &watch, at(20 + 3600)).await;
        assert!(opened.is_ok(), "{opened:?}");
    })
    .await;
}

#[tokio::test]
async fn codes_that_are_typed_back_keep_a_destination_open() {
    each_store(|store| async move {
        let watch = watch(false);
        for n in 1..=40u32 {
            let now = at(n.into());
            let (id, opened) = send_watched(&store, n, &watch, now).await;
            assert_eq!(opened, Ok(Opened::default()), "send {n}");
            // One in four verified: above one in five.
            if n % 4 == 0 {
                let (code, limit) = (attempt("123456"), guessing(1_000));
                let verifying = Checking {
                    pumping_window: Some(watch.window),
                    ..checking(&id, &code, &limit)
                };
                let checked = store.check(&verifying, now).await.expect("answers");
                assert!(matches!(checked, CheckOutcome::Verified(_)));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn an_exempt_destination_is_never_blocked_and_an_undone_send_is_not_counted() {
    each_store(|store| async move {
        let exempt = watch(true);
        for n in 1..=30u32 {
            let (_, opened) = send_watched(&store, n, &exempt, at(n.into())).await;
            assert_eq!(opened, Ok(Opened::default()), "send {n}");
        }
        let mut other = watch(false);
        other.destinations[0].name = "+1201557".into();
        for n in 1..=19u32 {
            let (id, opened) = send_watched(&store, n, &other, at(n.into())).await;
            assert!(opened.is_ok());
            if n == 19 {
                store
                    .undo(Some(&id), &phone(n), &[], Some(&other), at(19))
                    .await
                    .expect("answers");
            }
        }
        let (_, opened) = send_watched(&store, 20, &other, at(20)).await;
        assert_eq!(opened, Ok(Opened::default()), "19 counted, not 20");
    })
    .await;
}

/// A receipt for the send of `id` at `sent`, of a message to `phone(to)`.
fn receipt(id: &VerificationId, sent: Timestamp, to: u32, event: u128, news: Delivery) -> Receipt {
    Receipt {
        send: SendRef {
            verification: id.clone(),
            sent,
        },
        to: phone(to).e164().to_owned(),
        event,
        news,
    }
}

async fn deliver(store: &Store, receipt: Receipt) -> Delivered {
    store.deliver(&receipt, at(10)).await.expect("answers")
}

fn delivery_of(delivered: &Delivered) -> Option<(Delivery, bool)> {
    match delivered {
        Delivered::Known {
            verification,
            changed,
            ..
        } => Some((verification.delivery, *changed)),
        _ => None,
    }
}

#[tokio::test]
async fn a_receipt_finds_the_verification_its_send_names_and_counts_once() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let sent = deliver(&store, receipt(&id, START, 123, 1, Delivery::Sent)).await;
        assert_eq!(delivery_of(&sent), Some((Delivery::Sent, true)));
        let delivered = deliver(&store, receipt(&id, START, 123, 2, Delivery::Delivered)).await;
        assert!(matches!(&delivered, Delivered::Known { id: found, .. } if *found == id));
        assert_eq!(delivery_of(&delivered), Some((Delivery::Delivered, true)));
        assert_eq!(
            deliver(&store, receipt(&id, START, 123, 2, Delivery::Delivered)).await,
            Delivered::Duplicate,
            "Telnyx sent the same event again"
        );
        let late_failure = deliver(&store, receipt(&id, START, 123, 3, Delivery::Failed)).await;
        assert_eq!(
            delivery_of(&late_failure),
            Some((Delivery::Delivered, false))
        );
        let other = VerificationId::random();
        assert_eq!(
            deliver(&store, receipt(&other, START, 123, 4, Delivery::Delivered)).await,
            Delivered::Unknown
        );
    })
    .await;
}

#[tokio::test]
async fn a_receipt_for_a_message_to_another_number_changes_nothing() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        for (event, news) in [(1, Delivery::Failed), (2, Delivery::Delivered)] {
            assert_eq!(
                deliver(&store, receipt(&id, START, 124, event, news)).await,
                Delivered::Unknown,
                "{news:?}"
            );
        }
        let held = store.get(&id).await.expect("answers").expect("held");
        assert_eq!(held.delivery, Delivery::Unknown);
    })
    .await;
}

#[tokio::test]
async fn a_failed_delivery_lifts_the_numbers_cooldown_and_a_resend_starts_afresh() {
    each_store(|store| async move {
        let id = with_one(&store).await;
        let cooldown = [Limit {
            kind: LimitKind::ResendCooldown,
            subject: Subject::Phone(phone(123)),
            max: 1,
            window: Duration::from_secs(30),
        }];
        assert!(take(&store, &cooldown, at(1)).await.is_ok());
        assert!(
            take(&store, &cooldown, at(2)).await.is_err(),
            "cooling down"
        );
        let failed = deliver(&store, receipt(&id, START, 123, 1, Delivery::Failed)).await;
        assert_eq!(delivery_of(&failed), Some((Delivery::Failed, true)));
        assert!(
            take(&store, &cooldown, at(3)).await.is_ok(),
            "cooldown lifted"
        );

        let (resent, _) = store
            .reopen(&id, &[], None, at(4))
            .await
            .expect("answers")
            .expect("resent");
        assert_eq!(resent.delivery, Delivery::Unknown);
        assert_eq!(resent.sent, at(4));
        let old = deliver(&store, receipt(&id, START, 123, 2, Delivery::Failed)).await;
        assert_eq!(
            delivery_of(&old),
            Some((Delivery::Unknown, false)),
            "the first send's failure says nothing of the second"
        );
        let old = deliver(&store, receipt(&id, START, 123, 3, Delivery::Delivered)).await;
        assert_eq!(
            delivery_of(&old),
            Some((Delivery::Delivered, true)),
            "but its arrival brought the same code"
        );
    })
    .await;
}

/// The memory store's sweep (Redis forgets by its own clock).
#[tokio::test]
async fn a_receipt_for_a_verification_swept_away_is_unknown() {
    let store = Store::default();
    let id = with_one(&store).await;
    store.sweep(at(7200)).await.expect("answers");
    assert_eq!(
        deliver(&store, receipt(&id, START, 123, 1, Delivery::Delivered)).await,
        Delivered::Unknown
    );
}

/// Changes `settled` (a code its caller chose) and `verified` every way a
/// verification changes, and gives back what each is then.
async fn changed_every_way(
    store: &Store,
    settled: &VerificationId,
    verified: &VerificationId,
) -> (Option<Verification>, Option<Verification>) {
    api_verification_as(store, settled, 126, true, START).await;
    let sent = deliver(store, receipt(settled, START, 126, 70, Delivery::Sent)).await;
    assert_eq!(delivery_of(&sent), Some((Delivery::Sent, true)));
    let resent = store.reopen(settled, &[], None, at(1)).await;
    assert!(resent.expect("answers").is_ok());
    let failed = deliver(store, receipt(settled, at(1), 126, 80, Delivery::Failed)).await;
    assert_eq!(delivery_of(&failed), Some((Delivery::Failed, true)));
    let wrong = check(store, settled, "654321", at(2)).await;
    assert!(matches!(wrong, CheckOutcome::Wrong { .. }), "{wrong:?}");
    let done = store.settle(settled, true, at(3)).await.expect("answers");
    assert_eq!(done.map(|v| v.status), Ok(Status::Used));

    api_verification_as(store, verified, 127, false, START).await;
    let right = check(store, verified, "123456", at(4)).await;
    assert!(matches!(right, CheckOutcome::Verified(_)), "{right:?}");
    (
        store.get(settled).await.expect("answers"),
        store.get(verified).await.expect("answers"),
    )
}

/// Every script that rewrites a verification in Redis keeps the life that
/// opening it gave (a `SET` without `KEEPTTL` would keep it for ever) and
/// writes each field in its own place (the string stays as long as packing
/// made it), and the verification ends as it ends in the memory store.
#[tokio::test]
async fn every_change_to_a_verification_in_redis_keeps_its_life_and_its_layout() {
    let Some(store) = redis_store().await else {
        return;
    };
    let Store::Redis(redis) = &store else {
        panic!("redis_store gives a Redis store");
    };
    let (settled, verified) = (VerificationId::random(), VerificationId::random());
    let in_memory = changed_every_way(&Store::default(), &settled, &verified).await;
    let in_redis = changed_every_way(&store, &settled, &verified).await;
    assert_eq!(in_redis, in_memory);
    assert!(in_redis.0.is_some() && in_redis.1.is_some());

    let given = i64::try_from((TTL + crate::verification::KEPT_AFTER_EXPIRY).as_millis())
        .expect("a life in milliseconds");
    for id in [&settled, &verified] {
        let (life, length) = redis.life_and_length(id).await;
        assert!(
            (given - 60_000..=given).contains(&life),
            "{life} of {given}"
        );
        assert_eq!(length, super::packed::PROFILE_START + "acme".len());
    }
}
