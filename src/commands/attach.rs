//! `claude-session attach [SESSION]`: this terminal to a running session.

use crate::cli::{AttachArgs, GlobalArgs, UsageError};
use anyhow::{Result, bail};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: AttachArgs) -> Result<ExitCode> {
    let keys = crate::client::detach_keys::DetachKeys::chosen(args.keys.detach_keys.as_deref())?;
    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    let mut session = match &args.session {
        Some(reference) => crate::store::resolve::resolve(&store.registry, reference)?,
        None => {
            let mut running = store
                .registry
                .all()?
                .into_iter()
                .filter(|s| s.holder_is_live());
            match running.next() {
                Some(session) => session,
                None => bail!(
                    "no session is running under a holder; `claude-session list` shows them all"
                ),
            }
        }
    };
    crate::run::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    let name = &session.session_name;
    if !session.is_running() {
        bail!("session {name} is not running; `claude-session resume {name}` starts it again");
    }
    if !session.holder_is_live() {
        bail!(
            "session {name} runs in the foreground of another terminal, without a holder, so it cannot be attached"
        );
    }
    // Off a terminal (a script, a pipe) an attach would take the session
    // from the person attached, then wait for Claude's end: only on request.
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !terminal && !args.no_tty {
        return Err(UsageError(format!(
            "attach needs a terminal (stdin and stdout); `claude-session show {name}` tells a script the session's state, --no-tty attaches anyway"
        ))
        .into());
    }
    super::launch::attach_to(&session, args.read_only, keys)
}
