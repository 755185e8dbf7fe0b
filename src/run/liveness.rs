//! Is a recorded process still the one we started? A pid alone is not
//! enough (pids are reused), so the start time from /proc is kept with it,
//! the same check Claude Code makes for its own `sessions/<pid>.json`.

use crate::store::registry::{Registry, Result};
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use std::fs;
use std::io::Read;

/// Start time of `pid` in clock ticks since boot (field 22 of
/// /proc/PID/stat), or None if there is no such live process. A zombie
/// counts as gone: it has exited, only its parent has not reaped it yet.
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = proc_stat(pid)?;
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
pub fn proc_stat(pid: impl std::fmt::Display) -> Option<String> {
    // Room for the whole line up front: one read, where read_to_string
    // on a /proc file (size 0) grows its buffer from 32 bytes, read by read.
    let mut stat = String::with_capacity(1024);
    fs::File::open(format!("/proc/{pid}/stat"))
        .and_then(|mut file| file.read_to_string(&mut stat))
        .ok()?;
    let end = stat.rfind(')')? + 1;
    stat.drain(..end);
    Some(stat)
}

/// True if the session's recorded agent process is still running.
pub fn is_live(session: &Session) -> bool {
    match (session.pid, session.pid_start) {
        (Some(pid), Some(start)) => process_start_time(pid) == Some(start),
        _ => false,
    }
}

/// True if the session's holder process is still running.
pub fn holder_is_live(session: &Session) -> bool {
    match (session.holder_pid, session.holder_start) {
        (Some(pid), Some(start)) => process_start_time(pid) == Some(start),
        _ => false,
    }
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
    if session.status == Status::Active && is_live(session) {
        if let Some(state) = claude_reported_state(layout, session) {
            session.state = Some(state.to_string());
        }
        return Ok(false);
    }
    if session.status != Status::Active || holder_is_live(session) {
        return Ok(false);
    }
    let changed = registry.mark_vanished(session.session_id, session.pid, Timestamp::now())?;
    if let Some(fresh) = registry.get(session.session_id)? {
        *session = fresh;
    }
    if changed {
        // metadata.json follows the registry; failing to write it is not
        // fatal here (the dir may be gone): the registry is the fresher copy.
        let _ = crate::store::metadata::write(layout, session);
    }
    Ok(changed)
}

/// The state an interactive Claude reports itself in its own
/// `sessions/<pid>.json` (`status`: busy, waiting, idle). It follows user
/// interrupts and API errors, after which no Stop hook fires, so it wins
/// over the hooks' state when present. Claude rewrites the file in place,
/// so a read that does not parse is tried once more.
fn claude_reported_state(
    layout: &crate::store::layout::Layout,
    session: &Session,
) -> Option<&'static str> {
    let pid = session.pid?;
    let path = layout
        .session_dir(session.session_id)
        .join("sessions")
        .join(format!("{pid}.json"));
    let read =
        || -> Option<serde_json::Value> { serde_json::from_slice(&fs::read(&path).ok()?).ok() };
    let value = read().or_else(read)?;
    match value["status"].as_str()? {
        "busy" => Some("working"),
        "waiting" => Some("waiting"),
        "idle" => Some("idle"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_live_and_stable() {
        let pid = std::process::id();
        let a = process_start_time(pid).expect("own process has a start time");
        assert_eq!(process_start_time(pid), Some(a));
    }

    #[test]
    fn reaped_child_is_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(process_start_time(pid), None);
    }
}
