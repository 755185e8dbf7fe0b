//! claude-session: many isolated Claude Code sessions on one machine.
//! `main` only parses, dispatches and prints the one error line.

mod archive;
mod claude;
mod cli;
mod client;
mod commands;
mod dashboard;
mod git;
mod holder;
mod ipc;
mod remote;
mod run;
mod search;
mod store;
mod util;
mod view;
mod worktree;

use std::ffi::OsString;
use std::process::ExitCode;

/// The exit status of bad usage, clap's own and ours (`cli::UsageError`).
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os().collect());
    let result = match cli::parse(&args) {
        Ok(cli) => shorthand_check(&cli).and_then(|()| commands::dispatch(cli)),
        Err(e) => match mistyped(&args) {
            Some(command) if e.use_stderr() => Err(cli::UsageError(format!(
                "'{}' is not a command: did you mean '{command}'?",
                args[1].to_string_lossy()
            ))
            .into()),
            _ => e.exit(),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) if e.is::<util::output::BrokenPipe>() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claude-session: {}", one_line(&e));
            if e.is::<cli::UsageError>() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The seed's `claude-session NAME` starts a session named NAME, unless
/// NAME is a command mistyped (`lsit`): then nothing is made. `new NAME`
/// and `-n NAME` say a new session is meant.
fn shorthand_check(cli: &cli::Cli) -> anyhow::Result<()> {
    if cli.command.is_some() || cli.new {
        return Ok(());
    }
    let Some(name) = &cli.new_args.name else {
        return Ok(());
    };
    match cli::mistyped_command(name) {
        Some(command) => Err(cli::UsageError(format!(
            "'{name}' is not a command: did you mean '{command}'? (`claude-session new {name}` starts a session named {name})"
        ))
        .into()),
        None => Ok(()),
    }
}

/// A command line clap refused whose first word is a command mistyped
/// (`attahc demo`): that command.
fn mistyped(args: &[OsString]) -> Option<String> {
    let word = args.get(1)?.to_str()?;
    if word.starts_with('-') {
        return None;
    }
    cli::mistyped_command(word)
}

/// "what failed: why", on one line even if a cause spans lines.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}
