//! `claude-session ui`: the dashboard (see `dashboard`).

use crate::cli::{GlobalArgs, UiArgs};
use crate::dashboard::{self, Options};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: UiArgs) -> Result<ExitCode> {
    let store = super::open_store(global)?;
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    dashboard::run(
        store,
        Options {
            bell: !args.no_bell,
            notify: args.notify.filter(|c| !c.is_empty()),
            color,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
