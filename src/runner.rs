//! Running a session's Claude: in the foreground of this terminal, or under
//! a holder (attached now, or detached), and attaching to a holder.

use crate::attach::{self, End};
use crate::cli::RunArgs;
use crate::detach_keys::{self, DetachKeys};
use crate::fsutil::PendingSync;
use crate::layout::Layout;
use crate::registry::Registry;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread::JoinHandle;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Claude in this terminal, no holder: the seed's behaviour.
    Foreground,
    /// Under a holder, this terminal attached.
    Attached,
    /// Under a holder, nobody attached.
    Detached,
}

impl Mode {
    /// A holder needs a terminal to attach; off a terminal (scripts, `-p`
    /// runs, CI) Claude runs in the foreground unless --detached is asked.
    pub fn choose(run: &RunArgs) -> Mode {
        if run.detached {
            Mode::Detached
        } else if run.foreground
            || !std::io::stdin().is_terminal()
            || !std::io::stdout().is_terminal()
        {
            Mode::Foreground
        } else {
            Mode::Attached
        }
    }
}

/// Hands `--notify CMD` to Claude's hooks through the environment that
/// Claude (and so every hook it runs) inherits, foreground or holder.
pub fn export_notify(run: &RunArgs) {
    if let Some(command) = &run.notify {
        // SAFETY: called from the main thread before any other thread is
        // started (nothing else reads or writes the environment meanwhile).
        unsafe { std::env::set_var("CLAUDE_SESSION_NOTIFY", command) };
    }
}

pub fn detach_keys(spec: Option<&str>) -> Result<DetachKeys> {
    DetachKeys::parse(spec.unwrap_or(detach_keys::DEFAULT))
}

/// How to start a session's Claude.
pub struct Launch<'a> {
    pub claude: &'a Path,
    pub extra_args: &'a [String],
    pub mode: Mode,
    pub keys: DetachKeys,
    /// A holder started ahead for this session (see `spawn_holder`).
    pub holder: Option<PendingHolder>,
    /// The caller's own work that can overlap the holder's start (a new
    /// session's fsync of its metadata.json): always done, and before
    /// anything is said.
    pub meanwhile: Box<dyn FnOnce() -> Result<()> + 'a>,
}

/// Starts Claude in the session the way `launch.mode` says and returns the
/// exit status to pass on.
pub fn start(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    launch: Launch,
) -> Result<ExitCode> {
    let Launch {
        claude,
        extra_args,
        mode,
        keys,
        holder,
        meanwhile,
    } = launch;
    if mode == Mode::Foreground {
        meanwhile()?;
        let outcome = crate::launch::run_foreground(layout, registry, session, claude, extra_args)?;
        return Ok(crate::commands::exit_code(outcome.exit_code));
    }
    let holder = match holder {
        Some(holder) => holder,
        None => spawn_holder(
            layout,
            session.session_id,
            claude,
            extra_args,
            holder_size(mode),
        )?,
    };
    holder.start(layout, registry, session, meanwhile)?;
    match mode {
        Mode::Attached => attach_to(session, false, keys),
        _ => {
            crate::output::emit(&format!("{}\n", session.session_id))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The terminal size a holder starts Claude with.
pub fn holder_size(mode: Mode) -> (u16, u16) {
    match mode {
        Mode::Attached => attach::terminal_size(),
        _ => crate::holder::DEFAULT_SIZE,
    }
}

/// Completes a deferred metadata.json write (see `fsutil::PendingSync`).
pub fn sync_metadata(
    layout: &Layout,
    session: &Session,
    unsynced: Option<PendingSync>,
) -> Result<()> {
    let Some(pending) = unsynced else {
        return Ok(());
    };
    pending.sync().with_context(|| {
        let dir = layout.session_dir(session.session_id);
        format!("cannot write {}", dir.join(crate::metadata::FILE).display())
    })
}

/// Attaches this terminal and turns the ending into an exit status.
pub fn attach_to(session: &Session, read_only: bool, keys: DetachKeys) -> Result<ExitCode> {
    let options = attach::Options {
        read_only,
        keys,
        name: session.session_name.clone(),
    };
    let end = attach::attach(session.session_id, options)
        .with_context(|| format!("cannot attach to {}", session.session_name))?;
    let name = &session.session_name;
    match end {
        End::Exited(code) => {
            eprintln!(
                "claude-session: {name} ended (exit {code}); continue it with: claude-session resume {name}"
            );
            Ok(crate::commands::exit_code(code))
        }
        End::Detached => {
            eprintln!(
                "claude-session: detached from {name}; Claude keeps running. Back with: claude-session attach {name}"
            );
            Ok(ExitCode::SUCCESS)
        }
        End::Displaced(why) => {
            eprintln!("claude-session: detached from {name}: {why}");
            Ok(ExitCode::SUCCESS)
        }
        End::HolderGone => bail!(
            "the holder of {name} went away; `claude-session resume {name}` continues the conversation"
        ),
    }
}

/// A holder on its way up: `claude-session __holder`, which makes a session
/// of its own (so a hang-up of this terminal never reaches it). Until
/// `start` hands it its session on stdin, it loads and waits; a `new`
/// starts it first thing, so that happens while the session is made.
pub struct PendingHolder {
    /// Forking and exec'ing take the caller's thread until the exec is
    /// done; on a thread of their own, they overlap the caller's work.
    spawning: Option<JoinHandle<io::Result<Child>>>,
    /// What the holder says while it starts (its stdout and stderr).
    said: BufReader<File>,
    log: PathBuf,
}

/// Starts the holder of session `id` (see `PendingHolder`).
pub fn spawn_holder(
    layout: &Layout,
    id: Uuid,
    claude: &Path,
    extra_args: &[String],
    size: (u16, u16),
) -> Result<PendingHolder> {
    let exe = std::env::current_exe().context("cannot find the claude-session executable")?;
    let (said, said_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .context("cannot make a pipe for the holder")?;
    let mut cmd = Command::new(exe);
    // The subcommand first: the holder's command line is parsed with its
    // own options only (see `cli::parse_narrow`).
    cmd.arg("__holder")
        .arg("--store")
        .arg(&layout.store)
        .arg("--base")
        .arg(&layout.base)
        .arg("--session")
        .arg(id.to_string())
        .arg("--claude")
        .arg(claude)
        .arg("--rows")
        .arg(size.0.to_string())
        .arg("--cols")
        .arg(size.1.to_string())
        .arg("--")
        .args(extra_args)
        .stdin(Stdio::piped())
        // Both to us until "ready" (see `commands::holder`).
        .stdout(Stdio::from(said_w.try_clone()?))
        .stderr(Stdio::from(said_w));
    // No pre_exec (the holder calls setsid itself, first thing): without
    // one, std spawns with posix_spawn, which shares our memory until the
    // exec instead of copying it, and copying (fork) stalled this thread's
    // own work by most of a millisecond.
    let allowed = crate::placement::Allowed::here();
    // `cmd` and its copies of the pipe's write end go with the thread.
    let spawning = std::thread::spawn(move || {
        let child = cmd.spawn()?;
        if let Some(allowed) = allowed {
            allowed.give_back(child.id());
        }
        Ok(child)
    });
    // The holder loads on another CPU, beside our own work (see `placement`).
    if let Some(allowed) = allowed {
        allowed.place_beside(&spawning);
    }
    Ok(PendingHolder {
        spawning: Some(spawning),
        said: BufReader::new(File::from(said)),
        log: layout.session_dir(id).join(crate::holder::LOG),
    })
}

impl PendingHolder {
    /// Readies the session for Claude (`launch::prepare`, under the session
    /// lock) while the holder is still loading, hands the holder the session
    /// and that work, runs `meanwhile` while the holder starts Claude, waits
    /// until it says Claude runs and its socket listens, and records the
    /// start in the registry (so `list` and `kill` see it the moment this
    /// returns). A `meanwhile` that fails stops the holder and is the error.
    ///
    /// Each step is placed for the time a `new --detached` takes (the
    /// create figure of bench/holder.sh): loading the holder (an exec) is
    /// the longest step, so preparing here, beside it, costs nothing, where
    /// in the holder it came after; and `meanwhile`'s fsync, beside the
    /// holder's writes in the same dir, slows those a little (ext4's
    /// journal) but far less than waiting for it before the handover did.
    pub fn start(
        mut self,
        layout: &Layout,
        registry: &mut Registry,
        session: &mut Session,
        meanwhile: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let prepared = {
            let dir = layout.session_dir(session.session_id);
            // Let go before the handover: the holder takes it for good. A
            // launch that slips in between makes the holder fail to lock,
            // as two launches of one session always did.
            let _lock = crate::launch::lock_session(&dir, &session.session_name)?;
            crate::launch::prepare(layout, session)?
        };
        let handover = crate::holder::Handover {
            session: session.clone(),
            prepared,
        };
        let spawning = self.spawning.take().expect("started once");
        let spawned = spawning.join().expect("spawning a process does not panic");
        let mut child = spawned.context("cannot start the holder")?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // The holder reads it all before anything else. One that died
        // before reading fails the write (EPIPE) and is found out below.
        let _ = stdin.write_all(&serde_json::to_vec(&handover).expect("a handover serializes"));
        drop(stdin);
        let done = meanwhile();
        let ready = self.hear(&mut child)?;
        if let Err(e) = done {
            // The session is not what we would tell the user it is: no
            // Claude is left running in it (the holder passes SIGTERM on).
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            return Err(e);
        }
        // The holder writes metadata.json itself (it owns the fsync, after
        // "ready"); the row is written here, from the connection open.
        crate::launch::mark_started_at(
            session,
            (ready.agent, ready.agent_start),
            Some((child.id(), ready.holder_start)),
        );
        crate::launch::record_row(registry, session);
        Ok(())
    }

    /// Reads what the holder says until its ready line or why not.
    /// Anything else is a warning it printed while starting: the user's.
    fn hear(&mut self, child: &mut Child) -> Result<crate::holder::Ready> {
        let mut line = String::new();
        let mut last = None;
        loop {
            line.clear();
            let n = self
                .said
                .read_line(&mut line)
                .context("cannot hear from the holder")?;
            if let Some(ready) = crate::holder::Ready::parse(&line) {
                return Ok(ready);
            }
            if n == 0 || crate::holder::parse_failure(&line).is_some() {
                break;
            }
            eprint!("{line}");
            last = Some(line.trim_end().to_string());
        }
        let _ = child.wait();
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
    /// A holder whose session was never made: its stdin closes, it ends.
    fn drop(&mut self) {
        if let Some(Ok(Ok(mut child))) = self.spawning.take().map(JoinHandle::join) {
            drop(child.stdin.take());
            let _ = child.wait();
        }
    }
}
