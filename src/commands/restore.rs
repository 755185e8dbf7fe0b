//! `claude-session restore`: after a reboot (or any death of holders), start
//! again, detached, every session whose Claude was running and whose end
//! nobody recorded. Each continues its latest conversation.

use super::launch::Mode;
use crate::cli::{GlobalArgs, RestoreArgs};
use crate::store::session::Status;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RestoreArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    let claude_bin = std::env::var_os("CLAUDE_BIN").map(std::path::PathBuf::from);
    let claude = crate::claude::binary::find(claude_bin.as_deref())?;
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
        let invocation = crate::run::plan::Invocation {
            claude: claude.clone(),
            args: Vec::new(),
            notify: None,
        };
        let started =
            super::launch::start_holder(&layout, &session, invocation, Mode::Detached, None, None);
        match started {
            Ok(_) => {
                crate::store::journal::audit(&layout, "restore", &session);
                text.push_str(&format!("restored {name}\n"));
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
