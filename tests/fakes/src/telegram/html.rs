//! Telegram's `parse_mode: "HTML"`: the accepted tag set, entity decoding, and the resulting
//! plain text with its `MessageEntity` list (offsets in UTF-16 code units).
//!
//! Error wording follows the Bot API server's `can't parse entities: …` reasons. One deliberate
//! strictness: a `&` that does not start `&lt;`, `&gt;`, `&amp;`, `&quot;` or a numeric entity
//! is rejected (the real server keeps it literally), so an unescaped `&` in a transcript is
//! caught in tests.

use std::fmt;

use serde_json::{Value, json};

/// Plain text after parsing, plus its formatting entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub(crate) text: String,
    pub(crate) entities: Vec<Entity>,
}

impl Rendered {
    /// Text without markup: no entities.
    pub(crate) fn plain(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            entities: Vec::new(),
        }
    }

    /// Length in Unicode scalar values, the unit the fake applies the 4096/1024 limits in.
    pub(crate) fn chars(&self) -> usize {
        self.text.chars().count()
    }

    /// True when nothing but whitespace is left.
    pub(crate) fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    pub(crate) fn entities_json(&self) -> Value {
        Value::Array(self.entities.iter().map(Entity::to_json).collect())
    }
}

/// One `MessageEntity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entity {
    pub(crate) kind: &'static str,
    pub(crate) offset: usize,
    pub(crate) length: usize,
    pub(crate) url: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) custom_emoji_id: Option<String>,
}

impl Entity {
    fn to_json(&self) -> Value {
        let mut value = json!({"type": self.kind, "offset": self.offset, "length": self.length});
        if let Some(url) = &self.url {
            value["url"] = json!(url);
        }
        if let Some(language) = &self.language {
            value["language"] = json!(language);
        }
        if let Some(id) = &self.custom_emoji_id {
            value["custom_emoji_id"] = json!(id);
        }
        value
    }
}

/// Why a text is not valid Telegram HTML. `Display` is the reason after `can't parse entities: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MarkupError {
    UnsupportedStartTag {
        name: String,
        offset: usize,
    },
    UnclosedStartTag {
        offset: usize,
    },
    UnclosedEndTag {
        offset: usize,
    },
    UnexpectedEndTag {
        offset: usize,
    },
    UnmatchedEndTag {
        offset: usize,
        expected: String,
        found: String,
    },
    MissingEndTag {
        name: String,
    },
    EmptyAttributeName {
        tag: String,
        offset: usize,
    },
    MissingEqualSign {
        tag: String,
        offset: usize,
    },
    SpanWithoutSpoiler {
        offset: usize,
    },
    EmojiWithoutId {
        offset: usize,
    },
    UnsupportedEntity {
        offset: usize,
    },
}

impl fmt::Display for MarkupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedStartTag { name, offset } => {
                write!(
                    f,
                    "Unsupported start tag \"{name}\" at byte offset {offset}"
                )
            }
            Self::UnclosedStartTag { offset } => {
                write!(f, "Unclosed start tag at byte offset {offset}")
            }
            Self::UnclosedEndTag { offset } => {
                write!(f, "Unclosed end tag at byte offset {offset}")
            }
            Self::UnexpectedEndTag { offset } => {
                write!(f, "Unexpected end tag at byte offset {offset}")
            }
            Self::UnmatchedEndTag {
                offset,
                expected,
                found,
            } => write!(
                f,
                "Unmatched end tag at byte offset {offset}, expected \"</{expected}>\", found \"</{found}>\""
            ),
            Self::MissingEndTag { name } => {
                write!(
                    f,
                    "Can't find end tag corresponding to start tag \"{name}\""
                )
            }
            Self::EmptyAttributeName { tag, offset } => write!(
                f,
                "Empty attribute name in the tag \"{tag}\" at byte offset {offset}"
            ),
            Self::MissingEqualSign { tag, offset } => write!(
                f,
                "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at byte offset {offset}"
            ),
            Self::SpanWithoutSpoiler { offset } => write!(
                f,
                "Tag \"span\" must have class \"tg-spoiler\" at byte offset {offset}"
            ),
            Self::EmojiWithoutId { offset } => write!(
                f,
                "Tag \"tg-emoji\" must have attribute \"emoji-id\" at byte offset {offset}"
            ),
            Self::UnsupportedEntity { offset } => {
                write!(f, "Unsupported HTML entity at byte offset {offset}")
            }
        }
    }
}

const TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

/// A start tag waiting for its end tag.
struct Open {
    name: String,
    start: usize,
    kind: Option<&'static str>,
    url: Option<String>,
    language: Option<String>,
    custom_emoji_id: Option<String>,
}

/// Parses Telegram HTML into plain text and entities.
pub(crate) fn parse(input: &str) -> Result<Rendered, MarkupError> {
    let bytes = input.as_bytes();
    let mut text = String::with_capacity(input.len());
    let mut utf16 = 0usize;
    let mut open: Vec<Open> = Vec::new();
    let mut entities = Vec::new();
    let mut i = 0usize;

    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let (ch, used) = decode_entity(&input[i..])
                    .ok_or(MarkupError::UnsupportedEntity { offset: i })?;
                text.push(ch);
                utf16 += ch.len_utf16();
                i += used;
            }
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                let begin = i;
                let Some(top) = open.pop() else {
                    return Err(MarkupError::UnexpectedEndTag { offset: begin });
                };
                i += 2;
                let name_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                let found = input[name_start..i].to_ascii_lowercase();
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] != b'>' {
                    return Err(MarkupError::UnclosedEndTag { offset: begin });
                }
                i += 1;
                if !found.is_empty() && found != top.name {
                    return Err(MarkupError::UnmatchedEndTag {
                        offset: begin,
                        expected: top.name,
                        found,
                    });
                }
                close(top, utf16, &mut open, &mut entities);
            }
            b'<' => {
                let begin = i;
                i += 1;
                let name_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(MarkupError::UnclosedStartTag { offset: begin });
                }
                let name = input[name_start..i].to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(MarkupError::UnsupportedStartTag {
                        name,
                        offset: begin,
                    });
                }
                let (attributes, next) = read_attributes(input, i, &name, begin)?;
                i = next;
                open.push(start_tag(name, attributes, begin, utf16)?);
            }
            _ => {
                // Copy the whole UTF-8 sequence starting here. `i` is always on a char boundary:
                // it only ever advances past ASCII bytes or whole chars.
                let ch = input[i..].chars().next().unwrap_or('\u{FFFD}');
                text.push(ch);
                utf16 += ch.len_utf16();
                i += ch.len_utf8().max(1);
            }
        }
    }
    if let Some(top) = open.pop() {
        return Err(MarkupError::MissingEndTag { name: top.name });
    }
    entities
        .sort_by(|a: &Entity, b: &Entity| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    Ok(Rendered { text, entities })
}

/// Reads the attributes of a start tag from `i` (just after the name) through the closing `>`.
/// Returns them and the index after `>`.
fn read_attributes(
    input: &str,
    mut i: usize,
    tag: &str,
    begin: usize,
) -> Result<(Vec<(String, String)>, usize), MarkupError> {
    let bytes = input.as_bytes();
    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return Err(MarkupError::UnclosedStartTag { offset: begin });
        }
        if bytes[i] == b'>' {
            return Ok((attributes, i + 1));
        }
        let name_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && bytes[i] != b'='
            && bytes[i] != b'>'
        {
            i += 1;
        }
        let name = input[name_start..i].to_ascii_lowercase();
        if name.is_empty() {
            return Err(MarkupError::EmptyAttributeName {
                tag: tag.to_owned(),
                offset: begin,
            });
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return Err(MarkupError::UnclosedStartTag { offset: begin });
        }
        if bytes[i] != b'=' {
            // Only `<blockquote expandable>` takes a bare attribute.
            if tag == "blockquote" && name == "expandable" {
                attributes.push((name, String::new()));
                continue;
            }
            return Err(MarkupError::MissingEqualSign {
                tag: tag.to_owned(),
                offset: begin,
            });
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return Err(MarkupError::UnclosedStartTag { offset: begin });
        }
        let raw = if bytes[i] == b'"' || bytes[i] == b'\'' {
            let quote = bytes[i];
            i += 1;
            let value_start = i;
            while i < bytes.len() && bytes[i] != quote {
                i += 1;
            }
            if i >= bytes.len() {
                return Err(MarkupError::UnclosedStartTag { offset: begin });
            }
            let value = &input[value_start..i];
            i += 1;
            value
        } else {
            let value_start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                i += 1;
            }
            &input[value_start..i]
        };
        attributes.push((name, decode_attribute(raw)));
    }
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn start_tag(
    name: String,
    attributes: Vec<(String, String)>,
    begin: usize,
    start: usize,
) -> Result<Open, MarkupError> {
    let mut tag = Open {
        name,
        start,
        kind: None,
        url: None,
        language: None,
        custom_emoji_id: None,
    };
    tag.kind = match tag.name.as_str() {
        "b" | "strong" => Some("bold"),
        "i" | "em" => Some("italic"),
        "u" | "ins" => Some("underline"),
        "s" | "strike" | "del" => Some("strikethrough"),
        "tg-spoiler" => Some("spoiler"),
        "span" => {
            if attribute(&attributes, "class") != Some("tg-spoiler") {
                return Err(MarkupError::SpanWithoutSpoiler { offset: begin });
            }
            Some("spoiler")
        }
        "a" => {
            let href = attribute(&attributes, "href").unwrap_or_default();
            if href.is_empty() {
                None
            } else {
                tag.url = Some(href.to_owned());
                Some("text_link")
            }
        }
        "tg-emoji" => {
            let Some(id) = attribute(&attributes, "emoji-id").filter(|id| !id.is_empty()) else {
                return Err(MarkupError::EmojiWithoutId { offset: begin });
            };
            tag.custom_emoji_id = Some(id.to_owned());
            Some("custom_emoji")
        }
        "code" => {
            tag.language = attribute(&attributes, "class")
                .and_then(|class| class.strip_prefix("language-"))
                .filter(|language| !language.is_empty())
                .map(str::to_owned);
            Some("code")
        }
        "pre" => Some("pre"),
        "blockquote" => {
            if attribute(&attributes, "expandable").is_some() {
                Some("expandable_blockquote")
            } else {
                Some("blockquote")
            }
        }
        _ => None,
    };
    Ok(tag)
}

fn close(tag: Open, end: usize, open: &mut [Open], entities: &mut Vec<Entity>) {
    // `<pre><code class="language-x">…</code></pre>` is one `pre` entity with a language.
    if tag.kind == Some("code")
        && tag.language.is_some()
        && let Some(parent) = open.last_mut()
        && parent.kind == Some("pre")
    {
        parent.language = tag.language;
        return;
    }
    let Some(kind) = tag.kind else { return };
    if end > tag.start {
        entities.push(Entity {
            kind,
            offset: tag.start,
            length: end - tag.start,
            url: tag.url,
            language: if kind == "pre" { tag.language } else { None },
            custom_emoji_id: tag.custom_emoji_id,
        });
    }
}

/// Decodes the entity at the start of `s` (which begins with `&`): the char and bytes consumed.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    for (name, ch) in [
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&amp;", '&'),
        ("&quot;", '"'),
    ] {
        if s.starts_with(name) {
            return Some((ch, name.len()));
        }
    }
    let rest = s.strip_prefix("&#")?;
    let (digits, radix, prefix) = match rest.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16, 3),
        None => (rest, 10, 2),
    };
    let end = digits.find(';')?;
    let number = &digits[..end];
    if number.is_empty() || number.len() > 8 || !number.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let code = u32::from_str_radix(number, radix).ok()?;
    let ch = char::from_u32(code).filter(|&c| c != '\0')?;
    Some((ch, prefix + end + 1))
}

/// Decodes entities in an attribute value, keeping anything unrecognised as written.
fn decode_attribute(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match decode_entity(rest) {
            Some((ch, used)) => {
                out.push(ch);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Rendered {
        match parse(input) {
            Ok(rendered) => rendered,
            Err(error) => panic!("{input:?} rejected: {error}"),
        }
    }

    fn err(input: &str) -> String {
        match parse(input) {
            Ok(rendered) => panic!("{input:?} accepted as {rendered:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn plain_text_and_entities() {
        let rendered = ok("a &lt;b&gt; &amp; &quot;c&quot; &#65;&#x42;");
        assert_eq!(rendered.text, "a <b> & \"c\" AB");
        assert!(rendered.entities.is_empty());
    }

    #[test]
    fn nested_tags_make_entities_in_utf16_units() {
        let rendered = ok("😀 <b>bold <i>both</i></b> <a href=\"https://x.y/?a=1&b=2\">link</a>");
        assert_eq!(rendered.text, "😀 bold both link");
        let kinds: Vec<_> = rendered
            .entities
            .iter()
            .map(|e| (e.kind, e.offset, e.length))
            .collect();
        assert_eq!(
            kinds,
            vec![("bold", 3, 9), ("italic", 8, 4), ("text_link", 13, 4)]
        );
        assert_eq!(
            rendered.entities[2].url.as_deref(),
            Some("https://x.y/?a=1&b=2")
        );
    }

    #[test]
    fn pre_with_language() {
        let rendered = ok("<pre><code class=\"language-rust\">fn</code></pre>");
        assert_eq!(rendered.entities.len(), 1);
        assert_eq!(rendered.entities[0].kind, "pre");
        assert_eq!(rendered.entities[0].language.as_deref(), Some("rust"));
    }

    #[test]
    fn spoilers_quotes_and_emoji() {
        let rendered = ok(
            "<span class=\"tg-spoiler\">s</span><tg-spoiler>t</tg-spoiler><blockquote expandable>q</blockquote><tg-emoji emoji-id=\"5\">👍</tg-emoji>",
        );
        let kinds: Vec<_> = rendered.entities.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                "spoiler",
                "spoiler",
                "expandable_blockquote",
                "custom_emoji"
            ]
        );
    }

    #[test]
    fn rejections() {
        assert_eq!(err("<br>"), "Unsupported start tag \"br\" at byte offset 0");
        assert_eq!(err("a < b"), "Unsupported start tag \"\" at byte offset 2");
        assert_eq!(
            err("<b>x"),
            "Can't find end tag corresponding to start tag \"b\""
        );
        assert_eq!(
            err("<b><i>x</b></i>"),
            "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""
        );
        assert_eq!(err("x</b>"), "Unexpected end tag at byte offset 1");
        assert_eq!(
            err("Tom & Jerry"),
            "Unsupported HTML entity at byte offset 4"
        );
        assert_eq!(err("&nbsp;"), "Unsupported HTML entity at byte offset 0");
        assert_eq!(err("<b"), "Unclosed start tag at byte offset 0");
        assert_eq!(
            err("<span>x</span>"),
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
        );
        assert_eq!(
            err("<a href>x</a>"),
            "Expected equal sign in declaration of an attribute of the tag \"a\" at byte offset 0"
        );
    }

    #[test]
    fn greater_than_is_literal() {
        assert_eq!(ok("a > b").text, "a > b");
    }
}
