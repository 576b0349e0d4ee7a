//! Sending the code: through Telnyx, or to the log when no provider is set up.

#[cfg(test)]
pub mod fake;
mod links;
mod telnyx;

pub use links::ReceiptLinks;
pub use telnyx::{ApiError, TelnyxClient};

use crate::i18n::Language;
use crate::otp::OtpCode;
use crate::phone::PhoneNumber;
use crate::settings::SmsSettings;
use crate::verification::{MessageId, SendRef};

/// Where codes go. A closed set, so an enum rather than a trait object.
#[derive(Debug)]
pub enum SmsSender {
    Telnyx(Box<TelnyxClient>),
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
    /// With receipts on, their addresses are sealed by `links`.
    pub fn new(
        settings: &SmsSettings,
        links: Option<ReceiptLinks>,
    ) -> Result<Self, reqwest::Error> {
        Ok(match settings {
            SmsSettings::Telnyx(telnyx) => {
                SmsSender::Telnyx(Box::new(TelnyxClient::new(telnyx, links)?))
            }
            SmsSettings::Console => SmsSender::Console,
        })
    }

    /// Sends `text` to `to` for `send` (which its receipts will name);
    /// answers the message's id, if the provider gave one. Never logs: the
    /// send is logged once, by the verifier, except that the console
    /// sender, whose whole job is to log the text, does.
    pub async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        send: &SendRef,
    ) -> Result<Option<MessageId>, SmsError> {
        match self {
            SmsSender::Telnyx(client) => client.send(to, text, send).await,
            SmsSender::Console => {
                // Debug-quoted, so the message stays on one log line.
                tracing::warn!(to = to.e164(), text = ?text, "console SMS provider, message NOT sent");
                Ok(None)
            }
            #[cfg(test)]
            SmsSender::Fake(fake) => fake.send(to, text, send).await,
        }
    }
}

/// The SMS text, in `language`. The code stands alone as a word, so phones
/// offer to copy it; `app_name` says who it is from; with a host, the last
/// line binds it to that origin (`@host #code`), which lets browsers
/// (WebOTP) and iOS and Android keyboards fill it in there only.
pub fn code_message(
    code: &OtpCode,
    app_name: Option<&str>,
    origin_host: Option<&str>,
    language: Language,
) -> String {
    let code = code.as_str();
    let first = match app_name {
        Some(name) => language.fill("sms-code-from", &[("app", name), ("code", code)]),
        None => language.fill("sms-code", &[("code", code)]),
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

    /// GSM 03.38's basic character set, and its extension table (two
    /// septets each).
    const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
        ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const GSM_EXTENSION: &str = "^{}\\[~]|€\u{c}";

    /// How much of one segment a text takes: (used, of), GSM-7 if it can.
    fn segment_use(text: &str) -> (usize, usize) {
        let gsm = text
            .chars()
            .all(|c| GSM_BASIC.contains(c) || GSM_EXTENSION.contains(c));
        if gsm {
            let septets = text
                .chars()
                .map(|c| if GSM_EXTENSION.contains(c) { 2 } else { 1 })
                .sum();
            (septets, 160)
        } else {
            (text.encode_utf16().count(), 70)
        }
    }

    fn six_digits() -> OtpCode {
        CodeFormat {
            alphabet: Alphabet::Digits,
            length: 6,
        }
        .read_attempt("123456")
        .expect("a code")
    }

    #[test]
    fn a_code_with_the_longest_allowed_name_and_a_30_character_host_fits_one_gsm_segment() {
        let name = "A".repeat(crate::settings::Branding::MAX_NAME_CHARS);
        let host = "h".repeat(26) + ".com";
        assert_eq!(host.len(), 30);
        let text = code_message(&six_digits(), Some(&name), Some(&host), Language::ENGLISH);
        assert_eq!(segment_use(&text).1, 160, "GSM-7");
        assert!(segment_use(&text).0 <= 160, "{text}");
    }

    #[test]
    fn every_languages_sms_fits_one_segment_with_a_6_digit_code_and_a_30_character_host() {
        let host = "h".repeat(26) + ".com";
        for language in Language::all() {
            let text = code_message(&six_digits(), None, Some(&host), language);
            let (used, of) = segment_use(&text);
            assert!(used <= of, "{}: {used} of {of}: {text}", language.tag());
            assert!(
                text.contains("123456\n")
                    || text.lines().next().is_some_and(|l| l.contains("123456")),
                "{}: the code is on the first line: {text}",
                language.tag()
            );
            assert!(
                text.ends_with(&format!("\n\n@{host} #123456")),
                "{}: the WebOTP line comes last: {text}",
                language.tag()
            );
        }
        // The languages that can write it in GSM-7 do: UCS-2 costs more.
        for tag in ["en", "fr", "de"] {
            let language = Language::from_tag(tag).expect("a language");
            let text = code_message(&six_digits(), None, Some(&host), language);
            assert_eq!(segment_use(&text).1, 160, "{tag}: {text}");
        }
    }

    #[test]
    fn the_origin_bound_line_comes_last() {
        let code = six_digits();
        let en = Language::ENGLISH;
        assert_eq!(
            code_message(&code, None, None, en),
            "Your verification code is 123456"
        );
        assert_eq!(
            code_message(&code, None, Some("verify.example.com"), en),
            "Your verification code is 123456\n\n@verify.example.com #123456"
        );
        assert_eq!(
            code_message(&code, Some("Acme"), None, en),
            "Your Acme verification code is 123456"
        );
    }
}
