//! The session model: what is known about one session, as kept in the
//! registry and in the session dir's `metadata.json` (the seed's fields).

use crate::util::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use uuid::Uuid;

/// Life-cycle status. `Active` means a Claude Code process is (believed to
/// be) running; `list` checks that belief against the process table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Made with `--no-launch`, Claude never started.
    Created,
    /// Claude is running.
    Active,
    /// Claude exited on its own (any exit code).
    Stopped,
    /// Claude was killed by a signal, or vanished without its exit being recorded.
    Crashed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Active => "active",
            Status::Stopped => "stopped",
            Status::Crashed => "crashed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => Status::Created,
            "active" => Status::Active,
            "stopped" => Status::Stopped,
            "crashed" => Status::Crashed,
            _ => return None,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One session. Field names follow the seed's `metadata.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub session_id: Uuid,
    pub session_name: String,
    pub user_id: String,
    #[serde(default)]
    pub ssh_client: Option<String>,
    pub working_directory: PathBuf,
    /// When the session was created.
    pub start_time: Timestamp,
    /// When Claude last exited.
    #[serde(default)]
    pub end_time: Option<Timestamp>,
    pub status: Status,
    #[serde(default)]
    pub model: Option<String>,
    pub last_activity: Timestamp,
    #[serde(default)]
    pub message_count: u64,
    #[serde(default)]
    pub tool_call_count: u64,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Pid of the running Claude process, with its start time (clock ticks
    /// since boot, field 22 of /proc/PID/stat) so a reused pid is not
    /// mistaken for it.
    #[serde(default)]
    pub pid: Option<u32>,
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// Pid and start time of the holder that keeps Claude's terminal, when
    /// Claude runs under one (None in the foreground).
    #[serde(default)]
    pub holder_pid: Option<u32>,
    #[serde(default)]
    pub holder_start: Option<u64>,
    /// Terminals attached to the holder right now.
    #[serde(default)]
    pub clients: u32,
    /// What Claude is doing, from its hooks: working, waiting (for the
    /// user: a permission prompt, a question) or idle. Meaningful while
    /// `status` is active.
    #[serde(default)]
    pub state: Option<String>,
    /// Claude's current conversation id (a new one after `/clear`).
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// Pinned by the user (`claude-session pin`): `cleanup` never removes it.
    #[serde(default)]
    pub pinned: bool,
}

impl Session {
    /// A new session record of this user at this terminal, not yet started.
    pub fn new(id: Uuid, name: &str, cwd: PathBuf, now: crate::util::timestamp::Timestamp) -> Self {
        Self {
            session_id: id,
            session_name: name.to_string(),
            user_id: crate::store::layout::user_name(),
            ssh_client: crate::store::layout::ssh_client(),
            working_directory: cwd,
            start_time: now,
            end_time: None,
            status: Status::Created,
            model: None,
            last_activity: now,
            message_count: 0,
            tool_call_count: 0,
            exit_code: None,
            pid: None,
            pid_start: None,
            holder_pid: None,
            holder_start: None,
            clients: 0,
            state: None,
            conversation_id: None,
            pinned: false,
        }
    }

    /// Forgets the processes of a run that is over: pids, holder, attached
    /// terminals, live state.
    pub fn clear_runtime(&mut self) {
        self.pid = None;
        self.pid_start = None;
        self.holder_pid = None;
        self.holder_start = None;
        self.clients = 0;
        self.state = None;
    }

    pub fn short_id(&self) -> String {
        self.session_id.simple().to_string()[..8].to_string()
    }
}

/// Why a name was refused. One line each, naming the rule.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NameError {
    #[error("a session name cannot be empty")]
    Empty,
    #[error("a session name has at most {MAX_NAME_LEN} characters (this one has {0})")]
    TooLong(usize),
    #[error(
        "a session name may only hold letters, digits, '.', '_' and '-', and must start with a letter or digit (found {0:?})"
    )]
    BadChar(char),
    #[error("{0:?} is a command name; pick another session name")]
    Reserved(String),
}

pub const MAX_NAME_LEN: usize = 64;

/// Names that would read as a subcommand on the command line.
const RESERVED: &[&str] = &[
    "new", "list", "ls", "show", "resume", "rm", "path", "rebuild", "help", "attach", "kill",
    "cleanup", "export", "import", "migrate", "doctor", "stats", "set", "pin", "unpin",
];

/// Names are used in file names, shell aliases, tables and logs, so they are
/// kept to a conservative, quote-free alphabet.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let count = name.chars().count();
    if count == 0 {
        return Err(NameError::Empty);
    }
    if count > MAX_NAME_LEN {
        return Err(NameError::TooLong(count));
    }
    for (i, c) in name.chars().enumerate() {
        let ok = c.is_ascii_alphanumeric() || (i > 0 && matches!(c, '.' | '_' | '-'));
        if !ok {
            return Err(NameError::BadChar(c));
        }
    }
    if RESERVED.contains(&name) {
        return Err(NameError::Reserved(name.to_string()));
    }
    Ok(())
}

/// The stem of an automatic name: the working directory's last component,
/// reduced to the allowed alphabet ("my project!" -> "my-project").
pub fn auto_name_stem(cwd: &std::path::Path) -> String {
    let raw = cwd
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            stem.push(c);
        } else if !stem.ends_with('-') {
            stem.push('-');
        }
    }
    let stem = stem.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let stem: String = stem.chars().take(40).collect();
    if stem.is_empty() {
        "session".to_string()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn accepts_ordinary_names() {
        for name in ["api-refactor", "a", "v1.2_fix", "X9"] {
            assert_eq!(validate_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_hostile_names() {
        assert_eq!(validate_name(""), Err(NameError::Empty));
        assert_eq!(validate_name("../x"), Err(NameError::BadChar('.')));
        assert_eq!(validate_name("a/b"), Err(NameError::BadChar('/')));
        assert_eq!(validate_name("a\"b"), Err(NameError::BadChar('"')));
        assert_eq!(validate_name("$(rm)"), Err(NameError::BadChar('$')));
        assert_eq!(validate_name("a\nb"), Err(NameError::BadChar('\n')));
        assert_eq!(validate_name("a b"), Err(NameError::BadChar(' ')));
        assert_eq!(validate_name("-x"), Err(NameError::BadChar('-')));
        assert_eq!(
            validate_name(&"x".repeat(10_000)),
            Err(NameError::TooLong(10_000))
        );
        assert_eq!(
            validate_name("list"),
            Err(NameError::Reserved("list".into()))
        );
    }

    #[test]
    fn auto_stem_is_a_valid_name() {
        assert_eq!(
            auto_name_stem(Path::new("/home/u/my project!")),
            "my-project"
        );
        assert_eq!(auto_name_stem(Path::new("/")), "session");
        assert_eq!(auto_name_stem(Path::new("/x/--")), "session");
        assert_eq!(auto_name_stem(Path::new("/x/.hidden")), "hidden");
    }
}
