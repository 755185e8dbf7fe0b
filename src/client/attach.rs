//! The attach client: this terminal, in raw mode, connected to a session's
//! holder. Keystrokes go to Claude as raw bytes (the detach keys excepted),
//! output frames come back, a resize is sent on a short connection of its own.

use crate::client::detach_keys::DetachKeys;
use crate::client::modes::Modes;
use crate::client::terminal::{self, RawMode};
use crate::ipc::endpoint;
use crate::ipc::protocol::{self, Frame, Request};
use anyhow::{Context, Result};
use std::io::{self, BufReader, IsTerminal, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use uuid::Uuid;

/// Output read from the holder at once, and written to the terminal at once.
const OUTPUT_BATCH: usize = 256 * 1024;

/// How an attachment ended.
#[derive(Debug)]
pub enum End {
    /// Claude exited with this status.
    Exited(i32),
    /// The user typed the detach keys (or closed stdin's terminal).
    Detached,
    /// The holder detached this client, saying why.
    Displaced(String),
    /// The holder vanished without a word (killed).
    HolderGone,
}

pub struct Options {
    pub read_only: bool,
    pub keys: DetachKeys,
    /// The session's name, for the hint line.
    pub name: String,
}

/// xterm's title stack (CSI 22/23 t): terminals without one ignore it.
const SAVE_TITLE: &[u8] = b"\x1b[22;0t";
const RESTORE_TITLE: &[u8] = b"\x1b[23;0t";

/// Attaches until Claude exits or the user detaches. The terminal is left
/// as it was, the cursor at the start of a clean line for what is said next.
pub fn attach(session: Uuid, options: Options) -> Result<End> {
    // Watch for resizes before the size is read, so none is missed.
    let signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGWINCH])
        .context("cannot watch for terminal resizes")?;
    let (rows, cols) = terminal::size();
    let request = Request::Attach {
        rows,
        cols,
        read_only: options.read_only,
        from: crate::util::user::ssh_client(),
    };
    let (stream, _reply) = endpoint::request(session, request)?;
    if io::stderr().is_terminal() {
        let mode = if options.read_only { " read-only" } else { "" };
        crate::util::output::say(&format!(
            "attached{mode} to {}; detach with {}",
            options.name,
            options.keys.describe()
        ));
    }
    let raw = RawMode::enter();
    // What the output turns on is undone at the end (see `modes`); the
    // window title Claude sets is put back from the terminal's title stack.
    let mut modes = Modes::default();
    let on_terminal = io::stdout().is_terminal();
    let detached = Arc::new(AtomicBool::new(false));
    spawn_input(&stream, options.read_only, options.keys, detached.clone())?;
    spawn_resizer(session, signals)?;

    let mut reader = BufReader::with_capacity(OUTPUT_BATCH, &stream);
    // A copy of the stdout descriptor, written directly: Rust's stdout is
    // line-buffered and would split each frame at its last newline.
    let mut screen = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned()?);
    if on_terminal {
        let _ = screen.write_all(SAVE_TITLE);
    }
    let mut batch = Vec::new();
    let end = loop {
        let frame = protocol::read_frame(&mut reader);
        if let Ok(Some(Frame::Output(bytes))) = &frame {
            batch.extend_from_slice(bytes);
            // Frames that have already arrived go out in one write: fewer
            // system calls when Claude prints a lot, no wait when it doesn't.
            if batch.len() < OUTPUT_BATCH && protocol::frame_buffered(reader.buffer()) {
                continue;
            }
        }
        modes.scan(&batch);
        if !batch.is_empty() && screen.write_all(&batch).is_err() {
            break End::Detached;
        }
        batch.clear();
        match frame {
            Ok(Some(Frame::Output(_))) => {}
            Ok(Some(Frame::Exit(code))) => break End::Exited(code),
            Ok(Some(Frame::Detached(why))) => break End::Displaced(why),
            Ok(None) | Err(_) if detached.load(Ordering::SeqCst) => break End::Detached,
            Ok(None) | Err(_) => break End::HolderGone,
        }
    };
    if on_terminal {
        let _ = screen.write_all(&modes.undo());
        let _ = screen.write_all(RESTORE_TITLE);
    }
    drop(screen);
    drop(raw);
    let _ = stream.shutdown(Shutdown::Both);
    Ok(end)
}

/// Stdin -> holder, watching for the detach keys.
fn spawn_input(
    stream: &std::os::unix::net::UnixStream,
    read_only: bool,
    mut keys: DetachKeys,
    detached: Arc<AtomicBool>,
) -> Result<()> {
    let mut writer = stream
        .try_clone()
        .context("cannot share the holder connection")?;
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = io::stdin();
            let mut buf = [0u8; 4096];
            loop {
                let n = match stdin.read(&mut buf) {
                    // End of input is not a detach request: keep showing output.
                    Ok(0) => return,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                };
                let (pass, detach) = keys.feed(&buf[..n]);
                if !read_only && !pass.is_empty() && writer.write_all(&pass).is_err() {
                    return;
                }
                if detach {
                    detached.store(true, Ordering::SeqCst);
                    let _ = writer.shutdown(Shutdown::Both);
                    return;
                }
            }
        })?;
    Ok(())
}

/// SIGWINCH -> a resize request to the holder.
fn spawn_resizer(session: Uuid, mut signals: signal_hook::iterator::Signals) -> Result<()> {
    std::thread::Builder::new()
        .name("winch".into())
        .spawn(move || {
            for _ in signals.forever() {
                let (rows, cols) = terminal::size();
                let _ = endpoint::request(session, Request::Resize { rows, cols });
            }
        })?;
    Ok(())
}
