//! Rebuilding the registry from the session dirs' `metadata.json` files:
//! after the registry was deleted, corrupted, or restored from a backup.
//!
//! A registry that opens and passes its check is rebuilt in place, in one
//! write transaction that reads the dirs while it holds SQLite's write
//! lock. No session can fall between that read and the write: `new` makes
//! its dir inside its own insert transaction (it waits, or it is done), and
//! a removal moves the dir aside before it deletes the row (a dir read is
//! deleted after the rebuild commits; a dir gone has no row written). Only
//! a registry that cannot be used (no writer can use it either) is built
//! anew beside and swapped in, the old one kept aside.

use crate::store::layout::Layout;
use crate::store::registry::{Registry, RegistryError, Rewrite};
use crate::store::removal::database_files;
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result};
use std::fs;
use std::path::PathBuf;
use uuid::Uuid;

/// A registry being built beside the live one: `registry.db.rebuilding-<pid>`.
pub const REBUILDING_PREFIX: &str = "registry.db.rebuilding-";
/// An old registry kept aside by a rebuild: `registry.db.bak-<ms>`.
pub const BACKUP_PREFIX: &str = "registry.db.bak-";

pub struct Scan {
    pub sessions: Vec<Session>,
    /// Dirs that could not be read, with the reason.
    pub skipped: Vec<String>,
}

/// What a rebuild did.
pub struct Rebuilt {
    /// Sessions registered (all of them, or the ones that were missing).
    pub count: usize,
    /// Dirs that could not be read, with the reason.
    pub skipped: Vec<String>,
    /// Why the registry was built anew beside, and where the old one went.
    pub replaced: Option<(String, Option<PathBuf>)>,
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
        // Not a link: a session dir is one the store made.
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

/// Rebuilds the registry from the session dirs: in place if it opens and
/// passes its check, else anew beside (see the module's comment).
pub fn rebuild(layout: &Layout) -> Result<Rebuilt> {
    let path = layout.registry_path();
    let unusable = match Registry::open(&path) {
        Ok(mut registry) => match registry.check()? {
            verdict if verdict == "ok" => return in_place(&mut registry, layout),
            verdict => verdict,
        },
        // Refused, or in use: never swapped away under its writers.
        Err(e @ (RegistryError::TooNew { .. } | RegistryError::Busy { .. })) => {
            return Err(e.into());
        }
        Err(e) => e.to_string(),
    };
    let scan = scan(layout)?;
    let count = scan.sessions.len();
    let aside = replace_registry(layout, scan.sessions)?;
    Ok(Rebuilt {
        count,
        skipped: scan.skipped,
        replaced: Some((unusable, aside)),
    })
}

/// Replaces every row with what the dirs say, in one write transaction.
pub fn in_place(registry: &mut Registry, layout: &Layout) -> Result<Rebuilt> {
    let rewrite = registry.rewrite()?;
    let scan = scan(layout)?;
    rewrite.clear()?;
    let count = scan.sessions.len();
    insert_all(&rewrite, layout, scan.sessions)?;
    rewrite.commit()?;
    Ok(Rebuilt {
        count,
        skipped: scan.skipped,
        replaced: None,
    })
}

/// Registers the dirs that have no row, in one write transaction (so a
/// dir being removed right now is not registered again).
pub fn register_missing(registry: &mut Registry, layout: &Layout) -> Result<Rebuilt> {
    let rewrite = registry.rewrite()?;
    let scan = scan(layout)?;
    let known = rewrite.ids()?;
    let missing: Vec<Session> = scan
        .sessions
        .into_iter()
        .filter(|s| !known.contains(&s.session_id))
        .collect();
    let count = missing.len();
    insert_all(&rewrite, layout, missing)?;
    rewrite.commit()?;
    Ok(Rebuilt {
        count,
        skipped: scan.skipped,
        replaced: None,
    })
}

/// Inserts `sessions`, oldest first. Two dirs claiming one name: the older
/// keeps it, the newer is renamed `<name>-<id8>`.
fn insert_all(rewrite: &Rewrite, layout: &Layout, sessions: Vec<Session>) -> Result<()> {
    for mut session in sessions {
        match rewrite.insert(&session) {
            Ok(()) => {}
            Err(RegistryError::NameTaken(name)) => {
                session.session_name = format!("{}-{}", name, session.short_id());
                rewrite.insert(&session)?;
                crate::store::metadata::write(layout, &session)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Builds a new registry from `sessions` beside the old one, moves the old
/// one (and its WAL) aside, and puts the new one in place. Returns where
/// the old one went.
fn replace_registry(layout: &Layout, sessions: Vec<Session>) -> Result<Option<PathBuf>> {
    let target = layout.registry_path();
    let fresh = layout
        .store
        .join(format!("{REBUILDING_PREFIX}{}", std::process::id()));
    crate::store::removal::delete_database(&fresh)?;
    {
        let mut registry = Registry::open(&fresh)?;
        let rewrite = registry.rewrite()?;
        insert_all(&rewrite, layout, sessions)?;
        rewrite.commit()?;
        // Sessions are inserted into the WAL; only the main file is renamed.
        registry.checkpoint()?;
    }
    for file in &database_files(&fresh)[1..] {
        let _ = fs::remove_file(file);
    }
    let mut kept = None;
    if target.exists() {
        let aside = layout
            .store
            .join(format!("{BACKUP_PREFIX}{}", Timestamp::now().millis()));
        for (from, to) in database_files(&target).iter().zip(database_files(&aside)) {
            if from.exists() {
                fs::rename(from, to)
                    .with_context(|| format!("cannot move {} aside", from.display()))?;
            }
        }
        kept = Some(aside);
    }
    fs::rename(&fresh, &target)
        .with_context(|| format!("cannot put the new registry at {}", target.display()))?;
    Ok(kept)
}
