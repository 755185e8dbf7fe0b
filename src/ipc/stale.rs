//! The one rule for a stale holder socket, used by the holder before it
//! binds, by `cleanup --orphaned` and by `doctor --fix`: a socket is stale
//! when it is named after a session id, is a socket, and a connection to
//! it is refused (nobody listens). A holder that answers, one too busy to
//! accept (its backlog full), and any file not named as a holder names its
//! socket are left alone.

pub use crate::util::socket::{Probe, probe};
use std::path::Path;
use uuid::Uuid;

/// The session a holder socket file name belongs to: `<id>.sock`, the id
/// written as the store writes it.
pub fn session_of(path: &Path) -> Option<Uuid> {
    let name = path.file_name()?.to_str()?.strip_suffix(".sock")?;
    Uuid::parse_str(name)
        .ok()
        .filter(|id| id.to_string() == name)
}

/// The rule: named after a session, a socket, and refused.
pub fn is_stale(path: &Path) -> bool {
    session_of(path).is_some() && probe(path) == Probe::Refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn only_a_refused_session_socket_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let id = Uuid::new_v4();
        let path = dir.path().join(format!("{id}.sock"));
        // Listening: live.
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(probe(&path), Probe::Live);
        assert!(!is_stale(&path));
        // Nobody listens any more: stale.
        drop(listener);
        assert_eq!(probe(&path), Probe::Refused);
        assert!(is_stale(&path));
        // Refused, but not named after a session: not ours to judge.
        let other = dir.path().join("other.sock");
        drop(UnixListener::bind(&other).unwrap());
        assert!(!is_stale(&other));
        let upper = dir
            .path()
            .join(format!("{}.sock", id.to_string().to_uppercase()));
        drop(UnixListener::bind(&upper).unwrap());
        assert!(!is_stale(&upper));
        // A regular file with a session's name: not a socket.
        let file = dir.path().join(format!("{}.sock", Uuid::new_v4()));
        std::fs::write(&file, "").unwrap();
        assert!(matches!(probe(&file), Probe::Other(_)));
        assert!(!is_stale(&file));
        assert_eq!(probe(&dir.path().join("gone.sock")), Probe::Gone);
    }

    #[test]
    fn a_busy_holder_is_not_stale_and_does_not_stall_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{}.sock", Uuid::new_v4()));
        let listener = UnixListener::bind(&path).unwrap();
        // Fill the backlog: nobody accepts, and each connection that got
        // in waits there, closed or not.
        let busy = (0..100_000).any(|_| match probe(&path) {
            Probe::Busy => true,
            Probe::Live => false,
            other => panic!("{other:?}"),
        });
        assert!(busy, "the backlog never filled");
        assert!(!is_stale(&path));
        drop(listener);
    }
}
