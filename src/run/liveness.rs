//! Rows are a belief: a session recorded as running is checked against the
//! process table (see `util::process`), and its live state against what
//! Claude itself reports.

use crate::store::registry::{Registry, Result};
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;

/// Every session, most recently active first, each reconciled.
pub fn all(registry: &mut Registry, layout: &crate::store::layout::Layout) -> Result<Vec<Session>> {
    let mut sessions = registry.all()?;
    for session in sessions.iter_mut() {
        reconcile(registry, layout, session)?;
    }
    Ok(sessions)
}

/// Brings a session's status in line with reality: an `active` session
/// whose Claude is gone, and whose launcher or holder is gone too (else it
/// is about to record the exit), becomes `crashed` with no exit code.
/// Returns true if the row changed.
pub fn reconcile(
    registry: &mut Registry,
    layout: &crate::store::layout::Layout,
    session: &mut Session,
) -> Result<bool> {
    if session.status == Status::Hibernated {
        // Nothing ran but the holder: gone (a reboot), the session is
        // still hibernated, for `restore` or `resume` to bring back.
        if session.holder.is_some() && !session.holder_is_live() {
            session.holder = None;
            session.clients = 0;
            let _ = registry.update(session);
            let _ = crate::store::metadata::write(layout, session);
        }
        return Ok(false);
    }
    if session.status == Status::Active && session.claude_is_live() {
        if let Some(state) = claude_reported_state(layout, session) {
            session.state = Some(state.to_string());
        }
        return Ok(false);
    }
    if session.status != Status::Active || session.holder_is_live() {
        return Ok(false);
    }
    let pid = session.claude.map(|p| p.pid);
    let changed = registry.mark_vanished(session.session_id, pid, Timestamp::now())?;
    if let Some(fresh) = registry.get(session.session_id)? {
        *session = fresh;
    }
    if changed {
        if let Some(pid) = pid {
            crate::claude::outside::clean_after(&layout.session_dir(session.session_id), pid);
        }
        // metadata.json follows the registry; failing to write it is not
        // fatal here (the dir may be gone): the registry is the fresher copy.
        let _ = crate::store::metadata::write(layout, session);
        // Nobody was left to log the end (a holder killed by SIGKILL, a
        // reboot): said here, where it is found.
        if layout.session_dir(session.session_id).is_dir() {
            crate::store::journal::session_log(
                layout,
                session,
                "crashed: Claude and whoever ran it are gone, without a recorded end",
            );
        }
    }
    Ok(changed)
}

/// The state an interactive Claude reports itself (see `claude::live`):
/// it wins over the hooks' state when present.
fn claude_reported_state(
    layout: &crate::store::layout::Layout,
    session: &Session,
) -> Option<&'static str> {
    let pid = session.claude?.pid;
    crate::claude::live::status(&layout.session_dir(session.session_id), pid)?.state()
}
