//! Worktrees and sessions that lost each other (`cleanup --orphaned`,
//! `doctor`): a worktree whose session is gone (an interrupted `rm`, a
//! store deleted by hand), and a session whose worktree was deleted by
//! hand, which git still records until told (`git worktree prune`).

use super::{Marker, removal};
use crate::store::layout::Layout;
use crate::store::session::{Session, Worktree};
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// `new` makes a worktree a moment before its session: one younger than
/// this without a session may be one being made right now.
const CREATION_GRACE: Duration = Duration::from_secs(60);

/// A worktree made for a session that no longer exists.
pub struct Orphan {
    pub path: PathBuf,
    pub marker: Marker,
    /// Made less than a minute ago: perhaps its session is being made.
    pub young: bool,
}

/// The worktrees in the worktrees dir whose session has neither a registry
/// row (`registered`) nor a dir. Worktrees the user made there, without a
/// marker, are not looked at.
pub fn orphaned(layout: &Layout, registered: &HashSet<Uuid>) -> Vec<Orphan> {
    let Ok(entries) = fs::read_dir(super::root(layout)) else {
        return Vec::new();
    };
    let mut orphans = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some((admin, marker)) = super::marker_of(&path) else {
            continue;
        };
        let id = marker.session_id;
        if registered.contains(&id) || fs::symlink_metadata(layout.session_dir(id)).is_ok() {
            continue;
        }
        let made = fs::metadata(admin.join(super::MARKER)).and_then(|m| m.modified());
        let young = made.is_ok_and(|t| t > SystemTime::now() - CREATION_GRACE);
        orphans.push(Orphan {
            path,
            marker,
            young,
        });
    }
    orphans.sort_by(|a, b| a.path.cmp(&b.path));
    orphans
}

/// Removes an orphan if nothing in it would be lost; else says what would.
pub fn remove_orphan(orphan: &Orphan) -> Result<std::result::Result<removal::Branch, String>> {
    let w = &orphan.marker.worktree;
    let risk = removal::at_risk(w)?;
    if !risk.is_empty() {
        return Ok(Err(format!("it holds work that would be lost: {risk}")));
    }
    removal::remove(w, false).map(Ok)
}

/// The session's worktree, if its dir is gone.
pub fn missing(session: &Session) -> Option<&Worktree> {
    session
        .worktree
        .as_ref()
        .filter(|w| fs::symlink_metadata(&w.path).is_err())
}

/// True if git still records the (deleted) worktree: its branch counts as
/// checked out there until git forgets it.
pub fn still_recorded(w: &Worktree) -> bool {
    crate::git::worktree::list(&w.repository)
        .is_ok_and(|list| list.iter().any(|e| e.path == w.path))
}

/// git forgets the deleted worktree (`git worktree prune`, for it alone).
pub fn forget(w: &Worktree) -> Result<()> {
    let w = super::checked(w)?;
    crate::git::worktree::remove(&w.repository, &w.path, false)
        .with_context(|| format!("git cannot forget the worktree {}", w.path.display()))
}

/// Makes a session's deleted worktree again where it was, so the session
/// can be resumed (Claude finds a conversation only from its directory):
/// on its branch, or, if that is gone too, on a new one at its base.
/// Says how.
pub fn recreate(session: &Session) -> Result<String> {
    let w = session
        .worktree
        .as_ref()
        .context("the session has no worktree")?;
    let w = super::checked(w)?;
    if still_recorded(w) {
        forget(w)?;
    }
    let how = if crate::git::repo::branch_exists(&w.repository, &w.branch)? {
        crate::git::worktree::add_existing(&w.repository, &w.path, &w.branch)?;
        format!("made again on its branch {}", w.branch)
    } else {
        crate::git::worktree::add(&w.repository, &w.path, &w.branch, &w.base_commit)?;
        format!(
            "made again at its base {}, on a new branch {} (the old one was gone)",
            &w.base_commit[..7],
            w.branch
        )
    };
    let admin = crate::git::worktree::admin_dir(&w.path)?;
    super::write_marker(
        &admin,
        &Marker {
            session_id: session.session_id,
            session_name: session.session_name.clone(),
            worktree: w.clone(),
        },
    )?;
    fs::create_dir_all(&session.working_directory)
        .with_context(|| format!("cannot create {}", session.working_directory.display()))?;
    Ok(how)
}
