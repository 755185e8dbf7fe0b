//! Keeping one login for the base and a session: `.credentials.json` is
//! copied, newest `claudeAiOauth.expiresAt` wins, never backwards.
//!
//! It is not linked: Claude Code replaces a linked credentials file by a
//! regular file on its first token refresh, leaving the base with a spent
//! single-use refresh token. So the launcher syncs before Claude starts and
//! after it exits.

use anyhow::{Context, Result};
use nix::fcntl::{Flock, FlockArg};
use serde_json::Value;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const FILE: &str = ".credentials.json";

/// True when the environment carries the login, so no file is needed or touched.
pub fn from_environment() -> bool {
    [
        "ANTHROPIC_API_KEY",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "ANTHROPIC_AUTH_TOKEN",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// When a credentials file expires, or None if it is missing or not valid.
fn expiry(path: &Path) -> Option<(i64, Vec<u8>)> {
    let bytes = fs::read(path).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    let expires = value.get("claudeAiOauth")?.get("expiresAt")?.as_i64()?;
    Some((expires, bytes))
}

/// Copies the newer valid credentials over the older (or missing, or
/// invalid) one, under an exclusive lock on `lock_file`.
pub fn sync(base: &Path, session_dir: &Path, lock_file: &Path) -> Result<()> {
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(lock_file)
        .with_context(|| format!("cannot open {}", lock_file.display()))?;
    let _guard = Flock::lock(lock, FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .with_context(|| format!("cannot lock {}", lock_file.display()))?;
    let in_base = base.join(FILE);
    let in_session = session_dir.join(FILE);
    let (from, to) = match (expiry(&in_base), expiry(&in_session)) {
        (Some((b, bytes)), Some((s, _))) if b > s => (bytes, &in_session),
        (Some((b, _)), Some((s, bytes))) if s > b => (bytes, &in_base),
        (Some((_, bytes)), None) => (bytes, &in_session),
        (None, Some((_, bytes))) if base.is_dir() => (bytes, &in_base),
        _ => return Ok(()),
    };
    crate::fsutil::write_private_atomic(to, &from, crate::fsutil::Durability::Synced)
        .with_context(|| format!("cannot write {}", to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(expires: i64) -> String {
        format!(
            r#"{{"claudeAiOauth":{{"accessToken":"a{expires}","refreshToken":"r","expiresAt":{expires}}}}}"#
        )
    }

    #[test]
    fn newest_wins_both_ways() {
        let base = tempfile::tempdir().unwrap();
        let session = tempfile::tempdir().unwrap();
        let lock = base.path().join("lock");
        fs::write(base.path().join(FILE), cred(100)).unwrap();
        sync(base.path(), session.path(), &lock).unwrap();
        assert_eq!(
            fs::read_to_string(session.path().join(FILE)).unwrap(),
            cred(100)
        );

        // The session's Claude refreshed: the base gets the new token.
        fs::write(session.path().join(FILE), cred(200)).unwrap();
        sync(base.path(), session.path(), &lock).unwrap();
        assert_eq!(
            fs::read_to_string(base.path().join(FILE)).unwrap(),
            cred(200)
        );

        // Garbage never overwrites a valid login; a valid one replaces garbage.
        fs::write(session.path().join(FILE), "garbage").unwrap();
        sync(base.path(), session.path(), &lock).unwrap();
        assert_eq!(
            fs::read_to_string(base.path().join(FILE)).unwrap(),
            cred(200)
        );
        assert_eq!(
            fs::read_to_string(session.path().join(FILE)).unwrap(),
            cred(200)
        );
    }

    #[test]
    fn nothing_to_do_without_credentials() {
        let base = tempfile::tempdir().unwrap();
        let session = tempfile::tempdir().unwrap();
        sync(base.path(), session.path(), &base.path().join("lock")).unwrap();
        assert!(!session.path().join(FILE).exists());
        assert!(!base.path().join(FILE).exists());
    }
}
