//! Answering a query: FTS5 finds the entries, bm25 (`rank`) ranks them,
//! best first.
//!
//! A word found in most entries ("the", a project's name) matches hundreds
//! of thousands of them at 1 GB of transcripts, and ranking them all takes
//! most of a second. So only the newest `RANK_AMONG` matches are ranked:
//! FTS5 finds the id of the `RANK_AMONG`th newest in a few milliseconds
//! (ids grow with time), and ranks from there. A rarer query ranks all.

use super::snippet::Snippet;
use super::{Index, Role};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result};
use rusqlite::OptionalExtension;
use rusqlite::types::Value;
use std::path::PathBuf;
use uuid::Uuid;

/// How many of the newest matches are ranked, at most. Ranking costs
/// ~0.5 µs a match (each one's positions and length are read); this keeps
/// it near a millisecond whatever the index's size.
pub const RANK_AMONG: usize = 2000;

/// A query FTS5 cannot parse, or one that finds nothing by construction.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadQuery(pub String);

/// Which entries a query may find.
pub struct Filter<'a> {
    /// Whose words: a subset of `Role::ALL`, not empty.
    pub roles: &'a [Role],
    /// Only one session's transcripts.
    pub owner: Option<Uuid>,
    /// Only what was said since then.
    pub since: Option<Timestamp>,
    /// At most this many hits.
    pub limit: usize,
}

/// One entry found.
#[derive(Debug)]
pub struct Hit {
    /// The session; None for the base's own conversations.
    pub owner: Option<Uuid>,
    pub conversation: String,
    /// Said in a sub-agent's transcript.
    pub agent: bool,
    pub path: PathBuf,
    pub role: Role,
    pub time: Option<Timestamp>,
    /// bm25 (`rank`): lower is better.
    pub rank: f64,
    /// Where Claude ran, as the record says.
    pub cwd: Option<String>,
    pub snippet: Snippet,
}

/// The hits of a query, best first.
pub struct Found {
    pub hits: Vec<Hit>,
    /// More matched than `RANK_AMONG`: only the newest were ranked.
    pub newest_only: bool,
}

/// A hit before its snippet is cut.
pub(super) struct Located {
    pub path: PathBuf,
    pub line: i64,
    pub part: usize,
    pub role: Role,
    pub owner: Option<Uuid>,
    pub conversation: String,
    pub agent: bool,
    pub time: Option<Timestamp>,
    pub rank: f64,
}

impl Index {
    /// The entries that match `text` (FTS5 query syntax), best first.
    pub fn search(&self, text: &str, filter: &Filter) -> Result<Found> {
        let expression = expression(text, filter.roles)?;
        let mut conditions = String::new();
        let mut params = vec![Value::Text(expression.clone())];
        if let Some(owner) = filter.owner {
            params.push(Value::Text(owner.to_string()));
            conditions.push_str(&format!(" AND f.owner = ?{}", params.len()));
        }
        if let Some(since) = filter.since {
            params.push(Value::Integer(since.millis()));
            conditions.push_str(&format!(" AND e.time >= ?{}", params.len()));
        }
        let joins = "JOIN entries e ON e.id = fts.rowid JOIN files f ON f.id = e.file";
        let from = match conditions.is_empty() {
            true => "fts",
            false => &format!("fts {joins}"),
        };
        let floor: Option<i64> = self
            .run(
                &format!(
                    "SELECT fts.rowid FROM {from} WHERE fts MATCH ?1{conditions}
                     ORDER BY fts.rowid DESC LIMIT 1 OFFSET {}",
                    RANK_AMONG - 1
                ),
                &params,
                |r| r.get(0),
            )?
            .into_iter()
            .next();
        // The sample the rank's IDFs are counted in (`rank`): the oldest
        // entries, or all of them.
        let sample: Option<i64> = self
            .conn
            .query_row(
                &format!(
                    "SELECT id FROM entries ORDER BY id LIMIT 1 OFFSET {}",
                    super::rank::SAMPLE - 1
                ),
                [],
                |r| r.get(0),
            )
            .optional()
            .with_context(|| self.context())?;
        let (sample_end, sample_rows) = match sample {
            Some(end) => (end, super::rank::SAMPLE),
            None => (i64::MAX, 0),
        };
        let sql = format!(
            "SELECT e.line, e.part, e.role, e.time, f.path, f.owner, f.conversation, f.agent,
                    {}(fts, {sample_end}, {sample_rows})
             FROM fts {joins}
             WHERE fts MATCH ?1 AND fts.rowid >= {}{conditions}
             ORDER BY 9, e.time DESC LIMIT {}",
            super::rank::FUNCTION,
            floor.unwrap_or(0),
            filter.limit
        );
        let located = self.run(&sql, &params, |r| {
            let path: Vec<u8> = r.get(4)?;
            let owner: String = r.get(5)?;
            Ok(Located {
                line: r.get(0)?,
                part: r.get::<_, i64>(1)?.max(0) as usize,
                role: Role::from_code(r.get(2)?),
                time: r.get::<_, Option<i64>>(3)?.map(Timestamp::from_millis),
                path: PathBuf::from(std::ffi::OsString::from(
                    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&path),
                )),
                owner: Uuid::parse_str(&owner).ok(),
                conversation: r.get(6)?,
                agent: r.get(7)?,
                rank: r.get(8)?,
            })
        })?;
        let hits = super::snippet::cut(&self.conn, &expression, located)
            .with_context(|| self.context())?;
        Ok(Found {
            hits,
            newest_only: floor.is_some(),
        })
    }

    /// Runs a query with a MATCH: an error while it runs is the query's
    /// (the SQL is ours), so it is a `BadQuery`.
    fn run<T>(
        &self,
        sql: &str,
        params: &[Value],
        row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).with_context(|| self.context())?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<T>>>());
        match rows {
            Ok(rows) => Ok(rows),
            Err(rusqlite::Error::SqliteFailure(e, Some(why)))
                if e.code == rusqlite::ErrorCode::Unknown =>
            {
                Err(BadQuery(why).into())
            }
            Err(e) => Err(anyhow::Error::new(e).context(self.context())),
        }
    }
}

/// The MATCH expression: the query, limited to the roles' columns.
fn expression(text: &str, roles: &[Role]) -> std::result::Result<String, BadQuery> {
    if text.trim().is_empty() {
        return Err(BadQuery("the query is empty".into()));
    }
    if Role::ALL.iter().all(|r| roles.contains(r)) {
        return Ok(text.to_string());
    }
    let columns: Vec<&str> = roles.iter().map(|r| r.name()).collect();
    Ok(format!("{{{}}} : ({text})", columns.join(" ")))
}
