//! One login for the base and every session: `.credentials.json` is copied
//! between them, the newest `claudeAiOauth.expiresAt` wins, never backwards.
//!
//! It is not linked: Claude Code replaces a linked credentials file by a
//! regular file on its first token refresh (or `/login`), leaving the others
//! with a spent single-use refresh token. So the newest valid file is copied
//! to the base and to every session dir: before Claude starts and after it
//! exits (`launch`), and while a holder runs, as soon as the file changes in
//! its session dir or in the base (`watch`). A running Claude re-reads the
//! file when its mtime changes (before each request: measured with the
//! 2.1.197 CLI, tests/cli/e2e_login.rs), so it takes the new token instead
//! of spending its own stale refresh token. `survey` tells which dirs
//! differ from the newest, for `doctor`.
//!
//! Nothing here ever prints a token: errors name paths only, and the types
//! that hold file contents have no `Debug`.

mod file;
// What `doctor` reports.
mod survey;
mod watch;

#[cfg(test)]
mod tests;

use crate::store::layout::Layout;
use anyhow::{Context, Result};
use file::{Cred, Written};
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::PathBuf;
use uuid::Uuid;

#[cfg(test)]
use survey::State;
pub use survey::survey;
pub use watch::{Watch, watch};

pub const FILE: &str = ".credentials.json";

/// True when the environment carries the login, so no file is needed or
/// touched. Callers of `sync_all` check this first.
pub fn from_environment() -> bool {
    [
        "ANTHROPIC_API_KEY",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "ANTHROPIC_AUTH_TOKEN",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// A dir that shares the login: the base, or a session's config dir.
pub(crate) struct Place {
    pub dir: PathBuf,
    pub session: Option<Uuid>,
}

/// The base (if it exists: it is never created here) and every session dir,
/// sessions in id order. Dirs being deleted (`.trash-<id>`) are left out.
pub(crate) fn places(layout: &Layout) -> Vec<Place> {
    let mut places = Vec::new();
    if layout.base.is_dir() {
        places.push(Place {
            dir: layout.base.clone(),
            session: None,
        });
    }
    let mut sessions: Vec<Place> = std::fs::read_dir(layout.sessions_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let id = Uuid::parse_str(e.file_name().to_str()?).ok()?;
            Some(Place {
                dir: e.path(),
                session: Some(id),
            })
        })
        .collect();
    sessions.sort_by_key(|p| p.session);
    places.extend(sessions);
    places
}

/// What one `sync_all` did.
#[derive(Debug, Default)]
pub struct Synced {
    /// Dirs that were given the newest credentials.
    pub written: Vec<PathBuf>,
    /// Dirs left for later: Claude was writing its own file there (it holds
    /// its lock, or the file changed under us). Sync again soon.
    pub busy: Vec<PathBuf>,
}

/// Gives the base and every session dir the newest valid credentials,
/// under the store's lock (one sync at a time across processes). A missing
/// or invalid file is replaced; a valid one only by one that expires later
/// (or, at the same expiry, was written later); garbage never replaces
/// anything. Each write is atomic and 0600, and waits for no Claude: a dir
/// where Claude is writing is reported `busy` instead. A session dir that
/// vanishes meanwhile (being deleted) is skipped. The caller checks
/// `from_environment` first.
pub fn sync_all(layout: &Layout) -> Result<Synced> {
    let mut synced = Synced::default();
    let Some(_lock) = store_lock(layout, FlockArg::LockExclusive)? else {
        return Ok(synced);
    };
    let places = places(layout);
    let creds: Vec<Cred> = places.iter().map(|p| file::read(&p.dir)).collect();
    let Some(newest) = file::newest(&creds) else {
        return Ok(synced);
    };
    let mut failed = None;
    for (place, cred) in places.iter().zip(&creds) {
        if !cred.needs(newest) {
            let _ = file::make_private(&place.dir);
            continue;
        }
        match file::write_into(&place.dir, newest) {
            Ok(Written::Yes) => synced.written.push(place.dir.clone()),
            Ok(Written::Same) => {}
            Ok(Written::Busy) => synced.busy.push(place.dir.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && place.session.is_some() => {}
            Err(e) => {
                let e = anyhow::Error::new(e)
                    .context(format!("cannot write {}", place.dir.join(FILE).display()));
                failed.get_or_insert(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(synced),
    }
}

/// The store's credentials lock (`<store>/credentials.lock`): exclusive to
/// sync, shared to survey. None when there is no store yet (no sessions,
/// nothing to sync).
fn store_lock(layout: &Layout, arg: FlockArg) -> Result<Option<Flock<File>>> {
    if !layout.store.is_dir() {
        return Ok(None);
    }
    let path = layout.store.join("credentials.lock");
    let file = crate::util::fsutil::open_lock_file(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let lock = Flock::lock(file, arg)
        .map_err(|(_, e)| e)
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(Some(lock))
}
