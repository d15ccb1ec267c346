//! Every instruction scribe gives a language model, in one place and in English. Each asks for
//! the answer in the transcript's own language (a translation: in the language chosen) and for
//! the answer alone, with no preface.

/// Formatting a transcript.
pub const FORMAT: &str = "You format speech-recognition transcripts. Add punctuation and capital letters, \
split the text into paragraphs, and fix only obvious recognition errors. Keep the speaker's words, names, \
word order and language exactly; never translate, summarise, shorten, explain or comment. \
Output only the formatted text, without any preface.";

/// A summary of a transcript (or of one part of a long one).
const SUMMARY: &str = "You summarise speech transcripts. Write a short summary of the text: the main points \
and any decisions, as a few sentences or short bullet points. Write it in the same language as the text. \
Do not add anything that is not in the text. Output only the summary, without any preface.";

/// The summaries of a long transcript's parts, combined.
const SUMMARY_COMBINE: &str = "You are given summaries of consecutive parts of one long speech transcript. \
Combine them into one short summary of the whole: the main points and any decisions, as a few sentences or \
short bullet points, without repeating yourself. Write it in the same language as the summaries. \
Output only the summary, without any preface.";

/// The action items of a transcript (or of one part of a long one).
const ACTION_ITEMS: &str = "You extract action items from speech transcripts. List every task, promise, \
request or deadline the text mentions, one per line starting with \"- \", with who is to do it and by when \
when the text says so. Write them in the same language as the text. If there are none, answer with a single \
line saying so in that language. Output only the list, without any preface.";

/// The action items of a long transcript's parts, combined.
const ACTION_ITEMS_COMBINE: &str = "You are given lists of action items from consecutive parts of one long \
speech transcript. Merge them into one list, one item per line starting with \"- \", dropping duplicates and \
lines that only say there are none; if nothing is left, answer with a single line saying so. Keep the \
language of the lists. Output only the list, without any preface.";

/// What a language model is asked to do with a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task<'a> {
    Format,
    Summary,
    ActionItems,
    /// Into the language with this code (`en`, `ru`, `de`…).
    Translate(&'a str),
}

impl Task<'_> {
    /// The instructions for one piece of text.
    pub fn instructions(self) -> String {
        match self {
            Task::Format => FORMAT.to_owned(),
            Task::Summary => SUMMARY.to_owned(),
            Task::ActionItems => ACTION_ITEMS.to_owned(),
            Task::Translate(language) => translate(language),
        }
    }

    /// The instructions that combine the answers for a long text's pieces into one; `None`
    /// when the pieces' answers are simply joined in order.
    pub fn combine(self) -> Option<&'static str> {
        match self {
            Task::Summary => Some(SUMMARY_COMBINE),
            Task::ActionItems => Some(ACTION_ITEMS_COMBINE),
            Task::Format | Task::Translate(_) => None,
        }
    }

    /// Whether the answer keeps (most of) the length of its input; a much shorter answer is
    /// then a sign the model dropped text.
    pub fn keeps_length(self) -> bool {
        matches!(self, Task::Format | Task::Translate(_))
    }
}

fn translate(language: &str) -> String {
    let name = language_name(language);
    format!(
        "You translate speech transcripts. Translate the text into {name} (language code \"{language}\"), \
         keeping its meaning, names, numbers and paragraphs. If the text is already in {name}, output it \
         unchanged. Output only the translation, without any preface."
    )
}

/// The English name of a language code the bot offers, else the code itself.
fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "ru" => "Russian",
        "uk" => "Ukrainian",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "it" => "Italian",
        "pt" => "Portuguese",
        "tr" => "Turkish",
        "zh" => "Chinese",
        "ja" => "Japanese",
        "ko" => "Korean",
        "ar" => "Arabic",
        other => other,
    }
}

/// What the previous piece of a long text ended with, for a piece's instructions.
pub fn continuation(instructions: &str, previous_tail: &str) -> String {
    format!(
        "{instructions}\n\nThe text continues an earlier passage that ended with: «{previous_tail}». \
         Use it only as context; do not repeat it."
    )
}

/// The glossary, for a formatter's instructions.
pub fn with_spellings(instructions: &str, glossary: &[String]) -> String {
    if glossary.is_empty() {
        return instructions.to_owned();
    }
    format!(
        "{instructions}\n\nThese words and names occur in the recording; spell them exactly as given \
         here: {}.",
        glossary.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_asks_for_the_answer_alone_in_the_right_language() {
        for task in [
            Task::Format,
            Task::Summary,
            Task::ActionItems,
            Task::Translate("de"),
        ] {
            let text = task.instructions();
            assert!(text.contains("without any preface"), "{task:?}");
            assert!(
                text.contains("same language")
                    || text.contains("language exactly")
                    || text.contains("German"),
                "{task:?}"
            );
        }
        assert!(Task::Translate("xx").instructions().contains("\"xx\""));
        assert!(Task::Summary.combine().is_some());
        assert!(Task::Translate("en").combine().is_none());
    }

    #[test]
    fn spellings_are_listed_only_when_there_are_any() {
        assert_eq!(with_spellings("Do.", &[]), "Do.");
        let with = with_spellings("Do.", &["Kubernetes".into(), "Иван Петров".into()]);
        assert!(with.contains("Kubernetes; Иван Петров"));
    }
}
