//! One module per subcommand; `dispatch` turns the parsed command line into
//! the action.

mod attach;
mod cleanup;
mod complete_sessions;
mod completions;
mod diff;
mod doctor;
mod export;
mod hibernate;
mod holder;
mod hook;
mod import;
mod kill;
mod launch;
mod list;
mod man;
mod migrate;
mod new;
mod path;
mod peek;
mod pin;
mod rebuild;
mod restore;
mod resume;
mod rm;
mod send;
mod set;
mod shell_init;
mod show;
mod stats;
mod ui;

use crate::cli::{Cli, Command, GlobalArgs, ListArgs, ResumeArgs, RmArgs};
use crate::store::Store;
use crate::store::layout::Layout;
use anyhow::Result;
use std::process::ExitCode;

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Some(Command::New(args)) => new::run(&global, *args),
        Some(Command::List(args)) => list::run(&global, args),
        Some(Command::Show(args)) => show::run(&global, args),
        Some(Command::Resume(args)) => resume::run(&global, args),
        Some(Command::Rm(args)) => rm::run(&global, args),
        Some(Command::Diff(args)) => diff::run(&global, args),
        Some(Command::Path(args)) => path::run(&global, args),
        Some(Command::Rebuild(args)) => rebuild::run(&global, args),
        Some(Command::Attach(args)) => attach::run(&global, args),
        Some(Command::Kill(args)) => kill::run(&global, args),
        Some(Command::Restore(args)) => restore::run(&global, args),
        Some(Command::Holder) => holder::run(&global),
        Some(Command::Hook) => hook::run(&global),
        Some(Command::Stats(args)) => stats::run(&global, args),
        Some(Command::Set(args)) => set::run(&global, args),
        Some(Command::ConfigDirs) => {
            let store = open_store(&global)?;
            let dirs: Vec<String> = store
                .registry
                .all()?
                .iter()
                .map(|s| store.layout.session_dir(s.session_id).display().to_string())
                .collect();
            crate::util::output::emit(&format!("{}\n", dirs.join(",")))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::ShellInit(args)) => shell_init::run(args),
        Some(Command::Completions(args)) => completions::run(args),
        Some(Command::Man(args)) => man::run(args),
        Some(Command::CompleteSessions(args)) => complete_sessions::run(&global, args),
        Some(Command::Cleanup(args)) => cleanup::run(&global, args),
        Some(Command::Pin(args)) => pin::run(&global, args, true),
        Some(Command::Unpin(args)) => pin::run(&global, args, false),
        Some(Command::Migrate(args)) => migrate::run(&global, args),
        Some(Command::Doctor(args)) => doctor::run(&global, args),
        Some(Command::Ui(args)) => ui::run(&global, args),
        Some(Command::Peek(args)) => peek::run(&global, args),
        Some(Command::Send(args)) => send::run(&global, args),
        Some(Command::Hibernate(args)) => hibernate::run(&global, args),
        Some(Command::Wake(args)) => hibernate::wake(&global, args),
        Some(Command::Export(args)) => export::run(&global, args),
        Some(Command::Import(args)) => import::run(&global, args),
        // The seed's shorthands.
        None if cli.list => list::run(
            &global,
            ListArgs {
                json: false,
                watch: false,
            },
        ),
        None if cli.resume.is_some() => resume::run(
            &global,
            ResumeArgs {
                session: cli.resume,
                last: false,
                run: cli.new_args.run,
                claude: cli.new_args.claude,
            },
        ),
        None if cli.delete.is_some() => rm::run(
            &global,
            RmArgs {
                sessions: cli.delete.into_iter().collect(),
                force: false,
                dry_run: false,
                json: false,
            },
        ),
        None => new::run(&global, cli.new_args),
    }
}

/// The store the global options name, opened.
pub fn open_store(global: &GlobalArgs) -> Result<Store> {
    Store::open(layout(global)?)
}

/// Where the store and the base are, as the global options say.
pub fn layout(global: &GlobalArgs) -> Result<Layout> {
    Layout::discover(global.store.as_deref(), global.base.as_deref())
}

/// The exit status to pass on from Claude.
pub fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(code.clamp(0, 255) as u8)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// A session named like a command would read as that command.
    #[test]
    fn every_command_name_is_reserved() {
        for command in crate::cli::Cli::command().get_subcommands() {
            for name in std::iter::once(command.get_name()).chain(command.get_all_aliases()) {
                if !name.starts_with("__") {
                    assert!(
                        crate::store::session::RESERVED.contains(&name),
                        "{name} is not in store::session::RESERVED"
                    );
                }
            }
        }
    }
}
