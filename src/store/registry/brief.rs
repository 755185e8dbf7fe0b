//! What a listing shows of each session, read without the rest of its row:
//! `list`'s table. A third of the columns `all` reads, ordered here rather
//! than by SQL (through the index, SQLite looks every row up again): the
//! 10,000 rows of a large store in a few milliseconds.

use super::{Registry, Result, rows};
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use std::path::PathBuf;
use uuid::Uuid;

/// A session as `list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Brief {
    pub session_id: Uuid,
    pub session_name: String,
    pub working_directory: PathBuf,
    pub status: Status,
    pub state: Option<String>,
    /// A holder keeps it, by its row.
    pub held: bool,
    pub clients: u32,
    pub exit_code: Option<i32>,
    pub message_count: u64,
    pub tool_call_count: u64,
    pub last_activity: Timestamp,
}

const SELECT: &str = "SELECT id, name, cwd, status, state, holder_pid, clients, exit_code, \
                      message_count, tool_call_count, last_activity FROM sessions";

impl Brief {
    /// The row of `SELECT`, or why it is not a session's.
    fn read(row: &rusqlite::Row<'_>) -> std::result::Result<Brief, String> {
        let bad = |e: rusqlite::Error| e.to_string();
        let text = |i| row.get_ref(i).and_then(|v| Ok(v.as_str()?)).map_err(bad);
        Ok(Brief {
            session_id: rows::parse_id(text(0)?)?,
            session_name: row.get(1).map_err(bad)?,
            working_directory: PathBuf::from(row.get::<_, String>(2).map_err(bad)?),
            status: rows::parse_status(text(3)?)?,
            state: row.get(4).map_err(bad)?,
            held: row.get::<_, Option<u32>>(5).map_err(bad)?.is_some(),
            clients: row.get(6).map_err(bad)?,
            exit_code: row.get(7).map_err(bad)?,
            message_count: row.get::<_, i64>(8).map_err(bad)?.max(0) as u64,
            tool_call_count: row.get::<_, i64>(9).map_err(bad)?.max(0) as u64,
            last_activity: Timestamp::from_millis(row.get(10).map_err(bad)?),
        })
    }
}

impl From<&Session> for Brief {
    fn from(s: &Session) -> Brief {
        Brief {
            session_id: s.session_id,
            session_name: s.session_name.clone(),
            working_directory: s.working_directory.clone(),
            status: s.status,
            state: s.state.clone(),
            held: s.holder.is_some(),
            clients: s.clients,
            exit_code: s.exit_code,
            message_count: s.message_count,
            tool_call_count: s.tool_call_count,
            last_activity: s.last_activity,
        }
    }
}

impl Registry {
    /// Every session as a listing shows it, in the order of `all` (most
    /// recently active first, then by name); an unreadable row is skipped
    /// with a warning naming it, as `all` does.
    pub fn briefs(&self) -> Result<Vec<Brief>> {
        let mut stmt = self.conn.prepare_cached(SELECT).map_err(|e| self.wrap(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.wrap(e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.wrap(e))? {
            match Brief::read(row) {
                Ok(brief) => out.push(brief),
                Err(why) => self.skip_bad(self.bad_row(rows::row_id(row), why)),
            }
        }
        out.sort_unstable_by(|a, b| {
            (b.last_activity.cmp(&a.last_activity))
                .then_with(|| a.session_name.cmp(&b.session_name))
        });
        Ok(out)
    }
}
