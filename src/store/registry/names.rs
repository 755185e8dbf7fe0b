//! Session names by prefix, for shell completion.
//!
//! Tab has to answer at once with 10,000 sessions and must have no side
//! effects: no store created, no migration, no write lock, no liveness
//! check. So this does not go through `Registry::open` (which creates and
//! migrates) or `Registry::all` (which reads and parses every row): it opens
//! the file read-only and asks SQLite for one column, through the UNIQUE
//! index on `name`.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// A writer holds its lock for microseconds; waiting longer than this means
/// something is stuck, and a Tab press must not hang on it.
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// Opens an existing registry read-only; a missing file is an error, not a
/// new empty database.
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// The names that start with `prefix`, in byte order (as a shell lists them).
pub fn with_prefix(conn: &Connection, prefix: &str) -> rusqlite::Result<Vec<String>> {
    // GLOB (case-sensitive, like names) with a constant prefix lets SQLite
    // seek in the index instead of scanning; the prefix is escaped so that
    // `*`, `?` and `[` typed by the user match only themselves.
    let mut stmt =
        conn.prepare_cached("SELECT name FROM sessions WHERE name GLOB ?1 ORDER BY name")?;
    let names = stmt.query_map([glob_prefix(prefix)], |row| row.get(0))?;
    names.collect()
}

fn glob_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        match c {
            '*' | '?' | '[' => {
                pattern.push('[');
                pattern.push(c);
                pattern.push(']');
            }
            _ => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::registry::Registry;

    /// A registry made by the real code, with the given names.
    fn registry(names: &[&str]) -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        drop(Registry::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        // Only the v1 columns without defaults: columns added later by
        // ALTER TABLE always have one.
        for (i, name) in names.iter().enumerate() {
            conn.execute(
                "INSERT INTO sessions (id, name, user_id, cwd, start_time, last_activity, status)
                 VALUES (?1, ?2, 'u', '/', 0, 0, 'created')",
                (i.to_string(), name),
            )
            .unwrap();
        }
        drop(conn);
        let conn = open_read_only(&path).unwrap();
        (dir, conn)
    }

    #[test]
    fn names_by_prefix_in_order() {
        let (_dir, conn) = registry(&["beta", "alpha-2", "alpha-1", "Alpha", "al*x"]);
        assert_eq!(with_prefix(&conn, "alpha").unwrap(), ["alpha-1", "alpha-2"]);
        assert_eq!(
            with_prefix(&conn, "").unwrap(),
            ["Alpha", "al*x", "alpha-1", "alpha-2", "beta"]
        );
        // Wildcards the user typed are literal.
        assert_eq!(with_prefix(&conn, "al*").unwrap(), ["al*x"]);
        assert!(with_prefix(&conn, "a?").unwrap().is_empty());
        assert!(with_prefix(&conn, "[a]").unwrap().is_empty());
        assert!(with_prefix(&conn, "gamma").unwrap().is_empty());
    }

    #[test]
    fn prefix_query_uses_the_name_index() {
        let (_dir, conn) = registry(&["alpha"]);
        let plan: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT name FROM sessions WHERE name GLOB ?1 ORDER BY name",
            )
            .unwrap()
            .query_map(["al*"], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("; ");
        assert!(plan.contains("INDEX") && plan.contains("name>"), "{plan}");
    }

    #[test]
    fn a_missing_registry_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        assert!(open_read_only(&path).is_err());
        assert!(!path.exists());
    }
}
