//! Append-only logs: the store's `audit.log` (who created, resumed or
//! deleted which session, from where) and each session's `session.log`.

use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;

/// One audit line: `<UTC time> <action> user=<u> ssh=<client|-> id=<uuid> name=<name>`.
/// A failed audit write does not undo the action; it is reported, naming
/// the line that is missing.
pub fn audit(layout: &Layout, action: &str, session: &Session) {
    let ssh = match &session.ssh_client {
        Some(client) => format!("{client:?}"),
        None => "-".to_string(),
    };
    let line = format!(
        "{} {action} user={} ssh={ssh} id={} name={}",
        Timestamp::now(),
        crate::util::user::name(),
        session.session_id,
        session.session_name
    );
    if let Err(e) = crate::util::fsutil::append_private_line(&layout.audit_log(), &line) {
        crate::util::output::warn(format!(
            "{action} of session {} ({}) is not in the audit log: cannot write {}: {e}",
            session.session_name,
            session.session_id,
            layout.audit_log().display()
        ));
    }
}

/// A life-cycle line in the session's own `session.log`.
pub fn session_log(layout: &Layout, session: &Session, what: &str) {
    let path = layout.session_dir(session.session_id).join("session.log");
    let line = format!("{} {what}", Timestamp::now());
    if let Err(e) = crate::util::fsutil::append_private_line(&path, &line) {
        crate::util::output::warn(format!("cannot write {}: {e}", path.display()));
    }
}
