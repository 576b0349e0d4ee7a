//! Delivery receipts: Telnyx's signed webhooks change what the person
//! waiting for the code sees; forged, stale and altered ones change
//! nothing. Receipts here are signed with a test Ed25519 key exactly as
//! Telnyx signs them: `"{timestamp}|{body}"`, base64, two headers.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use crate::helpers::{Browser, OWN_ADDRESS, PHONE, PHONE_E164, captured_logs, message_sent};
use crate::operations::{Observed, value};

/// Telnyx's account key, as a test holds it.
pub fn telnyx_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// The key as the Telnyx portal shows it: base64 of its 32 public bytes.
pub fn telnyx_public_key() -> String {
    STANDARD.encode(telnyx_key().verifying_key().to_bytes())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A random UUID, as Telnyx's ids.
pub fn uuid() -> String {
    let hex: String = crate::helpers::uuid_like() + &crate::helpers::uuid_like();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// A message the app asked Telnyx to send: its id, and the address it
/// asked for its receipts at (which Telnyx repeats in each receipt).
#[derive(Clone, Debug)]
pub struct Texted {
    pub id: String,
    pub webhook_url: String,
}

impl Texted {
    /// A message this app never sent.
    pub fn elsewhere() -> Self {
        Self {
            id: uuid(),
            webhook_url: "https://other.example.com/webhooks/telnyx".into(),
        }
    }
}

/// Answers each `POST /v2/messages` with a message of a new id, and keeps
/// each message, newest last.
#[derive(Clone, Default)]
pub struct NamesMessages(Arc<Mutex<Vec<Texted>>>);

impl NamesMessages {
    /// The newest message.
    pub fn last(&self) -> Texted {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last()
            .cloned()
            .expect("a message was sent")
    }

    /// Where the newest message asked Telnyx to send its receipts.
    pub fn receipts_url(&self) -> String {
        self.last().webhook_url
    }
}

impl Respond for NamesMessages {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let id = uuid();
        let asked: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let webhook_url = asked["webhook_url"].as_str().unwrap_or_default().to_owned();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Texted {
                id: id.clone(),
                webhook_url,
            });
        let mut body = message_sent();
        body["data"]["id"] = id.into();
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// A Telnyx that names its messages, and an app that asks it for receipts.
pub async fn app_with_receipts(extra: &[(&str, &str)]) -> (Observed, NamesMessages) {
    let telnyx = MockServer::start().await;
    let messages = NamesMessages::default();
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .respond_with(messages.clone())
        .mount(&telnyx)
        .await;
    let key = telnyx_public_key();
    let mut settings = vec![
        ("TWOFA_TELNYX__PUBLIC_KEY", key.as_str()),
        ("TWOFA_SERVER__PUBLIC_URL", OWN_ADDRESS),
    ];
    settings.extend_from_slice(extra);
    (Observed::start(telnyx, &settings).await, messages)
}

/// Telnyx's `message.finalized` (or another event) for `message`.
pub fn receipt(event_type: &str, message: &Texted, status: &str) -> String {
    receipt_to(event_type, message, status, PHONE_E164)
}

/// As `receipt`, for a message sent to `to`.
pub fn receipt_to(event_type: &str, message: &Texted, status: &str, to: &str) -> String {
    json!({
        "data": {
            "event_type": event_type,
            "id": uuid(),
            "occurred_at": "2026-11-28T05:00:00.000+00:00",
            "record_type": "event",
            "payload": {
                "id": message.id,
                "record_type": "message",
                "direction": "outbound",
                "type": "SMS",
                "to": [{"phone_number": to, "status": status, "carrier": "T-Mobile", "line_type": "Wireless"}],
                "errors": if status.ends_with("failed") {
                    json!([{"code": "40008", "title": "Undeliverable", "detail": "The carrier could not deliver it."}])
                } else {
                    json!([])
                },
                "text": "Your verification code is hidden",
                "webhook_url": message.webhook_url,
                "webhook_failover_url": null,
            }
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"}
    })
    .to_string()
}

/// A request's extra headers.
type Headers = Vec<(&'static str, String)>;

/// The two headers Telnyx signs `body` with, at `timestamp`.
pub fn signed_by(key: &SigningKey, body: &str, timestamp: u64) -> [(&'static str, String); 2] {
    let timestamp = timestamp.to_string();
    let signature = key.sign(format!("{timestamp}|{body}").as_bytes());
    [
        (
            "telnyx-signature-ed25519",
            STANDARD.encode(signature.to_bytes()),
        ),
        ("telnyx-timestamp", timestamp),
    ]
}

/// The receipt endpoint, with no send named.
pub fn bare_receipts_url(address: &str) -> String {
    format!("{address}/webhooks/telnyx")
}

/// Posts `body` to `url` (a receipt address) with `headers`; the status.
pub async fn post_receipt(url: &str, body: &str, headers: &[(&'static str, String)]) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.expect("the app answers").status()
}

/// Posts `body` to `url`, signed by Telnyx, now.
pub async fn telnyx_posts(url: &str, body: &str) -> StatusCode {
    post_receipt(url, body, &signed_by(&telnyx_key(), body, unix_now())).await
}

/// No failure was believed: the browser still waits to ask again.
async fn the_cooldown_still_holds(browser: &mut Browser) {
    browser.get("/verify").await;
    assert_eq!(
        browser.ask_for_new_code().await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the cooldown still holds"
    );
}

/// What `/verify/status` says to this browser.
async fn status_of(browser: &mut Browser) -> Value {
    let page = browser.get("/verify/status").await;
    serde_json::from_str(&page.html).expect("JSON")
}

#[tokio::test]
async fn each_send_asks_telnyx_for_receipts_at_an_address_of_its_own_under_our_public_url() {
    let (app, messages) = app_with_receipts(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).await;
    let mut browser = Browser::new(&app.address);
    assert_eq!(browser.request_code(PHONE).await.status, StatusCode::OK);
    let first = messages.receipts_url();
    let prefix = format!("{}/webhooks/telnyx?send=", app.address);
    assert!(first.starts_with(&prefix), "{first}");
    let sealed = &first[prefix.len()..];
    assert_eq!(sealed.len(), 70, "base64url of nonce, id, time and tag");
    assert!(
        sealed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{sealed}"
    );
    assert_eq!(browser.ask_for_new_code().await.status, StatusCode::OK);
    assert_ne!(messages.receipts_url(), first, "each send its own");
}

#[tokio::test]
async fn a_delivered_receipt_tells_the_person_their_code_is_on_the_phone() {
    let (app, messages) = app_with_receipts(&[]).await;
    let mut browser = Browser::new(&app.address);
    let page = browser.request_code(PHONE).await;
    assert!(
        page.contains("data-poll=\"/verify/status\""),
        "{}",
        page.html
    );
    assert!(!page.contains("Delivered to your phone"));
    assert_eq!(status_of(&mut browser).await["delivery"], "unknown");

    let sent = receipt("message.sent", &messages.last(), "sent");
    assert_eq!(
        telnyx_posts(&messages.receipts_url(), &sent).await,
        StatusCode::OK
    );
    assert_eq!(status_of(&mut browser).await["delivery"], "sent");
    let delivered = receipt("message.finalized", &messages.last(), "delivered");
    assert_eq!(
        telnyx_posts(&messages.receipts_url(), &delivered).await,
        StatusCode::OK
    );

    let status = status_of(&mut browser).await;
    assert_eq!(status["delivery"], "delivered");
    assert_eq!(status["message"], "Delivered to your phone.");
    let page = browser.get("/verify").await;
    assert!(page.contains("Delivered to your phone."), "{}", page.html);
    assert!(!page.contains("data-poll"), "nothing more to wait for");
}

/// Telnyx tries a message's own `webhook_url` first, then the messaging
/// profile's and the failover address, repeating the message (with its
/// `webhook_url`) in each.
#[tokio::test]
async fn a_receipt_that_comes_by_another_address_counts_for_the_send_its_body_names() {
    let (app, messages) = app_with_receipts(&[]).await;
    let mut browser = Browser::new(&app.address);
    browser.request_code(PHONE).await;
    let delivered = receipt("message.finalized", &messages.last(), "delivered");
    let profile_webhook = bare_receipts_url(&app.address);
    assert_eq!(
        telnyx_posts(&profile_webhook, &delivered).await,
        StatusCode::OK
    );
    assert_eq!(status_of(&mut browser).await["delivery"], "delivered");
}

#[tokio::test]
async fn a_failed_receipt_says_so_and_the_code_can_be_sent_again_at_once() {
    let (app, messages) = app_with_receipts(&[]).await;
    let mut browser = Browser::new(&app.address);
    browser.request_code(PHONE).await;
    let page = browser.ask_for_new_code().await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "cooling down");

    let failed = receipt("message.finalized", &messages.last(), "delivery_failed");
    assert_eq!(
        telnyx_posts(&messages.receipts_url(), &failed).await,
        StatusCode::OK
    );
    let status = status_of(&mut browser).await;
    assert_eq!(status["delivery"], "failed");
    assert_eq!(status["resend_wait_secs"], Value::Null);
    let page = browser.get("/verify").await;
    assert!(
        page.contains("Your carrier couldn&#39;t deliver the code"),
        "{}",
        page.html
    );
    assert!(page.contains("We can send the code again"), "{}", page.html);
    assert!(page.form_fields("/resend").is_some());
    assert!(page.contains("Use a different number"));

    let page = browser.ask_for_new_code().await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let sends = app.telnyx.received_requests().await.unwrap_or_default();
    assert_eq!(sends.len(), 2, "texted again without the wait");
    assert_eq!(
        status_of(&mut browser).await["delivery"],
        "unknown",
        "news of the new SMS awaited"
    );
}

#[tokio::test]
async fn sending_failed_and_expired_are_failures_too_and_queued_is_no_news() {
    for (status, delivery) in [
        ("sending_failed", "failed"),
        ("expired", "failed"),
        ("queued", "unknown"),
        ("delivery_unconfirmed", "sent"),
    ] {
        let (app, messages) = app_with_receipts(&[]).await;
        let mut browser = Browser::new(&app.address);
        browser.request_code(PHONE).await;
        let body = receipt("message.finalized", &messages.last(), status);
        assert_eq!(
            telnyx_posts(&messages.receipts_url(), &body).await,
            StatusCode::OK
        );
        assert_eq!(
            status_of(&mut browser).await["delivery"],
            delivery,
            "{status}"
        );
    }
}

#[tokio::test]
async fn forged_stale_altered_or_unsigned_receipts_are_refused_and_change_nothing() {
    let (app, messages) = app_with_receipts(&[]).await;
    let mut browser = Browser::new(&app.address);
    browser.request_code(PHONE).await;
    let body = receipt("message.finalized", &messages.last(), "delivery_failed")
        .replace("hidden", "leak-marker-7f3a");
    let now = unix_now();
    let forger = SigningKey::from_bytes(&[7; 32]);
    let altered = body.replacen("delivery_failed", "delivery_faile ", 1);
    let cases: Vec<(&str, String, Headers, StatusCode)> = vec![
        (
            "another key",
            body.clone(),
            signed_by(&forger, &body, now).to_vec(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "330 s old",
            body.clone(),
            signed_by(&telnyx_key(), &body, now - 330).to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "330 s ahead",
            body.clone(),
            signed_by(&telnyx_key(), &body, now + 330).to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "one byte altered",
            altered,
            signed_by(&telnyx_key(), &body, now).to_vec(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no headers",
            body.clone(),
            Vec::new(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a signature that is not base64",
            body.clone(),
            vec![
                ("telnyx-signature-ed25519", "%%%".into()),
                ("telnyx-timestamp", now.to_string()),
            ],
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (case, sent, headers, expected) in cases {
        assert_eq!(
            post_receipt(&messages.receipts_url(), &sent, &headers).await,
            expected,
            "{case}"
        );
        assert_eq!(
            status_of(&mut browser).await["delivery"],
            "unknown",
            "{case}: nothing changed"
        );
    }
    the_cooldown_still_holds(&mut browser).await;
    let log = captured_logs();
    assert!(log.contains("refused a webhook said to be from Telnyx"));
    assert!(
        !log.contains("leak-marker-7f3a"),
        "the body is never logged"
    );
    let metrics = app.scrape().await;
    let refused = [("direction", "in"), ("result", "refused")];
    assert_eq!(value(&metrics, "twofa_webhooks_total", &refused), 6.0);
}

#[tokio::test]
async fn a_receipt_whose_body_comes_too_slowly_is_refused_with_a_408() {
    use tokio::io::AsyncWriteExt;
    let (app, _) = app_with_receipts(&[("TWOFA_SERVER__CLIENT_TIMEOUT_SECS", "1")]).await;
    let mut stream = crate::security::raw_connection(&app.address).await;
    let head = "POST /webhooks/telnyx HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: application/json\r\n\
                Content-Length: 100\r\nConnection: close\r\n\r\n{\"data\":";
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer =
        crate::security::read_until_closed(&mut stream, std::time::Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"errors\""), "{answer}");
}

#[tokio::test]
async fn a_receipt_sent_twice_is_answered_both_times_and_counted_once() {
    let (app, messages) = app_with_receipts(&[]).await;
    let mut browser = Browser::new(&app.address);
    browser.request_code(PHONE).await;
    let delivered = receipt("message.finalized", &messages.last(), "delivered");
    let url = messages.receipts_url();
    assert_eq!(telnyx_posts(&url, &delivered).await, StatusCode::OK);
    assert_eq!(telnyx_posts(&url, &delivered).await, StatusCode::OK);
    let metrics = app.scrape().await;
    assert_eq!(
        value(
            &metrics,
            "twofa_sms_delivery_total",
            &[("status", "delivered")]
        ),
        1.0
    );
    let webhooks = |result| {
        value(
            &metrics,
            "twofa_webhooks_total",
            &[("direction", "in"), ("result", result)],
        )
    };
    assert_eq!((webhooks("delivered"), webhooks("duplicate")), (1.0, 1.0));
}

#[tokio::test]
async fn a_receipt_whose_body_names_no_send_of_ours_or_another_number_or_event_is_ignored() {
    let (app, messages) = app_with_receipts(&[]).await;
    let mut browser = Browser::new(&app.address);
    browser.request_code(PHONE).await;
    let url = messages.receipts_url();
    let message = messages.last();
    // The address the request comes to is not signed, so not read: only
    // the body's `webhook_url` names the send.
    let unnamed = Texted {
        webhook_url: bare_receipts_url(&app.address),
        ..message.clone()
    };
    let mut forged = message.clone();
    let at = forged.webhook_url.find("send=").expect("a sealed send") + 30;
    let changed = if &forged.webhook_url[at..=at] == "A" {
        "B"
    } else {
        "A"
    };
    forged.webhook_url.replace_range(at..=at, changed);
    let failed = |message: &Texted| receipt("message.finalized", message, "delivery_failed");
    for (case, body) in [
        ("a body that names no send", failed(&unnamed)),
        ("a send no key of ours sealed", failed(&forged)),
        (
            "a message to another number",
            receipt_to(
                "message.finalized",
                &message,
                "delivery_failed",
                "+12015550999",
            ),
        ),
        (
            "no number",
            failed(&message).replace(&format!("\"phone_number\":\"{PHONE_E164}\","), ""),
        ),
        (
            "another event",
            receipt("message.received", &message, "delivery_failed"),
        ),
    ] {
        assert_eq!(telnyx_posts(&url, &body).await, StatusCode::OK, "{case}");
        assert_eq!(
            status_of(&mut browser).await["delivery"],
            "unknown",
            "{case}: nothing changed"
        );
    }
    the_cooldown_still_holds(&mut browser).await;
    let metrics = app.scrape().await;
    let ignored = [("direction", "in"), ("result", "ignored")];
    assert_eq!(value(&metrics, "twofa_webhooks_total", &ignored), 5.0);
    let signed_nonsense = "{\"data\": 42}";
    assert_eq!(
        telnyx_posts(&url, signed_nonsense).await,
        StatusCode::BAD_REQUEST,
        "signed, but not an event"
    );
}

#[tokio::test]
async fn without_telnyx_public_key_there_is_no_receipt_endpoint_and_no_polling() {
    let telnyx = MockServer::start().await;
    crate::helpers::telnyx_accepts(&telnyx).await;
    let app = Observed::start(telnyx, &[]).await;
    let body = receipt("message.finalized", &Texted::elsewhere(), "delivered");
    assert_eq!(
        telnyx_posts(&bare_receipts_url(&app.address), &body).await,
        StatusCode::NOT_FOUND
    );
    let mut browser = Browser::new(&app.address);
    let page = browser.request_code(PHONE).await;
    assert!(!page.contains("data-poll"));
    let sent: Value =
        serde_json::from_slice(&app.telnyx.received_requests().await.unwrap_or_default()[0].body)
            .expect("JSON");
    assert!(sent.get("webhook_url").is_none(), "{sent}");
}

#[test]
fn receipts_need_a_public_url_and_a_real_key() {
    use telnyx_2fa::settings::{ConfigFile, Settings};
    let key = telnyx_public_key();
    let base = [
        ("TWOFA_TELNYX__API_KEY", "KEY_x"),
        ("TWOFA_TELNYX__FROM_NUMBER", "+15550001111"),
    ];
    let load = |extra: &[(&str, &str)]| {
        let env = crate::helpers::settings_env(&[&base, extra]);
        Settings::load(ConfigFile::None, &env)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let problem = load(&[("TWOFA_TELNYX__PUBLIC_KEY", &key)]).expect_err("no public_url");
    assert!(
        problem.contains("telnyx.public_key needs server.public_url"),
        "{problem}"
    );
    let problem = load(&[
        ("TWOFA_TELNYX__PUBLIC_KEY", "c2hvcnQ="),
        ("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com"),
    ])
    .expect_err("too short");
    assert!(
        problem.contains("telnyx.public_key must be the base64 Ed25519 public key"),
        "{problem}"
    );
}

#[tokio::test]
async fn news_of_the_sms_is_told_in_the_page_s_language() {
    use crate::languages::assert_no_english;
    for (tag, status) in [
        ("es", "delivered"),
        ("ar", "delivered"),
        ("es", "delivery_failed"),
        ("ar", "delivery_failed"),
    ] {
        let (app, messages) = app_with_receipts(&[]).await;
        let mut browser = Browser::new(&app.address);
        browser.headers.push(("accept-language".into(), tag.into()));
        browser.request_code(PHONE).await;
        let body = receipt("message.finalized", &messages.last(), status);
        assert_eq!(
            telnyx_posts(&messages.receipts_url(), &body).await,
            StatusCode::OK
        );
        let news = status_of(&mut browser).await;
        let message = news["message"].as_str().unwrap_or_default().to_owned();
        assert!(!message.is_empty(), "{tag} {status}: {news}");
        let page = browser.get("/verify").await;
        assert!(page.contains(&message), "{tag} {status}: {}", page.html);
        assert_no_english(page, tag, &[]);
    }
}
