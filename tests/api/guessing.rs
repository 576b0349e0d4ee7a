//! Guessing limits, and races: simultaneous checks of one verification.

use reqwest::StatusCode;

use crate::helpers::{
    PHONE, assert_verified_exactly_once, spawn_app_with, submit_at_once, wrong_code,
};

#[tokio::test]
async fn one_address_gets_at_most_the_hourly_number_of_wrong_codes() {
    let app = spawn_app_with(&[
        ("TWOFA_SERVER__TRUST_FORWARDED_FOR", "true"),
        ("TWOFA_LIMITS__VERIFY_FAILURES_PER_IP_PER_HOUR", "3"),
        ("TWOFA_OTP__MAX_ATTEMPTS", "10"),
    ])
    .await;
    let mut browser = app.new_browser().behind_proxy_as("203.0.113.5");
    browser.request_code(PHONE).await;
    let code = app.last_code().await;
    for _ in 0..3 {
        assert_eq!(
            browser.enter_code(&wrong_code(&code)).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let page = browser.resubmit(&[("token", &code)]).await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code waits"
    );
    assert!(
        page.contains("wrong codes have been typed from your network"),
        "{}",
        page.html
    );

    // The same browser from another address may go on.
    browser.headers.clear();
    let mut moved = browser.behind_proxy_as("203.0.113.6");
    assert_eq!(
        moved.resubmit(&[("token", &code)]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn right_codes_do_not_count_as_failures() {
    let app = spawn_app_with(&[
        ("TWOFA_LIMITS__VERIFY_FAILURES_PER_IP_PER_HOUR", "1"),
        ("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0"),
    ])
    .await;
    for phone in ["+1 201 555 0101", "+1 201 555 0102", "+1 201 555 0103"] {
        let mut browser = app.new_browser();
        browser.request_code(phone).await;
        let code = app.last_code().await;
        assert_eq!(browser.enter_code(&code).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn simultaneous_wrong_codes_cannot_slip_past_the_try_limit() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__MAX_ATTEMPTS", "5")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let statuses = submit_at_once(
        &app.browser,
        std::slice::from_ref(&app.address),
        &wrong_code(&code),
        24,
    )
    .await;
    let counted = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!(
        counted, 4,
        "four wrong tries left, then the lock: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| {
        [
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(s)
    }));
    assert_eq!(
        submit_at_once(&app.browser, std::slice::from_ref(&app.address), &code, 1).await,
        [StatusCode::TOO_MANY_REQUESTS]
    );
}

#[tokio::test]
async fn simultaneous_right_codes_verify_exactly_once() {
    let mut app = spawn_app_with(&[]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let statuses =
        submit_at_once(&app.browser, std::slice::from_ref(&app.address), &code, 16).await;
    assert_verified_exactly_once(&statuses);
}
