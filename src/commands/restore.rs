//! `claude-session restore`: after a reboot (or any death of holders), start
//! again, detached, every session whose Claude was running and whose end
//! nobody recorded. Each continues its latest conversation, with the Claude
//! Code binary it ran (run from `@reboot`, restore has no --claude and
//! often no CLAUDE_BIN or PATH of the user's shell).

use super::launch::Mode;
use crate::cli::{GlobalArgs, RestoreArgs};
use crate::store::session::{Session, Status};
use anyhow::{Result, anyhow};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RestoreArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    // CLAUDE_BIN, else PATH: looked up once, for sessions whose own binary
    // is unknown or gone.
    let mut fallback = None;
    let mut text = String::new();
    let mut failed = 0;
    for mut session in store.registry.all()? {
        crate::run::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
        // Crashed with no exit code: it was running when it vanished;
        // hibernated without a holder: it is brought back hibernated (a
        // holder, no Claude: quick, and no memory until it is wanted).
        let was_running = session.status == Status::Crashed && session.exit_code.is_none();
        let hibernated = session.status == Status::Hibernated && session.holder.is_none();
        if !was_running && !hibernated {
            continue;
        }
        let name = session.session_name.clone();
        if args.dry_run {
            text.push_str(&format!("would restore {name}\n"));
            continue;
        }
        let started = binary(&session, &mut fallback).and_then(|claude| {
            let invocation = crate::run::plan::Invocation {
                claude,
                args: Vec::new(),
                notify: None,
                conversation: None,
            };
            let start = super::launch::HolderStart {
                mode: Mode::Detached,
                holder: None,
                watch: None,
                hibernated,
            };
            super::launch::start_holder(&layout, &session, invocation, start)
        });
        match started {
            Ok(_) => {
                crate::store::journal::audit(&layout, "restore", &session);
                let how = if hibernated { " (hibernated)" } else { "" };
                text.push_str(&format!("restored {name}{how}\n"));
            }
            Err(e) => {
                failed += 1;
                crate::util::output::say(&format!("cannot restore {name}: {e:#}"));
            }
        }
    }
    crate::util::output::emit(&text)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The binary the session ran, if it is still there; else CLAUDE_BIN or
/// PATH (`fallback` keeps that lookup); else why none would do.
fn binary(session: &Session, fallback: &mut Option<Result<PathBuf, String>>) -> Result<PathBuf> {
    let own = session.claude_bin.as_deref();
    if let Some(own) = own
        && let Ok(found) = crate::claude::binary::find(Some(own))
    {
        return Ok(found);
    }
    let found = fallback.get_or_insert_with(|| {
        let claude_bin = std::env::var_os("CLAUDE_BIN").map(PathBuf::from);
        crate::claude::binary::find(claude_bin.as_deref()).map_err(|e| format!("{e:#}"))
    });
    match (found, own) {
        (Ok(found), _) => Ok(found.clone()),
        (Err(why), Some(own)) => Err(anyhow!(
            "the claude it ran, {}, is gone, and {why}",
            own.display()
        )),
        (Err(why), None) => Err(anyhow!("{why}")),
    }
}
