//! CSRF, cookies, response headers, body size and slow clients.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{PHONE, Page, spawn_app, spawn_app_with, wrong_code};

/// Opens the code page in the app's own browser; returns the code.
async fn code_page_open(app: &mut crate::helpers::TestApp) -> String {
    app.browser.request_code(PHONE).await;
    app.last_code().await
}

#[tokio::test]
async fn posts_without_the_token_are_refused_with_a_403_page_and_change_nothing() {
    let mut app = spawn_app().await;
    let code = code_page_open(&mut app).await;
    for (action, fields) in [
        ("/request", vec![("phone", PHONE)]),
        ("/resend", vec![]),
        ("/verify", vec![("token", code.as_str())]),
    ] {
        let page = app.browser.post_form(action, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{action}");
        assert_eq!(page.text_of("h1").as_deref(), Some("This form has expired"));
        let page = app
            .browser
            .post_form(
                action,
                &[vec![("csrf", "forged-token-0000000000")], fields].concat(),
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{action} with a wrong token"
        );
    }
    assert_eq!(
        app.sent_messages().await.len(),
        1,
        "no SMS beyond the first"
    );
    // No try was spent: the code still works.
    let page = app
        .browser
        .post_with_token("/verify", &[("token", &code)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_without_the_cookie_it_belongs_to_is_refused() {
    let mut app = spawn_app().await;
    app.browser.get("/").await;
    let token = app.browser.csrf.clone().expect("a token");
    let mut cookieless = app.new_browser();
    let page = cookieless
        .post_form("/request", &[("csrf", token.as_str()), ("phone", PHONE)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Nor does another browser's cookie go with it.
    let mut other = app.new_browser();
    other.get("/").await;
    let page = other
        .post_form("/request", &[("csrf", token.as_str()), ("phone", PHONE)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(app.sent_messages().await.is_empty());
}

#[tokio::test]
async fn a_cross_site_post_is_refused_even_with_the_victims_cookie_and_token() {
    // One try only: had a forged guess counted, the right code would be locked.
    let mut app = spawn_app_with(&[("TWOFA_OTP__MAX_ATTEMPTS", "1")]).await;
    let code = code_page_open(&mut app).await;
    let wrong = wrong_code(&code);
    let csrf = app.browser.csrf.clone().expect("a token");
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        app.browser.headers = vec![(name.into(), value.into())];
        let page = app
            .browser
            .post_form(
                "/verify",
                &[("csrf", csrf.as_str()), ("token", wrong.as_str())],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{name}");
        assert!(page.contains("<h1>"), "a page, not plain text");
        let page = app
            .browser
            .post_form(
                "/request",
                &[("csrf", csrf.as_str()), ("phone", "+1 201 555 0199")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{name}");
    }
    assert_eq!(app.sent_messages().await.len(), 1);
    app.browser.headers = vec![("sec-fetch-site".into(), "same-origin".into())];
    let page = app
        .browser
        .post_with_token("/verify", &[("token", &code)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "no try was spent");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_encrypted() {
    let mut app = spawn_app().await;
    let code = code_page_open(&mut app).await;
    let page = app.browser.page.as_ref().expect("a page");
    let cookie = page.header("set-cookie");
    assert!(cookie.starts_with("twofa="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    assert!(!cookie.contains(&code), "{cookie}");
    assert!(
        !cookie.contains(app.browser.csrf.as_deref().unwrap_or("-")),
        "{cookie}"
    );
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_prefixed() {
    let mut app =
        spawn_app_with(&[("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")]).await;
    let cookie = app.browser.get("/").await.header("set-cookie").to_owned();
    assert!(cookie.starts_with("__Host-twofa="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_cookie_made_with_another_key_is_worthless() {
    let other = spawn_app().await;
    let mut theirs = other.new_browser();
    theirs.request_code(PHONE).await;
    let cookie = theirs.verification_cookie();
    let csrf = theirs.csrf.clone().unwrap_or_default();
    let app = spawn_app().await;
    let page = app
        .post_with_cookie("/request", &cookie, &[("csrf", &csrf), ("phone", PHONE)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

fn assert_hardened(page: &Page, what: &str) {
    let csp = page.header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(page.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(page.header("referrer-policy"), "no-referrer", "{what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_flow_pages_are_not_cached() {
    let mut app = spawn_app().await;
    let check = |page: &Page, what: &str, cached: bool| {
        assert_hardened(page, what);
        let cache = page.header("cache-control");
        assert_eq!(cache == "no-store", !cached, "{what}: {cache}");
    };
    check(app.browser.get("/").await, "home", false);
    check(
        app.browser.submit("/request", &[("phone", "12")]).await,
        "422",
        false,
    );
    check(app.browser.request_code(PHONE).await, "code page", false);
    check(app.browser.enter_code("000").await, "malformed code", false);
    check(
        app.browser.post_form("/verify", &[("token", "1")]).await,
        "403",
        false,
    );
    check(app.browser.get("/nope").await, "404", false);
    check(
        app.browser.get(telnyx_2fa::stylesheet()).await,
        "stylesheet",
        true,
    );
}

#[tokio::test]
async fn a_body_over_16_kib_gets_a_413_page() {
    let mut app = spawn_app().await;
    app.browser.get("/").await;
    let huge = "1".repeat(17 * 1024);
    let page = app
        .browser
        .post_with_token("/request", &[("phone", &huge)])
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.contains("<h1>"));
    assert!(app.sent_messages().await.is_empty());
}

pub(crate) async fn raw_connection(address: &str) -> TcpStream {
    let address = address.trim_start_matches("http://");
    TcpStream::connect(address)
        .await
        .expect("the app accepts connections")
}

/// What the server sends before closing, waiting at most `patience`.
pub(crate) async fn read_until_closed(stream: &mut TcpStream, patience: Duration) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(patience, stream.read_to_end(&mut received)).await;
    assert!(
        read.is_ok(),
        "the server should have closed the connection within {patience:?}"
    );
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_client_that_sends_its_headers_too_slowly_is_cut_off() {
    let app = spawn_app_with(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "1")]).await;
    let mut stream = raw_connection(&app.address).await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("write");
    // ...and never finishes them.
    read_until_closed(&mut stream, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_keep_alive_client_that_sends_its_next_requests_headers_too_slowly_is_cut_off() {
    let app = spawn_app_with(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "1")]).await;
    let mut stream = raw_connection(&app.address).await;
    // Long enough for the server to wait on the first request's headers,
    // so that its deadline is the one the connection's timer is set for
    // when the second request's begins (`header_timer`).
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream
        .write_all(b"GET /health/alive HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    // The first request is answered and the connection kept; the second
    // request's headers start...
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("write");
    // ...and never finish.
    let received = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(received.contains("alive"), "{received}");
}

#[tokio::test]
async fn a_client_that_sends_its_body_too_slowly_gets_a_408_page() {
    let app = spawn_app_with(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "1")]).await;
    let mut stream = raw_connection(&app.address).await;
    let head = "POST /request HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\nConnection: close\r\n\r\nphone=";
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("<h1>"), "{answer}");
}

#[tokio::test]
async fn a_json_client_that_sends_its_body_too_slowly_gets_a_408_in_telnyxs_error_shape() {
    let app = spawn_app_with(&[
        ("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "1"),
        ("TWOFA_API__KEYS", "slow-client-key-0123456789"),
    ])
    .await;
    let mut stream = raw_connection(&app.address).await;
    let head = "POST /v2/verifications/sms HTTP/1.1\r\nHost: localhost\r\n\
                Authorization: Bearer slow-client-key-0123456789\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\nConnection: close\r\n\r\n{\"phone_number\":";
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"errors\""), "{answer}");
    assert!(app.sent_messages().await.is_empty());
}
