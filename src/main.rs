//! claude-session: many isolated Claude Code sessions on one machine.
//! `main` only parses, dispatches and prints the one error line.

mod archive;
mod attach;
mod claude_json;
mod cli;
mod commands;
mod credentials;
mod detach_keys;
mod fsutil;
mod holder;
mod hooks;
mod journal;
mod launch;
mod layout;
mod liveness;
mod mcp;
mod metadata;
mod output;
mod overrides;
mod picker;
mod placement;
mod rebuild;
mod registry;
mod registry_names;
mod removal;
mod resolve;
mod runner;
mod session;
mod share;
mod stats;
mod timestamp;
mod transcript;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let cli =
        cli::parse_narrow(&args).unwrap_or_else(|| cli::Cli::parse_from(cli::normalize_args(args)));
    let result = commands::dispatch(cli);
    match result {
        Ok(code) => code,
        Err(e) if e.is::<output::BrokenPipe>() => ExitCode::SUCCESS,
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
