//! What every handler shares.

use crate::clock::Clock;
use crate::otp::CodeFormat;
use crate::phone::DefaultCountry;
use crate::settings::Settings;
use crate::sms::SmsSender;
use crate::verification::VerificationStore;

#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub default_country: DefaultCountry,
    pub code_format: CodeFormat,
    pub store: VerificationStore,
    pub sms: SmsSender,
    pub clock: Clock,
}
