//! `claude-session doctor [--fix] [--json]`: checks the installation and
//! the store, explains what is wrong, and with --fix repairs what is safe
//! to repair (nothing is deleted that holds a conversation; a corrupt
//! registry is kept aside, not destroyed).

use crate::cli::{DoctorArgs, GlobalArgs};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use anyhow::Result;
use serde::Serialize;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::ExitCode;

/// Less free space than this in the store is worth a warning.
const LOW_DISK: u64 = 1 << 30;

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Serialize)]
struct Finding {
    check: &'static str,
    level: Level,
    detail: String,
    /// Set when --fix repaired it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<String>,
}

struct Report {
    findings: Vec<Finding>,
    fix: bool,
}

impl Report {
    fn add(
        &mut self,
        check: &'static str,
        level: Level,
        detail: impl Into<String>,
    ) -> &mut Finding {
        self.findings.push(Finding {
            check,
            level,
            detail: detail.into(),
            fixed: None,
        });
        self.findings.last_mut().expect("just pushed")
    }
}

pub fn run(global: &GlobalArgs, args: DoctorArgs) -> Result<ExitCode> {
    let layout = super::layout(global)?;
    let mut report = Report {
        findings: Vec::new(),
        fix: args.fix,
    };
    check_claude(&mut report);
    check_dirs(&mut report, &layout);
    if let Some(mut registry) = check_registry(&mut report, &layout)? {
        check_sessions(&mut report, &layout, &mut registry)?;
    }
    check_sockets(&mut report);
    check_credentials(&mut report, &layout);
    check_disk(&mut report, &layout);
    let unresolved = report
        .findings
        .iter()
        .filter(|f| f.level == Level::Fail && f.fixed.is_none())
        .count();
    if args.json {
        crate::util::output::emit_json(&report.findings)?;
    } else {
        let mut text = String::new();
        for f in &report.findings {
            let tag = match (f.level, &f.fixed) {
                (_, Some(_)) => "fixed",
                (Level::Ok, _) => "ok",
                (Level::Warn, _) => "warn",
                (Level::Fail, _) => "FAIL",
            };
            text.push_str(&format!("{tag:<5} {}: {}\n", f.check, f.detail));
            if let Some(how) = &f.fixed {
                text.push_str(&format!("      -> {how}\n"));
            }
        }
        if unresolved > 0 && !args.fix {
            text.push_str(
                "run `claude-session doctor --fix` to repair what can be repaired safely\n",
            );
        }
        crate::util::output::emit(&text)?;
    }
    Ok(if unresolved == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check_claude(report: &mut Report) {
    let explicit = std::env::var_os("CLAUDE_BIN").map(std::path::PathBuf::from);
    match crate::claude::binary::find(explicit.as_deref()) {
        Ok(path) => {
            let version = std::process::Command::new(&path)
                .arg("--version")
                .stdin(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
            match version {
                Some(v) => report.add("claude", Level::Ok, format!("{} ({v})", path.display())),
                None => report.add(
                    "claude",
                    Level::Fail,
                    format!("{} does not answer --version", path.display()),
                ),
            };
        }
        Err(e) => {
            report.add("claude", Level::Fail, format!("{e:#}"));
        }
    }
}

fn check_dirs(report: &mut Report, layout: &Layout) {
    if layout.base.is_dir() {
        report.add("base", Level::Ok, layout.base.display().to_string());
    } else {
        report.add(
            "base",
            Level::Warn,
            format!(
                "{} does not exist: sessions share nothing",
                layout.base.display()
            ),
        );
    }
    for dir in [layout.store.clone(), layout.sessions_dir()] {
        let Ok(meta) = fs::metadata(&dir) else {
            report.add(
                "store",
                Level::Ok,
                format!("{} does not exist yet (made on first use)", dir.display()),
            );
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            report.add(
                "store",
                Level::Ok,
                format!("{} is private ({mode:o})", dir.display()),
            );
        } else {
            let fix = report.fix;
            let f = report.add(
                "store",
                Level::Fail,
                format!("{} is readable by others ({mode:o})", dir.display()),
            );
            if fix && fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).is_ok() {
                f.fixed = Some("made 0700".into());
            }
        }
    }
}

/// Opens the registry (rebuilding a corrupt one with --fix) and checks it.
fn check_registry(report: &mut Report, layout: &Layout) -> Result<Option<Registry>> {
    if !layout.store.is_dir() {
        return Ok(None);
    }
    let opened = Registry::open(&layout.registry_path()).and_then(|r| {
        let verdict = r.integrity_check()?;
        Ok((r, verdict))
    });
    match opened {
        Ok((registry, verdict)) if verdict == "ok" => {
            report.add("registry", Level::Ok, "integrity check passed");
            Ok(Some(registry))
        }
        outcome => {
            let why = match outcome {
                Ok((_, verdict)) => verdict,
                Err(e) => e.to_string(),
            };
            let fix = report.fix;
            let f = report.add("registry", Level::Fail, format!("unusable: {why}"));
            if !fix {
                return Ok(None);
            }
            let scan = crate::store::rebuild::scan(layout)?;
            let count = scan.sessions.len();
            let aside = crate::store::rebuild::replace_registry(layout, scan.sessions)?;
            f.fixed = Some(format!(
                "rebuilt from {count} session dirs{}",
                aside
                    .map(|a| format!("; the old one is kept as {}", a.display()))
                    .unwrap_or_default()
            ));
            Ok(Some(Registry::open(&layout.registry_path())?))
        }
    }
}

fn check_sessions(report: &mut Report, layout: &Layout, registry: &mut Registry) -> Result<()> {
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
    let scan = crate::store::rebuild::scan(layout)?;
    let unregistered: Vec<_> = scan
        .sessions
        .into_iter()
        .filter(|s| !registered.contains(&s.session_id))
        .collect();
    if !unregistered.is_empty() {
        let names: Vec<String> = unregistered
            .iter()
            .map(|s| s.session_name.clone())
            .collect();
        let f = report.add(
            "sessions",
            Level::Fail,
            format!("dirs without a registry row: {}", names.join(", ")),
        );
        if fix {
            let added = crate::store::rebuild::import(registry, layout, unregistered)?;
            f.fixed = Some(format!("registered {added} from their metadata.json"));
        }
    }
    for skipped in scan.skipped {
        report.add("sessions", Level::Warn, skipped);
    }
    let mut broken_links = 0;
    let mut bad_config = 0;
    for s in &sessions {
        let dir = layout.session_dir(s.session_id);
        let broken: Vec<String> = crate::claude::share::LINKED
            .iter()
            .filter(|e| {
                fs::symlink_metadata(dir.join(e)).is_ok_and(|m| m.file_type().is_symlink())
                    && !dir.join(e).exists()
            })
            .map(|e| e.to_string())
            .collect();
        if !broken.is_empty() {
            broken_links += 1;
            let f = report.add(
                "links",
                Level::Fail,
                format!("{}: broken links {}", s.session_name, broken.join(", ")),
            );
            if fix && crate::claude::share::link_shared(&layout.base, &dir).is_ok() {
                f.fixed = Some("links re-made from the base".into());
            }
        }
        let config = dir.join(crate::claude::claude_json::FILE);
        let readable =
            crate::util::fsutil::read_bounded(&config, crate::util::fsutil::MAX_CLAUDE_JSON)
                .ok()
                .is_some_and(|b| serde_json::from_slice::<serde_json::Value>(&b).is_ok());
        if dir.is_dir() && config.exists() && !readable {
            bad_config += 1;
            let f = report.add(
                "claude.json",
                Level::Fail,
                format!("{}: {} is unreadable", s.session_name, config.display()),
            );
            if fix && !s.claude_is_live() && crate::run::prepare::prepare_dir(layout, s).is_ok() {
                f.fixed = Some("kept aside and seeded anew".into());
            }
        }
    }
    if broken_links == 0 && bad_config == 0 {
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

/// Holder sockets no holder answers on (a holder that was killed), by the
/// one rule of `ipc::stale`.
fn check_sockets(report: &mut Report) {
    let fix = report.fix;
    for dir in crate::ipc::endpoint::candidate_dirs() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if crate::ipc::stale::is_stale(&path) {
                let f = report.add(
                    "sockets",
                    Level::Fail,
                    format!("{} is stale (no holder answers)", path.display()),
                );
                if fix && fs::remove_file(&path).is_ok() {
                    f.fixed = Some("removed".into());
                }
            }
        }
    }
}

fn check_credentials(report: &mut Report, layout: &Layout) {
    if crate::claude::credentials::from_environment() {
        report.add(
            "login",
            Level::Ok,
            "from the environment (no credential files are used)",
        );
        return;
    }
    match crate::claude::credentials::survey(layout) {
        Ok(survey) if survey.in_sync() => {
            report.add(
                "login",
                Level::Ok,
                "every session has the newest credentials",
            );
        }
        Ok(survey) => {
            let newest = survey
                .newest
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let differ: Vec<String> = survey
                .differing()
                .map(|d| d.dir.display().to_string())
                .collect();
            let fix = report.fix;
            let f = report.add(
                "login",
                Level::Fail,
                format!(
                    "newest credentials are in {newest}; these differ: {}",
                    differ.join(", ")
                ),
            );
            if fix && crate::claude::credentials::sync_all(layout).is_ok() {
                f.fixed = Some("copied the newest to every dir".into());
            }
        }
        Err(e) => {
            report.add(
                "login",
                Level::Warn,
                format!("cannot survey credentials: {e:#}"),
            );
        }
    }
}

fn check_disk(report: &mut Report, layout: &Layout) {
    let at = if layout.store.exists() {
        layout.store.clone()
    } else {
        layout.home.clone()
    };
    if let Ok(stat) = nix::sys::statvfs::statvfs(&at) {
        let free = stat.blocks_available() * stat.fragment_size();
        let level = if free < LOW_DISK {
            Level::Warn
        } else {
            Level::Ok
        };
        report.add(
            "disk",
            level,
            format!(
                "{} free at {}",
                crate::util::output::human_bytes(free),
                at.display()
            ),
        );
    }
}
