//! A run's life on record: the one way a launcher or a holder writes that
//! Claude started, what changed while it runs, and how it ended, to the
//! registry row, `metadata.json` (from which the registry can be rebuilt)
//! and the session's `session.log`.
//!
//! Whoever runs Claude records its run, start and end, one after the other
//! from one process, so an end is never overwritten by its own start.

use crate::run::plan::Plan;
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::{Session, Status};
use crate::util::process::Process;
use crate::util::timestamp::Timestamp;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// How Claude ended.
pub struct Outcome {
    pub status: Status,
    /// The exit code, or 128 + signal number if it was killed.
    pub exit_code: i32,
}

impl Outcome {
    pub fn of(status: ExitStatus) -> Outcome {
        match (status.code(), status.signal()) {
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
        }
    }
}

/// Claude runs as `claude`, under `holder` (None in the foreground).
pub fn started(
    layout: &Layout,
    registry: Option<&mut Registry>,
    session: &mut Session,
    (claude, holder): (Option<Process>, Option<Process>),
    plan: &Plan,
) {
    session.status = Status::Active;
    session.claude = claude;
    session.holder = holder;
    session.clients = 0;
    session.state = None;
    session.state_detail = None;
    session.state_since = None;
    session.last_activity = Timestamp::now();
    session.end_time = None;
    session.exit_code = None;
    save(layout, registry, session);
    let pid = claude.map_or(0, |p| p.pid);
    let under = holder
        .map(|h| format!(" holder={}", h.pid))
        .unwrap_or_default();
    crate::store::journal::session_log(
        layout,
        session,
        &format!("started pid={pid}{under} args={:?}", plan.shown_args()),
    );
}

/// Claude exited to hibernate (the session's holder keeps it).
pub fn hibernated(layout: &Layout, registry: Option<&mut Registry>, session: &mut Session) {
    if let Some(claude) = session.claude {
        crate::claude::outside::clean_after(&layout.session_dir(session.session_id), claude.pid);
    }
    session.status = Status::Hibernated;
    session.claude = None;
    session.state = None;
    save(layout, registry, session);
    crate::run::prepare::sync_login(layout);
}

/// A hibernated session was stopped: nothing runs in it any more.
pub fn stopped(layout: &Layout, registry: Option<&mut Registry>, session: &mut Session) -> Outcome {
    let outcome = Outcome {
        status: Status::Stopped,
        exit_code: 0,
    };
    session.status = outcome.status;
    session.exit_code = Some(0);
    session.end_time = Some(Timestamp::now());
    session.clear_runtime();
    save(layout, registry, session);
    crate::store::journal::session_log(layout, session, "stopped while hibernated");
    outcome
}

/// Claude ended with `status`; the login it may have refreshed is spread.
pub fn exited(
    layout: &Layout,
    registry: Option<&mut Registry>,
    session: &mut Session,
    status: ExitStatus,
) -> Outcome {
    let outcome = Outcome::of(status);
    if let Some(claude) = session.claude {
        crate::claude::outside::clean_after(&layout.session_dir(session.session_id), claude.pid);
    }
    let now = Timestamp::now();
    session.status = outcome.status;
    session.exit_code = Some(outcome.exit_code);
    session.end_time = Some(now);
    session.last_activity = now;
    session.clear_runtime();
    save(layout, registry, session);
    crate::store::journal::session_log(
        layout,
        session,
        &format!(
            "exited status={} code={}",
            outcome.status, outcome.exit_code
        ),
    );
    crate::run::prepare::sync_login(layout);
    outcome
}

/// Writes the session to its registry row and its metadata.json, keeping
/// what others changed in the row meanwhile (see `take_fresh`). Without a
/// registry (it could not be opened), metadata.json alone: it is the
/// source of truth, and `rebuild` brings the row back in line. Failures
/// are warnings: Claude runs (or ran) whatever the record says.
pub fn save(layout: &Layout, registry: Option<&mut Registry>, session: &mut Session) {
    if let Some(registry) = registry {
        take_fresh(registry, session);
        if let Err(e) = registry.update(session) {
            crate::util::output::warn(e);
        }
    }
    if let Err(e) = crate::store::metadata::write(layout, session) {
        crate::util::output::warn(format!("{e:#}"));
    }
}

/// Takes from the registry row what others change there while Claude runs
/// (the hooks: counters, state, conversation; `pin`: the pin), so a write
/// of ours never undoes theirs.
fn take_fresh(registry: &mut Registry, session: &mut Session) {
    let Ok(Some(fresh)) = registry.get(session.session_id) else {
        return;
    };
    session.message_count = fresh.message_count;
    session.tool_call_count = fresh.tool_call_count;
    session.conversation_id = fresh.conversation_id.clone();
    session.pinned = fresh.pinned;
    session.last_activity = session.last_activity.max(fresh.last_activity);
    if session.status == Status::Active {
        session.state = fresh.state.clone();
        session.state_detail = fresh.state_detail.clone();
        session.state_since = fresh.state_since;
    }
}
