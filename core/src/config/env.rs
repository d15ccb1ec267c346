//! Reading settings from the environment: every problem is collected, one line each, and
//! [`Env::finish`] reports them all at once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use super::settings::default_of;
use crate::secret::Secret;

/// Reads settings from a set of variables and collects every problem.
pub struct Env {
    vars: BTreeMap<String, String>,
    errors: Vec<String>,
    read: BTreeSet<&'static str>,
}

/// All configuration problems, one line each.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "config: {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            errors: Vec::new(),
            read: BTreeSet::new(),
        }
    }

    /// Names read so far (used to check the settings table is complete).
    pub fn names_read(&self) -> &BTreeSet<&'static str> {
        &self.read
    }

    fn raw(&mut self, name: &'static str) -> Option<String> {
        self.read.insert(name);
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// True when `name` is present in the environment, even if empty.
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// A plain string, or its documented default.
    pub fn string(&mut self, name: &'static str) -> String {
        self.raw(name)
            .unwrap_or_else(|| default_of(name).to_owned())
    }

    /// A string that may be absent.
    pub fn optional(&mut self, name: &'static str) -> Option<String> {
        self.raw(name)
    }

    pub fn optional_secret(&mut self, name: &'static str) -> Option<Secret> {
        self.raw(name).map(Secret::new)
    }

    pub fn required_secret(&mut self, name: &'static str) -> Secret {
        match self.raw(name) {
            Some(v) => Secret::new(v),
            None => {
                self.errors.push(format!("{name} is required but not set"));
                Secret::new("")
            }
        }
    }

    /// A secret with a (non-secret) default, such as a local broker URL.
    pub fn secret_or_default(&mut self, name: &'static str) -> Secret {
        Secret::new(self.string(name))
    }

    /// A value parsed with `FromStr`, or its documented default.
    pub fn parse<T>(&mut self, name: &'static str) -> T
    where
        T: FromStr + Default,
        T::Err: fmt::Display,
    {
        let (text, from_default) = match self.raw(name) {
            Some(v) => (v, false),
            None => (default_of(name).to_owned(), true),
        };
        match text.parse::<T>() {
            Ok(v) => v,
            Err(e) => {
                let origin = if from_default { " (default)" } else { "" };
                self.errors
                    .push(format!("{name}={text:?}{origin} is invalid: {e}"));
                T::default()
            }
        }
    }

    /// A positive integer.
    pub fn positive(&mut self, name: &'static str) -> u32 {
        let v: u32 = self.parse(name);
        if v == 0 && !self.errors.iter().any(|e| e.starts_with(name)) {
            self.errors.push(format!("{name} must be at least 1"));
            return 1;
        }
        v.max(1)
    }

    pub fn seconds(&mut self, name: &'static str) -> Duration {
        Duration::from_secs(u64::from(self.positive(name)))
    }

    pub fn url(&mut self, name: &'static str) -> Url {
        let text = self.string(name);
        match Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(_) => {
                self.errors
                    .push(format!("{name}={text:?} must be an http(s) URL"));
                fallback_url()
            }
            Err(e) => {
                self.errors.push(format!("{name}={text:?} is invalid: {e}"));
                fallback_url()
            }
        }
    }

    pub fn error(&mut self, line: String) {
        self.errors.push(line);
    }

    /// Ok when every setting read so far was valid.
    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(self.errors))
        }
    }
}

fn fallback_url() -> Url {
    Url::parse("http://invalid.invalid/").unwrap_or_else(|_| unreachable!("a constant URL parses"))
}
