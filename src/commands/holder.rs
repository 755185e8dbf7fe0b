//! `claude-session __holder`: the per-session holder process (internal).

use crate::cli::{GlobalArgs, HolderArgs};
use crate::layout::Layout;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: HolderArgs) -> Result<ExitCode> {
    let layout = Layout::discover(global.store.as_deref(), global.base.as_deref())?;
    let session = session_from_stdin()?;
    if session.session_id != args.session {
        bail!(
            "the starter sent session {}, not {}",
            session.session_id,
            args.session
        );
    }
    let options = crate::holder::Options {
        session,
        claude: args.claude,
        args: args.args,
        rows: args.rows,
        cols: args.cols,
    };
    // stdout is the pipe the starter waits on: "ready", or the error on
    // stderr (holder.log) and the pipe closing.
    let mut ready = ReadyPipe;
    let code = crate::holder::run(&layout, options, &mut ready)?;
    Ok(super::exit_code(code))
}

/// The session, as JSON on stdin from the starter (which has just read or
/// made its row): the holder need not open the registry to start. stdin
/// then points at /dev/null, like the rest of the holder's life.
fn session_from_stdin() -> Result<Session> {
    let mut json = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut json)
        .context("cannot read the session from the starter")?;
    point_at_dev_null(0, false);
    serde_json::from_slice(&json).context("the starter sent no valid session")
}

/// Points `fd` at /dev/null.
fn point_at_dev_null(fd: i32, write: bool) {
    if let Ok(null) = std::fs::File::options()
        .read(!write)
        .write(write)
        .open("/dev/null")
    {
        // SAFETY: dup2 onto one of our own standard descriptors.
        unsafe { nix::libc::dup2(null.as_raw_fd(), fd) };
    }
}

/// Writes the ready line, then points stdout at /dev/null so the starter's
/// end of the pipe can go away without a SIGPIPE or EPIPE later.
struct ReadyPipe;

impl std::io::Write for ReadyPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()?;
        point_at_dev_null(1, true);
        Ok(())
    }
}
