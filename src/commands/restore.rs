//! `claude-session restore`: after a reboot (or any death of holders), start
//! again, detached, every session whose Claude was running and whose end
//! nobody recorded. Each continues its latest conversation.

use super::Store;
use crate::cli::{GlobalArgs, RestoreArgs};
use crate::store::session::Status;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RestoreArgs) -> Result<ExitCode> {
    let mut store = Store::open(global)?;
    let layout = store.layout.clone();
    let claude_bin = std::env::var_os("CLAUDE_BIN").map(std::path::PathBuf::from);
    let claude = crate::run::launch::find_claude(claude_bin.as_deref())?;
    let mut text = String::new();
    let mut failed = 0;
    for mut session in store.registry.all()? {
        crate::run::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
        // Crashed with no exit code: it was running when it vanished.
        if session.status != Status::Crashed || session.exit_code.is_some() {
            continue;
        }
        let name = session.session_name.clone();
        if args.dry_run {
            text.push_str(&format!("would restore {name}\n"));
            continue;
        }
        let size = crate::holder::DEFAULT_SIZE;
        let started =
            crate::run::runner::spawn_holder(&layout, session.session_id, &claude, &[], size)
                .and_then(|holder| {
                    holder.start(&layout, &mut store.registry, &mut session, || Ok(()))
                });
        match started {
            Ok(()) => {
                crate::store::journal::audit(&layout, "restore", &session);
                text.push_str(&format!("restored {name}\n"));
            }
            Err(e) => {
                failed += 1;
                eprintln!("claude-session: cannot restore {name}: {e:#}");
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
