//! `claude-session send SESSION TEXT...`: types TEXT into a running
//! session, then Enter, as if typed at its prompt.

use crate::cli::{GlobalArgs, SendArgs};
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: SendArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let mut session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    crate::run::liveness::reconcile(&mut store.registry, &store.layout, &mut session)?;
    let name = &session.session_name;
    if !session.holder_is_live() {
        bail!(
            "session {name} is not running under a holder; `claude-session resume {name} --detached` starts it"
        );
    }
    let text = args.text.join(" ");
    crate::client::peek::send(session.session_id, &text, !args.no_enter)?;
    Ok(ExitCode::SUCCESS)
}
