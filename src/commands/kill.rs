//! `claude-session kill` (being written).

use crate::cli::{GlobalArgs, KillArgs};
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn run(_global: &GlobalArgs, _args: KillArgs) -> Result<ExitCode> {
    bail!("`kill` is not available yet")
}
