//! Every setting the app knows, in one list: its key, what kind of value it
//! takes and its default. The loader reads defaults from here, maps
//! `TWOFA_*` variables to keys with it, refuses anything not in it (with the
//! closest real key as a hint), and the drift tests hold the README's table
//! and `config.example.toml` against it.

/// What a setting's value is, as the environment (which only has text)
/// must be read for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Text never shown: keys and passwords.
    Secret,
    /// A whole number, zero or more.
    Number,
    /// `true` or `false`.
    Flag,
    /// A number that may have a fraction, such as `0.2`.
    Decimal,
    /// A list of text: an array in TOML, `a,b,c` in the environment.
    List,
    /// A list of secrets, never shown.
    SecretList,
}

/// One setting. In `path`, `*` stands for a name the operator chooses (a
/// client id, a profile id): `oidc.clients.*.secret`.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub path: &'static str,
    pub kind: Kind,
    pub default: Option<&'static str>,
}

const fn key(path: &'static str, kind: Kind, default: &'static str) -> Key {
    Key {
        path,
        kind,
        default: Some(default),
    }
}

const fn optional(path: &'static str, kind: Kind) -> Key {
    Key {
        path,
        kind,
        default: None,
    }
}

use Kind::{Decimal, Flag, List, Number, Secret, SecretList, Text};

pub const KEYS: &[Key] = &[
    key("server.listen", Text, "127.0.0.1:3000"),
    optional("server.public_url", Text),
    optional("server.cookie_key", Secret),
    optional("server.cookie_keys", SecretList),
    key("server.trust_forwarded_for", Flag, "false"),
    optional("server.trusted_proxies", List),
    key("server.client_timeout_secs", Number, "10"),
    key("server.max_connections", Number, "10000"),
    optional("server.admin_listen", Text),
    key("server.shutdown_grace_secs", Number, "20"),
    key("log.format", Text, "text"),
    optional("branding.name", Text),
    optional("branding.support_url", Text),
    key("i18n.default_language", Text, "en"),
    optional("i18n.languages", List),
    optional("sms.provider", Text),
    optional("telnyx.api_key", Secret),
    optional("telnyx.from_number", Text),
    optional("telnyx.messaging_profile_id", Text),
    key("telnyx.api_base", Text, "https://api.telnyx.com"),
    key("telnyx.timeout_secs", Number, "10"),
    optional("telnyx.public_key", Text),
    optional("webhooks.signing_key", Secret),
    key("otp.length", Number, "6"),
    key("otp.alphabet", Text, "digits"),
    key("otp.ttl_secs", Number, "600"),
    key("otp.max_attempts", Number, "5"),
    key("otp.webotp", Flag, "true"),
    key("phone.country_code", Text, "+1"),
    key("phone.allowed_countries", List, "US,CA"),
    key("limits.resend_cooldown_secs", Number, "30"),
    key("limits.sends_per_phone_per_hour", Number, "5"),
    key("limits.sends_per_ip_per_hour", Number, "20"),
    key("limits.sends_per_network_per_hour", Number, "60"),
    key("limits.sms_per_hour", Number, "1000"),
    key("limits.max_pending", Number, "100000"),
    key("limits.verify_failures_per_ip_per_hour", Number, "100"),
    key("limits.sends_per_api_key_per_hour", Number, "1000"),
    key("store.backend", Text, "memory"),
    optional("store.redis_url", Secret),
    key("store.key_prefix", Text, "twofa:"),
    key("store.wait_for_redis_secs", Number, "0"),
    key("pumping.enabled", Flag, "true"),
    key("pumping.window_secs", Number, "3600"),
    key("pumping.min_sends", Number, "20"),
    key("pumping.min_conversion", Decimal, "0.2"),
    key("pumping.block_secs", Number, "3600"),
    optional("pumping.exempt", List),
    optional("oidc.signing_key_file", Text),
    key("oidc.id_token_ttl_secs", Number, "300"),
    optional("oidc.clients.*.name", Text),
    optional("oidc.clients.*.secret", Secret),
    optional("oidc.clients.*.redirect_uris", List),
    optional("api.keys", SecretList),
    optional("verify_profiles.*.name", Text),
    optional("verify_profiles.*.app_name", Text),
    optional("verify_profiles.*.language", Text),
    optional("verify_profiles.*.code_length", Number),
    optional("verify_profiles.*.timeout_secs", Number),
    optional("verify_profiles.*.whitelisted_destinations", List),
    optional("verify_profiles.*.webhook_url", Text),
];

/// Environment variables that start with `TWOFA_` but are not settings.
const NOT_SETTINGS: &[&str] = &["TWOFA_CONFIG"];
/// Variables of the test suite (`TWOFA_TEST_REDIS_URL`, ...).
const TEST_PREFIX: &str = "TWOFA_TEST_";
pub const ENV_PREFIX: &str = "TWOFA_";

/// Whether `segments` is `pattern`, `*` matching any one segment.
fn matches(pattern: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() == segments.len()
        && parts
            .iter()
            .zip(segments)
            .all(|(part, segment)| *part == "*" || part == segment)
}

/// The setting at `segments`, if there is one.
pub fn find(segments: &[&str]) -> Option<&'static Key> {
    KEYS.iter().find(|key| matches(key.path, segments))
}

/// Whether `segments` leads to settings (a section, or a named entry).
pub fn is_table(segments: &[&str]) -> bool {
    KEYS.iter().any(|key| {
        let parts: Vec<&str> = key.path.split('.').collect();
        parts.len() > segments.len() && matches(&parts[..segments.len()].join("."), segments)
    })
}

/// `TWOFA_OTP__LENGTH` for `otp.length`; `*` becomes `<ID>`.
pub fn env_name(path: &str) -> String {
    let segments: Vec<String> = path
        .split('.')
        .map(|s| {
            if s == "*" {
                "<ID>".to_owned()
            } else {
                s.to_ascii_uppercase()
            }
        })
        .collect();
    format!("{ENV_PREFIX}{}", segments.join("__"))
}

/// How an environment variable relates to the settings.
#[derive(Debug, PartialEq, Eq)]
pub enum EnvVar {
    /// Not ours: no `TWOFA_` prefix, or one of the few that are not settings.
    Other,
    /// The setting at these segments, as written (map names keep their case).
    Setting(Vec<String>),
    /// `TWOFA_` but no setting: the closest variable that is one.
    Unknown { closest: String },
}

/// Reads an environment variable's name: `TWOFA_OTP__LENGTH` is `otp.length`.
pub fn read_env_name(name: &str) -> EnvVar {
    let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
        return EnvVar::Other;
    };
    if NOT_SETTINGS.contains(&name) || name.starts_with(TEST_PREFIX) {
        return EnvVar::Other;
    }
    let raw: Vec<&str> = rest.split("__").collect();
    let pattern = KEYS.iter().find(|key| {
        let parts: Vec<&str> = key.path.split('.').collect();
        parts.len() == raw.len()
            && parts
                .iter()
                .zip(&raw)
                .all(|(part, segment)| *part == "*" || part.eq_ignore_ascii_case(segment))
    });
    match pattern {
        Some(key) => EnvVar::Setting(
            key.path
                .split('.')
                .zip(&raw)
                .map(|(part, segment)| {
                    // Names are lower case unless a file wrote them otherwise
                    // (the layers match them without regard to case).
                    if part == "*" {
                        segment.to_ascii_lowercase()
                    } else {
                        part.to_owned()
                    }
                })
                .collect(),
        ),
        None => EnvVar::Unknown {
            closest: closest(name, KEYS.iter().map(|key| env_name(key.path))),
        },
    }
}

/// The setting written closest to `path` (a file's misspelt key): in the
/// closest section, the closest key; for a misspelt section, that section.
pub fn closest_key(path: &str) -> String {
    let sections = || {
        KEYS.iter()
            .map(|key| key.path.split('.').next().unwrap_or_default())
    };
    let (first, rest) = path.split_once('.').unwrap_or((path, ""));
    let section = if sections().any(|s| s == first) {
        first.to_owned()
    } else {
        closest(first, sections().map(str::to_owned))
    };
    if rest.is_empty() {
        return section;
    }
    let wanted = format!("{section}.{rest}");
    let in_section = KEYS
        .iter()
        .filter(|key| key.path.starts_with(&format!("{section}.")))
        .map(|key| key.path.to_owned());
    closest(&wanted, in_section)
}

fn closest(name: &str, candidates: impl Iterator<Item = String>) -> String {
    candidates
        .min_by_key(|candidate| strsim::levenshtein(name, candidate))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_map_to_keys_and_typos_get_the_closest_real_one() {
        assert_eq!(
            read_env_name("TWOFA_OTP__LENGTH"),
            EnvVar::Setting(vec!["otp".into(), "length".into()])
        );
        assert_eq!(read_env_name("HOME"), EnvVar::Other);
        assert_eq!(read_env_name("TWOFA_CONFIG"), EnvVar::Other);
        assert_eq!(read_env_name("TWOFA_TEST_REDIS_URL"), EnvVar::Other);
        assert_eq!(
            read_env_name("TWOFA_OTP_LENGTH"),
            EnvVar::Unknown {
                closest: "TWOFA_OTP__LENGTH".into()
            }
        );
        assert_eq!(closest_key("otp.lenght"), "otp.length");
        assert_eq!(closest_key("sever"), "server");
        assert_eq!(closest_key("sever.listen"), "server.listen");
    }

    #[test]
    fn every_key_is_unique_and_defaults_fit_their_kind() {
        for (i, key) in KEYS.iter().enumerate() {
            assert!(
                KEYS[..i].iter().all(|other| other.path != key.path),
                "{} twice",
                key.path
            );
            if let (Kind::Number, Some(default)) = (key.kind, key.default) {
                assert!(default.parse::<u64>().is_ok(), "{}", key.path);
            }
            if let (Kind::Flag, Some(default)) = (key.kind, key.default) {
                assert!(["true", "false"].contains(&default), "{}", key.path);
            }
        }
    }
}
