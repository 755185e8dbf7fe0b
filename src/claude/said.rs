//! What one transcript record says: a person's prompt, Claude's reply, a
//! tool call's input, a tool's output. The one reader of message text, for
//! `last_said` (what a session that is not running shows) and the search
//! index. See docs/claude-code.md for the records.
//!
//! Typed and borrowing: text without escapes is never copied, and the
//! fields nobody reads (usage, ids, `toolUseResult`, which repeats a
//! tool's output) are skipped, not built.

use serde::Deserialize;
use std::borrow::Cow;

/// What a part of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Typed by a person (or, in a sub-agent's transcript, by Claude for
    /// the sub-agent).
    Prompt,
    /// Claude's text.
    Reply,
    /// A tool call: the tool's name and the text of its input.
    ToolInput,
    /// A tool's result.
    ToolOutput,
}

#[derive(Debug)]
pub struct Part<'a> {
    pub kind: Kind,
    pub text: Cow<'a, str>,
}

/// A `user` or `assistant` record, read.
#[derive(Debug)]
pub struct Record<'a> {
    /// RFC 3339, as Claude Code writes it.
    pub timestamp: Option<Cow<'a, str>>,
    /// The working directory Claude ran in.
    pub cwd: Option<Cow<'a, str>>,
    /// Written for a sub-agent, not the main conversation.
    pub sidechain: bool,
    /// In the record's order; text blocks joined into one part.
    pub parts: Vec<Part<'a>>,
}

/// The record a transcript line holds; None for a line that is not JSON or
/// a record that says nothing (Claude's own records, notes, empty text).
pub fn read(line: &[u8]) -> Option<Record<'_>> {
    let raw: Raw = serde_json::from_slice(line).ok()?;
    let message = raw.message?;
    let mut parts = Vec::new();
    match raw.kind.as_deref()? {
        "user" if raw.is_meta != Some(true) && raw.is_compact_summary != Some(true) => {
            // Claude's notes in a prompt's place (commands and their
            // output, interruptions, reminders) start with a tag.
            if let Some(text) = message.content.text().filter(|t| !t.starts_with('<')) {
                parts.push(Part {
                    kind: Kind::Prompt,
                    text,
                });
            }
            for block in message.content.blocks() {
                if block.kind.as_deref() == Some("tool_result")
                    && let Some(text) = block.content.text()
                {
                    parts.push(Part {
                        kind: Kind::ToolOutput,
                        text,
                    });
                }
            }
        }
        "assistant" => {
            if let Some(text) = message.content.text() {
                parts.push(Part {
                    kind: Kind::Reply,
                    text,
                });
            }
            for block in message.content.blocks() {
                if block.kind.as_deref() == Some("tool_use") {
                    let mut text = block.name.as_deref().unwrap_or("").to_string();
                    if let Some(input) = &block.input {
                        strings_of(input, &mut text);
                    }
                    if !text.trim().is_empty() {
                        parts.push(Part {
                            kind: Kind::ToolInput,
                            text: Cow::Owned(text),
                        });
                    }
                }
            }
        }
        _ => return None,
    }
    (!parts.is_empty()).then_some(Record {
        timestamp: raw.timestamp,
        cwd: raw.cwd,
        sidechain: raw.is_sidechain == Some(true),
        parts,
    })
}

/// Every string in a tool's input (a command, a path, an edit), a line each.
fn strings_of(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::String(s) => {
            out.push('\n');
            out.push_str(s);
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings_of(v, out)),
        _ => {}
    }
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    cwd: Option<Cow<'a, str>>,
    #[serde(rename = "isMeta", default)]
    is_meta: Option<bool>,
    #[serde(rename = "isSidechain", default)]
    is_sidechain: Option<bool>,
    #[serde(rename = "isCompactSummary", default)]
    is_compact_summary: Option<bool>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    content: Content<'a>,
}

/// A message's (or a tool result's) content: a string, or content blocks.
#[derive(Default)]
enum Content<'a> {
    #[default]
    Empty,
    Text(Cow<'a, str>),
    Blocks(Vec<Block<'a>>),
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    input: Option<serde_json::Value>,
    #[serde(borrow, default)]
    content: Content<'a>,
}

impl<'a> Content<'a> {
    /// The text: the string, or the text blocks joined by newlines;
    /// trimmed, None if empty.
    fn text(&self) -> Option<Cow<'a, str>> {
        let text = match self {
            Content::Empty => return None,
            Content::Text(text) => text.clone(),
            Content::Blocks(blocks) => {
                let mut texts = blocks
                    .iter()
                    .filter(|b| b.kind.as_deref() == Some("text"))
                    .filter_map(|b| b.text.as_ref());
                let first = texts.next()?.clone();
                texts.fold(first, |mut all, more| {
                    let all_mut = all.to_mut();
                    all_mut.push('\n');
                    all_mut.push_str(more);
                    all
                })
            }
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        Some(match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) if s.len() == trimmed.len() => Cow::Owned(s),
            Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
        })
    }

    fn blocks(&self) -> &[Block<'a>] {
        match self {
            Content::Blocks(blocks) => blocks,
            _ => &[],
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of content blocks")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(s)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Content::Empty)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::new();
                // A block that is not an object (garbage) is left out, not
                // the whole record.
                while let Some(block) = seq.next_element::<MaybeBlock<'a>>()? {
                    if let MaybeBlock(Some(block)) = block {
                        blocks.push(block);
                    }
                }
                Ok(Content::Blocks(blocks))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

/// A content block, or nothing for an element that is not one.
struct MaybeBlock<'a>(Option<Block<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeBlock<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = MaybeBlock<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a content block")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let block = Block::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(MaybeBlock(Some(block)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MaybeBlock(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MaybeBlock(None))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(line: &str) -> Vec<(Kind, String)> {
        read(line.as_bytes())
            .map(|r| {
                r.parts
                    .into_iter()
                    .map(|p| (p.kind, p.text.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn every_record_type() {
        use Kind::*;
        let cases: &[(&str, &[(Kind, &str)])] = &[
            (
                r#"{"type":"user","message":{"role":"user","content":"a question"},"origin":{"kind":"human"}}"#,
                &[(Prompt, "a question")],
            ),
            (
                r#"{"type":"user","message":{"content":[{"type":"text","text":"one"},{"type":"image","source":{}},{"type":"text","text":"two"}]}}"#,
                &[(Prompt, "one\ntwo")],
            ),
            (
                r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"  an answer\n"}]}}"#,
                &[(Reply, "an answer")],
            ),
            (
                r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls -la","timeout":5,"env":["A=b"]}}]}}"#,
                &[(ToolInput, "Bash\nls -la\nA=b")],
            ),
            (
                r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"file.txt"}]},"toolUseResult":{"stdout":"file.txt"}}"#,
                &[(ToolOutput, "file.txt")],
            ),
            (
                r#"{"type":"user","message":{"content":[{"type":"tool_result","content":[{"type":"text","text":"out"},{"type":"image"}]}]}}"#,
                &[(ToolOutput, "out")],
            ),
            // Said nothing, or Claude's own.
            (
                r#"{"type":"user","isMeta":true,"message":{"content":"caveat"}}"#,
                &[],
            ),
            (
                r#"{"type":"user","isCompactSummary":true,"message":{"content":"summary"}}"#,
                &[],
            ),
            (
                r#"{"type":"user","message":{"content":"<command-name>/clear</command-name>"}}"#,
                &[],
            ),
            (r#"{"type":"user","message":{"content":"   "}}"#, &[]),
            (r#"{"type":"user","message":{"content":null}}"#, &[]),
            (r#"{"type":"system","subtype":"turn_duration"}"#, &[]),
            (
                r#"{"type":"file-history-snapshot","messageId":"m","snapshot":{}}"#,
                &[],
            ),
            (r#"{"type":"summary","summary":"s","leafUuid":"u"}"#, &[]),
            (r#"{"type":"attachment","attachment":{"type":"x"}}"#, &[]),
            (r#"{"type":"permission-mode","permissionMode":"plan"}"#, &[]),
            (r#"{"type":"last-prompt","lastPrompt":"x"}"#, &[]),
            (r#"{"type":"queue-operation","operation":"enqueue"}"#, &[]),
            (r#"{"type":"cost-state"}"#, &[]),
            // Garbage.
            ("not json", &[]),
            ("[1,2]", &[]),
            ("", &[]),
            (r#"{"type":"user","message":{"content":"cut"#, &[]),
            (r#"{"type":5,"message":{"content":"x"}}"#, &[]),
        ];
        for (line, want) in cases {
            let want: Vec<(Kind, String)> = want.iter().map(|(k, t)| (*k, t.to_string())).collect();
            assert_eq!(parts(line), want, "{line}");
        }
    }

    #[test]
    fn a_bad_block_loses_only_itself() {
        let line = r#"{"type":"assistant","timestamp":"2025-01-02T03:04:05.678Z","cwd":"/w","isSidechain":true,"message":{"content":[7,{"type":"text","text":"caf\u00e9 ✓"}]}}"#;
        let record = read(line.as_bytes()).unwrap();
        assert_eq!(
            record.timestamp.as_deref(),
            Some("2025-01-02T03:04:05.678Z")
        );
        assert_eq!(record.cwd.as_deref(), Some("/w"));
        assert!(record.sidechain);
        assert_eq!(record.parts[0].text, "café ✓");
    }
}
