//! The command line, as typed (clap). Nothing here touches the disk:
//! commands turn these structs into actions. `args` holds each
//! subcommand's options.

mod args;
mod remote;
mod typo;

pub use args::*;
use clap::{Args, Parser, Subcommand};
pub use remote::{OnHost, Place, place};
use std::path::PathBuf;
pub use typo::mistyped_command;

/// Bad usage that clap cannot see (a mistyped command, `attach` off a
/// terminal): printed as one error line, exit status 2 like clap's own.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

const EXIT_CODES: &str = "\
Exit status:
  0    success
  1    an error (the message says what and why)
  2    bad usage (unknown flag, missing argument)
  N    new / resume: Claude Code's own exit status (128+signal if it was killed)";

const ABOUT: &str = "Run many isolated Claude Code sessions in parallel on one machine.";

const LONG_ABOUT: &str = "\
Run many isolated Claude Code sessions in parallel on one machine.

Each session has a name, a UUID and its own Claude Code config dir (passed to Claude as
CLAUDE_CONFIG_DIR), so history, transcripts, todos and .claude.json never collide. Skills,
agents, commands, CLAUDE.md, settings and your login are shared from the base dir (~/.claude).

Shorthands kept from the original script: `claude-session NAME` = new, -n/--new, -l/--list,
-r/--resume SESSION, -d/--delete SESSION. A NAME that looks like a mistyped command (lsit) is
refused: `claude-session new lsit` makes it. A SESSION is a name, a full id or a unique id prefix.
Arguments after `--` go to claude, e.g. `claude-session new x -- --model opus`.";

#[derive(Parser, Debug)]
#[command(
    name = "claude-session",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Create a new session (the default without a subcommand)
    #[arg(short = 'n', long = "new")]
    pub new: bool,

    /// List sessions (same as `list`)
    #[arg(short = 'l', long = "list", conflicts_with_all = ["new", "resume", "delete"])]
    pub list: bool,

    /// Resume SESSION (same as `resume SESSION`)
    #[arg(short = 'r', long = "resume", value_name = "SESSION", conflicts_with_all = ["new", "delete"])]
    pub resume: Option<String>,

    /// Delete SESSION (same as `rm SESSION`)
    #[arg(
        short = 'd',
        long = "delete",
        value_name = "SESSION",
        conflicts_with = "new"
    )]
    pub delete: Option<String>,

    #[command(flatten)]
    pub new_args: NewArgs,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Where sessions and the registry are kept
    /// [default: ${XDG_DATA_HOME:-~/.local/share}/claude-session]
    #[arg(
        long,
        global = true,
        env = "CLAUDE_SESSION_HOME",
        value_name = "DIR",
        hide_env_values = true
    )]
    pub store: Option<PathBuf>,

    /// The Claude dir shared into every session [default: $CLAUDE_CONFIG_DIR, else ~/.claude]
    #[arg(
        long,
        global = true,
        env = "CLAUDE_SESSION_BASE",
        value_name = "DIR",
        hide_env_values = true
    )]
    pub base: Option<PathBuf>,

    /// The options of the command that took their value from the
    /// environment, not the command line (see `parse`): a command run on
    /// another host is given only what was typed.
    #[arg(skip)]
    pub from_env: Vec<String>,
}

/// The command line parsed, noting which options came from the environment.
pub fn parse(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    let command = matches.subcommand().map_or(&matches, |(_, m)| m);
    cli.global.from_env = command
        .ids()
        .filter(|id| command.value_source(id.as_str()) == Some(ValueSource::EnvVariable))
        .map(|id| id.to_string())
        .collect();
    if let Some(Command::Unpin(args)) = &mut cli.command {
        args.unpin = true;
    }
    Ok(cli)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a session and start Claude Code in it, in this terminal
    New(Box<NewArgs>),
    /// List sessions, most recently active first
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show everything known about one session
    Show(ShowArgs),
    /// Start Claude Code again in a session, continuing its latest conversation
    Resume(ResumeArgs),
    /// Delete sessions, and their worktrees (refuses a running one, or one whose worktree holds work, unless --force)
    #[command(visible_alias = "delete")]
    Rm(RmArgs),
    /// Show a session's changes in its worktree since its base, committed and not (git diff)
    Diff(DiffArgs),
    /// Print a session's dir (its CLAUDE_CONFIG_DIR), for cd and scripts
    Path(PathArgs),
    /// Rebuild the registry from the sessions' metadata.json files
    Rebuild(RebuildArgs),
    /// Attach this terminal to a running session (detach: Ctrl-\ then d)
    Attach(AttachArgs),
    /// Stop a running session's Claude (SIGTERM, then SIGKILL after a timeout)
    Kill(KillArgs),
    /// Start again, detached, every session whose holder died while Claude ran (after a reboot)
    Restore(RestoreArgs),
    /// The per-session holder process (started by new / resume, not by hand)
    #[command(name = "__holder", hide = true)]
    Holder,
    /// Claude Code's hook handler (run by Claude, reads one event on stdin)
    #[command(hide = true)]
    Hook,
    /// Print every session dir, comma-separated, for tools (e.g. ccusage) that
    /// read a comma-separated CLAUDE_CONFIG_DIR
    ConfigDirs,
    /// Messages, tool calls and tokens per session and in total, from the transcripts
    Stats(StatsArgs),
    /// Change a session's own settings: model=, append-system-prompt=,
    /// permission-mode=, settings.<path>=<json> (empty value: unset)
    Set(SetArgs),
    /// Print aliases and functions for your shell: eval "$(claude-session shell-init bash)"
    #[command(name = "shell-init")]
    ShellInit(ShellArgs),
    /// Print the shell completion script, e.g. claude-session completions bash
    Completions(ShellArgs),
    /// Print the man page (roff), e.g. claude-session man | man -l -
    Man(ManArgs),
    /// Session names for shell completion (used by the `completions` scripts)
    #[command(name = "__complete-sessions", hide = true)]
    CompleteSessions(CompleteSessionsArgs),
    /// Remove old, empty or orphaned sessions (never a running, attached or pinned one)
    Cleanup(CleanupArgs),
    /// Keep sessions whatever `cleanup` is asked to remove
    Pin(PinArgs),
    /// Let `cleanup` remove sessions again
    Unpin(PinArgs),
    /// Write a session to one archive (tar + zstd): transcripts, todos, file history; never credentials
    Export(ExportArgs),
    /// Restore an archive made by `export` as a new session, ready to resume
    Import(ImportArgs),
    /// Copy an existing ~/.claude's conversations into sessions, one per project directory (or import a seed-style layout)
    Migrate(MigrateArgs),
    /// Check claude, the store, the registry, sessions, sockets and logins; --fix repairs
    Doctor(DoctorArgs),
    /// The dashboard: every session, the ones waiting for you first, a live preview; Enter attaches
    Ui(UiArgs),
    /// Print a session's screen as it is now (or, not running, the end of its conversation)
    Peek(PeekArgs),
    /// Type text into a running session, then Enter (as if typed at its prompt)
    Send(SendArgs),
    /// Let idle sessions' Claude exit, keeping each session under its holder (its memory back)
    Hibernate(HibernateArgs),
    /// Start a hibernated session's Claude again (attach, send and resume wake it too)
    Wake(WakeArgs),
    /// Other machines whose sessions this one shows and runs, over ssh
    Host(HostArgs),
    /// Who answers, and its sessions, for claude-session on another host
    #[command(name = "__remote", hide = true)]
    Remote(RemoteArgs),
    /// Find words in every session's conversations (and the base's), best matches first
    Search(SearchArgs),
}

/// Moves the global options that precede a subcommand behind it:
/// `claude-session --store DIR list` -> `claude-session list --store DIR`.
/// With a top-level NAME (the seed's `claude-session NAME`), clap would
/// otherwise read `list` as a session name once an option comes first.
pub fn normalize_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    // Built only when a global option comes first: building the whole
    // command costs as much as parsing with it.
    let mut command = None;
    let mut is_subcommand = |word: &str| {
        command
            .get_or_insert_with(Cli::command)
            .get_subcommands()
            .any(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
    };
    let mut globals = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let Some(word) = args[i].to_str() else {
            return args;
        };
        match word {
            "--store" | "--base" if i + 1 < args.len() => {
                globals.extend_from_slice(&args[i..i + 2]);
                i += 2;
            }
            _ if word.starts_with("--store=") || word.starts_with("--base=") => {
                globals.push(args[i].clone());
                i += 1;
            }
            _ if !globals.is_empty() && is_subcommand(word) => {
                let mut out = vec![args[0].clone(), args[i].clone()];
                out.extend(globals);
                out.extend_from_slice(&args[i + 1..]);
                return out;
            }
            _ => return args,
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn globals_move_behind_the_subcommand() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            normalize_args(args(&[
                "cs",
                "--store",
                "/s",
                "--base=/b",
                "list",
                "--json"
            ])),
            args(&["cs", "list", "--store", "/s", "--base=/b", "--json"])
        );
        assert_eq!(
            normalize_args(args(&["cs", "--store", "/s", "foo"])),
            args(&["cs", "--store", "/s", "foo"])
        );
        assert_eq!(normalize_args(args(&["cs", "list"])), args(&["cs", "list"]));
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--help` names a variable, never its value (a path, a command, or
    /// an empty `NAME=`).
    #[test]
    fn help_hides_every_variable_value() {
        fn check(cmd: &clap::Command) {
            for arg in cmd.get_arguments() {
                if arg.get_env().is_some() {
                    assert!(arg.is_hide_env_values_set(), "{}", arg.get_id());
                }
            }
            cmd.get_subcommands().for_each(check);
        }
        check(&Cli::command());
    }
}
