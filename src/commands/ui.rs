//! `claude-session ui`: the dashboard (see `dashboard`).

use crate::cli::{GlobalArgs, UiArgs};
use crate::dashboard::{self, Options};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: UiArgs) -> Result<ExitCode> {
    let store = super::open_store(global)?;
    // Every added host's sessions too (`host add`); none added, none asked.
    let hosts = crate::remote::config::load()?;
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    dashboard::run(
        store,
        Options {
            bell: !args.no_bell,
            notify: args.notify.filter(|c| !c.is_empty()),
            color,
        },
        hosts,
    )?;
    Ok(ExitCode::SUCCESS)
}
