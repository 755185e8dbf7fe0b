//! The holder: one small process per session that owns the pseudo-terminal
//! Claude runs in, so Claude outlives the SSH connection that started it.
//! It is this same binary re-run as `claude-session __holder`, so client and
//! holder come from one build; the wire format is versioned anyway
//! (`protocol`), since a running holder outlives an upgrade.

pub mod endpoint;
mod memory;
pub mod protocol;
pub mod pty;
mod screen;
mod server;

use crate::layout::Layout;
use crate::registry::Registry;
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The size a detached session starts with, until a terminal attaches.
pub const DEFAULT_SIZE: (u16, u16) = (40, 120);

pub struct Options {
    pub session: Uuid,
    pub claude: PathBuf,
    pub args: Vec<String>,
    pub rows: u16,
    pub cols: u16,
}

/// Runs the holder until Claude exits. `ready` is told "ready" (or the
/// error) once Claude runs and the socket listens; the process that started
/// the holder waits for that line.
pub fn run(layout: &Layout, options: Options, ready: &mut dyn Write) -> Result<i32> {
    let mut registry = Registry::open(&layout.registry_path())?;
    let mut session = registry
        .get(options.session)?
        .with_context(|| format!("no session has the id {}", options.session))?;
    let dir = layout.session_dir(session.session_id);
    let _lock = crate::launch::lock_session(&dir, &session.session_name)?;
    // Before the launch's own sync, so no login saved meanwhile is missed.
    let mut credentials = crate::credentials::watch(layout, &dir);
    let plan = crate::launch::plan(layout, &mut session, &options.claude, &options.args)?;
    let socket = endpoint::bind_path(session.session_id)?;
    let listener = bind(&socket)?;
    let mut cmd = plan.command();
    if std::env::var_os("TERM").is_none_or(|t| t.is_empty()) {
        cmd.env("TERM", "xterm-256color");
    }
    let (master, mut child) = pty::spawn(&mut cmd, options.rows, options.cols)?;
    let agent = child.id();
    let _signals = crate::launch::SignalGuard::install();
    crate::launch::set_agent_pid(agent);
    crate::launch::record_started(
        layout,
        &mut registry,
        &mut session,
        &plan,
        agent,
        Some(std::process::id()),
    );
    let _ = writeln!(ready, "ready");
    let _ = ready.flush();

    let mut server = server::Server::new(master, listener, agent, options.rows, options.cols)?;
    let mut events = Vec::new();
    let mut kill_at: Option<Instant> = None;
    let mut socket_ino = inode(&socket);
    let mut last_socket_check = Instant::now();
    let status = loop {
        let open = server.step(&mut events)?;
        if let Some(watch) = credentials.as_mut() {
            watch.tick(layout);
        }
        for event in events.drain(..) {
            match event {
                server::Event::Clients(n) => {
                    session.clients = n;
                    crate::launch::record(layout, &mut registry, &mut session);
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
        // A login manager may delete the runtime dir at the last logout:
        // listen again so later logins find the session.
        if last_socket_check.elapsed() > Duration::from_secs(2) {
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
                    endpoint::bind_path(session.session_id).and_then(|_| bind(&socket))
            {
                let _ = listener.set_nonblocking(true);
                server.listener = listener;
                socket_ino = inode(&socket);
            }
        }
    };
    let outcome = crate::launch::record_exit(layout, &mut registry, &mut session, status);
    server.finish(outcome.exit_code);
    if inode(&socket) == socket_ino {
        let _ = std::fs::remove_file(&socket);
    }
    Ok(outcome.exit_code)
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
