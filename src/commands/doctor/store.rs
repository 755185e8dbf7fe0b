//! doctor's checks of the store: the registry, the sessions against their
//! dirs, and leftovers of interrupted work.

use super::{Level, Report};
use crate::store::layout::Layout;
use crate::store::registry::{Registry, RegistryError};
use crate::store::session::Session;
use anyhow::Result;
use std::fs;
use std::path::Path;

/// Opens the registry and checks it: with --fix, a damaged one is rebuilt
/// from the session dirs (the old file kept aside), and one with
/// unreadable rows is rebuilt in place. Never one a newer claude-session
/// wrote.
pub(super) fn check_registry(report: &mut Report, layout: &Layout) -> Result<Option<Registry>> {
    if !layout.store.is_dir() {
        return Ok(None);
    }
    let opened = Registry::open(&layout.registry_path()).and_then(|r| {
        let verdict = r.check()?;
        Ok((r, verdict))
    });
    let why = match opened {
        Ok((registry, verdict)) if verdict == "ok" => {
            report.add("registry", Level::Ok, "integrity check passed");
            return check_rows(report, layout, registry).map(Some);
        }
        Ok((_, verdict)) => verdict,
        Err(e @ RegistryError::TooNew { .. }) => {
            report.add("registry", Level::Fail, e.to_string());
            return Ok(None);
        }
        Err(e) => e.to_string(),
    };
    let fix = report.fix;
    let f = report.add("registry", Level::Fail, format!("unusable: {why}"));
    if !fix {
        return Ok(None);
    }
    let rebuilt = crate::store::rebuild::rebuild(layout)?;
    let aside = match &rebuilt.replaced {
        Some((_, Some(aside))) => format!("; the old one is kept as {}", aside.display()),
        _ => String::new(),
    };
    f.fixed = Some(format!(
        "rebuilt from {} session dirs{aside}",
        rebuilt.count
    ));
    Ok(Some(Registry::open(&layout.registry_path())?))
}

/// Rows that cannot be read as sessions (every listing skips them).
fn check_rows(report: &mut Report, layout: &Layout, mut registry: Registry) -> Result<Registry> {
    let bad = registry.bad_rows()?;
    if bad.is_empty() {
        return Ok(registry);
    }
    let fix = report.fix;
    let detail: Vec<String> = bad.iter().map(|e| e.to_string()).collect();
    let f = report.add("registry", Level::Fail, detail.join("; "));
    if fix {
        let rebuilt = crate::store::rebuild::in_place(&mut registry, layout)?;
        f.fixed = Some(format!("rebuilt from {} session dirs", rebuilt.count));
    }
    Ok(registry)
}

pub(super) fn check_sessions(
    report: &mut Report,
    layout: &Layout,
    registry: &mut Registry,
) -> Result<()> {
    let fix = report.fix;
    let mut sessions = registry.all()?;
    // Rows whose Claude vanished become `crashed` (that is the repair).
    let mut corrected = 0;
    for s in sessions.iter_mut() {
        if crate::run::liveness::reconcile(registry, layout, s)? {
            corrected += 1;
        }
    }
    if corrected > 0 {
        report.add(
            "liveness",
            Level::Ok,
            format!("{corrected} sessions whose Claude had vanished are now marked crashed"),
        );
    }
    let registered: std::collections::HashSet<_> = sessions.iter().map(|s| s.session_id).collect();
    let scan = crate::store::rebuild::scan(layout)?;
    let unregistered: Vec<String> = scan
        .sessions
        .iter()
        .filter(|s| !registered.contains(&s.session_id))
        .map(|s| s.session_name.clone())
        .collect();
    if !unregistered.is_empty() {
        let f = report.add(
            "sessions",
            Level::Fail,
            format!("dirs without a registry row: {}", unregistered.join(", ")),
        );
        if fix {
            let added = crate::store::rebuild::register_missing(registry, layout)?;
            f.fixed = Some(format!(
                "registered {} from their metadata.json",
                added.count
            ));
            // What was registered is checked below with the others.
            sessions = registry.all()?;
        }
    }
    for skipped in scan.skipped {
        report.add("sessions", Level::Warn, skipped);
    }
    for s in sessions
        .iter()
        .filter(|s| !layout.session_dir(s.session_id).is_dir())
    {
        report.add(
            "sessions",
            Level::Warn,
            format!(
                "{} has a registry row but no dir; `cleanup --orphaned` removes the row",
                s.session_name
            ),
        );
    }
    let mut unwell = 0;
    for s in &sessions {
        let dir = layout.session_dir(s.session_id);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => unwell += check_dir(report, layout, s, &dir),
            Ok(meta) if meta.file_type().is_symlink() => {
                report.add(
                    "sessions",
                    Level::Warn,
                    format!(
                        "{}: its dir {} is a symbolic link, not one claude-session made; nothing follows it (remove the link by hand)",
                        s.session_name,
                        dir.display()
                    ),
                );
            }
            _ => {}
        }
    }
    if unwell == 0 {
        report.add(
            "sessions",
            Level::Ok,
            format!(
                "{} sessions: links and .claude.json in order",
                sessions.len()
            ),
        );
    }
    Ok(())
}

/// One session dir: broken links, an unreadable `.claude.json`, and what a
/// launch makes but is missing (a `new` killed before it prepared the dir).
/// Returns how many findings it added.
fn check_dir(report: &mut Report, layout: &Layout, s: &Session, dir: &Path) -> usize {
    let fix = report.fix;
    let mut found = 0;
    let broken: Vec<String> = crate::claude::share::LINKED
        .iter()
        .filter(|e| {
            fs::symlink_metadata(dir.join(e)).is_ok_and(|m| m.file_type().is_symlink())
                && !dir.join(e).exists()
        })
        .map(|e| e.to_string())
        .collect();
    if !broken.is_empty() {
        found += 1;
        let f = report.add(
            "links",
            Level::Fail,
            format!("{}: broken links {}", s.session_name, broken.join(", ")),
        );
        if fix && crate::claude::share::link_shared(&layout.base, dir).is_ok() {
            f.fixed = Some("links re-made from the base".into());
        }
    }
    let config = dir.join(crate::claude::claude_json::FILE);
    let readable = crate::util::fsutil::read_bounded(&config, crate::util::fsutil::MAX_CLAUDE_JSON)
        .ok()
        .is_some_and(|b| serde_json::from_slice::<serde_json::Value>(&b).is_ok());
    if config.exists() && !readable {
        found += 1;
        let f = report.add(
            "claude.json",
            Level::Fail,
            format!("{}: {} is unreadable", s.session_name, config.display()),
        );
        if fix && prepare_again(layout, s, dir) {
            f.fixed = Some("kept aside and seeded anew".into());
        }
    }
    let missing = missing_parts(layout, dir);
    if !missing.is_empty() {
        found += 1;
        let f = report.add(
            "sessions",
            Level::Fail,
            format!(
                "{}: incomplete (a `new` that did not finish?): no {}",
                s.session_name,
                missing.join(", ")
            ),
        );
        if fix && prepare_again(layout, s, dir) {
            f.fixed = Some("prepared it as a launch does".into());
        }
    }
    found
}

/// What every prepared session dir has: `.claude.json`, `settings.json`,
/// and a link for each shared entry the base has.
fn missing_parts(layout: &Layout, dir: &Path) -> Vec<String> {
    let absent = |p: &Path| fs::symlink_metadata(p).is_err();
    let mut missing: Vec<String> = [crate::claude::claude_json::FILE, "settings.json"]
        .into_iter()
        .filter(|f| absent(&dir.join(f)))
        .map(str::to_string)
        .collect();
    for entry in crate::claude::share::LINKED {
        if !absent(&layout.base.join(entry)) && absent(&dir.join(entry)) {
            missing.push(format!("{entry} link"));
        }
    }
    missing
}

/// Prepares the dir as a launch does, under the session lock and only
/// while no Claude runs in it; false if it could not.
fn prepare_again(layout: &Layout, s: &Session, dir: &Path) -> bool {
    if s.claude_is_live() {
        return false;
    }
    let Ok(_lock) = crate::run::lock::SessionLock::take(dir, &s.session_name) else {
        return false;
    };
    crate::run::prepare::prepare_dir(layout, s).is_ok()
}

/// Leftovers of interrupted work (`crate::store::leftovers`).
pub(super) fn check_leftovers(report: &mut Report, layout: &Layout) {
    for leftover in crate::store::leftovers::find(layout) {
        let then = match crate::store::leftovers::in_use(leftover.kind, &leftover.path) {
            Some(why) => why.to_string(),
            None => "`claude-session cleanup --orphaned` removes it".to_string(),
        };
        report.add(
            "leftovers",
            Level::Warn,
            format!(
                "{} ({}): {}; {then}",
                leftover.path.display(),
                crate::util::output::human_bytes(leftover.bytes),
                leftover.kind.what()
            ),
        );
    }
}
