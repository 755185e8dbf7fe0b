//! `claude-session attach [SESSION]`: this terminal to a running session.

use crate::cli::{AttachArgs, GlobalArgs};
use anyhow::{Result, bail};
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
    if !session.claude_is_live() {
        bail!("session {name} is not running; `claude-session resume {name}` starts it again");
    }
    if !session.holder_is_live() {
        bail!(
            "session {name} runs in the foreground of another terminal, without a holder, so it cannot be attached"
        );
    }
    super::launch::attach_to(&session, args.read_only, keys)
}
