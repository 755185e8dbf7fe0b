//! A hit's snippet: its text read again from the transcript (the index
//! holds none), cut around the match by FTS5 itself. The texts of the hits
//! go in a small in-memory FTS5 table with the index's tokenizer, and the
//! same query's `snippet()` marks exactly the words the index matched.

use super::query::{Hit, Located};
use super::schema::TOKENIZER;
use super::{Role, indexed};
use std::io::{BufReader, Seek, SeekFrom};
use std::ops::Range;

/// Marks FTS5 puts around a matched word; control characters, which the
/// tokenizer never keeps in a word and which are taken out of the text.
const OPEN: char = '\u{2}';
const CLOSE: char = '\u{3}';

/// Words of context in a snippet.
const WORDS: u32 = 24;

/// A piece of what was said, on one line, the matched words marked.
#[derive(Debug, Clone, PartialEq)]
pub struct Snippet {
    /// Whitespace runs (newlines too) made one space; "…" where cut.
    pub text: String,
    /// Byte ranges of `text` that matched.
    pub marks: Vec<Range<usize>>,
}

/// The hits, with their snippets and working dirs. A hit whose line is no
/// longer there (its file replaced since the index was updated) is left
/// out.
pub(super) fn cut(
    conn: &rusqlite::Connection,
    expression: &str,
    located: Vec<Located>,
) -> rusqlite::Result<Vec<Hit>> {
    let mut hits = Vec::new();
    let mut texts = Vec::new();
    for at in located {
        let Some((text, cwd)) = reread(&at) else {
            continue;
        };
        texts.push(text);
        hits.push(Hit {
            owner: at.owner,
            conversation: at.conversation,
            agent: at.agent,
            path: at.path,
            role: at.role,
            time: at.time,
            rank: at.rank,
            cwd,
            snippet: Snippet {
                text: String::new(),
                marks: Vec::new(),
            },
        });
    }
    if hits.is_empty() {
        return Ok(hits);
    }
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.snippets USING fts5(user, assistant, tool, tokenize = '{TOKENIZER}');
         DELETE FROM temp.snippets;"
    ))?;
    for (i, (hit, text)) in hits.iter().zip(&texts).enumerate() {
        let column = hit.role.name();
        conn.execute(
            &format!("INSERT INTO temp.snippets (rowid, {column}) VALUES (?1, ?2)"),
            rusqlite::params![i as i64, text],
        )?;
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT rowid, snippet(snippets, -1, char(2), char(3), '…', {WORDS})
         FROM temp.snippets WHERE snippets MATCH ?1"
    ))?;
    let marked = stmt.query_map([expression], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in marked {
        let (i, raw) = row?;
        if let Some(hit) = usize::try_from(i).ok().and_then(|i| hits.get_mut(i)) {
            hit.snippet = parse(&raw);
        }
    }
    // A text the query does not match here (it cannot, unless the file
    // changed in between): its start, unmarked.
    for (hit, text) in hits.iter_mut().zip(&texts) {
        if hit.snippet.text.is_empty() {
            let start: String = text.chars().take(200).collect();
            hit.snippet = parse(&start);
        }
    }
    Ok(hits)
}

/// The text of the hit's part, as it was indexed (the marks taken out),
/// and the record's working dir.
fn reread(at: &Located) -> Option<(String, Option<String>)> {
    let file = super::update::open(&at.path)?;
    let mut reader = BufReader::new(file);
    reader
        .seek(SeekFrom::Start(u64::try_from(at.line).ok()?))
        .ok()?;
    let mut line = Vec::new();
    let (_, whole) = super::update::next_line(&mut reader, &mut line).ok()?;
    if !whole {
        return None;
    }
    let record = crate::claude::said::read(&line)?;
    let part = record.parts.get(at.part)?;
    if Role::of(part.kind) != at.role {
        return None;
    }
    let text = indexed(&part.text).replace([OPEN, CLOSE], " ");
    Some((text, record.cwd.map(|c| c.into_owned())))
}

/// FTS5's snippet, its marks turned into ranges, on one line.
fn parse(raw: &str) -> Snippet {
    let mut text = String::with_capacity(raw.len());
    let mut marks = Vec::new();
    let mut open = None;
    for c in raw.chars() {
        match c {
            OPEN => open = Some(text.len()),
            CLOSE => {
                if let Some(start) = open.take() {
                    marks.push(start..text.len());
                }
            }
            c if c.is_whitespace() => {
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            c => text.push(c),
        }
    }
    // A space at the end is dropped (and at most one can be), unless marked.
    if text.ends_with(' ') && marks.last().is_none_or(|m| m.end < text.len()) {
        text.pop();
    }
    Snippet { text, marks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_become_ranges_on_one_line() {
        let s = parse("…the \u{2}migration\u{3}\n\n  plan \u{2}café\u{3} done ");
        assert_eq!(s.text, "…the migration plan café done");
        let marked: Vec<&str> = s.marks.iter().map(|m| &s.text[m.clone()]).collect();
        assert_eq!(marked, ["migration", "café"]);
    }
}
