//! The dashboard's state between frames: the sessions as last read, the
//! model, the preview, what is being typed; and when to read again.
//!
//! Reading is driven by change, not by a clock: the registry's
//! `data_version` moves when any other process commits (a hook's state, a
//! new session, a kill), and only then are the sessions read again. What no
//! commit announces — a holder killed outright, the state an interactive
//! Claude reports in its own file — is found by a sweep of the running
//! sessions every few seconds.

use super::draw::{Footer, Preview, Screen};
use super::input::{self, Action, Mode};
use super::model::{Model, Row};
use super::rows::{self, Branches};
use super::worktree::WorktreeLine;
use crate::store::Store;
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use anyhow::Result;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::ffi::OsString;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How often the running sessions are checked for what no commit says.
const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// How often the selected session's screen is read again.
const PREVIEW_EVERY: Duration = Duration::from_secs(1);
/// How many prompts and replies stand in for the screen of a session that
/// has none.
const PREVIEW_SAID: usize = 20;

pub struct Options {
    /// Ring the terminal bell when a session starts waiting.
    pub bell: bool,
    /// Run this (by /bin/sh, name and "waiting" as $1 and $2) then too.
    pub notify: Option<OsString>,
    pub color: bool,
}

/// What the run loop does after a key: nothing more, leave, or run one of
/// our commands (on the terminal, or in the background).
pub enum Effect {
    None,
    Quit,
    OnTerminal(Vec<String>),
    Background { args: Vec<String>, doing: String },
}

pub struct App {
    pub store: Store,
    options: Options,
    sessions: Vec<Session>,
    model: Model,
    preview: Preview,
    /// The session the preview shows and when it was read.
    previewed: Option<(Uuid, Instant)>,
    /// Another host's session whose screen was asked for, and the answer.
    asked: Option<(Uuid, mpsc::Receiver<Preview>)>,
    /// What git says of the selected session's worktree.
    worktree: WorktreeLine,
    mode: Mode,
    said: Option<(String, bool)>,
    help: bool,
    version: Option<i64>,
    swept: Instant,
    /// A bell is due (rung by the run loop, which owns the terminal).
    pub bell: bool,
    /// A session to select once it appears (one just made).
    select_when_seen: Option<Uuid>,
    notifiers: Vec<std::process::Child>,
    /// The sessions were read once.
    loaded: bool,
    /// Other hosts' sessions, asked for in the background.
    fleet: Option<super::hosts::Fleet>,
    remote: Vec<Row>,
    host_problems: Vec<String>,
}

impl App {
    pub fn new(store: Store, options: Options, hosts: Vec<crate::remote::config::Host>) -> App {
        App {
            fleet: super::hosts::Fleet::watch(hosts),
            remote: Vec::new(),
            host_problems: Vec::new(),
            store,
            options,
            sessions: Vec::new(),
            model: Model::default(),
            preview: Preview::default(),
            previewed: None,
            asked: None,
            worktree: WorktreeLine::default(),
            mode: Mode::Keys,
            said: None,
            help: false,
            version: None,
            swept: Instant::now(),
            bell: false,
            select_when_seen: None,
            notifiers: Vec::new(),
            loaded: false,
        }
    }

    /// Reads what changed since the last call; true if the screen should
    /// be drawn again.
    pub fn tick(&mut self) -> Result<bool> {
        let mut changed = false;
        let version = self.store.registry.data_version()?;
        if self.version != Some(version) {
            self.version = Some(version);
            self.reload()?;
            changed = true;
        } else if self.swept.elapsed() >= SWEEP_EVERY && self.sweep()? {
            self.set_rows();
            changed = true;
        }
        if let Some((rows, problems)) = self.fleet.as_ref().and_then(|f| f.latest(Timestamp::now()))
        {
            self.remote = rows;
            self.host_problems = problems;
            self.set_rows();
            changed = true;
        }
        changed |= self.refresh_preview();
        changed |= self.refresh_worktree();
        self.notifiers
            .retain_mut(|c| matches!(c.try_wait(), Ok(None)));
        Ok(changed)
    }

    /// Every session again, reconciled with the process table.
    fn reload(&mut self) -> Result<()> {
        self.sessions = self.store.registry.all()?;
        // What changed may be the selected session's conversation.
        self.previewed = None;
        self.sweep()?;
        self.set_rows();
        Ok(())
    }

    /// Reconciles the sessions that run; true if one of them changed.
    fn sweep(&mut self) -> Result<bool> {
        self.swept = Instant::now();
        let mut changed = false;
        for session in self.sessions.iter_mut() {
            if !matches!(session.status, Status::Active | Status::Hibernated) {
                continue;
            }
            let before = (session.status, session.state.clone(), session.holder);
            crate::run::liveness::reconcile(&mut self.store.registry, &self.store.layout, session)?;
            changed |= before != (session.status, session.state.clone(), session.holder);
        }
        Ok(changed)
    }

    fn set_rows(&mut self) {
        let now = Timestamp::now();
        let mut branches = Branches::default();
        let mut rows: Vec<Row> = self
            .sessions
            .iter()
            .map(|s| rows::row(&self.store.layout, s, now, &mut branches))
            .collect();
        rows.extend(self.remote.iter().cloned());
        let before = self.model.all().to_vec();
        self.model.set_rows(rows);
        if let Some(id) = self.select_when_seen
            && self.sessions.iter().any(|s| s.session_id == id)
        {
            self.model.select_id(id);
            self.select_when_seen = None;
        }
        // The first read announces nothing: what waits already is marked.
        if !std::mem::replace(&mut self.loaded, true) {
            return;
        }
        for name in self.model.newly_waiting(&before) {
            self.bell |= self.options.bell;
            if let Some(command) = &self.options.notify
                && let Ok(child) = crate::util::process::spawn_notifier(
                    command,
                    std::ffi::OsStr::new(&name),
                    "waiting",
                )
            {
                self.notifiers.push(child);
            }
        }
    }

    fn session(&self, id: Uuid) -> Option<&Session> {
        self.sessions.iter().find(|s| s.session_id == id)
    }

    /// Reads the selected session's screen (or conversation) when the
    /// selection moved, or when it is due; true if it changed. Another
    /// host's is asked for in the background and shown when it comes.
    fn refresh_preview(&mut self) -> bool {
        let Some(row) = self.model.selected() else {
            let had = !self.preview.lines.is_empty();
            self.preview = Preview::default();
            self.previewed = None;
            return had;
        };
        let (id, target, remote) = (row.id, row.target(), row.host.is_some());
        // Only a screen moves by itself; a conversation is read again when
        // the selection or the registry changes.
        let moving = row.running || row.held;
        if let Some((asked_for, answer)) = &self.asked {
            let asked_for = *asked_for;
            match answer.try_recv() {
                Ok(preview) => {
                    self.asked = None;
                    if asked_for == id {
                        return self.show_preview(id, preview);
                    }
                }
                Err(mpsc::TryRecvError::Empty) if asked_for == id => return false,
                Err(_) => self.asked = None,
            }
        }
        let due = self
            .previewed
            .is_none_or(|(shown, at)| shown != id || (moving && at.elapsed() >= PREVIEW_EVERY));
        if !due {
            return false;
        }
        if remote {
            let layout = self.store.layout.clone();
            let (tx, answer) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(super::preview::remote(&layout, &target));
            });
            self.asked = Some((id, answer));
            if self.previewed.is_some_and(|(shown, _)| shown == id) {
                return false;
            }
            let asking = Preview {
                source: "asking its host".into(),
                lines: Vec::new(),
            };
            return self.show_preview(id, asking);
        }
        let preview = match self.session(id) {
            Some(session) => super::preview::of(&self.store.layout, session, PREVIEW_SAID),
            None => Preview::default(),
        };
        self.show_preview(id, preview)
    }

    /// The selected session's worktree line, asked again when due.
    fn refresh_worktree(&mut self) -> bool {
        let selected = self.model.selected().map(|row| row.id);
        let session = selected.and_then(|id| self.sessions.iter().find(|s| s.session_id == id));
        let worktree = session.and_then(|s| Some((s.session_id, s.worktree.as_ref()?)));
        self.worktree.refresh(worktree)
    }

    fn show_preview(&mut self, id: Uuid, preview: Preview) -> bool {
        self.previewed = Some((id, Instant::now()));
        let changed = preview.lines != self.preview.lines || preview.source != self.preview.source;
        self.preview = preview;
        changed
    }

    /// What the screen shows now.
    pub fn screen(&self) -> Screen<'_> {
        let footer = match (self.mode.prompt(), &self.said) {
            (Some((question, answer)), _) => Footer::Prompt(question, answer),
            (None, Some((text, ok))) => Footer::Said(text.clone(), *ok),
            (None, None) => Footer::Keys,
        };
        Screen {
            model: &self.model,
            preview: &self.preview,
            worktree: self.worktree.line(self.model.selected().map(|row| row.id)),
            footer,
            help: self.help,
            color: self.options.color,
            now: Timestamp::now(),
            hosts: &self.host_problems,
        }
    }

    /// What a command said, in the footer until the next key.
    pub fn say(&mut self, text: String, ok: bool) {
        self.said = Some((text, ok));
    }

    /// A session our `new` just made: selected as soon as it is read.
    pub fn select_when_seen(&mut self, id: Uuid) {
        self.select_when_seen = Some(id);
    }

    pub fn key(&mut self, key: KeyEvent) -> Effect {
        self.said = None;
        if self.help {
            // Any key closes the help; it does nothing else.
            self.help = false;
            return Effect::None;
        }
        let selected = self.model.selected().cloned();
        if let (Mode::Keys, KeyCode::Char('d'), Some(row)) = (&self.mode, key.code, &selected)
            && (row.running || row.held)
        {
            self.say(
                format!("{} runs; k stops it, then d deletes it", row.label()),
                false,
            );
            return Effect::None;
        }
        let name = selected.as_ref().map(Row::label);
        let action = input::key(&mut self.mode, key, name.as_deref());
        let effect = self.act(action, selected.as_ref());
        self.refresh_preview();
        self.refresh_worktree();
        effect
    }

    fn act(&mut self, action: Action, row: Option<&Row>) -> Effect {
        let background = |args: &[&str], doing: String| Effect::Background {
            args: args.iter().map(|a| a.to_string()).collect(),
            doing,
        };
        match action {
            Action::None => Effect::None,
            Action::Quit => Effect::Quit,
            Action::Move(by) => {
                self.model.move_by(by);
                Effect::None
            }
            Action::Top => {
                self.model.move_by(isize::MIN / 2);
                Effect::None
            }
            Action::Bottom => {
                self.model.move_by(isize::MAX / 2);
                Effect::None
            }
            Action::NextWaiting => {
                if !self.model.next_waiting() {
                    self.say("no session is waiting for you".into(), true);
                }
                Effect::None
            }
            Action::Sort => {
                self.model.set_sort(self.model.sort.next());
                Effect::None
            }
            Action::Help => {
                self.help = true;
                Effect::None
            }
            Action::Filter(text) => {
                self.model.set_filter(&text);
                Effect::None
            }
            Action::New { name, dir, model } => {
                let mut args = vec!["new".to_string(), "--detached".into()];
                if !dir.trim().is_empty() {
                    args.extend(["--cwd".into(), dir.trim().to_string()]);
                }
                if !model.trim().is_empty() {
                    args.extend(["--model".into(), model.trim().to_string()]);
                }
                if !name.trim().is_empty() {
                    args.push(name.trim().to_string());
                }
                let doing = format!("starting {}", name.trim());
                Effect::Background { args, doing }
            }
            // The rest act on the selected session.
            _ if row.is_none() => Effect::None,
            Action::Attach => {
                let row = row.expect("checked above");
                let verb = if row.held { "attach" } else { "resume" };
                Effect::OnTerminal(vec![verb.into(), row.target()])
            }
            Action::Resume => {
                let row = row.expect("checked above");
                if row.running {
                    self.say(format!("{} runs; Enter attaches to it", row.label()), false);
                    return Effect::None;
                }
                let id = row.target();
                background(
                    &["resume", "--detached", &id],
                    format!("resuming {}", row.label()),
                )
            }
            Action::Pin => {
                let row = row.expect("checked above");
                let verb = if row.pinned { "unpin" } else { "pin" };
                let id = row.target();
                background(&[verb, &id], format!("{verb}ning {}", row.label()))
            }
            Action::Kill => {
                let row = row.expect("checked above");
                let id = row.target();
                background(&["kill", &id], format!("stopping {}", row.label()))
            }
            Action::Delete => {
                let row = row.expect("checked above");
                let id = row.target();
                background(&["rm", &id], format!("deleting {}", row.label()))
            }
        }
    }
}
