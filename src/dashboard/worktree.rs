//! What git says of the selected session's worktree ("2 commits ahead of
//! main, 1 uncommitted file"), for the preview's title. It costs two git
//! commands (tens of milliseconds in a big repository, more in a huge one),
//! so it is asked in the background, one question at a time, when the
//! selection moves and every few seconds after an answer; never on the way
//! to a frame. The table itself runs no git.

use crate::store::session::Worktree;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long after an answer git is asked again about the same session.
const EVERY: Duration = Duration::from_secs(5);

pub struct WorktreeLine {
    /// The session the line is about, and the line.
    shown: Option<(Uuid, String)>,
    /// The session git is being asked about, and the answer to come.
    pending: Option<(Uuid, mpsc::Receiver<String>)>,
    /// The session git last answered about, and when.
    answered: Option<(Uuid, Instant)>,
    /// Asks git, in the background (a test puts its own here).
    ask: fn(Worktree, mpsc::Sender<String>),
}

impl Default for WorktreeLine {
    fn default() -> Self {
        Self::asking(|worktree, answer| {
            // No thread to be had now: asked again at the next refresh.
            let _ = std::thread::Builder::new()
                .name("worktree".into())
                .spawn(move || {
                    let state = crate::worktree::state(&worktree);
                    let line = crate::worktree::summary(&worktree, &state);
                    let _ = answer.send(crate::view::safe(&line).into_owned());
                });
        })
    }
}

impl WorktreeLine {
    fn asking(ask: fn(Worktree, mpsc::Sender<String>)) -> Self {
        Self {
            shown: None,
            pending: None,
            answered: None,
            ask,
        }
    }

    /// The line for the session `id`, if it is the one known.
    pub fn line(&self, id: Option<Uuid>) -> Option<&str> {
        self.shown
            .as_ref()
            .filter(|(about, _)| Some(*about) == id)
            .map(|(_, line)| line.as_str())
    }

    /// Takes an answer that came, and asks git when the selection moved or
    /// the last answer is old. `selected`: the selected session, if it has
    /// a worktree. True if the line shown changed.
    pub fn refresh(&mut self, selected: Option<(Uuid, &Worktree)>) -> bool {
        let id = selected.map(|(id, _)| id);
        let mut changed = false;
        if let Some((about, answer)) = &self.pending {
            let about = *about;
            match answer.try_recv() {
                // One question at a time: the next waits for this answer,
                // kept only if that session is still the one selected.
                Err(TryRecvError::Empty) => return false,
                Ok(line) => {
                    self.pending = None;
                    self.answered = Some((about, Instant::now()));
                    if Some(about) == id {
                        changed = self.line(id) != Some(line.as_str());
                        self.shown = Some((about, line));
                    }
                }
                Err(TryRecvError::Disconnected) => self.pending = None,
            }
        }
        let Some((id, worktree)) = selected else {
            return self.shown.take().is_some() || changed;
        };
        let due = self
            .answered
            .is_none_or(|(about, at)| about != id || at.elapsed() >= EVERY);
        if due {
            let (tx, answer) = mpsc::channel();
            (self.ask)(worktree.clone(), tx);
            self.pending = Some((id, answer));
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The questions asked, each with its answer's sender, for the test to
    /// answer when it likes.
    static ASKED: Mutex<Vec<(Worktree, mpsc::Sender<String>)>> = Mutex::new(Vec::new());

    fn worktree(branch: &str) -> Worktree {
        Worktree {
            repository: "/src/api".into(),
            path: format!("/w/{branch}").into(),
            branch: branch.into(),
            base_ref: None,
            base_commit: "1a2b3c4d".into(),
        }
    }

    fn answer(branch: &str, line: &str) {
        let mut asked = ASKED.lock().unwrap();
        let at = asked.iter().position(|(w, _)| w.branch == branch).unwrap();
        let (_, tx) = asked.remove(at);
        tx.send(line.into()).unwrap();
    }

    fn asked() -> Vec<String> {
        ASKED
            .lock()
            .unwrap()
            .iter()
            .map(|(w, _)| w.branch.clone())
            .collect()
    }

    /// One question at a time, whatever the selection does; an answer is
    /// shown for its own session only; the session selected then is asked
    /// about next.
    #[test]
    fn one_question_at_a_time_and_each_answer_for_its_own_session() {
        let mut line = WorktreeLine::asking(|w, tx| ASKED.lock().unwrap().push((w, tx)));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (wa, wb) = (worktree("a"), worktree("b"));
        assert!(!line.refresh(Some((a, &wa))));
        // The selection moves to b, to a, to b: nothing more is asked yet.
        assert!(!line.refresh(Some((b, &wb))));
        assert!(!line.refresh(Some((a, &wa))));
        assert!(!line.refresh(Some((b, &wb))));
        assert_eq!(asked(), ["a"]);
        // a's answer comes while b is selected: not shown; b is asked.
        answer("a", "a's line");
        assert!(!line.refresh(Some((b, &wb))));
        assert_eq!(line.line(Some(b)), None);
        assert_eq!(asked(), ["b"]);
        answer("b", "b's line");
        assert!(line.refresh(Some((b, &wb))));
        assert_eq!(line.line(Some(b)), Some("b's line"));
        assert_eq!(line.line(Some(a)), None);
        // Answered just now: not asked again before EVERY.
        assert!(!line.refresh(Some((b, &wb))));
        assert!(asked().is_empty());
        // A session without a worktree selected: the line goes.
        assert!(line.refresh(None));
        assert_eq!(line.line(Some(b)), None);
    }
}
