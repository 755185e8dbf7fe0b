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
mod host;
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
mod remote;
mod restore;
mod resume;
mod rm;
mod search;
mod send;
mod set;
mod shell_init;
mod show;
mod stats;
mod ui;

use crate::cli::{Cli, Command, GlobalArgs, ListArgs, OnHost, Place, ResumeArgs, RmArgs};
use crate::store::Store;
use crate::store::layout::Layout;
use anyhow::Result;
use std::process::ExitCode;

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Some(Command::New(args)) => on_host(&global, *args, new::run),
        Some(Command::List(args)) => on_host(&global, args, list::run),
        Some(Command::Show(args)) => on_host(&global, args, show::run),
        Some(Command::Resume(args)) => on_host(&global, args, resume::run),
        Some(Command::Rm(args)) => on_host(&global, args, rm::run),
        Some(Command::Diff(args)) => on_host(&global, args, diff::run),
        Some(Command::Path(args)) => on_host(&global, args, path::run),
        Some(Command::Rebuild(args)) => rebuild::run(&global, args),
        Some(Command::Attach(args)) => on_host(&global, args, attach::run),
        Some(Command::Kill(args)) => on_host(&global, args, kill::run),
        Some(Command::Restore(args)) => restore::run(&global, args),
        Some(Command::Holder) => holder::run(&global),
        Some(Command::Hook) => hook::run(&global),
        Some(Command::Stats(args)) => on_host(&global, args, stats::run),
        Some(Command::Set(args)) => on_host(&global, args, set::run),
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
        Some(Command::Pin(args)) => on_host(&global, args, pin::run),
        Some(Command::Unpin(args)) => on_host(&global, args, pin::run),
        Some(Command::Migrate(args)) => migrate::run(&global, args),
        Some(Command::Doctor(args)) => doctor::run(&global, args),
        Some(Command::Ui(args)) => ui::run(&global, args),
        Some(Command::Peek(args)) => on_host(&global, args, peek::run),
        Some(Command::Send(args)) => on_host(&global, args, send::run),
        Some(Command::Hibernate(args)) => on_host(&global, args, hibernate::run),
        Some(Command::Wake(args)) => on_host(&global, args, hibernate::wake),
        Some(Command::Search(args)) => search::run(&global, args),
        Some(Command::Export(args)) => export::run(&global, args),
        Some(Command::Import(args)) => import::run(&global, args),
        Some(Command::Host(args)) => host::run(args),
        Some(Command::Remote(args)) => remote::run(&global, args),
        // The seed's shorthands.
        None if cli.list => list::run(
            &global,
            ListArgs {
                json: false,
                watch: false,
                all_hosts: false,
                host: None,
                host_timeout: crate::remote::fleet::TIMEOUT.as_secs(),
            },
        ),
        None if cli.resume.is_some() => on_host(
            &global,
            ResumeArgs {
                session: cli.resume,
                last: false,
                conversation: None,
                run: cli.new_args.run,
                claude: cli.new_args.claude,
                host: cli.new_args.host,
            },
            resume::run,
        ),
        None if cli.delete.is_some() => on_host(
            &global,
            RmArgs {
                sessions: cli.delete.into_iter().collect(),
                force: false,
                dry_run: false,
                json: false,
                host: cli.new_args.host,
            },
            rm::run,
        ),
        None => on_host(&global, cli.new_args, new::run),
    }
}

/// Runs `args` on the host it names (`--host HOST`, `SESSION@HOST`), or
/// here with `here`.
fn on_host<A: OnHost>(
    global: &GlobalArgs,
    mut args: A,
    here: fn(&GlobalArgs, A) -> Result<ExitCode>,
) -> Result<ExitCode> {
    use std::io::IsTerminal;
    let name = match crate::cli::place(&mut args)? {
        Place::Here => return here(global, args),
        Place::Host(name) => name,
    };
    let hosts = crate::remote::config::load()?;
    let host = crate::remote::config::find(&hosts, &name)?;
    let words = args.remote_args(&global.from_env)?;
    let tty =
        args.wants_terminal() && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    crate::remote::forward::run(host, &words, tty, crate::remote::fleet::TIMEOUT)
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
