//! What a transcript depends on besides the audio: the recognition language (pinned or auto),
//! the glossary of whoever owns the transcript, and whether subtitles are wanted. Written into
//! the job as its settings key, which with the file's `file_unique_id` is the result cache's
//! key: the same file with the same settings is answered from a kept transcript. The key holds
//! only the glossary's fingerprint; a job reads the glossary itself from its owner.

use scribe_store::{Group, User};

use crate::glossary::Glossary;

/// The recognition settings of one job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recognition {
    /// A pinned language, or `None` to detect it.
    pub language: Option<String>,
    pub glossary: Glossary,
    /// Subtitle documents too (`/subtitles`, `/output srt`).
    pub subtitles: bool,
}

impl Recognition {
    /// A private chat's settings: the user's.
    pub fn of_user(user: &User) -> Recognition {
        Recognition {
            language: user.asr_language.clone(),
            glossary: Glossary::parse(&user.glossary),
            subtitles: user.subtitles,
        }
    }

    /// A group's settings.
    pub fn of_group(group: &Group) -> Recognition {
        Recognition {
            language: group.asr_language.clone(),
            glossary: Glossary::parse(&group.glossary),
            subtitles: group.subtitles,
        }
    }

    /// The settings key: stable, and readable back with [`Recognition::from_key`].
    pub fn key(&self) -> String {
        let mut key = format!("lang={}", self.language.as_deref().unwrap_or("auto"));
        if let Some(fingerprint) = self.glossary.fingerprint() {
            key.push_str(";glossary=");
            key.push_str(&fingerprint);
        }
        if self.subtitles {
            key.push_str(";subs=1");
        }
        key
    }

    /// The language and subtitles a key names (its glossary is only a fingerprint: empty here).
    pub fn from_key(key: &str) -> Recognition {
        let parts = || key.split(';');
        let language = parts()
            .find_map(|part| part.strip_prefix("lang="))
            .filter(|lang| *lang != "auto" && !lang.is_empty())
            .map(str::to_owned);
        Recognition {
            language,
            glossary: Glossary::default(),
            subtitles: parts().any(|part| part == "subs=1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_and_differ_by_every_setting() {
        for language in [None, Some("ru".to_owned())] {
            for subtitles in [false, true] {
                let r = Recognition {
                    language: language.clone(),
                    glossary: Glossary::default(),
                    subtitles,
                };
                assert_eq!(Recognition::from_key(&r.key()), r);
            }
        }
        let plain = Recognition::default();
        let english = Recognition {
            language: Some("en".into()),
            ..Recognition::default()
        };
        let spelled = Recognition {
            glossary: Glossary::parse("Kubernetes"),
            ..Recognition::default()
        };
        assert_ne!(plain.key(), english.key());
        assert_ne!(plain.key(), spelled.key());
        assert_eq!(Recognition::from_key(&spelled.key()).language, None);
        assert_eq!(Recognition::from_key(""), Recognition::default());
    }
}
