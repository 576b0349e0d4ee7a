//! The flow against a memory store and a fake SMS sender that can fail,
//! and a store that can fail between steps.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use super::*;
use crate::limits::{Asker, ClientKey};
use crate::otp::Alphabet;
use crate::phone::CountryPolicy;
use crate::pumping::PumpingRules;
use crate::settings::LimitSettings;
use crate::sms::fake::FakeSms;
use crate::store::{MemoryStore, Redeemed};

fn limits() -> LimitSettings {
    LimitSettings {
        resend_cooldown: Duration::from_secs(30),
        sends_per_phone_per_hour: 5,
        sends_per_ip_per_hour: 20,
        max_pending: 1_000,
        verify_failures_per_ip_per_hour: 100,
        sends_per_network_per_hour: 60,
        sms_per_hour: 1000,
        sends_per_api_key_per_hour: 1000,
    }
}

fn verifier_with(fake: &FakeSms, limits: LimitSettings) -> Verifier {
    let rules = Rules {
        sender_name: None,
        phone: PhoneRules {
            default_country: "+1".parse().expect("+1"),
            countries: CountryPolicy::parse(&["US".into()]).expect("US"),
        },
        code: CodeFormat {
            alphabet: Alphabet::Digits,
            length: 6,
        },
        ttl: Duration::from_secs(600),
        max_attempts: 3,
        limits: LimitRules::new(limits),
        pumping: PumpingRules::new(crate::settings::PumpingSettings {
            enabled: true,
            window: Duration::from_secs(3600),
            min_sends: 20,
            min_conversion: 0.2,
            block: Duration::from_secs(3600),
            exempt: Vec::new(),
        }),
    };
    Verifier::new(
        Store::default(),
        SmsSender::Fake(fake.clone()),
        vec![CodeKey::new([5; 32])],
        Clock::frozen_at(Timestamp::from_millis(1_800_000_000_000)),
        rules,
        crate::metrics::Metrics::new(),
    )
}

fn verifier(fake: &FakeSms) -> Verifier {
    verifier_with(fake, limits())
}

fn requester(last: u8) -> Requester {
    Requester {
        asker: Asker::Address(ClientKey::from(IpAddr::from([203, 0, 113, last]))),
        language: crate::i18n::Language::ENGLISH,
        origin_host: Some("verify.example.com".into()),
    }
}

/// A verifier that has texted a code to (201) 555-0123.
async fn started(limits: LimitSettings) -> (FakeSms, Verifier, Sent) {
    let fake = FakeSms::default();
    let verifier = verifier_with(&fake, limits);
    let number = phone(&verifier, "(201) 555-0123");
    let sent = verifier.start(number, &requester(1), None).await;
    (fake, verifier, sent.expect("sent"))
}

fn phone(verifier: &Verifier, typed: &str) -> PhoneNumber {
    verifier.read_phone(typed).expect("a valid number")
}

fn memory(verifier: &Verifier) -> &MemoryStore {
    match &verifier.store {
        Store::Memory(memory) => memory,
        Store::Redis(_) => panic!("these tests use the memory store"),
    }
}

fn wrong(code: &OtpCode) -> String {
    if code.as_str() == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

#[tokio::test]
async fn a_code_that_was_texted_verifies_its_number_once() {
    let (fake, verifier, sent) = started(limits()).await;
    let number = sent.pending.phone;
    let texts = fake.texts();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].0, number);
    assert!(texts[0].1.contains(sent.pending.code.as_str()));
    assert!(texts[0].1.ends_with(&format!(
        "@verify.example.com #{}",
        sent.pending.code.as_str()
    )));
    let checked = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(matches!(checked, Ok(Checked::Verified(v)) if v.phone == number));
    let again = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(matches!(again, Err(VerifyError::Ended(Ended::Used, _))));
}

fn unreachable() -> SmsError {
    SmsError::Unreachable {
        api_base: "https://api.telnyx.com".into(),
        cause: "connection refused".into(),
    }
}

#[tokio::test]
async fn a_send_that_certainly_failed_leaves_no_usable_code_and_gives_the_limits_back() {
    for failure in [
        unreachable(),
        SmsError::RateLimited,
        SmsError::Rejected {
            status: 422,
            errors: Default::default(),
        },
    ] {
        let fake = FakeSms::default();
        let verifier = verifier(&fake);
        let number = phone(&verifier, "(201) 555-0123");
        fake.answer_next(Err(failure));
        let failed = verifier.start(number, &requester(1), None).await;
        assert!(matches!(failed, Err(VerifyError::Sms(_))), "{failed:?}");
        assert_eq!(memory(&verifier).held(), 0, "the unsent code is gone");
        // Inside the cooldown, yet another code can be sent: the limits came back.
        let sent = verifier.start(number, &requester(1), None).await;
        assert!(sent.is_ok(), "{sent:?}");
    }
}

#[tokio::test]
async fn a_send_that_may_have_gone_keeps_its_code_and_its_limits() {
    for failure in [
        SmsError::Timeout {
            api_base: "http://telnyx.test".into(),
        },
        SmsError::ProviderFailed {
            status: 503,
            errors: Default::default(),
        },
        SmsError::Interrupted {
            api_base: "https://api.telnyx.com".into(),
            cause: "connection reset".into(),
        },
    ] {
        let fake = FakeSms::default();
        let verifier = verifier(&fake);
        let number = phone(&verifier, "(201) 555-0123");
        fake.answer_next(Err(failure));
        let sent = verifier
            .start(number, &requester(1), None)
            .await
            .expect("kept");
        assert!(sent.uncertain);
        let code = sent.pending.code.as_str().to_owned();
        let again = verifier.start(number, &requester(2), None).await;
        assert!(
            matches!(again, Err(VerifyError::Limited(_))),
            "the cooldown holds: {again:?}"
        );
        let checked = verifier
            .check(&sent.pending.id, &code, Reading::Strict, &requester(1))
            .await;
        assert!(
            matches!(checked, Ok(Checked::Verified(_))),
            "a code that arrives works"
        );
    }
}

#[tokio::test]
async fn a_failed_resend_gives_its_limits_back_and_keeps_the_verification() {
    let (fake, verifier, sent) = started(limits()).await;
    verifier.clock().advance(Duration::from_secs(30));
    fake.answer_next(Err(unreachable()));
    let failed = verifier.resend(&sent.pending, &requester(1)).await;
    assert!(matches!(
        failed,
        Err(VerifyError::Sms(SmsError::Unreachable { .. }))
    ));
    let resent = verifier.resend(&sent.pending, &requester(1)).await;
    assert!(resent.is_ok(), "the cooldown was given back: {resent:?}");
    let checked = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(matches!(checked, Ok(Checked::Verified(_))));
}

#[tokio::test]
async fn a_store_that_fails_before_the_send_sends_nothing() {
    let fake = FakeSms::default();
    let verifier = verifier(&fake);
    memory(&verifier).failing.store(true, Ordering::Relaxed);
    let number = phone(&verifier, "(201) 555-0123");
    let failed = verifier.start(number, &requester(1), None).await;
    assert!(matches!(failed, Err(VerifyError::Store(_))), "{failed:?}");
    assert!(fake.texts().is_empty());
}

#[tokio::test]
async fn a_store_that_fails_between_the_steps_still_reports_the_sms_failure() {
    let fake = FakeSms::default();
    let verifier = std::sync::Arc::new(verifier(&fake));
    let number = phone(&verifier, "(201) 555-0123");
    let weak = std::sync::Arc::downgrade(&verifier);
    fake.on_send(move || {
        if let Some(verifier) = weak.upgrade() {
            memory(&verifier).failing.store(true, Ordering::Relaxed);
        }
    });
    fake.answer_next(Err(SmsError::RateLimited));
    let failed = verifier.start(number, &requester(1), None).await;
    assert!(
        matches!(failed, Err(VerifyError::Sms(SmsError::RateLimited))),
        "the person is told the SMS failed, not that the store did: {failed:?}"
    );
    // The store comes back: the undo could not run, so the unsent code is
    // still held, but it was never texted and no one holds it.
    memory(&verifier).failing.store(false, Ordering::Relaxed);
    assert_eq!(memory(&verifier).held(), 1);
}

#[tokio::test]
async fn a_resend_texts_the_same_code_and_keeps_the_wrong_tries() {
    let (fake, verifier, sent) = started(limits()).await;
    let wrong = wrong(&sent.pending.code);
    for left in [2, 1] {
        let checked = verifier
            .check(&sent.pending.id, &wrong, Reading::Strict, &requester(1))
            .await;
        assert!(
            matches!(checked, Ok(Checked::Wrong { tries_left, .. }) if tries_left == left),
            "{checked:?}"
        );
    }
    let refused = verifier.resend(&sent.pending, &requester(1)).await;
    assert!(
        matches!(refused, Err(VerifyError::Limited(_))),
        "inside the cooldown"
    );
    verifier.clock().advance(Duration::from_secs(30));
    let resent = verifier
        .resend(&sent.pending, &requester(1))
        .await
        .expect("resent");
    assert!(resent.resent);
    assert_eq!(resent.verification.wrong_tries, 2);
    let texts = fake.texts();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[0].1, texts[1].1, "the same code");
    let checked = verifier
        .check(&sent.pending.id, &wrong, Reading::Strict, &requester(1))
        .await;
    assert!(matches!(checked, Ok(Checked::Wrong { tries_left: 0, .. })));
    let locked = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(matches!(locked, Err(VerifyError::Ended(Ended::Locked, _))));
}

#[tokio::test]
async fn asking_again_for_the_same_number_resends_and_another_number_replaces() {
    let fake = FakeSms::default();
    let verifier = verifier_with(
        &fake,
        LimitSettings {
            resend_cooldown: Duration::ZERO,
            ..limits()
        },
    );
    let first = phone(&verifier, "(201) 555-0123");
    let sent = verifier
        .start(first, &requester(1), None)
        .await
        .expect("sent");
    let again = verifier
        .start(first, &requester(1), Some(&sent.pending))
        .await
        .expect("sent");
    assert!(again.resent);
    assert_eq!(again.pending, sent.pending);
    let other = phone(&verifier, "(201) 555-0199");
    let replaced = verifier
        .start(other, &requester(1), Some(&sent.pending))
        .await
        .expect("sent");
    assert!(!replaced.resent);
    assert_ne!(replaced.pending.id, sent.pending.id);
    let old = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(matches!(old, Err(VerifyError::Ended(Ended::Missing, _))));
    assert_eq!(memory(&verifier).held(), 1);
}

#[tokio::test]
async fn a_refused_send_texts_nothing() {
    let fake = FakeSms::default();
    let verifier = verifier_with(
        &fake,
        LimitSettings {
            max_pending: 1,
            ..limits()
        },
    );
    let number = phone(&verifier, "(201) 555-0123");
    verifier
        .start(number, &requester(1), None)
        .await
        .expect("sent");
    let same = verifier.start(number, &requester(2), None).await;
    assert!(matches!(same, Err(VerifyError::Busy)), "{same:?}");
    let other = phone(&verifier, "(201) 555-0199");
    let busy = verifier.start(other, &requester(3), None).await;
    assert!(matches!(busy, Err(VerifyError::Busy)));
    assert_eq!(fake.texts().len(), 1);
}

#[tokio::test]
async fn a_second_ask_for_a_number_inside_its_cooldown_is_limited() {
    let fake = FakeSms::default();
    let verifier = verifier(&fake);
    let number = phone(&verifier, "(201) 555-0123");
    verifier
        .start(number, &requester(1), None)
        .await
        .expect("sent");
    match verifier.start(number, &requester(2), None).await {
        Err(VerifyError::Limited(hit)) => {
            assert_eq!(hit.retry_after, Duration::from_secs(30));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.texts().len(), 1);
}

#[tokio::test]
async fn a_malformed_code_spends_nothing() {
    let (_, verifier, sent) = started(limits()).await;
    for typed in ["", "12345", "abcdef", "1234567"] {
        let checked = verifier
            .check(&sent.pending.id, typed, Reading::Strict, &requester(1))
            .await;
        assert!(matches!(checked, Ok(Checked::Malformed(ref v)) if v.wrong_tries == 0));
    }
    let checked = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(matches!(checked, Ok(Checked::Verified(_))));
}

#[tokio::test]
async fn the_resend_wait_counts_down_from_the_last_send() {
    let (_, verifier, sent) = started(limits()).await;
    assert_eq!(
        verifier.resend_wait(&sent.verification),
        Some(Duration::from_secs(30))
    );
    verifier.clock().advance(Duration::from_secs(29));
    assert_eq!(
        verifier.resend_wait(&sent.verification),
        Some(Duration::from_secs(1))
    );
    verifier.clock().advance(Duration::from_secs(1));
    assert_eq!(verifier.resend_wait(&sent.verification), None);
}

/// `twofa_<metric>{label="value"} n` in the verifier's metrics.
fn counted(verifier: &Verifier, series: &str) -> bool {
    verifier.metrics.render().lines().any(|l| l == series)
}

#[tokio::test]
async fn every_code_check_is_counted_under_what_it_found() {
    let (_fake, verifier, sent) = started(limits()).await;
    let (id, asker) = (&sent.pending.id, requester(1));
    let wrong = wrong(&sent.pending.code);
    for _ in 0..3 {
        let _ = verifier.check(id, &wrong, Reading::Strict, &asker).await;
    }
    let right = sent.pending.code.as_str();
    let _ = verifier.check(id, right, Reading::Strict, &asker).await;
    let _ = verifier
        .check(
            &VerificationId::random(),
            "123456",
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(counted(
        &verifier,
        "twofa_code_checks_total{result=\"wrong\"} 3"
    ));
    assert!(counted(
        &verifier,
        "twofa_code_checks_total{result=\"locked\"} 1"
    ));
    assert!(counted(
        &verifier,
        "twofa_code_checks_total{result=\"none\"} 1"
    ));

    let (_fake, verifier, sent) = started(limits()).await;
    verifier.clock().advance(Duration::from_secs(3600));
    let _ = verifier
        .check(
            &sent.pending.id,
            sent.pending.code.as_str(),
            Reading::Strict,
            &requester(1),
        )
        .await;
    assert!(counted(
        &verifier,
        "twofa_code_checks_total{result=\"expired\"} 1"
    ));
}

#[tokio::test]
async fn sends_are_counted_by_country_and_result_and_refusals_by_limit() {
    let (fake, verifier, sent) = started(limits()).await;
    assert!(counted(
        &verifier,
        "twofa_verifications_started_total{country=\"US\"} 1"
    ));
    assert!(counted(
        &verifier,
        "twofa_sms_sent_total{country=\"US\",result=\"sent\"} 1"
    ));
    let _ = verifier.resend(&sent.pending, &requester(1)).await;
    assert!(counted(
        &verifier,
        "twofa_limit_refusals_total{limit=\"cooldown\"} 1"
    ));

    fake.answer_next(Err(unreachable()));
    let other = phone(&verifier, "(201) 555-0199");
    let _ = verifier.start(other, &requester(2), None).await;
    assert!(counted(
        &verifier,
        "twofa_sms_sent_total{country=\"US\",result=\"failed\"} 1"
    ));
    fake.answer_next(Err(SmsError::Timeout {
        api_base: "http://telnyx.test".into(),
    }));
    let _ = verifier.start(other, &requester(2), None).await;
    assert!(counted(
        &verifier,
        "twofa_sms_sent_total{country=\"US\",result=\"ambiguous\"} 1"
    ));
    assert!(
        counted(
            &verifier,
            "twofa_verifications_started_total{country=\"US\"} 2"
        ),
        "an uncertain send started a verification; a failed one did not"
    );
}

#[tokio::test]
async fn a_failed_delivery_lets_the_same_code_be_sent_again_at_once() {
    let fake = FakeSms::default();
    let verifier = verifier(&fake);
    let number = phone(&verifier, "(201) 555-0123");
    let sent = verifier
        .start(number, &requester(1), None)
        .await
        .expect("sent");
    assert!(verifier.resend_wait(&sent.verification).is_some());
    assert!(matches!(
        verifier.resend(&sent.pending, &requester(1)).await,
        Err(VerifyError::Limited(_))
    ));
    let sends = fake.sends();
    assert_eq!(
        sends,
        [crate::verification::SendRef {
            verification: sent.pending.id.clone(),
            sent: sent.verification.sent,
        }],
        "the SMS names its send, for its receipts"
    );
    let receipt = Receipt {
        send: sends[0].clone(),
        to: "+12015550123".to_owned(),
        event: 1,
        news: Delivery::Failed,
    };
    let delivered = verifier.deliver(&receipt).await.expect("answers");
    let Delivered::Known { verification, .. } = delivered else {
        panic!("{delivered:?}")
    };
    assert_eq!(verification.delivery, Delivery::Failed);
    assert_eq!(verifier.resend_wait(&verification), None);
    let again = verifier.resend(&sent.pending, &requester(1)).await;
    assert!(again.is_ok(), "{again:?}");
    assert_eq!(fake.texts().len(), 2);
}

/// Checks the code texted for `sent` with a hand-off about `about`; what
/// the check said, and what redeeming the hand-off's secret then gives.
async fn check_handing_off(
    verifier: &Verifier,
    sent: &Sent,
    typed: &str,
    about: PhoneNumber,
) -> (Result<Checked, VerifyError>, Redemption) {
    let hand_off = HandOff::new(about, b"proof".to_vec(), b"client", Duration::from_secs(60));
    let checked = verifier
        .check_handing_off(
            &sent.pending.id,
            typed,
            Reading::Strict,
            &requester(1),
            Some(&hand_off),
        )
        .await;
    let redeemed = verifier
        .redeem(hand_off.secret(), b"client", Duration::from_secs(300))
        .await
        .expect("the store answers");
    (checked, redeemed)
}

#[tokio::test]
async fn a_right_code_keeps_its_hand_off_in_the_same_step_and_a_wrong_one_does_not() {
    let (_, verifier, sent) = started(limits()).await;
    let number = sent.pending.phone;
    let code = sent.pending.code.as_str().to_owned();
    let (checked, redeemed) =
        check_handing_off(&verifier, &sent, &wrong(&sent.pending.code), number).await;
    assert!(matches!(checked, Ok(Checked::Wrong { .. })), "{checked:?}");
    assert_eq!(redeemed, Redemption::Refused(Redeemed::Unknown));
    let (checked, redeemed) = check_handing_off(&verifier, &sent, &code, number).await;
    assert!(matches!(checked, Ok(Checked::Verified(_))), "{checked:?}");
    assert!(
        matches!(&redeemed, Redemption::Issued { data, .. } if data == b"proof"),
        "{redeemed:?}"
    );
}

#[tokio::test]
async fn a_hand_off_about_another_number_is_neither_kept_nor_said_to_be_good() {
    let (_, verifier, sent) = started(limits()).await;
    let other = phone(&verifier, "(201) 555-0124");
    let code = sent.pending.code.as_str().to_owned();
    let (checked, redeemed) = check_handing_off(&verifier, &sent, &code, other).await;
    assert!(
        matches!(checked, Err(VerifyError::Ended(Ended::Missing, None))),
        "{checked:?}"
    );
    assert_eq!(redeemed, Redemption::Refused(Redeemed::Unknown));
}
