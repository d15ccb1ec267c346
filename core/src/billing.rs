//! Billing vocabulary: seconds of audio as the unit, trial modes, minute packages, and how an
//! amount is shown to people. Balance changes themselves are SQL in `store::ledger`.

use std::fmt;
use std::str::FromStr;

/// Why a balance changed; stored in every ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Trial,
    Purchase,
    Hold,
    Settle,
    Release,
    AdminCredit,
    Refund,
    /// A transcript action beyond the daily allowance.
    Action,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Trial => "trial",
            Reason::Purchase => "purchase",
            Reason::Hold => "hold",
            Reason::Settle => "settle",
            Reason::Release => "release",
            Reason::AdminCredit => "admin_credit",
            Reason::Refund => "refund",
            Reason::Action => "action",
        }
    }
}

/// How new users get free minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrialMode {
    /// Granted on first contact.
    #[default]
    Auto,
    /// Requested with `/trial`, approved by an admin.
    Review,
    /// No trial.
    Off,
}

impl FromStr for TrialMode {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(TrialMode::Auto),
            "review" => Ok(TrialMode::Review),
            "off" => Ok(TrialMode::Off),
            _ => Err("expected auto, review or off"),
        }
    }
}

/// A package of minutes sold for Telegram Stars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub id: String,
    pub minutes: i64,
    pub stars: i64,
    /// How many times one user may buy it (`None`: unlimited).
    pub per_user_limit: Option<i64>,
}

impl Package {
    pub fn seconds(&self) -> i64 {
        self.minutes * 60
    }

    /// Parses `id:minutes:stars[:limit]` items separated by commas.
    pub fn parse_list(text: &str) -> Result<Vec<Package>, String> {
        let mut out: Vec<Package> = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let parts: Vec<&str> = item.split(':').collect();
            if !(3..=4).contains(&parts.len()) {
                return Err(format!("{item:?} is not id:minutes:stars[:limit]"));
            }
            let id = parts[0];
            if id.is_empty()
                || id.len() > 24
                || !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            {
                return Err(format!(
                    "package id {id:?} must be 1-24 lowercase letters or digits"
                ));
            }
            let number = |s: &str, what: &str| -> Result<i64, String> {
                match s.parse::<i64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!(
                        "{what} of {id:?} must be a positive whole number, not {s:?}"
                    )),
                }
            };
            let package = Package {
                id: id.to_owned(),
                minutes: number(parts[1], "minutes")?,
                stars: number(parts[2], "stars")?,
                per_user_limit: parts.get(3).map(|l| number(l, "limit")).transpose()?,
            };
            if out.iter().any(|p| p.id == package.id) {
                return Err(format!("package id {id:?} appears twice"));
            }
            out.push(package);
        }
        Ok(out)
    }

    /// The cheapest package whose minutes cover `deficit_seconds`, else the largest one.
    pub fn cheapest_covering(packages: &[Package], deficit_seconds: i64) -> Option<&Package> {
        packages
            .iter()
            .filter(|p| p.seconds() >= deficit_seconds)
            .min_by_key(|p| p.stars)
            .or_else(|| packages.iter().max_by_key(|p| p.minutes))
    }
}

/// Seconds shown as minutes and seconds: `14 min 5 s`, `3 min`, `45 s`.
#[derive(Debug, Clone, Copy)]
pub struct Duration(pub i64);

impl Duration {
    pub fn render(self, minutes_word: &str, seconds_word: &str) -> String {
        let total = self.0.max(0);
        let (m, s) = (total / 60, total % 60);
        match (m, s) {
            (0, s) => format!("{s} {seconds_word}"),
            (m, 0) => format!("{m} {minutes_word}"),
            (m, s) => format!("{m} {minutes_word} {s} {seconds_word}"),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("min", "s"))
    }
}

/// Whole seconds charged for audio of `seconds` length: every started second counts.
pub fn billable_seconds(seconds: f64) -> i64 {
    if !seconds.is_finite() || seconds <= 0.0 {
        return 0;
    }
    // Audio shorter than ~292 million years fits an i64 of seconds.
    (seconds - 0.05).ceil().max(1.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_packages_parse() {
        let p = Package::parse_list(
            "micro:10:5:3,start:50:35,standard:200:119,profi:1000:549,editorial:3000:1399,max:8888:4444",
        )
        .expect("valid");
        assert_eq!(p.len(), 6);
        assert_eq!(p[0].per_user_limit, Some(3));
        assert_eq!(p[5].seconds(), 8888 * 60);
    }

    #[test]
    fn bad_packages_are_explained() {
        assert!(
            Package::parse_list("micro:10")
                .unwrap_err()
                .contains("id:minutes:stars")
        );
        assert!(
            Package::parse_list("a:0:5")
                .unwrap_err()
                .contains("minutes")
        );
        assert!(
            Package::parse_list("a:1:5,a:2:6")
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            Package::parse_list("A:1:5")
                .unwrap_err()
                .contains("lowercase")
        );
    }

    #[test]
    fn cheapest_covering_picks_the_smallest_sufficient() {
        let p = Package::parse_list("micro:10:5,start:50:35,standard:200:119").expect("valid");
        assert_eq!(
            Package::cheapest_covering(&p, 60).map(|p| p.id.as_str()),
            Some("micro")
        );
        assert_eq!(
            Package::cheapest_covering(&p, 11 * 60).map(|p| p.id.as_str()),
            Some("start")
        );
        assert_eq!(
            Package::cheapest_covering(&p, 999 * 60).map(|p| p.id.as_str()),
            Some("standard")
        );
    }

    #[test]
    fn durations_render_minutes_and_seconds() {
        assert_eq!(Duration(845).to_string(), "14 min 5 s");
        assert_eq!(Duration(180).to_string(), "3 min");
        assert_eq!(Duration(45).to_string(), "45 s");
        assert_eq!(billable_seconds(2.3), 3);
        assert_eq!(billable_seconds(3.02), 3);
        assert_eq!(billable_seconds(0.2), 1);
        assert_eq!(billable_seconds(0.0), 0);
    }
}
