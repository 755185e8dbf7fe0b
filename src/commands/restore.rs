//! `claude-session restore` (being written).

use crate::cli::{GlobalArgs, RestoreArgs};
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn run(_global: &GlobalArgs, _args: RestoreArgs) -> Result<ExitCode> {
    bail!("`restore` is not available yet")
}
