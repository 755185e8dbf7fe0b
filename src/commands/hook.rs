//! `claude-session hook`: run by Claude Code for each hook event (see
//! `crate::claude::hooks`). It must never get in Claude's way: it always exits 0
//! (exit 2 would block the tool call), ignores what it cannot read, and
//! writes its problems to the session log.

use crate::cli::GlobalArgs;
use crate::store::registry::Registry;
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result};
use std::io::Read;
use std::process::ExitCode;
use uuid::Uuid;

/// Hook payloads are small; a huge one is read up to here and ignored.
const MAX_PAYLOAD: u64 = 16 << 20;

pub fn run(global: &GlobalArgs) -> Result<ExitCode> {
    let Some(id) = std::env::var("CLAUDE_SESSION_ID")
        .ok()
        .and_then(|v| Uuid::parse_str(&v).ok())
    else {
        // Not started by claude-session (the user's own claude): nothing to do.
        return Ok(ExitCode::SUCCESS);
    };
    if let Err(e) = record(global, id)
        && let Ok(layout) = super::layout(global)
    {
        let line = format!("{} hook: {e:#}", Timestamp::now());
        let _ = crate::util::fsutil::append_private_line(
            &layout.session_dir(id).join("session.log"),
            &line,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn record(global: &GlobalArgs, id: Uuid) -> Result<()> {
    let mut payload = Vec::new();
    std::io::stdin()
        .take(MAX_PAYLOAD)
        .read_to_end(&mut payload)
        .context("cannot read the event")?;
    let event: serde_json::Value =
        serde_json::from_slice(&payload).context("the event is not JSON")?;
    let update = crate::claude::hooks::interpret(&event, Timestamp::now());
    let layout = super::layout(global)?;
    let mut registry = Registry::open(&layout.registry_path())?;
    let before = registry.apply_hook(id, &update)?;
    // The end of a turn: its lines of the transcript are counted now (only
    // what was appended is read), so `list` shows current tokens and model
    // without reading any transcript itself.
    if before.is_some() && event["hook_event_name"] == "Stop" {
        crate::claude::stats::session_stats(&layout.session_dir(id))?;
    }
    if update.state == Some("waiting")
        && let Some(before) = before
        && before.as_deref() != Some("waiting")
    {
        notify("waiting");
    }
    Ok(())
}

/// Runs the user's notification command (`--notify` / $CLAUDE_SESSION_NOTIFY)
/// with the session's name and new state as $1 and $2, without waiting for it:
/// a slow notifier must not slow Claude.
fn notify(state: &str) {
    let Some(command) = std::env::var_os("CLAUDE_SESSION_NOTIFY").filter(|c| !c.is_empty()) else {
        return;
    };
    let name = std::env::var_os("CLAUDE_SESSION_NAME").unwrap_or_default();
    let _ = crate::util::process::spawn_notifier(&command, &name, state);
}
