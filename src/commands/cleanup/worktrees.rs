//! What `cleanup` does with worktrees (`crate::worktree`): a session's
//! worktree goes with it only when nothing in it would be lost, else the
//! session stays; with --orphaned, worktrees whose session is gone go on
//! the same terms, and git forgets worktrees deleted by hand.

use super::Outcome;
use super::plan::{Kept, Kind, Target};
use crate::store::Store;
use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::worktree::orphans;
use anyhow::Result;
use std::collections::HashSet;

/// Removes the session's worktree (nothing in it is at risk: checked under
/// the session's lock just before), before the session goes.
pub(super) fn remove_with(session: &Session) -> Result<()> {
    if let Some(w) = &session.worktree {
        crate::worktree::removal::remove(w, false)?;
    }
    Ok(())
}

/// With --orphaned: worktrees whose session is gone, and sessions whose
/// worktree was deleted by hand (git's record of it goes; the session,
/// which holds a conversation, stays).
pub(super) fn plan(
    layout: &Layout,
    sessions: &[Session],
    targets: &mut Vec<Target>,
    kept: &mut Vec<Kept>,
) {
    let registered: HashSet<_> = sessions.iter().map(|s| s.session_id).collect();
    for orphan in orphans::orphaned(layout, &registered) {
        let target = Target {
            kind: Kind::Worktree,
            session_id: Some(orphan.marker.session_id),
            session_name: Some(orphan.marker.session_name.clone()),
            bytes: crate::util::fsutil::tree_size(&orphan.path),
            path: orphan.path.clone(),
            last_activity: None,
            why: "worktree of a session that is gone".to_string(),
            removed: false,
            error: None,
        };
        let why = match orphan.young {
            true => Some("made less than a minute ago (its session being made?)".to_string()),
            false => match crate::worktree::removal::at_risk(&orphan.marker.worktree) {
                Ok(risk) if risk.is_empty() => None,
                Ok(risk) => Some(format!("it holds work that would be lost: {risk}")),
                Err(e) => Some(format!("{e:#}")),
            },
        };
        match why {
            Some(why) => kept.push(Kept::new(&target, &why)),
            None => targets.push(target),
        }
    }
    for session in sessions {
        let Some(w) = orphans::missing(session) else {
            continue;
        };
        let target = Target {
            kind: Kind::MissingWorktree,
            session_id: Some(session.session_id),
            session_name: Some(session.session_name.clone()),
            bytes: 0,
            path: w.path.clone(),
            last_activity: Some(session.last_activity),
            why: "worktree deleted by hand: git forgets it, the session stays".to_string(),
            removed: false,
            error: None,
        };
        match orphans::still_recorded(w) {
            true => targets.push(target),
            false => kept.push(Kept::new(
                &target,
                &format!(
                    "its worktree {} was deleted; `claude-session doctor --fix` makes it again on its branch {}",
                    crate::view::safe_path(&w.path),
                    crate::view::safe(&w.branch)
                ),
            )),
        }
    }
}

/// Removes an orphaned worktree, or has git forget a deleted one, after
/// looking again.
pub(super) fn apply(store: &Store, target: &Target) -> Result<Outcome> {
    let kept = |why: &str| Ok(Outcome::Kept(why.to_string()));
    let id = target
        .session_id
        .expect("a worktree target has a session id");
    match target.kind {
        Kind::Worktree => {
            let registered = store.registry.get(id)?.map(|s| s.session_id);
            let registered: HashSet<_> = registered.into_iter().collect();
            let Some(orphan) = orphans::orphaned(&store.layout, &registered)
                .into_iter()
                .find(|o| o.path == target.path && !o.young)
            else {
                return kept("its session is back, or it is gone");
            };
            if let Err(why) = orphans::remove_orphan(&orphan)? {
                return kept(&why);
            }
        }
        _ => {
            let Some(session) = store.registry.get(id)? else {
                return kept("its session was removed meanwhile");
            };
            match orphans::missing(&session) {
                Some(w) if w.path == target.path => orphans::forget(w)?,
                _ => return kept("its worktree is back"),
            }
        }
    }
    Ok(Outcome::Removed)
}
