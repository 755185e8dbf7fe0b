//! Running a session's Claude: in the foreground of this terminal, or under
//! a holder (attached now, or detached), and attaching to a holder.

use crate::cli::RunArgs;
use crate::client::attach::{self, End};
use crate::client::detach_keys::{self, DetachKeys};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use crate::util::fsutil::PendingSync;
use anyhow::{Context, Result, bail};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid};
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
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
    /// A holder started ahead for this session (see `fork_holder`); else
    /// one is spawned (`spawn_holder`).
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
        let outcome =
            crate::run::launch::run_foreground(layout, registry, session, claude, extra_args)?;
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
            crate::util::output::emit(&format!("{}\n", session.session_id))?;
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
        format!(
            "cannot write {}",
            dir.join(crate::store::metadata::FILE).display()
        )
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

/// A holder on its way up, which makes a session of its own (so a hang-up
/// of this terminal never reaches it). Until `start` hands it its session
/// on stdin, it binds its socket, opens its PTY and waits; a starter starts
/// it first thing, so that happens while the session is made or read.
pub struct PendingHolder {
    birth: Option<Birth>,
    /// Our end of the holder's stdin, a socket: the handover goes down it
    /// (see `holder::handover`). Closed without one, it tells the holder
    /// that no session comes.
    handover: Option<UnixStream>,
    /// What the holder says while it starts (its stdout and stderr).
    said: BufReader<File>,
    log: PathBuf,
    /// The CPUs the holder gets back at the handover, if it was placed on
    /// one of them (see `placement`).
    allowed: Option<crate::holder::placement::Allowed>,
}

/// How the holder process came to be.
enum Birth {
    /// A fork of this process, already running (see `fork_holder`).
    Forked(Pid),
    /// `claude-session __holder`, being spawned on a thread of its own (see
    /// `spawn_holder`).
    Spawning(JoinHandle<io::Result<Child>>),
}

impl Birth {
    /// The holder's pid, once the process exists.
    fn pid(self) -> Result<Pid> {
        match self {
            Birth::Forked(pid) => Ok(pid),
            Birth::Spawning(thread) => {
                let spawned = thread.join().expect("spawning a process does not panic");
                let child = spawned.context("cannot start the holder")?;
                Ok(Pid::from_raw(child.id() as i32))
            }
        }
    }
}

/// The pipe a holder speaks on until "ready", and the socket pair its
/// session comes down (the holder's ends second).
fn holder_channels() -> Result<((File, OwnedFd), (UnixStream, UnixStream))> {
    let (said, said_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .context("cannot make a pipe for the holder")?;
    let pair = UnixStream::pair().context("cannot make a socket pair for the holder")?;
    Ok(((File::from(said), said_w), pair))
}

/// Starts the holder of session `id` as a fork of this process: for a
/// starter that has opened nothing yet (`new`, first thing). Nothing is
/// loaded, so the holder listens at once, while the session is made; an
/// exec'd holder (`spawn_holder`) took longer to load than `new` took to
/// make the session (the create figure of bench/holder.sh: 4.2 -> 3.7 ms
/// on this project's 2-vCPU test machine, dtach 2.1). The child carries the
/// starter's memory as it was, small this early, and none of its
/// descriptors (see `commands::holder::run_forked`). tmux, dtach and
/// abduco start their servers this way too; like theirs, its command line
/// in `ps` is the one that started it.
///
/// Call it while this process has one thread: a fork copies only the
/// calling thread, and another one's locks (the allocator's, stdout's)
/// would stay held in the child. It checks, and spawns instead if not.
pub fn fork_holder(
    layout: &Layout,
    id: Uuid,
    claude: &Path,
    extra_args: &[String],
    size: (u16, u16),
) -> Result<PendingHolder> {
    if threads() != Some(1) {
        // Not safe to fork (see above): the slower, always safe way. No
        // caller gets here today; the tests would notice one that did.
        debug_assert!(false, "fork_holder with other threads running");
        return spawn_holder(layout, id, claude, extra_args, size);
    }
    let ((said, said_w), (handover, holder_end)) = holder_channels()?;
    let args = crate::cli::HolderArgs {
        session: id,
        claude: claude.to_path_buf(),
        rows: size.0,
        cols: size.1,
        args: extra_args.to_vec(),
    };
    // Nothing of ours half-written may be written again by the child.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let allowed = crate::holder::placement::Allowed::here();
    // SAFETY: this process has one thread (see above), so the child's
    // memory is consistent; the child never returns into our frames.
    match unsafe { nix::unistd::fork() }.context("cannot start the holder")? {
        ForkResult::Child => {
            drop((said, handover));
            crate::commands::run_forked_holder(layout, args, holder_end.into(), said_w)
        }
        ForkResult::Parent { child } => {
            drop((said_w, holder_end));
            // It sets up on another CPU, beside our own work.
            let allowed = allowed.filter(|allowed| allowed.place(child).is_some());
            Ok(PendingHolder::new(
                Birth::Forked(child),
                (handover, said),
                layout,
                id,
                allowed,
            ))
        }
    }
}

/// How many threads this process has, if known: /proc/self/stat's 20th
/// field (the 18th from field 3).
fn threads() -> Option<usize> {
    let stat = crate::run::liveness::proc_stat("self")?;
    stat.split_whitespace().nth(17)?.parse().ok()
}

/// Starts the holder of session `id` as `claude-session __holder`: for a
/// starter that has opened the registry already (`resume`, `restore`),
/// whose memory a fork would carry for the holder's whole life.
pub fn spawn_holder(
    layout: &Layout,
    id: Uuid,
    claude: &Path,
    extra_args: &[String],
    size: (u16, u16),
) -> Result<PendingHolder> {
    let exe = std::env::current_exe().context("cannot find the claude-session executable")?;
    let ((said, said_w), (handover, holder_end)) = holder_channels()?;
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
        .stdin(Stdio::from(OwnedFd::from(holder_end)))
        // Both to us until "ready" (see `commands::holder`).
        .stdout(Stdio::from(said_w.try_clone()?))
        .stderr(Stdio::from(said_w));
    // No pre_exec (the holder calls setsid itself, first thing): without
    // one, std spawns with posix_spawn, which shares our memory until the
    // exec instead of copying it, and copying (fork) stalled this thread's
    // own work by most of a millisecond.
    // `cmd` and its copies of the pipe's write end go with the thread.
    let spawning = std::thread::spawn(move || cmd.spawn());
    // The holder loads on another CPU, beside our own work (see `placement`).
    let allowed = crate::holder::placement::Allowed::here()
        .filter(|allowed| allowed.place_beside(&spawning).is_some());
    Ok(PendingHolder::new(
        Birth::Spawning(spawning),
        (handover, said),
        layout,
        id,
        allowed,
    ))
}

impl PendingHolder {
    /// `channels`: our ends of the holder's stdin and of what it says.
    fn new(
        birth: Birth,
        channels: (UnixStream, File),
        layout: &Layout,
        id: Uuid,
        allowed: Option<crate::holder::placement::Allowed>,
    ) -> PendingHolder {
        let (handover, said) = channels;
        PendingHolder {
            birth: Some(birth),
            handover: Some(handover),
            said: BufReader::new(said),
            log: layout.session_dir(id).join(crate::holder::LOG),
            allowed,
        }
    }

    /// Readies the session for Claude (`launch::prepare`, under the session
    /// lock) while the holder is still setting up, hands the holder the
    /// session, that work and the lock, runs `meanwhile` while the holder
    /// starts Claude, waits until it says Claude runs and its socket
    /// listens, and records the start in the registry (so `list` and
    /// `kill` see it the moment this returns). `meanwhile` runs whatever
    /// happens before it (a new session's fsync is owed in any case); one
    /// that fails stops the holder's Claude and is the error.
    ///
    /// Each step is placed for the time a `new --detached` takes (the
    /// create figure of bench/holder.sh): preparing here, beside the
    /// holder's own set-up, costs nothing, where in the holder it came
    /// after; and `meanwhile`'s fsync, beside the holder's start of Claude,
    /// costs far less than waiting for it before the handover did.
    pub fn start(
        mut self,
        layout: &Layout,
        registry: &mut Registry,
        session: &mut Session,
        meanwhile: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let handed = self.hand_over(layout, session);
        let done = meanwhile();
        let holder = handed?;
        let ready = self.hear(holder)?;
        if let Err(e) = done {
            // The session is not what we would tell the user it is: no
            // Claude is left running in it (the holder passes SIGTERM on,
            // and records its end).
            let _ = nix::sys::signal::kill(holder, nix::sys::signal::Signal::SIGTERM);
            return Err(anyhow::anyhow!("{e:#}; its Claude was stopped"));
        }
        // The holder writes metadata.json itself (it owns the fsync, after
        // "ready"); the row is written here, from the connection open.
        crate::run::launch::mark_started_at(
            session,
            (ready.agent, ready.agent_start),
            Some((holder.as_raw() as u32, ready.holder_start)),
        );
        crate::run::launch::record_row(registry, session);
        Ok(())
    }

    /// Prepares the session under its lock and hands both to the holder.
    fn hand_over(&mut self, layout: &Layout, session: &Session) -> Result<Pid> {
        let dir = layout.session_dir(session.session_id);
        let lock = crate::run::launch::lock_session(&dir, &session.session_name)?;
        let handover = crate::holder::handover::Handover {
            session: session.clone(),
            prepared: crate::run::launch::prepare(layout, session)?,
        };
        let holder = self.birth.take().expect("started once").pid()?;
        // Claude, which the holder starts next, inherits its CPU set.
        if let Some(allowed) = self.allowed {
            allowed.give_back(holder);
        }
        let stream = self.handover.take().expect("handed over once");
        // A holder that died before reading fails the send; `hear` finds
        // out why from what it said.
        let _ = crate::holder::handover::send(stream, &handover, &lock);
        Ok(holder)
    }

    /// Reads what the holder says until its ready line or why not.
    /// Anything else is a warning it printed while starting: the user's.
    fn hear(&mut self, holder: Pid) -> Result<crate::holder::Ready> {
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
        let _ = waitpid(holder, None);
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
        drop(self.handover.take());
        if let Some(Ok(holder)) = self.birth.take().map(Birth::pid) {
            let _ = waitpid(holder, None);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn threads_are_counted() {
        let before = super::threads().unwrap();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || wait.recv());
        assert_eq!(super::threads(), Some(before + 1));
        go.send(()).unwrap();
        let _ = thread.join();
    }
}
