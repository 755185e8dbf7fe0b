//! The `sessions` table's columns, each declared once (`columns!` below):
//! the row as SQLite stores it, the column list, the parameters of an
//! insert or update, and the reading back, all come from that one list.
//! A row is turned into a `Session` (and checked) only after it is read,
//! so one bad row gives an error naming it rather than a type error.

use crate::store::session::{Session, Status, Worktree};
use crate::util::process::Process;
use crate::util::timestamp::Timestamp;
use rusqlite::{Row, ToSql};
use std::path::PathBuf;
use uuid::Uuid;

macro_rules! columns {
    ($($(#[$own:ident])? $name:ident: $ty:ty,)*) => {
        /// One row of `sessions`, in SQLite's types.
        pub(super) struct RawRow {
            $(pub(super) $name: $ty,)*
        }

        /// Every column, in the order of `RawRow`.
        pub(super) const COLUMNS: &[&str] = &[$(stringify!($name)),*];

        /// Per column: whether `Registry::update` writes it. A column
        /// marked `#[own]` is written only by its own call (`pinned`: by
        /// `set_pinned`, so a launcher saving its older copy of a session
        /// cannot undo a pin).
        pub(super) const UPDATED: &[bool] = &[$(columns!(@updated $($own)?)),*];

        impl RawRow {
            pub(super) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
                let mut i = 0;
                let mut next = || {
                    i += 1;
                    i - 1
                };
                Ok(Self { $($name: row.get(next())?,)* })
            }

            /// The values, in the order of `COLUMNS`.
            pub(super) fn params(&self) -> Vec<&dyn ToSql> {
                vec![$(&self.$name as &dyn ToSql),*]
            }
        }
    };
    (@updated own) => { false };
    (@updated) => { true };
}

columns! {
    id: String,
    name: String,
    user_id: String,
    ssh_client: Option<String>,
    cwd: String,
    start_time: i64,
    end_time: Option<i64>,
    last_activity: i64,
    status: String,
    model: Option<String>,
    message_count: i64,
    tool_call_count: i64,
    exit_code: Option<i32>,
    pid: Option<u32>,
    pid_start: Option<i64>,
    holder_pid: Option<u32>,
    holder_start: Option<i64>,
    clients: u32,
    state: Option<String>,
    conversation_id: Option<String>,
    #[own]
    pinned: bool,
    claude_bin: Option<String>,
    state_detail: Option<String>,
    state_since: Option<i64>,
    worktree_path: Option<String>,
    worktree_repository: Option<String>,
    worktree_branch: Option<String>,
    worktree_base_ref: Option<String>,
    worktree_base_commit: Option<String>,
}

impl RawRow {
    pub(super) fn from_session(s: &Session) -> Self {
        let wt = s.worktree.as_ref();
        Self {
            id: s.session_id.to_string(),
            name: s.session_name.clone(),
            user_id: s.user_id.clone(),
            ssh_client: s.ssh_client.clone(),
            cwd: s.working_directory.to_string_lossy().into_owned(),
            start_time: s.start_time.millis(),
            end_time: s.end_time.map(Timestamp::millis),
            last_activity: s.last_activity.millis(),
            status: s.status.as_str().to_string(),
            model: s.model.clone(),
            message_count: s.message_count.min(i64::MAX as u64) as i64,
            tool_call_count: s.tool_call_count.min(i64::MAX as u64) as i64,
            exit_code: s.exit_code,
            pid: s.claude.map(|p| p.pid),
            pid_start: s.claude.map(|p| p.start as i64),
            holder_pid: s.holder.map(|p| p.pid),
            holder_start: s.holder.map(|p| p.start as i64),
            clients: s.clients,
            state: s.state.clone(),
            conversation_id: s.conversation_id.clone(),
            pinned: s.pinned,
            // Recorded only when it is UTF-8 (see `run::plan`).
            claude_bin: s
                .claude_bin
                .as_ref()
                .and_then(|p| p.to_str())
                .map(str::to_string),
            state_detail: s.state_detail.clone(),
            state_since: s.state_since.map(Timestamp::millis),
            // Made only with UTF-8 paths (see `crate::worktree`).
            worktree_path: wt.map(|w| w.path.to_string_lossy().into_owned()),
            worktree_repository: wt.map(|w| w.repository.to_string_lossy().into_owned()),
            worktree_branch: wt.map(|w| w.branch.clone()),
            worktree_base_ref: wt.and_then(|w| w.base_ref.clone()),
            worktree_base_commit: wt.map(|w| w.base_commit.clone()),
        }
    }

    /// The session, or why this row is not one.
    pub(super) fn into_session(self) -> Result<Session, String> {
        let session_id = parse_id(&self.id)?;
        let status = parse_status(&self.status)?;
        let process = |pid: Option<u32>, start: Option<i64>| {
            Some(Process {
                pid: pid?,
                start: start?.max(0) as u64,
            })
        };
        let worktree = match (
            self.worktree_path,
            self.worktree_repository,
            self.worktree_branch,
            self.worktree_base_commit,
        ) {
            (None, None, None, None) => None,
            (Some(path), Some(repository), Some(branch), Some(base_commit)) => Some(Worktree {
                repository: PathBuf::from(repository),
                path: PathBuf::from(path),
                branch,
                base_ref: self.worktree_base_ref,
                base_commit,
            }),
            _ => return Err("an incomplete worktree".to_string()),
        };
        Ok(Session {
            session_id,
            session_name: self.name,
            user_id: self.user_id,
            ssh_client: self.ssh_client,
            working_directory: PathBuf::from(self.cwd),
            start_time: Timestamp::from_millis(self.start_time),
            end_time: self.end_time.map(Timestamp::from_millis),
            status,
            model: self.model,
            last_activity: Timestamp::from_millis(self.last_activity),
            message_count: self.message_count.max(0) as u64,
            tool_call_count: self.tool_call_count.max(0) as u64,
            exit_code: self.exit_code,
            claude: process(self.pid, self.pid_start),
            holder: process(self.holder_pid, self.holder_start),
            clients: self.clients,
            state: self.state,
            conversation_id: self.conversation_id,
            pinned: self.pinned,
            claude_bin: self.claude_bin.map(PathBuf::from),
            state_detail: self.state_detail,
            state_since: self.state_since.map(Timestamp::from_millis),
            worktree,
        })
    }
}

/// The id column as a session id, or why not.
pub(super) fn parse_id(id: &str) -> Result<Uuid, String> {
    Uuid::parse_str(id).map_err(|e| format!("bad id: {e}"))
}

/// The status column as a status, or why not.
pub(super) fn parse_status(status: &str) -> Result<Status, String> {
    Status::parse(status).ok_or_else(|| format!("unknown status {status:?}"))
}

/// How an unreadable row is named: its id (the first column), whatever
/// its type.
pub(super) fn row_id(row: &Row<'_>) -> String {
    use rusqlite::types::ValueRef;
    match row.get_ref(0) {
        Ok(ValueRef::Text(text)) => String::from_utf8_lossy(text).escape_debug().to_string(),
        Ok(ValueRef::Integer(n)) => n.to_string(),
        Ok(ValueRef::Real(x)) => x.to_string(),
        Ok(ValueRef::Null) => "NULL".to_string(),
        Ok(ValueRef::Blob(_)) | Err(_) => "?".to_string(),
    }
}

/// `SELECT` of every column, for `FROM sessions ...`.
pub(super) fn select() -> String {
    format!("SELECT {} FROM sessions", COLUMNS.join(", "))
}

/// `INSERT` of every column.
pub(super) fn insert() -> String {
    let marks: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO sessions ({}) VALUES ({})",
        COLUMNS.join(", "),
        marks.join(", ")
    )
}

/// `UPDATE` by id of every column that `update` writes, with the
/// parameters of `RawRow::update_params`.
pub(super) fn update() -> String {
    let sets: Vec<String> = updated_columns()
        .enumerate()
        .map(|(i, name)| format!("{name} = ?{}", i + 1))
        .collect();
    format!(
        "UPDATE sessions SET {} WHERE id = ?{}",
        sets.join(", "),
        sets.len() + 1
    )
}

/// The columns `update` writes (never the id it goes by).
fn updated_columns() -> impl Iterator<Item = &'static str> {
    COLUMNS
        .iter()
        .zip(UPDATED)
        .skip(1)
        .filter(|(_, updated)| **updated)
        .map(|(name, _)| *name)
}

impl RawRow {
    /// The values `update` writes, in its order, then the id.
    pub(super) fn update_params(&self) -> Vec<&dyn ToSql> {
        let all = self.params();
        let mut params: Vec<&dyn ToSql> = all
            .iter()
            .zip(UPDATED)
            .skip(1)
            .filter(|(_, updated)| **updated)
            .map(|(param, _)| *param)
            .collect();
        params.push(all[0]);
        params
    }
}
