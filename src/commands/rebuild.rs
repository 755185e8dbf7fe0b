//! `claude-session rebuild`: the registry rebuilt from the session dirs.
//! A sound registry is rewritten in place while other commands run; one
//! that cannot be used is built anew and the old file kept aside, never
//! deleted (see `crate::store::rebuild`).

use crate::cli::{GlobalArgs, RebuildArgs};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: RebuildArgs) -> Result<ExitCode> {
    let layout = super::layout(global)?;
    layout.ensure_store()?;
    if args.dry_run {
        let scan = crate::store::rebuild::scan(&layout)?;
        for skipped in &scan.skipped {
            crate::util::output::say(&format!("skipped {skipped}"));
        }
        crate::util::output::emit(&format!(
            "would rebuild the registry from {} session dirs\n",
            scan.sessions.len()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let rebuilt = crate::store::rebuild::rebuild(&layout)?;
    for skipped in &rebuilt.skipped {
        crate::util::output::say(&format!("skipped {skipped}"));
    }
    let mut text = format!("rebuilt the registry from {} session dirs\n", rebuilt.count);
    if let Some((_, Some(aside))) = &rebuilt.replaced {
        text.push_str(&format!(
            "the old registry is kept as {}\n",
            aside.display()
        ));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
