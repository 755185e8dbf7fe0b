//! `claude-session rm SESSION...`: delete sessions, never a running one
//! unless --force, never anything outside the session dir.

use crate::cli::{GlobalArgs, RmArgs};
use crate::run::liveness;
use crate::store::Store;
use crate::store::session::Session;
use anyhow::{Result, bail};
use nix::sys::signal::Signal;
use serde::Serialize;
use std::fs;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long a running Claude gets to exit after SIGTERM before SIGKILL:
/// long enough to flush its transcript, short enough not to look hung.
const GRACE: Duration = Duration::from_secs(5);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Removal {
    session_id: String,
    session_name: String,
    session_dir: String,
    bytes: u64,
    removed: bool,
    /// Its worktree, removed with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    worktree: Option<crate::worktree::removal::Removed>,
}

pub fn run(global: &GlobalArgs, args: RmArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    // Resolve and check every session before deleting any.
    let mut targets: Vec<Session> = Vec::new();
    for reference in &args.sessions {
        let mut session = crate::store::resolve::resolve(&store.registry, reference)?;
        liveness::reconcile(&mut store.registry, &layout, &mut session)?;
        if session.is_running() && !args.force {
            let what = match session.claude {
                Some(claude) => format!("running (pid {})", claude.pid),
                None => "hibernated under its holder".to_string(),
            };
            bail!(
                "session {} is {what}; quit Claude first, or pass --force to stop it",
                session.session_name,
            );
        }
        let dir = layout.session_dir(session.session_id);
        if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            bail!(
                "the dir of session {} ({}) is a symbolic link, not a dir claude-session made; nothing is followed out of the store: remove the link by hand, then `rm` again",
                session.session_name,
                dir.display()
            );
        }
        if !args.force {
            crate::worktree::removal::check_nothing_lost(&session)?;
        }
        if !targets.iter().any(|t| t.session_id == session.session_id) {
            targets.push(session);
        }
    }
    let mut report = Vec::new();
    let mut gone = Vec::new();
    for session in &targets {
        let dir = layout.session_dir(session.session_id);
        let bytes = crate::util::fsutil::tree_size(&dir);
        let worktree = match args.dry_run {
            true => None,
            false => match remove(&mut store, session, args.force) {
                Ok(worktree) => {
                    gone.push(session.session_id);
                    worktree
                }
                Err(e) => {
                    // Those removed before it leave the index all the same.
                    crate::search::forget_deleted(&layout, &gone);
                    return Err(e);
                }
            },
        };
        report.push(Removal {
            session_id: session.session_id.to_string(),
            session_name: session.session_name.clone(),
            session_dir: dir.display().to_string(),
            bytes,
            removed: !args.dry_run,
            worktree,
        });
    }
    crate::search::forget_deleted(&layout, &gone);
    if args.json {
        crate::util::output::emit_json(&report)?;
    } else {
        let verb = if args.dry_run {
            "would remove"
        } else {
            "removed"
        };
        let mut text = String::new();
        for r in &report {
            text.push_str(&format!(
                "{verb} {} ({}), {}\n",
                r.session_name,
                &r.session_id[..8],
                crate::util::output::human_bytes(r.bytes)
            ));
            if let Some(worktree) = &r.worktree {
                text.push_str(&format!("{worktree}\n"));
            }
        }
        crate::util::output::emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes one session: stop it if forced, then, holding its lock, its
/// worktree (`crate::worktree::removal`), then dir and row together
/// (`crate::store::removal`: never outside the session dir).
fn remove(
    store: &mut Store,
    session: &Session,
    force: bool,
) -> Result<Option<crate::worktree::removal::Removed>> {
    let dir = store.layout.session_dir(session.session_id);
    if force && session.is_running() {
        stop(session)?;
    }
    let _lock = if fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
        Some(crate::run::lock::SessionLock::wait(
            &dir,
            &session.session_name,
            GRACE,
        )?)
    } else {
        None
    };
    let worktree = crate::worktree::removal::remove_with_session(session, force)?;
    crate::store::removal::remove_session(&mut store.registry, &store.layout, session, "delete")?;
    Ok(worktree)
}

/// Stops it (see `launch::stop`) and waits, up to `GRACE`, for Claude and
/// its holder to be gone; SIGKILL for a foreground Claude that is not.
fn stop(session: &Session) -> Result<()> {
    super::launch::stop(session, GRACE)?;
    let deadline = Instant::now() + GRACE + Duration::from_secs(1);
    while session.is_running() {
        if Instant::now() > deadline {
            if let Some(claude) = session.claude {
                claude.signal(Signal::SIGKILL);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
