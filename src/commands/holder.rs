//! `claude-session __holder`: the per-session holder process (internal).

use crate::cli::{GlobalArgs, HolderArgs};
use crate::layout::Layout;
use anyhow::Result;
use std::os::fd::AsRawFd;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: HolderArgs) -> Result<ExitCode> {
    let layout = Layout::discover(global.store.as_deref(), global.base.as_deref())?;
    let options = crate::holder::Options {
        session: args.session,
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

/// Writes the ready line, then points stdout at /dev/null so the starter's
/// end of the pipe can go away without a SIGPIPE or EPIPE later.
struct ReadyPipe;

impl std::io::Write for ReadyPipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()?;
        if let Ok(null) = std::fs::File::options().write(true).open("/dev/null") {
            // SAFETY: dup2 onto our own stdout descriptor.
            unsafe { nix::libc::dup2(null.as_raw_fd(), 1) };
        }
        Ok(())
    }
}
