//! Config precedence, in process: defaults, file, environment, flags.

#![allow(missing_docs)] // test fixtures

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use venus_daemon::config::load_from;
use venus_daemon::Flags;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Db {
    url: String,
    max: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Config {
    listen: String,
    verbose: bool,
    token: String,
    redis: Option<String>,
    db: Db,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            url: "sqlite://default".into(),
            max: 8,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:1".into(),
            verbose: false,
            token: String::new(),
            redis: None,
            db: Db::default(),
        }
    }
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

const FILE: &str = "listen = \"127.0.0.1:2\"\n[db]\nurl = \"sqlite://file\"\n";

#[test]
fn each_layer_overrides_the_one_before() {
    let none = env(&[]);
    let c: Config = load_from(None, "VENUS_X", &none, Flags::new()).expect("defaults");
    assert_eq!(c, Config::default());

    let c: Config = load_from(Some(FILE), "VENUS_X", &none, Flags::new()).expect("file");
    assert_eq!(c.listen, "127.0.0.1:2");
    assert_eq!(c.db.url, "sqlite://file");
    assert_eq!(c.db.max, 8, "a field the file leaves out keeps its default");

    let vars = env(&[
        ("VENUS_X_LISTEN", "127.0.0.1:3"),
        ("VENUS_X_DB_MAX", "32"),
        ("VENUS_X_VERBOSE", "true"),
        ("VENUS_X_UNRELATED", "ignored"),
    ]);
    let c: Config = load_from(Some(FILE), "VENUS_X", &vars, Flags::new()).expect("env");
    assert_eq!(c.listen, "127.0.0.1:3");
    assert_eq!(
        (c.db.url.as_str(), c.db.max, c.verbose),
        ("sqlite://file", 32, true)
    );

    let flags = Flags::new()
        .set("listen", Some("127.0.0.1:4"))
        .set("db.url", Some("mysql://flag"))
        .set::<u32>("db.max", None);
    let c: Config = load_from(Some(FILE), "VENUS_X", &vars, flags).expect("flags");
    assert_eq!(c.listen, "127.0.0.1:4");
    assert_eq!(c.db.url, "mysql://flag");
    assert_eq!(
        c.db.max, 32,
        "a flag not given leaves the environment's value"
    );
}

#[test]
fn strings_stay_strings_and_unset_options_can_be_set() {
    let vars = env(&[
        ("VENUS_X_TOKEN", "123456"),
        ("VENUS_X_REDIS", "redis://127.0.0.1:6379"),
    ]);
    let c: Config = load_from(None, "VENUS_X", &vars, Flags::new()).expect("env");
    assert_eq!(c.token, "123456");
    assert_eq!(c.redis.as_deref(), Some("redis://127.0.0.1:6379"));
}

#[test]
fn bad_values_name_what_is_wrong() {
    let none = env(&[]);
    let e = load_from::<Config>(Some("listen = 5\n"), "VENUS_X", &none, Flags::new())
        .expect_err("a number for a string");
    assert!(e.contains("listen"), "{e}");
    let e = load_from::<Config>(Some("listen = \n"), "VENUS_X", &none, Flags::new())
        .expect_err("not TOML");
    assert!(e.contains("config.toml"), "{e}");
    let vars = env(&[("VENUS_X_DB_MAX", "many")]);
    let e = load_from::<Config>(None, "VENUS_X", &vars, Flags::new()).expect_err("not a number");
    assert!(e.contains("max"), "{e}");
}
