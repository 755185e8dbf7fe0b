//! The command line, as typed. Nothing here touches the disk: commands turn
//! these structs into actions.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
-r/--resume SESSION, -d/--delete SESSION. A SESSION is a name, a full id or a unique id prefix.
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
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a session and start Claude Code in it, in this terminal
    New(NewArgs),
    /// List sessions, most recently active first
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show everything known about one session
    Show(ShowArgs),
    /// Start Claude Code again in a session, continuing its latest conversation
    Resume(ResumeArgs),
    /// Delete sessions (refuses a running one unless --force)
    #[command(visible_alias = "delete")]
    Rm(RmArgs),
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
    /// Copy an existing ~/.claude's conversations into a session (or import a seed-style layout)
    Migrate(MigrateArgs),
    /// Check claude, the store, the registry, sessions, sockets and logins; --fix repairs
    Doctor(DoctorArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct NewArgs {
    /// Session name: letters, digits, '.', '_', '-' (max 64) [default: <cwd name>-N]
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Run Claude in DIR instead of the current directory
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// Create the session, print its id and exit without starting Claude
    #[arg(long, conflicts_with_all = ["foreground", "detached"])]
    pub no_launch: bool,

    /// With --no-launch: print the new session as JSON
    #[arg(long, requires = "no_launch")]
    pub json: bool,

    #[command(flatten)]
    pub overrides: OverrideArgs,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub claude: ClaudeArgs,
}

/// The session's own settings, kept and applied at every launch
/// (`claude-session set` changes them later).
#[derive(Args, Debug, Clone, Default)]
pub struct OverrideArgs {
    /// Claude's model for this session (e.g. opus, sonnet)
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Text appended to Claude's system prompt in this session
    #[arg(long, value_name = "TEXT")]
    pub append_system_prompt: Option<String>,

    /// Claude's permission mode: default, acceptEdits, plan, bypassPermissions, dontAsk
    #[arg(long, value_name = "MODE")]
    pub permission_mode: Option<String>,

    /// A settings.json for this session, deep-merged over the base's
    #[arg(long = "settings", value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// MCP servers for this session (JSON with "mcpServers"; placeholders such
    /// as ${MCP_STATE_DIR} and ${PORT:label}, see the README); repeatable
    #[arg(long = "mcp-config", value_name = "FILE")]
    pub mcp_config: Vec<PathBuf>,
}

/// How Claude runs: under a holder (it survives the terminal) or not.
#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// Run Claude directly in this terminal, without a holder: it ends with
    /// the terminal (automatic when stdin or stdout is not a terminal)
    #[arg(long, conflicts_with = "detached")]
    pub foreground: bool,

    /// Start Claude under its holder without attaching; prints the session id
    #[arg(long)]
    pub detached: bool,

    #[command(flatten)]
    pub keys: DetachKeysArg,

    /// Run CMD (by /bin/sh, with the session name and "waiting" as $1 and $2)
    /// when Claude starts waiting for you: a permission prompt, a question
    #[arg(long, env = "CLAUDE_SESSION_NOTIFY", value_name = "CMD")]
    pub notify: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DetachKeysArg {
    /// Key sequence that detaches, comma-separated: "ctrl-\,d" (default), "ctrl-a,d", "ctrl-q"
    #[arg(long, env = "CLAUDE_SESSION_DETACH_KEYS", value_name = "KEYS")]
    pub detach_keys: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ClaudeArgs {
    /// The Claude Code binary [default: `claude` on PATH]
    #[arg(long = "claude", env = "CLAUDE_BIN", value_name = "PATH")]
    pub bin: Option<PathBuf>,

    /// Arguments passed to claude as they are (after `--`)
    #[arg(last = true, value_name = "CLAUDE_ARGS")]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print JSON (an array of sessions) instead of a table
    #[arg(long)]
    pub json: bool,

    /// Redraw the table every second until Ctrl-C
    #[arg(long, conflicts_with = "json")]
    pub watch: bool,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// Name, id or unique id prefix
    pub session: String,
    /// key=value assignments
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub assignments: Vec<String>,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Only this session (name, id or unique id prefix), with tool calls by tool and tokens by model
    pub session: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Name, id or unique id prefix
    pub session: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// Name, id or unique id prefix [default: pick one from a list, on a terminal]
    #[arg(conflicts_with = "last")]
    pub session: Option<String>,

    /// Resume the most recently active session
    #[arg(long)]
    pub last: bool,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub claude: ClaudeArgs,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Name, id or unique id prefix [default: the most recently active running session]
    pub session: Option<String>,

    /// Watch without typing (the attached client, if any, stays attached)
    #[arg(long)]
    pub read_only: bool,

    #[command(flatten)]
    pub keys: DetachKeysArg,
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Names, ids or unique id prefixes
    #[arg(required = true)]
    pub sessions: Vec<String>,

    /// Seconds to wait after SIGTERM before SIGKILL
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Say which sessions would be restarted, start none
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    /// Names, ids or unique id prefixes
    #[arg(required = true)]
    pub sessions: Vec<String>,

    /// Also delete a running session (its Claude is stopped first)
    #[arg(long)]
    pub force: bool,

    /// Say what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print what was (or would be) deleted as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PathArgs {
    /// Name, id or unique id prefix
    pub session: String,
}

#[derive(Args, Debug)]
pub struct RebuildArgs {
    /// Say what would be rebuilt, change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The shells that `shell-init` and `completions` write for.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Args, Debug)]
pub struct ShellArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {}

#[derive(Args, Debug)]
pub struct CompleteSessionsArgs {
    /// Print the session names that start with PREFIX
    #[arg(conflicts_with = "cword")]
    pub prefix: Option<String>,

    /// WORDS[N] is being completed: print the names that fit it if it is a
    /// session argument, else exit 1 and print nothing
    #[arg(long, value_name = "N", requires = "words")]
    pub cword: Option<usize>,

    /// The command line being completed, split into words
    #[arg(last = true, value_name = "WORDS")]
    pub words: Vec<String>,
}

#[derive(Args, Debug)]
#[command(after_help = "\
--older-than and --empty together select sessions that are both; --orphaned adds the leftovers.
A running, attached or pinned session is never removed. Without --yes, cleanup asks on a
terminal and only reports elsewhere.")]
pub struct CleanupArgs {
    /// Sessions whose last activity is older than AGE, e.g. 30d, 12h, 2w
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    pub older_than: Option<std::time::Duration>,

    /// Sessions that never held a conversation (no transcript, no messages)
    #[arg(long)]
    pub empty: bool,

    /// Leftovers: session dirs without a registry row, rows without a dir,
    /// half-deleted `.trash-*` dirs, sockets no holder answers on
    #[arg(long)]
    pub orphaned: bool,

    /// Say what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Remove without asking
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print what was (or would be) removed as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PinArgs {
    /// Names, ids or unique id prefixes
    #[arg(required = true)]
    pub sessions: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Name, id or unique id prefix
    pub session: String,

    /// Where to write the archive [default: ./<name>-<id8>.claude-session.tar.zst]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite FILE if it exists
    #[arg(long)]
    pub force: bool,

    /// Replace what looks like an API key or token (sk-ant-..., Bearer ...,
    /// api_key=...) with [REDACTED] in the transcripts and other files
    #[arg(long)]
    pub redact: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// An archive written by `claude-session export`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Name for the imported session [default: the archive's, or <name>-N if that is taken]
    #[arg(long, value_name = "NEW")]
    pub name: Option<String>,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Repair what is safe: rebuild a corrupt registry (kept aside), register
    /// orphaned dirs, re-make links, remove stale sockets, sync logins
    #[arg(long)]
    pub fix: bool,
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Say what would be copied, copy nothing
    #[arg(long)]
    pub dry_run: bool,

    /// The session that receives the base's conversations
    #[arg(long, default_value = "default", value_name = "NAME")]
    pub name: String,

    /// Import the original script's layout instead: DIR/sessions/<uuid>/ with
    /// metadata.json (and DIR/sessions/.registry, which may be corrupt)
    #[arg(long, value_name = "DIR")]
    pub from_seed: Option<PathBuf>,
}

/// A command line for one of the subcommands whose start is timed (`new`,
/// the holder, the hook Claude runs at every tool call), parsed with a
/// command of that subcommand's own options: building the whole command,
/// every subcommand's options, took a third of a millisecond of each of
/// them. None for any other command line, and for one that this parse
/// does not take as it is (help, a bad option, ...): parse that whole, so
/// help and errors always come from the whole command.
pub fn parse_narrow(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args, FromArgMatches};
    let subcommand = args.get(1)?.to_str()?;
    let (name, augment): (_, fn(clap::Command) -> clap::Command) = match subcommand {
        "new" => ("claude-session new", NewArgs::augment_args),
        "__holder" => ("claude-session __holder", |command| command),
        "hook" => ("claude-session hook", |command| command),
        _ => return None,
    };
    let command = augment(GlobalArgs::augment_args(clap::Command::new(name)));
    let matches = command.try_get_matches_from(&args[1..]).ok()?;
    let global = GlobalArgs::from_arg_matches(&matches).ok()?;
    let command = match subcommand {
        "new" => Command::New(NewArgs::from_arg_matches(&matches).ok()?),
        "__holder" => Command::Holder,
        _ => Command::Hook,
    };
    Some(Cli {
        global,
        command: Some(command),
        new: false,
        list: false,
        resume: None,
        delete: None,
        new_args: NewArgs::default(),
    })
}

/// Moves the global options that precede a subcommand behind it:
/// `claude-session --store DIR list` -> `claude-session list --store DIR`.
/// With a top-level NAME (the seed's `claude-session NAME`), clap would
/// otherwise read `list` as a session name once an option comes first.
pub fn normalize_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    // Building the command costs as much as parsing with it (a quarter of
    // a millisecond): only when a global option comes first, which is rare
    // for people and never so for the holder, whose start is timed.
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
    fn timed_subcommands_parse_alone_as_they_do_in_the_whole_command() {
        let line = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        for args in [
            line(&["cs", "__holder", "--store", "/s", "--base", "/b"]),
            line(&["cs", "new"]),
            line(&["cs", "new", "api", "--detached", "--store=/s"]),
            line(&[
                "cs",
                "new",
                "--cwd",
                "/w",
                "--model",
                "opus",
                "--detach-keys",
                "ctrl-a,x",
                "--mcp-config",
                "/m1",
                "--mcp-config",
                "/m2",
                "--no-launch",
                "--json",
                "--",
                "-p",
                "hi there",
            ]),
            line(&[
                "cs",
                "new",
                "x",
                "--foreground",
                "--claude",
                "/c",
                "--notify",
                "n",
            ]),
            line(&["cs", "hook"]),
            line(&["cs", "hook", "--base", "/b"]),
        ] {
            let narrow = parse_narrow(&args).expect("a timed subcommand");
            let whole = Cli::parse_from(&args);
            // The whole parse also fills the top-level `new` options (read
            // only without a subcommand) from the environment: not compared.
            assert_eq!(
                format!("{:?} {:?}", narrow.global, narrow.command),
                format!("{:?} {:?}", whole.global, whole.command),
                "{args:?}"
            );
        }
    }

    #[test]
    fn other_lines_are_parsed_whole() {
        let line = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        for args in [
            line(&["cs"]),
            line(&["cs", "list", "__holder"]),
            line(&["cs", "--store", "/s", "new"]),
            line(&["cs", "new", "--help"]),
            line(&["cs", "new", "--no-such-flag"]),
            line(&["cs", "new", "--json"]),
            line(&["cs", "new", "--detached", "--foreground"]),
            line(&["cs", "__holder", "--session", "x"]),
            line(&["cs", "hook", "extra"]),
        ] {
            assert!(parse_narrow(&args).is_none(), "{args:?}");
        }
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
