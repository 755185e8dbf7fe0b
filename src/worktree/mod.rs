//! A session's own git worktree (`new --worktree`), bound to the session
//! for its whole life: made with it, its working directory (so `resume`,
//! `restore` and a wake run in it), shown with it, removed with it only
//! when nothing in it would be lost. git does the work (`crate::git`);
//! this layer knows which worktree is whose.
//!
//! Worktrees live in `$CLAUDE_SESSION_WORKTREES`, else `<store>/worktrees`,
//! as `<repository>-<id8>/`, out of the way of the user's checkouts. Each
//! carries a marker in its admin dir in the repository
//! (`.git/worktrees/<name>/claude-session.json`: the session and the
//! record), which git deletes with the worktree: it tells a worktree made
//! for a session from one the user made, and still knows its base once
//! the session is gone.

pub mod create;
pub mod orphans;
pub mod removal;

use crate::store::layout::Layout;
use crate::store::session::Worktree;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Where worktrees are made instead of `<store>/worktrees`.
pub const DIR_VAR: &str = "CLAUDE_SESSION_WORKTREES";

/// A session's branch is `claude/<session name>` unless named.
pub const BRANCH_PREFIX: &str = "claude/";

/// The marker's file name in the worktree's admin dir.
const MARKER: &str = "claude-session.json";

/// The dir worktrees are made in (not created here).
pub fn root(layout: &Layout) -> PathBuf {
    match std::env::var_os(DIR_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            match dir.is_absolute() {
                true => dir,
                false => std::env::current_dir().unwrap_or_default().join(dir),
            }
        }
        None => layout.store.join("worktrees"),
    }
}

/// What a worktree's marker says.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Marker {
    pub session_id: Uuid,
    pub session_name: String,
    pub worktree: Worktree,
}

fn write_marker(admin: &Path, marker: &Marker) -> Result<()> {
    let path = admin.join(MARKER);
    crate::util::fsutil::write_json(&path, marker, crate::util::fsutil::Durability::Synced)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The marker of the worktree at `path`, if it is one made for a session:
/// read through its `.git` file, without running git.
pub fn marker_of(path: &Path) -> Option<(PathBuf, Marker)> {
    const SMALL: u64 = 64 * 1024;
    let dot_git = crate::util::fsutil::read_bounded(&path.join(".git"), SMALL).ok()?;
    let admin = String::from_utf8(dot_git).ok()?;
    let admin = PathBuf::from(admin.strip_prefix("gitdir: ")?.trim_end_matches('\n'));
    let admin = match admin.is_absolute() {
        true => admin,
        false => path.join(admin),
    };
    let bytes = crate::util::fsutil::read_bounded(&admin.join(MARKER), SMALL).ok()?;
    let marker: Marker = serde_json::from_slice(&bytes).ok()?;
    checked(&marker.worktree).ok()?;
    Some((admin, marker))
}

/// A record from a metadata.json or a marker, checked before its values
/// reach git: absolute paths, a branch and refs git cannot take for
/// options, a commit id.
pub fn checked(w: &Worktree) -> Result<&Worktree> {
    let hex = |s: &str| s.len() >= 7 && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !w.path.is_absolute() || !w.repository.is_absolute() {
        bail!("the worktree record names a relative path");
    }
    if w.branch.is_empty() || w.branch.starts_with('-') {
        bail!("the worktree record names the branch {:?}", w.branch);
    }
    if w.base_ref
        .as_deref()
        .is_some_and(|r| !r.starts_with("refs/"))
        || !hex(&w.base_commit)
    {
        bail!("the worktree record names a bad base");
    }
    Ok(w)
}

/// What the worktree's work is measured against: what its base ref points
/// at now (merged into `main` means into today's `main`), else the commit
/// it started from.
pub fn base_of(dir: &Path, w: &Worktree) -> String {
    w.base_ref
        .as_deref()
        .filter(|r| matches!(crate::git::repo::commit_of(dir, r), Ok(Some(_))))
        .unwrap_or(&w.base_commit)
        .to_string()
}

/// The base as a person names it: `main`, or a short commit id.
pub fn base_name(w: &Worktree) -> String {
    match &w.base_ref {
        Some(r) => crate::git::repo::short_ref(r).to_string(),
        None => w.base_commit.chars().take(7).collect(),
    }
}

/// What git says of a session's worktree now (`show`, `list --json`).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Its dir exists.
    pub present: bool,
    /// Commits on it that its base has not.
    pub ahead: Option<u64>,
    /// Files not committed, as `git status` lists them.
    pub uncommitted_files: Vec<String>,
    /// Why git could not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Two git commands (`status`, `rev-list`), run only for a session that
/// has a worktree.
pub fn state(w: &Worktree) -> State {
    if !w.path.is_dir() {
        return State::default();
    }
    let measured = checked(w).and_then(|w| {
        let uncommitted = crate::git::state::uncommitted(&w.path)?;
        // The ref first: if it is gone, its commit.
        let ahead = match &w.base_ref {
            Some(r) => crate::git::state::ahead(&w.path, r).ok(),
            None => None,
        };
        let ahead = match ahead {
            Some(n) => n,
            None => crate::git::state::ahead(&w.path, &w.base_commit)?,
        };
        Ok((uncommitted, ahead))
    });
    match measured {
        Ok((uncommitted_files, ahead)) => State {
            present: true,
            ahead: Some(ahead),
            uncommitted_files,
            error: None,
        },
        Err(e) => State {
            present: true,
            error: Some(format!("{e:#}")),
            ..State::default()
        },
    }
}

/// "2 commits ahead of main, 1 uncommitted file", "deleted", for a line
/// of text.
pub fn summary(w: &Worktree, state: &State) -> String {
    if !state.present {
        return "its dir is gone (`claude-session doctor --fix` makes it again)".to_string();
    }
    if let Some(e) = &state.error {
        return format!("git cannot say: {e}");
    }
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} ahead of {}, {}",
        plural(state.ahead.unwrap_or(0), "commit"),
        base_name(w),
        plural(state.uncommitted_files.len() as u64, "uncommitted file")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record edited by hand never reaches git as an option or a
    /// relative path.
    #[test]
    fn a_bad_record_is_refused_before_git_sees_it() {
        let good = Worktree {
            repository: "/src/api".into(),
            path: "/w/api-1a2b3c4d".into(),
            branch: "claude/x".into(),
            base_ref: Some("refs/heads/main".into()),
            base_commit: "1a2b3c4d5e6f7a8b".into(),
        };
        assert!(checked(&good).is_ok());
        let bad = [
            Worktree {
                path: "w".into(),
                ..good.clone()
            },
            Worktree {
                repository: "../src".into(),
                ..good.clone()
            },
            Worktree {
                branch: "--force".into(),
                ..good.clone()
            },
            Worktree {
                base_ref: Some("--all".into()),
                ..good.clone()
            },
            Worktree {
                base_commit: "HEAD".into(),
                ..good.clone()
            },
        ];
        for w in bad {
            assert!(checked(&w).is_err(), "{w:?}");
        }
    }
}
