//! Each subcommand's options.

use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone, Default)]
pub struct NewArgs {
    /// Session name: letters, digits, '.', '_', '-' (max 64) [default: <cwd name>-N]
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Make it on HOST (added with `claude-session host add`); NAME@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// Run Claude in DIR instead of the current directory
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// Give the session its own git worktree of the repository it starts in,
    /// on a new branch BRANCH [default: claude/<name>]; made in
    /// $CLAUDE_SESSION_WORKTREES, else <store>/worktrees, and the session's
    /// working directory for its whole life
    #[arg(long, value_name = "BRANCH")]
    pub worktree: Option<Option<String>>,

    /// With --worktree: the commit the branch starts from [default: HEAD]
    #[arg(long, value_name = "REF", requires = "worktree")]
    pub from: Option<String>,

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

    /// Claude's permission mode: auto, manual, default (older Claude Code), acceptEdits, plan,
    /// bypassPermissions, dontAsk
    #[arg(long, value_name = "MODE")]
    pub permission_mode: Option<String>,

    /// Let Claude exit after this long idle, the session kept and woken
    /// when you come back (e.g. 30m; off: never) [default:
    /// $CLAUDE_SESSION_HIBERNATE_AFTER, else off]
    #[arg(long, value_name = "AGE")]
    pub hibernate_after: Option<String>,

    /// A settings.json for this session, deep-merged over the base's (a
    /// regular file of at most 16 MB)
    #[arg(long = "settings", value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// MCP servers for this session (JSON with "mcpServers", at most 16 MB;
    /// server names of letters, digits, - and _; placeholders such as
    /// ${MCP_STATE_DIR} and ${PORT:label}, see the README); repeatable
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
    #[arg(
        long,
        env = "CLAUDE_SESSION_NOTIFY",
        value_name = "CMD",
        hide_env_values = true
    )]
    pub notify: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DetachKeysArg {
    /// Key sequence that detaches, comma-separated: "ctrl-\,d" (default), "ctrl-a,d", "ctrl-q"
    #[arg(
        long,
        env = "CLAUDE_SESSION_DETACH_KEYS",
        value_name = "KEYS",
        hide_env_values = true
    )]
    pub detach_keys: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ClaudeArgs {
    /// The Claude Code binary [default: `claude` on PATH]
    #[arg(
        long = "claude",
        env = "CLAUDE_BIN",
        value_name = "PATH",
        hide_env_values = true
    )]
    pub bin: Option<PathBuf>,

    /// Arguments passed to claude as they are (after `--`)
    #[arg(last = true, value_name = "CLAUDE_ARGS")]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print JSON (an array of sessions; with --all-hosts, of hosts) instead of a table
    #[arg(long)]
    pub json: bool,

    /// Redraw the table every second until Ctrl-C
    #[arg(long, conflicts_with = "json")]
    pub watch: bool,

    /// Every host's sessions too (see `claude-session host`), with a HOST column
    #[arg(long, conflicts_with = "host")]
    pub all_hosts: bool,

    /// HOST's sessions instead of this machine's (added with `claude-session host add`)
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// With --all-hosts: seconds each host has to answer (1 to 300) before
    /// it is shown as not answering
    #[arg(long, default_value_t = 10, value_name = "SECONDS", requires = "all_hosts",
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub host_timeout: u64,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// Name, id or unique id prefix
    pub session: String,
    /// key=value assignments
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub assignments: Vec<String>,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Only this session (name, id or unique id prefix), with tool calls by tool and tokens by model
    pub session: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Name, id or unique id prefix
    pub session: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// Name, id or unique id prefix [default: pick one from a list, on a terminal]
    #[arg(conflicts_with = "last")]
    pub session: Option<String>,

    /// Resume the most recently active session
    #[arg(long)]
    pub last: bool,

    /// Continue this conversation of the session (its id, as `search` shows it)
    /// instead of its latest one
    #[arg(long, value_name = "ID", requires = "session")]
    pub conversation: Option<uuid::Uuid>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub claude: ClaudeArgs,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Name, id or unique id prefix [default: the most recently active running session]
    pub session: Option<String>,

    /// Watch without typing (the attached client, if any, stays attached)
    #[arg(long)]
    pub read_only: bool,

    /// Attach even though stdin or stdout is not a terminal (refused
    /// otherwise: it takes the session from whoever is attached, and waits
    /// until Claude ends); to read a session's state, use `show`
    #[arg(long)]
    pub no_tty: bool,

    #[command(flatten)]
    pub keys: DetachKeysArg,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Names, ids or unique id prefixes
    #[arg(required = true)]
    pub sessions: Vec<String>,

    /// Seconds to wait after SIGTERM before SIGKILL (at most 3600)
    #[arg(long, default_value_t = 10, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub timeout: u64,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
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

    /// Also delete a running session (its Claude is stopped first), and
    /// discard what its worktree holds (uncommitted files, unmerged commits)
    #[arg(long)]
    pub force: bool,

    /// Say what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print what was (or would be) deleted as JSON
    #[arg(long)]
    pub json: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// Name, id or unique id prefix
    pub session: String,

    /// Only which files changed, and how much (git diff --stat)
    #[arg(long)]
    pub stat: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct PathArgs {
    /// Name, id or unique id prefix
    pub session: String,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
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
// What to remove is required (a usage error otherwise, exit 2); the
// selectors combine.
#[command(group(
    clap::ArgGroup::new("what")
        .args(["older_than", "empty", "orphaned"])
        .required(true)
        .multiple(true)
))]
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
    /// half-deleted `.trash-*` dirs, staging dirs of killed imports, partial
    /// and old registries (the newest 2 backups stay), sockets no holder
    /// answers on, worktrees whose session is gone (if nothing in them would
    /// be lost), git's record of a session's worktree deleted by hand
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
    /// `unpin` rather than `pin` (not an option: `parse` sets it for `unpin`)
    #[arg(skip)]
    pub unpin: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
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

    /// Replace what looks like a secret with [REDACTED] in the transcripts
    /// and other files: values after keys such as password= or api_key:,
    /// passwords in URLs, provider keys and tokens (sk-ant-..., ghp_...,
    /// AKIA..., sk_live_..., JWTs, private keys...)
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

    /// Apply the settings the archive carries (model, permission mode,
    /// system prompt, settings with hooks, MCP servers); without it they
    /// are shown and left out
    #[arg(long)]
    pub trust_settings: bool,

    /// Print the imported session as JSON, with what the archive carried
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Repair what is safe: rebuild a damaged registry (kept aside) or one
    /// with unreadable rows, register orphaned dirs, prepare half-made
    /// sessions, re-make links, remove stale sockets, sync logins, make a
    /// session's deleted worktree again on its branch
    #[arg(long)]
    pub fix: bool,
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Say what would be copied and what left as it is, copy nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print what was done (or would be) as JSON
    #[arg(long)]
    pub json: bool,

    /// Also migrate projects whose working directory no longer exists
    /// (resume them once it exists again)
    #[arg(long, conflicts_with = "from_seed")]
    pub include_missing: bool,

    /// Import the original script's layout instead: DIR/sessions/<uuid>/ with
    /// metadata.json (and DIR/sessions/.registry, which may be corrupt)
    #[arg(long, value_name = "DIR")]
    pub from_seed: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Keys: Enter attach (detaching comes back here), n new, r resume, k kill, \
d delete, p pin, / filter, Tab next waiting session, s sort, ? help, q quit.\n\
Colours follow NO_COLOR. For scripts: `list --json`, `peek`, `send`."
)]
pub struct UiArgs {
    /// Do not ring the terminal bell when a session starts waiting for you
    #[arg(long)]
    pub no_bell: bool,
    /// Run CMD (by /bin/sh, with the session name and "waiting" as $1 and $2)
    /// when a session starts waiting for you
    #[arg(long, value_name = "CMD")]
    pub notify: Option<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct PeekArgs {
    /// Name, id or unique id prefix
    pub session: String,
    /// Only the last N lines
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub lines: Option<u16>,
    /// Print JSON: the session's state, where the lines come from, the lines
    #[arg(long)]
    pub json: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Name, id or unique id prefix
    pub session: String,
    /// The text (several words are joined by spaces)
    #[arg(required = true, value_name = "TEXT")]
    pub text: Vec<String>,
    /// Type the text without pressing Enter
    #[arg(long)]
    pub no_enter: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct HostArgs {
    #[command(subcommand)]
    pub action: HostAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum HostAction {
    /// Add a host, checked once: it answers, and has claude-session
    Add(HostAddArgs),
    /// The hosts, each asked whether it answers and with which claude-session
    #[command(visible_alias = "ls")]
    List(HostListArgs),
    /// Forget hosts (their sessions stay there)
    Rm(HostRmArgs),
}

#[derive(Args, Debug)]
pub struct HostAddArgs {
    /// What to call it: letters, digits, '.', '_', '-' (max 64)
    pub name: String,
    /// Where it is, as `ssh` takes it: user@host, an alias of ~/.ssh/config, ssh://host:port
    pub destination: String,
    /// claude-session's absolute path there, if a command run over ssh does not find it on PATH
    #[arg(long, value_name = "PATH")]
    pub program: Option<String>,
    /// Add it without asking it (it may be down now)
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Args, Debug)]
pub struct HostListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Seconds each host has to answer (1 to 300)
    #[arg(long, default_value_t = 10, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub struct HostRmArgs {
    /// Host names
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// What another host's claude-session is asked (see `remote`).
#[derive(Args, Debug)]
pub struct RemoteArgs {
    /// Add the sessions, as `list --json` gives them
    #[arg(long)]
    pub list: bool,
    /// Without what git says of worktrees (`worktreeState` null): a survey
    /// made every few seconds must not run git for each worktree
    #[arg(long, requires = "list")]
    pub no_git: bool,
    /// A word to send back as it arrived (does the shell there quote as ours?)
    #[arg(long, default_value = "", value_name = "WORD")]
    pub echo: String,
}

#[derive(Args, Debug)]
pub struct HibernateArgs {
    /// Names, ids or unique id prefixes
    #[arg(required_unless_present = "idle", conflicts_with = "idle")]
    pub sessions: Vec<String>,
    /// Every session that runs idle with no terminal attached
    #[arg(long)]
    pub idle: bool,
    /// Print JSON: each session, hibernated or why not
    #[arg(long)]
    pub json: bool,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Args, Debug)]
pub struct WakeArgs {
    /// Names, ids or unique id prefixes
    #[arg(required = true)]
    pub sessions: Vec<String>,

    /// Run on HOST (added with `claude-session host add`); SESSION@HOST says the same
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

/// Who said what `search --role` looks for.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchRole {
    /// Prompts
    User,
    /// Claude's replies
    Assistant,
    /// Tool calls and their results
    Tool,
}

#[derive(Args, Debug)]
#[command(after_help = "\
The query is SQLite FTS5's: words (all must be there, in any order), \"an exact phrase\",
prefix* , a OR b, a NOT b, NEAR(a b). Case and accents do not matter. Quote words that hold
punctuation: claude-session search '\"foo-bar\"' '\"main.rs\"'.

The index is <store>/search.db, brought up to date at each search (only what changed is read);
--rebuild makes it again from every transcript.")]
pub struct SearchArgs {
    /// What to find (several words are joined by spaces)
    #[arg(value_name = "QUERY", required_unless_present = "rebuild")]
    pub query: Vec<String>,

    /// Only this session (name, id or unique id prefix)
    #[arg(long, value_name = "SESSION")]
    pub session: Option<String>,

    /// Only what was said in this last span, e.g. 2h, 7d, 4w
    #[arg(long, value_name = "AGE", value_parser = humantime::parse_duration)]
    pub since: Option<std::time::Duration>,

    /// Only what one side said (tool: calls and results, searched with or without --tools)
    #[arg(long, value_enum)]
    pub role: Option<SearchRole>,

    /// Search tool calls and their results too (commands, file contents, outputs)
    #[arg(long)]
    pub tools: bool,

    /// At most N results (1-1000)
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,

    /// Print JSON (an array of results)
    #[arg(long)]
    pub json: bool,

    /// Build the index again from every transcript first
    #[arg(long)]
    pub rebuild: bool,
}
