//! The holder: one small process per session that owns the pseudo-terminal
//! Claude runs in, so Claude outlives the SSH connection that started it.
//! It is this same binary, forked by `new` or re-run as `claude-session
//! __holder` by `resume` and `restore` (see `runner`), so client and holder
//! come from one build; the wire format is versioned anyway (`protocol`),
//! since a running holder outlives an upgrade.

pub mod handover;
mod memory;
pub mod placement;
pub mod pty;
mod screen;
mod server;

use crate::run::launch::{Plan, Prepared};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::Write;
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

/// How often an idle holder wakes: to notice a deleted socket file or
/// session dir, Claude's exit while a grandchild keeps the PTY open (no
/// hang-up then), and a login change to spread. Everything else (output,
/// clients, Claude's exit) wakes it at once. It was 250 ms: four wake-ups
/// a second for each of possibly dozens of sessions idle for days.
const IDLE_TICK: Duration = Duration::from_secs(2);

/// The size a detached session starts with, until a terminal attaches.
pub const DEFAULT_SIZE: (u16, u16) = (40, 120);

pub struct Options {
    /// The session as its starter read it from the registry (on stdin).
    pub session: Session,
    /// See `Handover::prepared`.
    pub prepared: Prepared,
    /// The session lock its starter took and handed over (see `handover`).
    pub lock: crate::run::launch::SessionLock,
    /// Claude's terminal, opened while the session was on its way.
    pub pty: pty::Pty,
    pub claude: PathBuf,
    pub args: Vec<String>,
    pub rows: u16,
    pub cols: u16,
}

/// What a holder tells its starter once Claude runs and its socket
/// listens: both processes with their start times, which the holder has
/// just read from /proc, so the starter records them without reading again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    pub agent: u32,
    pub agent_start: Option<u64>,
    pub holder_start: Option<u64>,
}

impl Ready {
    /// `ready AGENT AGENT_START HOLDER_START` ("-" for a time not known),
    /// with its newline: said in one write.
    fn line(&self) -> String {
        let time = |t: Option<u64>| t.map_or("-".to_string(), |t| t.to_string());
        format!(
            "ready {} {} {}\n",
            self.agent,
            time(self.agent_start),
            time(self.holder_start)
        )
    }

    /// The holder's ready line, if `line` is one.
    pub fn parse(line: &str) -> Option<Ready> {
        let mut words = line.trim_end().strip_prefix("ready ")?.split(' ');
        let agent = words.next()?.parse().ok()?;
        let mut time = || match words.next()? {
            "-" => Some(None),
            t => t.parse().ok().map(Some),
        };
        let (agent_start, holder_start) = (time()?, time()?);
        Some(Ready {
            agent,
            agent_start,
            holder_start,
        })
    }
}

/// The line a holder says instead when it could not start.
pub fn failure_line(why: &anyhow::Error) -> String {
    format!("error {}", format!("{why:#}").replace('\n', " "))
}

/// Why the holder could not start, if `line` says so.
pub fn parse_failure(line: &str) -> Option<&str> {
    line.trim_end().strip_prefix("error ")
}

/// The holder's socket, listening.
pub struct Listening {
    path: PathBuf,
    listener: UnixListener,
}

/// Binds the socket of session `id`. It needs only the id, so a holder
/// does it before its session arrives (while its starter makes it).
pub fn listen(id: Uuid) -> Result<Listening> {
    let path = crate::ipc::endpoint::bind_path(id)?;
    let listener = bind(&path)?;
    Ok(Listening { path, listener })
}

impl Listening {
    /// Stops listening: for a holder that never got its session.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Runs the holder until Claude exits. `ready` is told the ready line
/// (`Ready`) once Claude runs and the socket listens; the process that started the holder
/// waits for that line (or the failure line), records the start in the
/// registry, and tells the user.
///
/// What comes before "ready" is what the starter waits for, so only what
/// must precede it is there: Claude spawned (so a failure is reported) on a
/// prepared session dir, the socket listening (so `attach` works at once).
///
/// The holder's own record of the start waits for the loop's first turn
/// (a client attaching, Claude printing, or one tick): by then the starter
/// has written the row and told the user, so the holder neither races that
/// write nor takes the CPU the starter needs (with two cores, the starter,
/// the holder and Claude's start would share them). The registry is opened
/// then, lean, for the holder's whole life (see `Registry::open_lean`).
pub fn run(
    layout: &Layout,
    options: Options,
    listening: Listening,
    ready: &mut dyn Write,
) -> Result<i32> {
    let Options {
        mut session,
        prepared,
        lock,
        pty,
        claude,
        args,
        rows,
        cols,
    } = options;
    let dir = layout.session_dir(session.session_id);
    let Started {
        lock: _lock,
        mut credentials,
        plan,
        master,
        mut child,
    } = match start_claude(layout, &mut session, prepared, lock, &claude, &args, pty) {
        Ok(started) => started,
        Err(e) => {
            listening.remove();
            return Err(e);
        }
    };
    let Listening {
        path: socket,
        listener,
    } = listening;
    let agent = child.id();
    let _signals = crate::run::launch::SignalGuard::install();
    crate::run::launch::set_agent_pid(agent);
    crate::run::launch::mark_started(&mut session, agent, Some(std::process::id()));
    let said = Ready {
        agent,
        agent_start: session.pid_start,
        holder_start: session.holder_start,
    };
    let _ = ready.write_all(said.line().as_bytes());
    let _ = ready.flush();

    let mut server = server::Server::new(master, listener, agent, rows, cols)?;
    let mut unrecorded = Some(plan);
    let mut registry = None;
    let mut events = Vec::new();
    let mut kill_at: Option<Instant> = None;
    let mut socket_ino = inode(&socket);
    let mut last_socket_check = Instant::now();
    let status = loop {
        let open = server.step(&mut events)?;
        if let Some(plan) = unrecorded.take() {
            registry = record_start(layout, &mut session, &plan);
        }
        if let Some(watch) = credentials.as_mut() {
            watch.tick(layout);
        }
        for event in events.drain(..) {
            match event {
                server::Event::Clients(n) => {
                    session.clients = n;
                    record(layout, registry.as_mut(), &mut session);
                }
                server::Event::Kill(grace) => {
                    let _ = kill(Pid::from_raw(agent as i32), Signal::SIGTERM);
                    kill_at.get_or_insert(Instant::now() + grace);
                }
            }
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if !open {
            // The PTY closed: Claude is exiting; reap it.
            break child.wait()?;
        }
        if kill_at.is_some_and(|at| Instant::now() >= at) {
            let _ = kill(Pid::from_raw(agent as i32), Signal::SIGKILL);
        }
        server.tick = match kill_at {
            Some(_) => server::TICK,
            None => IDLE_TICK,
        };
        // A login manager may delete the runtime dir at the last logout:
        // listen again so later logins find the session.
        if last_socket_check.elapsed() >= IDLE_TICK {
            last_socket_check = Instant::now();
            // The session dir is gone (deleted by hand): nothing to keep
            // Claude running for; stop it like `kill` would.
            if !dir.is_dir() && kill_at.is_none() {
                let _ = kill(Pid::from_raw(agent as i32), Signal::SIGTERM);
                kill_at = Some(Instant::now() + Duration::from_secs(10));
                continue;
            }
            if inode(&socket) != socket_ino
                && let Ok(listener) =
                    crate::ipc::endpoint::bind_path(session.session_id).and_then(|_| bind(&socket))
            {
                let _ = listener.set_nonblocking(true);
                server.listener = listener;
                socket_ino = inode(&socket);
            }
        }
    };
    let outcome = crate::run::launch::record_exit(layout, registry.as_mut(), &mut session, status);
    server.finish(outcome.exit_code);
    if inode(&socket) == socket_ino {
        let _ = std::fs::remove_file(&socket);
    }
    Ok(outcome.exit_code)
}

/// Claude, started on a PTY in its prepared session dir, and what the
/// holder keeps from doing that.
struct Started {
    /// The session's lock, held for the holder's life.
    lock: crate::run::launch::SessionLock,
    credentials: Option<crate::claude::credentials::Watch>,
    plan: Plan,
    master: OwnedFd,
    child: Child,
}

fn start_claude(
    layout: &Layout,
    session: &mut Session,
    prepared: Prepared,
    lock: crate::run::launch::SessionLock,
    claude: &Path,
    args: &[String],
    pty: pty::Pty,
) -> Result<Started> {
    let dir = layout.session_dir(session.session_id);
    // The starter synced the login a moment ago, before this watch: a login
    // saved in between reaches this session at the next sync (a change
    // this watch or another holder's sees, a launch, an exit).
    let credentials = crate::claude::credentials::watch(layout, &dir);
    let plan = crate::run::launch::plan(layout, session, claude, args, prepared);
    let mut cmd = plan.command();
    if std::env::var_os("TERM").is_none_or(|t| t.is_empty()) {
        cmd.env("TERM", "xterm-256color");
    }
    let (master, child) = pty::spawn(&mut cmd, pty)?;
    Ok(Started {
        lock,
        credentials,
        plan,
        master,
        child,
    })
}

/// Records the start (see `run`): metadata.json, fsynced, and the row if it
/// does not show this holder yet (its starter was killed before it could
/// write it). Late by up to a tick, and that is safe: the session itself
/// was on disk before "ready"; what is new is that Claude runs, which a
/// crash ends anyway. Returns the registry, kept open from here on.
fn record_start(layout: &Layout, session: &mut Session, plan: &Plan) -> Option<Registry> {
    let mut registry = Registry::open_lean(&layout.registry_path())
        .inspect_err(|e| eprintln!("claude-session: warning: {e}"))
        .ok();
    if let Some(registry) = registry.as_mut() {
        let row = crate::run::launch::take_fresh(registry, session);
        if row.is_none_or(|row| row.holder_pid != session.holder_pid) {
            crate::run::launch::record_row(registry, session);
        }
        registry.release_memory();
    }
    if let Err(e) = crate::store::metadata::write(layout, session) {
        eprintln!("claude-session: warning: {e:#}");
    }
    crate::run::launch::log_started(layout, session, plan);
    // Starting up is done: what it used (the session's preparation, the
    // registry's writes, their stack) goes back.
    memory::release_free_heap();
    memory::release_unused_stack();
    registry
}

/// Records the session (registry row and metadata.json), then lets go of
/// the pages that took: the holder idles for days between writes.
fn record(layout: &Layout, mut registry: Option<&mut Registry>, session: &mut Session) {
    crate::run::launch::record(layout, registry.as_deref_mut(), session);
    if let Some(registry) = registry {
        registry.release_memory();
    }
}

/// Binds the socket. A socket file that no holder answers on is stale and
/// removed; one that answers belongs to a live holder of this session.
fn bind(path: &Path) -> Result<UnixListener> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!(
                "another holder already runs this session ({})",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove the stale socket {}", path.display()))?;
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

#[cfg(test)]
mod tests {
    use super::Ready;

    #[test]
    fn ready_line_round_trips() {
        for ready in [
            Ready {
                agent: 4242,
                agent_start: Some(98_765),
                holder_start: Some(98_760),
            },
            Ready {
                agent: 7,
                agent_start: None,
                holder_start: None,
            },
        ] {
            let line = ready.line();
            assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
            assert_eq!(Ready::parse(&line), Some(ready));
        }
    }

    #[test]
    fn other_lines_are_not_ready() {
        for line in [
            "ready\n",
            "ready 12\n",
            "ready 12 x 3\n",
            "ready -1 1 2\n",
            "error ready 1 2 3\n",
            "claude-session: warning: ready 1 2 3\n",
        ] {
            assert_eq!(Ready::parse(line), None, "{line:?}");
        }
    }
}
