//! Running a session's Claude: in the foreground of this terminal, or under
//! a holder (attached now, or detached), and attaching to a holder.

use crate::attach::{self, End};
use crate::cli::RunArgs;
use crate::detach_keys::{self, DetachKeys};
use crate::layout::Layout;
use crate::registry::Registry;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, IsTerminal};
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

/// Starts Claude in the session the way `mode` says and returns the exit
/// status to pass on.
pub fn start(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    claude: &Path,
    extra_args: &[String],
    mode: Mode,
    keys: DetachKeys,
) -> Result<ExitCode> {
    match mode {
        Mode::Foreground => {
            let outcome =
                crate::launch::run_foreground(layout, registry, session, claude, extra_args)?;
            Ok(crate::commands::exit_code(outcome.exit_code))
        }
        Mode::Detached => {
            spawn_holder(
                layout,
                session,
                claude,
                extra_args,
                crate::holder::DEFAULT_SIZE,
            )?;
            crate::output::emit(&format!("{}\n", session.session_id))?;
            Ok(ExitCode::SUCCESS)
        }
        Mode::Attached => {
            spawn_holder(layout, session, claude, extra_args, attach::terminal_size())?;
            attach_to(session, false, keys)
        }
    }
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
/// (so a hang-up of this terminal never reaches it), and waits until it
/// says Claude runs and its socket listens.
pub fn spawn_holder(
    layout: &Layout,
    session: &Session,
    claude: &Path,
    extra_args: &[String],
    size: (u16, u16),
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
    cmd.arg("--store")
        .arg(&layout.store)
        .arg("--base")
        .arg(&layout.base)
        .arg("__holder")
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
        .stdin(Stdio::null())
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
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("cannot hear from the holder")?;
    if line.trim() == "ready" {
        return Ok(());
    }
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let why = log
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("it exited without a word");
    let why = why.strip_prefix("claude-session: ").unwrap_or(why);
    bail!("the holder did not start: {why}")
}
