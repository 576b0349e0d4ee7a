//! Settings, layered: built-in defaults, then a TOML file, then `TWOFA_*`
//! environment variables (`TWOFA_OTP__LENGTH` sets `otp.length`).
//!
//! `Settings::load` is the only way to get a `Settings`. It merges the layers
//! (`layers`), deserializes them into `raw::RawSettings` (unknown sections
//! and keys are refused), then converts that once into typed values
//! (`TryFrom`): addresses, URLs, keys, durations, country rules. Nothing else
//! in the app reads a setting as text, and nothing falls back silently. A
//! bad value is reported as one line naming its key and where it came from.

mod keys;
mod layers;
mod raw;

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use url::Url;

pub use keys::{KEYS, Key, Kind, env_name};
use layers::Layers;
use raw::RawSettings;

use crate::i18n::{Language, Languages};
use crate::otp::{Alphabet, CodeFormat};
use crate::phone::{CountryPolicy, DefaultCountry, PhoneRules};
use crate::signing::SigningKey;

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

/// Settings that cannot be used, as one line: `otp.length must be ...`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

/// What the typed conversion found wrong with one key.
#[derive(Debug)]
pub struct Invalid {
    key: String,
    problem: String,
    /// Show the value as written, and where it came from.
    quote: bool,
}

impl Invalid {
    /// `key` has a value that will not do: the message quotes it.
    fn value(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
            quote: true,
        }
    }

    /// `key` is missing or clashes with another: nothing to quote.
    fn plain(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
            quote: false,
        }
    }
}

/// Every setting, typed.
#[derive(Debug)]
pub struct Settings {
    pub server: ServerSettings,
    pub sms: SmsSettings,
    pub otp: OtpSettings,
    pub phone: PhoneRules,
    pub limits: LimitSettings,
    pub store: StoreSettings,
    pub oidc: OidcSettings,
    pub api: ApiSettings,
    pub pumping: PumpingSettings,
    pub log_format: LogFormat,
    pub webhooks: WebhookSettings,
    pub branding: Branding,
    /// The languages offered and the default: `[i18n]`.
    pub languages: Languages,
    warnings: Vec<String>,
}

/// How the service names itself: `[branding]`.
#[derive(Debug, Clone, Default)]
pub struct Branding {
    /// In every page's header, and the SMS's sender: "Your Acme
    /// verification code is 123456". Unset: the pages say
    /// "Phone verification" and the SMS names no one.
    pub name: Option<String>,
    /// Linked from the error pages.
    pub support_url: Option<Url>,
}

impl Branding {
    pub const DEFAULT_NAME: &str = "Phone verification";
    /// Long enough for a company's name, short enough that the SMS keeps to
    /// one segment with a 10-character code and a 30-character host.
    pub const MAX_NAME_CHARS: usize = 40;

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(Self::DEFAULT_NAME)
    }
}

/// The SMS-pumping breaker: a destination (a number's prefix, or its
/// country) sent many codes that are rarely verified is blocked a while.
#[derive(Debug, Clone)]
pub struct PumpingSettings {
    pub enabled: bool,
    /// Sends and verifications are counted over this sliding window.
    pub window: Duration,
    /// Sends a prefix needs before its conversion is judged; a country
    /// needs ten times as many.
    pub min_sends: u32,
    /// Verified ÷ sent below this, past `min_sends`, blocks.
    pub min_conversion: f64,
    pub block: Duration,
    /// Prefixes (`+1201555`) and countries (`US`, `001`) never blocked.
    pub exempt: Vec<String>,
}

/// The Verify API: on when at least one key is configured.
#[derive(Debug)]
pub struct ApiSettings {
    /// Bearer keys allowed to call `/v2`.
    pub keys: Vec<SecretString>,
    /// Never empty: without `[verify_profiles]`, one called `default`
    /// made of `[otp]` and `[phone]`.
    pub profiles: Vec<VerifyProfileSettings>,
}

/// A Verify API profile: the rules of the verifications made under it.
#[derive(Debug, Clone)]
pub struct VerifyProfileSettings {
    /// The table's name: the `verify_profile_id`.
    pub id: String,
    pub name: String,
    /// Names the sender in the SMS: "Your {app_name} verification code is ...".
    pub app_name: Option<String>,
    /// The SMS's language: the closest in `locales/` to the one given.
    pub language: Option<Language>,
    /// Digits per code.
    pub code_length: usize,
    pub timeout: Duration,
    /// The countries codes may go to, as ISO codes (`*` for all).
    pub whitelisted_destinations: Vec<String>,
    pub countries: CountryPolicy,
    /// Where `verify.sent`, `verify.delivered` and `verify.failed` go.
    pub webhook_url: Option<Url>,
}

#[derive(Debug)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Where users reach the app, e.g. `https://verify.example.com`.
    pub public_url: Option<Url>,
    /// The secrets every other key is derived from: the first encrypts and
    /// keys new codes, all decrypt and check. Empty: make one per start.
    pub master_keys: Vec<SecretSlice<u8>>,
    /// Whose `X-Forwarded-For` entries are believed.
    pub forwarded_for: ForwardedFor,
    /// Time a client gets to send its request headers, and again its body.
    pub client_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Where `/metrics` is served, apart from the public listener; `None`: nowhere.
    pub admin_listen: Option<SocketAddr>,
    /// On SIGTERM or Ctrl-C, how long requests in flight may finish.
    pub shutdown_grace: Duration,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people: one line of text per event.
    Text,
    /// For collectors: one JSON object per line.
    Json,
}

/// Which proxies' `X-Forwarded-For` entries name the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardedFor {
    /// No proxy: the connection's peer is the client.
    Ignored,
    /// The peer is the one trusted proxy: its last entry is the client.
    FromPeer,
    /// Peers and hops in these networks are proxies: walking the entries
    /// from the right, the first outside them is the client.
    Through(Vec<ipnet::IpNet>),
}

impl ServerSettings {
    /// Served over https: cookies are `Secure` and `__Host-` prefixed.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }
}

/// Where codes go.
#[derive(Debug)]
pub enum SmsSettings {
    /// Telnyx's Messages API.
    Telnyx(TelnyxSettings),
    /// The log: for development only.
    Console,
}

#[derive(Debug)]
pub struct TelnyxSettings {
    pub api_key: SecretString,
    pub from_number: Option<String>,
    pub messaging_profile_id: Option<String>,
    /// `https://api.telnyx.com`, or a mock.
    pub api_base: Url,
    pub timeout: Duration,
    /// Delivery receipts, when `telnyx.public_key` is set.
    pub receipts: Option<Box<Receipts>>,
}

/// Telnyx's delivery receipts: where it is asked to send them, and the key
/// that signs them.
#[derive(Debug, Clone)]
pub struct Receipts {
    /// `{server.public_url}/webhooks/telnyx`.
    pub url: Url,
    /// The account's Ed25519 public key, from the Telnyx portal.
    pub public_key: ed25519_dalek::VerifyingKey,
}

/// The events this app sends to Verify API profiles' `webhook_url`s.
#[derive(Debug)]
pub struct WebhookSettings {
    /// Signs them, Telnyx's way; `None`: a new key per start.
    pub signing_key: Option<ed25519_dalek::SigningKey>,
}

#[derive(Debug, Clone)]
pub struct OtpSettings {
    pub format: CodeFormat,
    pub ttl: Duration,
    pub max_attempts: u32,
    /// End the SMS with `@host #code` for WebOTP and keyboard autofill.
    pub webotp: bool,
}

#[derive(Debug, Clone)]
pub struct LimitSettings {
    pub resend_cooldown: Duration,
    pub sends_per_phone_per_hour: u32,
    pub sends_per_ip_per_hour: u32,
    /// Per IPv4 /24 and IPv6 /48.
    pub sends_per_network_per_hour: u32,
    /// Every SMS of the service, all instances together.
    pub sms_per_hour: u32,
    pub max_pending: usize,
    pub verify_failures_per_ip_per_hour: u32,
    pub sends_per_api_key_per_hour: u32,
}

/// Where verifications and limit counts live.
#[derive(Debug)]
pub enum StoreSettings {
    /// In this process: the default, for one instance.
    Memory,
    /// In Redis (or Valkey), shared by every instance.
    Redis(RedisSettings),
}

#[derive(Debug)]
pub struct RedisSettings {
    /// Where the primary is.
    pub target: RedisTarget,
    /// Put before every key, so several apps can share one Redis.
    pub key_prefix: String,
    /// At start, keep trying an unreachable Redis this long (zero: fail at once).
    pub wait: Duration,
}

/// The OpenID Connect provider: on when at least one client is registered.
#[derive(Debug)]
pub struct OidcSettings {
    /// `None`: a new key each start (with a warning).
    pub signing_key: Option<SigningKey>,
    pub id_token_ttl: Duration,
    pub clients: Vec<OidcClient>,
}

/// A relying party allowed to ask for a verified phone number.
#[derive(Debug)]
pub struct OidcClient {
    /// The table's name.
    pub id: String,
    /// Shown on the pages: "{name} wants to confirm your phone number".
    pub name: String,
    /// `None`: a public client, which must use PKCE.
    pub secret: Option<SecretString>,
    /// Compared exactly, character for character.
    pub redirect_uris: Vec<String>,
}

impl Settings {
    /// Reads and checks the settings from `file` and the environment `env`
    /// (passed in, rather than read here, so tests can give their own).
    pub fn load(file: ConfigFile, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let layers = Layers::read(file, env)?;
        let raw: RawSettings = serde_path_to_error::deserialize(toml::Value::Table(
            layers.table.clone(),
        ))
        .map_err(|error| SettingsError(format!("{}: {}", error.path(), error.inner().message())))?;
        Settings::try_from(raw).map_err(|invalid| {
            let origin = layers.origin(&invalid.key);
            let line = match layers.written(&invalid.key) {
                Some(_) if !invalid.quote => format!("{} {}", invalid.key, invalid.problem),
                Some(_) if is_secret(&invalid.key) => {
                    format!("{} {} (set {origin})", invalid.key, invalid.problem)
                }
                Some(written) => {
                    format!(
                        "{} {} (got {written} {origin})",
                        invalid.key, invalid.problem
                    )
                }
                None => format!("{} {}", invalid.key, invalid.problem),
            };
            SettingsError(line)
        })
    }

    /// Things that work but that an operator should hear about at start.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

fn is_secret(key: &str) -> bool {
    let segments: Vec<&str> = key.split('.').collect();
    keys::find(&segments).is_some_and(|k| matches!(k.kind, Kind::Secret | Kind::SecretList))
}

impl TryFrom<RawSettings> for Settings {
    type Error = Invalid;

    fn try_from(raw: RawSettings) -> Result<Self, Invalid> {
        let server = ServerSettings {
            listen: listen_address("server.listen", &raw.server.listen, 3000)?,
            public_url: raw
                .server
                .public_url
                .as_deref()
                .map(|url| http_url("server.public_url", url))
                .transpose()?,
            master_keys: master_keys(raw.server.cookie_key, raw.server.cookie_keys)?,
            forwarded_for: forwarded_for(
                raw.server.trust_forwarded_for,
                raw.server.trusted_proxies.unwrap_or_default(),
            )?,
            // A slow client should not hold a connection for over an hour.
            client_timeout: seconds_within(
                "server.client_timeout_secs",
                raw.server.client_timeout_secs,
                1,
                3600,
            )?,
            max_connections: usize::try_from(count(
                "server.max_connections",
                raw.server.max_connections,
            )?)
            .unwrap_or(usize::MAX),
            admin_listen: raw
                .server
                .admin_listen
                .as_deref()
                .map(|text| listen_address("server.admin_listen", text, 9100))
                .transpose()?,
            shutdown_grace: seconds(
                "server.shutdown_grace_secs",
                raw.server.shutdown_grace_secs,
                0,
            )?,
        };
        let otp = OtpSettings {
            format: CodeFormat {
                alphabet: one_of(
                    "otp.alphabet",
                    &raw.otp.alphabet,
                    &[("digits", Alphabet::Digits), ("hex", Alphabet::Hex)],
                )?,
                length: code_length(raw.otp.length)?,
            },
            ttl: seconds("otp.ttl_secs", raw.otp.ttl_secs, 1)?,
            max_attempts: count("otp.max_attempts", raw.otp.max_attempts)?,
            webotp: raw.otp.webotp,
        };
        let phone = PhoneRules {
            default_country: raw
                .phone
                .country_code
                .parse::<DefaultCountry>()
                .map_err(|problem| Invalid::value("phone.country_code", problem))?,
            countries: CountryPolicy::parse(&raw.phone.allowed_countries)
                .map_err(|problem| Invalid::value("phone.allowed_countries", problem))?,
        };
        let limits = &raw.limits;
        let limits = LimitSettings {
            resend_cooldown: seconds(
                "limits.resend_cooldown_secs",
                limits.resend_cooldown_secs,
                0,
            )?,
            sends_per_phone_per_hour: count(
                "limits.sends_per_phone_per_hour",
                limits.sends_per_phone_per_hour,
            )?,
            sends_per_ip_per_hour: count(
                "limits.sends_per_ip_per_hour",
                limits.sends_per_ip_per_hour,
            )?,
            sends_per_network_per_hour: count(
                "limits.sends_per_network_per_hour",
                limits.sends_per_network_per_hour,
            )?,
            sms_per_hour: count("limits.sms_per_hour", limits.sms_per_hour)?,
            max_pending: usize::try_from(count("limits.max_pending", limits.max_pending)?)
                .unwrap_or(usize::MAX),
            verify_failures_per_ip_per_hour: count(
                "limits.verify_failures_per_ip_per_hour",
                limits.verify_failures_per_ip_per_hour,
            )?,
            sends_per_api_key_per_hour: count(
                "limits.sends_per_api_key_per_hour",
                limits.sends_per_api_key_per_hour,
            )?,
        };
        let store = store_settings(raw.store)?;
        let sms = sms_settings(
            raw.sms,
            raw.telnyx,
            server.listen,
            server.public_url.as_ref(),
        )?;
        let webhooks = webhook_settings(raw.webhooks)?;
        let branding = branding_settings(raw.branding)?;
        let languages = language_settings(&raw.i18n)?;
        let pumping = pumping_settings(raw.pumping)?;
        let log_format = one_of(
            "log.format",
            &raw.log.format,
            &[("text", LogFormat::Text), ("json", LogFormat::Json)],
        )?;
        let oidc = oidc_settings(raw.oidc)?;
        let api = api_settings(
            raw.api,
            raw.verify_profiles,
            &otp,
            &raw.phone.allowed_countries,
            &languages,
        )?;
        if !oidc.clients.is_empty() && server.public_url.is_none() {
            return Err(Invalid::plain(
                "server.public_url",
                "is required when oidc clients are registered: it is the issuer they trust",
            ));
        }
        let mut settings = Settings {
            server,
            sms,
            otp,
            phone,
            limits,
            store,
            oidc,
            api,
            pumping,
            log_format,
            webhooks,
            branding,
            languages,
            warnings: Vec::new(),
        };
        settings.warnings = warnings(&settings);
        Ok(settings)
    }
}

fn http_url(key: &str, text: &str) -> Result<Url, Invalid> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .ok_or_else(|| {
            Invalid::value(
                key,
                "must be an http(s) URL such as https://verify.example.com",
            )
        })
}

/// Case does not matter: `Digits`, `HEX` and `telnyx` are all fine.
fn one_of<T: Copy>(key: &'static str, text: &str, choices: &[(&str, T)]) -> Result<T, Invalid> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            let list = match names.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            };
            Invalid::value(key, format!("must be {list}"))
        })
}

/// A year: the longest any duration may be. Every duration is added to a
/// clock or turned into microseconds somewhere (hyper's header deadline,
/// the limits' arithmetic), where a value near `u64::MAX` seconds
/// overflows: a panic on every connection, or a cooldown that no longer
/// holds.
const LONGEST_SECS: u64 = 365 * 24 * 60 * 60;

/// A duration in seconds, from `least` up to a year.
fn seconds(key: &'static str, secs: u64, least: u64) -> Result<Duration, Invalid> {
    seconds_within(key, secs, least, LONGEST_SECS)
}

fn seconds_within(
    key: &'static str,
    secs: u64,
    least: u64,
    most: u64,
) -> Result<Duration, Invalid> {
    if secs < least {
        return Err(Invalid::value(key, format!("must be at least {least}")));
    }
    if secs > most {
        return Err(Invalid::value(key, format!("must be at most {most}")));
    }
    Ok(Duration::from_secs(secs))
}

/// A count of things, from 1 up.
fn count(key: &'static str, n: u64) -> Result<u32, Invalid> {
    match u32::try_from(n) {
        Ok(0) => Err(Invalid::value(key, "must be at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(Invalid::value(key, format!("must be at most {}", u32::MAX))),
    }
}

fn code_length(length: u64) -> Result<usize, Invalid> {
    usize::try_from(length)
        .ok()
        .filter(|length| CodeFormat::LENGTHS.contains(length))
        .ok_or_else(|| Invalid::value("otp.length", "must be between 4 and 10"))
}

/// An address and port, or a host name and port, since "localhost:3000" is
/// what people write. A name must resolve to this machine's loopback (an
/// address elsewhere is written as itself, so what is exposed is plain);
/// anything else is refused saying why. `port` is the example's.
fn listen_address(key: &'static str, text: &str, port: u16) -> Result<SocketAddr, Invalid> {
    if let Ok(address) = text.trim().parse() {
        return Ok(address);
    }
    let shape = format!(
        "must be an address and port such as 127.0.0.1:{port}, 0.0.0.0:{port} or localhost:{port}"
    );
    let refuse = |why: String| Invalid::value(key, format!("{shape}; {why}"));
    let Some((host, port_text)) = text.trim().rsplit_once(':') else {
        return Err(refuse("the port is missing".to_owned()));
    };
    if host.contains(':') {
        return Err(refuse(format!(
            "an IPv6 address goes in brackets, such as [::1]:{port}"
        )));
    }
    if host.is_empty() {
        return Err(refuse("the host is missing".to_owned()));
    }
    let Ok(port_number) = port_text.parse::<u16>() else {
        return Err(refuse(
            "the port must be a number from 0 to 65535".to_owned(),
        ));
    };
    let resolved: Vec<SocketAddr> = match (host, port_number).to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(error) => {
            // The resolver's own words, kept to one line.
            let error = error.to_string().replace(['\n', '\r'], " ");
            return Err(Invalid::value(
                key,
                format!(
                    "names a host that could not be resolved ({error}); \
                     write an address such as 127.0.0.1:{port_number}"
                ),
            ));
        }
    };
    if let Some(address) = loopback_of(&resolved) {
        return Ok(address);
    }
    let found: Vec<String> = resolved.iter().map(|a| a.ip().to_string()).collect();
    Err(Invalid::value(
        key,
        if found.is_empty() {
            format!(
                "names a host that resolves to no address; write an address such as 127.0.0.1:{port_number}"
            )
        } else {
            format!(
                "names a host that resolves to {}, not to this machine's loopback; to listen beyond \
                 this machine write the address itself, or 0.0.0.0:{port_number} for every interface",
                found.join(", ")
            )
        },
    ))
}

/// The loopback address among a host name's, IPv4 first (what the
/// defaults and the README's 127.0.0.1 use), else the first loopback one.
fn loopback_of(resolved: &[SocketAddr]) -> Option<SocketAddr> {
    let loopback = || resolved.iter().filter(|a| a.ip().is_loopback());
    loopback()
        .find(|a| a.is_ipv4())
        .or_else(|| loopback().next())
        .copied()
}

/// `server.cookie_keys` (the first encrypts, all decrypt), or the one
/// `server.cookie_key`.
fn master_keys(
    one: Option<SecretString>,
    many: Option<Vec<SecretString>>,
) -> Result<Vec<SecretSlice<u8>>, Invalid> {
    match (one, many) {
        (Some(_), Some(_)) => Err(Invalid::plain(
            "server.cookie_keys",
            "and server.cookie_key are both set: set cookie_keys (the new key first) and remove cookie_key",
        )),
        (Some(key), None) => Ok(vec![master_key("server.cookie_key", &key)?]),
        (None, Some(keys)) if keys.is_empty() => Err(Invalid::plain(
            "server.cookie_keys",
            "must list at least one key",
        )),
        (None, Some(keys)) => keys
            .iter()
            .map(|key| master_key("server.cookie_keys", key))
            .collect(),
        (None, None) => Ok(Vec::new()),
    }
}

fn master_key(key: &'static str, encoded: &SecretString) -> Result<SecretSlice<u8>, Invalid> {
    let advice = "must be base64 of at least 32 random bytes, e.g. from `openssl rand -base64 64`";
    let bytes = STANDARD
        .decode(encoded.expose_secret().trim())
        .map_err(|_| Invalid::value(key, format!("{advice} (it is not base64)")))?;
    if bytes.len() < 32 {
        return Err(Invalid::value(
            key,
            format!("{advice} (it holds {} bytes)", bytes.len()),
        ));
    }
    Ok(SecretSlice::from(bytes))
}

fn forwarded_for(trust: bool, proxies: Vec<String>) -> Result<ForwardedFor, Invalid> {
    if proxies.is_empty() {
        return Ok(if trust {
            ForwardedFor::FromPeer
        } else {
            ForwardedFor::Ignored
        });
    }
    proxies
        .iter()
        .map(|text| {
            let text = text.trim();
            text.parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    Invalid::value(
                        "server.trusted_proxies",
                        "must be addresses or networks such as 10.0.0.0/8 or 2001:db8::/32",
                    )
                })
        })
        .collect::<Result<_, _>>()
        .map(ForwardedFor::Through)
}

fn pumping_settings(raw: raw::RawPumping) -> Result<PumpingSettings, Invalid> {
    if !(0.0..=1.0).contains(&raw.min_conversion) {
        return Err(Invalid::value(
            "pumping.min_conversion",
            "must be a fraction from 0 to 1, e.g. 0.2 for one verified code in five",
        ));
    }
    let exempt = raw.exempt.unwrap_or_default();
    for entry in &exempt {
        let prefix = entry
            .strip_prefix('+')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
        let country = entry == "001" || entry.parse::<phonenumber::country::Id>().is_ok();
        if !prefix && !country {
            return Err(Invalid::value(
                "pumping.exempt",
                "must be number prefixes such as +1201555 or country codes such as US (001: no country)",
            ));
        }
    }
    Ok(PumpingSettings {
        enabled: raw.enabled,
        window: seconds("pumping.window_secs", raw.window_secs, 60)?,
        min_sends: count("pumping.min_sends", raw.min_sends)?,
        min_conversion: raw.min_conversion,
        block: seconds("pumping.block_secs", raw.block_secs, 1)?,
        exempt,
    })
}

/// Where the Redis primary is: at one address, or wherever Sentinel says.
#[derive(Debug)]
pub enum RedisTarget {
    /// `redis://host:6379/0`, or `rediss://` for TLS. May hold a password.
    Direct(SecretString),
    Sentinel(SentinelTarget),
}

/// `redis+sentinel://host1:26379,host2:26379/mymaster[/db]`, with the
/// data nodes' `?password=` (and `username=`) and the sentinels'
/// `sentinel_password=`; `rediss+sentinel://` for TLS to both.
#[derive(Debug)]
pub struct SentinelTarget {
    /// Host and port of each sentinel (26379 if not given).
    pub sentinels: Vec<(String, u16)>,
    /// The name the sentinels monitor the primary by.
    pub master: String,
    pub db: i64,
    pub tls: bool,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub sentinel_password: Option<SecretString>,
}

/// The port sentinels listen on unless told otherwise.
const SENTINEL_PORT: u16 = 26379;

impl RedisTarget {
    /// The URL may carry a password: problems say what is wrong, never
    /// what the URL is.
    fn parse(url: SecretString) -> Result<Self, Invalid> {
        let text = url.expose_secret();
        let sentinel = text
            .strip_prefix("redis+sentinel://")
            .map(|rest| (false, rest))
            .or_else(|| {
                text.strip_prefix("rediss+sentinel://")
                    .map(|rest| (true, rest))
            });
        match sentinel {
            Some((tls, rest)) => SentinelTarget::parse(tls, rest)
                .map(RedisTarget::Sentinel)
                .map_err(|problem| Invalid::value("store.redis_url", problem)),
            None => {
                redis::Client::open(text).map_err(|_| {
                    Invalid::value(
                        "store.redis_url",
                        "must be a redis://, rediss:// or redis+sentinel:// URL such as redis://127.0.0.1:6379/0",
                    )
                })?;
                Ok(RedisTarget::Direct(url))
            }
        }
    }
}

impl SentinelTarget {
    /// `rest`: what follows `redis+sentinel://`.
    fn parse(tls: bool, rest: &str) -> Result<Self, &'static str> {
        const SHAPE: &str = "must look like redis+sentinel://host1:26379,host2:26379/mymaster";
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (hosts, path) = rest.split_once('/').ok_or(SHAPE)?;
        if hosts.contains('@') {
            return Err(
                "gives passwords as ?password= (the data nodes') and ?sentinel_password=, not before the hosts",
            );
        }
        let (master, db) = path.split_once('/').unwrap_or((path, ""));
        if master.is_empty() {
            return Err(SHAPE);
        }
        let db = match db {
            "" => 0,
            db => db
                .parse()
                .map_err(|_| "names a database that is not a number")?,
        };
        let sentinels = hosts
            .split(',')
            .map(sentinel_address)
            .collect::<Option<Vec<_>>>()
            .ok_or(SHAPE)?;
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|_| "has a query that cannot be read")?;
        let mut target = SentinelTarget {
            sentinels,
            master: master.to_owned(),
            db,
            tls,
            username: None,
            password: None,
            sentinel_password: None,
        };
        for (name, value) in query {
            match name.as_str() {
                "username" => target.username = Some(value),
                "password" => target.password = Some(value.into()),
                "sentinel_password" => target.sentinel_password = Some(value.into()),
                _ => {
                    return Err(
                        "takes only username=, password= and sentinel_password= in its query",
                    );
                }
            }
        }
        Ok(target)
    }
}

/// `host:port`, `[v6]:port`, or `host` (port 26379).
fn sentinel_address(text: &str) -> Option<(String, u16)> {
    let (host, port) = match text.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => SENTINEL_PORT,
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

fn store_settings(raw: raw::RawStore) -> Result<StoreSettings, Invalid> {
    #[derive(Clone, Copy)]
    enum Backend {
        Memory,
        Redis,
    }
    let backend = one_of(
        "store.backend",
        &raw.backend,
        &[("memory", Backend::Memory), ("redis", Backend::Redis)],
    )?;
    let wait = Duration::from_secs(raw.wait_for_redis_secs);
    match backend {
        Backend::Memory => Ok(StoreSettings::Memory),
        Backend::Redis => {
            let url = raw.redis_url.ok_or_else(|| {
                Invalid::plain(
                    "store.redis_url",
                    "is required when store.backend is \"redis\"",
                )
            })?;
            Ok(StoreSettings::Redis(RedisSettings {
                target: RedisTarget::parse(url)?,
                key_prefix: raw.key_prefix,
                wait,
            }))
        }
    }
}

fn sms_settings(
    sms: raw::RawSms,
    telnyx: raw::RawTelnyx,
    listen: SocketAddr,
    public_url: Option<&Url>,
) -> Result<SmsSettings, Invalid> {
    #[derive(Clone, Copy, PartialEq)]
    enum Provider {
        Telnyx,
        Console,
    }
    let api_base = http_url("telnyx.api_base", &telnyx.api_base)?;
    let timeout = seconds("telnyx.timeout_secs", telnyx.timeout_secs, 1)?;
    let provider = match sms.provider.as_deref() {
        Some(name) => one_of(
            "sms.provider",
            name,
            &[("telnyx", Provider::Telnyx), ("console", Provider::Console)],
        )?,
        None if telnyx.api_key.is_some() => Provider::Telnyx,
        // Codes written to a log are fine for a developer's own machine;
        // on a public address that must be a choice.
        None if listen.ip().is_loopback() => Provider::Console,
        None => {
            return Err(Invalid::plain(
                "sms.provider",
                format!(
                    "must be set: with no telnyx.api_key, codes would only be written to the log, and \
                     server.listen ({listen}) is not this machine's loopback. Set TWOFA_TELNYX__API_KEY \
                     to text codes, or sms.provider = \"console\" if the log is really what you want"
                ),
            ));
        }
    };
    if provider == Provider::Console {
        return Ok(SmsSettings::Console);
    }
    let api_key = telnyx.api_key.ok_or_else(|| {
        Invalid::plain(
            "telnyx.api_key",
            "is required when sms.provider is \"telnyx\" (set TWOFA_TELNYX__API_KEY or TELNYX_API_KEY)",
        )
    })?;
    if telnyx.from_number.is_none() && telnyx.messaging_profile_id.is_none() {
        return Err(Invalid::plain(
            "telnyx.from_number",
            "or telnyx.messaging_profile_id is required when sms.provider is \"telnyx\"",
        ));
    }
    let receipts = telnyx
        .public_key
        .map(|key| receipts(&key, public_url).map(Box::new))
        .transpose()?;
    Ok(SmsSettings::Telnyx(TelnyxSettings {
        api_key,
        from_number: telnyx.from_number,
        messaging_profile_id: telnyx.messaging_profile_id,
        api_base,
        timeout,
        receipts,
    }))
}

/// Receipts come to `{public_url}/webhooks/telnyx`, signed by `key`.
fn receipts(key: &str, public_url: Option<&Url>) -> Result<Receipts, Invalid> {
    let name = "telnyx.public_key";
    let public_key = ed25519_key(key)
        .and_then(|bytes| ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| {
            Invalid::value(
                name,
                "must be the base64 Ed25519 public key from the Telnyx portal (32 bytes)",
            )
        })?;
    let public_url = public_url.ok_or_else(|| {
        Invalid::plain(
            name,
            "needs server.public_url: Telnyx is asked to send receipts to {server.public_url}/webhooks/telnyx",
        )
    })?;
    let url = public_url.join("webhooks/telnyx").map_err(|_| {
        Invalid::plain(
            name,
            "needs a server.public_url that addresses can be made from",
        )
    })?;
    Ok(Receipts { url, public_key })
}

/// 32 bytes from standard base64, as Telnyx shows keys.
fn ed25519_key(text: &str) -> Option<[u8; 32]> {
    STANDARD.decode(text.trim()).ok()?.try_into().ok()
}

/// A name the SMS gives as its sender (`branding.name`, a profile's
/// `app_name`): short enough to keep the SMS to one segment.
fn sender_name(key: &str, name: Option<String>) -> Result<Option<String>, Invalid> {
    match name.as_deref().map(str::trim) {
        None => Ok(None),
        Some(name)
            if !name.is_empty()
                && name.chars().count() <= Branding::MAX_NAME_CHARS
                && !name.chars().any(char::is_control) =>
        {
            Ok(Some(name.to_owned()))
        }
        Some(_) => Err(Invalid::value(
            key,
            "must be 1 to 40 characters on one line (it is in every SMS)",
        )),
    }
}

/// Every language in `locales/`, for a settings error: "en", "es" or "fr".
fn language_choices() -> Vec<(&'static str, Language)> {
    Language::all().map(|l| (l.tag(), l)).collect()
}

fn language_settings(raw: &raw::RawI18n) -> Result<Languages, Invalid> {
    let choices = language_choices();
    let default = one_of("i18n.default_language", &raw.default_language, &choices)?;
    let offered = match &raw.languages {
        None => Language::all().collect(),
        Some(tags) => tags
            .iter()
            .map(|tag| one_of("i18n.languages", tag, &choices))
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Languages::new(offered, default))
}

/// A Verify profile's `language`, as Telnyx takes it (`en-US`): the
/// closest of the languages offered (`i18n.languages`).
fn profile_language(
    key: &str,
    tag: Option<String>,
    languages: &Languages,
) -> Result<Option<Language>, Invalid> {
    let Some(tag) = tag else { return Ok(None) };
    match languages.best([tag.as_str()]) {
        Some(language) => Ok(Some(language)),
        None => {
            let tags: Vec<&str> = languages.offered().iter().map(|l| l.tag()).collect();
            Err(Invalid::value(
                key,
                format!("must be a language the app offers: {}", tags.join(", ")),
            ))
        }
    }
}

fn branding_settings(raw: raw::RawBranding) -> Result<Branding, Invalid> {
    let name = sender_name("branding.name", raw.name)?;
    let support_url = raw
        .support_url
        .map(|url| http_url("branding.support_url", &url))
        .transpose()?;
    Ok(Branding { name, support_url })
}

fn webhook_settings(raw: raw::RawWebhooks) -> Result<WebhookSettings, Invalid> {
    let signing_key = raw
        .signing_key
        .map(|seed| {
            ed25519_key(seed.expose_secret())
                .map(|seed| ed25519_dalek::SigningKey::from_bytes(&seed))
                .ok_or_else(|| {
                    Invalid::value(
                        "webhooks.signing_key",
                        "must be base64 of a 32-byte Ed25519 seed (`openssl rand -base64 32`)",
                    )
                })
        })
        .transpose()?;
    Ok(WebhookSettings { signing_key })
}

fn oidc_settings(raw: raw::RawOidc) -> Result<OidcSettings, Invalid> {
    let signing_key = match raw.signing_key_file {
        None => None,
        Some(path) => {
            let key = "oidc.signing_key_file";
            let pem = std::fs::read(&path)
                .map_err(|error| Invalid::value(key, format!("cannot be read: {error}")))?;
            Some(SigningKey::from_pem(&pem).map_err(|problem| Invalid::value(key, problem))?)
        }
    };
    let clients = raw
        .clients
        .into_iter()
        .map(|(id, client)| oidc_client(id, client))
        .collect::<Result<_, _>>()?;
    Ok(OidcSettings {
        signing_key,
        id_token_ttl: seconds("oidc.id_token_ttl_secs", raw.id_token_ttl_secs, 1)?,
        clients,
    })
}

/// API keys shorter than this are refused: they would be guessable.
const MIN_API_KEY: usize = 16;

fn api_settings(
    raw: raw::RawApi,
    profiles: std::collections::BTreeMap<String, raw::RawProfile>,
    otp: &OtpSettings,
    allowed_countries: &[String],
    languages: &Languages,
) -> Result<ApiSettings, Invalid> {
    let keys = raw.keys.unwrap_or_default();
    if keys
        .iter()
        .any(|key| key.expose_secret().chars().count() < MIN_API_KEY)
    {
        return Err(Invalid::value(
            "api.keys",
            format!(
                "must each be at least {MIN_API_KEY} characters, e.g. from `openssl rand -hex 32`"
            ),
        ));
    }
    let mut profiles: Vec<VerifyProfileSettings> = profiles
        .into_iter()
        .map(|(id, profile)| verify_profile(id, profile, otp, allowed_countries, languages))
        .collect::<Result<_, _>>()?;
    if profiles.is_empty() {
        profiles.push(verify_profile(
            "default".to_owned(),
            raw::RawProfile::default(),
            otp,
            allowed_countries,
            languages,
        )?);
    }
    Ok(ApiSettings { keys, profiles })
}

fn verify_profile(
    id: String,
    raw: raw::RawProfile,
    otp: &OtpSettings,
    allowed_countries: &[String],
    languages: &Languages,
) -> Result<VerifyProfileSettings, Invalid> {
    let key = |field: &str| format!("verify_profiles.{id}.{field}");
    let code_length = match raw.code_length {
        Some(length) => usize::try_from(length)
            .ok()
            .filter(|length| CodeFormat::LENGTHS.contains(length))
            .ok_or_else(|| Invalid::value(key("code_length"), "must be between 4 and 10"))?,
        None => otp.format.length,
    };
    let timeout = match raw.timeout_secs {
        Some(secs) => Duration::from_secs(secs).max(Duration::from_secs(1)),
        None => otp.ttl,
    };
    let whitelisted_destinations = raw
        .whitelisted_destinations
        .unwrap_or_else(|| allowed_countries.to_vec());
    let countries = CountryPolicy::parse(&whitelisted_destinations)
        .map_err(|problem| Invalid::value(key("whitelisted_destinations"), problem))?;
    let webhook_url = raw
        .webhook_url
        .map(|url| http_url(&key("webhook_url"), &url))
        .transpose()?;
    Ok(VerifyProfileSettings {
        webhook_url,
        name: raw.name.unwrap_or_else(|| id.clone()),
        app_name: sender_name(&key("app_name"), raw.app_name)?,
        language: profile_language(&key("language"), raw.language, languages)?,
        code_length,
        timeout,
        whitelisted_destinations,
        countries,
        id,
    })
}

/// Secrets shorter than this are refused: they would be guessable.
const MIN_CLIENT_SECRET: usize = 16;

fn oidc_client(id: String, raw: raw::RawClient) -> Result<OidcClient, Invalid> {
    let key = |field: &str| format!("oidc.clients.{id}.{field}");
    if let Some(secret) = &raw.secret
        && secret.expose_secret().chars().count() < MIN_CLIENT_SECRET
    {
        return Err(Invalid::value(
            key("secret"),
            format!(
                "must be at least {MIN_CLIENT_SECRET} characters, e.g. from `openssl rand -hex 32`"
            ),
        ));
    }
    let redirect_uris = raw.redirect_uris.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(Invalid::plain(
            key("redirect_uris"),
            "must list at least one address to send people back to",
        ));
    }
    for uri in &redirect_uris {
        redirect_uri(uri).map_err(|problem| Invalid::value(key("redirect_uris"), problem))?;
    }
    Ok(OidcClient {
        name: raw.name.unwrap_or_else(|| id.clone()),
        id,
        secret: raw.secret,
        redirect_uris,
    })
}

/// An address a client may be sent back to (RFC 9700 4.1): https, or http
/// only to this machine (native apps), and no fragment.
fn redirect_uri(text: &str) -> Result<(), String> {
    let url = Url::parse(text).map_err(|_| format!("must be absolute URLs (got {text:?})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        _ if url.fragment().is_some() => Err(format!("must not have a #fragment (got {text:?})")),
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "must be https (http only to localhost) (got {text:?})"
        )),
    }
}

fn warnings(settings: &Settings) -> Vec<String> {
    let mut warnings = Vec::new();
    if matches!(settings.sms, SmsSettings::Console) {
        warnings.push(
            "SMS PROVIDER IS \"console\": codes are written to this log, NOT texted. \
             Set TWOFA_TELNYX__API_KEY and TWOFA_TELNYX__FROM_NUMBER to send real SMS."
                .to_owned(),
        );
    }
    let redis = matches!(settings.store, StoreSettings::Redis(_));
    let no_key = settings.server.master_keys.is_empty();
    if no_key && redis {
        warnings.push(
            "store.backend is \"redis\" but server.cookie_key is not set: each instance makes its \
             own key, so a browser's cookie works only on the instance that set it. Give every \
             instance the same TWOFA_SERVER__COOKIE_KEY."
                .to_owned(),
        );
    } else if no_key {
        warnings.push(
            "server.cookie_key is not set: using a random key, so a restart ends every pending \
             verification. Set TWOFA_SERVER__COOKIE_KEY to the output of `openssl rand -base64 64`."
                .to_owned(),
        );
    }
    if settings.otp.webotp && settings.server.public_url.is_none() {
        warnings.push(
            "server.public_url is not set: the SMS's origin-bound line (@host #code), which lets \
             browsers and keyboards offer the code on your site only, is left out. Set \
             server.public_url to the address users see."
                .to_owned(),
        );
    }
    if settings.phone.countries.is_any() {
        warnings.push(
            "phone.allowed_countries is \"*\": codes can be sent to every country, \
             the widest opening for SMS-pumping fraud"
                .to_owned(),
        );
    }
    let format = settings.otp.format;
    if format.is_weak() {
        warnings.push(format!(
            "otp.length {} with the {:?} alphabet gives only {} possible codes, \
             under the 1,000,000 (about 20 bits) NIST SP 800-63B asks for",
            format.length,
            format.alphabet,
            format.code_space()
        ));
    }
    if !settings.oidc.clients.is_empty() && settings.oidc.signing_key.is_none() {
        warnings.push(
            "oidc.signing_key_file is not set: id_tokens are signed with a new key each start, \
             so clients must fetch the keys again after a restart, and several instances disagree. \
             Set it to an RSA key made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`."
                .to_owned(),
        );
    }
    let sends_events = settings
        .api
        .profiles
        .iter()
        .any(|p| p.webhook_url.is_some());
    if sends_events && settings.webhooks.signing_key.is_none() {
        warnings.push(
            "webhooks.signing_key is not set: events to verify profiles' webhook_url are signed \
             with a new key each start, so receivers must fetch GET /v2/public_key again after a \
             restart, and several instances disagree. Set it to `openssl rand -base64 32`."
                .to_owned(),
        );
    }
    if settings.otp.ttl > Duration::from_secs(600) {
        warnings.push(format!(
            "otp.ttl_secs is {}: NIST SP 800-63B and OWASP ASVS ask for codes to expire within 600",
            settings.otp.ttl.as_secs()
        ));
    }
    warnings
}

#[cfg(test)]
mod tests;
