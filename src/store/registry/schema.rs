//! The registry's schema: migrations keyed on `PRAGMA user_version`.

/// Migrations, applied in order and keyed on `PRAGMA user_version`. Never
/// edit a released one: add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    // v1: the seed's fields plus pid and pid start time of the live agent.
    "CREATE TABLE sessions (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        user_id         TEXT NOT NULL,
        ssh_client      TEXT,
        cwd             TEXT NOT NULL,
        start_time      INTEGER NOT NULL,
        end_time        INTEGER,
        last_activity   INTEGER NOT NULL,
        status          TEXT NOT NULL,
        model           TEXT,
        message_count   INTEGER NOT NULL DEFAULT 0,
        tool_call_count INTEGER NOT NULL DEFAULT 0,
        exit_code       INTEGER,
        pid             INTEGER,
        pid_start       INTEGER
    );
    CREATE INDEX sessions_last_activity ON sessions(last_activity);
    CREATE INDEX sessions_status ON sessions(status);",
    // v2: the holder (pid, start time) and how many terminals are attached.
    "ALTER TABLE sessions ADD COLUMN holder_pid INTEGER;
    ALTER TABLE sessions ADD COLUMN holder_start INTEGER;
    ALTER TABLE sessions ADD COLUMN clients INTEGER NOT NULL DEFAULT 0;",
    // v3: live state from Claude's hooks, and its current conversation.
    "ALTER TABLE sessions ADD COLUMN state TEXT;
    ALTER TABLE sessions ADD COLUMN conversation_id TEXT;",
    // v4: pinned by the user: `cleanup` never removes it.
    "ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;",
    // v5: the Claude Code binary the session last ran, for `restore`.
    "ALTER TABLE sessions ADD COLUMN claude_bin TEXT;",
    // v6: what the state is about ("permission for Bash") and since when.
    "ALTER TABLE sessions ADD COLUMN state_detail TEXT;
    ALTER TABLE sessions ADD COLUMN state_since INTEGER;",
    // v7: the session's git worktree (`new --worktree`), NULL for none.
    "ALTER TABLE sessions ADD COLUMN worktree_path TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_repository TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_branch TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_base_ref TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_base_commit TEXT;",
];

#[cfg(test)]
mod tests {
    /// The table the migrations make has exactly the columns rows are
    /// read and written with, in that order.
    #[test]
    fn migrations_make_the_declared_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        drop(super::super::Registry::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        let names: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('sessions') ORDER BY cid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(names, super::super::rows::COLUMNS);
    }
}
