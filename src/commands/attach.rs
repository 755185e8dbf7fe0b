//! `claude-session attach` (being written).

use crate::cli::{AttachArgs, GlobalArgs};
use anyhow::{Result, bail};
use std::process::ExitCode;

pub fn run(_global: &GlobalArgs, _args: AttachArgs) -> Result<ExitCode> {
    bail!("`attach` is not available yet")
}
