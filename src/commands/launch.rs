//! How `new`, `resume` and `attach` run Claude in a session or join it,
//! and what a person is told when that ends: the one module here that is
//! not a subcommand, because all three end the same way.

use crate::cli::RunArgs;
use crate::client::attach::{self, End};
use crate::client::detach_keys::DetachKeys;
use crate::holder::handover::Handover;
use crate::holder::start::{PendingHolder, Start};
use crate::run::lock::SessionLock;
use crate::run::plan::Invocation;
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use crate::util::output::say;
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::process::ExitCode;

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

    /// The terminal size a holder starts Claude with.
    fn size(self) -> (u16, u16) {
        match self {
            Mode::Attached => crate::client::terminal::size(),
            _ => crate::ipc::protocol::DEFAULT_SIZE,
        }
    }
}

/// How to start a session's Claude.
pub struct Launch {
    pub invocation: Invocation,
    pub mode: Mode,
    pub keys: DetachKeys,
    /// A holder spawned ahead, to load while the session was made.
    pub holder: Option<PendingHolder>,
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
        invocation,
        mode,
        keys,
        holder,
    } = launch;
    if mode == Mode::Foreground {
        let outcome = crate::run::foreground::run(layout, registry, session, &invocation)?;
        return Ok(super::exit_code(outcome.exit_code));
    }
    if let Start::Exited { code, screen } = start_holder(
        layout,
        session,
        invocation,
        HolderStart {
            mode,
            holder,
            watch: start_watch(mode),
            hibernated: false,
        },
    )? {
        if !screen.is_empty() {
            say("Claude's screen when it exited:");
            for line in &screen {
                eprintln!("  {line}");
            }
        }
        let name = &session.session_name;
        let how = code.map_or("without an exit code".to_string(), |c| format!("exit {c}"));
        bail!(
            "Claude exited as it started ({how}); its screen is above, `claude-session resume {name}` starts it again"
        );
    }
    match mode {
        Mode::Attached => attach_to(session, false, keys),
        _ => {
            crate::util::output::emit(&format!("{}\n", session.session_id))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// How a holder is started.
pub struct HolderStart {
    pub mode: Mode,
    /// Spawned ahead (see `holder::start::spawn`), else spawned here.
    pub holder: Option<PendingHolder>,
    /// How long to watch Claude's start (see `start_watch`).
    pub watch: Option<std::time::Duration>,
    /// Start hibernated: a holder and the kept screen, no Claude.
    pub hibernated: bool,
}

/// Starts Claude under a holder and returns once it runs (or, `watch`ed,
/// once it has run that long or exited; hibernated, once the holder runs).
pub fn start_holder(
    layout: &Layout,
    session: &Session,
    invocation: Invocation,
    start: HolderStart,
) -> Result<Start> {
    let HolderStart {
        mode,
        holder,
        watch,
        hibernated,
    } = start;
    // Said by the starter, without the holder's words around it.
    crate::run::prepare::check_cwd(session)?;
    let holder = match holder {
        Some(holder) => holder,
        None => crate::holder::start::spawn(layout)?,
    };
    let lock = SessionLock::take(
        &layout.session_dir(session.session_id),
        &session.session_name,
    )?;
    let handover = Handover {
        session: session.clone(),
        invocation,
        size: mode.size(),
        attach: mode == Mode::Attached,
        watch_start: watch,
        hibernated,
    };
    holder.start(layout, &handover, lock)
}

/// How long a detached start watches Claude before saying it runs, so a
/// Claude that fails at once (a bad flag, a broken install) is reported
/// by the command that started it: `CLAUDE_SESSION_START_CHECK` (e.g.
/// "1s", "500ms"; "0" not at all; at most a minute), 1 s by default. An
/// attached terminal sees the start itself.
fn start_watch(mode: Mode) -> Option<std::time::Duration> {
    if mode != Mode::Detached {
        return None;
    }
    const DEFAULT: std::time::Duration = std::time::Duration::from_secs(1);
    const MOST: std::time::Duration = std::time::Duration::from_secs(60);
    let watch = match std::env::var("CLAUDE_SESSION_START_CHECK") {
        Ok(text) if text.trim() == "0" => return None,
        Ok(text) => humantime::parse_duration(text.trim()).unwrap_or(DEFAULT),
        Err(_) => DEFAULT,
    };
    (!watch.is_zero()).then_some(watch.min(MOST))
}

/// Wakes a hibernated session: its holder starts Claude again.
pub fn wake(session: &Session) -> Result<()> {
    use crate::ipc::{endpoint, protocol::Request};
    endpoint::request(session.session_id, Request::Wake)
        .with_context(|| format!("cannot wake {}", session.session_name))?;
    Ok(())
}

/// Stops the session: its holder is asked (SIGTERM to Claude, SIGKILL
/// after `grace`; a hibernated session just ends), a foreground Claude is
/// sent SIGTERM.
pub fn stop(session: &Session, grace: std::time::Duration) -> Result<()> {
    use crate::ipc::{endpoint, protocol::Request};
    if session.holder_is_live() {
        endpoint::request(
            session.session_id,
            Request::Kill {
                timeout_secs: grace.as_secs(),
            },
        )?;
    } else if let Some(claude) = session.claude {
        claude.signal(nix::sys::signal::Signal::SIGTERM);
    }
    Ok(())
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
            say(&format!(
                "{name} ended (exit {code}); continue it with: claude-session resume {name}"
            ));
            Ok(super::exit_code(code))
        }
        End::Detached => {
            say(&format!(
                "detached from {name}; Claude keeps running. Back with: claude-session attach {name}"
            ));
            Ok(ExitCode::SUCCESS)
        }
        End::Displaced(why) => {
            say(&format!("detached from {name}: {why}"));
            Ok(ExitCode::SUCCESS)
        }
        End::HolderGone => bail!(
            "the holder of {name} went away; `claude-session resume {name}` continues the conversation"
        ),
    }
}

/// After Claude exits in the foreground, tell a person at a terminal how
/// to come back.
pub fn say_goodbye(session: &Session) {
    if std::io::stderr().is_terminal() {
        let how = match session.exit_code {
            Some(code) => format!("exit {code}"),
            None => "no exit code".to_string(),
        };
        let name = &session.session_name;
        say(&format!(
            "{name} ended ({how}); continue it with: claude-session resume {name}"
        ));
    }
}
