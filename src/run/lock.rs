//! The session lock: `<session>/.lock`, held for as long as Claude runs in
//! the session (by its foreground launcher or its holder), so two launches
//! of one session (two terminals typing `resume` at once) cannot both start
//! Claude, and `rm` or `cleanup` cannot delete a session being started.
//!
//! The lock is the open lock file, released when its last descriptor
//! closes: with the launcher, so it never goes stale, or in the holder it
//! was handed to (see `holder::handover`), so there is no gap between the
//! starter letting go and the holder taking it.

use anyhow::{Context, Result};
use nix::errno::Errno;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct SessionLock(File);

/// The lock is held by another process: one starting or running Claude in
/// the session, or one deleting it.
#[derive(Debug, thiserror::Error)]
#[error(
    "session {0} is in use by another claude-session process (starting, running or being deleted)"
)]
pub struct Busy(String);

impl SessionLock {
    /// Takes the lock of the session in `dir`, or says it is in use
    /// (`Busy`). Neither `dir` nor its `.lock` is followed if it is a link:
    /// a session dir is one the store made, and a lock never creates a file
    /// elsewhere.
    pub fn take(dir: &Path, name: &str) -> Result<SessionLock> {
        let path = dir.join(".lock");
        let file = open_in(dir).with_context(|| format!("cannot open {}", path.display()))?;
        match flock_exclusive(&file) {
            Ok(()) => Ok(SessionLock(file)),
            Err(Errno::EWOULDBLOCK) => Err(Busy(name.to_string()).into()),
            Err(e) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }

    /// Takes the lock, waiting up to `patience` for a process that is
    /// letting go of it (a launcher recording the exit of a Claude just
    /// stopped). Only `Busy` is waited out.
    pub fn wait(dir: &Path, name: &str, patience: Duration) -> Result<SessionLock> {
        let deadline = Instant::now() + patience;
        loop {
            match SessionLock::take(dir, name) {
                Err(e) if e.is::<Busy>() && Instant::now() <= deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                other => return other,
            }
        }
    }

    /// The lock, taken over from another process (a holder's starter).
    /// Locking again through it cannot fail: it is the same lock.
    pub fn adopt(file: File) -> Result<SessionLock> {
        flock_exclusive(&file).context("the session lock handed over is not a lock")?;
        Ok(SessionLock(file))
    }
}

impl std::os::fd::AsFd for SessionLock {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// Opens (creating, 0600) `dir/.lock`, following no link.
fn open_in(dir: &Path) -> std::io::Result<File> {
    use nix::fcntl::{OFlag, open, openat};
    use nix::sys::stat::Mode;
    let dir = open(
        dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let file = openat(
        &dir,
        ".lock",
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )?;
    Ok(File::from(file))
}

/// flock(LOCK_EX | LOCK_NB). Not nix's `Flock`: it unlocks when dropped,
/// and an unlock through any descriptor of the open file would take the
/// lock from the holder it was handed to.
fn flock_exclusive(file: &File) -> std::result::Result<(), Errno> {
    // SAFETY: flock(2) on a descriptor that `file` keeps open.
    let rc = unsafe { nix::libc::flock(file.as_raw_fd(), nix::libc::LOCK_EX | nix::libc::LOCK_NB) };
    Errno::result(rc).map(drop)
}
