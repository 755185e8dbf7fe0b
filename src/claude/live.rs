//! What a running Claude Code says of itself in its config dir's
//! `sessions/<pid>.json` (see docs/claude-code.md): `status` is `idle`,
//! `busy` (a turn, a foreground tool, a sub-agent), `waiting` (for the
//! user: `waitingFor` says what) or `shell` (a background shell runs).
//! It follows interrupts and API errors, after which no Stop hook fires.

use std::path::Path;

/// Claude's own word on what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub status: String,
    /// What it waits for, when `waiting` ("permission prompt", ...).
    pub waiting_for: Option<String>,
}

/// The status Claude `pid` reports in the session dir, if it does.
/// Claude rewrites the file in place, so a read that does not parse is
/// tried once more.
pub fn status(session_dir: &Path, pid: u32) -> Option<Status> {
    let path = session_dir.join("sessions").join(format!("{pid}.json"));
    let read = || -> Option<serde_json::Value> {
        let bytes = crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CONFIG);
        serde_json::from_slice(&bytes.ok()?).ok()
    };
    let value = read().or_else(read)?;
    Some(Status {
        status: value["status"].as_str()?.to_string(),
        waiting_for: value["waitingFor"].as_str().map(str::to_string),
    })
}

impl Status {
    /// The session's state in claude-session's words (those of the hooks).
    pub fn state(&self) -> Option<&'static str> {
        match self.status.as_str() {
            "busy" => Some("working"),
            "waiting" => Some("waiting"),
            "idle" | "shell" => Some("idle"),
            _ => None,
        }
    }
}
