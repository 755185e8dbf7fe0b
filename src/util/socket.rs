//! Is anyone listening on a Unix socket? Asked without waiting: a busy
//! listener (its backlog full) must not stall the caller, as a blocking
//! connect would.

use nix::errno::Errno;
use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, connect, socket};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// What a connection attempt says of a socket file.
#[derive(Debug, PartialEq, Eq)]
pub enum Probe {
    /// A listener accepted the connection.
    Live,
    /// A listener is there but its backlog is full: busy, not gone.
    Busy,
    /// Nobody listens: whoever bound it died without removing it.
    Refused,
    /// No such file (any more).
    Gone,
    /// Not a socket, or the attempt failed some other way.
    Other(String),
}

pub fn probe(path: &Path) -> Probe {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Probe::Gone,
        Err(e) => return Probe::Other(e.to_string()),
        Ok(meta) if !meta.file_type().is_socket() => {
            return Probe::Other("not a socket".into());
        }
        Ok(_) => {}
    }
    let attempt = (|| {
        let fd = socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &UnixAddr::new(path)?)
    })();
    match attempt {
        Ok(()) => Probe::Live,
        Err(Errno::EAGAIN) => Probe::Busy,
        Err(Errno::ECONNREFUSED) => Probe::Refused,
        Err(Errno::ENOENT) => Probe::Gone,
        Err(e) => Probe::Other(e.desc().to_string()),
    }
}
