//! The three layers of settings, merged into one TOML table: the defaults of
//! `keys::KEYS`, then the file, then `TWOFA_*` variables. Each value
//! remembers where it came from, so a refusal can say so; each value is read
//! as its key's kind here, so the environment's text becomes numbers, flags
//! and lists once.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::keys::{self, EnvVar, Key, Kind};
use super::{ConfigFile, SettingsError};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("by default"),
            Origin::File(path) => write!(f, "in {}", path.display()),
            Origin::Env(name) => write!(f, "in {name}"),
        }
    }
}

/// The merged settings, and where each key's value came from.
#[derive(Debug, Default)]
pub struct Layers {
    pub table: Table,
    origins: HashMap<String, Origin>,
}

impl Layers {
    /// Where the value of `key` (`otp.length`) came from.
    pub fn origin(&self, key: &str) -> &Origin {
        self.origins.get(key).unwrap_or(&Origin::Default)
    }

    /// The value of `key` as the operator wrote it, for an error message.
    pub fn written(&self, key: &str) -> Option<String> {
        let mut value = self.table.get(key.split('.').next()?)?;
        for segment in key.split('.').skip(1) {
            value = value.as_table()?.get(segment)?;
        }
        Some(match value {
            Value::String(text) => format!("{text:?}"),
            other => other.to_string(),
        })
    }

    pub fn read(file: ConfigFile, env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut layers = Layers::default();
        for key in keys::KEYS {
            if let Some(default) = key.default {
                let value = from_text(key, default, &Origin::Default)?;
                layers.set(&segments(key.path), value, Origin::Default);
            }
        }
        if let Some((path, text)) = read_file(file)? {
            let table: Table = text.parse().map_err(|error: toml::de::Error| {
                SettingsError(format!(
                    "{} is not valid TOML: {}",
                    path.display(),
                    error.message()
                ))
            })?;
            layers.merge_file(&table, &mut Vec::new(), &path)?;
        }
        layers.merge_env(env)?;
        Ok(layers)
    }

    fn set(&mut self, path: &[String], value: Value, origin: Origin) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut table = &mut self.table;
        // The path as the table spells it, so a refusal finds its origin.
        let mut spelt: Vec<String> = Vec::with_capacity(path.len());
        for segment in parents {
            // A name the operator chose may be written in any case: the
            // environment's `EXAMPLE` is the file's `example`.
            let existing = table
                .keys()
                .find(|k| k.eq_ignore_ascii_case(segment))
                .cloned();
            let name = existing.unwrap_or_else(|| segment.clone());
            spelt.push(name.clone());
            let entry = table
                .entry(name)
                .or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            let Value::Table(inner) = entry else { return };
            table = inner;
        }
        table.insert(last.clone(), value);
        spelt.push(last.clone());
        self.origins.insert(spelt.join("."), origin);
    }

    fn merge_file(
        &mut self,
        table: &Table,
        at: &mut Vec<String>,
        file: &Path,
    ) -> Result<(), SettingsError> {
        for (name, value) in table {
            at.push(name.clone());
            let path: Vec<&str> = at.iter().map(String::as_str).collect();
            let dotted = path.join(".");
            let origin = Origin::File(file.to_path_buf());
            match (keys::find(&path), value) {
                (Some(key), value) => {
                    let value = of_kind(key, value.clone(), &origin)?;
                    self.set(at, value, origin);
                }
                (None, Value::Table(inner)) if keys::is_table(&path) => {
                    self.merge_file(inner, at, file)?;
                }
                (None, _) => {
                    return Err(SettingsError(format!(
                        "{dotted} is not a setting ({origin}); did you mean {}?",
                        keys::closest_key(&dotted)
                    )));
                }
            }
            at.pop();
        }
        Ok(())
    }

    fn merge_env(&mut self, env: &HashMap<String, String>) -> Result<(), SettingsError> {
        let mut env: Vec<(&String, &String)> = env.iter().collect();
        // Sorted, so the same environment always gives the same first complaint.
        env.sort();
        let telnyx_key = "TWOFA_TELNYX__API_KEY";
        for (name, text) in &env {
            let path = match keys::read_env_name(name) {
                EnvVar::Other => continue,
                EnvVar::Setting(path) => path,
                EnvVar::Unknown { closest } => {
                    return Err(SettingsError(format!(
                        "the environment variable {name} names no setting; did you mean {closest}?"
                    )));
                }
            };
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            let key = keys::find(&segments).ok_or_else(|| {
                SettingsError(format!("the environment variable {name} names no setting"))
            })?;
            let origin = Origin::Env((*name).clone());
            let value = from_text(key, text, &origin)?;
            self.set(&path, value, origin);
        }
        // Telnyx's own SDKs read TELNYX_API_KEY; honour it unless ours is set.
        if !env.iter().any(|(name, _)| *name == telnyx_key)
            && let Some((name, text)) = env.iter().find(|(name, _)| *name == "TELNYX_API_KEY")
        {
            let path = segments("telnyx.api_key");
            self.set(
                &path,
                Value::String((*text).clone()),
                Origin::Env((*name).clone()),
            );
        }
        Ok(())
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

fn read_file(file: ConfigFile) -> Result<Option<(PathBuf, String)>, SettingsError> {
    let (path, required) = match file {
        ConfigFile::Required(path) => (path, true),
        ConfigFile::IfPresent(path) => (path, false),
        ConfigFile::None => return Ok(None),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(SettingsError(format!(
            "cannot read the settings file {}: {error}",
            path.display()
        ))),
    }
}

fn kind_needed(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::Secret => "text",
        Kind::Number => "a whole number, 0 or more",
        Kind::Flag => "true or false",
        Kind::Decimal => "a number such as 0.2",
        Kind::List => "a list such as [\"US\", \"CA\"] (in the environment: US,CA)",
        Kind::SecretList => "a list of text (in the environment: a,b)",
    }
}

fn wrong_kind(key: &Key, got: &str, origin: &Origin) -> SettingsError {
    let got = if matches!(key.kind, Kind::Secret | Kind::SecretList) {
        "a value that is not text".to_owned()
    } else {
        got.to_owned()
    };
    SettingsError(format!(
        "{} must be {} (got {got} {origin})",
        key.path,
        kind_needed(key.kind)
    ))
}

/// Text (from the environment or a default) read as `key`'s kind.
fn from_text(key: &Key, text: &str, origin: &Origin) -> Result<Value, SettingsError> {
    let trimmed = text.trim();
    Ok(match key.kind {
        Kind::Text | Kind::Secret => Value::String(text.to_owned()),
        Kind::Number => trimmed
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Value::Integer)
            .ok_or_else(|| wrong_kind(key, &format!("{text:?}"), origin))?,
        Kind::Decimal => trimmed
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Value::Float)
            .ok_or_else(|| wrong_kind(key, &format!("{text:?}"), origin))?,
        Kind::Flag => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Boolean(true),
            "false" | "0" | "no" | "off" => Value::Boolean(false),
            _ => return Err(wrong_kind(key, &format!("{text:?}"), origin)),
        },
        Kind::List | Kind::SecretList => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        ),
    })
}

/// A file's value checked to be of `key`'s kind.
fn of_kind(key: &Key, value: Value, origin: &Origin) -> Result<Value, SettingsError> {
    let fits = match (key.kind, &value) {
        (Kind::Text | Kind::Secret, Value::String(_)) => true,
        (Kind::Number, Value::Integer(n)) => *n >= 0,
        (Kind::Flag, Value::Boolean(_)) => true,
        (Kind::Decimal, Value::Float(n)) => n.is_finite(),
        (Kind::Decimal, Value::Integer(n)) => return Ok(Value::Float(*n as f64)),
        (Kind::List | Kind::SecretList, Value::Array(items)) => items.iter().all(Value::is_str),
        // A list may be written as one comma-separated string, as in the environment.
        (Kind::List | Kind::SecretList, Value::String(text)) => {
            return from_text(key, text, origin);
        }
        _ => false,
    };
    if fits {
        Ok(value)
    } else {
        Err(wrong_kind(key, &value.to_string(), origin))
    }
}
