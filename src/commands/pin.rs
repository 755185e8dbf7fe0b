//! `claude-session pin SESSION...` / `unpin`: a pinned session is never
//! removed by `cleanup`, whatever its age or emptiness.

use crate::cli::{GlobalArgs, PinArgs};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: PinArgs, pinned: bool) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    // Resolve every session before changing any.
    let mut targets = Vec::new();
    for reference in &args.sessions {
        let session = crate::store::resolve::resolve(&store.registry, reference)?;
        if !targets.contains(&session.session_id) {
            targets.push(session.session_id);
        }
    }
    let mut text = String::new();
    for id in targets {
        if !store.registry.set_pinned(id, pinned)? {
            continue; // deleted meanwhile
        }
        let Some(session) = store.registry.get(id)? else {
            continue;
        };
        // metadata.json follows, so a rebuilt registry keeps the pin. A
        // session whose dir is gone has no metadata to keep in step.
        if store.layout.session_dir(id).is_dir() {
            crate::store::metadata::write(&store.layout, &session)?;
        }
        let verb = if pinned { "pinned" } else { "unpinned" };
        text.push_str(&format!(
            "{verb} {} ({})\n",
            session.session_name,
            session.short_id()
        ));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
