//! What Claude Code writes outside its config dir, kept per session where
//! it can be: its temp files (`CLAUDE_CODE_TMPDIR`, here in the session
//! dir, removed with it), and what a killed Claude leaves behind (a clean
//! exit removes these itself): its entry in the config dir's live registry
//! (`sessions/<pid>.json` and, in newer versions, `sessions/<pid>.<hex>.key`)
//! and its cross-session messaging socket (`cc-socks/<pid>.sock` under
//! `$XDG_RUNTIME_DIR`, its temp dir, or `/tmp/cc-socks-<uid>/`). Left, the
//! first makes Claude count a session that is gone, the second piles up.
//! See docs/claude-code.md.

use std::fs;
use std::path::{Path, PathBuf};

/// The session's own temp dir, Claude's `CLAUDE_CODE_TMPDIR`.
pub fn tmp_dir(session_dir: &Path) -> PathBuf {
    session_dir.join("tmp")
}

/// Removes what the dead Claude `pid` of the session in `session_dir`
/// left. A socket is removed only if nobody listens on it (the pid may
/// belong to another Claude by now).
pub fn clean_after(session_dir: &Path, pid: u32) {
    if let Ok(entries) = fs::read_dir(session_dir.join("sessions")) {
        let json = format!("{pid}.json");
        let key = format!("{pid}.");
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name == json || (name.starts_with(&key) && name.ends_with(".key")) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    for dir in socket_dirs(session_dir) {
        let socket = dir.join(format!("{pid}.sock"));
        if crate::util::socket::probe(&socket) == crate::util::socket::Probe::Refused {
            let _ = fs::remove_file(&socket);
        }
    }
}

/// Where Claude puts its messaging socket, in the order it tries them.
fn socket_dirs(session_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(runtime).join("cc-socks"));
    }
    dirs.push(tmp_dir(session_dir).join("cc-socks"));
    dirs.push(PathBuf::from(format!(
        "/tmp/cc-socks-{}",
        nix::unistd::getuid()
    )));
    dirs
}
