//! The changes of a working tree since a base, committed and not, new
//! files included, shown by git itself: it pages and colours on a
//! terminal as the user set it up (GIT_PAGER, core.pager, PAGER), and
//! writes plain text elsewhere.

use super::git;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

/// Runs `git diff [extra] <from>` in the working tree at `path` on this
/// terminal, where `from` is where its HEAD left `base` (their merge
/// base: what `base` gained since is not the session's change).
/// `started` learns git's pid.
pub fn show(
    path: &Path,
    base: &str,
    extra: &[&str],
    started: impl FnOnce(u32),
) -> super::Result<ExitStatus> {
    let from = git(path)
        .args(["merge-base", base, "HEAD"])
        .output()
        .map(|out| out.trim().to_string())
        .unwrap_or_else(|_| base.to_string());
    // `git diff` leaves out files git does not track yet; in a copy of the
    // index they are marked "to be added" (`add -N`), so they show as new
    // files, and the user's own index is not touched.
    let index = ScratchIndex::copy(path)?;
    let mut diff = git(path).arg("diff");
    if let Some(index) = &index {
        let untracked = git(path)
            .args(["ls-files", "-z", "--others", "--exclude-standard"])
            .output_bytes()?;
        if !untracked.is_empty() {
            git(path)
                .env("GIT_INDEX_FILE", &index.0)
                .args([
                    "add",
                    "--intent-to-add",
                    "--pathspec-from-file=-",
                    "--pathspec-file-nul",
                ])
                .input(&untracked)?;
        }
        diff = diff.env("GIT_INDEX_FILE", &index.0);
    }
    diff.args(extra).arg(from).arg("--").interactive(started)
}

/// A copy of a working tree's index beside it, deleted when dropped.
struct ScratchIndex(PathBuf);

impl ScratchIndex {
    /// None if the working tree has no index yet.
    fn copy(path: &Path) -> super::Result<Option<Self>> {
        let index = git(path)
            .args(["rev-parse", "--path-format=absolute", "--git-path", "index"])
            .output()?;
        let index = PathBuf::from(index.trim_end_matches('\n'));
        let mut scratch = index.clone().into_os_string();
        scratch.push(format!(".claude-session-diff-{}", std::process::id()));
        let scratch = PathBuf::from(scratch);
        match std::fs::copy(&index, &scratch) {
            Ok(_) => Ok(Some(Self(scratch))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(super::GitError::Failed {
                what: "diff".into(),
                why: format!("cannot copy the index {}: {e}", index.display()),
            }),
        }
    }
}

impl Drop for ScratchIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
