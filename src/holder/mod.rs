//! The holder: one small process per session that owns the pseudo-terminal
//! Claude runs in, so Claude outlives the SSH connection that started it.
//! It is this same binary, run as `claude-session __holder` by a starter
//! (`new`, `resume`, `restore`; see `start` and `entry`), so client and
//! holder come from one build; the wire format is versioned anyway
//! (`ipc::protocol`), since a running holder outlives an upgrade.

pub mod entry;
pub mod handover;
pub mod hibernate;
mod life;
mod memory;
pub mod pty;
mod screen;
mod server;
pub mod start;

use crate::holder::handover::Handover;
use crate::ipc::endpoint;
use crate::run::lock::SessionLock;
use crate::run::plan::{Invocation, Plan};
use crate::run::record;
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use crate::util::process::Process;
use anyhow::{Context, Result, bail};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The holder's own log in the session dir: its errors, and why it did not
/// start when it did not.
pub const LOG: &str = "holder.log";

/// What a holder tells its starter once Claude runs and its socket listens.
pub const READY: &str = "ready";
/// ... and, when the starter watches the start, once Claude has run that
/// long; or `EXITED CODE` followed by `SCREEN LINE` lines (the end of its
/// screen) when it exited sooner.
pub const RUNNING: &str = "running";
pub const EXITED: &str = "exited ";
pub const SCREEN: &str = "screen ";

/// The most screen lines a starter is told of a Claude that exited.
const SCREEN_LINES: usize = 12;

/// How long a holder whose starter attaches waits for it after a Claude
/// that exited at once: the starter connects within milliseconds of
/// `READY`, even on a loaded machine well within this.
const FIRST_CLIENT_PATIENCE: Duration = Duration::from_secs(5);

/// The line a holder says instead of `READY` when it could not start.
pub fn failure_line(why: &anyhow::Error) -> String {
    format!("error {}", format!("{why:#}").replace('\n', " "))
}

/// Why the holder could not start, if `line` says so.
pub fn parse_failure(line: &str) -> Option<&str> {
    line.trim_end().strip_prefix("error ")
}

/// The holder's socket, listening.
struct Listening {
    path: PathBuf,
    listener: UnixListener,
}

/// Binds the socket of session `id`.
fn listen(id: Uuid) -> Result<Listening> {
    let path = endpoint::bind_path(id)?;
    let listener = bind(&path)?;
    Ok(Listening { path, listener })
}

/// The registry, kept open, lean, for the holder's whole life (see
/// `Registry::open_lean`); without it the holder still runs Claude, and
/// says why it cannot record.
pub fn open_registry(layout: &Layout) -> Option<Registry> {
    Registry::open_lean(&layout.registry_path())
        .inspect_err(|e| crate::util::output::warn(e))
        .ok()
}

/// Runs the holder until its session ends (Claude exits, or a hibernated
/// session is stopped), and returns Claude's exit status. `starter` is told
/// `READY` once Claude runs (or the session hibernates, for a `restore`),
/// the run is on record and the socket listens: the starter, waiting for
/// that line (or the failure line), can tell the user the session runs.
pub fn run(
    layout: &Layout,
    registry: Option<Registry>,
    handover: Handover,
    lock: SessionLock,
    starter: &mut entry::StarterPipe,
) -> Result<i32> {
    let Handover {
        mut session,
        invocation,
        size,
        attach,
        watch_start,
        hibernated,
    } = handover;
    let Listening {
        path: socket,
        listener,
    } = listen(session.session_id)?;
    let dir = layout.session_dir(session.session_id);
    let started = match hibernated {
        true => None,
        false => match start_claude(layout, &mut session, &invocation, size) {
            Ok(started) => Some(started),
            Err(e) => {
                let _ = std::fs::remove_file(&socket);
                return Err(e);
            }
        },
    };
    let signals = crate::run::signals::SignalGuard::install();
    let (agent, claude, plan) = match started {
        Some(Started {
            plan,
            master,
            child,
        }) => {
            let pid = child.id();
            signals.forward_to(pid);
            let process = Process::of(pid);
            (
                Some((master, pid)),
                Some(life::Running { child, process }),
                Some(plan),
            )
        }
        None => (None, None, None),
    };
    let server = server::Server::new(agent, listener, size.0, size.1)?;
    // A wake after hibernation continues the latest conversation: the one
    // `resume --conversation` asked for, or one `/clear` started since.
    let invocation = match claude {
        Some(_) => Invocation {
            conversation: None,
            ..invocation
        },
        None => invocation,
    };
    let mut life = life::Life::new(layout, session, invocation, server, claude);
    life.registry = registry.or_else(|| open_registry(layout));
    let holder = Process::this();
    match (&plan, &life.claude) {
        (Some(plan), Some(claude)) => record::started(
            layout,
            life.registry.as_mut(),
            &mut life.session,
            (claude.process, holder),
            plan,
        ),
        _ => {
            // Back after a reboot, hibernated: the screen it had.
            if let Some(screen) = hibernate::saved_screen(&dir) {
                life.server.keep_screen(screen);
            }
            life.server.hibernated = true;
            life.session.holder = holder;
            record::hibernated(layout, life.registry.as_mut(), &mut life.session);
        }
    }
    drop(plan);
    // After the sync that preparing did: a login saved in between reaches
    // this session at the next sync (a change this watch or another
    // holder's sees, a launch, an exit).
    life.credentials = crate::claude::credentials::watch(layout, &dir);
    // Starting up is done: what it used (the session's preparation, the
    // registry's writes, their stack) goes back.
    if let Some(registry) = &life.registry {
        registry.release_memory();
    }
    memory::release_free_heap();
    memory::release_unused_stack();
    starter.say(READY);
    // The starter, if it watches the start, hears how it went at the end of
    // the watch or at Claude's exit, whichever comes first.
    let mut watching = watch_start.map(|watch| Instant::now() + watch);
    if watching.is_none() {
        starter.let_go();
    }

    let mut events = Vec::new();
    let mut socket_ino = inode(&socket);
    let mut last_socket_check = Instant::now();
    let end = loop {
        if let Some(end) = life.step(&mut events)? {
            break end;
        }
        if watching.is_some_and(|until| Instant::now() >= until) {
            watching = None;
            starter.say(RUNNING);
            starter.let_go();
        }
        if let Some(until) = watching {
            life.server.tick = life
                .server
                .tick
                .min(until.saturating_duration_since(Instant::now()));
        }
        // A login manager may delete the runtime dir at the last logout:
        // listen again so later logins find the session.
        if last_socket_check.elapsed() >= life::IDLE_TICK {
            last_socket_check = Instant::now();
            if inode(&socket) != socket_ino
                && let Ok(listener) =
                    endpoint::bind_path(life.session.session_id).and_then(|_| bind(&socket))
            {
                let _ = listener.set_nonblocking(true);
                life.server.listener = listener;
                socket_ino = inode(&socket);
            }
        }
    };
    drop(signals);
    let outcome = match end {
        life::End::Exited(status) => {
            record::exited(layout, life.registry.as_mut(), &mut life.session, status)
        }
        life::End::Stopped => record::stopped(layout, life.registry.as_mut(), &mut life.session),
    };
    if attach && !life.server.ever_attached() {
        life.server.await_first_client(FIRST_CLIENT_PATIENCE);
    }
    // The session is free from here: a `resume` right after a `kill` finds
    // neither the socket nor the lock in its way, while the clients still
    // connected get their last words.
    if inode(&socket) == socket_ino {
        let _ = std::fs::remove_file(&socket);
    }
    drop(lock);
    life.server.finish(outcome.exit_code);
    if watching.is_some() {
        starter.say(&format!("{EXITED}{}", outcome.exit_code));
        for line in life.server.last_lines(SCREEN_LINES) {
            starter.say(&format!("{SCREEN}{line}"));
        }
        starter.let_go();
    }
    Ok(outcome.exit_code)
}

/// Claude, started on a PTY in its prepared session dir.
struct Started {
    plan: Plan,
    master: OwnedFd,
    child: Child,
}

/// Readies the session dir and starts Claude in it on a PTY of `size`: at
/// the holder's start, and again when a hibernated session wakes.
fn start_claude(
    layout: &Layout,
    session: &mut Session,
    invocation: &Invocation,
    (rows, cols): (u16, u16),
) -> Result<Started> {
    let (rows, cols) = crate::ipc::protocol::bounded_size(rows, cols);
    let pty = pty::open(rows, cols)?;
    let prepared = crate::run::prepare::prepare(layout, session)?;
    let plan = crate::run::plan::plan(layout, session, invocation, prepared);
    let mut cmd = plan.command();
    // What the holder's screen understands, whatever terminal the session
    // was started from or is attached from later.
    cmd.env("TERM", "xterm-256color");
    let (master, child) = pty::spawn(&mut cmd, pty)?;
    Ok(Started {
        plan,
        master,
        child,
    })
}

/// Binds the socket, after removing a stale one (`ipc::stale`); a socket a
/// holder answers on, even a busy one, belongs to a live holder.
fn bind(path: &Path) -> Result<UnixListener> {
    use crate::ipc::stale::{self, Probe};
    match stale::probe(path) {
        Probe::Gone => {}
        Probe::Refused if stale::is_stale(path) => std::fs::remove_file(path)
            .with_context(|| format!("cannot remove the stale socket {}", path.display()))?,
        Probe::Live | Probe::Busy => bail!(
            "another holder already runs this session ({})",
            path.display()
        ),
        Probe::Refused | Probe::Other(_) => bail!(
            "{} is in the way and is not a stale holder socket; remove it",
            path.display()
        ),
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// The inode of the socket file, to tell ours from a replacement.
fn inode(path: &Path) -> Option<u64> {
    std::fs::symlink_metadata(path).ok().map(|m| m.ino())
}
