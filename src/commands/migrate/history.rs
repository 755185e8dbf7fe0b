//! The prompt history (`history.jsonl`, what up-arrow recalls): one line
//! per prompt, its `project` the directory it was typed in. Each session
//! gets the base's lines of its own directory, after its own.

use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::time::SystemTime;

/// The base's history lines, by project.
pub struct History(HashMap<String, Vec<Vec<u8>>>);

#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lines {
    /// Added to the session's history (or to be, in a dry run).
    pub added: u64,
    /// There already.
    pub present: u64,
}

impl History {
    pub fn read(base: &Path) -> Result<Self> {
        let path = base.join("history.jsonl");
        let mut by_project: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
        let file = match super::copy::open_regular(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self(by_project)),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        super::scan::lines(file, |line| {
            let record: serde_json::Value = serde_json::from_slice(line).unwrap_or_default();
            if let Some(project) = record["project"].as_str() {
                by_project
                    .entry(project.to_string())
                    .or_default()
                    .push(line.to_vec());
            }
            true
        })
        .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Self(by_project))
    }

    /// The lines typed in `cwd`.
    pub fn of(&self, cwd: &Path) -> &[Vec<u8>] {
        cwd.to_str()
            .and_then(|cwd| self.0.get(cwd))
            .map_or(&[], Vec::as_slice)
    }
}

/// Adds to the session's `history.jsonl` the `lines` it lacks, after its
/// own (unless `dry_run`). `None`: a session still to be made.
pub fn merge(lines: &[Vec<u8>], session_dir: Option<&Path>, dry_run: bool) -> Result<Lines> {
    let Some(dir) = session_dir else {
        return Ok(Lines {
            added: lines.len() as u64,
            present: 0,
        });
    };
    let path = dir.join("history.jsonl");
    let (own, before) = match super::copy::open_regular(&path) {
        Ok(mut file) => {
            let mut own = Vec::new();
            file.read_to_end(&mut own)
                .with_context(|| format!("cannot read {}", path.display()))?;
            (own, Some(file.metadata()?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let have: HashSet<&[u8]> = own.split(|b| *b == b'\n').collect();
    let missing: Vec<&Vec<u8>> = lines
        .iter()
        .filter(|l| !have.contains(l.as_slice()))
        .collect();
    if !dry_run && !missing.is_empty() {
        super::copy::put(&path, before.as_ref(), SystemTime::now(), |out| {
            out.write_all(&own)?;
            if own.last().is_some_and(|b| *b != b'\n') {
                out.write_all(b"\n")?;
            }
            for line in &missing {
                out.write_all(line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Lines {
        added: missing.len() as u64,
        present: (lines.len() - missing.len()) as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn lines_are_split_by_project_and_added_after_the_sessions_own() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        let session = dir.path().join("session");
        fs::create_dir_all(&base).unwrap();
        fs::create_dir_all(&session).unwrap();
        fs::write(
            base.join("history.jsonl"),
            "{\"display\":\"a\",\"project\":\"/w\"}\n{\"display\":\"b\",\"project\":\"/x\"}\nnot json\n{\"display\":\"c\",\"project\":\"/w\"}\n",
        )
        .unwrap();
        let history = History::read(&base).unwrap();
        assert_eq!(history.of(Path::new("/nowhere")).len(), 0);
        let w = history.of(Path::new("/w"));
        assert_eq!(w.len(), 2);
        // The session has one of them, and its own line, unterminated.
        fs::write(
            session.join("history.jsonl"),
            "{\"display\":\"a\",\"project\":\"/w\"}\n{\"display\":\"mine\"}",
        )
        .unwrap();
        let dry = merge(w, Some(&session), true).unwrap();
        assert_eq!((dry.added, dry.present), (1, 1));
        merge(w, Some(&session), false).unwrap();
        assert_eq!(
            fs::read_to_string(session.join("history.jsonl")).unwrap(),
            "{\"display\":\"a\",\"project\":\"/w\"}\n{\"display\":\"mine\"}\n{\"display\":\"c\",\"project\":\"/w\"}\n"
        );
        let again = merge(w, Some(&session), false).unwrap();
        assert_eq!((again.added, again.present), (0, 2));
    }
}
