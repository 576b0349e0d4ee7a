//! Sending the code: through Telnyx, or to the log when no provider is set up.

#[cfg(test)]
pub mod fake;
mod telnyx;

pub use telnyx::{ApiError, TelnyxClient};

use crate::otp::OtpCode;
use crate::phone::PhoneNumber;
use crate::settings::SmsSettings;
use crate::verification::MessageId;

/// Where codes go. A closed set, so an enum rather than a trait object.
#[derive(Debug)]
pub enum SmsSender {
    Telnyx(TelnyxClient),
    /// Writes each SMS to the log; for development without a Telnyx account.
    Console,
    /// What the `Verifier`'s tests script: answers, delays, a failing store.
    #[cfg(test)]
    Fake(fake::FakeSms),
}

/// Why an SMS could not be sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SmsError {
    #[error("Telnyx is rate limiting us (HTTP 429)")]
    RateLimited,
    #[error(
        "Telnyx refused our credentials (HTTP {status}): check telnyx.api_key, from_number and messaging_profile_id: {errors}"
    )]
    Misconfigured { status: u16, errors: ApiErrors },
    #[error("Telnyx refused the message (HTTP {status}): {errors}")]
    Rejected { status: u16, errors: ApiErrors },
    #[error("Telnyx failed (HTTP {status}): {errors}")]
    ProviderFailed { status: u16, errors: ApiErrors },
    #[error("Telnyx at {api_base} did not answer within telnyx.timeout_secs")]
    Timeout { api_base: String },
    #[error("could not reach Telnyx at {api_base}: {cause}")]
    Unreachable { api_base: String, cause: String },
    #[error("Telnyx's answer from {api_base} was cut off: {cause}")]
    Interrupted { api_base: String, cause: String },
}

impl SmsError {
    /// Whether Telnyx refused the message because of the number it was for
    /// (a 4xx about `to`): the person should be told to use another number,
    /// not to try again.
    pub fn refuses_the_number(&self) -> bool {
        matches!(self, SmsError::Rejected { errors, .. } if errors.0.iter().any(ApiError::is_about_the_number))
    }

    /// Whether the message certainly never reached Telnyx, or Telnyx
    /// certainly refused it: then no SMS can arrive, and a send may be
    /// undone. A timeout, a 5xx or an answer cut off may all come after
    /// Telnyx queued the message.
    pub fn certainly_unsent(&self) -> bool {
        match self {
            SmsError::RateLimited
            | SmsError::Misconfigured { .. }
            | SmsError::Rejected { .. }
            | SmsError::Unreachable { .. } => true,
            SmsError::ProviderFailed { .. }
            | SmsError::Timeout { .. }
            | SmsError::Interrupted { .. } => false,
        }
    }
}

/// The `errors[]` of a Telnyx error body, shown as `code title; ...`.
#[derive(Debug, Clone, Default)]
pub struct ApiErrors(pub Vec<ApiError>);

impl std::fmt::Display for ApiErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no error details");
        }
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl SmsSender {
    pub fn new(settings: &SmsSettings) -> Result<Self, reqwest::Error> {
        Ok(match settings {
            SmsSettings::Telnyx(telnyx) => SmsSender::Telnyx(TelnyxClient::new(telnyx)?),
            SmsSettings::Console => SmsSender::Console,
        })
    }

    /// Sends `text` to `to`; with receipts on, answers the message's id,
    /// which receipts will name. Never logs the text, except the console
    /// sender, whose whole job is to log it.
    pub async fn send(&self, to: &PhoneNumber, text: &str) -> Result<Option<MessageId>, SmsError> {
        match self {
            SmsSender::Telnyx(client) => client.send(to, text).await,
            SmsSender::Console => {
                // Debug-quoted, so the message stays on one log line.
                tracing::warn!(to = to.e164(), text = ?text, "console SMS provider, message NOT sent");
                Ok(None)
            }
            #[cfg(test)]
            SmsSender::Fake(fake) => fake.send(to, text).await,
        }
    }
}

/// The SMS text. The code stands alone as a word, so phones offer to copy it;
/// `app_name` says who it is from; with a host, the last line binds it to
/// that origin (`@host #code`), which lets browsers (WebOTP) and iOS and
/// Android keyboards fill it in there only.
pub fn code_message(code: &OtpCode, app_name: Option<&str>, origin_host: Option<&str>) -> String {
    let code = code.as_str();
    let first = match app_name {
        Some(name) => format!("Your {name} verification code is {code}"),
        None => format!("Your verification code is {code}"),
    };
    match origin_host {
        Some(host) => format!("{first}\n\n@{host} #{code}"),
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{Alphabet, CodeFormat};

    #[test]
    fn a_code_with_the_longest_allowed_name_and_a_30_character_host_fits_one_gsm_segment() {
        let code = CodeFormat {
            alphabet: Alphabet::Digits,
            length: 6,
        }
        .generate();
        let name = "A".repeat(crate::settings::Branding::MAX_NAME_CHARS);
        let host = "h".repeat(26) + ".com";
        assert_eq!(host.len(), 30);
        let text = code_message(&code, Some(&name), Some(&host));
        // GSM-7's basic set holds every character of it: 160 to a segment.
        assert!(text.is_ascii() && !text.contains(['[', ']', '{', '}', '\\', '~', '^', '|']));
        assert!(
            text.chars().count() <= 160,
            "{} characters",
            text.chars().count()
        );
    }

    #[test]
    fn the_origin_bound_line_comes_last() {
        let format = CodeFormat {
            alphabet: Alphabet::Digits,
            length: 6,
        };
        let code = format.read_attempt("123456").expect("a code");
        assert_eq!(
            code_message(&code, None, None),
            "Your verification code is 123456"
        );
        assert_eq!(
            code_message(&code, None, Some("verify.example.com")),
            "Your verification code is 123456\n\n@verify.example.com #123456"
        );
        assert_eq!(
            code_message(&code, Some("Acme"), None),
            "Your Acme verification code is 123456"
        );
    }
}
