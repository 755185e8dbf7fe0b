//! The picker on a terminal: raw mode and the alternate screen (both undone
//! by a guard on every way out), keys in, frames out, a redraw on resize.

use super::keys::{self, Key};
use super::{Entry, Frame, Outcome, Picker, Style};
use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{self, SetArg, Termios};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;

/// How long an Esc waits for the rest of a key it may begin (an arrow is
/// ESC [ A, normally in one read): vim's 100 ms, enough for a slow link,
/// short enough for Esc to feel immediate.
const ESC_WAIT_MS: u16 = 100;

/// Shows the picker until a session is picked (its index in `entries`) or
/// the user cancels (None). The terminal is as it was when this returns.
pub fn pick(entries: Vec<Entry>) -> Result<Option<usize>> {
    let tty = Tty::open()?;
    let resized = Resized::watch()?;
    let screen = Screen::enter(&tty)?;
    let mut picker = Picker::new(entries);
    let mut pending = Vec::new();
    loop {
        let (rows, cols) = crate::client::terminal::size_of(tty.output.as_raw_fd())
            .unwrap_or(crate::ipc::protocol::DEFAULT_SIZE);
        let (rows, cols) = (usize::from(rows), usize::from(cols));
        screen
            .draw(&picker.render(cols, rows), rows)
            .context("cannot draw on the terminal")?;
        let keys = match wait(&tty, &resized, &mut pending)? {
            Event::Keys(keys) => keys,
            Event::Resized => continue,
            Event::Closed => return Ok(None),
        };
        for key in keys {
            match picker.handle(key) {
                Some(Outcome::Picked(i)) => return Ok(Some(i)),
                Some(Outcome::Cancelled) => return Ok(None),
                None => {}
            }
        }
    }
}

/// The terminal: /dev/tty, so the picker draws there even when stderr is
/// redirected; stdin and stdout (both terminals) without a controlling one.
struct Tty {
    input: File,
    output: File,
}

impl Tty {
    fn open() -> Result<Self> {
        if let Ok(tty) = File::options().read(true).write(true).open("/dev/tty") {
            let output = tty.try_clone().context("cannot use the terminal")?;
            return Ok(Self { input: tty, output });
        }
        let dup = |fd: std::os::fd::BorrowedFd| -> Result<File> {
            Ok(File::from(
                fd.try_clone_to_owned().context("cannot use the terminal")?,
            ))
        };
        Ok(Self {
            input: dup(io::stdin().as_fd())?,
            output: dup(io::stdout().as_fd())?,
        })
    }
}

/// Raw mode and the alternate screen until dropped: the shell's screen
/// comes back as it was, whatever way the picker ends.
struct Screen<'a> {
    tty: &'a Tty,
    saved: Termios,
}

impl<'a> Screen<'a> {
    fn enter(tty: &'a Tty) -> Result<Self> {
        let saved =
            termios::tcgetattr(tty.input.as_fd()).context("cannot read the terminal mode")?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(tty.input.as_fd(), SetArg::TCSANOW, &raw)
            .context("cannot put the terminal in raw mode")?;
        let screen = Self { tty, saved };
        (&tty.output)
            .write_all(b"\x1b[?1049h")
            .context("cannot draw on the terminal")?;
        Ok(screen)
    }

    /// Homes, draws every line over what was there, clears what is left
    /// below, and puts the cursor at the end of the filter.
    fn draw(&self, frame: &Frame, height: usize) -> io::Result<()> {
        // The cursor is hidden while drawing, so it does not flicker across rows.
        let mut out = String::from("\x1b[?25l\x1b[H");
        for (i, line) in frame.lines.iter().enumerate() {
            if i > 0 {
                out.push_str("\r\n");
            }
            // Erase first: erasing after a full-width line would eat its last cell.
            out.push_str("\x1b[2K");
            let sgr = match line.style {
                Style::Plain => None,
                Style::Header => Some("1"),
                Style::Selected => Some("7"),
                Style::Dim => Some("2"),
            };
            match sgr {
                Some(sgr) => {
                    let _ = write!(out, "\x1b[{sgr}m{}\x1b[0m", line.text);
                }
                None => out.push_str(&line.text),
            }
        }
        if frame.lines.len() < height {
            out.push_str("\r\n\x1b[J");
        }
        let (row, col) = frame.cursor;
        let _ = write!(out, "\x1b[{};{}H\x1b[?25h", row + 1, col + 1);
        let mut output = &self.tty.output;
        output.write_all(out.as_bytes())?;
        output.flush()
    }
}

impl Drop for Screen<'_> {
    fn drop(&mut self) {
        let mut output = &self.tty.output;
        let _ = output.write_all(b"\x1b[?1049l\x1b[?25h");
        let _ = output.flush();
        let _ = termios::tcsetattr(self.tty.input.as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// SIGWINCH made readable on a socket, to wait on beside the keys.
struct Resized {
    id: signal_hook::SigId,
    reader: UnixStream,
}

impl Resized {
    fn watch() -> Result<Self> {
        let (reader, writer) = UnixStream::pair().context("cannot watch for terminal resizes")?;
        reader
            .set_nonblocking(true)
            .context("cannot watch for terminal resizes")?;
        let id = signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, writer)
            .context("cannot watch for terminal resizes")?;
        Ok(Self { id, reader })
    }

    fn drain(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.reader).read(&mut buf), Ok(n) if n > 0) {}
    }
}

impl Drop for Resized {
    /// The handler stays installed with nothing to do, which for SIGWINCH is
    /// its default (ignored); attaching watches resizes on its own.
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.id);
    }
}

enum Event {
    Keys(Vec<Key>),
    Resized,
    /// The terminal went away (hang-up).
    Closed,
}

/// Waits for keys or a resize. `pending` keeps bytes that may begin a
/// longer key; if nothing follows them within ESC_WAIT_MS they stand alone.
fn wait(tty: &Tty, resized: &Resized, pending: &mut Vec<u8>) -> Result<Event> {
    loop {
        let timeout = if pending.is_empty() {
            PollTimeout::NONE
        } else {
            PollTimeout::from(ESC_WAIT_MS)
        };
        let mut fds = [
            PollFd::new(tty.input.as_fd(), PollFlags::POLLIN),
            PollFd::new(resized.reader.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(0) => {
                let (keys, _) = keys::decode(pending, true);
                pending.clear();
                return Ok(Event::Keys(keys));
            }
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e).context("cannot wait for the terminal"),
        }
        if fds[1].any() == Some(true) {
            resized.drain();
            return Ok(Event::Resized);
        }
        let mut buf = [0u8; 1024];
        let n = match (&tty.input).read(&mut buf) {
            Ok(0) => return Ok(Event::Closed),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted) => continue,
            // EIO: the terminal hung up.
            Err(e) if e.raw_os_error() == Some(Errno::EIO as i32) => return Ok(Event::Closed),
            Err(e) => return Err(e).context("cannot read the terminal"),
        };
        pending.extend_from_slice(&buf[..n]);
        let (keys, used) = keys::decode(pending, false);
        pending.drain(..used);
        if !keys.is_empty() {
            return Ok(Event::Keys(keys));
        }
    }
}
