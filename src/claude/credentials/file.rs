//! One dir's `.credentials.json`: reading it, ordering two of them, and
//! replacing it the way Claude Code itself does, under Claude's own lock.

use super::FILE;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What a dir holds. No `Debug`: the bytes are a token.
pub(crate) enum Cred {
    Missing,
    /// Present but not a login: not JSON, or no `claudeAiOauth` with an
    /// `accessToken` and an `expiresAt`. Replaced, never copied.
    Invalid,
    Valid(Valid),
}

pub(crate) struct Valid {
    /// `claudeAiOauth.expiresAt`, ms since the epoch.
    pub expires_at: i64,
    /// Breaks a tie in `expires_at`: the same login with other content
    /// (e.g. an MCP server's OAuth token added) written later wins.
    pub modified: SystemTime,
    pub bytes: Vec<u8>,
}

impl Valid {
    fn key(&self) -> (i64, SystemTime) {
        (self.expires_at, self.modified)
    }
}

impl Cred {
    pub fn valid(&self) -> Option<&Valid> {
        match self {
            Cred::Valid(v) => Some(v),
            _ => None,
        }
    }

    /// Whether this dir must be given `newest` (the greatest of a set that
    /// holds this one, so a valid file here is never newer).
    pub fn needs(&self, newest: &Valid) -> bool {
        self.valid().is_none_or(|v| v.bytes != newest.bytes)
    }
}

/// Makes a credentials file that others can read private (0600), as
/// Claude itself writes it; one copied in by hand may be 0644.
pub(crate) fn make_private(dir: &Path) -> io::Result<()> {
    let path = dir.join(FILE);
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) fn read(dir: &Path) -> Cred {
    let path = dir.join(FILE);
    let bytes = match crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CONFIG) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Cred::Missing,
        Err(_) => return Cred::Invalid,
    };
    let modified = fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    match expiry(&bytes) {
        Some(expires_at) => Cred::Valid(Valid {
            expires_at,
            modified,
            bytes,
        }),
        None => Cred::Invalid,
    }
}

/// `claudeAiOauth.expiresAt` of a login, or None if `bytes` is not one.
fn expiry(bytes: &[u8]) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let oauth = value.get("claudeAiOauth")?;
    oauth
        .get("accessToken")?
        .as_str()
        .filter(|t| !t.is_empty())?;
    let expires = oauth.get("expiresAt")?;
    expires
        .as_i64()
        .or_else(|| expires.as_f64().map(|f| f as i64))
}

/// The valid credentials that every dir should have, if any.
pub(crate) fn newest(creds: &[Cred]) -> Option<&Valid> {
    creds.iter().filter_map(Cred::valid).max_by_key(|v| v.key())
}

pub(crate) enum Written {
    Yes,
    /// The dir already had these bytes.
    Same,
    /// Claude is writing there, or wrote since we read: left for later.
    Busy,
}

/// Replaces the dir's file with `newest` (temp file, fsync, rename, 0600)
/// unless it changed since it was read into something at least as new.
/// Holds Claude Code's own lock on its credential store while it checks and
/// renames, so a token Claude saves at that moment is never overwritten.
pub(crate) fn write_into(dir: &Path, newest: &Valid) -> io::Result<Written> {
    let Some(_claude) = ClaudeLock::take(dir)? else {
        return Ok(Written::Busy);
    };
    if let Cred::Valid(now) = read(dir) {
        if now.bytes == newest.bytes {
            return Ok(Written::Same);
        }
        if now.key() > newest.key() {
            return Ok(Written::Busy);
        }
    }
    crate::util::fsutil::write_private_atomic(
        &dir.join(FILE),
        &newest.bytes,
        crate::util::fsutil::Durability::Synced,
    )?;
    Ok(Written::Yes)
}

/// Claude Code saves a login (refresh or `/login`) as read-modify-write
/// under a `proper-lockfile` lock: the dir `<config dir>/.storage-write.lock`,
/// taken by mkdir, treated as stale 15 s after its last touch (measured in
/// the 2.1.x CLI). Taking it keeps Claude from saving while we check and
/// replace its file; Claude retries for seconds, we hold it for one rename.
struct ClaudeLock {
    /// The lock dir to remove on drop; None when we went ahead past a stale
    /// lock (its owner is gone), which is not ours to remove.
    path: Option<PathBuf>,
}

/// When Claude's lock is stale: its own `stale` setting.
const CLAUDE_LOCK_STALE: Duration = Duration::from_secs(15);

impl ClaudeLock {
    /// The lock, or None while a live Claude holds it.
    fn take(dir: &Path) -> io::Result<Option<Self>> {
        let path = dir.join(".storage-write.lock");
        match fs::DirBuilder::new().mode(0o700).create(&path) {
            Ok(()) => Ok(Some(Self { path: Some(path) })),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let age = fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok());
                match age {
                    Some(age) if age > CLAUDE_LOCK_STALE => Ok(Some(Self { path: None })),
                    // Fresh, or released between the mkdir and the stat:
                    // either way, try again later.
                    _ => Ok(None),
                }
            }
            Err(e) => Err(e),
        }
    }
}

impl Drop for ClaudeLock {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = fs::remove_dir(path);
        }
    }
}
