//! Starting a holder, from its starter's side (`new`, `resume`, `restore`):
//! spawn `claude-session __holder`, hand it the session and its lock, and
//! wait until it says Claude runs.
//!
//! The holder is spawned first thing, so it loads while its starter makes
//! or reads the session. It speaks on its stdout and stderr, a pipe the
//! starter reads: warnings while it starts (the user's), then `ready` or
//! `error WHY`. After that it writes to its own `holder.log`.

use crate::holder::handover::{self, Handover};
use crate::run::lock::SessionLock;
use crate::store::layout::Layout;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// How a watched start went.
pub enum Start {
    Running,
    /// Claude exited within the watch (code None: the holder died too),
    /// leaving these last lines on its screen.
    Exited {
        code: Option<i32>,
        screen: Vec<String>,
    },
}

/// A holder on its way up, waiting for its session on stdin.
pub struct PendingHolder {
    child: Child,
    /// Our end of the holder's stdin, a socket: the handover goes down it.
    /// Closed without one, it tells the holder that no session comes.
    handover: Option<UnixStream>,
    /// What the holder says while it starts (its stdout and stderr).
    said: BufReader<File>,
    log: PathBuf,
}

/// Spawns `claude-session __holder` for a session of `layout`'s store.
pub fn spawn(layout: &Layout) -> Result<PendingHolder> {
    let exe = std::env::current_exe().context("cannot find the claude-session executable")?;
    let (said, said_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .context("cannot make a pipe for the holder")?;
    let (ours, theirs) = UnixStream::pair().context("cannot make a socket pair for the holder")?;
    let child = Command::new(exe)
        .arg("__holder")
        .arg("--store")
        .arg(&layout.store)
        .arg("--base")
        .arg(&layout.base)
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::from(said_w.try_clone()?))
        .stderr(Stdio::from(said_w))
        .spawn()
        .context("cannot start the holder")?;
    Ok(PendingHolder {
        child,
        handover: Some(ours),
        said: BufReader::new(File::from(said)),
        log: PathBuf::new(),
    })
}

impl PendingHolder {
    /// Hands the holder its session and the session's lock, and waits
    /// until it says Claude runs (or why not); with `watch_start`, until
    /// Claude has run that long or exited. The holder records the run
    /// itself, so `list` and `kill` see it the moment this returns.
    pub fn start(
        mut self,
        layout: &Layout,
        handover: &Handover,
        lock: SessionLock,
    ) -> Result<Start> {
        self.log = layout
            .session_dir(handover.session.session_id)
            .join(crate::holder::LOG);
        let stream = self.handover.take().expect("handed over once");
        // A holder that died before reading fails the send; `hear` finds
        // out why from what it said.
        let _ = handover::send(stream, handover, &lock);
        drop(lock);
        self.hear()?;
        if handover.watch_start.is_none() {
            return Ok(Start::Running);
        }
        Ok(self.watch())
    }

    /// How Claude's first moments went, as the holder tells it.
    fn watch(&mut self) -> Start {
        let mut line = String::new();
        let mut code = None;
        let mut screen = Vec::new();
        loop {
            line.clear();
            match self.said.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = line.trim_end_matches('\n');
            if line == crate::holder::RUNNING {
                return Start::Running;
            } else if let Some(exited) = line.strip_prefix(crate::holder::EXITED) {
                code = exited.parse().ok();
            } else if let Some(text) = line.strip_prefix(crate::holder::SCREEN) {
                screen.push(text.to_string());
            } else {
                // A warning it printed meanwhile: the user's.
                eprintln!("{line}");
            }
        }
        Start::Exited { code, screen }
    }

    /// Reads what the holder says until its ready line or why not.
    /// Anything else is a warning it printed while starting: the user's.
    fn hear(&mut self) -> Result<()> {
        let mut line = String::new();
        let mut last = None;
        loop {
            line.clear();
            let n = self
                .said
                .read_line(&mut line)
                .context("cannot hear from the holder")?;
            if line.trim_end() == crate::holder::READY {
                return Ok(());
            }
            if n == 0 || crate::holder::parse_failure(&line).is_some() {
                break;
            }
            eprint!("{line}");
            last = Some(line.trim_end().to_string());
        }
        let _ = self.child.wait();
        if let Some(why) = crate::holder::parse_failure(&line) {
            bail!("the holder did not start: {why}")
        }
        // It died without saying why (a crash): its last words, or its log.
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let why = last
            .as_deref()
            .or_else(|| log.lines().rev().find(|l| !l.trim().is_empty()))
            .unwrap_or("it exited without a word");
        let why = why.strip_prefix("claude-session: ").unwrap_or(why);
        bail!("the holder did not start: {why}")
    }
}

impl Drop for PendingHolder {
    /// A holder whose session was never handed over: its stdin closes, it
    /// ends, and is reaped.
    fn drop(&mut self) {
        if self.handover.take().is_some() {
            let _ = self.child.wait();
        }
    }
}
