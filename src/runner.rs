//! Running a session's Claude: in the foreground of this terminal, or under
//! a holder (attached now, or detached), and attaching to a holder.

use crate::attach::{self, End};
use crate::cli::RunArgs;
use crate::detach_keys::{self, DetachKeys};
use crate::fsutil::PendingSync;
use crate::layout::Layout;
use crate::registry::Registry;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Claude in this terminal, no holder: the seed's behaviour.
    Foreground,
    /// Under a holder, this terminal attached.
    Attached,
    /// Under a holder, nobody attached.
    Detached,
}

impl Mode {
    /// A holder needs a terminal to attach; off a terminal (scripts, `-p`
    /// runs, CI) Claude runs in the foreground unless --detached is asked.
    pub fn choose(run: &RunArgs) -> Mode {
        if run.detached {
            Mode::Detached
        } else if run.foreground
            || !std::io::stdin().is_terminal()
            || !std::io::stdout().is_terminal()
        {
            Mode::Foreground
        } else {
            Mode::Attached
        }
    }
}

/// Hands `--notify CMD` to Claude's hooks through the environment that
/// Claude (and so every hook it runs) inherits, foreground or holder.
pub fn export_notify(run: &RunArgs) {
    if let Some(command) = &run.notify {
        // SAFETY: called from the main thread before any other thread is
        // started (nothing else reads or writes the environment meanwhile).
        unsafe { std::env::set_var("CLAUDE_SESSION_NOTIFY", command) };
    }
}

pub fn detach_keys(spec: Option<&str>) -> Result<DetachKeys> {
    DetachKeys::parse(spec.unwrap_or(detach_keys::DEFAULT))
}

/// How to start a session's Claude.
pub struct Launch<'a> {
    pub claude: &'a Path,
    pub extra_args: &'a [String],
    pub mode: Mode,
    pub keys: DetachKeys,
    /// A new session's metadata.json, written but not yet fsynced: synced
    /// while the holder starts up, and always before anything is said.
    pub unsynced: Option<PendingSync>,
}

/// Starts Claude in the session the way `launch.mode` says and returns the
/// exit status to pass on.
pub fn start(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    launch: Launch,
) -> Result<ExitCode> {
    let Launch {
        claude,
        extra_args,
        mode,
        keys,
        unsynced,
    } = launch;
    match mode {
        Mode::Foreground => {
            sync_metadata(layout, session, unsynced)?;
            let outcome =
                crate::launch::run_foreground(layout, registry, session, claude, extra_args)?;
            Ok(crate::commands::exit_code(outcome.exit_code))
        }
        Mode::Detached => {
            let size = crate::holder::DEFAULT_SIZE;
            spawn_holder(
                layout, registry, session, claude, extra_args, size, unsynced,
            )?;
            crate::output::emit(&format!("{}\n", session.session_id))?;
            Ok(ExitCode::SUCCESS)
        }
        Mode::Attached => {
            let size = attach::terminal_size();
            spawn_holder(
                layout, registry, session, claude, extra_args, size, unsynced,
            )?;
            attach_to(session, false, keys)
        }
    }
}

/// Completes a deferred metadata.json write (see `Launch::unsynced`).
pub fn sync_metadata(
    layout: &Layout,
    session: &Session,
    unsynced: Option<PendingSync>,
) -> Result<()> {
    let Some(pending) = unsynced else {
        return Ok(());
    };
    pending.sync().with_context(|| {
        let dir = layout.session_dir(session.session_id);
        format!("cannot write {}", dir.join(crate::metadata::FILE).display())
    })
}

/// Attaches this terminal and turns the ending into an exit status.
pub fn attach_to(session: &Session, read_only: bool, keys: DetachKeys) -> Result<ExitCode> {
    let options = attach::Options {
        read_only,
        keys,
        name: session.session_name.clone(),
    };
    let end = attach::attach(session.session_id, options)
        .with_context(|| format!("cannot attach to {}", session.session_name))?;
    let name = &session.session_name;
    match end {
        End::Exited(code) => {
            eprintln!(
                "claude-session: {name} ended (exit {code}); continue it with: claude-session resume {name}"
            );
            Ok(crate::commands::exit_code(code))
        }
        End::Detached => {
            eprintln!(
                "claude-session: detached from {name}; Claude keeps running. Back with: claude-session attach {name}"
            );
            Ok(ExitCode::SUCCESS)
        }
        End::Displaced(why) => {
            eprintln!("claude-session: detached from {name}: {why}");
            Ok(ExitCode::SUCCESS)
        }
        End::HolderGone => bail!(
            "the holder of {name} went away; `claude-session resume {name}` continues the conversation"
        ),
    }
}

/// Starts `claude-session __holder` for the session, in a session of its own
/// (so a hang-up of this terminal never reaches it), waits until it says
/// Claude runs and its socket listens, and records the start in the
/// registry (so `list` and `kill` see it the moment this returns).
///
/// The holder reads the session from its stdin, so it needs no registry to
/// start; `unsynced` (a new session's metadata.json) is fsynced meanwhile.
pub fn spawn_holder(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    claude: &Path,
    extra_args: &[String],
    size: (u16, u16),
    unsynced: Option<PendingSync>,
) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find the claude-session executable")?;
    let log_path = layout.session_dir(session.session_id).join("holder.log");
    let log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let mut cmd = Command::new(exe);
    // The subcommand first: the holder's command line is parsed without
    // first moving global options behind it (see `cli::normalize_args`).
    cmd.arg("__holder")
        .arg("--store")
        .arg(&layout.store)
        .arg("--base")
        .arg(&layout.base)
        .arg("--session")
        .arg(session.session_id.to_string())
        .arg("--claude")
        .arg(claude)
        .arg("--rows")
        .arg(size.0.to_string())
        .arg("--cols")
        .arg(size.1.to_string())
        .arg("--")
        .args(extra_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()?;
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("cannot start the holder")?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Far below a pipe's capacity: never blocks. A holder that died before
    // reading it is told below, by its log.
    let _ = stdin.write_all(&serde_json::to_vec(session).expect("a session serializes"));
    drop(stdin);
    let synced = sync_metadata(layout, session, unsynced);
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("cannot hear from the holder")?;
    let Some(agent) = crate::holder::parse_ready(&line) else {
        let _ = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let why = log
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("it exited without a word");
        let why = why.strip_prefix("claude-session: ").unwrap_or(why);
        bail!("the holder did not start: {why}")
    };
    // The holder writes metadata.json itself (it owns the fsync, after
    // "ready"); the row is written here, from the connection already open.
    crate::launch::mark_started(session, agent, Some(child.id()));
    crate::launch::record_row(registry, session);
    synced
}
