//! What clients send the holder: their keystrokes once attached, and the
//! one request each connection starts with (see `ipc::protocol`).

use super::client::Phase;
use super::{Event, Server, reply_line};
use crate::ipc::protocol::{self, Frame, Hello, MAX_HELLO, PROTOCOL, Reply, Request};
use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

/// How long after text sent in (`Request::Send`) its Enter follows.
const ENTER_DELAY: Duration = Duration::from_millis(100);

impl Server {
    /// Reads from client `i`; false if it is gone.
    pub(super) fn read_client(&mut self, i: usize, events: &mut Vec<Event>) -> bool {
        let mut buf = [0u8; 16 * 1024];
        let n = match self.clients[i].stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                return true;
            }
            Err(_) => return false,
        };
        let bytes = &buf[..n];
        match &mut self.clients[i].phase {
            Phase::Attached { read_only: false } => self.typed(bytes),
            Phase::Attached { read_only: true } | Phase::Closing => {}
            Phase::Handshake(line) => {
                line.extend_from_slice(bytes);
                if let Some(end) = line.iter().position(|b| *b == b'\n') {
                    let mut line = std::mem::take(line);
                    let rest = line.split_off(end + 1);
                    let hello = serde_json::from_slice::<Hello>(&line[..end]);
                    self.handle(i, hello, events);
                    if matches!(self.clients[i].phase, Phase::Attached { read_only: false }) {
                        self.typed(&rest);
                    }
                } else if line.len() > MAX_HELLO {
                    self.reply_and_close(i, Reply::error("handshake line too long"));
                }
            }
        }
        true
    }

    /// Keystrokes of the attached terminal, for Claude. Whether text is
    /// left typed at the prompt (a draft a restart of Claude would lose)
    /// is guessed from them: the last Enter sent it, anything after it is.
    fn typed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.to_agent.extend_from_slice(bytes);
        self.draft = match bytes.iter().rposition(|&b| b == b'\r') {
            Some(enter) => enter + 1 < bytes.len(),
            None => true,
        };
        self.activity = Instant::now();
    }

    pub(super) fn reply_and_close(&mut self, i: usize, reply: Reply) {
        let c = &mut self.clients[i];
        c.queue(&reply_line(&reply));
        c.phase = Phase::Closing;
        let _ = c.flush();
    }

    /// Answers a request the holder itself decided (see `Event`), if its
    /// client is still connected.
    pub fn answer(&mut self, client: u64, reply: Reply) {
        if let Some(i) = self.clients.iter().position(|c| c.id == client) {
            self.reply_and_close(i, reply);
        }
    }

    /// The reply to a request, with what the holder is now.
    fn reply(&self, clients: u32) -> Reply {
        let mut reply = Reply::ok(self.agent_pid, clients);
        reply.hibernated = self.hibernated;
        reply
    }

    fn handle(
        &mut self,
        i: usize,
        hello: Result<Hello, serde_json::Error>,
        events: &mut Vec<Event>,
    ) {
        let hello = match hello {
            Ok(hello) => hello,
            Err(e) => {
                return self.reply_and_close(i, Reply::error(format!("not a handshake: {e}")));
            }
        };
        if hello.protocol != PROTOCOL {
            return self.reply_and_close(
                i,
                Reply::error(format!(
                    "this holder speaks protocol {PROTOCOL}, the client {}",
                    hello.protocol
                )),
            );
        }
        let clients = self.attached();
        let id = self.clients[i].id;
        match hello.request {
            Request::Status => self.reply_and_close(i, self.reply(clients)),
            Request::Peek => {
                let mut reply = self.reply(clients);
                reply.size = Some(self.size);
                let screen = self.screen.restore();
                let c = &mut self.clients[i];
                c.queue(&reply_line(&reply));
                c.queue(&protocol::encode(&Frame::Output(screen)));
                c.phase = Phase::Closing;
                let _ = c.flush();
            }
            Request::Send { text, enter } => {
                if self.master.is_none() && !self.hibernated {
                    return self.reply_and_close(i, Reply::error("Claude is not running"));
                }
                // Typed once Claude takes input (a hibernated one is woken).
                self.type_text(&text, enter);
                if self.hibernated {
                    events.push(Event::Wake(None));
                }
                self.reply_and_close(i, self.reply(clients));
            }
            Request::Resize { rows, cols } => {
                self.resize(rows, cols, false);
                self.reply_and_close(i, self.reply(clients));
            }
            Request::Kill { timeout_secs } => {
                let grace = timeout_secs.min(protocol::MAX_KILL_GRACE_SECS);
                events.push(Event::Kill(Duration::from_secs(grace)));
                self.reply_and_close(i, self.reply(clients));
            }
            Request::Hibernate => events.push(Event::Hibernate(id)),
            Request::Wake => events.push(Event::Wake(Some(id))),
            Request::Attach {
                rows,
                cols,
                read_only,
                from,
            } => {
                if !read_only {
                    self.take_over(i, from.as_deref());
                }
                let reply = reply_line(&self.reply(clients + 1));
                let screen = self.screen.restore();
                let c = &mut self.clients[i];
                c.queue(&reply);
                c.phase = Phase::Attached { read_only };
                self.ever_attached = true;
                // The screen as it is now, with the input modes Claude set
                // (bracketed paste, application cursor, mouse).
                c.queue_output(&screen);
                let _ = c.flush();
                if !read_only {
                    self.resize(rows, cols, true);
                    if self.hibernated {
                        events.push(Event::Wake(None));
                    }
                }
            }
        }
    }

    /// An interactive client attaches: any other is detached, told why.
    fn take_over(&mut self, i: usize, from: Option<&str>) {
        let why = match from {
            Some(from) => format!("another terminal attached (from {from})"),
            None => "another terminal attached".to_string(),
        };
        self.detach_interactive(Some(i), &why);
    }

    /// Types `text` into Claude as a person would: pasted (in bracketed
    /// paste marks) when Claude reads pastes and the text has a line
    /// break, so the lines arrive as one message; Enter a moment later,
    /// not in the same read (Claude would take it as part of a paste).
    fn type_text(&mut self, text: &str, enter: bool) {
        let paste = self.screen.bracketed_paste() && text.contains('\n');
        if paste {
            self.to_agent.extend_from_slice(b"\x1b[200~");
        }
        self.to_agent.extend_from_slice(text.as_bytes());
        if paste {
            self.to_agent.extend_from_slice(b"\x1b[201~");
        }
        self.draft = !enter;
        self.enter_pending = enter;
        self.activity = Instant::now();
    }

    /// Text sent in was typed: its Enter follows a moment later.
    pub(super) fn typed_text_out(&mut self) {
        if self.enter_pending && self.to_agent.is_empty() && self.enter_at.is_none() {
            self.enter_pending = false;
            self.enter_at = Some(Instant::now() + ENTER_DELAY);
        }
    }
}
