//! `git worktree`: the linked working trees of a repository.

use super::git;
use std::path::{Path, PathBuf};

/// One working tree, as `git worktree list` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: PathBuf,
    /// The branch checked out (`refs/heads/x`); None when detached.
    pub branch: Option<String>,
    /// Its dir is gone (`git worktree prune` would forget it).
    pub prunable: bool,
}

/// Every working tree of the repository `dir` is in, the main one first.
pub fn list(dir: &Path) -> super::Result<Vec<Entry>> {
    let out = git(dir)
        .args(["worktree", "list", "--porcelain", "-z"])
        .output_bytes()?;
    Ok(parse_list(&out))
}

/// `--porcelain -z`: NUL-ended `key value` fields, an empty one after
/// each working tree.
fn parse_list(out: &[u8]) -> Vec<Entry> {
    use std::os::unix::ffi::OsStrExt;
    let mut entries: Vec<Entry> = Vec::new();
    for field in out.split(|b| *b == 0) {
        let (key, value) = match field.iter().position(|b| *b == b' ') {
            Some(i) => (&field[..i], &field[i + 1..]),
            None => (field, &[][..]),
        };
        match key {
            b"worktree" => entries.push(Entry {
                path: PathBuf::from(std::ffi::OsStr::from_bytes(value)),
                branch: None,
                prunable: false,
            }),
            b"branch" => {
                if let Some(e) = entries.last_mut() {
                    e.branch = Some(String::from_utf8_lossy(value).into_owned());
                }
            }
            b"prunable" => {
                if let Some(e) = entries.last_mut() {
                    e.prunable = true;
                }
            }
            _ => {}
        }
    }
    entries
}

/// A new working tree at `path` on a new branch `branch` at `commit`
/// (a commit, not a ref: the branch tracks nothing).
pub fn add(repo: &Path, path: &Path, branch: &str, commit: &str) -> super::Result<()> {
    git(repo)
        .args(["worktree", "add", "--quiet", "-b", branch, "--"])
        .arg(path)
        .arg(commit)
        .output()
        .map(drop)
}

/// A working tree again at `path` on the existing `branch`.
pub fn add_existing(repo: &Path, path: &Path, branch: &str) -> super::Result<()> {
    git(repo)
        .args(["worktree", "add", "--quiet", "--"])
        .arg(path)
        .arg(branch)
        .output()
        .map(drop)
}

/// Removes the working tree at `path`. Without `force` git refuses one
/// with changes, and one with submodules. One whose dir is gone is only
/// forgotten (as `git worktree prune` would, for this one alone).
pub fn remove(repo: &Path, path: &Path, force: bool) -> super::Result<()> {
    let mut cmd = git(repo).args(["worktree", "remove"]);
    if force {
        cmd = cmd.arg("--force");
    }
    cmd.arg("--").arg(path).output().map(drop)
}

/// The working tree's own dir in the repository (`.git/worktrees/<name>`):
/// git keeps its HEAD and index there, and deletes it with the worktree.
pub fn admin_dir(path: &Path) -> super::Result<PathBuf> {
    let out = git(path)
        .args(["rev-parse", "--absolute-git-dir"])
        .output()?;
    Ok(PathBuf::from(out.trim_end_matches('\n')))
}

/// Clones and checks out the submodules in the working tree at `path`, as
/// `git submodule update --init --recursive` does.
pub fn init_submodules(path: &Path) -> super::Result<()> {
    git(path)
        .args(["submodule", "update", "--init", "--recursive", "--quiet"])
        .output()
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_is_read() {
        let out = b"worktree /r\0HEAD 1a\0branch refs/heads/main\0\0\
                    worktree /w with space\0HEAD 2b\0detached\0prunable gitdir file points to non-existent location\0\0";
        assert_eq!(
            parse_list(out),
            vec![
                Entry {
                    path: "/r".into(),
                    branch: Some("refs/heads/main".into()),
                    prunable: false
                },
                Entry {
                    path: "/w with space".into(),
                    branch: None,
                    prunable: true
                },
            ]
        );
    }
}
