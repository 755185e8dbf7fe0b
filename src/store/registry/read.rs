//! Reading sessions: by id, name or id prefix, and the listings. A row
//! that cannot be read as a session names itself (`BadRow`); a listing
//! skips it with a warning, so one bad row does not hide every session.

use super::{Registry, RegistryError, Result, like_escape, rows};
use crate::store::session::{Session, Status};
use rows::RawRow;
use uuid::Uuid;

impl Registry {
    /// A number that changes whenever another connection has committed a
    /// change (`PRAGMA data_version`): a watcher asks it often, and reads
    /// the sessions only when it moved.
    pub fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.wrap(e))
    }

    pub fn get(&self, id: Uuid) -> Result<Option<Session>> {
        self.query_one(
            &format!("{} WHERE id = ?1", rows::select()),
            &id.to_string(),
        )
    }

    pub fn by_name(&self, name: &str) -> Result<Option<Session>> {
        self.query_one(&format!("{} WHERE name = ?1", rows::select()), name)
    }

    /// Sessions whose id starts with `prefix` (lower-case hex and dashes).
    pub fn by_id_prefix(&self, prefix: &str) -> Result<Vec<Session>> {
        let pattern = format!("{}%", like_escape(prefix));
        self.query_many(
            &format!(
                "{} WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT 10",
                rows::select()
            ),
            &[&pattern],
        )
    }

    /// Every session, most recently active first.
    pub fn all(&self) -> Result<Vec<Session>> {
        self.query_many(
            &format!("{} ORDER BY last_activity DESC, name", rows::select()),
            &[],
        )
    }

    /// The sessions whose row says Claude or its holder runs (active,
    /// hibernated): the ones a listing checks against the process table.
    pub fn live(&self) -> Result<Vec<Session>> {
        self.query_many(
            &format!(
                "{} WHERE status IN ('{}', '{}')",
                rows::select(),
                Status::Active.as_str(),
                Status::Hibernated.as_str()
            ),
            &[],
        )
    }

    pub fn most_recent(&self) -> Result<Option<Session>> {
        Ok(self
            .query_many(
                &format!(
                    "{} ORDER BY last_activity DESC, name LIMIT 1",
                    rows::select()
                ),
                &[],
            )?
            .into_iter()
            .next())
    }

    /// Every row `sql` selects: a session, or a `BadRow` naming the row.
    pub(super) fn rows(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Result<Session>>> {
        let mut out = Vec::new();
        self.each_row(sql, args, |row| out.push(row))?;
        Ok(out)
    }

    /// Each row `sql` selects, handed to `each` as it is read (a listing
    /// of 10,000 sessions builds one vector, not two).
    fn each_row(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
        mut each: impl FnMut(Result<Session>),
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.wrap(e))?;
        // A value of the wrong type fails one row, not the query.
        let rows = stmt
            .query_map(args, |r| {
                Ok(RawRow::read(r).map_err(|e| (rows::row_id(r), e.to_string())))
            })
            .map_err(|e| self.wrap(e))?;
        for row in rows {
            each(match row.map_err(|e| self.wrap(e))? {
                Ok(raw) => {
                    let id = raw.id.clone();
                    raw.into_session().map_err(|why| self.bad_row(id, why))
                }
                Err((id, why)) => Err(self.bad_row(id, why)),
            });
        }
        Ok(())
    }

    pub(super) fn bad_row(&self, id: String, why: String) -> RegistryError {
        RegistryError::BadRow {
            path: self.path.clone(),
            id,
            why,
        }
    }

    fn query_one(&self, sql: &str, arg: &str) -> Result<Option<Session>> {
        self.rows(sql, &[&arg])?.into_iter().next().transpose()
    }

    /// The sessions `sql` selects. An unreadable row is skipped with a
    /// warning naming it, so one bad row does not hide every other session.
    fn query_many(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Session>> {
        let mut out = Vec::new();
        self.each_row(sql, args, |row| match row {
            Ok(session) => out.push(session),
            Err(e) => self.skip_bad(e),
        })?;
        Ok(out)
    }

    /// A row a listing leaves out: said once per command.
    pub(super) fn skip_bad(&self, e: RegistryError) {
        if self.warned.borrow_mut().insert(e.to_string()) {
            crate::util::output::warn(format!(
                "{e}; skipped it (`claude-session doctor --fix` rebuilds the registry from the session dirs)"
            ));
        }
    }
}
