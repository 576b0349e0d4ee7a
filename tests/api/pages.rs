//! Every answer is a page in the app's style, never a bare text rejection.

use reqwest::StatusCode;

use crate::helpers::{PHONE, captured_logs, code_in, spawn_app, spawn_app_with};

async fn assert_styled_page(page: &crate::helpers::Page, status: StatusCode) {
    assert_eq!(page.status, status, "{}", page.html);
    let content_type = page
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.contains("<link rel=\"stylesheet\" href=\"/static/style.css\">"));
    assert!(page.text_of("h1").is_some());
}

#[tokio::test]
async fn an_unknown_address_gets_a_404_page() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/nope").await;
    assert_styled_page(page, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_get_of_a_form_address_gets_a_405_page() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/verify").await;
    assert_styled_page(page, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn a_form_without_its_field_gets_a_422_page() {
    let mut app = spawn_app().await;
    app.browser.get("/").await;
    let page = app.browser.post_with_token("/request", &[]).await;
    assert_styled_page(page, StatusCode::UNPROCESSABLE_ENTITY).await;
    let page = app
        .browser
        .post_with_token("/verify", &[("code", "123456")])
        .await;
    assert_styled_page(page, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn a_body_that_is_not_a_form_gets_a_page() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(format!("{}/request", app.address))
        .header("content-type", "application/json")
        .body("{\"phone\": \"2015550123\"}")
        .send()
        .await
        .expect("the app answers");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.text().await.unwrap_or_default().contains("<h1>"));
}

#[tokio::test]
async fn the_stylesheet_is_served() {
    let mut app = spawn_app().await;
    let page = app.browser.get("/static/style.css").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers
            .get("content-type")
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("text/css")))
    );
}

#[tokio::test]
async fn with_the_console_provider_the_code_is_logged_and_nothing_reaches_telnyx() {
    let mut app = spawn_app_with(&[("TWOFA_SMS__PROVIDER", "console")]).await;
    assert_eq!(app.browser.request_code(PHONE).await.status, StatusCode::OK);
    assert!(app.sent_messages().await.is_empty());
    let logs = captured_logs();
    let line = logs
        .lines()
        .rfind(|l| l.contains("message NOT sent") && l.contains("+12015550123"))
        .expect("the console provider logged the SMS");
    let code = code_in(line);
    assert_eq!(app.browser.enter_code(&code).await.status, StatusCode::OK);
}
