//! The pages, one struct per template in `templates/`.

use askama::Template;
use askama_web::WebTemplate;

use crate::phone::PhoneNumber;
use std::time::Duration;

/// `GET /`, and `POST /request` when the number needs fixing.
#[derive(Template, WebTemplate, Default)]
#[template(path = "phone_form.html")]
pub struct PhoneFormPage {
    /// What the user typed, kept when the form is shown again.
    pub typed: String,
    pub error: Option<String>,
}

/// After a code is sent, and when a typed code was wrong.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "code_form.html")]
pub struct CodeFormPage {
    pub masked_phone: String,
    /// "10 minutes"
    pub valid_for: String,
    pub error: Option<String>,
}

impl CodeFormPage {
    pub fn new(phone: &PhoneNumber, code_ttl: Duration) -> Self {
        Self {
            masked_phone: phone.masked(),
            valid_for: describe_duration(code_ttl.as_secs()),
            error: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verified.html")]
pub struct VerifiedPage {
    pub masked_phone: String,
}

/// Every error that is not a form to fix: what happened, what to do next.
#[derive(Template, WebTemplate)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub title: &'static str,
    pub message: String,
}

/// "10 minutes", "1 minute", "45 seconds".
pub fn describe_duration(secs: u64) -> String {
    let (n, unit) = if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(600), "10 minutes");
        assert_eq!(describe_duration(60), "1 minute");
        assert_eq!(describe_duration(90), "90 seconds");
        assert_eq!(describe_duration(1), "1 second");
    }
}
