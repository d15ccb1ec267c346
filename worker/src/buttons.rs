//! Inline-button data, one enum: what a button says it does is written (`Display`) and read
//! back (`FromStr`) here and nowhere else. Telegram limits `callback_data` to 64 bytes; every
//! button fits, whatever the search text it carries (a text too long travels as a handle to
//! the text, kept in the store).

use std::fmt;
use std::str::FromStr;

/// Telegram's limit on `callback_data`, in bytes.
pub const MAX_DATA_BYTES: usize = 64;

/// A `/settings` toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingToggle {
    Language,
    Code,
    Yo,
    Output,
    Subtitles,
}

impl SettingToggle {
    const ALL: [SettingToggle; 5] = [
        SettingToggle::Language,
        SettingToggle::Code,
        SettingToggle::Yo,
        SettingToggle::Output,
        SettingToggle::Subtitles,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SettingToggle::Language => "lang",
            SettingToggle::Code => "code",
            SettingToggle::Yo => "yo",
            SettingToggle::Output => "out",
            SettingToggle::Subtitles => "subs",
        }
    }
}

/// An admin's decision on a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialDecision {
    Approve,
    Deny,
    Revoke,
}

impl TrialDecision {
    const ALL: [TrialDecision; 3] = [
        TrialDecision::Approve,
        TrialDecision::Deny,
        TrialDecision::Revoke,
    ];

    fn as_str(self) -> &'static str {
        match self {
            TrialDecision::Approve => "ok",
            TrialDecision::Deny => "no",
            TrialDecision::Revoke => "revoke",
        }
    }
}

/// The search text of a `/user` page: inline when the button has room, else a handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Text(String),
    /// The store keeps the text under this handle ([`Query::handle_of`]).
    Handle(String),
}

impl Query {
    /// The handle of a text: its fingerprint.
    pub fn handle_of(text: &str) -> String {
        scribe_core::text::fingerprint(text)
    }
}

/// Every kind of button the bot sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// Buy a minute package.
    Buy { package: String },
    /// Toggle a setting and redraw `/settings`.
    Setting(SettingToggle),
    /// An admin decides a user's trial.
    Trial {
        decision: TrialDecision,
        user_id: i64,
    },
    /// An admin pages through `/user` results.
    Users { offset: i64, query: Query },
    /// An admin opens a user's card.
    User { user_id: i64 },
    /// `/forget`'s answer: delete everything, or not.
    Forget { confirm: bool },
    /// An action on the transcript job `job_id` delivered.
    Action { job_id: i64, action: Action },
    /// Translate: show the languages to translate `job_id`'s transcript into.
    Languages { job_id: i64 },
}

impl Button {
    /// The `/user` page button for `query`: inline when it fits in the 64 bytes, else by handle
    /// (the caller stores the text under [`Query::handle_of`]).
    pub fn users(offset: i64, query: &str) -> Button {
        let inline = Button::Users {
            offset,
            query: Query::Text(query.to_owned()),
        };
        if inline.to_string().len() <= MAX_DATA_BYTES && !query.starts_with('#') {
            inline
        } else {
            Button::Users {
                offset,
                query: Query::Handle(Query::handle_of(query)),
            }
        }
    }

    /// The callback data.
    pub fn data(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Button {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Button::Buy { package } => write!(f, "buy:{package}"),
            Button::Setting(toggle) => write!(f, "set:{}", toggle.as_str()),
            Button::Trial { decision, user_id } => {
                write!(f, "trial:{}:{user_id}", decision.as_str())
            }
            Button::Users {
                offset,
                query: Query::Text(text),
            } => write!(f, "users:{offset}:{text}"),
            Button::Users {
                offset,
                query: Query::Handle(handle),
            } => write!(f, "users:{offset}:#{handle}"),
            Button::User { user_id } => write!(f, "user:{user_id}"),
            Button::Forget { confirm } => {
                write!(f, "forget:{}", if *confirm { "yes" } else { "no" })
            }
            Button::Action { job_id, action } => write!(f, "act:{job_id}:{}", action.key()),
            Button::Languages { job_id } => write!(f, "tr:{job_id}"),
        }
    }
}

/// Data that is not a button of this bot (forged, or from an older version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a button of this bot")]
pub struct UnknownButton;

impl FromStr for Button {
    type Err = UnknownButton;

    fn from_str(data: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = data.split_once(':').ok_or(UnknownButton)?;
        let id = |s: &str| s.parse::<i64>().map_err(|_| UnknownButton);
        match kind {
            "buy" if !rest.is_empty() && !rest.contains(':') => Ok(Button::Buy {
                package: rest.to_owned(),
            }),
            "set" => SettingToggle::ALL
                .into_iter()
                .find(|t| t.as_str() == rest)
                .map(Button::Setting)
                .ok_or(UnknownButton),
            "trial" => {
                let (decision, user) = rest.split_once(':').ok_or(UnknownButton)?;
                let decision = TrialDecision::ALL
                    .into_iter()
                    .find(|d| d.as_str() == decision)
                    .ok_or(UnknownButton)?;
                Ok(Button::Trial {
                    decision,
                    user_id: id(user)?,
                })
            }
            "users" => {
                let (offset, query) = rest.split_once(':').ok_or(UnknownButton)?;
                let offset = id(offset)?;
                if offset < 0 {
                    return Err(UnknownButton);
                }
                let query = match query.strip_prefix('#') {
                    Some(handle)
                        if handle.len() == 16 && handle.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        Query::Handle(handle.to_owned())
                    }
                    Some(_) => return Err(UnknownButton),
                    None => Query::Text(query.to_owned()),
                };
                Ok(Button::Users { offset, query })
            }
            "user" => Ok(Button::User { user_id: id(rest)? }),
            "forget" => match rest {
                "yes" => Ok(Button::Forget { confirm: true }),
                "no" => Ok(Button::Forget { confirm: false }),
                _ => Err(UnknownButton),
            },
            "act" => {
                let (job, action) = rest.split_once(':').ok_or(UnknownButton)?;
                Ok(Button::Action {
                    job_id: id(job)?,
                    action: Action::parse(action).ok_or(UnknownButton)?,
                })
            }
            "tr" => Ok(Button::Languages { job_id: id(rest)? }),
            _ => Err(UnknownButton),
        }
    }
}

/// What a button asks of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Summary,
    ActionItems,
    /// Into the language with this code.
    Translate(String),
}

impl Action {
    /// The key kept with the press and the answer (`summary`, `items`, `tr-de`).
    pub fn key(&self) -> String {
        match self {
            Action::Summary => "summary".to_owned(),
            Action::ActionItems => "items".to_owned(),
            Action::Translate(language) => format!("tr-{language}"),
        }
    }

    /// Reads a key back; `None` for anything else (a language code is 2–3 lowercase letters,
    /// with an optional `-xx` region).
    pub fn parse(key: &str) -> Option<Action> {
        match key {
            "summary" => Some(Action::Summary),
            "items" => Some(Action::ActionItems),
            other => {
                let language = other.strip_prefix("tr-")?;
                let (base, region) = match language.split_once('-') {
                    Some((b, r)) => (b, Some(r)),
                    None => (language, None),
                };
                let letters = |s: &str, n: std::ops::RangeInclusive<usize>| {
                    n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
                };
                (letters(base, 2..=3) && region.is_none_or(|r| letters(r, 2..=2)))
                    .then(|| Action::Translate(language.to_owned()))
            }
        }
    }

    /// The kind of action, for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Summary => "summary",
            Action::ActionItems => "items",
            Action::Translate(_) => "translate",
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn any_button() -> impl Strategy<Value = Button> {
        prop_oneof![
            "[a-z0-9_]{1,32}".prop_map(|package| Button::Buy { package }),
            proptest::sample::select(SettingToggle::ALL.to_vec()).prop_map(Button::Setting),
            (
                proptest::sample::select(TrialDecision::ALL.to_vec()),
                any::<i64>()
            )
                .prop_map(|(decision, user_id)| Button::Trial { decision, user_id }),
            (0..i64::MAX, ".{0,80}").prop_map(|(offset, query)| Button::users(offset, &query)),
            any::<i64>().prop_map(|user_id| Button::User { user_id }),
            any::<bool>().prop_map(|confirm| Button::Forget { confirm }),
            (any::<i64>(), "[a-z]{2,3}(-[a-z]{2})?", 0..3u8).prop_map(|(job_id, lang, which)| {
                let action = match which {
                    0 => Action::Summary,
                    1 => Action::ActionItems,
                    _ => Action::Translate(lang),
                };
                Button::Action { job_id, action }
            }),
            any::<i64>().prop_map(|job_id| Button::Languages { job_id }),
        ]
    }

    proptest! {
        #[test]
        fn every_button_round_trips_and_fits_in_64_bytes(button in any_button()) {
            let data = button.data();
            prop_assert!(data.len() <= MAX_DATA_BYTES, "{} bytes: {data}", data.len());
            prop_assert_eq!(data.parse::<Button>(), Ok(button));
        }

        #[test]
        fn arbitrary_data_never_panics(data in ".{0,100}") {
            let _ = data.parse::<Button>();
        }
    }

    #[test]
    fn a_long_cyrillic_search_travels_as_a_handle() {
        let query = "Александра Константиновна Ивановна"; // 34 characters, 64 bytes
        assert!(format!("users:5:{query}").len() > MAX_DATA_BYTES);
        let button = Button::users(5, query);
        assert_eq!(
            button,
            Button::Users {
                offset: 5,
                query: Query::Handle(Query::handle_of(query))
            }
        );
        assert!(button.data().len() <= MAX_DATA_BYTES);
        assert_eq!(
            Button::users(5, "анна"),
            Button::Users {
                offset: 5,
                query: Query::Text("анна".into())
            }
        );
    }

    #[test]
    fn forged_data_is_refused() {
        for data in [
            "",
            "buy:",
            "set:volume",
            "trial:maybe:1",
            "trial:ok:x",
            "users:-5:a",
            "users:5:#zz",
            "user:",
            "forget:maybe",
            "admin:all",
        ] {
            assert_eq!(data.parse::<Button>(), Err(UnknownButton), "{data:?}");
        }
    }
}
