//! Claude in this terminal, without a holder: it ends with the terminal.

use crate::run::lock::SessionLock;
use crate::run::plan::Invocation;
use crate::run::record::{self, Outcome};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use crate::util::process::Process;
use anyhow::{Context, Result};

/// Runs Claude in the session in this terminal and waits for it.
pub fn run(
    layout: &Layout,
    registry: &mut Registry,
    session: &mut Session,
    invocation: &Invocation,
) -> Result<Outcome> {
    let _lock = SessionLock::take(
        &layout.session_dir(session.session_id),
        &session.session_name,
    )?;
    let prepared = crate::run::prepare::prepare(layout, session)?;
    let plan = crate::run::plan::plan(layout, session, invocation, prepared);
    let signals = crate::run::signals::SignalGuard::install();
    let mut child = plan
        .command()
        .spawn()
        .with_context(|| format!("cannot start {}", invocation.claude.display()))?;
    signals.forward_to(child.id());
    let claude = Process::of(child.id());
    record::started(layout, Some(registry), session, (claude, None), &plan);
    let status = child.wait().context("lost track of the Claude process")?;
    drop(signals);
    Ok(record::exited(layout, Some(registry), session, status))
}
