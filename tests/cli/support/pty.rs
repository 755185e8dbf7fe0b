//! A terminal for tests: runs claude-session on a real pseudo-terminal and
//! keeps what it shows in a virtual screen (vt100), as a person would see it.

use crate::support::Env;
use nix::libc;
use nix::pty::{Winsize, openpty};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Terminal {
    master: File,
    pub child: Child,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    /// Runs `claude-session ARGS` in a new rows x cols terminal.
    pub fn spawn(env: &Env, args: &[&str], rows: u16, cols: u16) -> Self {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None).unwrap();
        let mut cmd = env.cmd(args);
        cmd.env("TERM", "xterm-256color")
            .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
            .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
            .stderr(Stdio::from(pty.slave));
        // SAFETY: setsid, ioctl and signal are async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY as _, 0);
                // As a login shell's terminal would have it, even when the
                // tests run under `nohup` (SIGHUP ignored) or in a shell's
                // background job (SIGINT and SIGQUIT ignored).
                for signal in [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT] {
                    libc::signal(signal, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        let master = File::from(pty.master);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, screen_w, raw_w) =
            (master.try_clone().unwrap(), screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen_w.lock().unwrap().process(&buf[..n]);
                raw_w.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            master,
            child,
            screen,
            raw,
        }
    }

    /// The screen as it is now: contents, modes, cursor.
    pub fn screen(&self) -> vt100::Screen {
        self.screen.lock().unwrap().screen().clone()
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Everything ever shown, as text (escape sequences included).
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    /// Waits until the screen shows `text`, failing after 20 s.
    pub fn wait_for(&self, text: &str) {
        self.wait_until(&format!("a screen showing {text:?}"), |screen| {
            screen.contains(text)
        });
    }

    /// Waits until the screen satisfies `ready`, failing after 20 s with
    /// `what` and the screen as it was.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) {
        super::wait_until(
            Duration::from_secs(20),
            || format!("waited for {what}:\n{}", self.contents()),
            || ready(&self.contents()).then_some(()),
        );
    }

    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    /// Types `text` at a prompt and, once it shows, presses Enter: Claude
    /// takes text and Enter that come in one burst for a paste.
    pub fn submit(&mut self, text: &str) {
        self.type_bytes(text.as_bytes());
        self.wait_for(text);
        self.type_bytes(b"\r");
    }

    /// Resizes the terminal; the kernel sends SIGWINCH to claude-session.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one Winsize from a valid pointer.
        unsafe {
            libc::ioctl(
                self.master.as_raw_fd(),
                libc::TIOCSWINSZ,
                &size as *const Winsize,
            )
        };
        self.screen.lock().unwrap().set_size(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
        );
    }

    /// Waits for claude-session to exit, failing after 20 s.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let screen = self.screen.clone();
        let child = &mut self.child;
        super::wait_until(
            Duration::from_secs(20),
            || {
                let contents = screen.lock().unwrap().screen().contents();
                format!("claude-session did not exit:\n{contents}")
            },
            || child.try_wait().unwrap(),
        )
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
