//! The registry: an SQLite index of every session, safe when many processes
//! write at once (WAL, a busy timeout, short IMMEDIATE transactions).
//!
//! Rows are a belief about the world; `crate::run::liveness` reconciles them with
//! the process table. Each session dir's `metadata.json` holds the same
//! facts, so the registry can always be rebuilt from the dirs.

mod brief;
mod health;
pub mod names;
mod read;
mod rewrite;
mod rows;
mod schema;

pub use brief::Brief;
pub use rewrite::Rewrite;

use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use rows::RawRow;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params_from_iter};
use schema::MIGRATIONS;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

/// How long a writer waits for another process's transaction. Transactions
/// here last microseconds; a long wait means a stuck process, and a clear
/// error beats hanging forever.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("a session named {0:?} already exists")]
    NameTaken(String),
    #[error("registry {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("registry {path}: row {id} is unreadable: {why}")]
    BadRow {
        path: PathBuf,
        id: String,
        why: String,
    },
    /// Another process held the registry longer than the busy timeout.
    #[error(
        "registry {path} is busy (another process holds it): {source}; run the command again when that process is done"
    )]
    Busy {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A downgrade: this build cannot know what the newer columns mean,
    /// and writing rows without them would lose what they hold.
    #[error(
        "registry {path} was written by a newer claude-session (schema version {found}; this one knows up to {known}): use that version of claude-session or a newer one"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
}

pub type Result<T> = std::result::Result<T, RegistryError>;

pub struct Registry {
    conn: Connection,
    path: PathBuf,
    /// True if this open created the schema (a new or deleted registry).
    created: bool,
    /// Bad rows already warned about, so a command warns once per row.
    warned: std::cell::RefCell<std::collections::HashSet<String>>,
}

impl Registry {
    /// Opens (creating if needed) and migrates the registry.
    pub fn open(path: &Path) -> Result<Self> {
        let wrap = sqlite_error(path);
        make_private(path);
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
        let mut registry = Self {
            conn,
            path: path.to_path_buf(),
            created: false,
            warned: Default::default(),
        };
        registry.configure()?;
        Ok(registry)
    }

    /// Opens the registry for a process that keeps it open while it idles
    /// (a holder, for days): without SQLite's per-connection lookaside
    /// buffer and with a cache of two pages, so it costs ~30 kB rather than
    /// ~130 kB. Kept open, it also keeps the registry's WAL index alive:
    /// the first process to open a registry nobody has open rebuilds that
    /// index by reading the whole WAL (up to 4 MB), which every command
    /// would otherwise pay.
    pub fn open_lean(path: &Path) -> Result<Self> {
        let wrap = sqlite_error(path);
        let conn = Connection::open(path).map_err(wrap)?;
        // SAFETY: a valid handle, before its first statement (so no
        // lookaside slot is in use); a null buffer of 0 slots turns it off.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_config(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBCONFIG_LOOKASIDE,
                std::ptr::null_mut::<std::ffi::c_void>(),
                0,
                0,
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            return Err(wrap(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rc),
                Some("cannot turn the lookaside buffer off".into()),
            )));
        }
        conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
        // Below three pages SQLite allocates no bulk of pages up front.
        conn.execute_batch("PRAGMA cache_size = 2").map_err(wrap)?;
        let mut registry = Self {
            conn,
            path: path.to_path_buf(),
            created: false,
            warned: Default::default(),
        };
        registry.configure()?;
        registry.release_memory();
        Ok(registry)
    }

    /// Frees the pages this connection caches: for a connection kept open
    /// between rare writes.
    pub fn release_memory(&self) {
        // SAFETY: a valid handle; this only drops unused cache pages.
        unsafe { rusqlite::ffi::sqlite3_db_release_memory(self.conn.handle()) };
    }

    fn configure(&mut self) -> Result<()> {
        let wrap = sqlite_error(&self.path);
        // WAL lets readers (list) run beside a writer.
        set_wal(&self.conn).map_err(wrap)?;
        let version = user_version(&self.conn).map_err(wrap)?;
        if version >= MIGRATIONS.len() {
            return self.known_version(version);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        // Re-read under the write lock: another process may have migrated.
        let version = user_version(&tx).map_err(wrap)?;
        if version > MIGRATIONS.len() {
            drop(tx);
            return self.known_version(version);
        }
        self.created = version == 0;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql).map_err(wrap)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(wrap)?;
        }
        tx.commit().map_err(wrap)
    }

    /// Refuses a schema newer than this build's migrations.
    fn known_version(&self, version: usize) -> Result<()> {
        match version > MIGRATIONS.len() {
            true => Err(RegistryError::TooNew {
                path: self.path.clone(),
                found: version,
                known: MIGRATIONS.len(),
            }),
            false => Ok(()),
        }
    }

    /// True if this open made a new, empty registry.
    pub fn was_created(&self) -> bool {
        self.created
    }

    fn wrap(&self, source: rusqlite::Error) -> RegistryError {
        sqlite_error(&self.path)(source)
    }

    /// Inserts a session (tests; commands go through `insert_new` or a
    /// `Rewrite`); fails with `NameTaken` if the name is in use.
    #[cfg(test)]
    pub fn insert(&mut self, session: &Session) -> Result<()> {
        let rewrite = self.rewrite()?;
        rewrite.insert(session)?;
        rewrite.commit()
    }

    /// The first free `<stem>-N` (N from 1), as `insert_new` names a
    /// numbered session; for one named before its row is made (its
    /// worktree's branch carries the name).
    pub fn first_free_name(&self, stem: &str) -> Result<String> {
        first_free_numbered(&self.conn, stem).map_err(sqlite_error(&self.path))
    }

    /// Inserts a new session inside one write transaction, so concurrent
    /// creators never collide: under its own name (taken: `NameTaken`), or,
    /// with `numbered`, under the first free name `<stem>-<n>`, n >= 1.
    /// `before_commit` runs with the name decided, before the row is
    /// committed (it makes the session dir): if it fails, nothing is
    /// inserted.
    pub fn insert_new<E>(
        &mut self,
        session: &mut Session,
        numbered: Option<&str>,
        before_commit: impl FnOnce(&Session) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), InsertError<E>> {
        let sqlite = sqlite_error(&self.path);
        let wrap = |source| InsertError::Registry(sqlite(source));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        match numbered {
            Some(stem) => session.session_name = first_free_numbered(&tx, stem).map_err(wrap)?,
            None => {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS(SELECT 1 FROM sessions WHERE name = ?1)",
                        [&session.session_name],
                        |r| r.get(0),
                    )
                    .map_err(wrap)?;
                if exists {
                    return Err(InsertError::Registry(RegistryError::NameTaken(
                        session.session_name.clone(),
                    )));
                }
            }
        }
        before_commit(session).map_err(InsertError::Before)?;
        insert_row(&tx, session).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    /// Writes every field of an existing session but `pinned` (see
    /// `rows::UPDATED`).
    pub fn update(&mut self, session: &Session) -> Result<()> {
        let row = RawRow::from_session(session);
        self.conn
            .prepare_cached(&rows::update())
            .and_then(|mut stmt| stmt.execute(params_from_iter(row.update_params())))
            .map_err(|e| self.wrap(e))?;
        Ok(())
    }

    /// Marks an active session whose agent `pid` vanished as crashed, only
    /// if the row still says so: a launcher or holder recording the real
    /// exit at the same moment wins. Returns true if this call changed it.
    pub fn mark_vanished(&mut self, id: Uuid, pid: Option<u32>, now: Timestamp) -> Result<bool> {
        let changed = self
            .conn
            .execute(
                "UPDATE sessions SET status = 'crashed', end_time = COALESCE(end_time, ?3), pid = NULL,
                 pid_start = NULL, holder_pid = NULL, holder_start = NULL, clients = 0, state = NULL
                 WHERE id = ?1 AND status = 'active' AND pid IS ?2",
                params_from_iter([
                    Box::new(id.to_string()) as Box<dyn rusqlite::ToSql>,
                    Box::new(pid),
                    Box::new(now.millis()),
                ]),
            )
            .map_err(|e| self.wrap(e))?;
        Ok(changed == 1)
    }

    /// Applies one hook event: the new state (if any), the conversation id,
    /// counters, last activity (if it is activity), in one short write transaction, so
    /// concurrent hooks of one session (parallel tool calls) never lose an
    /// increment. Returns the state before, or None if there is no such
    /// session.
    pub fn apply_hook(&mut self, id: Uuid, update: &HookUpdate) -> Result<Option<Option<String>>> {
        let wrap = sqlite_error(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        let before: Option<Option<String>> = tx
            .query_row(
                "SELECT state FROM sessions WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(wrap)?;
        if before.is_some() {
            // A new state brings its detail; its time starts when it changes.
            tx.execute(
                "UPDATE sessions SET
                 state_since = CASE WHEN ?2 IS NULL OR ?2 IS state THEN state_since ELSE ?7 END,
                 state_detail = CASE WHEN ?2 IS NULL OR (?8 IS NULL AND ?2 IS state)
                                THEN state_detail ELSE ?8 END,
                 state = COALESCE(?2, state),
                 conversation_id = COALESCE(?3, conversation_id),
                 message_count = message_count + ?4, tool_call_count = tool_call_count + ?5,
                 last_activity = MAX(last_activity, COALESCE(?6, last_activity)) WHERE id = ?1",
                params_from_iter([
                    Box::new(id.to_string()) as Box<dyn rusqlite::ToSql>,
                    Box::new(update.state),
                    Box::new(update.conversation_id.clone()),
                    Box::new(update.messages),
                    Box::new(update.tool_calls),
                    Box::new(update.activity.map(Timestamp::millis)),
                    Box::new(update.at.millis()),
                    Box::new(update.detail.clone()),
                ]),
            )
            .map_err(wrap)?;
        }
        tx.commit().map_err(wrap)?;
        Ok(before)
    }

    /// Pins or unpins a session; false if there is no such row. Only this
    /// writes `pinned` (`update` leaves it alone), so a launcher recording
    /// an exit from its older copy of the session cannot undo a pin.
    pub fn set_pinned(&mut self, id: Uuid, pinned: bool) -> Result<bool> {
        let changed = self
            .conn
            .execute(
                "UPDATE sessions SET pinned = ?2 WHERE id = ?1",
                rusqlite::params![id.to_string(), pinned],
            )
            .map_err(|e| self.wrap(e))?;
        Ok(changed == 1)
    }

    /// Moves everything from the WAL into the main file, so the file alone
    /// holds the registry (before it is renamed into place).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.wrap(e))
    }

    pub fn delete(&mut self, id: Uuid) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE id = ?1", [id.to_string()])
            .map_err(|e| self.wrap(e))?;
        Ok(())
    }

    /// Deletes the row unless it is pinned; true if the row stays because
    /// it is pinned (a `pin` that came after the caller last looked).
    pub fn delete_unpinned(&mut self, id: Uuid) -> Result<bool> {
        let wrap = sqlite_error(&self.path);
        let deleted = self
            .conn
            .execute(
                "DELETE FROM sessions WHERE id = ?1 AND pinned = 0",
                [id.to_string()],
            )
            .map_err(wrap)?;
        if deleted == 1 {
            return Ok(false);
        }
        self.conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM sessions WHERE id = ?1 AND pinned != 0)",
                [id.to_string()],
                |r| r.get(0),
            )
            .map_err(wrap)
    }
}

/// What one hook event changes.
#[derive(Debug, Clone, PartialEq)]
pub struct HookUpdate {
    pub state: Option<&'static str>,
    /// What the new state is about (with a state only).
    pub detail: Option<String>,
    pub conversation_id: Option<String>,
    pub messages: i64,
    pub tool_calls: i64,
    /// When, if the event is activity (a prompt, a reply, a tool call):
    /// it moves `last_activity`; other events (Claude's idle reminder) do not.
    pub activity: Option<Timestamp>,
    /// When the event happened.
    pub at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertError<E> {
    #[error(transparent)]
    Registry(RegistryError),
    #[error(transparent)]
    Before(E),
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    let version = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?;
    Ok(version.max(0) as usize)
}

fn insert_row(conn: &Connection, s: &Session) -> rusqlite::Result<()> {
    let row = RawRow::from_session(s);
    conn.prepare_cached(&rows::insert())?
        .execute(params_from_iter(row.params()))
        .map(drop)
}

/// The registry holds names, dirs and ssh clients: private, like the
/// store. Made 0600 before SQLite opens it, so the WAL and shared-memory
/// files SQLite makes beside it take that mode too; files made earlier
/// (or copied in by hand) are tightened.
pub fn make_private(path: &Path) {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        if let Ok(meta) = std::fs::metadata(&file)
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// Turns an SQLite error into one that names the registry file. Borrows
/// only the path, so it can live beside a transaction on the connection.
fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> RegistryError + Copy + '_ {
    move |source| match is_busy(&source) {
        true => RegistryError::Busy {
            path: path.to_path_buf(),
            source,
        },
        false => RegistryError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _) if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

#[cfg(test)]
mod tests;

/// The first `<stem>-N` (N from 1) no session is named.
fn first_free_numbered(conn: &Connection, stem: &str) -> rusqlite::Result<String> {
    let pattern = format!("{}-%", like_escape(stem));
    let mut stmt = conn.prepare("SELECT name FROM sessions WHERE name LIKE ?1 ESCAPE '\\'")?;
    let taken = stmt
        .query_map([&pattern], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<std::collections::HashSet<_>>>()?;
    let n = (1..)
        .find(|n| !taken.contains(&format!("{stem}-{n}")))
        .unwrap_or(1);
    Ok(format!("{stem}-{n}"))
}

/// WAL (readers beside a writer), synchronous=NORMAL, no checkpoint at
/// close: how every database of ours is opened (the registry, the search
/// index). NORMAL is durable across application crashes in WAL mode; only
/// an OS crash can lose the last transactions, which a rebuild recovers.
/// Each command is a short-lived process: checkpointing the WAL at every
/// close would cost two fsyncs per command; it is checkpointed as it grows.
pub fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    // Switching a fresh file to WAL takes a lock that the busy handler does
    // not cover, so retry.
    let mut tries = 0;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(e) if is_busy(&e) && tries < 200 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL")?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    Ok(())
}
