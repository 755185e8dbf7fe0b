//! A process as claude-session records it: a pid and the process's start
//! time, so that a pid the kernel has since given to another process is not
//! taken for it. Claude Code makes the same check for its own
//! `sessions/<pid>.json`.

use std::fs;
use std::io::Read;

/// A process that was running when it was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// Clock ticks since boot when it started (field 22 of /proc/PID/stat).
    pub start: u64,
}

impl Process {
    /// The process `pid` as it is now, if it runs.
    pub fn of(pid: u32) -> Option<Process> {
        Some(Process {
            pid,
            start: start_time(pid)?,
        })
    }

    /// This process.
    pub fn this() -> Option<Process> {
        Process::of(std::process::id())
    }

    /// Still running, and still the process that was recorded.
    pub fn is_live(&self) -> bool {
        start_time(self.pid) == Some(self.start)
    }

    /// Sends `signal` if the process is still the recorded one (a pid that
    /// was reused belongs to somebody else).
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        if self.is_live() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid as i32), signal);
        }
    }
}

/// Start time of `pid`, or None if there is no such live process. A zombie
/// counts as gone: it has exited, only its parent has not reaped it yet.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = stat(pid)?;
    let mut fields = stat.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    // `state` was field 3; field 22 is 19 further on.
    fields.nth(18)?.parse().ok()
}

/// /proc/PID/stat (PID may be "self") from field 3 on. The command name
/// (field 2) is in parentheses and may contain spaces or ')' itself, so the
/// fields start after the last ')'.
pub fn stat(pid: impl std::fmt::Display) -> Option<String> {
    let mut stat = String::with_capacity(1024);
    fs::File::open(format!("/proc/{pid}/stat"))
        .and_then(|mut file| file.read_to_string(&mut stat))
        .ok()?;
    let end = stat.rfind(')')? + 1;
    stat.drain(..end);
    Some(stat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_live_and_stable() {
        let me = Process::this().expect("own process has a start time");
        assert!(me.is_live());
        assert_eq!(Process::this(), Some(me));
        let reused = Process {
            start: me.start + 1,
            ..me
        };
        assert!(!reused.is_live());
    }

    #[test]
    fn reaped_child_is_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(Process::of(pid), None);
    }
}
