//! `claude-session holder` (being written).

use crate::cli::{GlobalArgs, HolderArgs};
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn run(_global: &GlobalArgs, _args: HolderArgs) -> Result<ExitCode> {
    bail!("`holder` is not available yet")
}
