//! Settings, layered: built-in defaults, then a TOML file, then `TWOFA_*`
//! environment variables (`TWOFA_OTP__LENGTH` sets `otp.length`).
//!
//! `Settings::load` is the only way to get a `Settings`, and it checks every
//! value, so the rest of the app takes them as given. A bad value is reported
//! as one line naming its key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use axum_extra::extract::cookie::Key;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use crate::otp::{Alphabet, CodeFormat};
use crate::phone::{CountryPolicy, DefaultCountry};

/// Which config file to read, if any.
#[derive(Debug, Clone)]
pub enum ConfigFile {
    /// Named by `--config` or `TWOFA_CONFIG`: it must exist.
    Required(PathBuf),
    /// `./config.toml`, read when it is there.
    IfPresent(PathBuf),
    /// No file at all (tests).
    None,
}

/// A setting that cannot be used, as one line: `otp.length must be ...`.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{key} {problem}")]
    Invalid { key: &'static str, problem: String },
    #[error("{0}")]
    Unreadable(#[from] config::ConfigError),
}

fn invalid(key: &'static str, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        problem: problem.into(),
    }
}

fn http_url(key: &'static str, text: &str) -> Result<Url, SettingsError> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .ok_or_else(|| invalid(key, format!("must be an http(s) URL (got {text:?})")))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    #[serde(default)]
    pub sms: SmsSettings,
    pub telnyx: TelnyxSettings,
    pub otp: OtpSettings,
    pub phone: PhoneSettings,
    pub limits: LimitSettings,
    pub store: StoreSettings,
}

/// Where verifications and limit counts live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// In this process: the default, for one instance.
    Memory,
    /// In Redis (or Valkey), shared by every instance.
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    pub backend: Backend,
    /// `redis://host:6379/0`, or `rediss://` for TLS. May hold a password.
    pub redis_url: Option<SecretString>,
    /// Put before every key, so several apps can share one Redis.
    pub key_prefix: String,
    /// At start, keep trying an unreachable Redis this long (0: fail at once).
    pub wait_for_redis_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: String,
    /// Where users reach the app, e.g. `https://verify.example.com`.
    pub public_url: Option<String>,
    /// Base64 of at least 32 random bytes; encrypts cookies and keys code HMACs.
    pub cookie_key: Option<SecretString>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy).
    pub trust_forwarded_for: bool,
    /// Time a client gets to send its request headers, and again its body.
    pub client_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub resend_cooldown_secs: u64,
    pub sends_per_phone_per_hour: u32,
    pub sends_per_ip_per_hour: u32,
    pub max_pending: usize,
    pub verify_failures_per_ip_per_hour: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    /// Texts codes through Telnyx's Messages API.
    Telnyx,
    /// Writes codes to the log instead: for development only.
    Console,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// Unset means: Telnyx when an API key is configured, else the console.
    pub provider: Option<SmsProvider>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelnyxSettings {
    pub api_key: Option<SecretString>,
    pub from_number: Option<String>,
    pub messaging_profile_id: Option<String>,
    pub api_base: String,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSettings {
    pub length: usize,
    pub alphabet: Alphabet,
    pub ttl_secs: u64,
    pub max_attempts: u32,
    /// End the SMS with `@host #code` for WebOTP and keyboard autofill.
    pub webotp: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneSettings {
    pub country_code: String,
    /// ISO country codes (`US`), or `*` for every country.
    #[serde(deserialize_with = "comma_list")]
    pub allowed_countries: Vec<String>,
}

/// A list from TOML (`["US", "CA"]`) or from the environment (`US,CA`).
fn comma_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Items(Vec<String>),
        Text(String),
    }
    Ok(match List::deserialize(deserializer)? {
        List::Items(items) => items,
        List::Text(text) => text
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    })
}

/// Every default, as (key, value); `config.example.toml` documents the same.
const DEFAULTS: &[(&str, &str)] = &[
    ("server.listen", "127.0.0.1:3000"),
    ("server.trust_forwarded_for", "false"),
    ("server.client_timeout_secs", "10"),
    ("telnyx.api_base", "https://api.telnyx.com"),
    ("telnyx.timeout_secs", "10"),
    ("otp.length", "6"),
    ("otp.alphabet", "digits"),
    ("otp.ttl_secs", "600"),
    ("otp.max_attempts", "5"),
    ("otp.webotp", "true"),
    ("phone.country_code", "+1"),
    ("phone.allowed_countries", "US,CA"),
    ("limits.resend_cooldown_secs", "30"),
    ("limits.sends_per_phone_per_hour", "5"),
    ("limits.sends_per_ip_per_hour", "20"),
    ("limits.max_pending", "100000"),
    ("limits.verify_failures_per_ip_per_hour", "100"),
    ("store.backend", "memory"),
    ("store.key_prefix", "twofa:"),
    ("store.wait_for_redis_secs", "0"),
];

impl Settings {
    /// Reads and checks the settings from `file` and the environment `env`
    /// (passed in, rather than read here, so tests can give their own).
    pub fn load(file: ConfigFile, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder();
        for (key, value) in DEFAULTS {
            builder = builder.set_default(*key, *value)?;
        }
        builder = match file {
            ConfigFile::Required(path) => {
                builder.add_source(File::from(path).format(FileFormat::Toml))
            }
            ConfigFile::IfPresent(path) => {
                builder.add_source(File::from(path).format(FileFormat::Toml).required(false))
            }
            ConfigFile::None => builder,
        };
        let mut env = env.clone();
        // `TWOFA_CONFIG` names the file; it is not a setting.
        env.remove("TWOFA_CONFIG");
        if !env.contains_key("TWOFA_TELNYX__API_KEY")
            && let Some(key) = env.get("TELNYX_API_KEY").cloned()
        {
            env.insert("TWOFA_TELNYX__API_KEY".into(), key);
        }
        builder = builder.add_source(
            Environment::with_prefix("TWOFA")
                .prefix_separator("_")
                .separator("__")
                .source(Some(env.into_iter().collect())),
        );
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), SettingsError> {
        self.server.listen.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "server.listen",
                format!(
                    "must be an address such as 127.0.0.1:3000 (got {:?})",
                    self.server.listen
                ),
            )
        })?;
        let length = self.otp.length;
        if !CodeFormat::LENGTHS.contains(&length) {
            return Err(invalid(
                "otp.length",
                format!("must be between 4 and 10 (got {length})"),
            ));
        }
        let limits = &self.limits;
        for (key, value) in [
            ("otp.ttl_secs", self.otp.ttl_secs),
            ("otp.max_attempts", u64::from(self.otp.max_attempts)),
            ("telnyx.timeout_secs", self.telnyx.timeout_secs),
            (
                "server.client_timeout_secs",
                self.server.client_timeout_secs,
            ),
            (
                "limits.sends_per_phone_per_hour",
                u64::from(limits.sends_per_phone_per_hour),
            ),
            (
                "limits.sends_per_ip_per_hour",
                u64::from(limits.sends_per_ip_per_hour),
            ),
            ("limits.max_pending", limits.max_pending as u64),
            (
                "limits.verify_failures_per_ip_per_hour",
                u64::from(limits.verify_failures_per_ip_per_hour),
            ),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        self.default_country()?;
        self.country_policy()?;
        self.cookie_key()?;
        self.public_url()?;
        http_url("telnyx.api_base", &self.telnyx.api_base)?;
        if self.store.backend == Backend::Redis {
            let url = self.store.redis_url.as_ref().ok_or_else(|| {
                invalid(
                    "store.redis_url",
                    "is required when store.backend is \"redis\"",
                )
            })?;
            // The URL may carry a password: say what is wrong, not what it is.
            redis::Client::open(url.expose_secret()).map_err(|_| {
                invalid(
                    "store.redis_url",
                    "must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0",
                )
            })?;
        }
        if self.sms_provider() == SmsProvider::Telnyx {
            if self.telnyx.api_key.is_none() {
                return Err(invalid(
                    "telnyx.api_key",
                    "is required when sms.provider is \"telnyx\" (set TWOFA_TELNYX__API_KEY or TELNYX_API_KEY)",
                ));
            }
            if self.telnyx.from_number.is_none() && self.telnyx.messaging_profile_id.is_none() {
                return Err(invalid(
                    "telnyx.from_number",
                    "or telnyx.messaging_profile_id is required when sms.provider is \"telnyx\"",
                ));
            }
        }
        Ok(())
    }

    /// The configured cookie key, or `None` when a random one must be made.
    pub fn cookie_key(&self) -> Result<Option<Key>, SettingsError> {
        let Some(encoded) = &self.server.cookie_key else {
            return Ok(None);
        };
        let problem = |detail: String| {
            invalid(
                "server.cookie_key",
                format!(
                    "must be base64 of at least 32 random bytes, e.g. from `openssl rand -base64 64` ({detail})"
                ),
            )
        };
        let bytes = STANDARD
            .decode(encoded.expose_secret().trim())
            .map_err(|_| problem("not base64".into()))?;
        match bytes.len() {
            64.. => Key::try_from(bytes.as_slice())
                .map(Some)
                .map_err(|_| problem("unusable".into())),
            32.. => Ok(Some(Key::derive_from(&bytes))),
            n => Err(problem(format!("got {n} bytes"))),
        }
    }

    /// `server.public_url`, checked to be an http(s) URL.
    pub fn public_url(&self) -> Result<Option<Url>, SettingsError> {
        self.server
            .public_url
            .as_deref()
            .map(|url| http_url("server.public_url", url))
            .transpose()
    }

    pub fn country_policy(&self) -> Result<CountryPolicy, SettingsError> {
        CountryPolicy::parse(&self.phone.allowed_countries)
            .map_err(|problem| invalid("phone.allowed_countries", problem))
    }

    pub fn redis_wait(&self) -> Duration {
        Duration::from_secs(self.store.wait_for_redis_secs)
    }

    pub fn client_timeout(&self) -> Duration {
        Duration::from_secs(self.server.client_timeout_secs)
    }

    /// The provider in use: the configured one, else Telnyx when an API key
    /// is set, else the console.
    pub fn sms_provider(&self) -> SmsProvider {
        match (self.sms.provider, &self.telnyx.api_key) {
            (Some(provider), _) => provider,
            (None, Some(_)) => SmsProvider::Telnyx,
            (None, None) => SmsProvider::Console,
        }
    }

    pub fn listen_address(&self) -> SocketAddr {
        // Checked in `load`; the fallback only keeps this total.
        self.server
            .listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 3000)))
    }

    pub fn default_country(&self) -> Result<DefaultCountry, SettingsError> {
        self.phone
            .country_code
            .parse()
            .map_err(|problem| invalid("phone.country_code", problem))
    }

    pub fn code_format(&self) -> CodeFormat {
        CodeFormat {
            alphabet: self.otp.alphabet,
            length: self.otp.length,
        }
    }

    pub fn code_ttl(&self) -> Duration {
        Duration::from_secs(self.otp.ttl_secs)
    }

    pub fn telnyx_timeout(&self) -> Duration {
        Duration::from_secs(self.telnyx.timeout_secs)
    }

    /// Things that work but that an operator should hear about at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.sms_provider() == SmsProvider::Console {
            warnings.push(
                "SMS PROVIDER IS \"console\": codes are written to this log, NOT texted. \
                 Set TWOFA_TELNYX__API_KEY and TWOFA_TELNYX__FROM_NUMBER to send real SMS."
                    .to_owned(),
            );
        }
        if self.server.cookie_key.is_none() && self.store.backend == Backend::Redis {
            warnings.push(
                "store.backend is \"redis\" but server.cookie_key is not set: each instance makes its \
                 own key, so a browser's cookie works only on the instance that set it. Give every \
                 instance the same TWOFA_SERVER__COOKIE_KEY."
                    .to_owned(),
            );
        } else if self.server.cookie_key.is_none() {
            warnings.push(
                "server.cookie_key is not set: using a random key, so a restart ends every pending \
                 verification. Set TWOFA_SERVER__COOKIE_KEY to the output of `openssl rand -base64 64`."
                    .to_owned(),
            );
        }
        if self.otp.webotp && self.server.public_url.is_none() {
            warnings.push(
                "server.public_url is not set: the SMS's origin-bound line (@host #code) names the \
                 Host each request came with. Set server.public_url to the address users see."
                    .to_owned(),
            );
        }
        if self.phone.allowed_countries.iter().any(|c| c == "*") {
            warnings.push(
                "phone.allowed_countries is \"*\": codes can be sent to every country, \
                 the widest opening for SMS-pumping fraud"
                    .to_owned(),
            );
        }
        let format = self.code_format();
        if format.is_weak() {
            warnings.push(format!(
                "otp.length {} with the {:?} alphabet gives only {} possible codes, \
                 under the 1,000,000 (about 20 bits) NIST SP 800-63B asks for",
                format.length,
                format.alphabet,
                format.code_space()
            ));
        }
        if self.otp.ttl_secs > 600 {
            warnings.push(format!(
                "otp.ttl_secs is {}: NIST SP 800-63B and OWASP ASVS ask for codes to expire within 600",
                self.otp.ttl_secs
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(ConfigFile::None, &env)
    }

    fn error(env: &[(&str, &str)]) -> String {
        match load(env) {
            Ok(_) => panic!("{env:?} should be refused"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn with_nothing_configured_the_defaults_use_the_console() {
        let settings = load(&[]).expect("defaults are valid");
        assert_eq!(settings.listen_address().to_string(), "127.0.0.1:3000");
        assert_eq!(settings.sms_provider(), SmsProvider::Console);
        assert_eq!(settings.otp.length, 6);
        assert_eq!(settings.otp.alphabet, Alphabet::Digits);
        assert_eq!(settings.otp.ttl_secs, 600);
        assert_eq!(settings.otp.max_attempts, 5);
        assert_eq!(settings.telnyx.api_base, "https://api.telnyx.com");
        assert_eq!(settings.telnyx_timeout(), Duration::from_secs(10));
        assert_eq!(settings.phone.country_code, "+1");
        assert!(settings.warnings().iter().any(|w| w.contains("NOT texted")));
    }

    #[test]
    fn environment_variables_override_defaults() {
        let settings = load(&[
            ("TWOFA_SERVER__LISTEN", "0.0.0.0:8080"),
            ("TWOFA_OTP__LENGTH", "8"),
            ("TWOFA_OTP__ALPHABET", "hex"),
            ("TWOFA_PHONE__COUNTRY_CODE", "+44"),
        ])
        .expect("valid");
        assert_eq!(settings.listen_address().to_string(), "0.0.0.0:8080");
        assert_eq!(settings.otp.length, 8);
        assert_eq!(settings.otp.alphabet, Alphabet::Hex);
        assert_eq!(settings.default_country().map(|c| c.code()).ok(), Some(44));
    }

    #[test]
    fn an_api_key_alone_selects_telnyx_and_needs_a_sender() {
        let problem = error(&[("TWOFA_TELNYX__API_KEY", "KEY")]);
        assert!(
            problem.starts_with("telnyx.from_number or telnyx.messaging_profile_id is required"),
            "{problem}"
        );
        let settings = load(&[
            ("TWOFA_TELNYX__API_KEY", "KEY"),
            ("TWOFA_TELNYX__FROM_NUMBER", "+15550001111"),
            ("TWOFA_SERVER__COOKIE_KEY", &STANDARD.encode([7u8; 64])),
            ("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com"),
        ])
        .expect("valid");
        assert_eq!(settings.sms_provider(), SmsProvider::Telnyx);
        assert!(settings.warnings().is_empty(), "{:?}", settings.warnings());
    }

    #[test]
    fn telnyx_api_key_is_honoured_but_twofa_wins() {
        let settings = load(&[
            ("TELNYX_API_KEY", "plain"),
            ("TWOFA_TELNYX__MESSAGING_PROFILE_ID", "p"),
        ])
        .expect("valid");
        assert_eq!(
            settings
                .telnyx
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_owned()),
            Some("plain".into())
        );
        let settings = load(&[
            ("TELNYX_API_KEY", "plain"),
            ("TWOFA_TELNYX__API_KEY", "prefixed"),
            ("TWOFA_TELNYX__MESSAGING_PROFILE_ID", "p"),
        ])
        .expect("valid");
        assert_eq!(
            settings
                .telnyx
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_owned()),
            Some("prefixed".into())
        );
    }

    #[test]
    fn the_telnyx_provider_without_a_key_is_refused() {
        let problem = error(&[("TWOFA_SMS__PROVIDER", "telnyx")]);
        assert!(
            problem.starts_with("telnyx.api_key is required"),
            "{problem}"
        );
    }

    #[test]
    fn bad_values_are_named_in_one_line() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("TWOFA_OTP__LENGTH", "42")],
                "otp.length must be between 4 and 10 (got 42)",
            ),
            (
                &[("TWOFA_OTP__LENGTH", "3")],
                "otp.length must be between 4 and 10 (got 3)",
            ),
            (
                &[("TWOFA_OTP__TTL_SECS", "0")],
                "otp.ttl_secs must be at least 1",
            ),
            (
                &[("TWOFA_OTP__MAX_ATTEMPTS", "0")],
                "otp.max_attempts must be at least 1",
            ),
            (
                &[("TWOFA_TELNYX__TIMEOUT_SECS", "0")],
                "telnyx.timeout_secs must be at least 1",
            ),
            (
                &[("TWOFA_SERVER__LISTEN", "localhost")],
                "server.listen must be an address",
            ),
            (
                &[("TWOFA_PHONE__COUNTRY_CODE", "1")],
                "phone.country_code must be a calling code",
            ),
            (
                &[("TWOFA_TELNYX__API_BASE", "ftp://x")],
                "telnyx.api_base must be an http(s) URL",
            ),
        ];
        for (env, expected) in cases {
            let problem = error(env);
            assert!(
                problem.starts_with(expected),
                "{problem:?} should start with {expected:?}"
            );
            assert!(!problem.contains('\n'));
        }
    }

    #[test]
    fn values_of_the_wrong_type_or_unknown_names_are_refused_with_their_key() {
        for (env, key) in [
            (("TWOFA_OTP__LENGTH", "six"), "otp.length"),
            (("TWOFA_OTP__ALPHABET", "emoji"), "otp.alphabet"),
            (("TWOFA_SMS__PROVIDER", "pigeon"), "sms.provider"),
            (("TWOFA_OTP__LENGHT", "6"), "lenght"),
        ] {
            let problem = error(&[env]);
            assert!(problem.contains(key), "{problem:?} should name {key}");
        }
    }

    #[test]
    fn the_limits_default_to_the_documented_figures() {
        let settings = load(&[]).expect("defaults are valid");
        let limits = &settings.limits;
        assert_eq!(limits.resend_cooldown_secs, 30);
        assert_eq!(limits.sends_per_phone_per_hour, 5);
        assert_eq!(limits.sends_per_ip_per_hour, 20);
        assert_eq!(limits.max_pending, 100_000);
        assert_eq!(limits.verify_failures_per_ip_per_hour, 100);
        assert_eq!(settings.phone.allowed_countries, ["US", "CA"]);
        assert!(!settings.server.trust_forwarded_for);
        assert!(
            settings
                .warnings()
                .iter()
                .any(|w| w.contains("server.cookie_key is not set"))
        );
    }

    #[test]
    fn lists_can_be_given_as_comma_separated_environment_values() {
        let settings = load(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "US, CA,GB")]).expect("valid");
        assert_eq!(settings.phone.allowed_countries, ["US", "CA", "GB"]);
        let settings = load(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "*")]).expect("valid");
        assert!(
            settings
                .warnings()
                .iter()
                .any(|w| w.contains("every country"))
        );
        let problem = error(&[("TWOFA_PHONE__ALLOWED_COUNTRIES", "US,Narnia")]);
        assert!(
            problem.starts_with("phone.allowed_countries must be ISO country codes"),
            "{problem}"
        );
    }

    #[test]
    fn a_cookie_key_must_be_base64_of_at_least_32_bytes() {
        for good in [
            STANDARD.encode([1u8; 32]),
            STANDARD.encode([1u8; 64]),
            STANDARD.encode([1u8; 100]),
        ] {
            let settings = load(&[("TWOFA_SERVER__COOKIE_KEY", &good)]).expect("valid");
            assert!(matches!(settings.cookie_key(), Ok(Some(_))));
        }
        for (bad, detail) in [
            ("not base64!", "not base64"),
            (&*STANDARD.encode([1u8; 16]), "got 16 bytes"),
        ] {
            let problem = error(&[("TWOFA_SERVER__COOKIE_KEY", bad)]);
            assert!(
                problem.starts_with("server.cookie_key must be base64"),
                "{problem}"
            );
            assert!(problem.contains(detail), "{problem}");
            assert!(
                !problem.contains(bad) || bad == "not base64!",
                "the key itself is not echoed"
            );
        }
    }

    #[test]
    fn limits_of_zero_are_refused_except_the_cooldown() {
        for key in [
            "TWOFA_LIMITS__SENDS_PER_PHONE_PER_HOUR",
            "TWOFA_LIMITS__SENDS_PER_IP_PER_HOUR",
            "TWOFA_LIMITS__MAX_PENDING",
            "TWOFA_LIMITS__VERIFY_FAILURES_PER_IP_PER_HOUR",
        ] {
            assert!(
                error(&[(key, "0")]).ends_with("must be at least 1"),
                "{key}"
            );
        }
        assert!(load(&[("TWOFA_LIMITS__RESEND_COOLDOWN_SECS", "0")]).is_ok());
    }

    #[test]
    fn the_redis_backend_needs_a_usable_url_and_warns_without_a_cookie_key() {
        let settings = load(&[]).expect("defaults");
        assert_eq!(settings.store.backend, Backend::Memory);
        assert_eq!(settings.store.key_prefix, "twofa:");
        let problem = error(&[("TWOFA_STORE__BACKEND", "redis")]);
        assert!(
            problem.starts_with("store.redis_url is required"),
            "{problem}"
        );
        let problem = error(&[
            ("TWOFA_STORE__BACKEND", "redis"),
            ("TWOFA_STORE__REDIS_URL", "http://user:hunter2@x"),
        ]);
        assert!(
            problem.starts_with("store.redis_url must be a redis://"),
            "{problem}"
        );
        assert!(!problem.contains("hunter2"), "{problem}");
        let settings = load(&[
            ("TWOFA_STORE__BACKEND", "redis"),
            ("TWOFA_STORE__REDIS_URL", "redis://127.0.0.1:6379/0"),
        ])
        .expect("valid");
        assert!(
            settings
                .warnings()
                .iter()
                .any(|w| w.contains("works only on the instance that set it"))
        );
    }

    #[test]
    fn a_public_url_must_be_http_or_https() {
        assert!(load(&[("TWOFA_SERVER__PUBLIC_URL", "https://verify.example.com")]).is_ok());
        let problem = error(&[("TWOFA_SERVER__PUBLIC_URL", "verify.example.com")]);
        assert!(
            problem.starts_with("server.public_url must be an http(s) URL"),
            "{problem}"
        );
    }

    #[test]
    fn a_weak_code_is_allowed_with_a_warning() {
        let settings =
            load(&[("TWOFA_OTP__LENGTH", "4"), ("TWOFA_OTP__ALPHABET", "hex")]).expect("valid");
        assert!(
            settings
                .warnings()
                .iter()
                .any(|w| w.contains("65536 possible codes"))
        );
    }

    #[test]
    fn a_config_file_is_read_and_the_environment_wins_over_it() {
        let dir = std::env::temp_dir().join(format!("twofa-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("config.toml");
        std::fs::write(&path, "[otp]\nlength = 8\nttl_secs = 300\n").expect("write");
        let env = HashMap::from([("TWOFA_OTP__LENGTH".to_owned(), "7".to_owned())]);
        let settings = Settings::load(ConfigFile::Required(path.clone()), &env).expect("valid");
        assert_eq!((settings.otp.length, settings.otp.ttl_secs), (7, 300));
        let missing = Settings::load(ConfigFile::Required(dir.join("nope.toml")), &HashMap::new());
        assert!(missing.is_err());
        let absent = Settings::load(
            ConfigFile::IfPresent(dir.join("nope.toml")),
            &HashMap::new(),
        );
        assert!(absent.is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_example_config_file_is_valid_and_matches_the_defaults() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let settings =
            Settings::load(ConfigFile::Required(path), &HashMap::new()).expect("example is valid");
        assert_eq!(settings.otp.length, 6);
        assert_eq!(settings.sms_provider(), SmsProvider::Console);
    }
}
