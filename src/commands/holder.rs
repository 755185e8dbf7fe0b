//! The per-session holder process: `claude-session __holder` (internal),
//! or forked by `new` (`run_forked`).

use crate::cli::{GlobalArgs, HolderArgs};
use crate::holder::handover::{self, Handover};
use crate::store::layout::Layout;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::ExitCode;

/// stdout and stderr are the pipe the starter reads until "ready": what
/// the holder says while starting (a warning, why it could not start)
/// reaches the user's terminal, and its log file is made only after.
pub fn run(global: &GlobalArgs, args: HolderArgs) -> Result<ExitCode> {
    // Descriptors its starter's own caller left inheritable (a script's
    // `3>`) came through the exec: none is the holder's to keep.
    close_from(3);
    let layout = Layout::discover(global.store.as_deref(), global.base.as_deref());
    serve(layout, args).map(super::exit_code)
}

/// The holder forked by a starter (see `runner::fork_holder`), with its
/// stdin and its stdout/stderr as descriptors: it makes its standard
/// descriptors what an exec'd holder's are, closes every other one the
/// starter had (as `run` does: one left open, a pipe a script reads, would
/// never see its end while the session lives), and runs. It never returns:
/// the frames under it are the starter's, so it exits from here, its own
/// `main`.
pub fn run_forked(layout: &Layout, args: HolderArgs, stdin: OwnedFd, said: OwnedFd) -> ! {
    let ok = dup_onto(&stdin, 0) && dup_onto(&said, 1) && dup_onto(&said, 2);
    drop((stdin, said));
    close_from(3);
    let code = if ok {
        let layout = layout.clone();
        // A panic must not unwind into the starter's frames.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            serve(Ok(layout), args).unwrap_or(1)
        }))
        .unwrap_or(101)
    } else {
        1
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// Runs the holder and returns Claude's exit status; the failure line for
/// the starter if it could not start.
fn serve(layout: Result<Layout>, args: HolderArgs) -> Result<i32> {
    // A session of its own, first thing, so a hang-up of the starter's
    // terminal never reaches it (the starter spawns it without a pre-exec
    // step: see `runner::spawn_holder`).
    let result = nix::unistd::setsid()
        .context("cannot leave the starter's session")
        .and(layout)
        .and_then(|layout| hold(&layout, args));
    if let Err(e) = &result {
        // Unread (stdout is /dev/null) once "ready" was said.
        let _ = writeln!(std::io::stdout(), "{}", crate::holder::failure_line(e));
    }
    result
}

/// Points descriptor `to` (a standard one) at `fd`'s file.
fn dup_onto(fd: impl AsFd, to: i32) -> bool {
    // SAFETY: dup2 onto one of our own standard descriptors.
    unsafe { nix::libc::dup2(fd.as_fd().as_raw_fd(), to) == to }
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

fn hold(layout: &Layout, args: HolderArgs) -> Result<i32> {
    let listening = crate::holder::listen(args.session)?;
    // What needs nothing of the session is made while it is on its way.
    let pty = match crate::holder::pty::open(args.rows, args.cols) {
        Ok(pty) => pty,
        Err(e) => {
            listening.remove();
            return Err(e);
        }
    };
    let handover = handover_from_stdin().and_then(|(handover, lock)| {
        if handover.session.session_id != args.session {
            bail!(
                "the starter sent session {}, not {}",
                handover.session.session_id,
                args.session
            );
        }
        Ok((handover, lock))
    });
    let (Handover { session, prepared }, lock) = match handover {
        Ok(received) => received,
        Err(e) => {
            // No session was made (the starter failed, or was killed).
            listening.remove();
            return Err(e);
        }
    };
    let mut ready = ReadyPipe {
        log: layout.session_dir(args.session).join(crate::holder::LOG),
    };
    let options = crate::holder::Options {
        session,
        prepared,
        lock,
        pty,
        claude: args.claude,
        args: args.args,
        rows: args.rows,
        cols: args.cols,
    };
    crate::holder::run(layout, options, listening, &mut ready)
}

/// The handover from the starter (which has just read or made the
/// session's row) on stdin, a socket (see `holder::handover`): the holder
/// need not open the registry to start. stdin then points at /dev/null,
/// like the rest of the holder's life.
fn handover_from_stdin() -> Result<(Handover, crate::run::launch::SessionLock)> {
    let stdin = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .context("cannot read the session from the starter")?;
    let received = handover::receive(&std::os::unix::net::UnixStream::from(stdin));
    redirect(0, std::fs::File::open("/dev/null"));
    received
}

/// Points descriptor `fd` at `file`, if it opened.
fn redirect(fd: i32, file: std::io::Result<std::fs::File>) {
    if let Ok(file) = file {
        dup_onto(&file, fd);
    }
}

/// Writes the ready line; on flush, lets go of the starter's pipe: stdout
/// to /dev/null, stderr to the session's holder.log, so no later write
/// meets a closed pipe.
struct ReadyPipe {
    log: PathBuf,
}

impl std::io::Write for ReadyPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        std::io::stdout().flush()?;
        redirect(1, std::fs::File::options().write(true).open("/dev/null"));
        let log = std::fs::File::options()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.log);
        redirect(2, log);
        Ok(())
    }
}
