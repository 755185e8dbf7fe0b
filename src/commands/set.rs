//! `claude-session set SESSION key=value...`: change a session's own
//! settings; they apply from its next launch.

use crate::claude::overrides::Overrides;
use crate::cli::{GlobalArgs, SetArgs};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: SetArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let mut session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    let dir = store.layout.session_dir(session.session_id);
    let mut overrides = Overrides::load(&dir)?;
    // All or nothing: check every assignment before saving any.
    for assignment in &args.assignments {
        overrides.set(assignment)?;
    }
    overrides.save(&dir)?;
    if let Some(model) = &overrides.model {
        session.model = Some(model.clone());
        store.registry.update(&session)?;
        crate::store::metadata::write(&store.layout, &session)?;
    }
    let layout = store.layout.clone();
    crate::run::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    let mut text = serde_json::to_string_pretty(&overrides)?;
    text.push('\n');
    if session.claude_is_live() {
        text.push_str(&format!(
            "{} is running: this applies from its next start\n",
            session.session_name
        ));
    }
    crate::util::output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
