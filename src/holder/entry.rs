//! The holder process's own start, `claude-session __holder` (see `start`
//! for the starter's side): a session of its own, none of its starter's
//! descriptors, its session and lock from stdin, then `holder::run`.

use crate::holder::handover::{self, Handover};
use crate::run::lock::SessionLock;
use crate::store::layout::Layout;
use anyhow::{Context, Result};
use std::io::Write;
use std::os::fd::AsFd;
use std::path::PathBuf;

/// Runs the holder; returns Claude's exit status. stdout and stderr are
/// the pipe the starter reads until "ready": what the holder says while
/// starting (a warning, why it could not start) reaches the user's
/// terminal, and its log file takes over after.
pub fn main(layout: Result<Layout>) -> i32 {
    // Descriptors its starter's own caller left inheritable (a script's
    // `3>`) came through the exec: none is the holder's to keep, and one
    // left open (a pipe a script reads) would never see its end while the
    // session lives.
    close_from(3);
    // A session of its own, first thing, so a hang-up of the starter's
    // terminal never reaches it.
    let result = nix::unistd::setsid()
        .context("cannot leave the starter's session")
        .and(layout)
        .and_then(|layout| {
            // Opened while the starter still makes the session, so the time
            // it takes is not added to the start; the very first session
            // has no registry yet (its starter makes it): opened later.
            let registry = layout
                .registry_path()
                .exists()
                .then(|| crate::holder::open_registry(&layout))
                .flatten();
            let (handover, lock) = handover_from_stdin()?;
            let mut starter = StarterPipe {
                log: layout
                    .session_dir(handover.session.session_id)
                    .join(crate::holder::LOG),
            };
            crate::holder::run(&layout, registry, handover, lock, &mut starter)
        });
    if let Err(e) = &result {
        // Unread (stdout is /dev/null) once "ready" was said.
        let _ = writeln!(std::io::stdout(), "{}", crate::holder::failure_line(e));
    }
    result.unwrap_or(1)
}

/// Closes every descriptor from `first` on: with close_range (Linux 5.9),
/// else those /proc/self/fd lists, else every number below the limit.
fn close_from(first: u32) {
    // SAFETY (all three): closes descriptors only, and nothing of this
    // process's own is above the standard three when it is called.
    let rc = unsafe { nix::libc::syscall(nix::libc::SYS_close_range, first, u32::MAX, 0) };
    if rc == 0 {
        return;
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        // Collected first: the listing's own descriptor is closed after,
        // and closing it again fails harmlessly.
        let open: Vec<i32> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|&fd| fd >= first as i32)
            .collect();
        for fd in open {
            unsafe { nix::libc::close(fd) };
        }
        return;
    }
    let limit = unsafe { nix::libc::sysconf(nix::libc::_SC_OPEN_MAX) };
    let limit = if limit > 0 { limit.min(1 << 16) } else { 1024 };
    for fd in first as i64..limit {
        unsafe { nix::libc::close(fd as i32) };
    }
}

/// The handover from the starter on stdin, a socket (see `handover`): the
/// holder need not open the registry to start. stdin then points at
/// /dev/null, like the rest of the holder's life.
fn handover_from_stdin() -> Result<(Handover, SessionLock)> {
    let stdin = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .context("cannot read the session from the starter")?;
    let received = handover::receive(&std::os::unix::net::UnixStream::from(stdin));
    if let Ok(null) = std::fs::File::open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
    }
    received
}

/// The starter's pipe (the holder's stdout and stderr) while it listens.
pub struct StarterPipe {
    log: PathBuf,
}

impl StarterPipe {
    /// Tells the starter one line (see `holder::start` for what it hears).
    pub fn say(&mut self, line: &str) {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// Lets go of the starter's pipe: stdout to /dev/null, stderr to the
    /// session's holder.log, so no later write meets a closed pipe and
    /// every later warning lands in the log.
    pub fn let_go(&mut self) {
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(null) = std::fs::File::options().write(true).open("/dev/null") {
            let _ = nix::unistd::dup2_stdout(&null);
        }
        let log = std::fs::File::options()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.log);
        if let Ok(log) = log {
            let _ = nix::unistd::dup2_stderr(&log);
        }
    }
}
