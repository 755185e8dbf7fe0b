//! Deleting sessions without reaching outside the session dir, shared by
//! `rm` and `cleanup`.
//!
//! A session goes in an order that a failure or a kill at any point leaves
//! consistent, or finishable by `cleanup --orphaned`:
//! 1. its dir is renamed to `sessions/.trash-<id>` (one atomic rename: no
//!    command, and no Claude, finds it where it was; a `rebuild` that reads
//!    the dirs now does not register it again),
//! 2. its registry row is deleted; if that fails (a full disk) the dir is
//!    renamed back, and the session is whole again,
//! 3. the removal is written to audit.log,
//! 4. the renamed dir is deleted.
//!
//! Killed after 1 it leaves a row without a dir and a `.trash-` dir; after 2
//! a `.trash-` dir; during 4 part of one. `cleanup --orphaned` removes each.
//!
//! `remove_dir_all` unlinks symbolic links, never what they point to (and,
//! since Rust 1.58.1, without a race against a link swapped in), so the
//! base's skills, agents and commands linked into every session survive.

use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use anyhow::{Context, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Names a dir in `sessions/` that is being (or was half) deleted.
pub const TRASH_PREFIX: &str = ".trash-";

/// Deletes a session: its dir (if any) and its row. The caller holds the
/// session's lock (`run::lock::SessionLock`) when the dir exists, so no
/// launcher starts Claude in it meanwhile. `action` names it in audit.log.
pub fn remove_session(
    registry: &mut Registry,
    layout: &Layout,
    session: &Session,
    action: &str,
) -> Result<()> {
    remove(layout, session, action, || {
        registry.delete(session.session_id)?;
        Ok(true)
    })
    .map(drop)
}

/// As `remove_session`, unless the row is pinned by the time it would be
/// deleted (a `pin` after the caller looked): then the session stays whole
/// and this returns false.
pub fn remove_unless_pinned(
    registry: &mut Registry,
    layout: &Layout,
    session: &Session,
    action: &str,
) -> Result<bool> {
    remove(layout, session, action, || {
        Ok(!registry.delete_unpinned(session.session_id)?)
    })
}

/// The steps of the module's comment; `delete_row` says whether the row went.
fn remove(
    layout: &Layout,
    session: &Session,
    action: &str,
    delete_row: impl FnOnce() -> Result<bool>,
) -> Result<bool> {
    let id = session.session_id;
    let trash = move_aside(layout, id)?;
    let deleted =
        delete_row().with_context(|| format!("cannot remove session {}", session.session_name));
    if !matches!(deleted, Ok(true))
        && let Some(trash) = &trash
    {
        let dir = layout.session_dir(id);
        if let Err(back) = fs::rename(trash, &dir) {
            let why = match deleted {
                Ok(_) => format!("session {} was pinned meanwhile", session.session_name),
                Err(e) => format!("{e:#}"),
            };
            anyhow::bail!(
                "{why}, and {} cannot be moved back ({back}); `claude-session cleanup --orphaned` finishes the removal",
                trash.display()
            );
        }
    }
    if !deleted? {
        return Ok(false);
    }
    crate::store::journal::audit(layout, action, session);
    if let Some(trash) = trash {
        delete_tree(&trash)?;
    }
    Ok(true)
}

/// Deletes a session dir that has no registry row (the caller holds its
/// lock), in the same two steps: aside, then away.
pub fn remove_unregistered(layout: &Layout, id: Uuid) -> Result<()> {
    match move_aside(layout, id)? {
        Some(trash) => delete_tree(&trash),
        None => Ok(()),
    }
}

/// Renames the session's dir to its trash name; None if there is no dir.
fn move_aside(layout: &Layout, id: Uuid) -> Result<Option<PathBuf>> {
    let dir = layout.session_dir(id);
    match fs::symlink_metadata(&dir) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
    let trash = layout.sessions_dir().join(format!("{TRASH_PREFIX}{id}"));
    // A leftover of an earlier, interrupted removal would make the rename
    // fail (a dir is only renamed onto an empty one).
    delete_tree(&trash)?;
    fs::rename(&dir, &trash).with_context(|| format!("cannot move {} aside", dir.display()))?;
    Ok(Some(trash))
}

/// An SQLite database's files: itself, its WAL and its shared memory.
pub fn database_files(path: &Path) -> [PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        name.into()
    })
}

/// Deletes an SQLite database and its WAL and shared-memory files.
pub fn delete_database(path: &Path) -> Result<()> {
    for file in database_files(path) {
        delete_tree(&file)?;
    }
    Ok(())
}

/// Deletes `path`: a dir with everything below it, a file, or a link (the
/// link itself, never its target). A missing path is already deleted.
pub fn delete_tree(path: &Path) -> Result<()> {
    let result = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    match result {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot delete {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_unlinked_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let shared = root.path().join("base/skills");
        fs::create_dir_all(&shared).unwrap();
        fs::write(shared.join("SKILL.md"), "skill").unwrap();
        let dir = root.path().join("session");
        fs::create_dir_all(dir.join("projects")).unwrap();
        symlink(&shared, dir.join("skills")).unwrap();
        symlink(shared.join("SKILL.md"), dir.join("projects/file-link")).unwrap();
        delete_tree(&dir).unwrap();
        assert!(!dir.exists());
        assert_eq!(
            fs::read_to_string(shared.join("SKILL.md")).unwrap(),
            "skill"
        );
        // A link given directly goes, its target stays.
        let link = root.path().join("link");
        symlink(&shared, &link).unwrap();
        delete_tree(&link).unwrap();
        assert!(fs::symlink_metadata(&link).is_err());
        assert!(shared.join("SKILL.md").is_file());
        // Deleting what is gone is fine.
        delete_tree(&dir).unwrap();
    }
}
