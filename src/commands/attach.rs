//! `claude-session attach [SESSION]`: this terminal to a running session.

use super::Store;
use crate::cli::{AttachArgs, GlobalArgs};
use crate::run::liveness;
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: AttachArgs) -> Result<ExitCode> {
    let keys = crate::run::runner::detach_keys(args.keys.detach_keys.as_deref())?;
    let mut store = Store::open(global)?;
    let layout = store.layout.clone();
    let mut session = match &args.session {
        Some(reference) => crate::store::resolve::resolve(&store.registry, reference)?,
        None => {
            let mut running = store
                .registry
                .all()?
                .into_iter()
                .filter(liveness::holder_is_live);
            match running.next() {
                Some(session) => session,
                None => bail!(
                    "no session is running under a holder; `claude-session list` shows them all"
                ),
            }
        }
    };
    liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    let name = &session.session_name;
    if !liveness::is_live(&session) {
        bail!("session {name} is not running; `claude-session resume {name}` starts it again");
    }
    if !liveness::holder_is_live(&session) {
        bail!(
            "session {name} runs in the foreground of another terminal, without a holder, so it cannot be attached"
        );
    }
    crate::run::runner::attach_to(&session, args.read_only, keys)
}
