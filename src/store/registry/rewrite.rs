//! One write transaction over the whole table, for rebuilding the registry
//! from the session dirs: every other writer waits until it ends, so what
//! the dirs said when they were read is what the table says when it ends.

use super::{Registry, RegistryError, Result, insert_row, is_unique_violation, sqlite_error};
use crate::store::session::Session;
use rusqlite::{Transaction, TransactionBehavior};
use std::collections::HashSet;
use std::path::Path;
use uuid::Uuid;

pub struct Rewrite<'a> {
    tx: Transaction<'a>,
    path: &'a Path,
}

impl Registry {
    /// Takes the write lock (waiting up to the busy timeout for another
    /// writer) until the rewrite is committed or dropped (rolled back).
    pub fn rewrite(&mut self) -> Result<Rewrite<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite_error(&self.path))?;
        Ok(Rewrite {
            tx,
            path: &self.path,
        })
    }
}

impl Rewrite<'_> {
    /// The ids of the rows (a row whose id is not one is left out).
    pub fn ids(&self) -> Result<HashSet<Uuid>> {
        let wrap = sqlite_error(self.path);
        let mut stmt = self.tx.prepare("SELECT id FROM sessions").map_err(wrap)?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(wrap)?
            .filter_map(|id| id.ok().and_then(|id| Uuid::parse_str(&id).ok()))
            .collect();
        Ok(ids)
    }

    /// Deletes every row.
    pub fn clear(&self) -> Result<()> {
        self.tx
            .execute("DELETE FROM sessions", [])
            .map_err(sqlite_error(self.path))
            .map(drop)
    }

    /// Inserts a session; fails with `NameTaken` if the name is in use.
    pub fn insert(&self, session: &Session) -> Result<()> {
        match insert_row(&self.tx, session) {
            Ok(()) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                Err(RegistryError::NameTaken(session.session_name.clone()))
            }
            Err(e) => Err(sqlite_error(self.path)(e)),
        }
    }

    pub fn commit(self) -> Result<()> {
        self.tx.commit().map_err(sqlite_error(self.path))
    }
}
