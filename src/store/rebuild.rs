//! Rebuilding the registry from the session dirs' `metadata.json` files:
//! after the registry was deleted, corrupted, or restored from a backup.

use crate::store::layout::Layout;
use crate::store::registry::{Registry, RegistryError};
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result};
use std::fs;
use uuid::Uuid;

pub struct Scan {
    pub sessions: Vec<Session>,
    /// Dirs that could not be read, with the reason.
    pub skipped: Vec<String>,
}

/// Reads every `sessions/<uuid>/metadata.json`.
pub fn scan(layout: &Layout) -> Result<Scan> {
    let dir = layout.sessions_dir();
    let mut scan = Scan {
        sessions: Vec::new(),
        skipped: Vec::new(),
    };
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(scan),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| Uuid::parse_str(n).ok()) else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        match crate::store::metadata::read(&entry.path()) {
            Ok(mut session) if session.session_id == id => {
                // A name is checked on every way in: tables print it, file
                // names hold it.
                if let Err(why) = crate::store::session::validate_name(&session.session_name) {
                    scan.skipped.push(format!(
                        "{}: metadata.json holds the session name {:?}, which is not valid ({why}); correct it there and run `claude-session rebuild`",
                        entry.path().display(),
                        session.session_name
                    ));
                    continue;
                }
                // Whatever was running when the registry was lost is
                // checked again by `list`; a pid alone proves nothing.
                if session.status == Status::Active && !session.claude_is_live() {
                    session.status = Status::Crashed;
                    session.clear_runtime();
                }
                scan.sessions.push(session);
            }
            Ok(session) => scan.skipped.push(format!(
                "{}: metadata.json names another id ({})",
                entry.path().display(),
                session.session_id
            )),
            Err(e) => scan.skipped.push(format!("{e:#}")),
        }
    }
    scan.sessions.sort_by_key(|s| s.start_time);
    Ok(scan)
}

/// Inserts scanned sessions missing from the registry. Two dirs claiming
/// one name: the older keeps it, the newer is renamed `<name>-<id8>`.
/// Returns how many were added.
pub fn import(registry: &mut Registry, layout: &Layout, sessions: Vec<Session>) -> Result<usize> {
    let mut added = 0;
    for mut session in sessions {
        if registry.get(session.session_id)?.is_some() {
            continue;
        }
        match registry.insert(&session) {
            Ok(()) => {}
            Err(RegistryError::NameTaken(name)) => {
                session.session_name = format!("{}-{}", name, session.short_id());
                registry.insert(&session)?;
                crate::store::metadata::write(layout, &session)?;
            }
            Err(e) => return Err(e.into()),
        }
        added += 1;
    }
    Ok(added)
}

/// Builds a new registry from `sessions` beside the old one, moves the old
/// one (and its WAL) aside, and puts the new one in place. Returns where
/// the old one went.
pub fn replace_registry(
    layout: &Layout,
    sessions: Vec<Session>,
) -> Result<Option<std::path::PathBuf>> {
    let target = layout.registry_path();
    let fresh = layout
        .store
        .join(format!("registry.db.rebuilding-{}", std::process::id()));
    let _ = fs::remove_file(&fresh);
    {
        let mut registry = Registry::open(&fresh)?;
        crate::store::rebuild::import(&mut registry, layout, sessions)?;
        // Sessions are inserted into the WAL; only the main file is renamed.
        registry.checkpoint()?;
    }
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(with_suffix(&fresh, suffix));
    }
    let mut kept = None;
    if target.exists() {
        let aside = layout
            .store
            .join(format!("registry.db.bak-{}", Timestamp::now().millis()));
        for suffix in ["", "-wal", "-shm"] {
            let from = with_suffix(&target, suffix);
            if from.exists() {
                fs::rename(&from, with_suffix(&aside, suffix))
                    .with_context(|| format!("cannot move {} aside", from.display()))?;
            }
        }
        kept = Some(aside);
    }
    fs::rename(&fresh, &target)
        .with_context(|| format!("cannot put the new registry at {}", target.display()))?;
    Ok(kept)
}

fn with_suffix(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}
