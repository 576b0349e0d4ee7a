//! The tutorial's flow, with the tutorial's token-store flaws fixed.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{PHONE, cookie_of, spawn_app, spawn_app_with, wrong_code};

#[tokio::test]
async fn the_home_page_has_a_phone_form_that_posts_to_request() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.form_fields("/request")
            .map(|f| f.into_iter().map(|(n, _)| n).collect::<Vec<_>>()),
        Some(vec!["csrf".to_owned(), "phone".to_owned()])
    );
    assert!(page.contains("<label for=\"phone\""));
}

#[tokio::test]
async fn the_right_code_verifies_the_number() {
    let mut app = spawn_app().await;
    let page = app.browser.request_code(PHONE).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("+1 ••• ••• 0123"), "{}", page.html);
    assert!(
        page.form_fields("/verify")
            .is_some_and(|f| f.iter().any(|(n, _)| n == "token"))
    );
    let code = app.last_code().await;
    let page = app.browser.enter_code(&code).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text_of("h1").as_deref(), Some("Phone number verified"));
    assert!(page.contains("+1 ••• ••• 0123"));
}

#[tokio::test]
async fn the_verification_cookie_is_http_only_and_carries_at_least_128_bits() {
    let mut app = spawn_app().await;
    let page = app.browser.request_code(PHONE).await;
    let cookie = page
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let name_value = cookie_of(&page.headers).expect("a cookie");
    let value = name_value.split('=').nth(1).unwrap_or_default();
    assert!(value.len() * 6 >= 128, "{value}");
}

#[tokio::test]
async fn a_wrong_code_shows_the_code_page_again_with_an_error() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let page = app.browser.enter_code(&wrong_code(&code)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text_of("[role=alert]")
            .is_some_and(|t| t.contains("isn't right") && t.contains("4 tries left")),
        "{}",
        page.html
    );
    assert!(page.form_fields("/verify").is_some());
    // The wrong try did not spend the code.
    let page = app.browser.enter_code(&code).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn a_code_verifies_only_once() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
    // Back, and the same form posted again: nothing new is verified.
    let page = app.browser.resubmit(&[]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("already verified"), "{}", page.html);
    assert!(page.contains("0123"), "the masked number: {}", page.html);
}

#[tokio::test]
async fn a_replayed_request_with_the_old_cookie_is_told_the_code_was_used() {
    let app = spawn_app().await;
    let mut browser = app.new_browser();
    browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let cookie = browser.verification_cookie();
    let csrf = browser.csrf.clone().unwrap_or_default();
    browser.enter_code(&code).await;
    let replay = app
        .post_with_cookie("/verify", &cookie, &[("csrf", &csrf), ("token", &code)])
        .await;
    assert_eq!(replay.status, StatusCode::GONE);
    assert!(replay.contains("already used"));
}

#[tokio::test]
async fn a_second_browser_cannot_use_the_first_browsers_code() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let first_code = app.last_code().await;

    // A browser with no verification of its own.
    let mut stranger = app.new_browser();
    stranger.get("/").await;
    let page = stranger
        .post_with_token("/verify", &[("token", first_code.as_str())])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Start again"));

    // A browser with its own pending code, trying the first browser's.
    let mut other = app.new_browser();
    other.request_code("+1 201 555 0199").await;
    let other_code = app.last_code().await;
    if other_code != first_code {
        let page = other.enter_code(&first_code).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The first browser's code still works for the first browser.
    let page = app.browser.enter_code(&first_code).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_code_is_told_it_expired_even_once_the_store_has_forgotten_it() {
    let key = [(
        "TWOFA_SERVER__COOKIE_KEY",
        "c2FtZS1rZXktZm9yLWJvdGgtYXBwcy0wMTIzNDU2Nzg5YWJjZGVm",
    )];
    let mut app = spawn_app_with(&key).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    // A store that holds nothing of it: as the first one will, ten minutes
    // after the code expires. The browser's cookie still knows when it did.
    let forgetful = spawn_app_with(&key).await;
    app.browser.address = forgetful.address.clone();
    forgetful.clock.advance(Duration::from_secs(600 + 601));
    let page = app.browser.enter_code(&code).await;
    assert_eq!(page.status, StatusCode::GONE, "{}", page.html);
    assert!(page.contains("expired"), "{}", page.html);
}

#[tokio::test]
async fn a_code_is_refused_once_it_has_expired() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__TTL_SECS", "120")]).await;
    app.browser.request_code(PHONE).await;
    assert!(
        app.browser
            .page
            .as_ref()
            .is_some_and(|p| p.contains("works for 2 minutes"))
    );
    let code = app.last_code().await;
    app.clock.advance(Duration::from_secs(120));
    let page = app.browser.enter_code(&code).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.contains("expired"));
    assert!(page.contains("href=\"/\""));
}

#[tokio::test]
async fn a_code_still_works_just_before_it_expires() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__TTL_SECS", "120")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    app.clock.advance(Duration::from_secs(119));
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
}

#[tokio::test]
async fn after_the_last_allowed_wrong_code_even_the_right_one_is_refused() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__MAX_ATTEMPTS", "3")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    let wrong = wrong_code(&code);
    for _ in 0..2 {
        assert_eq!(
            app.browser.enter_code(&wrong).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let page = app.browser.enter_code(&wrong).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many wrong codes"));
    let page = app.browser.resubmit(&[("token", &code)]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_code_for_another_number_replaces_the_browsers_previous_one() {
    let mut app = spawn_app().await;
    app.browser.request_code(PHONE).await;
    let old_code = app.last_code().await;
    let old_cookie = app.browser.verification_cookie();
    let csrf = app.browser.csrf.clone().unwrap_or_default();
    app.browser.request_code("+1 201 555 0199").await;
    let replay = app
        .post_with_cookie(
            "/verify",
            &old_cookie,
            &[("csrf", &csrf), ("token", &old_code)],
        )
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    let code = app.last_code().await;
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
}

#[tokio::test]
async fn hex_codes_are_read_case_insensitively_with_spaces_and_dashes() {
    let mut app =
        spawn_app_with(&[("TWOFA_OTP__ALPHABET", "hex"), ("TWOFA_OTP__LENGTH", "5")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    assert_eq!(code.len(), 5);
    assert!(
        code.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
        "{code}"
    );
    let typed = format!(" {}-{} ", &code[..2], &code[2..]).to_lowercase();
    assert_eq!(app.browser.enter_code(&typed).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_typed_code_of_the_wrong_shape_is_refused_without_costing_a_try() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__MAX_ATTEMPTS", "1")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    for typed in ["", "12", "abcdef", "1234567"] {
        let page = app.browser.enter_code(typed).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        assert!(page.contains("Enter the 6-digit code"), "{}", page.html);
    }
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
}

#[tokio::test]
async fn codes_have_the_configured_length_and_alphabet() {
    let mut app = spawn_app_with(&[("TWOFA_OTP__LENGTH", "9")]).await;
    app.browser.request_code(PHONE).await;
    let code = app.last_code().await;
    assert_eq!(code.len(), 9);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
}
