//! What a working tree holds beyond its base: files not committed,
//! commits not merged or pushed.

use super::git;
use std::path::Path;

/// The files of the working tree at `path` that differ from its HEAD:
/// changed, staged, new (untracked, not ignored), as `git status` shows
/// them; a new dir is one entry (`build/`). Sorted, paths relative to the
/// top.
pub fn uncommitted(path: &Path) -> super::Result<Vec<String>> {
    let out = git(path)
        .args(["status", "--porcelain=v1", "-z"])
        .output_bytes()?;
    Ok(parse_status(&out))
}

/// `XY path` records, NUL-ended; a rename or copy has its old path as a
/// record of its own after it.
fn parse_status(out: &[u8]) -> Vec<String> {
    let mut files = Vec::new();
    let mut records = out.split(|b| *b == 0).filter(|r| !r.is_empty());
    while let Some(record) = records.next() {
        if record.len() < 4 {
            continue;
        }
        files.push(String::from_utf8_lossy(&record[3..]).into_owned());
        if matches!(record[0], b'R' | b'C') {
            records.next();
        }
    }
    files.sort();
    files.dedup();
    files
}

/// One commit, as `abc1234 subject`.
pub type Commit = String;

/// Commits reachable from `tips` but from neither `base` nor any
/// remote-tracking branch: what deleting the tips would lose. Newest first.
/// (`tips` and `base` are full refs, `HEAD` or commit ids, never an
/// option: `--not` cannot follow `--end-of-options`.)
pub fn unsaved_commits(dir: &Path, tips: &[&str], base: &str) -> super::Result<Vec<Commit>> {
    let out = git(dir)
        .args(["log", "--format=%h %s"])
        .args(tips)
        .args(["--not", base, "--remotes", "--"])
        .output()?;
    Ok(out.lines().map(str::to_string).collect())
}

/// How many commits HEAD of `path` has that `base` has not.
pub fn ahead(path: &Path, base: &str) -> super::Result<u64> {
    let out = git(path)
        .args(["rev-list", "--count", "--end-of-options"])
        .arg(format!("{base}..HEAD"))
        .arg("--")
        .output()?;
    Ok(out.trim().parse().unwrap_or(0))
}

/// True if `rev` is in `base`'s history (merged into it).
pub fn merged(dir: &Path, rev: &str, base: &str) -> super::Result<bool> {
    git(dir)
        .args(["merge-base", "--is-ancestor", "--end-of-options", rev, base])
        .check()
}

#[cfg(test)]
mod tests {
    use super::parse_status;

    #[test]
    fn status_is_read() {
        let out = b" M a.txt\0?? new dir/\0R  new.rs\0old.rs\0 M sub\0";
        assert_eq!(parse_status(out), ["a.txt", "new dir/", "new.rs", "sub"]);
    }
}
