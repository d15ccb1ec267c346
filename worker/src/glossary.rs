//! Glossaries: words and names a user (or a group, kept by its admins) wants spelled exactly.
//! Sent to the recogniser as context (qwen3-asr-flash's system message, an OpenAI-compatible
//! recogniser's `prompt`) and to the formatter as "spell these exactly". At most
//! [`MAX_ENTRIES`] entries and [`MAX_CHARS`] characters in all; stored one entry per line.
//! `/glossary` lists, `add`s, `remove`s and `clear`s it; two edits at once both land.

use scribe_core::i18n::{GlossaryLimit, Lang, Msg};
use scribe_store::TranscriptOwner;

use crate::context::Context;
use crate::error::Result;

/// Most entries in a glossary.
pub const MAX_ENTRIES: usize = 100;
/// Most characters in a glossary, entries together.
pub const MAX_CHARS: usize = 2000;
/// Longest entry, characters.
pub const MAX_ENTRY_CHARS: usize = 100;
/// Edits of one command that found the glossary changed under them before it gives up.
const EDIT_ATTEMPTS: usize = 5;

/// Why an entry was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// It would be entry number [`MAX_ENTRIES`] + 1.
    TooMany,
    /// The glossary would pass [`MAX_CHARS`].
    TooLong,
    /// The entry alone is longer than [`MAX_ENTRY_CHARS`].
    EntryTooLong,
}

/// A glossary's entries, in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glossary(Vec<String>);

/// An entry as kept: control characters dropped, whitespace collapsed.
fn clean(entry: &str) -> String {
    entry
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The entries a command's text names: one per line or between commas.
pub fn entries_in(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(clean)
        .filter(|e| !e.is_empty())
        .collect()
}

impl Glossary {
    /// A glossary as stored (one entry per line).
    pub fn parse(stored: &str) -> Glossary {
        Glossary(
            stored
                .lines()
                .map(clean)
                .filter(|e| !e.is_empty())
                .collect(),
        )
    }

    /// How it is stored.
    pub fn stored(&self) -> String {
        self.0.join("\n")
    }

    pub fn entries(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn chars(&self) -> usize {
        self.0.iter().map(|e| e.chars().count()).sum()
    }

    /// Adds `entry` unless it is there already (any case); `Ok(false)` then.
    pub fn add(&mut self, entry: &str) -> Result<bool, Refused> {
        let entry = clean(entry);
        if self.position(&entry).is_some() || entry.is_empty() {
            return Ok(false);
        }
        let length = entry.chars().count();
        if length > MAX_ENTRY_CHARS {
            return Err(Refused::EntryTooLong);
        }
        if self.0.len() >= MAX_ENTRIES {
            return Err(Refused::TooMany);
        }
        if self.chars() + length > MAX_CHARS {
            return Err(Refused::TooLong);
        }
        self.0.push(entry);
        Ok(true)
    }

    /// Removes `entry` (any case); false when it was not there.
    pub fn remove(&mut self, entry: &str) -> bool {
        match self.position(&clean(entry)) {
            Some(i) => {
                self.0.remove(i);
                true
            }
            None => false,
        }
    }

    fn position(&self, entry: &str) -> Option<usize> {
        let wanted = entry.to_lowercase();
        self.0.iter().position(|e| e.to_lowercase() == wanted)
    }

    /// What the recogniser is given as context; `None` for an empty glossary.
    pub fn context(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.0.join(", "))
    }

    /// A fingerprint of the entries for the result cache's key: the same file with another
    /// glossary is recognised anew.
    pub fn fingerprint(&self) -> Option<String> {
        (!self.is_empty()).then(|| scribe_core::text::fingerprint(&self.stored()))
    }
}

/// What a `/glossary` command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    List,
    Add(Vec<String>),
    Remove(Vec<String>),
    Clear,
}

impl Edit {
    /// Reads the text after `/glossary`; `None` when it is none of the forms.
    pub fn parse(rest: &str) -> Option<Edit> {
        let rest = rest.trim();
        if rest.is_empty() {
            return Some(Edit::List);
        }
        let (verb, words) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let entries = entries_in(words);
        match (verb.to_lowercase().as_str(), entries.is_empty()) {
            ("clear", true) => Some(Edit::Clear),
            ("add", false) => Some(Edit::Add(entries)),
            ("remove" | "delete", false) => Some(Edit::Remove(entries)),
            _ => None,
        }
    }

    /// Whether it changes the glossary (in a group: for its admins only).
    pub fn changes(&self) -> bool {
        !matches!(self, Edit::List)
    }
}

/// Applies `edit` to the glossary of `owner` (stored as `stored` when read) and says how it
/// went. A concurrent edit is retried on what it left.
pub async fn apply(
    ctx: &Context,
    owner: TranscriptOwner,
    mut stored: String,
    edit: &Edit,
    lang: Lang,
) -> Result<String> {
    let group = matches!(owner, TranscriptOwner::Chat(_));
    for _ in 0..EDIT_ATTEMPTS {
        let mut glossary = Glossary::parse(&stored);
        let reply = match edit {
            Edit::List => {
                return Ok(Msg::GlossaryList {
                    entries: glossary.entries(),
                    group,
                }
                .render(lang));
            }
            Edit::Clear => {
                glossary = Glossary::default();
                Msg::GlossaryCleared.render(lang)
            }
            Edit::Add(entries) => {
                let mut added = 0;
                let mut refused = None;
                for entry in entries {
                    match glossary.add(entry) {
                        Ok(true) => added += 1,
                        Ok(false) => {}
                        Err(why) => {
                            refused = Some(limit(why));
                            break;
                        }
                    }
                }
                Msg::GlossaryAdded {
                    added,
                    total: glossary.entries().len(),
                    refused,
                }
                .render(lang)
            }
            Edit::Remove(entries) => {
                let removed = entries.iter().filter(|e| glossary.remove(e)).count();
                Msg::GlossaryRemoved {
                    removed,
                    total: glossary.entries().len(),
                }
                .render(lang)
            }
        };
        let new = glossary.stored();
        if new == stored || ctx.store.replace_glossary(owner, &stored, &new).await? {
            return Ok(reply);
        }
        stored = match owner {
            TranscriptOwner::User(id) => ctx
                .store
                .user(id)
                .await?
                .map(|u| u.glossary)
                .unwrap_or_default(),
            TranscriptOwner::Chat(id) => ctx.store.group(id).await?.glossary,
        };
    }
    // Every attempt found the glossary changed (or its owner gone): give up rather than spin.
    Err(scribe_store::Error::NotFound("a stable glossary to edit").into())
}

fn limit(refused: Refused) -> GlossaryLimit {
    match refused {
        Refused::TooMany => GlossaryLimit::Entries(MAX_ENTRIES),
        Refused::TooLong => GlossaryLimit::Chars(MAX_CHARS),
        Refused::EntryTooLong => GlossaryLimit::EntryChars(MAX_ENTRY_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_cleaned_deduplicated_and_removed_in_any_case() {
        let mut g = Glossary::default();
        assert_eq!(g.add("  Kubernetes\t"), Ok(true));
        assert_eq!(g.add("kubernetes"), Ok(false));
        assert_eq!(g.add("Иван   Петров"), Ok(true));
        assert_eq!(g.entries(), ["Kubernetes", "Иван Петров"]);
        assert_eq!(Glossary::parse(&g.stored()), g);
        assert!(g.remove("KUBERNETES"));
        assert!(!g.remove("Kubernetes"));
        assert_eq!(g.context().as_deref(), Some("Иван Петров"));
    }

    #[test]
    fn limits_are_enforced() {
        let mut g = Glossary::default();
        assert_eq!(g.add(&"x".repeat(101)), Err(Refused::EntryTooLong));
        for i in 0..MAX_ENTRIES {
            assert_eq!(g.add(&format!("word{i}")), Ok(true));
        }
        assert_eq!(g.add("one more"), Err(Refused::TooMany));
        let mut g = Glossary::default();
        for i in 0..20 {
            assert_eq!(g.add(&format!("{i:02}{}", "y".repeat(98))), Ok(true));
        }
        assert_eq!(g.add("z"), Err(Refused::TooLong));
    }

    #[test]
    fn a_command_names_entries_by_line_or_comma() {
        assert_eq!(
            entries_in("Anna, Bob\nCarol Day ,, "),
            ["Anna", "Bob", "Carol Day"]
        );
    }

    #[test]
    fn commands_read_as_edits() {
        assert_eq!(Edit::parse(""), Some(Edit::List));
        assert_eq!(Edit::parse("clear"), Some(Edit::Clear));
        assert_eq!(
            Edit::parse("ADD Anna,  Bob"),
            Some(Edit::Add(vec!["Anna".into(), "Bob".into()]))
        );
        assert_eq!(
            Edit::parse("remove Anna"),
            Some(Edit::Remove(vec!["Anna".into()]))
        );
        assert_eq!(Edit::parse("add"), None);
        assert_eq!(Edit::parse("clear all"), None);
        assert_eq!(Edit::parse("Anna"), None);
        assert!(!Edit::List.changes());
        assert!(Edit::Clear.changes());
    }

    #[test]
    fn fingerprints_differ_with_the_entries() {
        let a = Glossary::parse("Anna");
        let b = Glossary::parse("Anna\nBob");
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), Glossary::parse("Anna").fingerprint());
        assert_eq!(Glossary::default().fingerprint(), None);
    }
}
