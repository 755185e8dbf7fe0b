//! A command run on a host as if typed there: its output, errors and exit
//! status are this command's; with a terminal (`attach`, `new`, `resume`)
//! ssh gives it one on the host, so its keys, size and detach keys work end
//! to end.

use super::config::Host;
use super::fleet;
use super::ssh::{self, Options};
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

/// Time to type a password or passphrase ssh asks for, on a terminal.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs claude-session `args` on `host`, first checking that it is there
/// and of a version this one talks to (else one line says why). `tty`: on
/// a terminal of its own. Only the words of `args` are sent.
pub fn run(host: &Host, args: &[String], tty: bool, timeout: Duration) -> Result<ExitCode> {
    // On a terminal ssh may ask for a password (ssh reads it from the
    // terminal itself); the connection it opens is then kept for the
    // command itself.
    let person = std::io::stdin().is_terminal();
    let check_timeout = if person { PROMPT_TIMEOUT } else { timeout };
    fleet::check(host, check_timeout, !person)
        .map_err(|e| anyhow::anyhow!("host {}: {e}", host.name))?;
    let options = Options {
        tty,
        batch: !person,
        connect_timeout: timeout,
    };
    let status = ssh::command(host, args, options)
        .and_then(|mut cmd| cmd.status())
        .with_context(|| format!("host {}: cannot run ssh", host.name))?;
    match status.code() {
        // ssh's own status when the connection fails or ends (Claude's own
        // 255, passed on by `new` or `resume`, reads the same: rare enough).
        Some(255) => bail!(
            "host {}: the connection to {} ended",
            host.name,
            host.destination
        ),
        Some(code) => Ok(ExitCode::from(code.clamp(0, 255) as u8)),
        None => {
            use std::os::unix::process::ExitStatusExt;
            Ok(ExitCode::from(
                (128 + status.signal().unwrap_or(0)).clamp(0, 255) as u8,
            ))
        }
    }
}
