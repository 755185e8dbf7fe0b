//! What the dashboard's keys do to sessions, done by this same binary's
//! commands (`attach`, `new`, `kill`, ...): one way to do each thing, with
//! the checks and messages those commands already have.

use crate::store::layout::Layout;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};

/// A command of ours, for the store and base the dashboard shows.
fn ours(layout: &Layout, args: &[&str]) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| "claude-session".into());
    let mut command = Command::new(exe);
    command
        .arg("--store")
        .arg(&layout.store)
        .arg("--base")
        .arg(&layout.base)
        .args(args);
    command
}

/// What a command said, for the footer: its last line, without our
/// "claude-session: " prefix.
pub struct Outcome {
    pub ok: bool,
    pub stdout: String,
    pub said: String,
}

/// Runs a command that needs no terminal (`kill`, `new --detached`, ...).
pub fn run(layout: &Layout, args: &[&str]) -> Outcome {
    match ours(layout, args).stdin(Stdio::null()).output() {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr);
            Outcome {
                ok: out.status.success(),
                said: last_line(&stderr),
                stdout,
            }
        }
        Err(e) => failed_to_start(e),
    }
}

/// Runs a command on the terminal (`attach`, `resume`): it has the screen
/// and the keys until it ends. Its errors go to the footer, not to a
/// screen the dashboard is about to draw over.
pub fn run_on_terminal(layout: &Layout, args: &[&str]) -> Outcome {
    let child = ours(layout, args).stderr(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return failed_to_start(e),
    };
    // Read while it runs: a full pipe would stop it.
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = child.wait();
    let stderr = reader.join().unwrap_or_default();
    Outcome {
        ok: status.as_ref().is_ok_and(ExitStatus::success),
        said: last_line(&stderr),
        stdout: String::new(),
    }
}

fn failed_to_start(e: std::io::Error) -> Outcome {
    Outcome {
        ok: false,
        said: format!("cannot run claude-session: {e}"),
        stdout: String::new(),
    }
}

fn last_line(text: &str) -> String {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let line = line.strip_prefix("claude-session: ").unwrap_or(line);
    crate::view::safe(line.trim()).into_owned()
}
