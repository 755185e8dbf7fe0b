//! Where a session's holder listens, and talking to it.
//!
//! Sockets live in `$XDG_RUNTIME_DIR/claude-session/`, or in
//! `/tmp/claude-session-<uid>/` when that is unset; both 0700 and checked to
//! be ours. A client tries both, so a shell without XDG_RUNTIME_DIR (su,
//! cron) still finds a holder started from an SSH login.

use crate::ipc::protocol::{self, Hello, PROTOCOL, Reply, Request};
use anyhow::{Context, Result, bail};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

pub fn candidate_dirs() -> Vec<PathBuf> {
    let uid = nix::unistd::getuid();
    let mut dirs = Vec::new();
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(runtime).join("claude-session"));
    }
    dirs.push(PathBuf::from(format!("/tmp/claude-session-{uid}")));
    dirs
}

/// The socket a new holder binds, making its dir (0700, ours, no link).
pub fn bind_path(id: Uuid) -> Result<PathBuf> {
    let mut last_error = None;
    for dir in candidate_dirs() {
        match private_dir(&dir) {
            Ok(()) => {
                let path = dir.join(format!("{id}.sock"));
                if path.as_os_str().len() > MAX_SOCKET_PATH {
                    last_error = Some(anyhow::anyhow!(
                        "socket path {} is longer than 107 bytes",
                        path.display()
                    ));
                    continue;
                }
                return Ok(path);
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no socket dir")))
}

fn private_dir(dir: &std::path::Path) -> Result<()> {
    crate::util::fsutil::create_private_dir(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let meta = fs::symlink_metadata(dir)?;
    if !meta.is_dir()
        || meta.uid() != nix::unistd::getuid().as_raw()
        || meta.permissions().mode() & 0o077 != 0
    {
        bail!(
            "{} is not a private dir of this user; remove it",
            dir.display()
        );
    }
    Ok(())
}

/// Every place a holder of `id` may listen.
pub fn candidate_paths(id: Uuid) -> Vec<PathBuf> {
    candidate_dirs()
        .into_iter()
        .map(|d| d.join(format!("{id}.sock")))
        .collect()
}

/// A holder that does not answer within this time is wedged, not busy.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Connects to the holder of `id` and makes `request`. Checks the holder's
/// uid and protocol.
pub fn request(id: Uuid, request: Request) -> Result<(UnixStream, Reply)> {
    request_within(id, request, ANSWER_WITHIN)
}

/// `request`, for one the holder answers only once it is done (a
/// hibernation waits for Claude to exit): waits up to `patience`.
pub fn request_within(
    id: Uuid,
    request: Request,
    patience: Duration,
) -> Result<(UnixStream, Reply)> {
    let stream = connect(id)?;
    let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .context("cannot check who runs the holder")?;
    if peer.uid() != nix::unistd::getuid().as_raw() {
        bail!(
            "the holder socket belongs to uid {}, not to you; refusing to talk to it",
            peer.uid()
        );
    }
    stream.set_read_timeout(Some(patience))?;
    let hello = Hello {
        protocol: PROTOCOL,
        client_version: env!("CARGO_PKG_VERSION").into(),
        request,
    };
    protocol::write_line(&mut &stream, &hello).context("cannot talk to the holder")?;
    let reply: Reply = protocol::read_line(&mut &stream).context("no answer from the holder")?;
    stream.set_read_timeout(None)?;
    if reply.protocol != PROTOCOL {
        bail!(
            "the holder (claude-session {}) speaks protocol {}, this claude-session {} speaks {}; use the matching version to attach",
            reply.holder_version,
            reply.protocol,
            env!("CARGO_PKG_VERSION"),
            PROTOCOL
        );
    }
    if !reply.ok {
        let why = reply.error.as_deref().unwrap_or("no reason given");
        // A holder started by an older claude-session, asked something it
        // was built before: not an error of the request.
        if why.contains("unknown variant") {
            bail!(
                "its holder (claude-session {}) predates this request; it can after the session is restarted (`claude-session kill`, then `resume`)",
                reply.holder_version
            );
        }
        bail!("the holder refused: {why}");
    }
    Ok((stream, reply))
}

fn connect(id: Uuid) -> Result<UnixStream> {
    let mut refused = None;
    for path in candidate_paths(id) {
        match UnixStream::connect(&path) {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => refused = Some((path, e)),
        }
    }
    match refused {
        Some((path, e)) => bail!("its holder does not answer at {} ({e})", path.display()),
        None => bail!("it has no holder listening (it is not running under one)"),
    }
}
