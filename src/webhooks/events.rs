//! The Verify API's events, sent to a profile's `webhook_url`:
//! `verify.sent` once Telnyx took the SMS, then `verify.delivered` or
//! `verify.failed` from its receipt. In Telnyx's envelope, signed Telnyx's
//! way with `webhooks.signing_key`, whose public half `GET /v2/public_key`
//! gives out.
//!
//! Sending never holds up the request that caused it: events go into a
//! bounded queue (when it is full they are dropped, said in the log and
//! counted), and a worker sends each, up to 3 tries with backoff, 2 s each.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use rand::Rng;
use reqwest::Url;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

use crate::clock::Clock;
use crate::metrics::{Metrics, WebhookResult};

/// Events waiting to be sent, at most; more are dropped.
const QUEUE: usize = 1024;
/// Events being sent at once, at most.
const AT_ONCE: usize = 32;
const TRIES: u32 = 3;
/// How long a receiver has to answer one try (Telnyx gives its receivers 2 s).
const TRY_TIMEOUT: Duration = Duration::from_secs(2);
/// The wait before the second try; doubled before the third.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// What happened to a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Telnyx took the SMS.
    Sent,
    /// The SMS reached the phone.
    Delivered,
    /// It could not be delivered.
    Failed,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Sent => "verify.sent",
            EventKind::Delivered => "verify.delivered",
            EventKind::Failed => "verify.failed",
        }
    }
}

/// An event on its way: where to, and its `data`.
struct Outgoing {
    url: Url,
    data: Value,
}

/// Where events are queued; the worker that sends them stops when this is
/// dropped.
#[derive(Debug)]
pub struct Outbox {
    queue: mpsc::Sender<Outgoing>,
    public_key: String,
    clock: Clock,
    metrics: Metrics,
}

/// A random id in the form of a UUID (version 4), as Telnyx's event ids.
fn event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    crate::verification::uuid_text(bytes)
}

impl Outbox {
    /// Starts the worker; `key` signs every event.
    pub fn start(key: SigningKey, clock: Clock, metrics: Metrics) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(TRY_TIMEOUT)
            .user_agent(concat!("telnyx-2fa/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let (queue, waiting) = mpsc::channel(QUEUE);
        let public_key = STANDARD.encode(key.verifying_key().to_bytes());
        let sender = Sender {
            http,
            key: Arc::new(key),
            clock: clock.clone(),
            metrics: metrics.clone(),
        };
        tokio::spawn(sender.run(waiting));
        Ok(Self {
            queue,
            public_key,
            clock,
            metrics,
        })
    }

    /// The public key receivers check events with: base64 of its 32 bytes.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Queues `kind` about a verification, whose `payload` is its JSON as
    /// the API shows it, for `url`.
    pub fn announce(&self, kind: EventKind, url: &Url, payload: Value) {
        let data = json!({
            "event_type": kind.name(),
            "id": event_id(),
            "occurred_at": crate::api::rfc3339(self.clock.now()),
            "record_type": "event",
            "payload": payload,
        });
        let outgoing = Outgoing {
            url: url.clone(),
            data,
        };
        if self.queue.try_send(outgoing).is_err() {
            tracing::warn!(
                event = kind.name(),
                "the webhook queue is full ({QUEUE} events): an event is dropped"
            );
            self.metrics.webhook_out(WebhookResult::Dropped);
        }
    }
}

/// The worker's side.
struct Sender {
    http: reqwest::Client,
    key: Arc<SigningKey>,
    clock: Clock,
    metrics: Metrics,
}

impl Sender {
    async fn run(self, mut waiting: mpsc::Receiver<Outgoing>) {
        let slots = Arc::new(Semaphore::new(AT_ONCE));
        let sender = Arc::new(self);
        while let Some(event) = waiting.recv().await {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                sender.send(event).await;
                drop(slot);
            });
        }
    }

    /// Up to `TRIES` tries, waiting longer between each.
    async fn send(&self, event: Outgoing) {
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=TRIES {
            match self.try_once(&event, attempt).await {
                Ok(()) => {
                    self.metrics.webhook_out(WebhookResult::Delivered);
                    return;
                }
                Err(problem) => tracing::warn!(
                    url = %event.url.origin().ascii_serialization(),
                    attempt,
                    "a webhook's receiver did not take it: {problem}"
                ),
            }
            if attempt < TRIES {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        tracing::warn!(
            url = %event.url.origin().ascii_serialization(),
            "gave up on a webhook after {TRIES} tries"
        );
        self.metrics.webhook_out(WebhookResult::Failed);
    }

    async fn try_once(&self, event: &Outgoing, attempt: u32) -> Result<(), String> {
        let body = json!({
            "data": event.data,
            "meta": {"attempt": attempt, "delivered_to": event.url.as_str()},
        });
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let mut request = self
            .http
            .post(event.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in super::sign(&self.key, &body, self.clock.now()) {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!("HTTP {status}")),
        }
    }
}
