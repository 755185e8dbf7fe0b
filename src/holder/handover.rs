//! What a starter hands its holder: the session, how to run Claude in it,
//! and the session lock itself. Internal, not versioned: both ends are one
//! build (the starter runs its own executable).
//!
//! It travels over a socket pair that is the holder's stdin: the session
//! and its preparation as JSON, the lock's descriptor beside the first
//! bytes (SCM_RIGHTS). The lock is the open lock file, so the holder holds
//! the very lock its starter took and no other launch or `rm` can come in
//! between, as one could when the starter let go and the holder locked
//! again.

use crate::run::lock::SessionLock;
use crate::run::plan::Invocation;
use crate::store::session::Session;
use anyhow::{Context, Result, bail};
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

#[derive(Serialize, Deserialize)]
pub struct Handover {
    /// The session as its starter read or made its row.
    pub session: Session,
    /// The binary, the arguments, `--notify`.
    pub invocation: Invocation,
    /// The terminal size Claude starts with (rows, columns).
    pub size: (u16, u16),
    /// The starter attaches once Claude runs: its terminal is owed the
    /// end of a Claude that exits before it connects.
    pub attach: bool,
    /// How long the starter watches Claude's start after `ready` (see
    /// `holder::start::PendingHolder::start`); None: not at all.
    pub watch_start: Option<std::time::Duration>,
    /// Start hibernated, without Claude (`restore` of a session that
    /// hibernated before a reboot).
    #[serde(default)]
    pub hibernated: bool,
}

/// Sends `handover` and the lock down `stream` (the starter's end), then
/// closes it: the holder reads to the end. A holder that died before
/// reading fails the send; its starter finds that out from its silence.
pub fn send(stream: UnixStream, handover: &Handover, lock: &SessionLock) -> std::io::Result<()> {
    let json = serde_json::to_vec(handover).map_err(std::io::Error::other)?;
    let fds = [lock.as_fd().as_raw_fd()];
    let sent = sendmsg::<()>(
        stream.as_raw_fd(),
        &[IoSlice::new(&json)],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )?;
    // A stream socket may take part of it; the descriptor went with the
    // first byte.
    (&stream).write_all(&json[sent..])
}

/// Receives the handover on `stream` (the holder's stdin), with the lock.
pub fn receive(stream: &UnixStream) -> Result<(Handover, SessionLock)> {
    // A session is a few hundred bytes (more with a big --settings file):
    // one read for all of it usually, not a buffer grown from 32 bytes.
    let mut json = vec![0; 16 * 1024];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let (bytes, mut fds) = {
        let mut iov = [IoSliceMut::new(&mut json)];
        let msg = recvmsg::<()>(
            stream.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .context("cannot read the session from the starter")?;
        let mut fds = Vec::new();
        for message in msg.cmsgs().context("cannot read the session lock")? {
            if let ControlMessageOwned::ScmRights(received) = message {
                // SAFETY: descriptors the kernel has just given this process.
                fds.extend(
                    received
                        .into_iter()
                        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                );
            }
        }
        (msg.bytes, fds)
    };
    json.truncate(bytes);
    if bytes > 0 {
        let mut rest = stream;
        rest.read_to_end(&mut json)
            .context("cannot read the session from the starter")?;
    }
    if json.is_empty() {
        bail!("the starter sent no session");
    }
    let handover = serde_json::from_slice(&json).context("the starter sent no valid session")?;
    let fd = fds.pop().context("the starter sent no session lock")?;
    Ok((handover, SessionLock::adopt(File::from(fd))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handover of session "alpha".
    fn alpha(dir: &std::path::Path) -> Handover {
        Handover {
            session: Session::new(
                uuid::Uuid::new_v4(),
                "alpha",
                dir.to_path_buf(),
                crate::util::timestamp::Timestamp::now(),
            ),
            invocation: Invocation {
                claude: "/bin/claude".into(),
                args: vec!["--model".into(), "opus".into()],
                notify: None,
                conversation: None,
            },
            size: (40, 120),
            attach: false,
            watch_start: None,
            hibernated: false,
        }
    }

    #[test]
    fn the_lock_travels_with_the_session_and_stays_locked() {
        let dir = tempfile::tempdir().unwrap();
        let handover = alpha(dir.path());
        let (starter, holder) = UnixStream::pair().unwrap();
        let lock = SessionLock::take(dir.path(), "alpha").unwrap();
        send(starter, &handover, &lock).unwrap();
        drop(lock);
        // Still locked: the descriptor in flight holds it.
        assert!(SessionLock::take(dir.path(), "alpha").is_err());
        let (got, lock) = receive(&holder).unwrap();
        assert_eq!(got.session.session_name, "alpha");
        assert!(SessionLock::take(dir.path(), "alpha").is_err());
        drop(lock);
        assert!(SessionLock::take(dir.path(), "alpha").is_ok());
    }

    #[test]
    fn a_session_without_its_lock_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let handover = alpha(dir.path());
        let (mut starter, holder) = UnixStream::pair().unwrap();
        starter
            .write_all(&serde_json::to_vec(&handover).unwrap())
            .unwrap();
        drop(starter);
        let err = receive(&holder).err().unwrap();
        assert_eq!(err.to_string(), "the starter sent no session lock");
    }

    #[test]
    fn a_starter_that_sends_nothing_is_an_error() {
        let (starter, holder) = UnixStream::pair().unwrap();
        drop(starter);
        let err = receive(&holder).err().unwrap();
        assert_eq!(err.to_string(), "the starter sent no session");
    }
}
