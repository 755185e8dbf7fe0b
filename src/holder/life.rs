//! A holder's life after its start: the loop that serves the socket and
//! Claude's terminal, and what it does as things happen: clients come and
//! go, a kill, Claude's exit, hibernation and waking (see `hibernate`).

use super::hibernate;
use super::server::{self, Event, Server};
use crate::ipc::protocol::Reply;
use crate::run::plan::Invocation;
use crate::run::record;
use crate::store::journal::session_log;
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::Session;
use crate::util::process::Process;
use anyhow::Result;
use nix::sys::signal::Signal;
use std::path::PathBuf;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How often an idle holder wakes: to notice a deleted socket file or
/// session dir, Claude's exit while a grandchild keeps the PTY open (no
/// hang-up then), a login change to spread, a session idle long enough to
/// hibernate. Everything else (output, clients, Claude's exit) wakes it at
/// once.
pub const IDLE_TICK: Duration = Duration::from_secs(2);
/// How often a woken Claude is checked for its prompt.
const READY_TICK: Duration = Duration::from_millis(100);

/// The Claude this holder runs.
pub struct Running {
    pub child: Child,
    /// None when its start time could not be read (it exited at once).
    pub process: Option<Process>,
}

impl Running {
    fn signal(&self, signal: Signal) {
        if let Some(process) = self.process {
            process.signal(signal);
        }
    }
}

/// Where the session is in its life.
enum Phase {
    Running,
    /// Claude was asked to exit to hibernate; the screen from before.
    Hibernating {
        until: Instant,
        screen: Vec<u8>,
        asked_by: Option<u64>,
    },
    Hibernated,
    /// Claude was started again; what is typed for it waits for its prompt.
    Waking {
        until: Instant,
    },
}

/// How the holder's life ended.
pub enum End {
    /// Claude exited.
    Exited(ExitStatus),
    /// The session was stopped while hibernated.
    Stopped,
}

pub struct Life<'a> {
    pub layout: &'a Layout,
    pub dir: PathBuf,
    pub session: Session,
    pub invocation: Invocation,
    pub registry: Option<Registry>,
    pub server: Server,
    pub claude: Option<Running>,
    pub credentials: Option<crate::claude::credentials::Watch>,
    phase: Phase,
    kill_at: Option<Instant>,
    /// A kill or a wake asked for while Claude was exiting to hibernate.
    kill_after_exit: bool,
    wake_after_exit: Vec<Option<u64>>,
    /// A hibernation asked for while Claude was waking.
    hibernate_after_wake: Vec<u64>,
    /// Since when the session has been at rest, for auto-hibernation.
    at_rest_since: Option<Instant>,
    last_check: Instant,
}

impl<'a> Life<'a> {
    pub fn new(
        layout: &'a Layout,
        session: Session,
        invocation: Invocation,
        server: Server,
        claude: Option<Running>,
    ) -> Self {
        let hibernated = claude.is_none();
        Self {
            layout,
            dir: layout.session_dir(session.session_id),
            session,
            invocation,
            registry: None,
            server,
            claude,
            credentials: None,
            phase: if hibernated {
                Phase::Hibernated
            } else {
                Phase::Running
            },
            kill_at: None,
            kill_after_exit: false,
            wake_after_exit: Vec::new(),
            hibernate_after_wake: Vec::new(),
            at_rest_since: None,
            last_check: Instant::now(),
        }
    }

    /// One round: serve, then act on what happened. Some(end) once the
    /// holder's life is over.
    pub fn step(&mut self, events: &mut Vec<Event>) -> Result<Option<End>> {
        self.server.step(events)?;
        if let Some(watch) = self.credentials.as_mut() {
            watch.tick(self.layout);
        }
        for event in events.drain(..) {
            if let Some(end) = self.on_event(event) {
                return Ok(Some(end));
            }
        }
        if let Some(status) = self.exited()? {
            let killed = self.kill_at.is_some() || self.kill_after_exit;
            match std::mem::replace(&mut self.phase, Phase::Running) {
                _ if killed => return Ok(Some(End::Exited(status))),
                Phase::Hibernating {
                    screen, asked_by, ..
                } => self.hibernated(screen, asked_by, status),
                Phase::Waking { .. } => {
                    self.claude = None;
                    self.wake_failed(&format!(
                        "Claude exited as it started ({})",
                        record::Outcome::of(status).exit_code
                    ));
                }
                _ => return Ok(Some(End::Exited(status))),
            }
        }
        let now = Instant::now();
        if self.kill_at.is_some_and(|at| now >= at)
            && let Some(claude) = &self.claude
        {
            claude.signal(Signal::SIGKILL);
        }
        match self.phase {
            Phase::Hibernating {
                until, asked_by, ..
            } if now >= until => {
                self.phase = Phase::Running;
                self.answer(
                    asked_by,
                    Err(format!(
                        "Claude did not exit within {} s; it keeps running",
                        hibernate::EXIT_PATIENCE.as_secs()
                    )),
                );
                session_log(
                    self.layout,
                    &self.session,
                    &format!(
                        "hibernation failed: Claude did not exit within {} s; it keeps running",
                        hibernate::EXIT_PATIENCE.as_secs()
                    ),
                );
            }
            Phase::Waking { until } if now >= until || self.at_prompt() => {
                self.phase = Phase::Running;
                self.server.hold_input = false;
                for client in std::mem::take(&mut self.hibernate_after_wake) {
                    self.hibernate(Some(client));
                }
            }
            _ => {}
        }
        if self.last_check.elapsed() >= IDLE_TICK {
            self.last_check = now;
            // The session dir is gone (deleted by hand): nothing to keep
            // Claude running for; stop it like `kill` would.
            if !self.dir.is_dir() {
                if matches!(self.phase, Phase::Hibernated) {
                    return Ok(Some(End::Stopped));
                }
                if self.kill_at.is_none() {
                    self.kill(Duration::from_secs(10));
                }
            }
            self.maybe_hibernate();
        }
        self.server.tick = match (&self.phase, self.kill_at) {
            (Phase::Waking { .. }, _) => READY_TICK,
            (Phase::Hibernating { .. }, _) | (_, Some(_)) => server::TICK,
            _ => IDLE_TICK,
        };
        Ok(None)
    }

    /// Claude's exit status, once it has exited (its side of the PTY
    /// closed means it is exiting: it is reaped).
    fn exited(&mut self) -> Result<Option<ExitStatus>> {
        let open = self.server.has_agent();
        let Some(claude) = self.claude.as_mut() else {
            return Ok(None);
        };
        let status = match claude.child.try_wait()? {
            Some(status) => status,
            None if !open => claude.child.wait()?,
            None => return Ok(None),
        };
        Ok(Some(status))
    }

    fn on_event(&mut self, event: Event) -> Option<End> {
        match event {
            Event::Clients(n) => {
                self.session.clients = n;
                self.save();
            }
            Event::Kill(grace) => match self.phase {
                Phase::Hibernated => return Some(End::Stopped),
                Phase::Hibernating { .. } => self.kill_after_exit = true,
                _ => self.kill(grace),
            },
            Event::Hibernate(client) => match self.phase {
                Phase::Waking { .. } => self.hibernate_after_wake.push(client),
                _ => self.hibernate(Some(client)),
            },
            Event::Wake(client) => match self.phase {
                Phase::Hibernated => self.wake(client),
                Phase::Hibernating { .. } => self.wake_after_exit.push(client),
                _ => self.answer(client, Ok(())),
            },
        }
        None
    }

    fn kill(&mut self, grace: Duration) {
        if let Some(claude) = &self.claude {
            claude.signal(Signal::SIGTERM);
        }
        self.kill_at.get_or_insert(Instant::now() + grace);
    }

    /// Saves the session (row and metadata.json), then lets go of the
    /// pages that took: the holder idles for days between writes.
    pub fn save(&mut self) {
        record::save(self.layout, self.registry.as_mut(), &mut self.session);
        if let Some(registry) = &self.registry {
            registry.release_memory();
        }
    }

    fn answer(&mut self, client: Option<u64>, result: std::result::Result<(), String>) {
        let Some(client) = client else { return };
        let reply = match result {
            Ok(()) => {
                let mut reply = Reply::ok(self.claude_pid(), self.server.attached_count());
                reply.hibernated = matches!(self.phase, Phase::Hibernated);
                reply
            }
            Err(why) => Reply::error(why),
        };
        self.server.answer(client, reply);
    }

    fn claude_pid(&self) -> Option<u32> {
        self.claude.as_ref().map(|c| c.child.id())
    }

    /// Claude is at its prompt: it says so in its own status file.
    fn at_prompt(&self) -> bool {
        self.claude_pid()
            .and_then(|pid| crate::claude::live::status(&self.dir, pid))
            .is_some()
    }

    /// Hibernates if the session has been at rest for its `hibernate-after`.
    fn maybe_hibernate(&mut self) {
        let (Phase::Running, Some(pid)) = (&self.phase, self.claude_pid()) else {
            self.at_rest_since = None;
            return;
        };
        let Some(after) = hibernate::after(&self.dir) else {
            self.at_rest_since = None;
            return;
        };
        let attached = self.server.attached_count();
        if hibernate::blocker(&self.dir, pid, attached, self.server.draft()).is_some() {
            self.at_rest_since = None;
            return;
        }
        let since = *self.at_rest_since.get_or_insert_with(Instant::now);
        let since = since.max(self.server.activity());
        if since.elapsed() >= after {
            self.hibernate(None);
        }
    }

    /// Asks Claude to exit, keeping the session (see `hibernate`).
    fn hibernate(&mut self, asked_by: Option<u64>) {
        let pid = match (&self.phase, self.claude_pid()) {
            (Phase::Running, Some(pid)) => pid,
            (Phase::Hibernated, _) => return self.answer(asked_by, Ok(())),
            _ => return self.answer(asked_by, Err("Claude is starting or stopping".into())),
        };
        let attached = self.server.attached_count();
        if let Some(why) = hibernate::blocker(&self.dir, pid, attached, self.server.draft()) {
            return self.answer(asked_by, Err(why));
        }
        // The screen as it is, before Claude's farewell redraws it.
        let screen = self.server.screen_state();
        if let Some(claude) = &self.claude {
            claude.signal(Signal::SIGTERM);
        }
        self.phase = Phase::Hibernating {
            until: Instant::now() + hibernate::EXIT_PATIENCE,
            screen,
            asked_by,
        };
    }

    /// Claude exited to hibernate: the holder keeps the session.
    fn hibernated(&mut self, screen: Vec<u8>, asked_by: Option<u64>, status: ExitStatus) {
        self.claude = None;
        self.phase = Phase::Hibernated;
        self.server.agent_gone();
        hibernate::save_screen(&self.dir, &screen);
        self.server.keep_screen(screen);
        self.server.hibernated = true;
        // Logged before it is recorded: whoever sees the record finds the line.
        session_log(
            self.layout,
            &self.session,
            &format!(
                "hibernated (Claude exited with {})",
                record::Outcome::of(status).exit_code
            ),
        );
        record::hibernated(self.layout, self.registry.as_mut(), &mut self.session);
        self.answer(asked_by, Ok(()));
        if let Some(registry) = &self.registry {
            registry.release_memory();
        }
        super::memory::release_free_heap();
        for client in std::mem::take(&mut self.wake_after_exit) {
            if matches!(self.phase, Phase::Hibernated) {
                self.wake(client);
            } else {
                self.answer(client, Ok(()));
            }
        }
    }

    /// Starts Claude again on the session's conversation.
    fn wake(&mut self, asked_by: Option<u64>) {
        let size = self.server.size();
        match super::start_claude(self.layout, &mut self.session, &self.invocation, size) {
            Ok(started) => {
                let pid = started.child.id();
                if let Err(e) = self.server.set_agent(started.master, pid) {
                    crate::util::output::warn(format!("cannot serve the woken Claude: {e}"));
                }
                let process = Process::of(pid);
                self.claude = Some(Running {
                    child: started.child,
                    process,
                });
                self.server.hibernated = false;
                self.server.hold_input = true;
                self.phase = Phase::Waking {
                    until: Instant::now() + hibernate::READY_PATIENCE,
                };
                let holder = self.session.holder;
                record::started(
                    self.layout,
                    self.registry.as_mut(),
                    &mut self.session,
                    (process, holder),
                    &started.plan,
                );
                self.answer(asked_by, Ok(()));
            }
            Err(e) => {
                let why = format!("{e:#}");
                self.wake_failed(&why);
                self.answer(asked_by, Err(format!("cannot wake Claude: {why}")));
            }
        }
    }

    /// A wake that did not work: the session stays hibernated, resumable;
    /// the terminals that woke it are told why.
    fn wake_failed(&mut self, why: &str) {
        session_log(self.layout, &self.session, &format!("wake failed: {why}"));
        self.server.agent_gone();
        self.server.hold_input = false;
        self.server.hibernated = true;
        self.phase = Phase::Hibernated;
        self.server
            .detach_all(&format!("cannot wake Claude: {why}"));
        record::hibernated(self.layout, self.registry.as_mut(), &mut self.session);
    }
}
