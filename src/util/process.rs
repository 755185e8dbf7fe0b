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

/// The session id of `pid` (field 6 of /proc/PID/stat), if it runs.
pub fn session_of(pid: u32) -> Option<u32> {
    stat(pid)?.split_whitespace().nth(3)?.parse().ok()
}

/// The processes whose parent is `pid`: from its tasks' `children` lists,
/// else (a kernel without them) by reading every /proc/N/stat.
pub fn children(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    let mut listed = false;
    if let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(list) = fs::read_to_string(task.path().join("children")) {
                listed = true;
                children.extend(
                    list.split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
    }
    if listed {
        return children;
    }
    let Ok(all) = fs::read_dir("/proc") else {
        return children;
    };
    for entry in all.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let parent = stat(child).and_then(|s| s.split_whitespace().nth(1)?.parse::<u32>().ok());
        if parent == Some(pid) {
            children.push(child);
        }
    }
    children
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

/// Starts the user's notification command (`--notify`) by `/bin/sh`, with
/// `name` and `state` as $1 and $2, without waiting for it: a slow notifier
/// must not slow whoever noticed. The caller reaps the child if it lives on.
pub fn spawn_notifier(
    command: &std::ffi::OsStr,
    name: &std::ffi::OsStr,
    state: &str,
) -> std::io::Result<std::process::Child> {
    use std::process::{Command, Stdio};
    Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .arg("claude-session-notify")
        .arg(name)
        .arg(state)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
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
    fn children_and_their_session_are_found() {
        let me = std::process::id();
        let mut same = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut own = std::process::Command::new("setsid")
            .args(["sleep", "30"])
            .spawn()
            .unwrap();
        let kids = children(me);
        assert!(
            kids.contains(&same.id()) && kids.contains(&own.id()),
            "{kids:?}"
        );
        assert_eq!(session_of(same.id()), session_of(me));
        // Not a group leader, setsid(1) makes the session itself, then runs
        // sleep in it: once it has, the child leads a session of its own.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while session_of(own.id()) != Some(own.id()) {
            assert!(
                std::time::Instant::now() < deadline,
                "no session of its own"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = (same.kill(), own.kill(), same.wait(), own.wait());
    }

    #[test]
    fn reaped_child_is_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(Process::of(pid), None);
    }
}
