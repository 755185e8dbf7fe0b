//! `migrate --from-seed DIR`: the original script's layout, one session dir
//! per id in `DIR/sessions/<uuid>/` with its `metadata.json`. Each becomes a
//! session with the same id (so its transcripts still resume); one already
//! there is completed with what a killed run did not copy.

use super::copy::{self, Item, Source};
use super::report::{Report, SessionReport};
use crate::store::Store;
use crate::store::create::Naming;
use crate::store::session::{Session, Status};
use crate::util::fsutil::{MAX_CONFIG, read_bounded};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Files of a seed session dir that are not copied (ours are written anew).
const SEED_SKIP: &[&str] = &["metadata.json", "history.lock", ".lock"];

pub fn run(store: &mut Store, seed: &Path, dry_run: bool) -> Result<Report> {
    let sessions = seed.join("sessions");
    let entries =
        fs::read_dir(&sessions).with_context(|| format!("cannot read {}", sessions.display()))?;
    // The seed's registry rewrote one JSON file from many processes and is
    // often corrupt: it only fills in for dirs without metadata.json.
    let registry: Value = read_bounded(&sessions.join(".registry"), MAX_CONFIG)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let mut dirs: Vec<(Uuid, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((Uuid::parse_str(e.file_name().to_str()?).ok()?, e.path())))
        .collect();
    dirs.sort();
    let mut reports = Vec::new();
    for (id, dir) in dirs {
        let (items, links_skipped) = items(&dir)?;
        let existing = store.registry.get(id)?;
        let made = existing.is_none();
        let session = match existing {
            Some(session) => {
                let _lock = super::lock(&store.layout, &session)?;
                let target = store.layout.session_dir(id);
                if !dry_run {
                    copy::sweep(&target);
                }
                let files = copy::sync(&items, Some(&target), dry_run)?;
                (session, files)
            }
            None => {
                let meta: Value = read_bounded(&dir.join("metadata.json"), MAX_CONFIG)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or_else(|| registry["sessions"][id.to_string()].clone());
                let mut session = from_metadata(store, id, &meta)?;
                if dry_run {
                    let files = copy::sync(&items, None, true)?;
                    (session, files)
                } else {
                    let _lock = super::make(store, &mut session, Naming::Exactly, |_| Ok(()))?;
                    let target = store.layout.session_dir(id);
                    let files = copy::sync(&items, Some(&target), false)?;
                    (session, files)
                }
            }
        };
        let (session, files) = session;
        let report = SessionReport {
            session_name: session.session_name.clone(),
            session_id: Some(id),
            made,
            working_directory: session.working_directory.clone(),
            project: None,
            files,
            history_lines: None,
            links_skipped,
        };
        if !dry_run {
            super::journal(&store.layout, &session, seed, &report);
        }
        reports.push(report);
    }
    Ok(Report {
        from: seed.to_path_buf(),
        dry_run,
        sessions: reports,
        skipped: Vec::new(),
    })
}

/// The files of a seed session dir (links not followed, and counted).
fn items(dir: &Path) -> Result<(Vec<Item>, u64)> {
    let mut items = Vec::new();
    let mut links = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let path = dir.join(&rel);
        let meta = fs::symlink_metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if meta.file_type().is_symlink() {
            links += 1;
        } else if meta.is_file() {
            items.push(Item {
                source: Source {
                    path,
                    len: meta.len(),
                    modified: meta.modified()?,
                },
                conversation: super::scan::conversation_of(&rel),
                rel,
            });
        } else if meta.is_dir() {
            for entry in fs::read_dir(&path)?.flatten() {
                let name = entry.file_name();
                if rel.as_os_str().is_empty() && SEED_SKIP.iter().any(|s| name == *s) {
                    continue;
                }
                stack.push(rel.join(name));
            }
        }
    }
    items.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((items, links))
}

/// The session a seed dir's metadata describes, with a free name.
fn from_metadata(store: &Store, id: Uuid, meta: &Value) -> Result<Session> {
    let name = unique_name(store, meta["sessionName"].as_str().unwrap_or("seed"))?;
    let cwd = meta["workingDirectory"]
        .as_str()
        .map(PathBuf::from)
        .unwrap_or_else(|| store.layout.home.clone());
    let now = Timestamp::now();
    let time = |key: &str| Timestamp::parse_rfc3339(meta[key].as_str()?);
    let mut session = Session::new(id, &name, cwd, now);
    session.status = Status::Stopped;
    session.ssh_client = meta["sshClient"].as_str().map(str::to_string);
    session.start_time = time("startTime").unwrap_or(now);
    session.end_time = time("endTime");
    session.model = meta["model"].as_str().map(str::to_string);
    session.last_activity = time("lastActivity").or(time("startTime")).unwrap_or(now);
    session.message_count = meta["messageCount"].as_u64().unwrap_or(0);
    session.tool_call_count = meta["toolCallCount"].as_u64().unwrap_or(0);
    Ok(session)
}

/// A valid, free name from a seed name: bad characters become '-'.
fn unique_name(store: &Store, wanted: &str) -> Result<String> {
    let mut stem: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    stem = stem
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if crate::store::session::validate_name(&stem).is_err() {
        stem = format!("seed-{stem}").chars().take(56).collect();
        if crate::store::session::validate_name(&stem).is_err() {
            stem = "seed".into();
        }
    }
    let mut name = stem.clone();
    let mut n = 2;
    while store.registry.by_name(&name)?.is_some() {
        name = format!("{stem}-{n}");
        n += 1;
    }
    Ok(name)
}
