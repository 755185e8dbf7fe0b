//! The holder's event loop: one thread, `poll(2)` over the PTY master, the
//! listening socket and the clients. Output from Claude goes to the virtual
//! screen and to every attached client; keystrokes from the one interactive
//! client go to Claude.

mod client;
mod requests;

use super::screen::Screen;
use crate::ipc::protocol::{self, Frame, Reply};
use client::{Client, Phase};
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

/// Read from the PTY before going back to the poll loop (and the clients'
/// keystrokes), when Claude prints without pause.
const READ_BATCH: usize = 128 * 1024;
/// How often the loop wakes with nothing to do while something waits on
/// the clock (the start's record, a kill's grace period); see `Server::tick`.
pub const TICK: Duration = Duration::from_millis(250);
/// The delay between the two resizes that make Claude redraw on attach.
const NUDGE_DELAY: Duration = Duration::from_millis(40);
/// Claude is quiet when it printed nothing for this long: the time to
/// parse what it printed (see `screen`).
const QUIET: Duration = Duration::from_millis(30);
/// Output through the holder since memory was last given back, past which
/// a quiet moment gives it back at once.
const TRIM_AFTER: u64 = 4 << 20;
/// Below that, memory is given back once Claude has been quiet this long:
/// a turn's output (mostly well under TRIM_AFTER) left freed buffers that
/// glibc would otherwise keep for the holder's idle hours (measured: 1 MB
/// through a client left a holder 150 kB bigger than 200 MB did).
const TRIM_WHEN_IDLE: Duration = Duration::from_millis(500);

/// What the loop reports back to the holder.
pub enum Event {
    /// The number of attached clients changed.
    Clients(u32),
    /// A client asked to stop Claude, with this grace before SIGKILL.
    Kill(Duration),
    /// A client asked to hibernate now; the holder answers it.
    Hibernate(u64),
    /// Claude is wanted (a terminal attached, text sent, a `wake`) while
    /// the session hibernates; the holder answers the client, if any.
    Wake(Option<u64>),
}

pub struct Server {
    /// Claude's terminal, until Claude's side of it closes.
    master: Option<OwnedFd>,
    pub listener: UnixListener,
    agent_pid: Option<u32>,
    /// The session hibernates: no Claude, the screen kept (see `holder`).
    pub hibernated: bool,
    /// Input for Claude waits (a woken Claude not yet at its prompt).
    pub hold_input: bool,
    /// Text is left typed at Claude's prompt, as far as can be told.
    draft: bool,
    /// When Claude last printed or was typed to.
    activity: Instant,
    /// Text sent in waits for its Enter (see `requests::typed_text_out`).
    enter_pending: bool,
    next_client: u64,
    screen: Screen,
    size: (u16, u16),
    /// When Claude last printed, while output waits to be parsed.
    last_output: Option<Instant>,
    /// Bytes through the holder since memory was last given back.
    since_trim: u64,
    /// When to give memory back if Claude stays quiet (see TRIM_WHEN_IDLE).
    trim_at: Option<Instant>,
    clients: Vec<Client>,
    to_agent: Vec<u8>,
    nudge_at: Option<Instant>,
    /// When the Enter of text sent in is typed.
    enter_at: Option<Instant>,
    /// A client has attached (see `await_first_client`).
    ever_attached: bool,
    /// The longest the loop sleeps with nothing to do: `TICK`, or longer
    /// once nothing waits on the clock (an idle holder wakes rarely).
    pub tick: Duration,
}

impl Server {
    /// A server for Claude `agent` (its PTY and pid), or for none yet.
    pub fn new(
        agent: Option<(OwnedFd, u32)>,
        listener: UnixListener,
        rows: u16,
        cols: u16,
    ) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let (r, c) = protocol::screen_size(rows, cols);
        let mut server = Self {
            master: None,
            listener,
            agent_pid: None,
            hibernated: false,
            hold_input: false,
            draft: false,
            activity: Instant::now(),
            enter_pending: false,
            next_client: 1,
            screen: Screen::new(r, c),
            size: (r.get(), c.get()),
            last_output: None,
            since_trim: 0,
            trim_at: None,
            clients: Vec::new(),
            to_agent: Vec::new(),
            nudge_at: None,
            enter_at: None,
            ever_attached: false,
            tick: TICK,
        };
        if let Some((master, pid)) = agent {
            server.set_agent(master, pid)?;
        }
        Ok(server)
    }

    /// Claude, (re)started on the PTY `master`: output is read from it and
    /// input goes to it, at the screen's size.
    pub fn set_agent(&mut self, master: OwnedFd, pid: u32) -> io::Result<()> {
        super::pty::set_nonblocking(&master)?;
        let _ = super::pty::resize(&master, self.size.0, self.size.1);
        self.master = Some(master);
        self.agent_pid = Some(pid);
        self.activity = Instant::now();
        Ok(())
    }

    /// Claude has gone (hibernated): what was typed for it goes nowhere.
    pub fn agent_gone(&mut self) {
        self.master = None;
        self.agent_pid = None;
        self.to_agent.clear();
        self.enter_pending = false;
        self.enter_at = None;
        self.draft = false;
    }

    /// Claude's side of the PTY is open.
    pub fn has_agent(&self) -> bool {
        self.master.is_some()
    }

    /// The screen's size (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// How many terminals are attached (watchers included).
    pub fn attached_count(&self) -> u32 {
        self.attached()
    }

    /// When Claude last printed or was typed to.
    pub fn activity(&self) -> Instant {
        self.activity
    }

    /// Whether text is left typed at Claude's prompt.
    pub fn draft(&self) -> bool {
        self.draft
    }

    /// The screen, formatted: kept across Claude's restart (see
    /// `holder::hibernate`).
    pub fn screen_state(&mut self) -> Vec<u8> {
        self.screen.restore()
    }

    /// Keeps a screen formatted by `screen_state` while Claude is gone.
    pub fn keep_screen(&mut self, state: Vec<u8>) {
        self.screen.keep(state);
    }

    /// Tells every interactive client why it is let go.
    pub fn detach_all(&mut self, why: &str) {
        self.detach_interactive(None, why);
    }

    /// Lets every interactive client but `except` go, telling it why.
    fn detach_interactive(&mut self, except: Option<usize>, why: &str) {
        for (i, c) in self.clients.iter_mut().enumerate() {
            if Some(i) != except && matches!(c.phase, Phase::Attached { read_only: false }) {
                c.queue(&protocol::encode(&Frame::Detached(why.to_string())));
                c.phase = Phase::Closing;
                let _ = c.flush();
            }
        }
    }

    fn attached(&self) -> u32 {
        self.clients.iter().filter(|c| c.is_attached()).count() as u32
    }

    /// One round of the loop. Returns false once Claude's side of the PTY
    /// has closed (Claude and everything holding its terminal are gone).
    pub fn step(&mut self, events: &mut Vec<Event>) -> io::Result<bool> {
        let now = Instant::now();
        let timeout = [
            self.nudge_at,
            self.enter_at,
            self.last_output.map(|at| at + QUIET),
            self.trim_at,
        ]
        .into_iter()
        .flatten()
        .map(|at| at.saturating_duration_since(now))
        .fold(self.tick, Duration::min);
        let (agent, listener, clients) = match self.poll(timeout)? {
            Some(revents) => revents,
            None => return Ok(self.master.is_some()),
        };
        if let Some(at) = self.nudge_at
            && Instant::now() >= at
        {
            self.nudge_at = None;
            if let Some(master) = &self.master {
                let _ = super::pty::resize(master, self.size.0, self.size.1);
            }
        }
        if let Some(at) = self.enter_at
            && Instant::now() >= at
        {
            self.enter_at = None;
            self.to_agent.push(b'\r');
            self.draft = false;
            self.write_agent();
        }
        let before = self.attached();
        let readable = PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR;
        if agent.contains(PollFlags::POLLOUT) {
            self.write_agent();
        }
        if agent.intersects(readable) {
            self.read_agent(false)?;
        } else if self.last_output.is_some_and(|at| at.elapsed() >= QUIET) {
            self.quiet();
        } else if self.last_output.is_none() && self.trim_at.is_some_and(|at| Instant::now() >= at)
        {
            self.trim();
        }
        let mut gone = Vec::new();
        for (i, revents) in clients.iter().enumerate() {
            let alive = (!revents.intersects(readable) || self.read_client(i, events))
                && (!revents.contains(PollFlags::POLLOUT) || self.clients[i].flush().is_ok());
            if !alive {
                gone.push(i);
            }
        }
        for (i, c) in self.clients.iter_mut().enumerate() {
            let done = matches!(c.phase, Phase::Closing) && !c.has_output();
            if done && !gone.contains(&i) {
                gone.push(i);
            }
            // Skipped forward and caught up: the screen as it is now.
            if c.is_attached() && c.owes_screen() {
                c.queue_output(&self.screen.restore());
                let _ = c.flush();
            }
        }
        gone.sort_unstable();
        for i in gone.into_iter().rev() {
            self.clients.remove(i);
        }
        if listener.contains(PollFlags::POLLIN) {
            self.accept();
        }
        if self.attached() != before {
            events.push(Event::Clients(self.attached()));
        }
        Ok(self.master.is_some())
    }

    /// Waits up to `timeout` for the PTY (while Claude's side is open), the
    /// socket and the clients; what each is ready for, or None if the wait
    /// was interrupted by a signal.
    fn poll(
        &self,
        timeout: Duration,
    ) -> io::Result<Option<(PollFlags, PollFlags, Vec<PollFlags>)>> {
        let flags = |read: bool, write: bool| {
            let mut flags = PollFlags::empty();
            flags.set(PollFlags::POLLIN, read);
            flags.set(PollFlags::POLLOUT, write);
            flags
        };
        let mut fds = Vec::with_capacity(2 + self.clients.len());
        fds.push(PollFd::new(self.listener.as_fd(), PollFlags::POLLIN));
        for c in &self.clients {
            let read = !matches!(c.phase, Phase::Closing);
            fds.push(PollFd::new(c.stream.as_fd(), flags(read, c.has_output())));
        }
        if let Some(master) = &self.master {
            // Always read: a client that falls behind is skipped forward
            // (see `client`), never allowed to stop Claude.
            let write = !self.to_agent.is_empty() && !self.hold_input;
            fds.push(PollFd::new(master.as_fd(), flags(true, write)));
        }
        let timeout = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Err(nix::errno::Errno::EINTR) => return Ok(None),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        let mut revents: Vec<PollFlags> = fds
            .iter()
            .map(|fd| fd.revents().unwrap_or(PollFlags::empty()))
            .collect();
        let agent = match self.master {
            Some(_) => revents.pop().unwrap_or(PollFlags::empty()),
            None => PollFlags::empty(),
        };
        let listener = revents.remove(0);
        Ok(Some((agent, listener, revents)))
    }

    /// Reads what Claude wrote and queues it for the attached clients. With
    /// `drain`, reads until the PTY is empty (at exit, so the last output
    /// is not lost); otherwise until it has nothing more right now or a
    /// batch is read, then lets the poll loop come back.
    fn read_agent(&mut self, drain: bool) -> io::Result<()> {
        let Some(master) = self.master.as_ref().map(|m| m.as_raw_fd()) else {
            return Ok(());
        };
        let mut batch = 0;
        let open = loop {
            // Read into the screen's queue, forward from there.
            let e = match self.screen.read_from(master) {
                Ok(Some(bytes)) => {
                    for c in self.clients.iter_mut().filter(|c| c.is_attached()) {
                        c.queue_output(bytes);
                    }
                    batch += bytes.len();
                    if !drain && batch >= READ_BATCH {
                        break true;
                    }
                    continue;
                }
                Ok(None) => break false,
                Err(e) => e,
            };
            match e.kind() {
                ErrorKind::WouldBlock => break true,
                ErrorKind::Interrupted => continue,
                // EIO: every holder of the PTY's slave side has closed it.
                _ if e.raw_os_error() == Some(libc::EIO) => break false,
                _ => return Err(e),
            }
        };
        if batch > 0 {
            // What arrived together goes out together: one write per
            // client for the batch, not one for each read of the PTY.
            for c in &mut self.clients {
                let _ = c.flush();
            }
            self.since_trim += batch as u64;
            self.last_output = Some(Instant::now());
            self.activity = Instant::now();
            // Claude is not quiet after all: the next quiet moment re-arms
            // it (a deadline left in the past would make every poll return
            // at once while output flows).
            self.trim_at = None;
        }
        if !open {
            // Claude's side closed: nothing more will come.
            self.master = None;
            self.to_agent.clear();
        }
        Ok(())
    }

    /// Claude went quiet: parse what it printed, and give back memory a
    /// burst of output took, since most sessions sit idle most of the time.
    fn quiet(&mut self) {
        self.last_output = None;
        self.screen.settle_and_release();
        if self.since_trim >= TRIM_AFTER {
            self.trim();
        } else if self.since_trim > 0 {
            self.trim_at = Some(Instant::now() + TRIM_WHEN_IDLE);
        }
    }

    fn trim(&mut self) {
        self.since_trim = 0;
        self.trim_at = None;
        super::memory::release_free_heap();
    }

    fn write_agent(&mut self) {
        let Some(master) = &self.master else {
            return;
        };
        if self.hold_input {
            return;
        }
        match nix::unistd::write(master, &self.to_agent) {
            Ok(n) => {
                self.to_agent.drain(..n);
                self.typed_text_out();
            }
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {}
            // Claude's side is gone: what it was sent goes nowhere.
            Err(_) => self.to_agent.clear(),
        }
    }

    fn accept(&mut self) {
        while let Ok((stream, _)) = self.listener.accept() {
            // Only this user's processes may drive the session.
            let ours =
                nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
                    .is_ok_and(|cred| cred.uid() == nix::unistd::getuid().as_raw());
            if !ours || stream.set_nonblocking(true).is_err() {
                continue;
            }
            self.clients.push(Client::new(stream, self.next_client));
            self.next_client += 1;
        }
    }

    /// Resizes the PTY and the virtual screen. With `nudge`, first to one
    /// column less, then back, so Claude's full-screen UI redraws even when
    /// the size did not change.
    fn resize(&mut self, rows: u16, cols: u16, nudge: bool) {
        let (r, c) = protocol::screen_size(rows, cols);
        self.size = (r.get(), c.get());
        self.screen.set_size(r, c);
        let Some(master) = &self.master else {
            return;
        };
        if nudge && c.get() > 1 {
            let _ = super::pty::resize(master, r.get(), c.get() - 1);
            self.nudge_at = Some(Instant::now() + NUDGE_DELAY);
        } else {
            let _ = super::pty::resize(master, r.get(), c.get());
        }
    }

    /// The last `n` lines of the screen with something on them, as text.
    pub fn last_lines(&mut self, n: usize) -> Vec<String> {
        self.screen.last_lines(n)
    }

    /// Whether a client is attached, or was once.
    pub fn ever_attached(&self) -> bool {
        self.ever_attached
    }

    /// After Claude's exit: waits up to `patience` for a first client (the
    /// starter's terminal, which asked to attach but may not have
    /// connected yet), so that it sees how Claude ended.
    pub fn await_first_client(&mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        self.tick = TICK;
        let mut events = Vec::new();
        while !self.ever_attached && Instant::now() < deadline {
            if self.step(&mut events).is_err() {
                return;
            }
        }
    }

    /// Final words to every attached client: the rest of the output, then
    /// Claude's exit status. Blocking, with a deadline, so a stuck client
    /// cannot keep the holder alive.
    pub fn finish(&mut self, exit_code: i32) {
        let _ = self.read_agent(true);
        let frame = protocol::encode(&Frame::Exit(exit_code));
        for c in self.clients.iter_mut().filter(|c| c.is_attached()) {
            c.queue(&frame);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        for c in &mut self.clients {
            c.flush_until(deadline);
        }
    }
}

/// A size from outside, bounded (`protocol::bounded_size`): never zero, never
/// more than the holder is willing to keep.
/// A reply as the JSON line it is sent as.
fn reply_line(reply: &Reply) -> Vec<u8> {
    let mut line = Vec::new();
    let _ = protocol::write_line(&mut line, reply);
    line
}

#[cfg(test)]
mod tests;
