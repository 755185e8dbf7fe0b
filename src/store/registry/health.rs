//! Whether the registry can be used as it is: SQLite's integrity check,
//! the table this build reads, and rows that cannot be read as sessions.

use super::{Registry, RegistryError, Result, rows};

impl Registry {
    /// "ok", or what is wrong with the file or its schema. A registry that
    /// fails this cannot be written safely and is rebuilt beside.
    pub fn check(&self) -> Result<String> {
        let mut problems = Vec::new();
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.wrap(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.wrap(e))?;
        for row in rows {
            let line = row.map_err(|e| self.wrap(e))?;
            if line != "ok" {
                problems.push(line);
            }
        }
        let columns: Vec<String> = self
            .conn
            .prepare("SELECT name FROM pragma_table_info('sessions') ORDER BY cid")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.wrap(e))?;
        if columns.is_empty() {
            problems.push("the sessions table is missing".to_string());
        } else if columns != rows::COLUMNS {
            problems.push(format!(
                "the sessions table has the columns {}, not {}",
                columns.join(", "),
                rows::COLUMNS.join(", ")
            ));
        }
        Ok(match problems.is_empty() {
            true => "ok".to_string(),
            false => problems.join("; "),
        })
    }

    /// Every row that cannot be read as a session, each naming its row.
    pub fn bad_rows(&self) -> Result<Vec<RegistryError>> {
        Ok(self
            .rows(&rows::select(), &[])?
            .into_iter()
            .filter_map(|row| row.err())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::registry::Registry;
    use crate::store::session::Session;
    use crate::util::timestamp::Timestamp;
    use std::path::PathBuf;
    use uuid::Uuid;

    fn registry_with(names: &[&str]) -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let mut registry = Registry::open(&dir.path().join("registry.db")).unwrap();
        for name in names {
            let s = Session::new(Uuid::new_v4(), name, PathBuf::from("/w"), Timestamp::now());
            registry.insert(&s).unwrap();
        }
        (dir, registry)
    }

    #[test]
    fn a_bad_row_is_skipped_and_named() {
        let (_dir, registry) = registry_with(&["a", "b", "c"]);
        registry
            .conn
            .execute_batch(
                "UPDATE sessions SET status = 'bogus' WHERE name = 'b';
                 UPDATE sessions SET start_time = 'yesterday' WHERE name = 'c';",
            )
            .unwrap();
        let names: Vec<String> = registry
            .all()
            .unwrap()
            .into_iter()
            .map(|s| s.session_name)
            .collect();
        assert_eq!(names, ["a"]);
        let bad: Vec<String> = registry
            .bad_rows()
            .unwrap()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad[0].contains("unknown status \"bogus\""), "{bad:?}");
        assert!(bad[1].contains("start_time"), "{bad:?}");
        // One session's own command names the row.
        let id = registry.bad_rows().unwrap().remove(0);
        assert!(matches!(id, super::RegistryError::BadRow { .. }));
        assert_eq!(registry.check().unwrap(), "ok");
    }

    #[test]
    fn a_dropped_table_fails_the_check() {
        let (_dir, registry) = registry_with(&["a"]);
        registry.conn.execute_batch("DROP TABLE sessions").unwrap();
        assert_eq!(registry.check().unwrap(), "the sessions table is missing");
    }

    #[test]
    fn a_newer_schema_is_refused_naming_its_version() {
        let (dir, registry) = registry_with(&[]);
        registry
            .conn
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        drop(registry);
        let path = dir.path().join("registry.db");
        let e = Registry::open(&path).err().expect("refused");
        assert_eq!(
            e.to_string(),
            format!(
                "registry {} was written by a newer claude-session (schema version 99; this one knows up to {}): use that version of claude-session or a newer one",
                path.display(),
                super::super::MIGRATIONS.len()
            )
        );
    }
}
