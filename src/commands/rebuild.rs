//! `claude-session rebuild`: a new registry from the session dirs. The old
//! registry file is kept aside, never deleted.

use crate::cli::{GlobalArgs, RebuildArgs};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RebuildArgs) -> Result<ExitCode> {
    let layout = super::layout(global)?;
    layout.ensure_store()?;
    let scan = crate::store::rebuild::scan(&layout)?;
    for skipped in &scan.skipped {
        crate::util::output::say(&format!("skipped {skipped}"));
    }
    let count = scan.sessions.len();
    if args.dry_run {
        crate::util::output::emit(&format!(
            "would rebuild the registry from {count} session dirs\n"
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let kept = crate::store::rebuild::replace_registry(&layout, scan.sessions)?;
    let mut text = format!("rebuilt the registry from {count} session dirs\n");
    if let Some(aside) = kept {
        text.push_str(&format!(
            "the old registry is kept as {}\n",
            aside.display()
        ));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
