//! A pseudo-terminal for Claude: the holder keeps the master side, Claude
//! gets the slave side as its controlling terminal.

use anyhow::{Context, Result};
use nix::libc;
use nix::pty::{Winsize, openpty};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

fn winsize(rows: u16, cols: u16) -> Winsize {
    // A zero size confuses full-screen programs; 1 is the least sane value.
    Winsize {
        ws_row: rows.max(1),
        ws_col: cols.max(1),
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// A new pseudo-terminal, both sides private to this process until
/// `spawn` hands the slave side to Claude.
pub struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
}

/// Opens a PTY of the given size. It needs nothing of the session, so a
/// holder opens it while it waits for its session.
pub fn open(rows: u16, cols: u16) -> Result<Pty> {
    let pty = openpty(Some(&winsize(rows, cols)), None).context("cannot open a pseudo-terminal")?;
    set_cloexec(&pty.master)?;
    // The slave reaches Claude as fds 0-2 (dup2 clears the flag there); the
    // original must not leak into Claude as an extra descriptor.
    set_cloexec(&pty.slave)?;
    Ok(Pty {
        master: pty.master,
        slave: pty.slave,
    })
}

/// Starts `cmd` on `pty`; returns the master side.
pub fn spawn(cmd: &mut Command, pty: Pty) -> Result<(OwnedFd, Child)> {
    let slave = pty.slave;
    cmd.stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave));
    // SAFETY: runs in the forked child before exec and only makes
    // async-signal-safe calls (setsid, ioctl).
    unsafe {
        cmd.pre_exec(|| {
            // A session of its own, with the PTY (now on fd 0) as its
            // controlling terminal: job control and SIGWINCH work for Claude,
            // and nothing from the attaching terminal's session reaches it.
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .context("cannot start claude on the pseudo-terminal")?;
    // `cmd` holds the slave's copies: close them here, so the PTY hangs up
    // (EIO) once Claude and its children are gone.
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Ok((pty.master, child))
}

/// Tells the PTY (and so Claude, by SIGWINCH) its new size.
pub fn resize(master: &OwnedFd, rows: u16, cols: u16) -> io::Result<()> {
    let size = winsize(rows, cols);
    // SAFETY: TIOCSWINSZ reads one Winsize from a valid pointer.
    let rc = unsafe {
        libc::ioctl(
            master.as_raw_fd(),
            libc::TIOCSWINSZ,
            &size as *const Winsize,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn set_cloexec(fd: &OwnedFd) -> Result<()> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).context("cannot set FD_CLOEXEC")?;
    Ok(())
}

pub fn set_nonblocking(fd: &impl std::os::fd::AsFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}
