//! `claude-session hibernate SESSION... | --idle`: let Claude exit now,
//! keeping the session (its holder, its screen); and `wake SESSION`.
//! See `holder::hibernate`.

use crate::cli::{GlobalArgs, HibernateArgs, WakeArgs};
use crate::ipc::{endpoint, protocol::Request};
use crate::store::session::Session;
use anyhow::{Result, bail};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;

/// How long a hibernation may take: Claude's exit, with room to spare.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Done {
    session_name: String,
    hibernated: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
}

pub fn run(global: &GlobalArgs, args: HibernateArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let mut targets: Vec<Session> = Vec::new();
    if args.idle {
        for session in crate::run::liveness::all(&mut store.registry, &store.layout)? {
            let idle = session.state.as_deref() == Some("idle") && session.clients == 0;
            if session.claude_is_live() && session.holder_is_live() && idle {
                targets.push(session);
            }
        }
    } else {
        for reference in &args.sessions {
            let mut session = crate::store::resolve::resolve(&store.registry, reference)?;
            crate::run::liveness::reconcile(&mut store.registry, &store.layout, &mut session)?;
            if !session.holder_is_live() {
                bail!(
                    "session {} does not run under a holder: nothing to hibernate",
                    session.session_name
                );
            }
            targets.push(session);
        }
    }
    let mut done = Vec::new();
    for session in &targets {
        let asked = endpoint::request_within(session.session_id, Request::Hibernate, PATIENCE);
        done.push(Done {
            session_name: session.session_name.clone(),
            hibernated: asked.is_ok(),
            why: asked.err().map(|e| {
                let why = format!("{e:#}");
                why.strip_prefix("the holder refused: ")
                    .unwrap_or(&why)
                    .to_string()
            }),
        });
    }
    let refused = done.iter().filter(|d| !d.hibernated).count();
    if args.json {
        crate::util::output::emit_json(&done)?;
    } else {
        let mut text = String::new();
        for d in &done {
            match &d.why {
                None => text.push_str(&format!("hibernated {}\n", d.session_name)),
                Some(why) => text.push_str(&format!("kept {}: {why}\n", d.session_name)),
            }
        }
        crate::util::output::emit(&text)?;
    }
    // Named sessions that stay awake are a failure; --idle only reports.
    Ok(if refused > 0 && !args.idle {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn wake(global: &GlobalArgs, args: WakeArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let mut text = String::new();
    for reference in &args.sessions {
        let mut session = crate::store::resolve::resolve(&store.registry, reference)?;
        crate::run::liveness::reconcile(&mut store.registry, &store.layout, &mut session)?;
        let name = &session.session_name;
        // Awake already (another wake came first): its holder says so.
        if !session.holder_is_live() {
            bail!(
                "session {name} does not run under a holder; `claude-session resume {name}` starts it"
            );
        }
        super::launch::wake(&session)?;
        text.push_str(&format!("woken {name}\n"));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
