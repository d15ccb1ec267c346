//! Shaping text for people and models: HTML escaping for Telegram, and splitting long text at
//! paragraph, then sentence, then word boundaries.

/// Escapes the three characters Telegram's HTML parse mode treats specially.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it conservatively: UTF-16 code units.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Splits `text` into pieces with `measure(piece) <= limit`, preferring paragraph boundaries
/// (blank lines), then line breaks and sentence ends, then spaces; a single word longer than the
/// limit is cut between characters. Pieces are trimmed; their order is the text's.
pub fn split(text: &str, limit: usize, measure: &dyn Fn(&str) -> usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut pieces = Vec::new();
    let mut current = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if measure(paragraph) > limit {
            flush(&mut pieces, &mut current);
            pack(
                &mut pieces,
                sentences(paragraph),
                Level::Sentences,
                limit,
                measure,
            );
            continue;
        }
        let candidate = if current.is_empty() {
            paragraph.to_owned()
        } else {
            format!("{current}\n\n{paragraph}")
        };
        if measure(&candidate) <= limit {
            current = candidate;
        } else {
            flush(&mut pieces, &mut current);
            current = paragraph.to_owned();
        }
    }
    flush(&mut pieces, &mut current);
    pieces
}

fn flush(pieces: &mut Vec<String>, current: &mut String) {
    let piece = std::mem::take(current);
    let piece = piece.trim();
    if !piece.is_empty() {
        pieces.push(piece.to_owned());
    }
}

/// What [`pack`] is packing: a part too long at one level is broken at the next.
#[derive(Clone, Copy)]
enum Level {
    Sentences,
    Words,
}

/// Greedily packs `parts` joined by spaces.
fn pack(
    pieces: &mut Vec<String>,
    parts: Vec<&str>,
    level: Level,
    limit: usize,
    measure: &dyn Fn(&str) -> usize,
) {
    let mut current = String::new();
    for part in parts {
        if measure(part) > limit {
            flush(pieces, &mut current);
            match level {
                Level::Sentences => pack(
                    pieces,
                    part.split_whitespace().collect(),
                    Level::Words,
                    limit,
                    measure,
                ),
                Level::Words => hard_cut(pieces, part, limit, measure),
            }
            continue;
        }
        let candidate = if current.is_empty() {
            part.to_owned()
        } else {
            format!("{current} {part}")
        };
        if measure(&candidate) <= limit {
            current = candidate;
        } else {
            flush(pieces, &mut current);
            current = part.to_owned();
        }
    }
    flush(pieces, &mut current);
}

fn hard_cut(pieces: &mut Vec<String>, word: &str, limit: usize, measure: &dyn Fn(&str) -> usize) {
    let mut current = String::new();
    for c in word.chars() {
        current.push(c);
        if measure(&current) > limit {
            current.pop();
            flush(pieces, &mut current);
            current.push(c);
        }
    }
    flush(pieces, &mut current);
}

/// Sentences and lines of a paragraph, each keeping its end punctuation.
fn sentences(paragraph: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = paragraph.char_indices().collect();
    for (i, &(pos, c)) in bytes.iter().enumerate() {
        let next_is_space = bytes.get(i + 1).is_some_and(|&(_, n)| n == ' ');
        let end = match c {
            '\n' => Some(pos),
            '.' | '!' | '?' | '…' if next_is_space => Some(pos + c.len_utf8()),
            _ => None,
        };
        if let Some(end) = end {
            let s = paragraph[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let rest = paragraph[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Counts characters (Unicode scalar values).
pub fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Words, as whitespace-separated runs.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Replaces ё with е (a common preference in Russian typing).
pub fn without_yo(text: &str) -> String {
    text.replace('ё', "е").replace('Ё', "Е")
}

/// A stable 16-hex-digit fingerprint of `text` (FNV-1a, 64 bits: the same across processes and
/// versions, which std's hasher is not). For keys and handles, not for secrets.
pub fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("a < b && c > d"),
            "a &lt; b &amp;&amp; c &gt; d"
        );
    }

    #[test]
    fn paragraphs_are_packed_and_never_exceed_the_limit() {
        let text = "First paragraph here.\n\nSecond one.\n\nThird paragraph is a little longer.";
        let pieces = split(text, 40, &chars);
        assert_eq!(
            pieces,
            vec![
                "First paragraph here.\n\nSecond one.",
                "Third paragraph is a little longer."
            ]
        );
    }

    #[test]
    fn long_paragraphs_split_at_sentences_then_words_then_chars() {
        let text = "One two three. Four five six! Seven eight nine? Ten.";
        let pieces = split(text, 20, &chars);
        assert_eq!(
            pieces,
            vec![
                "One two three.",
                "Four five six!",
                "Seven eight nine?",
                "Ten."
            ]
        );
        let words = split("alpha beta gamma delta epsilon", 11, &chars);
        assert!(words.iter().all(|p| chars(p) <= 11), "{words:?}");
        assert_eq!(words.join(" "), "alpha beta gamma delta epsilon");
        let long = split("abcdefghij", 4, &chars);
        assert_eq!(long, vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn measuring_escaped_text_keeps_entities_whole() {
        let text = "<<<<<<<<<< >>>>>>>>>>";
        let measure = |s: &str| chars(&escape_html(s));
        let pieces = split(text, 24, &measure);
        for p in &pieces {
            assert!(measure(p) <= 24, "{p}");
        }
        assert_eq!(pieces.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn yo_is_replaced() {
        assert_eq!(without_yo("Ёлка и ёж"), "Елка и еж");
    }
}
