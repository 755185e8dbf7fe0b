//! Making a session: the one way `new`, `import` and `migrate` add one to
//! the store. Its dir and `metadata.json` are made inside the registry
//! transaction that inserts its row, so a session is registered only with
//! its dir, and a failure leaves neither.

use crate::store::layout::Layout;
use crate::store::registry::{InsertError, Registry, RegistryError};
use crate::store::session::Session;
use anyhow::{Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Names a dir in `sessions/` where an import prepares a session before it
/// is renamed into place.
pub const STAGING_PREFIX: &str = ".import-";

/// The name the session gets.
pub enum Naming<'a> {
    /// Exactly the session's own name; taken is an error.
    Exactly,
    /// `<stem>-N`, the first free N.
    Numbered(&'a str),
    /// The session's own name, or `<stem>-N` if that is taken.
    OwnOrNumbered(&'a str),
}

/// Where the session dir comes from.
pub enum Dir<'a> {
    /// A new, empty dir.
    New,
    /// A dir prepared beside the store (`sessions/.import-*`), renamed into place.
    Staged(&'a Path),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a session named {0:?} already exists")]
    NameTaken(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Adds `session` to the store: registry row, dir and `metadata.json`,
/// then `fill` (the session's own files, e.g. its settings) while the row
/// is still uncommitted. Sets the session's name as `naming` says.
pub fn create_session(
    registry: &mut Registry,
    layout: &Layout,
    session: &mut Session,
    naming: Naming,
    dir: Dir,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> std::result::Result<(), CreateError> {
    let mut fill = Some(fill);
    let mut make = |s: &Session| -> Result<()> {
        let path = layout.session_dir(s.session_id);
        let made = make_dir(&path, &dir).and_then(|()| {
            crate::store::metadata::write(layout, s)?;
            match fill.take() {
                Some(fill) => fill(&path),
                None => Ok(()),
            }
        });
        if made.is_err() {
            let _ = crate::store::removal::delete_tree(&path);
        }
        made
    };
    let own = session.session_name.clone();
    let inserted = match naming {
        Naming::Exactly => registry.insert_new(session, None, &mut make),
        Naming::Numbered(stem) => registry.insert_new(session, Some(stem), &mut make),
        Naming::OwnOrNumbered(stem) => match registry.insert_new(session, None, &mut make) {
            Err(InsertError::Registry(RegistryError::NameTaken(_))) => {
                registry.insert_new(session, Some(stem), &mut make)
            }
            other => other,
        },
    };
    match inserted {
        Ok(()) => Ok(()),
        Err(InsertError::Registry(RegistryError::NameTaken(_))) => Err(CreateError::NameTaken(own)),
        Err(InsertError::Registry(e)) => {
            // The row failed after the dir was made (a full disk at commit).
            let _ = crate::store::removal::delete_tree(&layout.session_dir(session.session_id));
            Err(CreateError::Other(e.into()))
        }
        Err(InsertError::Before(e)) => Err(CreateError::Other(e)),
    }
}

fn make_dir(path: &PathBuf, dir: &Dir) -> Result<()> {
    match dir {
        Dir::New => {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .mode(0o700)
                .create(path)
                .with_context(|| format!("cannot create {}", path.display()))
        }
        Dir::Staged(staged) => {
            if fs::symlink_metadata(path).is_ok() {
                anyhow::bail!(
                    "the id of {} was taken meanwhile; try again",
                    path.display()
                );
            }
            fs::rename(staged, path)
                .with_context(|| format!("cannot move {} to {}", staged.display(), path.display()))
        }
    }
}
