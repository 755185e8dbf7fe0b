//! The real Claude Code CLI (pinned in scripts/claude-code.sh) in a test Env,
//! offline, against the mock Messages API. Runs when
//! CLAUDE_SESSION_E2E_CLAUDE names the `claude` binary;
//! CLAUDE_SESSION_REQUIRE_E2E=1 makes its absence a failure, not a skip.

use super::Env;
use super::mock_api::MockApi;
use std::fs;
use std::path::{Path, PathBuf};

const API_KEY: &str = "sk-ant-e2e-0123456789abcdefghijklmnopqrstuvwxyz";

/// The real CLI, or None (the test is skipped) when not configured.
pub fn real_claude() -> Option<PathBuf> {
    match std::env::var_os("CLAUDE_SESSION_E2E_CLAUDE") {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CLAUDE_SESSION_REQUIRE_E2E").is_some() => {
            panic!("CLAUDE_SESSION_REQUIRE_E2E is set but CLAUDE_SESSION_E2E_CLAUDE is not")
        }
        None => {
            eprintln!(
                "skipped: set CLAUDE_SESSION_E2E_CLAUDE to the claude binary (scripts/test.sh does)"
            );
            None
        }
    }
}

/// An Env whose `claude` is the real CLI talking to a fresh mock.
pub fn real_env() -> Option<(Env, MockApi)> {
    let claude = real_claude()?;
    let mock = MockApi::start();
    let mut env = offline_env(&claude, &mock.url());
    env.set("ANTHROPIC_API_KEY", API_KEY);
    Some((env, mock))
}

/// An Env running `claude` (the real CLI) against the API at `base_url`,
/// with no login of its own and nothing that reaches Anthropic's hosts.
pub fn offline_env(claude: &Path, base_url: &str) -> Env {
    let mut env = Env::new();
    fs::remove_file(env.bin_dir.join("claude")).unwrap();
    std::os::unix::fs::symlink(claude, env.bin_dir.join("claude")).unwrap();
    env.set("ANTHROPIC_BASE_URL", base_url);
    // No traffic to Anthropic's own hosts: this machine has no network.
    env.set("DISABLE_TELEMETRY", "1");
    env.set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    env.set("DISABLE_AUTOUPDATER", "1");
    env.set("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1");
    // Temp files Claude writes outside its config dir stay in the test dir.
    let tmp = env.root.join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    env.set("TMPDIR", tmp.to_str().unwrap());
    env
}

pub fn session_dir(env: &Env, name: &str) -> PathBuf {
    PathBuf::from(env.show(name)["sessionDir"].as_str().unwrap())
}

/// Claude's input prompt is on the screen: 2.1.197 writes "? for
/// shortcuts" under it, newer versions start its line with "❯".
pub fn prompt_shown(screen: &str) -> bool {
    screen.contains("? for shortcuts") || screen.lines().any(|l| l.starts_with("❯"))
}

/// `new NAME --detached` in the permission mode that asks before a tool
/// runs (`asking_mode`), until Claude's prompt shows.
pub fn start_asking(env: &Env, name: &str) {
    env.ok(&[
        "new",
        name,
        "--detached",
        "--",
        "--permission-mode",
        asking_mode(),
    ]);
    env.wait_peek(name, prompt_shown);
}

/// The permission mode in which Claude asks before it uses a tool:
/// `default` up to 2.1.2xx; newer versions call it `manual` (their default,
/// `auto`, decides most tool calls itself).
pub fn asking_mode() -> &'static str {
    static MODE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    MODE.get_or_init(|| {
        let claude = real_claude().expect("the real CLI");
        let help = std::process::Command::new(claude)
            .arg("--help")
            .output()
            .unwrap();
        match String::from_utf8_lossy(&help.stdout).contains("\"manual\"") {
            true => "manual",
            false => "default",
        }
    })
}
