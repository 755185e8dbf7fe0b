//! Asking hosts who they are and what sessions they have: one host
//! (`ask`), or every host at once, each within its time (`survey`), which
//! is what `list --all-hosts`, `host list` and the dashboard show.
//!
//! Whatever a host says is read as untrusted: bounded, parsed, its errors
//! cut to one line of printable text.

use super::config::Host;
use super::ssh::{self, CallError, Options};
use super::{Hello, PROBE, PROTOCOL};
use crate::store::session::Session;
use std::path::PathBuf;
use std::time::Duration;

/// How long a host has to answer unless the caller says otherwise: a new
/// connection (TCP, key exchange, login) takes well under a second on a
/// healthy network; a host that takes 10 s is shown as not answering.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The most a host's listing may print (about 1 kB a session).
const MAX_LISTING: u64 = 64_000_000;

/// What went wrong with a host, in kind (for `--json` and colours) and in
/// one line of words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub problem: Problem,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// ssh could not connect or log in.
    Unreachable,
    /// No answer within the time.
    Timeout,
    /// No claude-session there.
    Missing,
    /// A claude-session that speaks another protocol, or none.
    Incompatible,
    /// Anything else: it failed, or said something unreadable.
    Failed,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Unreachable => "unreachable",
            Problem::Timeout => "timeout",
            Problem::Missing => "missing",
            Problem::Incompatible => "incompatible",
            Problem::Failed => "failed",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn failure(problem: Problem, message: impl Into<String>) -> Failure {
    Failure {
        problem,
        message: message.into(),
    }
}

/// A host's sessions, as it listed them.
#[derive(Clone, Debug)]
pub struct Listing {
    /// claude-session's version there.
    pub version: String,
    /// Its home, for `~` in its paths (empty if it did not say).
    pub home: PathBuf,
    pub sessions: Vec<Listed>,
}

/// One session of a host: the model, and the JSON it came as (passed on
/// unchanged by `list --all-hosts --json`).
#[derive(Clone, Debug)]
pub struct Listed {
    pub session: Session,
    pub json: serde_json::Value,
}

/// One host's answer.
#[derive(Clone, Debug)]
pub struct Report {
    pub host: Host,
    pub result: Result<Listing, Failure>,
}

/// Every host's sessions, or why there are none: every host asked at once,
/// each given `timeout`, so the slowest host costs `timeout` and a dead one
/// never more. In the order of `hosts`. This machine is not among them (its
/// store is the caller's).
pub fn survey(hosts: &[Host], timeout: Duration, git: Git) -> Vec<Report> {
    std::thread::scope(|scope| {
        let asks: Vec<_> = hosts
            .iter()
            .map(|host| scope.spawn(move || list(host, timeout, git)))
            .collect();
        hosts
            .iter()
            .zip(asks)
            .map(|(host, ask)| Report {
                host: host.clone(),
                result: ask
                    .join()
                    .unwrap_or_else(|_| Err(failure(Problem::Failed, "asking it failed"))),
            })
            .collect()
    })
}

/// Whether a host's listing says what git says of its worktrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Git {
    /// `worktreeState` of each worktree session: two git commands each, on
    /// the host (`list --all-hosts --json`).
    Asked,
    /// `worktreeState` null: for what does not show it, or asks often
    /// (the dashboard's survey every few seconds, the tables, `host list`).
    NotAsked,
}

/// One host's sessions.
pub fn list(host: &Host, timeout: Duration, git: Git) -> Result<Listing, Failure> {
    let hello = ask(host, Some(git), timeout, true)?;
    let mut sessions = Vec::new();
    for json in hello.sessions.unwrap_or_default() {
        let session = <Session as serde::Deserialize>::deserialize(&json).map_err(|e| {
            failure(
                Problem::Failed,
                format!("its list of sessions is not readable: {e}"),
            )
        })?;
        sessions.push(Listed { session, json });
    }
    Ok(Listing {
        version: hello.version,
        home: hello.home.unwrap_or_default(),
        sessions,
    })
}

/// Is claude-session there, of a version this one can talk to? Its
/// version. `batch`: no password prompt (nobody is there to answer).
pub fn check(host: &Host, timeout: Duration, batch: bool) -> Result<String, Failure> {
    ask(host, None, timeout, batch).map(|hello| hello.version)
}

/// `claude-session __remote [--list]` on the host, its answer checked.
/// `list`: the sessions too, with or without git's word on worktrees.
fn ask(host: &Host, list: Option<Git>, timeout: Duration, batch: bool) -> Result<Hello, Failure> {
    let mut args = vec!["__remote".to_string(), format!("--echo={PROBE}")];
    match list {
        Some(Git::Asked) => args.push("--list".into()),
        Some(Git::NotAsked) => args.extend(["--list".into(), "--no-git".into()]),
        None => {}
    }
    let out = call(host, &args, timeout, batch, MAX_LISTING)?;
    if list == Some(Git::NotAsked)
        && out.status.code() == Some(2)
        && String::from_utf8_lossy(&out.stderr).contains("--no-git")
    {
        // A claude-session of this protocol from before `--no-git`: it
        // lists with git's word, which is only more.
        return ask(host, Some(Git::Asked), timeout, batch);
    }
    if !out.status.success() {
        return Err(refusal(host, &out, timeout, batch));
    }
    let hello: Hello = serde_json::from_slice(&out.stdout).map_err(|_| {
        failure(
            Problem::Failed,
            format!(
                "its answer is not claude-session's: {}",
                last_line(&out.stdout).unwrap_or_else(|| "nothing".into())
            ),
        )
    })?;
    let version = printable(&hello.version);
    if hello.protocol != PROTOCOL {
        return Err(failure(
            Problem::Incompatible,
            format!(
                "its claude-session {version} speaks remote protocol {}, this one ({}) {PROTOCOL}: install the same version on both",
                hello.protocol,
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    if hello.echo != PROBE {
        return Err(failure(
            Problem::Failed,
            "its login shell changed the words sent to it: claude-session needs a POSIX shell there (sh, bash, dash, zsh, ksh)",
        ));
    }
    Ok(hello)
}

/// Why a call ended badly, from its exit status and error output.
fn refusal(host: &Host, out: &ssh::Output, timeout: Duration, batch: bool) -> Failure {
    let said = last_line(&out.stderr);
    match out.status.code() {
        // ssh's own status for "could not connect or log in".
        Some(255) => failure(
            Problem::Unreachable,
            format!(
                "cannot reach it: {}",
                said.unwrap_or_else(|| "ssh failed".into())
            ),
        ),
        // The shell's "command not found" and "not executable".
        Some(127 | 126) => failure(
            Problem::Missing,
            match &host.program {
                Some(program) => format!("cannot run {} there", printable(program)),
                None => "claude-session is not installed there, or not on the PATH of commands run over ssh (`host add NAME DESTINATION --program PATH` names it)".into(),
            },
        ),
        // clap's "unrecognized subcommand": a claude-session from before
        // hosts existed.
        Some(2) if said.as_deref().is_some_and(|s| s.contains("__remote")) => {
            let version = call(host, &["--version".into()], timeout, batch, 1000)
                .ok()
                .and_then(|out| last_line(&out.stdout))
                .map(|v| v.trim_start_matches("claude-session ").to_string())
                .unwrap_or_else(|| "of an unknown version".into());
            failure(
                Problem::Incompatible,
                format!(
                    "its claude-session {version} cannot be used from another host: install claude-session {} there",
                    env!("CARGO_PKG_VERSION")
                ),
            )
        }
        _ => failure(
            Problem::Failed,
            said.unwrap_or_else(|| format!("claude-session failed there ({})", out.status)),
        ),
    }
}

fn call(
    host: &Host,
    args: &[String],
    timeout: Duration,
    batch: bool,
    limit: u64,
) -> Result<ssh::Output, Failure> {
    let options = Options {
        tty: false,
        batch,
        connect_timeout: timeout,
    };
    let cmd = ssh::command(host, args, options)
        .map_err(|e| failure(Problem::Failed, format!("cannot prepare ssh: {e}")))?;
    ssh::capture(cmd, timeout, limit).map_err(|e| match e {
        CallError::Timeout(_) => failure(Problem::Timeout, e.to_string()),
        _ => failure(Problem::Failed, e.to_string()),
    })
}

/// The last line with text in it, printable and at most 300 characters.
fn last_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut line = printable(line.trim());
    if line.chars().count() > 300 {
        line = line.chars().take(299).chain(['…']).collect();
    }
    Some(line)
}

/// Text from a host, its control characters shown escaped: it goes to a
/// terminal.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_from_a_host_is_printable_and_short() {
        assert_eq!(
            last_line(b"first\nssh: connect to host x: Connection refused\r\n\n"),
            Some("ssh: connect to host x: Connection refused".into())
        );
        assert_eq!(
            last_line(b"\x1b]52;c;x\x07evil"),
            Some("\\u{1b}]52;c;x\\u{7}evil".into())
        );
        assert_eq!(last_line(&[b'a'; 1000]).unwrap().chars().count(), 300);
        assert_eq!(last_line(b"\n \n"), None);
    }
}
