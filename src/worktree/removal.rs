//! Removing a worktree with its session (`rm`, `cleanup`), or without one
//! (an orphan), only when nothing in it would be lost: no uncommitted
//! files, no commits that are neither merged into its base nor pushed.
//! Its branch goes only when merged; `force` discards both.

use crate::git::{repo, state};
use crate::store::session::{Session, Worktree};
use anyhow::{Context, Result, bail};
use std::fmt;
use std::path::PathBuf;

/// What removing a worktree and its branch would lose.
#[derive(Debug, Default, PartialEq)]
pub struct AtRisk {
    /// Files not committed (`git status`).
    pub uncommitted: Vec<String>,
    /// Commits in neither the base nor a remote-tracking branch.
    pub commits: Vec<state::Commit>,
    /// The base they are measured against, as a person names it.
    pub base: String,
}

impl AtRisk {
    pub fn is_empty(&self) -> bool {
        self.uncommitted.is_empty() && self.commits.is_empty()
    }
}

/// "2 uncommitted files (a.txt, b.txt) and 1 commit neither merged into
/// main nor pushed (1a2b3c4 Add notes)": every file and commit up to a
/// screenful, then how many more.
impl fmt::Display for AtRisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 20;
        let list = |items: &[String]| {
            let mut text = items
                .iter()
                .take(SHOWN)
                .map(|i| printable(i))
                .collect::<Vec<_>>()
                .join(", ");
            if items.len() > SHOWN {
                text.push_str(&format!(" and {} more", items.len() - SHOWN));
            }
            text
        };
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if !self.uncommitted.is_empty() {
            parts.push(format!(
                "{} ({})",
                plural(self.uncommitted.len(), "uncommitted file"),
                list(&self.uncommitted)
            ));
        }
        if !self.commits.is_empty() {
            parts.push(format!(
                "{} neither merged into {} nor pushed ({})",
                plural(self.commits.len(), "commit"),
                self.base,
                list(&self.commits)
            ));
        }
        f.write_str(&parts.join(" and "))
    }
}

/// What would be lost if the worktree (its dir may be gone) and its
/// branch went now.
pub fn at_risk(w: &Worktree) -> Result<AtRisk> {
    let w = super::checked(w)?;
    let present = w.path.is_dir();
    let dir = if present { &w.path } else { &w.repository };
    let measured = || -> Result<AtRisk> {
        let uncommitted = match present {
            true => state::uncommitted(&w.path)?,
            false => Vec::new(),
        };
        let branch = format!("refs/heads/{}", w.branch);
        let mut tips = Vec::new();
        if repo::branch_exists(dir, &w.branch)? {
            tips.push(branch.as_str());
        }
        // A detached HEAD's commits are on no branch at all.
        if present && repo::resolve(&w.path, "HEAD")?.is_some_and(|h| h.full_ref.is_none()) {
            tips.push("HEAD");
        }
        let base = super::base_of(dir, w);
        let commits = match tips.is_empty() {
            true => Vec::new(),
            false => state::unsaved_commits(dir, &tips, &base)?,
        };
        Ok(AtRisk {
            uncommitted,
            commits,
            base: super::base_name(w),
        })
    };
    measured().with_context(|| format!("cannot look into the worktree {}", w.path.display()))
}

/// What became of the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Branch {
    /// Merged into the base (or `force`): deleted.
    Deleted,
    /// Not merged: it stays.
    Kept,
    /// It was gone already.
    Gone,
}

/// Removes the worktree (git forgets it if its dir is gone) and its branch
/// if merged. Without `force`, the caller has found nothing at risk
/// (`at_risk`) under the session's lock; `force` discards whatever is.
pub fn remove(w: &Worktree, force: bool) -> Result<Branch> {
    let w = super::checked(w)?;
    let repository = &w.repository;
    let known = crate::git::worktree::list(repository)
        .with_context(|| format!("cannot read the worktrees of {}", repository.display()))?
        .iter()
        .any(|e| e.path == w.path);
    if known {
        // git refuses any worktree with submodules without --force; what
        // they hold was checked with the rest (`git status` sees into them).
        let force = force || w.path.join(".gitmodules").exists();
        crate::git::worktree::remove(repository, &w.path, force)
            .with_context(|| format!("cannot remove the worktree {}", w.path.display()))?;
    }
    if !repo::branch_exists(repository, &w.branch)? {
        return Ok(Branch::Gone);
    }
    let base = super::base_of(repository, w);
    let branch = format!("refs/heads/{}", w.branch);
    if !force && !state::merged(repository, &branch, &base)? {
        return Ok(Branch::Kept);
    }
    repo::delete_branch(repository, &w.branch)
        .with_context(|| format!("cannot delete the branch {}", w.branch))?;
    Ok(Branch::Deleted)
}

/// Refuses, naming every file and commit, if removing the session's
/// worktree would lose work: for `rm`, before it deletes anything.
pub fn check_nothing_lost(session: &Session) -> Result<()> {
    let Some(w) = &session.worktree else {
        return Ok(());
    };
    let risk = at_risk(w)?;
    if !risk.is_empty() {
        let keep = match risk.uncommitted.is_empty() {
            true => "merge or push it",
            false => "commit it, then merge or push it",
        };
        bail!(
            "session {}: its worktree {} holds work that would be lost: {risk}; {keep}, or pass --force to discard it",
            session.session_name,
            printable(&w.path.to_string_lossy())
        );
    }
    Ok(())
}

/// Why `cleanup` keeps a session for its worktree: work in it would be
/// lost, or git cannot tell.
pub fn kept_because(session: &Session) -> Option<String> {
    let w = session.worktree.as_ref()?;
    match at_risk(w) {
        Ok(risk) if risk.is_empty() => None,
        Ok(risk) => Some(format!(
            "its worktree holds work that would be lost: {risk}; `claude-session rm --force {}` discards it",
            session.session_name
        )),
        Err(e) => Some(format!("{e:#}")),
    }
}

/// A worktree removed with its session.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    pub path: PathBuf,
    pub branch: String,
    /// What became of the branch.
    pub branch_fate: Branch,
    #[serde(skip)]
    base: String,
}

impl fmt::Display for Removed {
    /// "worktree /w removed, branch claude/x deleted".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let branch = printable(&self.branch);
        let fate = match self.branch_fate {
            Branch::Deleted => format!("branch {branch} deleted"),
            Branch::Kept => format!("branch {branch} kept (not merged into {})", self.base),
            Branch::Gone => format!("branch {branch} was gone"),
        };
        let path = printable(&self.path.to_string_lossy());
        write!(f, "worktree {path} removed, {fate}")
    }
}

/// Removes the session's worktree, for `rm` under the session's lock:
/// without `force`, only if nothing would be lost (checked again here);
/// with it, whatever it holds, and if git cannot (its repository is gone)
/// the session goes anyway and the worktree stays, said.
pub fn remove_with_session(session: &Session, force: bool) -> Result<Option<Removed>> {
    let Some(w) = &session.worktree else {
        return Ok(None);
    };
    if !force {
        check_nothing_lost(session)?;
    }
    match remove(w, force) {
        Ok(branch_fate) => Ok(Some(Removed {
            path: w.path.clone(),
            branch: w.branch.clone(),
            branch_fate,
            base: super::base_name(w),
        })),
        Err(e) if force => {
            crate::util::output::warn(format!("{e:#}; it stays"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A file name or subject as it may go into one line on a terminal:
/// quoted, escapes shown, if it holds a control character.
fn printable(text: &str) -> String {
    match text.chars().any(char::is_control) {
        true => format!("{text:?}"),
        false => text.to_string(),
    }
}
