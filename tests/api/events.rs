//! Events out: a verify profile's `webhook_url` gets `verify.sent`, then
//! `verify.delivered` or `verify.failed`, in Telnyx's envelope and signed
//! Telnyx's way. Signatures are checked here with ed25519-dalek directly
//! and with the verifier in Telnyx's Python SDK, never with the app's own.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::PHONE_E164;
use crate::operations::{Observed, value};
use crate::receipts::{NamesMessages, app_with_receipts, receipt, telnyx_posts};

const KEY: &str = "events-api-key-0123456789";
/// `webhooks.signing_key`: base64 of a 32-byte seed.
const SEED: [u8; 32] = [9; 32];

/// A receiver at `/events` answering with `statuses` in turn, then 200.
async fn receiver(statuses: &[u16]) -> MockServer {
    let receiver = MockServer::start().await;
    for status in statuses {
        Mock::given(method("POST"))
            .and(path("/events"))
            .respond_with(ResponseTemplate::new(*status))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&receiver)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/events"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    receiver
}

/// An app with the API on, profile `acme` sending its events to `receiver`.
async fn app_announcing_to(receiver: &MockServer) -> (Observed, NamesMessages) {
    let url = format!("{}/events", receiver.uri());
    let seed = STANDARD.encode(SEED);
    app_with_receipts(&[
        ("TWOFA_API__KEYS", KEY),
        ("TWOFA_VERIFY_PROFILES__ACME__WEBHOOK_URL", &url),
        ("TWOFA_WEBHOOKS__SIGNING_KEY", &seed),
    ])
    .await
}

/// Triggers an SMS under profile `acme`; the verification's id.
async fn trigger(app: &Observed) -> Value {
    let (status, answer) = api_post(
        app,
        "/verifications/sms",
        json!({"phone_number": PHONE_E164, "verify_profile_id": "acme"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"]["id"].clone()
}

async fn api_post(app: &Observed, path: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v2{path}", app.address))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("the app answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What `receiver` got, once it has got `count` requests (10 s at most).
async fn received(receiver: &MockServer, count: usize) -> Vec<wiremock::Request> {
    for _ in 0..500 {
        let requests = receiver.received_requests().await.unwrap_or_default();
        if requests.len() >= count {
            return requests;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the receiver did not get {count} requests");
}

/// The event's JSON, once its signature has been checked against `key`
/// with ed25519-dalek directly, as Telnyx's SDKs check.
fn verified(request: &wiremock::Request, key: &VerifyingKey) -> Value {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let timestamp = header("telnyx-timestamp");
    let signature = STANDARD
        .decode(header("telnyx-signature-ed25519"))
        .expect("base64");
    let signature = Signature::from_slice(&signature).expect("64 bytes");
    let mut signed = format!("{timestamp}|").into_bytes();
    signed.extend_from_slice(&request.body);
    key.verify_strict(&signed, &signature)
        .expect("a valid signature");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let sent: u64 = timestamp.parse().expect("Unix seconds");
    assert!(now.abs_diff(sent) <= 300, "a fresh timestamp");
    serde_json::from_slice(&request.body).expect("JSON")
}

async fn public_key(app: &Observed) -> VerifyingKey {
    let response = reqwest::Client::new()
        .get(format!("{}/v2/public_key", app.address))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    let text = body["data"]["public_key"].as_str().expect("a key");
    let bytes: [u8; 32] = STANDARD
        .decode(text)
        .expect("base64")
        .try_into()
        .expect("32 bytes");
    VerifyingKey::from_bytes(&bytes).expect("a key")
}

#[tokio::test]
async fn a_profile_receiver_gets_verify_sent_then_verify_delivered_signed_verifiably() {
    let receiver = receiver(&[]).await;
    let (app, messages) = app_announcing_to(&receiver).await;
    let key = public_key(&app).await;
    assert_eq!(
        key,
        ed25519_dalek::SigningKey::from_bytes(&SEED).verifying_key()
    );

    let id = trigger(&app).await;
    let sent = verified(&received(&receiver, 1).await[0], &key);
    assert_eq!(sent["data"]["event_type"], "verify.sent");
    assert_eq!(sent["data"]["record_type"], "event");
    assert_eq!(sent["meta"]["attempt"], 1);
    let payload = &sent["data"]["payload"];
    assert_eq!(payload["id"], id);
    assert_eq!(payload["phone_number"], PHONE_E164);
    assert_eq!(payload["verify_profile_id"], "acme");
    assert_eq!(payload["profile_id"], "acme");
    assert_eq!(payload["status"], "pending");
    assert_eq!(payload["delivery_status"], "sent");
    assert!(
        sent["data"]["occurred_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let delivered = receipt("message.finalized", &messages.last(), "delivered");
    assert_eq!(
        telnyx_posts(&messages.receipts_url(), &delivered).await,
        StatusCode::OK
    );
    let event = verified(&received(&receiver, 2).await[1], &key);
    assert_eq!(event["data"]["event_type"], "verify.delivered");
    assert_eq!(event["data"]["payload"]["id"], id);
    assert_eq!(event["data"]["payload"]["delivery_status"], "delivered");
    assert_ne!(
        event["data"]["id"], sent["data"]["id"],
        "each event its own id"
    );

    // The same receipt again changes nothing, so announces nothing.
    assert_eq!(
        telnyx_posts(&messages.receipts_url(), &delivered).await,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received_requests().await.unwrap_or_default().len(),
        2
    );
}

#[tokio::test]
async fn a_failed_delivery_is_announced_as_verify_failed() {
    let receiver = receiver(&[]).await;
    let (app, messages) = app_announcing_to(&receiver).await;
    let key = public_key(&app).await;
    trigger(&app).await;
    received(&receiver, 1).await;
    let failed = receipt("message.finalized", &messages.last(), "delivery_failed");
    assert_eq!(
        telnyx_posts(&messages.receipts_url(), &failed).await,
        StatusCode::OK
    );
    let event = verified(&received(&receiver, 2).await[1], &key);
    assert_eq!(event["data"]["event_type"], "verify.failed");
    assert_eq!(event["data"]["payload"]["delivery_status"], "failed");
}

#[tokio::test]
async fn a_receiver_that_fails_is_tried_again_and_a_new_signature_covers_each_try() {
    let receiver = receiver(&[500]).await;
    let (app, _) = app_announcing_to(&receiver).await;
    let key = public_key(&app).await;
    let started = std::time::Instant::now();
    trigger(&app).await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "the API answer does not wait for it"
    );
    let tries = received(&receiver, 2).await;
    let first = verified(&tries[0], &key);
    let second = verified(&tries[1], &key);
    assert_eq!(
        (
            first["meta"]["attempt"].clone(),
            second["meta"]["attempt"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(first["data"], second["data"], "the same event");
    let metrics = app.scrape().await;
    let out = |result| {
        value(
            &metrics,
            "twofa_webhooks_total",
            &[("direction", "out"), ("result", result)],
        )
    };
    assert_eq!((out("delivered"), out("failed")), (1.0, 0.0));
}

#[tokio::test]
async fn the_public_key_needs_an_api_key() {
    let receiver = receiver(&[]).await;
    let (app, _) = app_announcing_to(&receiver).await;
    let status = reqwest::get(format!("{}/v2/public_key", app.address))
        .await
        .expect("answers")
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn telnyx_s_own_python_sdk_accepts_our_signature() {
    let Some(python) = crate::sdk::python() else {
        return;
    };
    let receiver = receiver(&[]).await;
    let (app, _) = app_announcing_to(&receiver).await;
    let key = STANDARD.encode(public_key(&app).await.to_bytes());
    trigger(&app).await;
    let event = received(&receiver, 1).await.remove(0);
    let header = |name: &str| {
        event
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/verify_event.py");
    let check = |body: Vec<u8>| {
        let mut child = std::process::Command::new(&python)
            .arg(&script)
            .env_clear()
            .env("SIGNATURE", header("telnyx-signature-ed25519"))
            .env("TIMESTAMP", header("telnyx-timestamp"))
            .env("PUBLIC_KEY", &key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&body)
            .expect("written");
        let output = child.wait_with_output().expect("it ends");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
            + &String::from_utf8_lossy(&output.stderr)
    };
    assert_eq!(check(event.body.clone()), "VALID");
    let mut altered = event.body.clone();
    altered[20] ^= 1;
    assert!(
        check(altered).starts_with("INVALID"),
        "and it is not fooled"
    );
}
