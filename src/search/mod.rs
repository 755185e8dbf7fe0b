//! Full-text search over every transcript: the sessions' and the base's
//! own (`<base>/projects`), in an SQLite FTS5 index kept in
//! `<store>/search.db`, apart from the registry.
//!
//! The index holds no text: the transcripts are the text. It maps words to
//! entries, and an entry to where it was said (file, the line's byte
//! offset, which part of the record), who said it and when; a result's
//! snippet is cut from the line read again (`snippet`). So the index stays
//! a fraction of the transcripts' size, and a transcript that is gone takes
//! its words with it at the next update.
//!
//! It is a cache: kept up to date at each search, reading only what was
//! appended since (`update`), never on a hook's path; rebuilt from the
//! transcripts at any time (`search --rebuild`, or by deleting the file).

mod query;
mod rank;
mod schema;
mod snippet;
mod update;

pub use query::{BadQuery, Filter, Hit, RANK_AMONG};
pub use update::Source;

use anyhow::{Context, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Who said it: the FTS5 column an entry's text is in, so a query limited
/// to some roles is a column filter the index answers by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A prompt.
    User,
    /// Claude's text.
    Assistant,
    /// A tool call's input or a tool's output.
    Tool,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Assistant, Role::Tool];

    /// Its column, and its name in `--role` and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    fn code(self) -> i64 {
        self as i64
    }

    fn from_code(code: i64) -> Role {
        match code {
            0 => Role::User,
            1 => Role::Assistant,
            _ => Role::Tool,
        }
    }

    fn of(kind: crate::claude::said::Kind) -> Role {
        use crate::claude::said::Kind;
        match kind {
            Kind::Prompt => Role::User,
            Kind::Reply => Role::Assistant,
            Kind::ToolInput | Kind::ToolOutput => Role::Tool,
        }
    }
}

/// The most of one part of a record that is indexed (a tool's output can
/// be a whole file): words past it are not found.
const MAX_TEXT: usize = 1 << 20;

/// A part's text as indexed: cut at `MAX_TEXT` (on a character boundary).
fn indexed(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Deleted sessions' words leave the index with them (`rm`, `cleanup`).
/// Without an index there is nothing to drop (none is made); one that
/// cannot be written now is warned of, and the next search drops them
/// before it answers.
pub fn forget_deleted(layout: &crate::store::layout::Layout, ids: &[uuid::Uuid]) {
    let path = layout.search_index();
    if ids.is_empty() || !path.exists() {
        return;
    }
    if let Err(e) = Index::open(&path).and_then(|mut index| index.forget_sessions(ids)) {
        crate::util::output::warn(format!("{e:#}"));
    }
}

/// The search index, open.
pub struct Index {
    conn: Connection,
    path: PathBuf,
}

impl Index {
    /// Opens the index at `path`, creating it (0600) if needed; one made by
    /// another version of claude-session is emptied and rebuilt.
    pub fn open(path: &Path) -> Result<Index> {
        let conn = schema::open(path)
            .and_then(|conn| rank::register(&conn).map(|()| conn))
            .with_context(|| {
            format!(
                "the search index {} cannot be opened; `claude-session search --rebuild` makes a new one",
                path.display()
            )
        })?;
        Ok(Index {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Deletes the index at `path` (and its WAL), for a rebuild from nothing.
    pub fn delete(path: &Path) -> Result<()> {
        crate::store::removal::delete_database(path)
    }

    fn context(&self) -> String {
        format!("the search index {}", self.path.display())
    }
}

#[cfg(test)]
mod tests;
