//! `claude-session resume SESSION | --last`: start Claude again in a
//! session, in the directory it started in, continuing its conversation.

use super::Store;
use crate::cli::{GlobalArgs, ResumeArgs};
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: ResumeArgs) -> Result<ExitCode> {
    crate::launch::check_passthrough(&args.claude.args)?;
    let claude = crate::launch::find_claude(args.claude.bin.as_deref())?;
    let mut store = Store::open(global)?;
    let mut session = match &args.session {
        Some(reference) => crate::resolve::resolve(&store.registry, reference)?,
        None => crate::resolve::last(&store.registry)?,
    };
    let layout = store.layout.clone();
    crate::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    if crate::liveness::is_live(&session) {
        bail!(
            "session {} is already running (pid {}); two Claude processes in one session would corrupt it",
            session.session_name,
            session.pid.unwrap_or_default()
        );
    }
    if !layout.session_dir(session.session_id).is_dir() {
        bail!(
            "session {} has no dir any more ({}); `claude-session rm {}` removes its entry",
            session.session_name,
            layout.session_dir(session.session_id).display(),
            session.session_name
        );
    }
    crate::journal::audit(&layout, "resume", &session);
    if std::io::stderr().is_terminal() {
        eprintln!(
            "claude-session: resuming {} ({}) in {}",
            session.session_name,
            session.short_id(),
            session.working_directory.display()
        );
    }
    let outcome = crate::launch::run(
        &layout,
        &mut store.registry,
        &mut session,
        &claude,
        &args.claude.args,
    )
    .with_context(|| format!("cannot resume session {}", session.session_name))?;
    say_goodbye(&session);
    Ok(super::exit_code(outcome.exit_code))
}

/// After Claude exits, tell a person at a terminal how to come back.
pub fn say_goodbye(session: &Session) {
    if std::io::stderr().is_terminal() {
        eprintln!(
            "claude-session: {} ended ({}); continue it with: claude-session resume {}",
            session.session_name,
            match session.exit_code {
                Some(code) => format!("exit {code}"),
                None => "no exit code".to_string(),
            },
            session.session_name
        );
    }
}
