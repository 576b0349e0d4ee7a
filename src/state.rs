//! What every handler shares.

use crate::clock::Clock;
use crate::limits::{LimitRules, RateLimiter};
use crate::otp::{CodeFormat, CodeKey};
use crate::phone::PhoneRules;
use crate::session::SessionCookies;
use crate::settings::Settings;
use crate::sms::SmsSender;
use crate::verification::VerificationStore;

#[derive(Debug)]
pub struct AppState {
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
