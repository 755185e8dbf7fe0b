//! Test harness: the real claude-session binary in a temp HOME, with a fake
//! `claude` on PATH (`fake_claude.sh`) that records how it was started.
//! Beside it: a mock of the Messages API (`mock_api`), a real pseudo-terminal
//! (`pty`), tmux (`tmux`), the real Claude Code CLI (`real`), and the one
//! way to wait (`wait_for`, `wait_until`).

pub mod mock_api;
pub mod pty;
pub mod real;
pub mod sshd;
pub mod tmux;

use serde_json::Value;
use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_claude-session");

/// A fake Claude Code: records argv, cwd and environment under
/// $FAKE_AGENT_LOG/<pid>/, writes a transcript line the way Claude does
/// (projects/<slug>/<conversation id>.jsonl in its config dir), then
/// behaves as $FAKE_AGENT_MODE says: `exitN` exits with N, `hang` signals
/// readiness and sleeps (as the same pid), `killself` dies by SIGKILL.
const FAKE_AGENT: &str = include_str!("fake_claude.sh");

pub struct Env {
    _tmp: TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub base: PathBuf,
    pub store: PathBuf,
    pub work: PathBuf,
    pub bin_dir: PathBuf,
    pub agent_log: PathBuf,
    extra: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("cs-test-")
            .tempdir()
            .unwrap();
        // Resolve /tmp symlinks once so paths compare equal to what the tool records.
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        let work = root.join("work");
        let bin_dir = root.join("bin");
        let agent_log = root.join("agent-log");
        for dir in [&home, &work, &bin_dir, &agent_log] {
            fs::create_dir_all(dir).unwrap();
        }
        let agent = bin_dir.join("claude");
        fs::write(&agent, FAKE_AGENT).unwrap();
        fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
        Self {
            base: home.join(".claude"),
            store: home.join(".local/share/claude-session"),
            _tmp: tmp,
            root,
            home,
            work,
            bin_dir,
            agent_log,
            extra: Vec::new(),
        }
    }

    /// An Env whose base holds shared skills, agents and CLAUDE.md, which
    /// sessions link to and nothing may ever delete.
    pub fn with_shared_base() -> Self {
        let env = Self::new();
        fs::create_dir_all(env.base.join("skills/review")).unwrap();
        fs::write(env.base.join("skills/review/SKILL.md"), "skill").unwrap();
        fs::create_dir_all(env.base.join("agents")).unwrap();
        fs::write(env.base.join("agents/a.md"), "agent").unwrap();
        fs::write(env.base.join("CLAUDE.md"), "memory").unwrap();
        env
    }

    /// The shared base of `with_shared_base` is as it was made.
    pub fn assert_base_intact(&self) {
        let read = |p: &str| fs::read_to_string(self.base.join(p)).unwrap();
        assert_eq!(read("skills/review/SKILL.md"), "skill");
        assert_eq!(read("agents/a.md"), "agent");
        assert_eq!(read("CLAUDE.md"), "memory");
    }

    /// Sets a variable for every later command.
    pub fn set(&mut self, key: &str, value: &str) {
        self.extra.push((key.to_string(), value.to_string()));
    }

    /// The command, hermetic: only the variables named here.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.work)
            .env_clear()
            .env("HOME", &self.home)
            .env("USER", "tester")
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin_dir.display()))
            .env("FAKE_AGENT_LOG", &self.agent_log)
            .env("XDG_RUNTIME_DIR", self.root.join("run"))
            // A detached start returns at once, not after watching Claude's
            // first second (tests that watch set it).
            .env("CLAUDE_SESSION_START_CHECK", "0")
            .stdin(Stdio::null());
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and asserts exit status 1 with one error line; returns that line.
    pub fn fail(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} should fail\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("claude-session: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
        assert!(out.stdout.is_empty(), "nothing on stdout expected");
        stderr.trim_end().to_string()
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `new NAME --no-launch`, returning the id.
    pub fn create(&self, name: &str) -> String {
        self.ok(&["new", name, "--no-launch"]).trim().to_string()
    }

    pub fn list(&self) -> Vec<Value> {
        match serde_json::from_str(&self.ok(&["list", "--json"])).unwrap() {
            Value::Array(items) => items,
            other => panic!("list --json gave {other}"),
        }
    }

    pub fn show(&self, session: &str) -> Value {
        serde_json::from_str(&self.ok(&["show", session, "--json"])).unwrap()
    }

    pub fn session_dir(&self, id: &str) -> PathBuf {
        self.store.join("sessions").join(id)
    }

    /// The dir of `config_dir` where Claude Code keeps the conversations of
    /// the test's working dir (projects/<its path, '-' for the rest>).
    pub fn project_dir(&self, config_dir: &Path) -> PathBuf {
        let slug: String = self
            .work
            .to_str()
            .unwrap()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        config_dir.join("projects").join(slug)
    }

    /// Runs `claude-session hook` as Claude runs it for session `id`:
    /// `payload` on stdin, `vars` added to the environment. It must succeed
    /// silently, as a hook always does.
    pub fn hook(&self, id: &str, payload: &str, vars: &[(&str, &str)]) {
        use std::io::Write;
        let mut child = self
            .cmd(&["hook"])
            .env("CLAUDE_SESSION_ID", id)
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A hook with nothing to do exits without reading: a closed pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(payload.as_bytes());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "a hook never fails Claude");
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "a hook is silent"
        );
    }

    /// `peek NAME`: the session's screen (or conversation) as text.
    pub fn peek(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.run(&["peek", name]).stdout).into_owned()
    }

    /// Waits (up to a minute) until `peek NAME` satisfies `ready`.
    pub fn wait_peek(&self, name: &str, ready: impl Fn(&str) -> bool) -> String {
        wait_until(
            std::time::Duration::from_secs(60),
            || format!("{name}'s screen never got ready:\n{}", self.peek(name)),
            || Some(self.peek(name)).filter(|s| ready(s)),
        )
    }

    /// Every recorded start of the fake agent, oldest first.
    pub fn agent_runs(&self) -> Vec<AgentRun> {
        let mut runs: Vec<AgentRun> = fs::read_dir(&self.agent_log)
            .unwrap()
            .flatten()
            .filter(|e| e.path().join("argv").exists())
            .map(|e| AgentRun::load(&e.path()))
            .collect();
        runs.sort_by_key(|r| r.started);
        runs
    }

    pub fn only_agent_run(&self) -> AgentRun {
        let mut runs = self.agent_runs();
        assert_eq!(runs.len(), 1, "exactly one agent run expected");
        runs.remove(0)
    }

    /// Number of files and dirs below `dir` (0 if it is missing).
    pub fn count_entries(dir: &Path) -> usize {
        fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
    }
}

impl Drop for Env {
    /// Sessions a test left running (detached under a holder) die with it,
    /// so no holder or agent outlives the test run.
    fn drop(&mut self) {
        let Ok(out) = self.cmd(&["list", "--json"]).output() else {
            return;
        };
        let Ok(Value::Array(sessions)) = serde_json::from_slice(&out.stdout) else {
            return;
        };
        for s in sessions.iter().filter(|s| s["status"] == "active") {
            for key in ["holderPid", "pid"] {
                if let Some(pid) = s[key].as_i64() {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid as i32),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
        }
    }
}

pub struct AgentRun {
    pub dir: PathBuf,
    pub pid: u32,
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: HashMap<String, String>,
    started: std::time::SystemTime,
}

impl AgentRun {
    fn load(dir: &Path) -> Self {
        let argv = fs::read_to_string(dir.join("argv")).unwrap();
        let env = wait_for(|| fs::read(dir.join("env")).ok().filter(|b| !b.is_empty()));
        let env = env
            .split(|b| *b == 0)
            .filter_map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        Self {
            dir: dir.to_path_buf(),
            pid: dir.file_name().unwrap().to_str().unwrap().parse().unwrap(),
            argv: argv.lines().map(str::to_string).collect(),
            cwd: PathBuf::from(fs::read_to_string(dir.join("cwd")).unwrap().trim_end()),
            env,
            started: fs::metadata(dir.join("argv")).unwrap().modified().unwrap(),
        }
    }
}

/// Waits for a spawned claude-session, asserts success, returns stdout.
pub fn finish(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Polls `probe` until it yields, failing the test after 20 s.
pub fn wait_for<T>(probe: impl FnMut() -> Option<T>) -> T {
    wait_until(
        Duration::from_secs(20),
        || "timed out waiting".to_string(),
        probe,
    )
}

/// Polls `probe` every 10 ms until it yields; after `limit`, fails the
/// test with `why()` (what it waited for, and what it saw instead).
pub fn wait_until<T>(
    limit: Duration,
    why: impl Fn() -> String,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "{}", why());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sets a file's modification time `ago` back.
pub fn backdate(path: &Path, ago: Duration) {
    fs::File::open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - ago)
        .unwrap();
}

pub fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}
