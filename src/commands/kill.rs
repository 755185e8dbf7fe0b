//! `claude-session kill SESSION...`: stop Claude gracefully (SIGTERM), then
//! forcefully (SIGKILL) after a timeout. The session and its conversation
//! stay; `resume` continues it.

use crate::cli::{GlobalArgs, KillArgs};
use crate::run::liveness;
use crate::store::Store;
use crate::store::session::Session;
use anyhow::{Result, bail};
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub fn run(global: &GlobalArgs, args: KillArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    let mut targets = Vec::new();
    for reference in &args.sessions {
        let mut session = crate::store::resolve::resolve(&store.registry, reference)?;
        liveness::reconcile(&mut store.registry, &layout, &mut session)?;
        if !session.is_running() {
            bail!("session {} is not running", session.session_name);
        }
        targets.push(session);
    }
    let grace = Duration::from_secs(args.timeout);
    for session in &targets {
        super::launch::stop(session, grace)?;
    }
    let mut text = String::new();
    for session in &targets {
        wait_until_stopped(&mut store, session, grace)?;
        text.push_str(&format!("stopped {}\n", session.session_name));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Waits for the exit to be recorded; SIGKILLs a foreground Claude that
/// outlives the grace (a holder does that itself).
fn wait_until_stopped(store: &mut Store, session: &Session, grace: Duration) -> Result<()> {
    let deadline = Instant::now() + grace;
    let give_up = deadline + Duration::from_secs(5);
    loop {
        let mut current = store
            .registry
            .get(session.session_id)?
            .unwrap_or_else(|| session.clone());
        liveness::reconcile(&mut store.registry, &store.layout, &mut current)?;
        // Stopped once the exit is recorded (by the holder or launcher) or
        // nobody is left to record it, and its holder is gone (it holds
        // the session until then: a `resume` right after must find it free).
        if current.status != crate::store::session::Status::Active && !session.holder_is_live() {
            return Ok(());
        }
        let now = Instant::now();
        if now > give_up {
            bail!("session {} did not stop", session.session_name);
        }
        if now > deadline
            && !current.holder_is_live()
            && let Some(claude) = current.claude
        {
            claude.signal(nix::sys::signal::Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
