//! A small client for Telnyx's `POST /v2/messages`.
//!
//! One `reqwest::Client` per process, so connections to Telnyx are kept alive
//! and reused. A failed send is not retried: Telnyx takes no idempotency key,
//! so a retry after a timeout could text the code twice.

use std::fmt;

use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ApiErrors, ReceiptLinks, SmsError};
use crate::phone::PhoneNumber;
use crate::settings::TelnyxSettings;
use crate::verification::{MessageId, SendRef};

#[derive(Debug)]
pub struct TelnyxClient {
    http: reqwest::Client,
    messages_url: Url,
    api_key: SecretString,
    from_number: Option<String>,
    messaging_profile_id: Option<String>,
    /// Where Telnyx sends each message's receipts, when they are on.
    receipts: Option<ReceiptLinks>,
}

#[derive(Serialize)]
struct SendMessage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    to: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    messaging_profile_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_url: Option<String>,
}

/// The part of a sent message we read; the rest differs between API editions.
#[derive(Deserialize)]
struct Sent {
    data: SentMessage,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ApiError>,
}

/// One entry of Telnyx's `errors[]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    /// A string in the spec; accept a number too.
    #[serde(default)]
    pub code: serde_json::Value,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
    /// Which part of our request it is about: `{"pointer": "/to"}`.
    #[serde(default)]
    pub source: Option<ErrorSource>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorSource {
    #[serde(default)]
    pub pointer: Option<String>,
}

/// Telnyx's codes for a destination it cannot text: an invalid `to`
/// (40310), a number not in a valid format (10016), a landline or other
/// number that cannot take an SMS (40001).
const NUMBER_REFUSALS: &[&str] = &["40310", "10016", "40001"];

impl ApiError {
    /// Whether Telnyx says the destination number itself cannot be texted.
    pub fn is_about_the_number(&self) -> bool {
        let code = match &self.code {
            serde_json::Value::String(code) => code.clone(),
            serde_json::Value::Number(code) => code.to_string(),
            _ => String::new(),
        };
        let pointer = self.source.as_ref().and_then(|s| s.pointer.as_deref());
        NUMBER_REFUSALS.contains(&code.as_str()) || pointer == Some("/to")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            serde_json::Value::String(code) => write!(f, "{code} {}", self.title)?,
            serde_json::Value::Null => write!(f, "{}", self.title)?,
            code => write!(f, "{code} {}", self.title)?,
        }
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl TelnyxClient {
    pub fn new(
        settings: &TelnyxSettings,
        receipts: Option<ReceiptLinks>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("telnyx-2fa/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut messages_url = settings.api_base.clone();
        messages_url
            .path_segments_mut()
            .map(|mut path| {
                path.pop_if_empty().extend(["v2", "messages"]);
            })
            .ok();
        Ok(Self {
            http,
            messages_url,
            api_key: settings.api_key.clone(),
            from_number: settings.from_number.clone(),
            messaging_profile_id: settings.messaging_profile_id.clone(),
            receipts,
        })
    }

    /// Sends `text` to `to`, asking for receipts at `send`'s address if
    /// receipts are on; answers the message's id, if Telnyx gave one.
    pub async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        send: &SendRef,
    ) -> Result<Option<MessageId>, SmsError> {
        let body = SendMessage {
            from: self.from_number.as_deref(),
            to: to.e164(),
            text,
            messaging_profile_id: self.messaging_profile_id.as_deref(),
            webhook_url: self.receipts.as_ref().map(|l| l.url_for(send).into()),
        };
        let response = self
            .http
            .post(self.messages_url.clone())
            .bearer_auth(self.api_key.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if status.is_success() {
            // The send is logged once, by the verifier, with this id.
            let message = serde_json::from_slice::<Sent>(&body)
                .ok()
                .and_then(|sent| MessageId::parse(&sent.data.id));
            if message.is_none() {
                // Telnyx took the message; an odd body is no reason to fail the user.
                tracing::warn!(to = %to, "SMS accepted by Telnyx, but its answer had no message id");
            }
            return Ok(message);
        }
        let errors = ApiErrors(
            serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| b.errors)
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.masking(to))
                .collect(),
        );
        let code = status.as_u16();
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => SmsError::RateLimited,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SmsError::Misconfigured {
                status: code,
                errors,
            },
            s if s.is_client_error() => SmsError::Rejected {
                status: code,
                errors,
            },
            _ => SmsError::ProviderFailed {
                status: code,
                errors,
            },
        })
    }
}

impl ApiError {
    /// Telnyx's `detail` may quote the number; keep only its masked form.
    fn masking(mut self, to: &PhoneNumber) -> Self {
        let masked = to.to_string();
        self.detail = self.detail.map(|detail| {
            detail
                .replace(to.e164(), &masked)
                .replace(&to.e164()[1..], &masked)
        });
        self
    }
}

impl TelnyxClient {
    /// What went wrong between us and Telnyx, with the cause underneath
    /// (connection refused, DNS, TLS...) for the operator: a failure to
    /// connect certainly sent nothing; anything later may have.
    fn transport_error(&self, error: reqwest::Error) -> SmsError {
        let api_base = self.api_base();
        let mut underneath = String::new();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            underneath.push_str(": ");
            underneath.push_str(&inner.to_string());
            source = inner.source();
        }
        let (connect, timeout) = (error.is_connect(), error.is_timeout());
        let cause = format!("{}{underneath}", error.without_url());
        if connect {
            SmsError::Unreachable { api_base, cause }
        } else if timeout {
            SmsError::Timeout { api_base }
        } else {
            SmsError::Interrupted { api_base, cause }
        }
    }

    /// Where Telnyx is, as configured: `https://api.telnyx.com`.
    pub fn api_base(&self) -> String {
        self.messages_url.origin().ascii_serialization()
    }
}
