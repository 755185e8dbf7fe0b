//! A launcher outlives Claude to record its exit: it passes on the signals
//! meant for the session and ignores those meant for Claude alone.

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use std::sync::atomic::{AtomicI32, Ordering};

/// The pid of the running Claude, for the signal handler.
static CLAUDE_PID: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(sig: nix::libc::c_int) {
    let pid = CLAUDE_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe; pid is our own child.
        unsafe { nix::libc::kill(pid, sig) };
    }
}

extern "C" fn ignore_signal(_: nix::libc::c_int) {}

/// While Claude runs: SIGINT and SIGQUIT from the terminal reach Claude
/// directly (same process group), so the launcher only ignores them
/// (through a handler, which exec resets, so Claude still gets the default
/// behaviour). SIGTERM and SIGHUP sent to the launcher alone are passed on
/// to Claude. Dropped, the old dispositions come back.
pub struct SignalGuard {
    saved: Vec<(Signal, SigAction)>,
}

impl SignalGuard {
    pub fn install() -> Self {
        let forward = SigAction::new(
            SigHandler::Handler(forward_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        let ignore = SigAction::new(
            SigHandler::Handler(ignore_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        let mut saved = Vec::new();
        for (signal, action) in [
            (Signal::SIGINT, &ignore),
            (Signal::SIGQUIT, &ignore),
            (Signal::SIGTERM, &forward),
            (Signal::SIGHUP, &forward),
        ] {
            // SAFETY: both handlers only touch an atomic and call kill(2).
            if let Ok(old) = unsafe { sigaction(signal, action) } {
                saved.push((signal, old));
            }
        }
        Self { saved }
    }

    /// Names the process that SIGTERM and SIGHUP are passed on to.
    pub fn forward_to(&self, pid: u32) {
        CLAUDE_PID.store(pid as i32, Ordering::SeqCst);
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        CLAUDE_PID.store(0, Ordering::SeqCst);
        for (signal, old) in &self.saved {
            // SAFETY: restores the dispositions saved in `install`.
            let _ = unsafe { sigaction(*signal, old) };
        }
    }
}
