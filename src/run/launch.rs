//! Starting Claude Code in a session: find the binary, prepare the session
//! dir, run Claude in the session's cwd with the session's environment,
//! and record its pid, exit code and end time in the registry.

use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

pub const INSTALL_HINT: &str = "install Claude Code with `npm install -g @anthropic-ai/claude-code`, or name the binary with --claude PATH or CLAUDE_BIN";

/// Finds the `claude` binary: an explicit path (flag or $CLAUDE_BIN) or the PATH.
pub fn find_claude(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        if is_executable(path) {
            return Ok(path.to_path_buf());
        }
        bail!(
            "{} is not an executable file; {INSTALL_HINT}",
            path.display()
        );
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("claude"))
        .find(|candidate| is_executable(candidate))
        .with_context(|| format!("no `claude` command on PATH; {INSTALL_HINT}"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Claude flags that choose the conversation: claude-session chooses it
/// (a new session id, or the session's latest conversation), so passing
/// them through would start or resume the wrong one.
const RESERVED_FLAGS: &[&str] = &[
    "--session-id",
    "--resume",
    "-r",
    "--continue",
    "-c",
    "--fork-session",
];

pub fn check_passthrough(args: &[String]) -> Result<()> {
    for arg in args {
        let flag = arg.split('=').next().unwrap_or(arg);
        if RESERVED_FLAGS.contains(&flag) {
            bail!(
                "{flag} cannot be passed to claude: claude-session picks the conversation itself (use `claude-session resume SESSION` to continue one)"
            );
        }
    }
    Ok(())
}

/// The model named by `--model X` / `--model=X` in Claude's arguments.
pub fn model_from_args(args: &[String]) -> Option<String> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--model" {
            return iter.next().cloned();
        }
        if let Some(model) = arg.strip_prefix("--model=") {
            return Some(model.to_string());
        }
    }
    None
}

/// Makes the session dir ready for Claude: shared links, settings,
/// `.claude.json`, credentials. Safe to run again at every launch.
/// Returns the session's own settings, which the launch needs too.
pub fn prepare_dir(
    layout: &Layout,
    session: &Session,
) -> Result<crate::claude::overrides::Overrides> {
    let dir = layout.session_dir(session.session_id);
    let mut notes = crate::claude::share::link_shared(&layout.base, &dir)?;
    let overrides = crate::claude::overrides::Overrides::load(&dir)?;
    crate::claude::share::write_settings(&layout.base, &dir, &overrides.settings)?;
    let api_key = std::env::var("ANTHROPIC_API_KEY").ok();
    let base_file = layout.base_claude_json();
    notes.extend(crate::claude::claude_json::prepare(
        &crate::claude::claude_json::Seed {
            base_file: base_file.as_deref(),
            session_dir: &dir,
            cwd: &session.working_directory,
            api_key: api_key.as_deref(),
        },
    )?);
    if !crate::claude::credentials::from_environment()
        && let Err(e) = crate::claude::credentials::sync_all(layout)
    {
        eprintln!("claude-session: warning: credentials not synced: {e:#}");
    }
    for note in notes {
        crate::store::journal::session_log(layout, session, &format!("note {note}"));
    }
    Ok(overrides)
}

/// The environment Claude runs with, on top of the caller's.
pub fn session_env(layout: &Layout, session: &Session) -> Vec<(&'static str, OsString)> {
    let dir = layout.session_dir(session.session_id);
    let mut env = vec![
        // The one variable Claude Code reads to find its state dir.
        ("CLAUDE_CONFIG_DIR", dir.clone().into_os_string()),
        ("CLAUDE_SESSION_ID", session.session_id.to_string().into()),
        ("CLAUDE_SESSION_NAME", session.session_name.clone().into()),
        ("CLAUDE_SESSION_DIR", dir.into_os_string()),
        // So a claude-session run inside the session (by a hook, an MCP
        // server or Claude's Bash tool) finds the same store and base.
        ("CLAUDE_SESSION_HOME", layout.store.clone().into_os_string()),
        ("CLAUDE_SESSION_BASE", layout.base.clone().into_os_string()),
    ];
    // Plugins load from the base's cache through this variable; a linked
    // plugins/ dir would make every start write into the shared cache.
    let plugins = layout.base.join("plugins");
    if plugins.is_dir() && std::env::var_os("CLAUDE_CODE_PLUGIN_CACHE_DIR").is_none() {
        env.push(("CLAUDE_CODE_PLUGIN_CACHE_DIR", plugins.into_os_string()));
    }
    env
}

/// The pid of the running agent, for the signal handler.
static AGENT_PID: AtomicI32 = AtomicI32::new(0);

/// Names the process that SIGTERM and SIGHUP are passed on to.
pub fn set_agent_pid(pid: u32) {
    AGENT_PID.store(pid as i32, Ordering::SeqCst);
}

extern "C" fn forward_signal(sig: nix::libc::c_int) {
    let pid = AGENT_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe; pid is our own child.
        unsafe { nix::libc::kill(pid, sig) };
    }
}

extern "C" fn ignore_signal(_: nix::libc::c_int) {}

/// While Claude runs, the launcher must outlive it to record its exit.
/// SIGINT and SIGQUIT from the terminal reach Claude directly (same process
/// group), so the launcher only ignores them (through a handler, which exec
/// resets, so Claude still gets the default behaviour). SIGTERM and SIGHUP
/// sent to the launcher alone are passed on to Claude.
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
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        AGENT_PID.store(0, Ordering::SeqCst);
        for (signal, old) in &self.saved {
            // SAFETY: restores the dispositions saved in `install`.
            let _ = unsafe { sigaction(*signal, old) };
        }
    }
}

/// How Claude ended.
pub struct Outcome {
    pub status: Status,
    /// The exit code, or 128 + signal number if it was killed.
    pub exit_code: i32,
}

/// What to run: Claude with the session's arguments, cwd and environment.
pub struct Plan {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    pub env: Vec<(&'static str, OsString)>,
}

impl Plan {
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .current_dir(&self.cwd)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }
}

/// What a launch makes ready on disk before Claude starts (see `prepare`),
/// with what of it Claude's command line needs. A holder's starter
/// prepares it while the holder sets up and hands it over with the session.
#[derive(Debug, Serialize, Deserialize)]
pub struct Prepared {
    pub overrides: crate::claude::overrides::Overrides,
    /// Whether the session's MCP templates were rendered into
    /// `<session>/mcp.json` (a flag, not the path: a path in the store
    /// need not be UTF-8, and JSON carries only UTF-8).
    pub mcp_config: bool,
}

/// Readies the session for a launch: its working dir checked, its dir
/// prepared (`prepare_dir`), its MCP config rendered. Call with the
/// session lock held.
pub fn prepare(layout: &Layout, session: &Session) -> Result<Prepared> {
    let cwd = &session.working_directory;
    if !cwd.is_dir() {
        bail!(
            "its working directory {} no longer exists; Claude Code can only resume a conversation from the directory it started in, so recreate it",
            cwd.display()
        );
    }
    let overrides = prepare_dir(layout, session)?;
    let mcp_config = render_mcp(layout, session)?.is_some();
    Ok(Prepared {
        overrides,
        mcp_config,
    })
}

/// Decides Claude's arguments in a prepared session: the latest
/// conversation is resumed, or the first one started under the session id.
pub fn plan(
    layout: &Layout,
    session: &mut Session,
    claude: &Path,
    extra_args: &[String],
    prepared: Prepared,
) -> Plan {
    let Prepared {
        overrides,
        mcp_config,
    } = prepared;
    let mut args: Vec<OsString> = match crate::claude::transcript::latest_conversation(
        &layout.session_dir(session.session_id),
    ) {
        Some(conversation) => vec!["--resume".into(), conversation.to_string().into()],
        None => vec!["--session-id".into(), session.session_id.to_string().into()],
    };
    // The session's own settings, then its MCP servers, then what was
    // typed after `--` (last, so it wins for flags given twice).
    args.extend(overrides.args());
    if mcp_config {
        args.push("--mcp-config".into());
        let config = layout
            .session_dir(session.session_id)
            .join(crate::claude::mcp::RENDERED);
        args.push(config.into_os_string());
    }
    args.extend(extra_args.iter().map(OsString::from));
    if let Some(model) = model_from_args(extra_args).or(overrides.model) {
        session.model = Some(model);
    }
    Plan {
        program: claude.to_path_buf(),
        args,
        cwd: session.working_directory.clone(),
        env: session_env(layout, session),
    }
}

/// Renders the session's MCP template (the base's `session-mcp.json` and
/// the session's own) into `<session>/mcp.json`; None if there is none.
fn render_mcp(layout: &Layout, session: &Session) -> Result<Option<PathBuf>> {
    let dir = layout.session_dir(session.session_id);
    let mut templates = Vec::new();
    for path in [
        layout.base.join(crate::claude::mcp::BASE_TEMPLATE),
        dir.join(crate::claude::overrides::MCP_TEMPLATE),
    ] {
        if path.is_file() {
            templates.push(crate::claude::mcp::read_template(&path)?);
        }
    }
    if templates.is_empty() {
        return Ok(None);
    }
    let ctx = crate::claude::mcp::RenderContext {
        session_dir: &dir,
        session_id: session.session_id.to_string(),
        session_name: &session.session_name,
    };
    let merged = crate::claude::mcp::merge_templates(&templates);
    let rendered = crate::claude::mcp::render(
        &merged,
        &ctx,
        &layout.sessions_dir(),
        &layout.store.join("ports.lock"),
    )?;
    let path = dir.join(crate::claude::mcp::RENDERED);
    let mut bytes = serde_json::to_vec_pretty(&rendered).expect("JSON serializes");
    bytes.push(b'\n');
    crate::util::fsutil::write_private_atomic(
        &path,
        &bytes,
        crate::util::fsutil::Durability::Regenerated,
    )
    .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

/// Records that Claude runs as `pid` (under the holder `holder`, if any).
pub fn record_started(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    plan: &Plan,
    pid: u32,
    holder: Option<u32>,
) {
    mark_started(session, pid, holder);
    // Claude is already running: a failure to record is reported, not fatal.
    record(layout, Some(registry), session);
    log_started(layout, session, plan);
}

/// Sets the fields of a run that has just started: Claude's pid, its
/// holder's, both with their start times (pids are reused).
pub fn mark_started(session: &mut Session, pid: u32, holder: Option<u32>) {
    let started = |pid: u32| (pid, crate::run::liveness::process_start_time(pid));
    mark_started_at(session, started(pid), holder.map(started));
}

/// Like `mark_started`, with the start times already read (by a holder).
pub fn mark_started_at(
    session: &mut Session,
    (pid, pid_start): (u32, Option<u64>),
    holder: Option<(u32, Option<u64>)>,
) {
    session.status = Status::Active;
    session.pid = Some(pid);
    session.pid_start = pid_start;
    session.holder_pid = holder.map(|(pid, _)| pid);
    session.holder_start = holder.and_then(|(_, start)| start);
    session.clients = 0;
    session.state = None;
    session.last_activity = Timestamp::now();
    session.end_time = None;
    session.exit_code = None;
}

/// The `started` line in the session's log.
pub fn log_started(layout: &Layout, session: &Session, plan: &Plan) {
    let shown: Vec<String> = plan
        .args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let pid = session.pid.unwrap_or_default();
    let under = session
        .holder_pid
        .map(|h| format!(" holder={h}"))
        .unwrap_or_default();
    crate::store::journal::session_log(
        layout,
        session,
        &format!("started pid={pid}{under} args={shown:?}"),
    );
}

/// Records how Claude ended and syncs its credentials to the base and every
/// session. Without a registry (it could not be opened), metadata.json alone.
pub fn record_exit(
    layout: &Layout,
    registry: Option<&mut Registry>,
    session: &mut Session,
    status: ExitStatus,
) -> Outcome {
    let outcome = match (status.code(), status.signal()) {
        (Some(code), _) => Outcome {
            status: Status::Stopped,
            exit_code: code,
        },
        (None, Some(sig)) => Outcome {
            status: Status::Crashed,
            exit_code: 128 + sig,
        },
        (None, None) => Outcome {
            status: Status::Crashed,
            exit_code: 1,
        },
    };
    let now = Timestamp::now();
    session.status = outcome.status;
    session.exit_code = Some(outcome.exit_code);
    session.end_time = Some(now);
    session.last_activity = now;
    session.clear_runtime();
    record(layout, registry, session);
    crate::store::journal::session_log(
        layout,
        session,
        &format!(
            "exited status={} code={}",
            outcome.status, outcome.exit_code
        ),
    );
    if !crate::claude::credentials::from_environment()
        && let Err(e) = crate::claude::credentials::sync_all(layout)
    {
        eprintln!("claude-session: warning: credentials not synced: {e:#}");
    }
    outcome
}

/// Runs Claude in the session in this terminal, without a holder, and waits.
pub fn run_foreground(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    claude: &Path,
    extra_args: &[String],
) -> Result<Outcome> {
    let _lock = lock_session(
        &layout.session_dir(session.session_id),
        &session.session_name,
    )?;
    let prepared = prepare(layout, session)?;
    let plan = plan(layout, session, claude, extra_args, prepared);
    let guard = SignalGuard::install();
    let mut child = plan
        .command()
        .spawn()
        .with_context(|| format!("cannot start {}", claude.display()))?;
    let pid = child.id();
    AGENT_PID.store(pid as i32, Ordering::SeqCst);
    record_started(layout, registry, session, &plan, pid, None);
    let status = child.wait().context("lost track of the Claude process")?;
    drop(guard);
    Ok(record_exit(layout, Some(registry), session, status))
}

/// Holds `<session>/.lock` for as long as this launcher runs Claude, so two
/// launches of one session (two terminals typing `resume` at once) cannot
/// both start Claude, and `rm` cannot delete a session being started. The
/// lock is the open lock file, released when its last descriptor closes:
/// with the launcher, so it never goes stale, or in the holder it was
/// handed to (see `runner::PendingHolder`), so it never has a gap.
pub struct SessionLock(File);

impl SessionLock {
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

pub fn lock_session(dir: &Path, name: &str) -> Result<SessionLock> {
    let path = dir.join(".lock");
    let file = crate::util::fsutil::open_lock_file(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match flock_exclusive(&file) {
        Ok(()) => Ok(SessionLock(file)),
        Err(Errno::EWOULDBLOCK) => {
            bail!(
                "session {name} is in use by another claude-session process (starting, running or being deleted)"
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// flock(LOCK_EX | LOCK_NB). Not nix's `Flock`: it unlocks when dropped,
/// which would take the lock from a holder it was handed to.
fn flock_exclusive(file: &File) -> std::result::Result<(), Errno> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock(2) on a descriptor `file` keeps open.
    let rc = unsafe { nix::libc::flock(file.as_raw_fd(), nix::libc::LOCK_EX | nix::libc::LOCK_NB) };
    Errno::result(rc).map(drop)
}

/// Writes the session to its registry row and its metadata.json. Without a
/// registry (it could not be opened), metadata.json alone: it is the
/// source of truth, and `rebuild` brings the row back in line.
pub fn record(layout: &Layout, registry: Option<&mut Registry>, session: &mut Session) {
    if let Some(registry) = registry {
        record_row(registry, session);
    }
    if let Err(e) = crate::store::metadata::write(layout, session) {
        eprintln!("claude-session: warning: {e:#}");
    }
}

/// Writes the session to its registry row only.
pub fn record_row(registry: &mut Registry, session: &mut Session) {
    take_fresh(registry, session);
    if let Err(e) = registry.update(session) {
        eprintln!("claude-session: warning: {e}");
    }
}

/// Takes from the registry row what others change there while Claude runs
/// (the hooks: counters, state, conversation; `pin`: the pin), so a write
/// of ours never undoes theirs. Returns the row as it was.
pub fn take_fresh(registry: &mut Registry, session: &mut Session) -> Option<Session> {
    let fresh = registry.get(session.session_id).ok().flatten()?;
    session.message_count = fresh.message_count;
    session.tool_call_count = fresh.tool_call_count;
    session.conversation_id = fresh.conversation_id.clone();
    session.pinned = fresh.pinned;
    session.last_activity = session.last_activity.max(fresh.last_activity);
    if session.status == Status::Active {
        session.state = fresh.state.clone();
    }
    Some(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_flags_are_refused() {
        assert!(
            check_passthrough(&["--model".into(), "opus".into(), "-p".into(), "hi".into()]).is_ok()
        );
        for bad in ["--resume", "-r", "--session-id=x", "-c", "--fork-session"] {
            assert!(check_passthrough(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn model_is_read_from_args() {
        assert_eq!(
            model_from_args(&["--model".into(), "opus".into()]),
            Some("opus".into())
        );
        assert_eq!(
            model_from_args(&["--model=sonnet".into()]),
            Some("sonnet".into())
        );
        assert_eq!(model_from_args(&["-p".into()]), None);
    }
}
