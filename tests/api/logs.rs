//! With the Telnyx provider, at every level, the log holds no code, no API
//! key, no cookie key and no whole phone number.

use std::ops::Not;
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use wiremock::MockServer;
use wiremock::ResponseTemplate;

use crate::helpers::{captured_logs, spawn_app_against, telnyx_answers, wrong_code};

/// Values no other test uses, so the shared log can be searched for them.
const PHONE: &str = "(201) 555-0142";
const E164: &str = "+12015550142";
const API_KEY: &str = "KEY_leakcheck_5f1c9a0e7b";

fn cookie_key() -> String {
    base64::engine::general_purpose::STANDARD
        .encode(*b"leak-check cookie key: 64 bytes of secret material for the test!")
}

#[tokio::test]
async fn the_log_never_holds_a_code_a_secret_or_a_whole_number() {
    let cookie_key = cookie_key();
    let settings = [
        ("TWOFA_TELNYX__API_KEY", API_KEY),
        ("TWOFA_SERVER__COOKIE_KEY", cookie_key.as_str()),
        // Ten hex characters cannot turn up in a log line by chance.
        ("TWOFA_OTP__ALPHABET", "hex"),
        ("TWOFA_OTP__LENGTH", "10"),
    ];
    let mut codes = Vec::new();

    // The whole flow: a wrong code, a resend, the right code.
    let telnyx = MockServer::start().await;
    crate::helpers::telnyx_accepts(&telnyx).await;
    let mut app = spawn_app_against(telnyx, &settings).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    app.browser.enter_code(&wrong_code(&code)).await;
    app.clock.advance(Duration::from_secs(30));
    app.browser.ask_for_new_code().await;
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
    codes.push(code);

    // Telnyx refusing the key, and quoting the number back in its error.
    for status in [401, 422, 429] {
        let telnyx = MockServer::start().await;
        let error = serde_json::json!({"errors": [{
            "code": "40310", "title": "Invalid 'to' address",
            "detail": format!("The 'to' number {E164} (12015550142) is not valid")
        }]});
        telnyx_answers(&telnyx, ResponseTemplate::new(status).set_body_json(error)).await;
        let mut app = spawn_app_against(telnyx, &settings).await;
        assert!(
            app.browser
                .request_code(PHONE)
                .await
                .status
                .is_success()
                .not()
        );
        codes.push(app.last_code().await);
    }

    let logs = captured_logs();
    assert!(
        logs.contains("+1••••••0142 ["),
        "the masked number is logged"
    );
    for secret in [E164, &E164[1..], API_KEY, &cookie_key] {
        assert!(!logs.contains(secret), "the log holds {secret:?}");
    }
    for code in codes {
        assert!(
            !logs.contains(&code) && !logs.contains(&code.to_lowercase()),
            "the log holds a code"
        );
    }
}

#[tokio::test]
async fn a_locked_verification_is_logged_once_however_many_codes_follow_it() {
    // A number no other test uses, so its lines can be counted in the shared log.
    let mut app = crate::helpers::spawn_app_with(&[("TWOFA_OTP__MAX_ATTEMPTS", "2")]).await;
    app.browser.request_code("+1 201 555 0163").await;
    let wrong = wrong_code(&app.last_code().await);
    let mut statuses = vec![
        app.browser.enter_code(&wrong).await.status,
        app.browser.enter_code(&wrong).await.status,
    ];
    for _ in 0..4 {
        statuses.push(app.browser.resubmit(&[("token", &wrong)]).await.status);
    }
    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        statuses[1..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );

    let logs = captured_logs();
    let locked: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("verification locked") && line.contains("••0163 ["))
        .collect();
    assert_eq!(locked.len(), 1, "{locked:#?}");
    assert!(locked[0].contains(" INFO "), "{}", locked[0]);
    // The refusals a flood repeats stay below the operator's level.
    let loud_refusals: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("telnyx_2fa::errors: refused:") && !line.contains("DEBUG"))
        .collect();
    assert!(loud_refusals.is_empty(), "{loud_refusals:#?}");
}

#[tokio::test]
async fn a_send_is_logged_once_with_the_message_id_telnyx_gave_it() {
    let telnyx = MockServer::start().await;
    crate::helpers::telnyx_accepts(&telnyx).await;
    let mut app = spawn_app_against(telnyx, &[]).await;
    // A number no other test uses, so its lines can be counted in the shared log.
    app.browser.request_code("+1 201 555 0164").await;

    let logs = captured_logs();
    let about_it: Vec<&str> = logs
        .lines()
        // The masked number: a request id may hold the digits too.
        .filter(|line| line.contains("••0164 [") && !line.contains("DEBUG"))
        .collect();
    assert_eq!(about_it.len(), 1, "{about_it:#?}");
    assert!(about_it[0].contains("code sent"), "{}", about_it[0]);
    assert!(
        about_it[0].contains("message_id=40317f8e-7fc1-4b6b-9d8b-1d5f0a6f3b1e"),
        "{}",
        about_it[0]
    );
}
