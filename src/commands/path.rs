//! `claude-session path SESSION`: print the session dir.

use crate::cli::{GlobalArgs, PathArgs};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: PathArgs) -> Result<ExitCode> {
    let store = super::open_store(global)?;
    let session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    let dir = store.layout.session_dir(session.session_id);
    crate::util::output::emit(&format!("{}\n", dir.display()))?;
    Ok(ExitCode::SUCCESS)
}
