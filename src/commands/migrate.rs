//! `claude-session migrate`: make an existing single-session `~/.claude`
//! (the base) available as a session, by **copying** its conversations (the
//! base keeps working for plain `claude`); or import the original script's
//! layout (`--from-seed DIR`). Re-runnable: what is already there is kept,
//! only what is missing or changed is copied. Links are never followed.

use crate::cli::{GlobalArgs, MigrateArgs};
use crate::store::Store;
use crate::store::session::{Session, Status};
use crate::util::fsutil::{MAX_CONFIG, read_bounded};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use uuid::Uuid;

/// What of a single-session Claude dir is the conversation state.
const CONVERSATION_STATE: &[&str] = &[
    "projects",
    "history.jsonl",
    "todos",
    "tasks",
    "file-history",
    "plans",
];

/// Files of a seed session dir that are not copied (ours are written anew).
const SEED_SKIP: &[&str] = &["metadata.json", "history.lock", ".lock"];

#[derive(Default)]
struct Copied {
    files: u64,
    bytes: u64,
    /// Already present with the same size (an earlier run).
    kept: u64,
    links_skipped: u64,
}

pub fn run(global: &GlobalArgs, args: MigrateArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let text = match &args.from_seed {
        Some(dir) => from_seed(&mut store, dir, args.dry_run)?,
        None => from_base(&mut store, &args.name, args.dry_run)?,
    };
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn from_base(store: &mut Store, name: &str, dry_run: bool) -> Result<String> {
    crate::store::session::validate_name(name).context("invalid session name")?;
    let base = store.layout.base.clone();
    let sources: Vec<PathBuf> = CONVERSATION_STATE
        .iter()
        .map(|e| base.join(e))
        .filter(|p| p.exists())
        .collect();
    if sources.is_empty() {
        bail!(
            "{} holds no conversations to migrate (no projects/ or history.jsonl)",
            base.display()
        );
    }
    let (want_files, want_bytes) = sources
        .iter()
        .map(|p| measure(p))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if dry_run {
        return Ok(format!(
            "would copy {want_files} files ({}) from {} into session {name}\n",
            crate::util::output::human_bytes(want_bytes),
            base.display()
        ));
    }
    let session = match store.registry.by_name(name)? {
        Some(existing) => existing,
        None => {
            let cwd =
                newest_cwd(&base.join("projects")).unwrap_or_else(|| store.layout.home.clone());
            create(store, name, Uuid::new_v4(), &cwd, None)?
        }
    };
    let dir = store.layout.session_dir(session.session_id);
    let mut copied = Copied::default();
    for source in &sources {
        copy_tree(
            source,
            &dir.join(source.file_name().expect("an entry name")),
            &mut copied,
        )?;
    }
    // Verify: everything in the sources is in the session, same sizes.
    let mut missing = 0;
    for source in &sources {
        missing += verify(
            source,
            &dir.join(source.file_name().expect("an entry name")),
        );
    }
    if missing > 0 {
        bail!(
            "{missing} files did not arrive in {}; nothing was removed from {}",
            dir.display(),
            base.display()
        );
    }
    crate::store::journal::audit(&store.layout, "migrate", &session);
    Ok(format!(
        "migrated {} into session {name} ({}): {} files copied, {} already there, {want_files} files ({}) verified\n",
        base.display(),
        session.short_id(),
        copied.files,
        copied.kept,
        crate::util::output::human_bytes(want_bytes)
    ))
}

fn from_seed(store: &mut Store, seed: &Path, dry_run: bool) -> Result<String> {
    let sessions = seed.join("sessions");
    let entries =
        fs::read_dir(&sessions).with_context(|| format!("cannot read {}", sessions.display()))?;
    // The seed's registry rewrote one JSON file from many processes and is
    // often corrupt: it only fills in for dirs without metadata.json.
    let registry: Value = read_bounded(&sessions.join(".registry"), MAX_CONFIG)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let mut text = String::new();
    let mut dirs: Vec<(Uuid, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((Uuid::parse_str(e.file_name().to_str()?).ok()?, e.path())))
        .collect();
    dirs.sort();
    for (id, dir) in dirs {
        let meta: Value = read_bounded(&dir.join("metadata.json"), MAX_CONFIG)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| registry["sessions"][id.to_string()].clone());
        if store.registry.get(id)?.is_some() {
            text.push_str(&format!("already migrated {id}\n"));
            continue;
        }
        let name = unique_name(store, meta["sessionName"].as_str().unwrap_or("seed"))?;
        let cwd = meta["workingDirectory"]
            .as_str()
            .map(PathBuf::from)
            .unwrap_or_else(|| store.layout.home.clone());
        if dry_run {
            let (files, bytes) = measure(&dir);
            text.push_str(&format!(
                "would import {name} ({id}): {files} files ({})\n",
                crate::util::output::human_bytes(bytes)
            ));
            continue;
        }
        let session = create(store, &name, id, &cwd, Some(&meta))?;
        let target = store.layout.session_dir(id);
        let mut copied = Copied::default();
        for entry in fs::read_dir(&dir)?.flatten() {
            let file_name = entry.file_name();
            if SEED_SKIP.iter().any(|s| file_name == *s) {
                continue;
            }
            copy_tree(&entry.path(), &target.join(&file_name), &mut copied)?;
        }
        crate::store::journal::audit(&store.layout, "migrate", &session);
        text.push_str(&format!(
            "imported {name} ({}): {} files ({}){}\n",
            session.short_id(),
            copied.files,
            crate::util::output::human_bytes(copied.bytes),
            if copied.links_skipped > 0 {
                format!(", {} links not followed", copied.links_skipped)
            } else {
                String::new()
            }
        ));
    }
    if text.is_empty() {
        text.push_str("no seed sessions found\n");
    }
    Ok(text)
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

/// Registers a session with `id` and makes its dir, like `new --no-launch`.
fn create(
    store: &mut Store,
    name: &str,
    id: Uuid,
    cwd: &Path,
    seed: Option<&Value>,
) -> Result<Session> {
    let now = Timestamp::now();
    let time = |key: &str| seed.and_then(|m| Timestamp::parse_rfc3339(m[key].as_str()?));
    let mut session = Session::new(id, name, cwd.to_path_buf(), now);
    session.status = Status::Stopped;
    if let Some(m) = seed {
        session.ssh_client = m["sshClient"].as_str().map(str::to_string);
        session.start_time = time("startTime").unwrap_or(now);
        session.end_time = time("endTime");
        session.model = m["model"].as_str().map(str::to_string);
        session.last_activity = time("lastActivity").or(time("startTime")).unwrap_or(now);
        session.message_count = m["messageCount"].as_u64().unwrap_or(0);
        session.tool_call_count = m["toolCallCount"].as_u64().unwrap_or(0);
    }
    let layout = store.layout.clone();
    crate::store::create::create_session(
        &mut store.registry,
        &layout,
        &mut session,
        crate::store::create::Naming::Exactly,
        crate::store::create::Dir::New,
        |_| Ok(()),
    )?;
    crate::run::prepare::prepare_dir(&store.layout, &session)?;
    Ok(session)
}

/// The working directory of the newest conversation (its records carry `cwd`):
/// Claude resumes a conversation only from there.
fn newest_cwd(projects: &Path) -> Option<PathBuf> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for project in fs::read_dir(projects).ok()?.flatten() {
        for file in fs::read_dir(project.path()).into_iter().flatten().flatten() {
            let modified = file.metadata().and_then(|m| m.modified()).ok()?;
            if file.path().extension().is_some_and(|e| e == "jsonl")
                && newest.as_ref().is_none_or(|(t, _)| modified > *t)
            {
                newest = Some((modified, file.path()));
            }
        }
    }
    let text = fs::read_to_string(newest?.1).ok()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|r| r["cwd"].as_str().map(PathBuf::from))
        .filter(|p| p.is_dir())
}

/// Copies regular files and dirs (0700 / 0600), never following or copying
/// links; a file already there with the same size is kept.
fn copy_tree(from: &Path, to: &Path, copied: &mut Copied) -> Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        copied.links_skipped += 1;
    } else if meta.is_dir() {
        crate::util::fsutil::create_private_dir(to)
            .with_context(|| format!("cannot create {}", to.display()))?;
        for entry in fs::read_dir(from)?.flatten() {
            copy_tree(&entry.path(), &to.join(entry.file_name()), copied)?;
        }
    } else if meta.is_file() {
        // A file the session has is the session's: it may have continued
        // the conversation since, and the base's copy is older.
        if fs::symlink_metadata(to).is_ok() {
            copied.kept += 1;
            return Ok(());
        }
        fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        fs::set_permissions(to, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        // The copy keeps the original's time: "newest" must still mean
        // the conversation last written, not the last one copied.
        if let Ok(modified) = meta.modified() {
            let _ = fs::File::options()
                .write(true)
                .open(to)
                .and_then(|f| f.set_modified(modified));
        }
        copied.files += 1;
        copied.bytes += meta.len();
    }
    Ok(())
}

/// (files, bytes) of the regular files below `path`, links not followed.
fn measure(path: &Path) -> (u64, u64) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return (0, 0);
    };
    if meta.is_file() {
        return (1, meta.len());
    }
    if !meta.is_dir() {
        return (0, 0);
    }
    fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| measure(&e.path()))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// How many regular files of `from` are missing in `to`, or shorter there.
fn verify(from: &Path, to: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(from) else {
        return 0;
    };
    if meta.is_file() {
        // There, and no shorter: the session's own may have grown since.
        return u64::from(!fs::symlink_metadata(to).is_ok_and(|m| m.len() >= meta.len()));
    }
    if !meta.is_dir() {
        return 0;
    }
    fs::read_dir(from)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| verify(&e.path(), &to.join(e.file_name())))
        .sum()
}
