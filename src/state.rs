//! What every handler shares.

use crate::clock::Clock;
use crate::limits::{LimitRules, RateLimiter};
use crate::otp::{CodeFormat, CodeKey};
use crate::phone::PhoneRules;
use crate::session::SessionCookies;
use crate::settings::Settings;
use crate::sms::SmsSender;
use crate::verification::VerificationStore;

/// Whose host the SMS's origin-bound line (`@host #code`) names.
#[derive(Debug, Clone)]
pub enum WebOtp {
    Off,
    /// `server.public_url`'s host.
    Host(String),
    /// The `Host` each request came with, when no public URL is set.
    RequestHost,
}

#[derive(Debug)]
pub struct AppState {
    pub webotp: WebOtp,
    pub settings: Settings,
    pub phone_rules: PhoneRules,
    pub code_format: CodeFormat,
    pub code_key: CodeKey,
    pub cookies: SessionCookies,
    pub limit_rules: LimitRules,
    pub limiter: RateLimiter,
    pub store: VerificationStore,
    pub sms: SmsSender,
    pub clock: Clock,
}
