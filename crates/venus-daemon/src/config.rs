//! TOML config with the precedence file → environment → flags.
//!
//! A daemon's config is a struct with `#[serde(default)]`: every field has a
//! default, the repo's `config.toml` may set any of them, an environment
//! variable `VENUS_<NAME>_<FIELD>` (`VENUS_WALLET_LISTEN`; a nested field
//! `[db] url` is `VENUS_WALLET_DB_URL`) overrides the file, and a flag given
//! on the command line overrides both. Only the fields the struct has are
//! read from the environment, so unrelated variables never leak in; a
//! string (or unset `Option`) field takes the variable's text as it is,
//! other fields parse it as a TOML value. A nested `[db] url` and a
//! top-level `db_url` would share one variable name: don't declare both.

use serde::de::DeserializeOwned;
use serde::Serialize;
use toml::{Table, Value};

use crate::{DaemonError, Repo, Result};

/// The flags given on a command line, as config fields.
#[derive(Debug, Clone, Default)]
pub struct Flags(Table);

impl Flags {
    /// No flags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `field` (a dotted path for nested ones: `db.url`) when the flag was given.
    pub fn set<T: Serialize>(mut self, field: &str, value: Option<T>) -> Self {
        if let Some(v) = value {
            match Value::try_from(v) {
                Ok(v) => insert(&mut self.0, field, v),
                Err(e) => {
                    tracing::warn!(target: "venus::daemon", field, error = %e, "flag not representable in TOML; ignored")
                }
            }
        }
        self
    }
}

fn insert(t: &mut Table, dotted: &str, v: Value) {
    match dotted.split_once('.') {
        Some((head, rest)) => {
            let sub = t
                .entry(head.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            if !sub.is_table() {
                *sub = Value::Table(Table::new());
            }
            if let Value::Table(sub) = sub {
                insert(sub, rest, v);
            }
        }
        None => {
            t.insert(dotted.to_string(), v);
        }
    }
}

fn merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// An environment value for a field whose default is `like` (JSON, where
/// an unset `Option` is `null`): the raw text for a string or an unset
/// option, so `VENUS_X_TOKEN=123456` stays a string; otherwise the value
/// as TOML (a number, boolean, array or inline table), or the text when it
/// does not parse.
fn env_value(raw: &str, like: &serde_json::Value) -> Value {
    if like.is_string() || like.is_null() {
        return Value::String(raw.into());
    }
    match toml::from_str::<Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| Value::String(raw.into())),
        Err(_) => Value::String(raw.into()),
    }
}

/// The environment overrides of the fields in `shape` (the default config
/// as JSON, which keeps unset options as `null`, so they can be set too).
fn from_env(
    prefix: &str,
    shape: &serde_json::Map<String, serde_json::Value>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Table {
    let mut out = Table::new();
    for (k, v) in shape {
        let var = format!("{prefix}_{}", k.to_ascii_uppercase().replace('-', "_"));
        match v {
            serde_json::Value::Object(sub) => {
                let nested = from_env(&var, sub, get);
                if !nested.is_empty() {
                    out.insert(k.clone(), Value::Table(nested));
                }
            }
            _ => {
                if let Some(raw) = get(&var) {
                    out.insert(k.clone(), env_value(&raw, v));
                }
            }
        }
    }
    out
}

/// Loads daemon `repo`'s config: defaults, then `config.toml` (if present),
/// then `VENUS_<NAME>_…` environment variables, then `flags`.
pub fn load<C>(repo: &Repo, flags: Flags) -> Result<C>
where
    C: Serialize + DeserializeOwned + Default,
{
    let file = match std::fs::read_to_string(repo.config_path()) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(DaemonError::Io {
                what: "reading the config",
                path: repo.config_path(),
                source,
            })
        }
    };
    let prefix = format!(
        "VENUS_{}",
        repo.name().to_ascii_uppercase().replace('-', "_")
    );
    load_from(file.as_deref(), &prefix, &|v| std::env::var(v).ok(), flags)
        .map_err(|e| DaemonError::Config(format!("{} ({})", e, repo.config_path().display())))
}

/// [`load`] over explicit inputs: the file's text, the environment prefix
/// and lookup, and the flags.
pub fn load_from<C>(
    file: Option<&str>,
    env_prefix: &str,
    env: &dyn Fn(&str) -> Option<String>,
    flags: Flags,
) -> std::result::Result<C, String>
where
    C: Serialize + DeserializeOwned + Default,
{
    let Value::Table(mut merged) =
        Value::try_from(C::default()).map_err(|e| format!("default config: {e}"))?
    else {
        return Err("a config must be a struct".into());
    };
    let serde_json::Value::Object(shape) =
        serde_json::to_value(C::default()).map_err(|e| format!("default config: {e}"))?
    else {
        return Err("a config must be a struct".into());
    };
    if let Some(text) = file {
        let t: Table = toml::from_str(text).map_err(|e| format!("config.toml: {e}"))?;
        merge(&mut merged, t);
    }
    merge(&mut merged, from_env(env_prefix, &shape, env));
    merge(&mut merged, flags.0);
    Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| e.to_string())
}

/// The config as TOML, to write a commented starting `config.toml`.
pub fn to_toml<C: Serialize>(c: &C) -> Result<String> {
    toml::to_string_pretty(c).map_err(|e| DaemonError::Config(e.to_string()))
}
