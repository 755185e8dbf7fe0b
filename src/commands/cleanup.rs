//! `claude-session cleanup`: remove sessions that are old (by last
//! activity), empty (never held a conversation) or orphaned (leftovers of an
//! interrupted removal, creation, import or rebuild; old registry backups). Never a running, attached or pinned
//! session, never anything outside the session dir (`crate::store::removal`).
//!
//! What is chosen from a first look is checked again under the session's
//! lock just before it goes: a session resumed meanwhile is kept.

mod plan;
mod report;
mod worktrees;

use crate::cli::{CleanupArgs, GlobalArgs};
use crate::run::lock::{Busy, SessionLock};
use crate::store::Store;
use crate::store::{leftovers, removal};
use crate::util::output::human_bytes;
use crate::util::timestamp::Timestamp;
use anyhow::{Result, bail};
use plan::{Kept, Kind, Select, Target, protected};
use std::fs;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: CleanupArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let select = Select {
        older_than: args.older_than,
        empty: args.empty,
        now: Timestamp::now(),
    };
    let (mut targets, mut kept) =
        plan::plan(&store.registry, &store.layout, &select, args.orphaned)?;
    let total: u64 = targets.iter().map(|t| t.bytes).sum();
    let interactive =
        !args.json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let remove = if args.dry_run || targets.is_empty() {
        false
    } else if args.yes {
        true
    } else if interactive {
        crate::util::output::emit(&report::listing(&targets, &kept, select.now))?;
        if !confirm(&format!(
            "Remove {} ({})? [y/N] ",
            report::count(&targets),
            human_bytes(total)
        ))? {
            crate::util::output::emit("nothing removed\n")?;
            return Ok(ExitCode::SUCCESS);
        }
        true
    } else {
        false
    };
    let mut failed = Vec::new();
    let kept_before = kept.len();
    if remove {
        let mut done = Vec::new();
        for mut target in targets {
            match apply(&mut store, &target, &select) {
                Ok(Outcome::Removed) => target.removed = true,
                // Chosen, then kept at the last look: reported as kept.
                Ok(Outcome::Kept(why)) => {
                    kept.push(Kept::new(&target, &why));
                    continue;
                }
                Err(e) => {
                    failed.push(format!("{e:#}"));
                    target.error = Some(format!("{e:#}"));
                }
            }
            done.push(target);
        }
        targets = done;
        let gone: Vec<uuid::Uuid> = targets
            .iter()
            .filter(|t| t.removed)
            .filter_map(|t| t.session_id)
            .collect();
        crate::search::forget_deleted(&store.layout, &gone);
    }
    let freed: u64 = targets.iter().filter(|t| t.removed).map(|t| t.bytes).sum();
    if args.json {
        crate::util::output::emit_json(&report::Report {
            dry_run: args.dry_run,
            targets,
            kept,
            freed_bytes: freed,
        })?;
    } else {
        // On a terminal the list was shown before the question; after it,
        // only what changed at the last look.
        let mut text = match interactive && remove {
            true => report::listing(&[], &kept[kept_before..], select.now),
            false => report::listing(&targets, &kept, select.now),
        };
        text.push_str(&report::summary(&targets, &args, remove, total, freed));
        crate::util::output::emit(&text)?;
    }
    if let Some(first) = failed.first() {
        bail!("{} could not be removed: {first}", failed.len());
    }
    Ok(ExitCode::SUCCESS)
}

enum Outcome {
    Removed,
    Kept(String),
}

/// Removes one target after checking again, under the session's lock, that
/// it still qualifies.
fn apply(store: &mut Store, target: &Target, select: &Select) -> Result<Outcome> {
    let kept = |why: &str| Ok(Outcome::Kept(why.to_string()));
    let path = &target.path;
    let real_dir = fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    // The lock lives in the dir (and moves with it to the trash): held by a
    // launcher, a holder, or an `rm` deleting it right now.
    let lockable = real_dir
        && matches!(
            target.kind,
            Kind::Session
                | Kind::RowWithoutDir
                | Kind::DirWithoutRow
                | Kind::Leftover(leftovers::Kind::Trash)
        );
    let _lock = match lockable {
        true => {
            let name = target.session_name.as_deref().unwrap_or("-");
            match SessionLock::take(path, name) {
                Ok(lock) => Some(lock),
                Err(e) if e.is::<Busy>() => {
                    return kept("in use by another claude-session process");
                }
                Err(e) => return Err(e),
            }
        }
        false => None,
    };
    match target.kind {
        Kind::Session | Kind::RowWithoutDir => {
            let id = target.session_id.expect("a registered target has an id");
            let Some(fresh) = store.registry.get(id)? else {
                return kept("removed by another process meanwhile");
            };
            if let Some(why) = protected(&fresh).or_else(|| plan::foreign(path)) {
                return kept(why);
            }
            if let Some(why) = crate::worktree::removal::kept_because(&fresh) {
                return kept(&why);
            }
            let exists = fs::symlink_metadata(path).is_ok();
            if target.kind == Kind::Session && select.why(&fresh, path).is_none() {
                return kept("used again meanwhile");
            }
            if target.kind == Kind::RowWithoutDir && exists {
                return kept("its dir is back");
            }
            worktrees::remove_with(&fresh)?;
            // The pin is checked again as the row goes: a `pin` may come
            // after the look above.
            let layout = &store.layout;
            if !removal::remove_unless_pinned(&mut store.registry, layout, &fresh, "cleanup")? {
                return kept("pinned");
            }
        }
        Kind::DirWithoutRow => {
            let id = target.session_id.expect("a session dir has an id");
            if store.registry.get(id)?.is_some() {
                return kept("registered meanwhile");
            }
            if let Some(why) = plan::foreign(path) {
                return kept(why);
            }
            removal::remove_unregistered(&store.layout, id)?;
        }
        Kind::Leftover(kind) => {
            if let Some(why) = leftovers::in_use(kind, path) {
                return kept(why);
            }
            leftovers::remove(path)?;
        }
        Kind::Worktree | Kind::MissingWorktree => return worktrees::apply(store, target),
        Kind::StaleSocket => {
            if !crate::ipc::stale::is_stale(path) {
                return kept("a holder answers on it again");
            }
            removal::delete_tree(path)?;
        }
    }
    Ok(Outcome::Removed)
}

/// Asks on the terminal; only "y" or "yes" says yes.
fn confirm(question: &str) -> Result<bool> {
    let mut err = std::io::stderr().lock();
    err.write_all(question.as_bytes())?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
