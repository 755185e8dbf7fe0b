//! `claude-session rebuild`: a new registry from the session dirs. The old
//! registry file is kept aside, never deleted.

use crate::cli::{GlobalArgs, RebuildArgs};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result};
use std::fs;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RebuildArgs) -> Result<ExitCode> {
    let layout = Layout::discover(global.store.as_deref(), global.base.as_deref())?;
    layout.ensure_store()?;
    let scan = crate::store::rebuild::scan(&layout)?;
    for skipped in &scan.skipped {
        eprintln!("claude-session: skipped {skipped}");
    }
    let count = scan.sessions.len();
    if args.dry_run {
        crate::util::output::emit(&format!(
            "would rebuild the registry from {count} session dirs\n"
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let kept = replace_registry(&layout, scan.sessions)?;
    let mut text = format!("rebuilt the registry from {count} session dirs\n");
    if let Some(aside) = kept {
        text.push_str(&format!(
            "the old registry is kept as {}\n",
            aside.display()
        ));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds a new registry from `sessions` beside the old one, moves the old
/// one (and its WAL) aside, and puts the new one in place. Returns where
/// the old one went.
pub fn replace_registry(
    layout: &Layout,
    sessions: Vec<crate::store::session::Session>,
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
