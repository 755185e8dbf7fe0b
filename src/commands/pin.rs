//! `claude-session pin SESSION...` / `unpin`: a pinned session is never
//! removed by `cleanup`, whatever its age or emptiness.
//!
//! A pin is set under the session's lock, which `cleanup` and `rm` hold
//! while they remove a session: the pin lands before (and the session
//! stays) or finds the session gone (and says so). A running session's
//! lock is its launcher's; nothing removes a running session, and
//! `cleanup` checks the pin again as it deletes the row.

use crate::cli::{GlobalArgs, PinArgs};
use crate::run::lock::{Busy, SessionLock};
use crate::store::Store;
use crate::store::session::Session;
use anyhow::{Result, bail};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// A removal holds the lock for milliseconds; a starting launch, until its
/// holder has Claude running.
const PATIENCE: Duration = Duration::from_secs(2);

pub fn run(global: &GlobalArgs, args: PinArgs) -> Result<ExitCode> {
    let pinned = !args.unpin;
    let mut store = super::open_store(global)?;
    // Resolve every session before changing any.
    let mut targets: Vec<Session> = Vec::new();
    for reference in &args.sessions {
        let session = crate::store::resolve::resolve(&store.registry, reference)?;
        if !targets.iter().any(|t| t.session_id == session.session_id) {
            targets.push(session);
        }
    }
    let verb = if pinned { "pinned" } else { "unpinned" };
    let mut text = String::new();
    for target in &targets {
        let session = set(&mut store, target, pinned)?;
        text.push_str(&format!(
            "{verb} {} ({})\n",
            session.session_name,
            session.short_id()
        ));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Pins or unpins one session; an error if it is gone.
fn set(store: &mut Store, target: &Session, pinned: bool) -> Result<Session> {
    let id = target.session_id;
    let dir = store.layout.session_dir(id);
    // Unpinning lets a later cleanup remove it: no race to close.
    let _lock = match pinned {
        true => hold(&dir, target)?,
        false => None,
    };
    let session = match store.registry.set_pinned(id, pinned)? {
        true => store.registry.get(id)?,
        false => None,
    };
    let Some(session) = session else {
        bail!(
            "session {} was removed by another command meanwhile",
            target.session_name
        );
    };
    // metadata.json follows, so a rebuilt registry keeps the pin. A
    // session whose dir is gone has no metadata to keep in step.
    if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
        crate::store::metadata::write(&store.layout, &session)?;
    }
    Ok(session)
}

/// The session's lock, for as long as the pin is being set; None if a
/// launch holds it (nothing removes a session being started or running).
fn hold(dir: &Path, target: &Session) -> Result<Option<SessionLock>> {
    let patience = match target.claude_is_live() {
        true => Duration::ZERO,
        false => PATIENCE,
    };
    match SessionLock::wait(dir, &target.session_name, patience) {
        Ok(lock) => Ok(Some(lock)),
        Err(e) if e.is::<Busy>() => Ok(None),
        Err(_) if std::fs::symlink_metadata(dir).is_err() => bail!(
            "session {} has no dir (it was removed, or is being removed): nothing to pin",
            target.session_name
        ),
        Err(e) => Err(e),
    }
}
