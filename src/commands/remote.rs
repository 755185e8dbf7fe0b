//! `claude-session __remote [--list [--no-git]] [--echo WORD]` (hidden): what another
//! host's claude-session asks this one over ssh (see `remote`): its
//! protocol and version, the word it sent, and with `--list` this
//! machine's sessions as `list --json` gives them.

use crate::cli::{GlobalArgs, RemoteArgs};
use crate::remote::{Hello, PROTOCOL};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RemoteArgs) -> Result<ExitCode> {
    let mut hello = Hello::<crate::view::Detail> {
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION").to_string(),
        echo: args.echo,
        home: None,
        sessions: None,
    };
    // Compact: it is read by a program, over the network.
    if !args.list {
        crate::util::output::emit(&(serde_json::to_string(&hello)? + "\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = super::open_store(global)?;
    let mut sessions = crate::run::liveness::all(&mut store.registry, &store.layout)?;
    hello.home = Some(store.layout.home.clone());
    hello.sessions = Some(crate::view::listed(
        &store.layout,
        &mut sessions,
        !args.no_git,
    ));
    crate::util::output::emit(&(serde_json::to_string(&hello)? + "\n"))?;
    Ok(ExitCode::SUCCESS)
}
