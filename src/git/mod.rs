//! git, run as a process: the user's own `git` on PATH, with the user's
//! config, hooks and credentials. (The Rust git libraries cover worktrees
//! only in part: gix cannot add or remove one, git2 neither prunes them nor
//! initialises submodules in one; and git's own checks, such as a branch
//! checked out twice, come with git.) Nothing here knows that sessions
//! exist: paths, refs and commits in, facts out.

pub mod diff;
pub mod repo;
pub mod state;
pub mod worktree;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// A git command that failed, or git that could not be run: one line.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed (no `git` on PATH)")]
    Missing,
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    /// `git <what>` said why it failed.
    #[error("git {what}: {why}")]
    Failed { what: String, why: String },
}

pub type Result<T> = std::result::Result<T, GitError>;

/// Variables a git that runs us (from a hook, say) sets for itself: they
/// would point our git at its repository instead of the one we name
/// (`git rev-parse --local-env-vars` lists them).
const LOCAL_VARS: &[&str] = &[
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
];

/// One git command, run in `dir` (`git -C dir ...`).
pub struct Git {
    cmd: Command,
    /// The subcommand, for errors: "rev-parse", "worktree add".
    what: Vec<String>,
}

/// `git -C dir`.
pub fn git(dir: &Path) -> Git {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir);
    for var in LOCAL_VARS {
        cmd.env_remove(var);
    }
    // Never a prompt for a password (a submodule's URL): a clear failure.
    cmd.env("GIT_TERMINAL_PROMPT", "0").stdin(Stdio::null());
    // No lock git can do without: a `git status` of ours (the dashboard
    // asks every few seconds) would otherwise refresh the index under
    // index.lock, and a commit Claude makes at that moment would fail.
    cmd.env("GIT_OPTIONAL_LOCKS", "0");
    Git {
        cmd,
        what: Vec::new(),
    }
}

impl Git {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        let named = match self.what.as_slice() {
            [] => true,
            [command] => matches!(command.as_str(), "worktree" | "submodule"),
            _ => false,
        };
        if named && let Some(word) = arg.as_ref().to_str().filter(|w| !w.starts_with('-')) {
            self.what.push(word.to_string());
        }
        self.cmd.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs it; its stdout on success, else what git said.
    pub fn output(self) -> Result<String> {
        self.output_bytes()
            .map(|out| String::from_utf8_lossy(&out).into_owned())
    }

    pub fn output_bytes(mut self) -> Result<Vec<u8>> {
        let out = self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let out = out.output().map_err(spawn_error)?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(self.failed(&out.stderr, out.status))
    }

    /// Runs one with `stdin` as its input.
    pub fn input(mut self, stdin: &[u8]) -> Result<String> {
        use std::io::Write;
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_error)?;
        let mut pipe = child.stdin.take().expect("piped");
        // git reads all of it before writing much; a failed write shows
        // as git's own error below.
        let _ = pipe.write_all(stdin);
        drop(pipe);
        let out = child.wait_with_output().map_err(GitError::Spawn)?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Err(self.failed(&out.stderr, out.status))
    }

    /// For a yes/no question git answers with its exit status (0 yes, 1
    /// no); anything else is an error.
    pub fn check(mut self) -> Result<bool> {
        let out = self.cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let out = out.output().map_err(spawn_error)?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(self.failed(&out.stderr, out.status)),
        }
    }

    /// Runs it on this terminal (git pages, colours, asks): its exit
    /// status. `started` learns its pid (to pass signals on).
    pub fn interactive(mut self, started: impl FnOnce(u32)) -> Result<ExitStatus> {
        let mut child = self
            .cmd
            .stdin(Stdio::inherit())
            .spawn()
            .map_err(spawn_error)?;
        started(child.id());
        child.wait().map_err(GitError::Spawn)
    }

    fn failed(&self, stderr: &[u8], status: ExitStatus) -> GitError {
        GitError::Failed {
            what: self.what.join(" "),
            why: reason(&String::from_utf8_lossy(stderr))
                .unwrap_or_else(|| format!("failed ({status})")),
        }
    }
}

fn spawn_error(e: std::io::Error) -> GitError {
    match e.kind() {
        std::io::ErrorKind::NotFound => GitError::Missing,
        _ => GitError::Spawn(e),
    }
}

/// What git said went wrong: its first `fatal:` or `error:` line (later
/// ones are consequences, `hint:` lines advice), else its last line.
fn reason(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let first_error = lines.clone().find_map(|l| {
        l.strip_prefix("fatal: ")
            .or_else(|| l.strip_prefix("error: "))
    });
    first_error
        .or_else(|| lines.rfind(|l| !l.starts_with("hint:")))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn the_reason_is_the_first_error() {
        let submodule = "Cloning into '/w/sub'...\nfatal: transport 'file' not allowed\n\
                         fatal: clone of '/s' into submodule path '/w/sub' failed\n\
                         Failed to clone 'sub' a second time, aborting\n";
        assert_eq!(
            reason(submodule).as_deref(),
            Some("transport 'file' not allowed")
        );
        assert_eq!(
            reason("error: branch 'x' not found\nhint: try\n").as_deref(),
            Some("branch 'x' not found")
        );
        assert_eq!(reason("odd\nhint: x\n").as_deref(), Some("odd"));
        assert_eq!(reason("\n"), None);
    }

    /// git never takes a lock it can do without for us, nor prompts.
    #[test]
    fn git_runs_without_optional_locks_or_prompts() {
        let git = super::git(std::path::Path::new("/"));
        let envs: Vec<_> = git.cmd.get_envs().collect();
        for (var, value) in [("GIT_OPTIONAL_LOCKS", "0"), ("GIT_TERMINAL_PROMPT", "0")] {
            assert!(
                envs.contains(&(std::ffi::OsStr::new(var), Some(std::ffi::OsStr::new(value)))),
                "{var}: {envs:?}"
            );
        }
    }
}
