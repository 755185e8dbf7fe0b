//! What interrupted or finished work leaves in the store, that no session
//! owns: half-deleted session dirs (`sessions/.trash-<id>`), staging dirs of
//! imports (`sessions/.import-*`), registries being built beside
//! (`registry.db.rebuilding-*`) and old registries kept aside
//! (`registry.db.bak-*`, beyond the newest few). `doctor` reports them,
//! `cleanup --orphaned` removes them.

use crate::store::layout::Layout;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// How many registries kept aside by rebuilds stay: the newest.
pub const KEPT_BACKUPS: usize = 2;

/// A staging dir or a registry being built changes at least this often
/// while it is in use (every file unpacked, every row inserted): one that
/// changed more recently may be in use and is left alone.
pub const IN_USE_GRACE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `sessions/.trash-<id>`: a removal that was interrupted (or is
    /// running: the remover holds the session lock inside it).
    Trash,
    /// `sessions/.import-*`: an import that was killed (or is running).
    Staging,
    /// `registry.db.rebuilding-<pid>`: a rebuild that was killed.
    Rebuilding,
    /// `registry.db.bak-<ms>` beyond the newest `KEPT_BACKUPS`.
    Backup,
}

impl Kind {
    /// What it is, for a person.
    pub fn what(self) -> String {
        match self {
            Kind::Trash => "half-deleted".into(),
            Kind::Staging => "an interrupted import".into(),
            Kind::Rebuilding => "an interrupted rebuild".into(),
            Kind::Backup => format!("an old registry backup (the newest {KEPT_BACKUPS} are kept)"),
        }
    }
}

pub struct Leftover {
    pub kind: Kind,
    pub path: PathBuf,
    /// The session a trash dir was.
    pub session_id: Option<Uuid>,
    pub bytes: u64,
}

/// Every leftover in the store.
pub fn find(layout: &Layout) -> Vec<Leftover> {
    let mut found = Vec::new();
    for (name, path) in entries(&layout.sessions_dir()) {
        let (kind, session_id) =
            if let Some(rest) = name.strip_prefix(crate::store::removal::TRASH_PREFIX) {
                (Kind::Trash, Uuid::parse_str(rest).ok())
            } else if name.starts_with(crate::store::create::STAGING_PREFIX) {
                (Kind::Staging, None)
            } else {
                continue;
            };
        found.push(leftover(kind, path, session_id));
    }
    let mut backups = Vec::new();
    for (name, path) in entries(&layout.store) {
        // The main file names the set; its -wal and -shm go with it.
        if let Some(pid) = name.strip_prefix(crate::store::rebuild::REBUILDING_PREFIX) {
            if is_number(pid) {
                found.push(leftover(Kind::Rebuilding, path, None));
            }
        } else if let Some(ms) = name.strip_prefix(crate::store::rebuild::BACKUP_PREFIX)
            && let Ok(ms) = ms.parse::<u64>()
        {
            backups.push((ms, path));
        }
    }
    backups.sort_by(|a, b| b.cmp(a));
    for (_, path) in backups.into_iter().skip(KEPT_BACKUPS) {
        found.push(leftover(Kind::Backup, path, None));
    }
    found
}

/// Why the leftover at `path` must stay for now, if it must: a staging dir
/// or a registry being built that changed in the last minute.
pub fn in_use(kind: Kind, path: &Path) -> Option<&'static str> {
    let recent = |paths: &[PathBuf]| {
        let cutoff = SystemTime::now() - IN_USE_GRACE;
        paths
            .iter()
            .any(|p| newest_change(p).is_some_and(|t| t > cutoff))
    };
    match kind {
        Kind::Staging if recent(&[path.to_path_buf()]) => {
            Some("changed less than a minute ago; an import may be using it")
        }
        Kind::Rebuilding if recent(&registry_files(path)) => {
            Some("changed less than a minute ago; a rebuild may be using it")
        }
        _ => None,
    }
}

/// Deletes the leftover at `path` (a registry file with its WAL and shared
/// memory), never following a link.
pub fn remove(path: &Path) -> anyhow::Result<()> {
    for path in registry_files(path) {
        crate::store::removal::delete_tree(&path)?;
    }
    Ok(())
}

fn leftover(kind: Kind, path: PathBuf, session_id: Option<Uuid>) -> Leftover {
    let bytes = registry_files(&path)
        .iter()
        .map(|p| crate::util::fsutil::tree_size(p))
        .sum();
    Leftover {
        kind,
        path,
        session_id,
        bytes,
    }
}

/// The path, and for a registry file its `-wal` and `-shm` beside it.
fn registry_files(path: &Path) -> Vec<PathBuf> {
    let is_registry = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("registry.db."));
    match is_registry {
        true => crate::store::removal::database_files(path).to_vec(),
        false => vec![path.to_path_buf()],
    }
}

/// The newest modification time of `path` or anything below it (not
/// following links).
fn newest_change(path: &Path) -> Option<SystemTime> {
    let meta = fs::symlink_metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| newest_change(&e.path()))
        .chain(own)
        .max()
}

fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect()
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}
