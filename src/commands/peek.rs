//! `claude-session peek SESSION`: the session's screen as it is now, read
//! from its holder without attaching (nothing is woken or taken over); for
//! a session that is not running, the end of its conversation.

use crate::cli::{GlobalArgs, PeekArgs};
use crate::view::safe;
use anyhow::Result;
use serde::Serialize;
use std::process::ExitCode;

/// How many prompts and replies a session that is not running shows.
const SAID: usize = 10;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Peeked<'a> {
    session_id: String,
    session_name: &'a str,
    /// `list`'s words for its state.
    status: String,
    /// "screen" (from its holder) or "conversation" (from its transcript).
    source: &'static str,
    /// The screen's size, for `screen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<(u16, u16)>,
    lines: Vec<String>,
}

pub fn run(global: &GlobalArgs, args: PeekArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let mut session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    crate::run::liveness::reconcile(&mut store.registry, &store.layout, &mut session)?;
    let (source, size, mut lines) = if session.holder_is_live() {
        let screen = crate::client::peek::screen(session.session_id)?;
        let (rows, cols) = screen.size();
        (
            "screen",
            Some((rows.get(), cols.get())),
            crate::client::peek::lines(&screen),
        )
    } else {
        (
            "conversation",
            None,
            crate::claude::transcript::said_lines(
                &store.layout.session_dir(session.session_id),
                &session.working_directory,
                SAID,
            ),
        )
    };
    if let Some(n) = args.lines {
        let first = lines.len().saturating_sub(usize::from(n));
        lines.drain(..first);
    }
    if args.json {
        crate::util::output::emit_json(&Peeked {
            session_id: session.session_id.to_string(),
            session_name: &session.session_name,
            status: crate::view::status_text(&session),
            source,
            size,
            lines,
        })?;
    } else {
        let mut text = String::new();
        for line in &lines {
            text.push_str(&safe(line));
            text.push('\n');
        }
        crate::util::output::emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}
