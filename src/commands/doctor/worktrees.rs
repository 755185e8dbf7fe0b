//! `doctor` on worktrees (`crate::worktree`): a session whose worktree was
//! deleted by hand cannot be resumed (Claude finds a conversation only
//! from its directory), so --fix makes it again on its branch; a worktree
//! whose session is gone is said, and left to `cleanup --orphaned`, which
//! removes it only when nothing in it would be lost.

use super::{Level, Report};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::worktree::orphans;
use anyhow::Result;
use std::collections::HashSet;

pub(super) fn check(report: &mut Report, layout: &Layout, registry: &Registry) -> Result<()> {
    let fix = report.fix;
    let sessions = registry.all()?;
    let mut count = 0;
    let mut broken = 0;
    for session in sessions.iter().filter(|s| s.worktree.is_some()) {
        count += 1;
        let Some(w) = orphans::missing(session) else {
            continue;
        };
        broken += 1;
        let f = report.add(
            "worktrees",
            Level::Fail,
            format!(
                "{}: its worktree {} was deleted (branch {})",
                session.session_name,
                crate::view::safe_path(&w.path),
                crate::view::safe(&w.branch)
            ),
        );
        if fix && !session.claude_is_live() {
            match orphans::recreate(session) {
                Ok(how) => f.fixed = Some(how),
                Err(e) => f.detail.push_str(&format!("; cannot make it again: {e:#}")),
            }
        }
    }
    let registered: HashSet<_> = sessions.iter().map(|s| s.session_id).collect();
    for orphan in orphans::orphaned(layout, &registered) {
        broken += 1;
        report.add(
            "worktrees",
            Level::Warn,
            format!(
                "{} was made for session {} ({}), which is gone; `claude-session cleanup --orphaned` removes it if nothing in it would be lost",
                crate::view::safe_path(&orphan.path),
                crate::view::safe(&orphan.marker.session_name),
                crate::store::session::short_id(orphan.marker.session_id)
            ),
        );
    }
    if broken == 0 && count > 0 {
        report.add(
            "worktrees",
            Level::Ok,
            format!("{count} sessions' worktrees in place"),
        );
    }
    Ok(())
}
