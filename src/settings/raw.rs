//! Settings as written: the merged layers deserialized, every section and
//! key checked to exist (`deny_unknown_fields`), nothing interpreted yet.
//! `Settings::try_from` turns this into typed values.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub server: RawServer,
    #[serde(default)]
    pub sms: RawSms,
    pub telnyx: RawTelnyx,
    pub otp: RawOtp,
    pub phone: RawPhone,
    pub limits: RawLimits,
    pub store: RawStore,
    pub oidc: RawOidc,
    pub pumping: RawPumping,
    pub log: RawLog,
    pub i18n: RawI18n,
    #[serde(default)]
    pub api: RawApi,
    #[serde(default)]
    pub webhooks: RawWebhooks,
    #[serde(default)]
    pub branding: RawBranding,
    /// By profile id.
    #[serde(default)]
    pub verify_profiles: BTreeMap<String, RawProfile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: String,
    pub public_url: Option<String>,
    pub cookie_key: Option<SecretString>,
    pub cookie_keys: Option<Vec<SecretString>>,
    pub trust_forwarded_for: bool,
    pub trusted_proxies: Option<Vec<String>>,
    pub client_timeout_secs: u64,
    pub max_connections: u64,
    pub admin_listen: Option<String>,
    pub shutdown_grace_secs: u64,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSms {
    pub provider: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelnyx {
    pub api_key: Option<SecretString>,
    pub from_number: Option<String>,
    pub messaging_profile_id: Option<String>,
    pub api_base: String,
    pub timeout_secs: u64,
    pub public_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOtp {
    pub length: u64,
    pub alphabet: String,
    pub ttl_secs: u64,
    pub max_attempts: u64,
    pub webotp: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhone {
    pub country_code: String,
    pub allowed_countries: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub resend_cooldown_secs: u64,
    pub sends_per_phone_per_hour: u64,
    pub sends_per_ip_per_hour: u64,
    pub sends_per_network_per_hour: u64,
    pub sms_per_hour: u64,
    pub sends_per_api_key_per_hour: u64,
    pub max_pending: u64,
    pub verify_failures_per_ip_per_hour: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub backend: String,
    pub redis_url: Option<SecretString>,
    pub key_prefix: String,
    pub wait_for_redis_secs: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    pub signing_key_file: Option<String>,
    pub id_token_ttl_secs: u64,
    /// By client id.
    #[serde(default)]
    pub clients: BTreeMap<String, RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub name: Option<String>,
    pub secret: Option<SecretString>,
    pub redirect_uris: Option<Vec<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub keys: Option<Vec<SecretString>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub name: Option<String>,
    pub app_name: Option<String>,
    pub language: Option<String>,
    pub code_length: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub whitelisted_destinations: Option<Vec<String>>,
    pub webhook_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPumping {
    pub enabled: bool,
    pub window_secs: u64,
    pub min_sends: u64,
    pub min_conversion: f64,
    pub block_secs: u64,
    pub exempt: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub format: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawI18n {
    pub default_language: String,
    pub languages: Option<Vec<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranding {
    pub name: Option<String>,
    pub support_url: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhooks {
    pub signing_key: Option<SecretString>,
}
