//! claude-session: many isolated Claude Code sessions on one machine.
//! `main` only parses, dispatches and prints the one error line.

mod archive;
mod claude;
mod cli;
mod client;
mod commands;
mod holder;
mod ipc;
mod run;
mod store;
mod util;
mod view;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let cli = cli::Cli::parse_from(cli::normalize_args(args));
    let result = commands::dispatch(cli);
    match result {
        Ok(code) => code,
        Err(e) if e.is::<util::output::BrokenPipe>() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claude-session: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// "what failed: why", on one line even if a cause spans lines.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}
