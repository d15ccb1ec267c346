//! What a transcript depends on besides the audio: the recognition language (pinned or auto)
//! and — once the owner keeps one — the glossary. Written into the job as its settings key, which
//! with the file's `file_unique_id` is the result cache's key: the same file with the same
//! settings is answered from a kept transcript.

/// The recognition settings of one job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recognition {
    /// A pinned language, or `None` to detect it.
    pub language: Option<String>,
}

impl Recognition {
    /// The settings key: stable, and readable back with [`Recognition::from_key`].
    pub fn key(&self) -> String {
        format!("lang={}", self.language.as_deref().unwrap_or("auto"))
    }

    pub fn from_key(key: &str) -> Recognition {
        let language = key
            .split(';')
            .find_map(|part| part.strip_prefix("lang="))
            .filter(|lang| *lang != "auto" && !lang.is_empty())
            .map(str::to_owned);
        Recognition { language }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_and_differ_by_language() {
        for language in [None, Some("ru".to_owned())] {
            let r = Recognition { language };
            assert_eq!(Recognition::from_key(&r.key()), r);
        }
        assert_ne!(
            Recognition::default().key(),
            Recognition {
                language: Some("en".into())
            }
            .key()
        );
        assert_eq!(Recognition::from_key(""), Recognition::default());
    }
}
