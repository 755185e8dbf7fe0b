//! `claude-session show SESSION`: everything known about one session.

use crate::claude::stats::Tokens;
use crate::cli::{GlobalArgs, ShowArgs};
use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: ShowArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let mut session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    crate::run::liveness::reconcile(&mut store.registry, &store.layout, &mut session)?;
    let dir = store.layout.session_dir(session.session_id);
    let overrides = crate::claude::overrides::Overrides::load(&dir)?;
    // Reads only what the transcripts gained since the last read.
    let summary = match crate::claude::stats::session_stats(&dir) {
        Ok(totals) => Some(totals.summary()),
        Err(e) => {
            crate::util::output::warn(format!("cannot read the transcripts: {e:#}"));
            None
        }
    };
    let tokens = summary.as_ref().map(|s| s.tokens);
    // The model that answered last (after `/model` too), else the one
    // asked for at launch.
    if let Some(model) = summary.and_then(|s| s.model) {
        session.model = Some(model);
    }
    if args.json {
        let mut detail = crate::view::Detail::new(&store.layout, &session);
        detail.tokens = tokens;
        detail.overrides = Some(overrides);
        crate::util::output::emit_json(&detail)?;
    } else {
        let mut text = text(&store.layout, &session, tokens, Timestamp::now());
        if let Some(worktree) = &session.worktree {
            text.push_str(&worktree_text(worktree));
        }
        if !overrides.is_empty() {
            text.push_str(&format!(
                "{:<14} {}\n",
                "overrides:",
                crate::view::safe(&serde_json::to_string(&overrides)?)
            ));
        }
        crate::util::output::emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn text(layout: &Layout, s: &Session, tokens: Option<Tokens>, now: Timestamp) -> String {
    let when = |t: Option<Timestamp>| match t {
        Some(t) => format!("{t} ({})", t.ago(now)),
        None => "-".to_string(),
    };
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let fields: Vec<(&str, String)> = vec![
        ("name", s.session_name.clone()),
        ("id", s.session_id.to_string()),
        ("status", crate::view::status_text(s)),
        (
            "dir",
            layout.session_dir(s.session_id).display().to_string(),
        ),
        ("cwd", s.working_directory.display().to_string()),
        ("user", s.user_id.clone()),
        ("ssh client", dash(&s.ssh_client)),
        ("created", when(Some(s.start_time))),
        ("last activity", when(Some(s.last_activity))),
        ("ended", when(s.end_time)),
        (
            "exit code",
            s.exit_code.map_or("-".to_string(), |c| c.to_string()),
        ),
        ("model", dash(&s.model)),
        ("messages", s.message_count.to_string()),
        ("tool calls", s.tool_call_count.to_string()),
        (
            "tokens",
            tokens.map_or("-".to_string(), |t| {
                format!(
                    "input {} output {} cache write {} cache read {}",
                    t.input, t.output, t.cache_creation, t.cache_read
                )
            }),
        ),
        (
            "pid",
            s.claude.map_or("-".to_string(), |p| p.pid.to_string()),
        ),
        ("pinned", if s.pinned { "yes" } else { "no" }.to_string()),
    ];
    let mut out = String::new();
    // Every field may come from a metadata.json or an archive.
    for (key, value) in fields {
        let value = crate::view::safe(&value);
        out.push_str(&format!("{:<14} {value}\n", format!("{key}:")));
    }
    out
}

/// The worktree, its repository and branch, and what git says of it now.
fn worktree_text(w: &crate::store::session::Worktree) -> String {
    let state = crate::worktree::state(w);
    let fields = [
        ("worktree", w.path.display().to_string()),
        ("repository", w.repository.display().to_string()),
        (
            "branch",
            format!(
                "{} (from {} at {})",
                w.branch,
                crate::worktree::base_name(w),
                w.base_commit.chars().take(7).collect::<String>()
            ),
        ),
        ("changes", crate::worktree::summary(w, &state)),
    ];
    let mut out = String::new();
    for (key, value) in fields {
        let value = crate::view::safe(&value);
        out.push_str(&format!("{:<14} {value}\n", format!("{key}:")));
    }
    out
}
