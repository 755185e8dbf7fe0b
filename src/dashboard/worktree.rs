//! What git says of the selected session's worktree ("2 commits ahead of
//! main, 1 uncommitted file"), for the preview's title. It costs two git
//! commands (tens of milliseconds in a big repository), so it is asked in
//! the background when the selection moves and every few seconds, never
//! on the way to a frame; the table itself runs no git.

use crate::store::session::Worktree;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How often git is asked again about the same session.
const EVERY: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct WorktreeLine {
    /// The session the line is about, and the line.
    shown: Option<(Uuid, String)>,
    /// The session git is being asked about, and the answer to come.
    pending: Option<(Uuid, mpsc::Receiver<String>)>,
    /// The session git was last asked about, and when.
    asked: Option<(Uuid, Instant)>,
}

impl WorktreeLine {
    /// The line for the session `id`, if it is the one known.
    pub fn line(&self, id: Option<Uuid>) -> Option<&str> {
        self.shown
            .as_ref()
            .filter(|(about, _)| Some(*about) == id)
            .map(|(_, line)| line.as_str())
    }

    /// Takes an answer that came, and asks git again when the selection
    /// moved or the last answer is old. `selected`: the selected session,
    /// if it has a worktree. True if the line shown changed.
    pub fn refresh(&mut self, selected: Option<(Uuid, &Worktree)>) -> bool {
        let id = selected.map(|(id, _)| id);
        let mut changed = false;
        if let Some((about, answer)) = &self.pending {
            let about = *about;
            match answer.try_recv() {
                Ok(line) => {
                    self.pending = None;
                    if Some(about) == id {
                        changed = self.line(id) != Some(line.as_str());
                        self.shown = Some((about, line));
                    }
                }
                // One question at a time; an answer about a session no
                // longer selected is dropped when it comes.
                Err(TryRecvError::Empty) if Some(about) == id => return false,
                Err(_) => self.pending = None,
            }
        }
        let Some((id, worktree)) = selected else {
            self.asked = None;
            return self.shown.take().is_some() || changed;
        };
        let due = self
            .asked
            .is_none_or(|(about, at)| about != id || at.elapsed() >= EVERY);
        if due && self.pending.is_none() {
            let worktree = worktree.clone();
            let (tx, answer) = mpsc::channel();
            std::thread::spawn(move || {
                let state = crate::worktree::state(&worktree);
                let _ = tx.send(
                    crate::view::safe(&crate::worktree::summary(&worktree, &state)).into_owned(),
                );
            });
            self.pending = Some((id, answer));
            self.asked = Some((id, Instant::now()));
        }
        changed
    }
}
