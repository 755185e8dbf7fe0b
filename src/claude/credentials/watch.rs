//! The holder's watch on `.credentials.json`, in its session dir and in the
//! base: when Claude saves a login there (a token refresh in the session,
//! `/login` in it or in a plain `claude`), every other dir gets it at once.
//!
//! Single-threaded: the inotify fd is non-blocking and drained from the
//! holder's loop, which wakes at least every 2 s; that delay is far
//! below the minutes between Claude's refresh and the next one anywhere.

use super::FILE;
use crate::store::layout::Layout;
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Claude saves by rename (IN_MOVED_TO); an editor or `cp` writes in place
/// (IN_CLOSE_WRITE).
const EVENTS: AddWatchFlags = AddWatchFlags::IN_MOVED_TO
    .union(AddWatchFlags::IN_CLOSE_WRITE)
    .union(AddWatchFlags::IN_ONLYDIR);

/// How often a base that is missing (or was replaced) is looked for again.
const BASE_RETRY: Duration = Duration::from_secs(2);

pub struct Watch {
    inotify: Inotify,
    base: PathBuf,
    base_watch: Option<WatchDescriptor>,
    base_retry_at: Instant,
    /// A sync left a dir busy (Claude was saving there): sync again.
    pending: bool,
}

/// Watches the session dir and the base, or None when the environment
/// carries the login (no file is touched then) or inotify is unavailable
/// (then syncs happen at launch and exit only; said on stderr, which is the
/// holder's log).
pub fn watch(layout: &Layout, session_dir: &Path) -> Option<Watch> {
    if super::from_environment() {
        return None;
    }
    match Watch::new(&layout.base, session_dir) {
        Ok(watch) => Some(watch),
        Err(e) => {
            crate::util::output::warn(format!(
                "cannot watch {} for new logins ({e}); credentials sync at launch and exit only",
                session_dir.join(FILE).display()
            ));
            None
        }
    }
}

impl Watch {
    pub fn new(base: &Path, session_dir: &Path) -> nix::Result<Self> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        inotify.add_watch(session_dir, EVENTS)?;
        let base_watch = inotify.add_watch(base, EVENTS).ok();
        Ok(Self {
            inotify,
            base: base.to_path_buf(),
            base_watch,
            base_retry_at: Instant::now() + BASE_RETRY,
            pending: false,
        })
    }

    /// Whether a credentials file was written since the last call. Never
    /// blocks.
    pub fn changed(&mut self) -> bool {
        let mut changed = false;
        loop {
            match self.inotify.read_events() {
                Ok(events) => {
                    for event in events {
                        if event.mask.contains(AddWatchFlags::IN_Q_OVERFLOW)
                            || event.name.as_deref().is_some_and(|n| n == FILE)
                        {
                            changed = true;
                        }
                        if event.mask.contains(AddWatchFlags::IN_IGNORED)
                            && Some(event.wd) == self.base_watch
                        {
                            self.base_watch = None;
                        }
                    }
                }
                Err(Errno::EINTR) => {}
                // EAGAIN: drained.
                Err(_) => break,
            }
        }
        // The base did not exist, or was removed: watch it once it is back,
        // and look at what it holds then.
        if self.base_watch.is_none() && Instant::now() >= self.base_retry_at {
            self.base_retry_at = Instant::now() + BASE_RETRY;
            self.base_watch = self.inotify.add_watch(&self.base, EVENTS).ok();
            changed |= self.base_watch.is_some();
        }
        changed
    }

    /// One round of the holder's loop: syncs every dir if a credentials
    /// file changed (or a dir was busy last time). Errors go to stderr (the
    /// holder's log), naming paths only.
    pub fn tick(&mut self, layout: &Layout) {
        if !(self.changed() || self.pending) {
            return;
        }
        self.pending = match super::sync_all(layout) {
            Ok(synced) => !synced.busy.is_empty(),
            Err(e) => {
                crate::util::output::warn(format!("credentials not synced: {e:#}"));
                false
            }
        };
    }
}

/// The inotify fd, readable when an event waits: for a poll loop that
/// wants to wake at once instead of at its next tick.
impl AsFd for Watch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inotify.as_fd()
    }
}
