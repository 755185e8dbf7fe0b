//! This terminal: its size, and raw mode with everything Claude may have
//! turned on undone on the way out.

use nix::libc;
use nix::pty::Winsize;
use nix::sys::termios::{self, SetArg, Termios};
use std::io::{self, IsTerminal};
use std::os::fd::AsFd;

/// The size of the terminal on `fd` (rows, columns), if it is one.
pub fn size_of(fd: i32) -> Option<(u16, u16)> {
    let mut size = Winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one Winsize to a valid pointer.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size as *mut Winsize) };
    (rc == 0 && size.ws_row > 0 && size.ws_col > 0).then_some((size.ws_row, size.ws_col))
}

/// This terminal's size (within what a holder keeps), or the holder's
/// default off a terminal.
pub fn size() -> (u16, u16) {
    let (rows, cols) = size_of(1)
        .or_else(|| size_of(0))
        .unwrap_or(crate::ipc::protocol::DEFAULT_SIZE);
    crate::ipc::protocol::bounded_size(rows, cols)
}

/// Puts the terminal in raw mode until dropped; nothing off a terminal.
pub struct RawMode {
    saved: Option<Termios>,
}

impl RawMode {
    pub fn enter() -> Self {
        let stdin = io::stdin();
        if !stdin.is_terminal() {
            return Self { saved: None };
        }
        let Ok(saved) = termios::tcgetattr(stdin.as_fd()) else {
            return Self { saved: None };
        };
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        Self { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = termios::tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, saved);
        }
    }
}
