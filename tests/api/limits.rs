//! Sending limits: cooldown, per number, per address, capacity, countries and
//! line types. Every refusal is checked before anything is sent.

use reqwest::StatusCode;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{
    PHONE, spawn_app_against, spawn_app_with, telnyx_accepts, telnyx_error, wrong_code,
};

/// Limits count per address only through a trusted proxy header in tests,
/// since every test client connects from 127.0.0.1.
const BEHIND_PROXY: (&str, &str) = ("TWOFA_SERVER__TRUST_FORWARDED_FOR", "true");

#[tokio::test]
async fn a_second_request_inside_the_cooldown_sends_nothing_and_says_how_long_to_wait() {
    let app = spawn_app_with(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "30")]).await;
    let mut first = app.new_browser();
    first.request_code(PHONE).await;
    let mut second = app.new_browser();
    let page = second.request_code(PHONE).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Wait 30 seconds"), "{}", page.html);
    assert_eq!(page.header("retry-after"), "30");
    assert_eq!(app.sent_messages().await.len(), 1);
}

#[tokio::test]
async fn after_the_cooldown_a_new_code_can_be_sent() {
    let app = spawn_app_with(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "30")]).await;
    app.new_browser().request_code(PHONE).await;
    app.clock.advance(std::time::Duration::from_secs(30));
    assert_eq!(
        app.new_browser().request_code(PHONE).await.status,
        StatusCode::OK
    );
    assert_eq!(app.sent_messages().await.len(), 2);
}

#[tokio::test]
async fn the_code_page_offers_a_new_code_and_a_different_number() {
    let mut app = spawn_app_with(&[]).await;
    let page = app.browser.request_code(PHONE).await;
    assert!(page.form_fields("/resend").is_some());
    assert!(page.contains("Send the code again"));
    assert!(page.contains("<a href=\"/\">Use a different number</a>"));
}

#[tokio::test]
async fn sending_a_new_code_resends_the_same_code_and_keeps_the_wrong_tries() {
    let mut app = spawn_app_with(&[
        ("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "30"),
        ("TWOFA_OTP__MAX_ATTEMPTS", "3"),
    ])
    .await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let wrong = wrong_code(&code);
    app.browser.enter_code(&wrong).await;
    app.browser.enter_code(&wrong).await;

    // Too soon: the code page again, with the wait, and nothing sent.
    let page = app.browser.ask_for_new_code().await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.text_of("[role=alert]")
            .is_some_and(|t| t.contains("Wait 30 seconds")),
        "{}",
        page.html
    );
    assert!(page.form_fields("/verify").is_some());
    assert_eq!(app.sent_messages().await.len(), 1);

    app.clock.advance(std::time::Duration::from_secs(30));
    let page = app.browser.ask_for_new_code().await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("We texted the code again"));
    assert_eq!(app.sent_messages().await.len(), 2);
    assert_eq!(app.last_code().await, code, "the same code");

    // One try was left before the resend, and one is left after it.
    let page = app.browser.enter_code(&wrong).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many wrong codes"));
}

#[tokio::test]
async fn asking_again_for_the_same_number_is_a_resend_that_keeps_the_wrong_tries() {
    let mut app = spawn_app_with(&[
        ("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0"),
        ("TWOFA_OTP__MAX_ATTEMPTS", "2"),
    ])
    .await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    app.browser.enter_code(&wrong_code(&code)).await;
    app.browser.request_code(PHONE).await;
    assert_eq!(app.last_code().await, code);
    let page = app.browser.enter_code(&wrong_code(&code)).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_resend_after_the_code_expired_says_to_start_again() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__TTL_SECS", "60")]).await;
    app.browser.request_code(PHONE).await;
    app.clock.advance(std::time::Duration::from_secs(60));
    let page = app.browser.ask_for_new_code().await;
    assert_eq!(page.status, StatusCode::GONE);
    assert_eq!(app.sent_messages().await.len(), 1);
}

#[tokio::test]
async fn one_number_gets_at_most_the_hourly_number_of_codes() {
    let app = spawn_app_with(&[
        ("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0"),
        ("TWOFA_LIMITS__SENDS_PER_PHONE_PER_HOUR", "2"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(
            app.new_browser().request_code(PHONE).await.status,
            StatusCode::OK
        );
    }
    let mut third = app.new_browser();
    let page = third.request_code(PHONE).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("as many codes as we can"), "{}", page.html);
    // Two an hour: a burst of two, then one more every 30 minutes.
    assert!(page.contains("Try again in 30 minutes"), "{}", page.html);
    assert_eq!(app.sent_messages().await.len(), 2);
    app.clock.advance(std::time::Duration::from_secs(30 * 60));
    assert_eq!(third.request_code(PHONE).await.status, StatusCode::OK);
    assert_eq!(
        third.request_code(PHONE).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another number is not affected.
    assert_eq!(
        app.new_browser()
            .request_code("+1 201 555 0199")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_gets_at_most_the_hourly_number_of_codes() {
    let app = spawn_app_with(&[BEHIND_PROXY, ("TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR", "2")]).await;
    for phone in ["+1 201 555 0101", "+1 201 555 0102"] {
        let page = app
            .new_browser()
            .behind_proxy_as("198.51.100.7")
            .request_code(phone)
            .await
            .status;
        assert_eq!(page, StatusCode::OK);
    }
    let mut browser = app.new_browser().behind_proxy_as("198.51.100.7");
    let page = browser.request_code("+1 201 555 0103").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("from your network"), "{}", page.html);
    assert_eq!(app.sent_messages().await.len(), 2);
    let mut elsewhere = app.new_browser().behind_proxy_as("198.51.100.8");
    assert_eq!(
        elsewhere.request_code("+1 201 555 0103").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_trusted() {
    let app = spawn_app_with(&[("TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR", "1")]).await;
    let mut first = app.new_browser().behind_proxy_as("198.51.100.7");
    assert_eq!(
        first.request_code("+1 201 555 0101").await.status,
        StatusCode::OK
    );
    // A made-up header does not make this client someone else.
    let mut second = app.new_browser().behind_proxy_as("198.51.100.8");
    assert_eq!(
        second.request_code("+1 201 555 0102").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn past_max_pending_new_requests_get_a_503_and_nothing_is_sent() {
    let app = spawn_app_with(&[("TWOFA_LIMITS__MAX_PENDING", "1")]).await;
    assert_eq!(
        app.new_browser()
            .request_code("+1 201 555 0101")
            .await
            .status,
        StatusCode::OK
    );
    let mut browser = app.new_browser();
    let page = browser.request_code("+1 201 555 0102").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("busy"));
    assert_eq!(app.sent_messages().await.len(), 1);
}

#[tokio::test]
async fn numbers_outside_the_allowed_countries_are_refused_and_cost_nothing() {
    let app = spawn_app_with(&[]).await;
    for (typed, country) in [
        ("+1 242 359 1234", "the Bahamas (+1)"),
        ("+44 7400 123456", "the United Kingdom (+44)"),
        ("+1 876 210 1234", "Jamaica (+1)"),
    ] {
        let mut browser = app.new_browser();
        let page = browser.request_code(typed).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(
            page.text_of("[role=alert]")
                .is_some_and(|t| t.contains(country) && t.contains("the United States and Canada")),
            "{}",
            page.html
        );
    }
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn every_country_can_be_allowed() {
    let app = spawn_app_with(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "*")]).await;
    assert_eq!(
        app.new_browser()
            .request_code("+44 7400 123456")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn premium_rate_toll_free_and_other_service_numbers_are_refused() {
    let app = spawn_app_with(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "*")]).await;
    for typed in [
        "+1 900 555 0123",
        "+1 800 555 0123",
        "+44 909 876 5432",
        "+44 843 123 4567",
        "+44 7640 123456",
    ] {
        let mut browser = app.new_browser();
        let page = browser.request_code(typed).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(page.contains("service numbers"), "{typed}");
    }
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn a_send_that_failed_does_not_count_against_the_limits() {
    let telnyx = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(telnyx_error("10011", "Too many requests")),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&telnyx)
        .await;
    telnyx_accepts(&telnyx).await;
    let mut app =
        spawn_app_against(telnyx, &[("TWOFA_LIMITS__SENDS_PER_PHONE_PER_HOUR", "1")]).await;
    assert_eq!(
        app.browser.request_code(PHONE).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Straight away, inside what would have been the cooldown.
    assert_eq!(app.browser.request_code(PHONE).await.status, StatusCode::OK);
}
