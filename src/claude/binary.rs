//! Finding the Claude Code executable.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

pub const INSTALL_HINT: &str = "install Claude Code with `npm install -g @anthropic-ai/claude-code`, or name the binary with --claude PATH or CLAUDE_BIN";

/// Finds the `claude` binary: an explicit path (flag or $CLAUDE_BIN) or the
/// PATH. Absolute (links are kept, so an updated install is followed): the
/// holder runs it from elsewhere, and the session remembers it.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        if is_executable(path) {
            return Ok(std::path::absolute(path)?);
        }
        bail!(
            "{} is not an executable file; {INSTALL_HINT}",
            path.display()
        );
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("claude"))
        .find(|candidate| is_executable(candidate))
        .with_context(|| format!("no `claude` command on PATH; {INSTALL_HINT}"))
        .and_then(|found| Ok(std::path::absolute(found)?))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
