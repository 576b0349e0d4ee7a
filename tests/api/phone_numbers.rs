//! Numbers as people type them.

use reqwest::StatusCode;

use crate::helpers::{PHONE_E164, spawn_app};

#[tokio::test]
async fn the_tutorials_formats_are_all_texted_in_e164() {
    let app = crate::helpers::spawn_app_with(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).await;
    for typed in [
        "(201) 555-0123",
        "201.555.0123",
        "+1 201 555 0123",
        "2015550123",
    ] {
        let mut browser = app.new_browser();
        assert_eq!(
            browser.request_code(typed).await.status,
            StatusCode::OK,
            "{typed}"
        );
    }
    let messages = app.sent_messages().await;
    assert_eq!(messages.len(), 4);
    assert!(
        messages.iter().all(|m| m["to"] == PHONE_E164),
        "{messages:?}"
    );
}

#[tokio::test]
async fn an_invalid_number_shows_the_form_again_and_sends_nothing() {
    let mut app = spawn_app().await;
    for typed in ["(555) 123-4567", "12345", "call me", "+999 123 4567"] {
        let page = app.browser.request_code(typed).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(
            page.text_of("[role=alert]")
                .is_some_and(|t| t.contains("doesn't look like a phone number"))
        );
        // What the user typed is kept, so they can fix it.
        let kept = page
            .form_fields("/request")
            .and_then(|f| f.into_iter().find(|(n, _)| n == "phone"));
        assert_eq!(kept.map(|(_, v)| v), Some(typed.to_owned()));
        assert!(page.headers.get("set-cookie").is_none());
    }
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn an_empty_number_asks_for_one() {
    let mut app = spawn_app().await;
    let page = app.browser.request_code("  ").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Enter your phone number."));
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn markup_typed_into_the_phone_field_is_escaped_when_shown_again() {
    let mut app = spawn_app().await;
    let page = app
        .browser
        .request_code("\"><script>alert(1)</script>")
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.contains("<script>alert(1)"));
}

#[tokio::test]
async fn the_configured_country_code_applies_to_national_numbers() {
    let mut app = crate::helpers::spawn_app_with(&[
        ("TWOFA_PHONE__COUNTRY_CODE", "+44"),
        ("TWOFA_PHONE__ALLOWED_COUNTRIES", "GB"),
    ])
    .await;
    assert_eq!(
        app.browser.request_code("07400 123456").await.status,
        StatusCode::OK
    );
    assert_eq!(app.sent_messages().await[0]["to"], "+447400123456");
}
