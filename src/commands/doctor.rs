//! `claude-session doctor [--fix] [--json]`: checks the installation and
//! the store, explains what is wrong, and with --fix repairs what is safe
//! to repair (nothing is deleted that holds a conversation; a corrupt
//! registry is kept aside, not destroyed).

mod store;
mod worktrees;

use crate::cli::{DoctorArgs, GlobalArgs};
use crate::store::layout::Layout;
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
    if let Some(mut registry) = store::check_registry(&mut report, &layout)? {
        store::check_sessions(&mut report, &layout, &mut registry)?;
        worktrees::check(&mut report, &layout, &registry)?;
    }
    store::check_leftovers(&mut report, &layout);
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
