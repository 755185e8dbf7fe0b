//! The holder's virtual screen: what Claude's terminal shows, so a client
//! that attaches later sees it (with the input modes Claude set).
//!
//! Parsing is the holder's costliest work — vt100 spends 15-20 ns on a
//! byte, several times what forwarding it costs — so it stays off the
//! forwarding path: output is queued raw as it is read, forwarded at once,
//! and parsed in batches (when Claude goes quiet, before an attach or a
//! resize, or when the queue is full).
//!
//! And since the screen keeps no scrollback, a long run of plain text
//! pushes everything before its last lines off the screen: the middle of
//! such a run is skipped, not parsed. That is exact, not an approximation,
//! under the conditions `skip::skippable` and `RegionWatch` check (the
//! property test in screen/tests.rs compares it with parsing every byte):
//! - the skipped bytes are plain — printable text, UTF-8, tab, backspace,
//!   CR and LF: nothing that changes modes or the parser's state, and no
//!   byte that could end an escape string (BEL, CAN, SUB, 0x9C) — or the
//!   colours and line erasing that coloured output puts on every line
//!   (SGR, EL); the colours in force at the end are replayed;
//! - the skip starts after the bytes that end any escape sequence the run
//!   may begin inside of, and ends at a CR (the column is 0 either way)
//!   followed by at least 2 × rows + 1 LFs: the first `rows` of them bring
//!   the cursor to the bottom row, the next `rows` scroll out every row
//!   written before, whatever row the cursor started on;
//! - no scroll region is set, so every LF on the bottom row scrolls the
//!   whole screen.

mod skip;

use std::io;
use std::num::NonZeroU16;
use std::os::fd::RawFd;

/// Output queued before it is parsed. The larger, the more of a flood of
/// plain text is skipped: at 256 kB and 40 rows of 77-byte lines, 97 %.
const QUEUE_LIMIT: usize = 256 * 1024;
/// The most read from the PTY at once.
const READ_SIZE: usize = 64 * 1024;
/// The queue is allocated at this size once and never grows: an
/// allocation this large is its own mapping, returned to the system when
/// the queue is dropped while Claude is quiet.
const QUEUE_CAPACITY: usize = QUEUE_LIMIT + READ_SIZE;

pub struct Screen {
    parser: vt100::Parser,
    queue: Vec<u8>,
    regions: RegionWatch,
    /// Bytes skipped, not parsed (for tests and curiosity).
    skipped: u64,
    /// A hibernated session's screen, kept formatted (a few kB) instead of
    /// parsed: vt100's two grids of a 40x120 screen hold about 350 kB, most
    /// of what a hibernated holder would cost. Parsed again when Claude
    /// draws (or a question needs the grid).
    kept: Option<Kept>,
}

struct Kept {
    state: Vec<u8>,
    rows: NonZeroU16,
    cols: NonZeroU16,
}

impl Screen {
    pub fn new(rows: NonZeroU16, cols: NonZeroU16) -> Self {
        Self {
            // No scrollback: a reattach shows the screen, the transcript keeps the rest.
            parser: vt100::Parser::new(rows, cols, 0),
            queue: Vec::new(),
            regions: RegionWatch::default(),
            skipped: 0,
            kept: None,
        }
    }

    /// Reads what `fd` has (up to 64 kB) into the queue. `Ok(None)` at end
    /// of file; otherwise the bytes read, to forward to the clients.
    pub fn read_from(&mut self, fd: RawFd) -> io::Result<Option<&[u8]>> {
        if self.queue.len() + READ_SIZE > QUEUE_CAPACITY {
            self.settle();
        }
        if self.queue.capacity() == 0 {
            self.queue = Vec::with_capacity(QUEUE_CAPACITY);
        }
        let start = self.queue.len();
        let spare = self.queue.spare_capacity_mut();
        let want = spare.len().min(READ_SIZE);
        // SAFETY: reading at most `want` bytes into the queue's unused,
        // allocated capacity.
        let n = unsafe { nix::libc::read(fd, spare.as_mut_ptr().cast(), want) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n == 0 {
            return Ok(None);
        }
        // SAFETY: the kernel initialized the `n` bytes just read.
        unsafe { self.queue.set_len(start + n as usize) };
        Ok(Some(&self.queue[start..]))
    }

    /// Bytes read but not parsed yet.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Parses everything queued, skipping what cannot show.
    pub fn settle(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        self.thaw();
        let queue = std::mem::take(&mut self.queue);
        let rows = usize::from(self.parser.screen().size().0.get());
        let mut rest = &queue[..];
        while !rest.is_empty() {
            let Some((start, end)) = skip::skippable(rest, rows) else {
                self.feed(rest);
                break;
            };
            self.feed(&rest[..start]);
            let skipped = &rest[start..end];
            if self.regions.maybe_set {
                self.feed(skipped);
            } else {
                // The text scrolls away; the colours it set stay.
                for style in skip::styles_to_replay(skipped) {
                    self.parser.process(style);
                }
                self.skipped += skipped.len() as u64;
            }
            rest = &rest[end..];
        }
        self.queue = queue;
        self.queue.clear();
    }

    /// Parses what is queued and gives the queue's memory back: Claude is
    /// quiet, and most sessions are idle most of the time.
    pub fn settle_and_release(&mut self) {
        self.settle();
        self.queue = Vec::new();
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.regions.scan(bytes);
        self.parser.process(bytes);
    }

    /// The output queued so far was written for the old size.
    pub fn set_size(&mut self, rows: NonZeroU16, cols: NonZeroU16) {
        self.settle();
        if let Some(kept) = &mut self.kept {
            // Formatted for the old size; Claude redraws at the new one.
            (kept.rows, kept.cols) = (rows, cols);
            return;
        }
        if self.parser.screen().size() != (rows, cols) {
            // vt100 (like xterm) resets the scroll regions on a resize.
            self.regions.maybe_set = false;
        }
        self.parser.set_size(rows, cols);
    }

    /// What a client that attaches now is sent: the screen (the alternate
    /// one if Claude draws there: the client's terminal switches to it too,
    /// and leaves the user's own screen for the detach) and the input modes
    /// (bracketed paste, application cursor, mouse). While Claude has drawn
    /// nothing yet (a `new` attaching at once) the user's screen is left as
    /// it is: Claude's first output draws where it would without a holder.
    pub fn restore(&mut self) -> Vec<u8> {
        self.settle();
        if let Some(kept) = &self.kept {
            return kept.state.clone();
        }
        let screen = self.parser.screen();
        let mut bytes = Vec::new();
        if screen.alternate_screen() {
            bytes.extend_from_slice(b"\x1b[?1049h");
        } else if screen.cursor_position() == (0, 0) && screen.contents().trim().is_empty() {
            bytes.extend_from_slice(screen.input_mode_formatted().as_bytes());
            return bytes;
        }
        bytes.extend_from_slice(b"\x1b[H\x1b[2J");
        bytes.extend_from_slice(screen.state_formatted().as_bytes());
        bytes
    }

    /// Keeps a screen formatted by `restore` (Claude is gone: the session
    /// hibernates), as bytes, giving the parsed grids back.
    pub fn keep(&mut self, state: Vec<u8>) {
        let (rows, cols) = match &self.kept {
            Some(kept) => (kept.rows, kept.cols),
            None => self.parser.screen().size(),
        };
        self.queue = Vec::new();
        self.regions = RegionWatch::default();
        self.parser = vt100::Parser::new(NonZeroU16::MIN, NonZeroU16::MIN, 0);
        self.kept = Some(Kept { state, rows, cols });
    }

    /// The kept screen parsed again, at the current size.
    fn thaw(&mut self) {
        if let Some(kept) = self.kept.take() {
            self.parser = vt100::Parser::new(kept.rows, kept.cols, 0);
            self.feed(&kept.state);
        }
    }

    /// Whether Claude reads pastes (bracketed paste mode is on).
    pub fn bracketed_paste(&mut self) -> bool {
        self.settle();
        self.thaw();
        self.parser.screen().bracketed_paste()
    }

    /// The last `n` lines with something on them, as text.
    pub fn last_lines(&mut self, n: usize) -> Vec<String> {
        self.settle();
        self.thaw();
        let contents = self.parser.screen().contents();
        let mut lines: Vec<String> = contents.lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let start = lines.len().saturating_sub(n);
        lines.split_off(start)
    }

    #[cfg(test)]
    fn screen(&mut self) -> &vt100::Screen {
        self.settle();
        self.thaw();
        self.parser.screen()
    }
}

/// Notices scroll regions (DECSTBM, `CSI top;bottom r`) in the parsed
/// output. Conservative: any `CSI … r` with parameters counts, and only
/// what surely resets every region (a resize, RIS) clears it.
#[derive(Default)]
struct RegionWatch {
    state: Scan,
    maybe_set: bool,
}

#[derive(Default, Clone, Copy)]
enum Scan {
    #[default]
    Ground,
    Escape,
    EscapeIntermediate,
    Csi {
        params: bool,
    },
}

impl RegionWatch {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = match (self.state, b) {
                (_, 0x1B) => Scan::Escape,
                (_, 0x18 | 0x1A) => Scan::Ground,
                (Scan::Ground, _) => Scan::Ground,
                (Scan::Escape, b'[') => Scan::Csi { params: false },
                (Scan::Escape, b'c') => {
                    // RIS: a whole new screen.
                    self.maybe_set = false;
                    Scan::Ground
                }
                (Scan::Escape | Scan::EscapeIntermediate, 0x00..=0x1F) => self.state,
                (Scan::Escape | Scan::EscapeIntermediate, 0x20..=0x2F) => Scan::EscapeIntermediate,
                (Scan::Escape | Scan::EscapeIntermediate, _) => Scan::Ground,
                (Scan::Csi { .. }, 0x20..=0x3F) => Scan::Csi { params: true },
                (Scan::Csi { params }, b'r') => {
                    // Without parameters it resets the region, but only
                    // the active screen's; with them, it may set one.
                    self.maybe_set |= params;
                    Scan::Ground
                }
                (Scan::Csi { .. }, 0x40..=0x7E) => Scan::Ground,
                (Scan::Csi { .. }, _) => self.state,
            };
        }
    }
}

#[cfg(test)]
mod tests;
