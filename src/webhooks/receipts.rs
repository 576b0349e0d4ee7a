//! `POST /webhooks/telnyx`: Telnyx's delivery receipts. The signature is
//! checked over the raw body before anything reads it; then `message.sent`
//! and `message.finalized` update the verification their message's
//! `webhook_url` names (`sms::ReceiptLinks`: each SMS asks for its receipts
//! at an address of its own, and Telnyx repeats it in the signed body), if
//! the message went to that verification's number. The address the request
//! itself came to is not read: it is not signed, and a receipt Telnyx
//! retries at the messaging profile's webhook or a failover address names
//! its send all the same.
//!
//! Telnyx retries, so an event seen before is answered 200 and counted
//! once; one for a send we do not hold (forgotten, of another number, sent
//! before this version or under a key no longer kept) is answered 200 and
//! ignored. Needs no cookie and no CSRF token: the signature is the proof.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::events::EventKind;
use super::{Unsigned, verify};
use crate::body::{BodyProblem, WholeBody};
use crate::metrics::WebhookResult;
use crate::routes::MAX_BODY_BYTES;
use crate::sms::ReceiptLinks;
use crate::state::AppState;
use crate::store::{Delivered, Receipt};
use crate::verification::Delivery;

/// What taking receipts needs: the key Telnyx signs them with, and the
/// links their addresses were made with.
#[derive(Debug, Clone)]
pub struct TelnyxReceipts {
    pub key: ed25519_dalek::VerifyingKey,
    pub links: ReceiptLinks,
}

/// The route, when receipts are on (`telnyx.public_key`).
pub fn router(enabled: bool) -> Router<Arc<AppState>> {
    if enabled {
        Router::new().route("/webhooks/telnyx", post(receive))
    } else {
        Router::new()
    }
}

#[derive(Deserialize)]
struct Envelope {
    data: Event,
}

#[derive(Deserialize)]
struct Event {
    event_type: String,
    id: String,
    payload: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    to: Vec<Recipient>,
    /// Where the message asked for its receipts: names its send.
    webhook_url: Option<String>,
}

#[derive(Deserialize)]
struct Recipient {
    phone_number: Option<String>,
    status: Option<MessageStatus>,
}

/// A message's status, as Telnyx names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Expired,
    SendingFailed,
    DeliveryUnconfirmed,
    Delivered,
    DeliveryFailed,
    #[serde(other)]
    Other,
}

impl MessageStatus {
    fn name(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Expired => "expired",
            MessageStatus::SendingFailed => "sending_failed",
            MessageStatus::DeliveryUnconfirmed => "delivery_unconfirmed",
            MessageStatus::Delivered => "delivered",
            MessageStatus::DeliveryFailed => "delivery_failed",
            MessageStatus::Other => "other",
        }
    }

    /// What it tells the person waiting for the code.
    fn news(self) -> Delivery {
        match self {
            MessageStatus::Sent | MessageStatus::DeliveryUnconfirmed => Delivery::Sent,
            MessageStatus::Delivered => Delivery::Delivered,
            MessageStatus::Expired
            | MessageStatus::SendingFailed
            | MessageStatus::DeliveryFailed => Delivery::Failed,
            MessageStatus::Queued | MessageStatus::Sending | MessageStatus::Other => {
                Delivery::Unknown
            }
        }
    }
}

/// Why a receipt was not taken.
enum Refusal {
    Unsigned(Unsigned),
    Body(BodyProblem),
    Unreadable,
    StoreUnavailable,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, title) = match self {
            Refusal::Unsigned(Unsigned::Forged) => {
                (StatusCode::UNAUTHORIZED, "The signature does not match.")
            }
            Refusal::Unsigned(Unsigned::Stale) => (
                StatusCode::BAD_REQUEST,
                "The timestamp is more than 300 seconds from now.",
            ),
            Refusal::Unsigned(Unsigned::Missing | Unsigned::Malformed) => (
                StatusCode::BAD_REQUEST,
                "telnyx-signature-ed25519 and telnyx-timestamp are required.",
            ),
            Refusal::Body(problem) => (
                problem.status(),
                match problem {
                    BodyProblem::TooLarge => {
                        const _: () = assert!(MAX_BODY_BYTES == 16 * 1024, "say the limit below");
                        "The body is over 16 KiB."
                    }
                    BodyProblem::TooSlow => "The body did not arrive in time.",
                    BodyProblem::Unreadable => "The body could not be read.",
                },
            ),
            Refusal::Unreadable => (StatusCode::BAD_REQUEST, "The body is not a Telnyx event."),
            Refusal::StoreUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Briefly unavailable: send it again later.",
            ),
        };
        (status, Json(json!({"errors": [{"title": title}]}))).into_response()
    }
}

/// An event's id as the store remembers it: 128 bits of its SHA-256.
fn event_key(id: &str) -> u128 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

async fn receive(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    WholeBody(body): WholeBody,
) -> Result<Json<serde_json::Value>, Refusal> {
    let body = body.map_err(Refusal::Body)?;
    let metrics = app.verifier.metrics();
    let Some(receipts) = &app.receipts else {
        return Err(Refusal::Unreadable);
    };
    if let Err(why) = verify(&receipts.key, &headers, &body, app.verifier.clock().now()) {
        // Never the body: it is not known to be Telnyx's.
        tracing::warn!("refused a webhook said to be from Telnyx: {why}");
        metrics.webhook_in(WebhookResult::Refused);
        return Err(Refusal::Unsigned(why));
    }
    let Ok(Envelope { data: event }) = serde_json::from_slice::<Envelope>(&body) else {
        tracing::warn!("refused a signed webhook from Telnyx whose body is not an event");
        metrics.webhook_in(WebhookResult::Refused);
        return Err(Refusal::Unreadable);
    };
    let send = (event.payload.webhook_url.as_deref()).and_then(|url| receipts.links.open(url));
    let (status, to) = event
        .payload
        .to
        .into_iter()
        .next()
        .map_or((None, None), |to| (to.status, to.phone_number));
    let (Some(status), Some(to), Some(send), "message.sent" | "message.finalized") =
        (status, to, send, event.event_type.as_str())
    else {
        metrics.webhook_in(WebhookResult::Ignored);
        return Ok(Json(json!({})));
    };
    let receipt = Receipt {
        send,
        to,
        event: event_key(&event.id),
        news: status.news(),
    };
    let delivered = app.verifier.deliver(&receipt).await.map_err(|error| {
        tracing::warn!("could not take a receipt: {error}");
        Refusal::StoreUnavailable
    })?;
    match delivered {
        Delivered::Duplicate => metrics.webhook_in(WebhookResult::Duplicate),
        Delivered::Unknown => {
            metrics.sms_delivery(status.name());
            metrics.webhook_in(WebhookResult::Ignored);
        }
        Delivered::Known {
            id,
            verification,
            changed,
        } => {
            metrics.sms_delivery(status.name());
            metrics.webhook_in(WebhookResult::Delivered);
            let kind = match verification.delivery {
                Delivery::Delivered => Some(EventKind::Delivered),
                Delivery::Failed => Some(EventKind::Failed),
                Delivery::Unknown | Delivery::Sent => None,
            };
            if let (true, Some(kind)) = (changed, kind) {
                crate::api::announce(&app, kind, &id, &verification);
            }
        }
    }
    Ok(Json(json!({})))
}
