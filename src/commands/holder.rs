//! `claude-session __holder` (internal): the per-session holder process,
//! spawned by `new`, `resume` and `restore` (see `holder::start`).

use crate::cli::GlobalArgs;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs) -> Result<ExitCode> {
    let code = crate::holder::entry::main(super::layout(global));
    Ok(super::exit_code(code))
}
