//! One connection to the holder: where it is in the protocol, and what is
//! queued for it. Output is queued in chunks of whole frames, so that a
//! client that falls behind (a terminal that stopped reading, a slow link)
//! can be skipped forward, as tmux does: the chunks it has not started are
//! dropped and, once it has taken what was in flight, it is sent the
//! screen as it is now. Claude never waits for a client, and a client
//! never costs the holder more than `SKIP_AT` of memory.

use crate::ipc::protocol;
use std::collections::VecDeque;
use std::io::{self, ErrorKind, IoSlice, Write};
use std::os::unix::net::UnixStream;

/// Output queued for one client past which it is skipped forward.
pub(super) const SKIP_AT: usize = 1 << 20;
/// Queued output is kept in chunks of about this size: the unit a skip
/// drops, and many small frames in one write.
const CHUNK: usize = 64 * 1024;
/// The most chunks one write takes.
const WRITE_CHUNKS: usize = 64;

pub(super) enum Phase {
    Handshake(Vec<u8>),
    Attached {
        read_only: bool,
    },
    /// Reply sent; close once the output buffer is flushed.
    Closing,
}

pub(super) struct Client {
    /// Told apart from the others when the holder answers it later.
    pub(super) id: u64,
    pub(super) stream: UnixStream,
    pub(super) phase: Phase,
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of the front chunk already written.
    sent: usize,
    /// Bytes queued and not written.
    queued: usize,
    /// Skipped forward: output is not queued until the screen is sent.
    behind: bool,
}

impl Client {
    pub(super) fn new(stream: UnixStream, id: u64) -> Self {
        Self {
            id,
            stream,
            phase: Phase::Handshake(Vec::new()),
            chunks: VecDeque::new(),
            sent: 0,
            queued: 0,
            behind: false,
        }
    }

    pub(super) fn is_attached(&self) -> bool {
        matches!(self.phase, Phase::Attached { .. })
    }

    /// Queues whole frames (or the handshake's reply line).
    pub(super) fn queue(&mut self, bytes: &[u8]) {
        self.queued += bytes.len();
        // The back chunk grows unless it is being written (the front one,
        // started) or big enough.
        let writing = self.chunks.len() == 1 && self.sent > 0;
        match self.chunks.back_mut() {
            Some(back) if !writing && back.len() + bytes.len() <= CHUNK => {
                back.extend_from_slice(bytes)
            }
            _ => self.chunks.push_back(bytes.to_vec()),
        }
    }

    /// Queues Claude's output, unless the client was skipped forward (it
    /// gets the whole screen instead, see `owes_screen`); skips it forward
    /// when too much is queued.
    pub(super) fn queue_output(&mut self, bytes: &[u8]) {
        if self.behind {
            return;
        }
        let mut frame = Vec::with_capacity(bytes.len() + 5);
        protocol::encode_output(&mut frame, bytes);
        self.queue(&frame);
        if self.queued > SKIP_AT {
            self.skip_forward();
        }
    }

    /// Drops every chunk not started.
    fn skip_forward(&mut self) {
        let keep = usize::from(self.sent > 0);
        while self.chunks.len() > keep {
            let dropped = self.chunks.pop_back().expect("more than kept");
            self.queued -= dropped.len();
        }
        self.behind = true;
    }

    /// A client skipped forward that has taken what was in flight: it is
    /// owed the screen as it is now, and takes output again after it.
    pub(super) fn owes_screen(&mut self) -> bool {
        let owed = self.behind && self.queued == 0;
        if owed {
            self.behind = false;
        }
        owed
    }

    pub(super) fn has_output(&self) -> bool {
        self.queued > 0
    }

    /// Writes what it can; Err means the client is gone.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        while self.queued > 0 {
            let slices: Vec<IoSlice> = self
                .chunks
                .iter()
                .take(WRITE_CHUNKS)
                .enumerate()
                .map(|(i, c)| IoSlice::new(if i == 0 { &c[self.sent..] } else { c }))
                .collect();
            match self.stream.write_vectored(&slices) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.advance(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `n` more bytes were written.
    fn advance(&mut self, mut n: usize) {
        self.queued -= n;
        while n > 0 {
            let left = self.chunks[0].len() - self.sent;
            if n < left {
                self.sent += n;
                return;
            }
            n -= left;
            self.chunks.pop_front();
            self.sent = 0;
        }
    }

    /// Writes everything queued, blocking up to `deadline` (the holder's
    /// last words to a client, at Claude's exit).
    pub(super) fn flush_until(&mut self, deadline: std::time::Instant) {
        let _ = self.stream.set_nonblocking(false);
        let _ = self.stream.set_write_timeout(Some(
            deadline
                .saturating_duration_since(std::time::Instant::now())
                .max(std::time::Duration::from_millis(1)),
        ));
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Frames written to a client that does not read, then read back.
    #[test]
    fn a_client_that_falls_behind_skips_to_the_screen() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut client = Client::new(ours, 1);
        client.phase = Phase::Attached { read_only: false };
        // Far more than the socket buffer and SKIP_AT together.
        let line = vec![b'x'; 4096];
        for _ in 0..2048 {
            client.queue_output(&line);
            let _ = client.flush();
        }
        assert!(client.queued <= SKIP_AT, "queued {}", client.queued);
        assert!(client.behind);
        // The client reads again: what was in flight, then nothing more
        // until it is owed the screen.
        let mut frames = Vec::new();
        theirs.set_nonblocking(true).unwrap();
        let mut buf = vec![0; 1 << 16];
        loop {
            let _ = client.flush();
            match theirs.read(&mut buf) {
                Ok(n) if n > 0 => frames.extend_from_slice(&buf[..n]),
                _ if client.queued == 0 => break,
                _ => {}
            }
        }
        assert!(client.owes_screen());
        assert!(!client.owes_screen(), "owed once");
        client.queue_output(b"SCREEN");
        client.flush().unwrap();
        let mut rest = vec![0; 64];
        let n = theirs.read(&mut rest).unwrap();
        frames.extend_from_slice(&rest[..n]);
        // Every frame whole: the stream decodes to the end, SCREEN last.
        let mut reader = &frames[..];
        let mut last = None;
        while let Some(frame) = protocol::read_frame(&mut reader).unwrap() {
            last = Some(frame);
        }
        assert_eq!(last, Some(protocol::Frame::Output(b"SCREEN".to_vec())));
    }
}
