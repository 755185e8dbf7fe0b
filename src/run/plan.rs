//! What to run: Claude with the session's arguments, in its working
//! directory, with its environment.

use crate::run::prepare::Prepared;
use crate::store::layout::Layout;
use crate::store::session::Session;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// What the user asked of this run, on top of what the session keeps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Invocation {
    /// The Claude Code binary.
    #[serde(with = "crate::util::fsutil::path_bytes")]
    pub claude: PathBuf,
    /// Arguments typed after `--`.
    pub args: Vec<String>,
    /// `--notify CMD`, run by the hooks when Claude starts waiting.
    pub notify: Option<String>,
    /// `resume --conversation ID`: the conversation to continue, one of the
    /// working directory's (checked by the caller), not the latest.
    #[serde(default)]
    pub conversation: Option<uuid::Uuid>,
}

/// Claude flags that choose the conversation: claude-session chooses it
/// (a new session id, or the session's latest conversation), so passing
/// them through would start or resume the wrong one.
const RESERVED_FLAGS: &[&str] = &[
    "--session-id",
    "--resume",
    "-r",
    "--continue",
    "-c",
    "--fork-session",
];

pub fn check_passthrough(args: &[String]) -> Result<()> {
    for arg in args {
        let flag = arg.split('=').next().unwrap_or(arg);
        if RESERVED_FLAGS.contains(&flag) {
            bail!(
                "{flag} cannot be passed to claude: claude-session picks the conversation itself (use `claude-session resume SESSION` to continue one)"
            );
        }
    }
    Ok(())
}

/// The model named by `--model X` / `--model=X` in Claude's arguments.
pub fn model_from_args(args: &[String]) -> Option<String> {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--model" {
            return iter.next().cloned();
        }
        if let Some(model) = arg.strip_prefix("--model=") {
            return Some(model.to_string());
        }
    }
    None
}

/// Variables of the caller's environment that Claude must not see: they
/// describe the caller, not the session. A terminal multiplexer or window
/// (Claude would act on the user's tmux, or show its hints, in a session
/// later attached from elsewhere), and the per-process markers a Claude
/// Code session gives its children (run from Claude's Bash tool, a new
/// Claude would otherwise take itself for a child session, and one such
/// marker turns its transcript off; see docs/claude-code.md).
pub const NOT_PASSED: &[&str] = &[
    "TMUX",
    "TMUX_PANE",
    "STY",
    "ZELLIJ",
    "ZELLIJ_SESSION_NAME",
    "ZELLIJ_PANE_ID",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
    "TERM_SESSION_ID",
    "WINDOWID",
    "KITTY_WINDOW_ID",
    "WEZTERM_PANE",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SESSION_ID",
    "CLAUDE_CODE_CHILD_SESSION",
    "CLAUDE_CODE_CHILD_NOTES_DIR",
    "CLAUDE_CODE_SESSION_ATTENDED",
    "CLAUDE_CODE_LAUNCHED_BY_SESSION_IDS",
    "CLAUDE_CODE_EXECPATH",
    "CLAUDE_CODE_MESSAGING_SOCKET",
    "CLAUDE_CODE_MESSAGING_TOKEN",
    "CLAUDE_PID",
    "CLAUDE_EFFORT",
    "CLAUDE_PROJECT_DIR",
    "AI_AGENT",
    "TRACEPARENT",
    // A background session's own (Claude Code's agent view).
    "CLAUDE_CODE_SESSION_KIND",
    "CLAUDE_BG_BACKEND",
    "CLAUDE_BG_SOCKET_TOKENS_PATH",
    "CLAUDE_JOB_DIR",
];

/// A command, decided: program, arguments, working directory, environment.
pub struct Plan {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// Set on top of the caller's environment, less `NOT_PASSED`.
    pub env: Vec<(&'static str, OsString)>,
}

impl Plan {
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).current_dir(&self.cwd);
        for name in NOT_PASSED {
            cmd.env_remove(name);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The arguments as the session log shows them.
    pub fn shown_args(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }
}

/// Decides Claude's arguments in a prepared session: the conversation
/// asked for or else the latest one is resumed, or the first one started
/// under the session id.
pub fn plan(
    layout: &Layout,
    session: &mut Session,
    invocation: &Invocation,
    prepared: Prepared,
) -> Plan {
    let Prepared {
        overrides,
        mcp_config,
    } = prepared;
    let dir = layout.session_dir(session.session_id);
    let resumed = invocation.conversation.or_else(|| {
        crate::claude::transcript::latest_conversation(&dir, &session.working_directory)
    });
    let mut args: Vec<OsString> = match resumed {
        Some(conversation) => vec!["--resume".into(), conversation.to_string().into()],
        None => vec!["--session-id".into(), session.session_id.to_string().into()],
    };
    // The session's own settings, then its MCP servers, then what was
    // typed after `--` (last, so it wins for flags given twice).
    args.extend(overrides.args());
    if mcp_config {
        args.push("--mcp-config".into());
        args.push(dir.join(crate::claude::mcp::RENDERED).into_os_string());
    }
    args.extend(invocation.args.iter().map(OsString::from));
    if let Some(model) = model_from_args(&invocation.args).or(overrides.model) {
        session.model = Some(model);
    }
    // Kept for `restore`, which has no --claude of its own. metadata.json
    // is JSON text, so a path that is not UTF-8 is not kept.
    if invocation.claude.to_str().is_some() {
        session.claude_bin = Some(invocation.claude.clone());
    }
    Plan {
        program: invocation.claude.clone(),
        args,
        cwd: session.working_directory.clone(),
        env: session_env(layout, session, invocation.notify.as_deref()),
    }
}

/// The environment Claude runs with, on top of the caller's.
fn session_env(
    layout: &Layout,
    session: &Session,
    notify: Option<&str>,
) -> Vec<(&'static str, OsString)> {
    let dir = layout.session_dir(session.session_id);
    let mut env = vec![
        // The one variable Claude Code reads to find its state dir.
        ("CLAUDE_CONFIG_DIR", dir.clone().into_os_string()),
        ("CLAUDE_SESSION_ID", session.session_id.to_string().into()),
        ("CLAUDE_SESSION_NAME", session.session_name.clone().into()),
        ("CLAUDE_SESSION_DIR", dir.into_os_string()),
        // So a claude-session run inside the session (by a hook, an MCP
        // server or Claude's Bash tool) finds the same store and base.
        ("CLAUDE_SESSION_HOME", layout.store.clone().into_os_string()),
        ("CLAUDE_SESSION_BASE", layout.base.clone().into_os_string()),
    ];
    // Claude's temp files (Bash outputs, notes for its children) in the
    // session dir, removed with it, unless the user chose a place.
    if std::env::var_os("CLAUDE_CODE_TMPDIR").is_none() {
        let tmp = crate::claude::outside::tmp_dir(&layout.session_dir(session.session_id));
        env.push(("CLAUDE_CODE_TMPDIR", tmp.into_os_string()));
    }
    // Read by the hooks (`claude-session hook`), which Claude runs with
    // its own environment.
    if let Some(notify) = notify {
        env.push(("CLAUDE_SESSION_NOTIFY", notify.into()));
    }
    // Plugins load from the base's cache through this variable; a linked
    // plugins/ dir would make every start write into the shared cache.
    let plugins = layout.base.join("plugins");
    if plugins.is_dir() && std::env::var_os("CLAUDE_CODE_PLUGIN_CACHE_DIR").is_none() {
        env.push(("CLAUDE_CODE_PLUGIN_CACHE_DIR", plugins.into_os_string()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_flags_are_refused() {
        assert!(
            check_passthrough(&["--model".into(), "opus".into(), "-p".into(), "hi".into()]).is_ok()
        );
        for bad in ["--resume", "-r", "--session-id=x", "-c", "--fork-session"] {
            assert!(check_passthrough(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn model_is_read_from_args() {
        assert_eq!(
            model_from_args(&["--model".into(), "opus".into()]),
            Some("opus".into())
        );
        assert_eq!(
            model_from_args(&["--model=sonnet".into()]),
            Some("sonnet".into())
        );
        assert_eq!(model_from_args(&["-p".into()]), None);
    }
}
