//! A repository as seen from a dir in it: the working tree's top, where in
//! it the dir is, the repository's main working tree; refs and branches.

use super::{GitError, git};
use std::path::{Path, PathBuf};

/// Where a dir is in its repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Repo {
    /// The top of the working tree the dir is in.
    pub top: PathBuf,
    /// The dir below `top` (empty at the top).
    pub prefix: PathBuf,
    /// The repository's main working tree (a bare repository's own dir):
    /// it outlives any linked worktree, so later git commands run there.
    pub main: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{0} is not in a git repository")]
    NotARepo(PathBuf),
    #[error("{0} is a bare repository: run it in one of its working trees")]
    Bare(PathBuf),
    #[error("{0} is inside a repository's .git dir, not in its working tree")]
    InGitDir(PathBuf),
    #[error(transparent)]
    Git(#[from] GitError),
}

/// The repository `dir` is in.
pub fn discover(dir: &Path) -> Result<Repo, RepoError> {
    let answers = git(dir)
        .args(["rev-parse", "--is-bare-repository", "--is-inside-git-dir"])
        .output()
        .map_err(|e| match e {
            GitError::Failed { why, .. } if why.starts_with("not a git repository") => {
                RepoError::NotARepo(dir.to_path_buf())
            }
            e => RepoError::Git(e),
        })?;
    let mut answers = answers.lines();
    if answers.next() == Some("true") {
        return Err(RepoError::Bare(dir.to_path_buf()));
    }
    if answers.next() == Some("true") {
        return Err(RepoError::InGitDir(dir.to_path_buf()));
    }
    let out = git(dir)
        .args(["rev-parse", "--show-toplevel", "--show-prefix"])
        .output()?;
    let mut lines = out.lines();
    let top = PathBuf::from(lines.next().unwrap_or_default());
    // "src/deep/": without its slash, so a path joined to it ends as a
    // resolved path does.
    let prefix = PathBuf::from(lines.next().unwrap_or_default().trim_end_matches('/'));
    let main = super::worktree::list(dir)?
        .into_iter()
        .next()
        .map(|w| w.path)
        .unwrap_or_else(|| top.clone());
    Ok(Repo { top, prefix, main })
}

/// A revision resolved to a commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub commit: String,
    /// The ref it names (`refs/heads/main`), if it names one; a detached
    /// HEAD, a commit id or `main~2` names none.
    pub full_ref: Option<String>,
}

/// The commit `rev` names; None if there is none (one git command, where
/// `resolve` runs two).
pub fn commit_of(dir: &Path, rev: &str) -> super::Result<Option<String>> {
    let found = git(dir)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output();
    match found {
        Ok(out) => Ok(Some(out.trim().to_string())),
        Err(GitError::Failed { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `rev` (a branch, tag, commit, `HEAD`...) as a commit; None if there is
/// no such commit (or HEAD is a branch without one yet).
pub fn resolve(dir: &Path, rev: &str) -> super::Result<Option<Resolved>> {
    let Some(commit) = commit_of(dir, rev)? else {
        return Ok(None);
    };
    let name = git(dir)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            "--symbolic-full-name",
            "--end-of-options",
            rev,
        ])
        .output()
        .unwrap_or_default();
    let name = name.trim();
    Ok(Some(Resolved {
        commit,
        full_ref: name.starts_with("refs/").then(|| name.to_string()),
    }))
}

/// The short name of a ref: `main` for `refs/heads/main`, `origin/main`
/// for `refs/remotes/origin/main`.
pub fn short_ref(full: &str) -> &str {
    ["refs/heads/", "refs/remotes/", "refs/tags/"]
        .iter()
        .find_map(|p| full.strip_prefix(p))
        .unwrap_or(full)
}

/// True if `name` may name a new branch (git's rules, and no leading `-`
/// that a command would take for an option).
pub fn valid_branch(dir: &Path, name: &str) -> super::Result<bool> {
    if name.is_empty() || name.starts_with('-') {
        return Ok(false);
    }
    git(dir)
        .arg("check-ref-format")
        .arg(format!("refs/heads/{name}"))
        .check()
}

pub fn branch_exists(dir: &Path, name: &str) -> super::Result<bool> {
    git(dir)
        .args(["show-ref", "--verify", "--quiet"])
        .arg(format!("refs/heads/{name}"))
        .check()
}

/// Deletes a branch, merged or not.
pub fn delete_branch(dir: &Path, name: &str) -> super::Result<()> {
    git(dir)
        .args(["branch", "--delete", "--force", "--end-of-options", name])
        .output()
        .map(drop)
}

/// True if the commit has a `.gitmodules`: its tree holds submodules.
pub fn has_submodules(dir: &Path, commit: &str) -> bool {
    // `cat-file -e` exits 128 for a path the tree does not have.
    git(dir)
        .args(["cat-file", "-e"])
        .arg(format!("{commit}:.gitmodules"))
        .check()
        .unwrap_or(false)
}
