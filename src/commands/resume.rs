//! `claude-session resume SESSION | --last`: start Claude again in a
//! session, in the directory it started in, continuing its conversation;
//! or, if it still runs under a holder, attach to it.

use super::Store;
use crate::cli::{GlobalArgs, ResumeArgs};
use crate::runner::Mode;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: ResumeArgs) -> Result<ExitCode> {
    crate::launch::check_passthrough(&args.claude.args)?;
    let keys = crate::runner::detach_keys(args.run.keys.detach_keys.as_deref())?;
    let mode = Mode::choose(&args.run);
    let claude = crate::launch::find_claude(args.claude.bin.as_deref())?;
    let mut store = Store::open(global)?;
    let mut session = match &args.session {
        Some(reference) => crate::resolve::resolve(&store.registry, reference)?,
        None => crate::resolve::last(&store.registry)?,
    };
    let layout = store.layout.clone();
    crate::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    if crate::liveness::is_live(&session) {
        let name = &session.session_name;
        if !crate::liveness::holder_is_live(&session) {
            bail!(
                "session {name} is already running in the foreground of another terminal (pid {}); two Claude processes in one session would corrupt it",
                session.pid.unwrap_or_default()
            );
        }
        return match mode {
            Mode::Attached => crate::runner::attach_to(&session, false, keys),
            Mode::Detached => {
                crate::output::emit(&format!("{}\n", session.session_id))?;
                Ok(ExitCode::SUCCESS)
            }
            Mode::Foreground => bail!(
                "session {name} is already running under its holder; attach to it with `claude-session attach {name}` (from a terminal)"
            ),
        };
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
    if mode == Mode::Foreground && std::io::stderr().is_terminal() {
        eprintln!(
            "claude-session: resuming {} ({}) in {}",
            session.session_name,
            session.short_id(),
            session.working_directory.display()
        );
    }
    let code = crate::runner::start(
        &layout,
        &mut store.registry,
        &mut session,
        &claude,
        &args.claude.args,
        mode,
        keys,
    )
    .with_context(|| format!("cannot resume session {}", session.session_name))?;
    if mode == Mode::Foreground {
        say_goodbye(&session);
    }
    Ok(code)
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
