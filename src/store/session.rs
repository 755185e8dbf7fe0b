//! The session model: what is known about one session, as kept in the
//! registry and in the session dir's `metadata.json` (the seed's fields).

use crate::util::process::Process;
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
    /// Claude exited while idle; its holder keeps the session and starts
    /// Claude again when it is wanted (see `holder::hibernate`).
    Hibernated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Active => "active",
            Status::Stopped => "stopped",
            Status::Crashed => "crashed",
            Status::Hibernated => "hibernated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => Status::Created,
            "active" => Status::Active,
            "stopped" => Status::Stopped,
            "crashed" => Status::Crashed,
            "hibernated" => Status::Hibernated,
            _ => return None,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One session. Stored as the seed's `metadata.json` fields (see `Record`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Record", into = "Record")]
pub struct Session {
    pub session_id: Uuid,
    pub session_name: String,
    pub user_id: String,
    pub ssh_client: Option<String>,
    pub working_directory: PathBuf,
    /// When the session was created.
    pub start_time: Timestamp,
    /// When Claude last exited.
    pub end_time: Option<Timestamp>,
    pub status: Status,
    pub model: Option<String>,
    pub last_activity: Timestamp,
    pub message_count: u64,
    pub tool_call_count: u64,
    pub exit_code: Option<i32>,
    /// The running Claude process.
    pub claude: Option<Process>,
    /// The holder that keeps Claude's terminal, when Claude runs under one
    /// (None in the foreground).
    pub holder: Option<Process>,
    /// Terminals attached to the holder right now.
    pub clients: u32,
    /// What Claude is doing, from its hooks: working, waiting (for the
    /// user: a permission prompt, a question) or idle. Meaningful while
    /// `status` is active.
    pub state: Option<String>,
    /// Claude's current conversation id (a new one after `/clear`).
    pub conversation_id: Option<String>,
    /// Pinned by the user (`claude-session pin`): `cleanup` never removes it.
    pub pinned: bool,
    /// The Claude Code binary the session last ran (`--claude PATH`, or
    /// the one found on PATH), so `restore` runs it again without being told.
    pub claude_bin: Option<PathBuf>,
    /// What `state` is about: what Claude waits for ("permission for
    /// Bash"), from its hooks.
    pub state_detail: Option<String>,
    /// Since when `state` holds.
    pub state_since: Option<Timestamp>,
    /// The git worktree made for the session (`new --worktree`): its
    /// working directory is in it for the session's whole life.
    pub worktree: Option<Worktree>,
}

/// A session's own git worktree, as recorded when it was made. What git
/// says of it now (commits ahead, uncommitted files) is never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worktree {
    /// The repository it belongs to: its main working tree (or, for a bare
    /// repository, its dir), where git runs once the worktree is gone.
    pub repository: PathBuf,
    /// The worktree's top dir.
    pub path: PathBuf,
    /// The branch made for it.
    pub branch: String,
    /// The ref it started from (`refs/heads/main`), when it was one:
    /// merged means merged into what this ref points at now.
    pub base_ref: Option<String>,
    /// The commit it started from.
    pub base_commit: String,
}

/// A session as `metadata.json` and `--json` spell it: the seed's field
/// names, each process as a pid and its start time.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    session_id: Uuid,
    session_name: String,
    user_id: String,
    #[serde(default)]
    ssh_client: Option<String>,
    working_directory: PathBuf,
    start_time: Timestamp,
    #[serde(default)]
    end_time: Option<Timestamp>,
    status: Status,
    #[serde(default)]
    model: Option<String>,
    last_activity: Timestamp,
    #[serde(default)]
    message_count: u64,
    #[serde(default)]
    tool_call_count: u64,
    #[serde(default)]
    exit_code: Option<i32>,
    #[serde(default)]
    pid: Option<u32>,
    #[serde(default)]
    pid_start: Option<u64>,
    #[serde(default)]
    holder_pid: Option<u32>,
    #[serde(default)]
    holder_start: Option<u64>,
    #[serde(default)]
    clients: u32,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    claude_bin: Option<PathBuf>,
    #[serde(default)]
    state_detail: Option<String>,
    #[serde(default)]
    state_since: Option<Timestamp>,
    worktree: Option<Worktree>,
}

/// A recorded pid without its start time proves nothing: it is dropped.
fn process(pid: Option<u32>, start: Option<u64>) -> Option<Process> {
    Some(Process {
        pid: pid?,
        start: start?,
    })
}

impl From<Record> for Session {
    fn from(r: Record) -> Self {
        Session {
            session_id: r.session_id,
            session_name: r.session_name,
            user_id: r.user_id,
            ssh_client: r.ssh_client,
            working_directory: r.working_directory,
            start_time: r.start_time,
            end_time: r.end_time,
            status: r.status,
            model: r.model,
            last_activity: r.last_activity,
            message_count: r.message_count,
            tool_call_count: r.tool_call_count,
            exit_code: r.exit_code,
            claude: process(r.pid, r.pid_start),
            holder: process(r.holder_pid, r.holder_start),
            clients: r.clients,
            state: r.state,
            conversation_id: r.conversation_id,
            pinned: r.pinned,
            claude_bin: r.claude_bin,
            state_detail: r.state_detail,
            state_since: r.state_since,
            worktree: r.worktree,
        }
    }
}

impl From<Session> for Record {
    fn from(s: Session) -> Self {
        Record {
            session_id: s.session_id,
            session_name: s.session_name,
            user_id: s.user_id,
            ssh_client: s.ssh_client,
            working_directory: s.working_directory,
            start_time: s.start_time,
            end_time: s.end_time,
            status: s.status,
            model: s.model,
            last_activity: s.last_activity,
            message_count: s.message_count,
            tool_call_count: s.tool_call_count,
            exit_code: s.exit_code,
            pid: s.claude.map(|p| p.pid),
            pid_start: s.claude.map(|p| p.start),
            holder_pid: s.holder.map(|p| p.pid),
            holder_start: s.holder.map(|p| p.start),
            clients: s.clients,
            state: s.state,
            conversation_id: s.conversation_id,
            pinned: s.pinned,
            claude_bin: s.claude_bin,
            state_detail: s.state_detail,
            state_since: s.state_since,
            worktree: s.worktree,
        }
    }
}

impl Session {
    /// A new session record of this user at this terminal, not yet started.
    pub fn new(id: Uuid, name: &str, cwd: PathBuf, now: Timestamp) -> Self {
        Self {
            session_id: id,
            session_name: name.to_string(),
            user_id: crate::util::user::name(),
            ssh_client: crate::util::user::ssh_client(),
            working_directory: cwd,
            start_time: now,
            end_time: None,
            status: Status::Created,
            model: None,
            last_activity: now,
            message_count: 0,
            tool_call_count: 0,
            exit_code: None,
            claude: None,
            holder: None,
            clients: 0,
            state: None,
            conversation_id: None,
            pinned: false,
            claude_bin: None,
            state_detail: None,
            state_since: None,
            worktree: None,
        }
    }

    /// Forgets the processes of a run that is over: Claude, its holder,
    /// attached terminals, live state.
    pub fn clear_runtime(&mut self) {
        self.claude = None;
        self.holder = None;
        self.clients = 0;
        self.state = None;
        self.state_detail = None;
        self.state_since = None;
    }

    /// Claude still runs (as recorded: a reused pid is not it).
    pub fn claude_is_live(&self) -> bool {
        self.claude.is_some_and(|p| p.is_live())
    }

    /// Its holder still runs.
    pub fn holder_is_live(&self) -> bool {
        self.holder.is_some_and(|p| p.is_live())
    }

    /// Something runs for it: Claude, or a holder keeping it hibernated.
    pub fn is_running(&self) -> bool {
        self.claude_is_live() || self.holder_is_live()
    }

    /// Hibernated, with a holder to wake it.
    pub fn is_hibernated(&self) -> bool {
        self.status == Status::Hibernated && self.holder_is_live()
    }

    pub fn short_id(&self) -> String {
        short_id(self.session_id)
    }
}

/// The first 8 hex digits of a session id, as tables show it.
pub fn short_id(id: Uuid) -> String {
    let mut hex = [0u8; uuid::fmt::Simple::LENGTH];
    id.simple().encode_lower(&mut hex)[..8].to_string()
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
    #[error("{0:?} reads as a session id; pick another session name")]
    LooksLikeId(String),
}

pub const MAX_NAME_LEN: usize = 64;

/// Names that would read as a subcommand on the command line.
/// (cli's tests check that every subcommand and alias is here.)
pub const RESERVED: &[&str] = &[
    "new",
    "list",
    "ls",
    "show",
    "resume",
    "rm",
    "delete",
    "diff",
    "path",
    "rebuild",
    "help",
    "attach",
    "kill",
    "restore",
    "config-dirs",
    "stats",
    "set",
    "shell-init",
    "completions",
    "man",
    "cleanup",
    "pin",
    "unpin",
    "export",
    "import",
    "migrate",
    "doctor",
    "peek",
    "send",
    "hibernate",
    "wake",
    "ui",
    "search",
    "hook",
    "host",
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
    // Sessions are named by id too: a name must never be another's id.
    if Uuid::parse_str(name).is_ok() {
        return Err(NameError::LooksLikeId(name.to_string()));
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
        for id in [
            "0a0a0a0a-1111-4222-8333-444444444444",
            "0a0a0a0a111142228333444444444444",
        ] {
            assert_eq!(validate_name(id), Err(NameError::LooksLikeId(id.into())));
        }
        // Short hex is a name (an id prefix only matches when no name does).
        assert_eq!(validate_name("0a0a0a0a"), Ok(()));
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
