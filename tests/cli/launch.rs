//! Starting the agent: arguments, environment, cwd, exit status, sharing.

use crate::support::{Env, wait_for};
use serde_json::Value;
use std::fs;
use std::os::unix::process::ExitStatusExt;

#[test]
fn new_starts_claude_in_the_session() {
    let env = Env::new();
    env.ok(&["new", "alpha", "--", "--model", "opus"]);
    let run = env.only_agent_run();
    let s = env.show("alpha");
    let id = s["sessionId"].as_str().unwrap();
    let dir = env.session_dir(id);
    assert_eq!(run.argv, vec!["--session-id", id, "--model", "opus"]);
    assert_eq!(run.cwd, env.work);
    assert_eq!(run.env["CLAUDE_CONFIG_DIR"], dir.to_str().unwrap());
    assert_eq!(run.env["CLAUDE_SESSION_ID"], id);
    assert_eq!(run.env["CLAUDE_SESSION_NAME"], "alpha");
    assert_eq!(run.env["CLAUDE_SESSION_DIR"], dir.to_str().unwrap());
    assert_eq!(run.env["CLAUDE_SESSION_BASE"], env.base.to_str().unwrap());
    assert_eq!(s["status"], "stopped");
    assert_eq!(s["exitCode"], 0);
    assert_eq!(s["model"], "opus");
    assert!(s["endTime"].is_string());
    assert_eq!(s["pid"], Value::Null);
    let log = fs::read_to_string(dir.join("session.log")).unwrap();
    assert!(log.contains(&format!(" started pid={} ", run.pid)), "{log}");
    assert!(log.contains(" exited status=stopped code=0"), "{log}");
}

/// Started from inside tmux and from Claude's own Bash tool, Claude gets
/// neither the multiplexer's variables nor the outer Claude's markers.
#[test]
fn claude_gets_no_variable_that_describes_the_caller() {
    let mut env = Env::new();
    for (key, value) in [
        ("TMUX", "/tmp/tmux-0/default,1,0"),
        ("TMUX_PANE", "%3"),
        ("TERM_PROGRAM", "tmux"),
        ("CLAUDECODE", "1"),
        ("CLAUDE_CODE_ENTRYPOINT", "cli"),
        (
            "CLAUDE_CODE_SESSION_ID",
            "0b0e5a43-3c8e-4b3a-9d49-2b6c2a4f6d10",
        ),
        ("CLAUDE_CODE_CHILD_SESSION", "1"),
        ("CLAUDE_PID", "4242"),
        ("KEEP_ME", "yes"),
    ] {
        env.set(key, value);
    }
    env.ok(&["new", "alpha"]);
    let run = env.only_agent_run();
    for gone in [
        "TMUX",
        "TMUX_PANE",
        "TERM_PROGRAM",
        "CLAUDECODE",
        "CLAUDE_CODE_ENTRYPOINT",
        "CLAUDE_CODE_SESSION_ID",
        "CLAUDE_CODE_CHILD_SESSION",
        "CLAUDE_PID",
    ] {
        assert!(!run.env.contains_key(gone), "{gone} reached Claude");
    }
    assert_eq!(run.env["KEEP_ME"], "yes");
    // Under a holder too, and --notify is this session's own.
    env.set("FAKE_AGENT_MODE", "hang");
    env.ok(&["new", "beta", "--detached", "--notify", "mine"]);
    let run = crate::support::wait_for(|| {
        env.agent_runs()
            .into_iter()
            .find(|r| r.env["CLAUDE_SESSION_NAME"] == "beta")
    });
    assert!(!run.env.contains_key("TMUX") && !run.env.contains_key("CLAUDECODE"));
    assert_eq!(run.env["CLAUDE_SESSION_NOTIFY"], "mine");
    env.ok(&["kill", "beta"]);
}

#[test]
fn exit_status_is_claudes() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "exit7");
    let out = env.run(&["new", "alpha"]);
    assert_eq!(out.status.code(), Some(7));
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("stopped"), Some(7))
    );
}

#[test]
fn a_killed_claude_is_recorded_as_crashed() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "killself");
    let out = env.run(&["new", "alpha"]);
    assert_eq!(out.status.code(), Some(128 + 9));
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("crashed"), Some(137))
    );
}

#[test]
fn resume_continues_the_latest_conversation_in_the_original_cwd() {
    let env = Env::new();
    env.ok(&["new", "alpha"]);
    let id = env.show("alpha")["sessionId"].as_str().unwrap().to_string();
    // Resume from somewhere else: Claude must still run in the session's cwd.
    let mut cmd = env.cmd(&["resume", "alpha", "--", "-p", "again"]);
    cmd.current_dir(&env.home);
    assert!(cmd.status().unwrap().success());
    let runs = env.agent_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].argv, vec!["--resume", id.as_str(), "-p", "again"]);
    assert_eq!(runs[1].cwd, env.work);
    assert_eq!(
        runs[1].env["CLAUDE_CONFIG_DIR"],
        env.session_dir(&id).to_str().unwrap()
    );

    // By id prefix, by the seed's -r, and --last all reach the same session.
    env.ok(&["resume", &id[..8]]);
    env.ok(&["-r", "alpha"]);
    env.ok(&["resume", "--last"]);
    let runs = env.agent_runs();
    assert_eq!(runs.len(), 5);
    assert!(runs.iter().all(|r| r.env["CLAUDE_SESSION_ID"] == id));
    let audit = fs::read_to_string(env.store.join("audit.log")).unwrap();
    assert_eq!(audit.lines().filter(|l| l.contains(" resume ")).count(), 4);
}

#[test]
fn resume_of_a_never_started_session_starts_its_first_conversation() {
    let env = Env::new();
    let id = env.create("alpha");
    env.ok(&["resume", "alpha"]);
    assert_eq!(env.only_agent_run().argv, vec!["--session-id", id.as_str()]);
}

#[test]
fn resume_last_picks_the_most_recent() {
    let env = Env::new();
    env.create("old");
    env.create("new-one");
    env.ok(&["resume", "old"]);
    env.ok(&["resume", "--last"]);
    let runs = env.agent_runs();
    assert_eq!(runs[1].env["CLAUDE_SESSION_NAME"], "old");
}

#[test]
fn resume_needs_the_original_working_dir() {
    let env = Env::new();
    let gone = env.root.join("gone");
    fs::create_dir(&gone).unwrap();
    env.ok(&[
        "new",
        "alpha",
        "--no-launch",
        "--cwd",
        gone.to_str().unwrap(),
    ]);
    fs::remove_dir(&gone).unwrap();
    let err = env.fail(&["resume", "alpha"]);
    assert!(
        err.contains(&format!(
            "its working directory {} no longer exists",
            gone.display()
        )),
        "{err}"
    );
    assert!(env.agent_runs().is_empty());
}

#[test]
fn conversation_flags_cannot_be_passed_through() {
    let env = Env::new();
    let err = env.fail(&["new", "alpha", "--", "--resume", "x"]);
    assert!(
        err.starts_with("claude-session: --resume cannot be passed to claude"),
        "{err}"
    );
    assert_eq!(env.list().len(), 0);
}

#[test]
fn a_missing_claude_says_how_to_install_and_creates_nothing() {
    let env = Env::new();
    fs::remove_file(env.bin_dir.join("claude")).unwrap();
    let err = env.fail(&["new", "alpha"]);
    assert_eq!(
        err,
        "claude-session: no `claude` command on PATH; install Claude Code with `npm install -g @anthropic-ai/claude-code`, or name the binary with --claude PATH or CLAUDE_BIN"
    );
    assert_eq!(env.list().len(), 0);
    let err = env.fail(&["new", "alpha", "--claude", "/nonexistent/claude"]);
    assert!(
        err.starts_with("claude-session: /nonexistent/claude is not an executable file"),
        "{err}"
    );
}

#[test]
fn base_content_is_shared_and_follows_the_base() {
    let env = Env::new();
    for dir in ["skills/review", "agents", "commands"] {
        fs::create_dir_all(env.base.join(dir)).unwrap();
    }
    fs::write(
        env.base.join("skills/review/SKILL.md"),
        "---\nname: review\n---\n",
    )
    .unwrap();
    fs::write(env.base.join("CLAUDE.md"), "be brief").unwrap();
    fs::write(
        env.base.join("settings.json"),
        r#"{"model":"sonnet","permissions":{"allow":["Bash(ls)"]}}"#,
    )
    .unwrap();
    let id = env.create("alpha");
    let dir = env.session_dir(&id);
    for entry in ["skills", "agents", "commands", "CLAUDE.md"] {
        assert_eq!(
            fs::read_link(dir.join(entry)).unwrap(),
            env.base.join(entry),
            "{entry}"
        );
    }
    assert!(fs::symlink_metadata(dir.join("output-styles")).is_err());
    let settings: Value =
        serde_json::from_slice(&fs::read(dir.join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["permissions"]["allow"][0], "Bash(ls)");

    // Added to the base after the session was made: there on the next launch.
    fs::create_dir(env.base.join("output-styles")).unwrap();
    fs::write(env.base.join("settings.json"), r#"{"model":"opus"}"#).unwrap();
    env.ok(&["resume", "alpha"]);
    assert_eq!(
        fs::read_link(dir.join("output-styles")).unwrap(),
        env.base.join("output-styles")
    );
    let settings: Value =
        serde_json::from_slice(&fs::read(dir.join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["model"], "opus");
    assert!(
        settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with(" hook")
    );
    // A new skill in the base is visible through the link at once.
    fs::create_dir(env.base.join("skills/later")).unwrap();
    assert!(dir.join("skills/later").is_dir());
}

#[test]
fn an_invalid_base_settings_file_stops_the_launch_with_a_reason() {
    let env = Env::new();
    fs::create_dir_all(&env.base).unwrap();
    fs::write(env.base.join("settings.json"), "{oops").unwrap();
    let err = env.fail(&["new", "alpha"]);
    assert!(err.contains("settings.json is not valid JSON"), "{err}");
    assert!(env.agent_runs().is_empty());
    // Nothing half-made is listed, the name is free, no dir is left.
    assert!(env.list().is_empty());
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 0);
    fs::write(env.base.join("settings.json"), "{}").unwrap();
    env.ok(&["new", "alpha", "--no-launch"]);
}

#[test]
fn the_api_key_and_base_config_are_carried_over() {
    let mut env = Env::new();
    env.set(
        "ANTHROPIC_API_KEY",
        "sk-ant-test-0123456789abcdefghijklmnop",
    );
    fs::write(
        env.home.join(".claude.json"),
        r#"{"theme":"dark-daltonized","mcpServers":{"mem":{"command":"mem-server"}},"projects":{"/srv":{"hasTrustDialogAccepted":true,"lastCost":2}}}"#,
    )
    .unwrap();
    let id = env.create("alpha");
    let seeded: Value =
        serde_json::from_slice(&fs::read(env.session_dir(&id).join(".claude.json")).unwrap())
            .unwrap();
    assert_eq!(seeded["theme"], "dark-daltonized");
    assert_eq!(seeded["mcpServers"]["mem"]["command"], "mem-server");
    assert_eq!(
        seeded["projects"]["/srv"],
        serde_json::json!({"hasTrustDialogAccepted": true})
    );
    assert_eq!(
        seeded["customApiKeyResponses"]["approved"][0],
        "0123456789abcdefghijklmnop"[6..]
    );
}

#[test]
fn credentials_reach_the_session_and_a_refresh_reaches_the_base() {
    let env = Env::new();
    fs::create_dir_all(&env.base).unwrap();
    let cred = |t: u64| {
        format!(
            r#"{{"claudeAiOauth":{{"accessToken":"at{t}","refreshToken":"rt{t}","expiresAt":{t}}}}}"#
        )
    };
    fs::write(env.base.join(".credentials.json"), cred(1000)).unwrap();
    let id = env.create("alpha");
    let in_session = env.session_dir(&id).join(".credentials.json");
    assert_eq!(fs::read_to_string(&in_session).unwrap(), cred(1000));
    assert_eq!(crate::support::mode(&in_session), 0o600);
    // Claude refreshed the token inside the session (a newer file by rename).
    fs::write(&in_session, cred(2000)).unwrap();
    env.ok(&["resume", "alpha"]);
    assert_eq!(
        fs::read_to_string(env.base.join(".credentials.json")).unwrap(),
        cred(2000)
    );
}

#[test]
fn sigterm_to_the_launcher_reaches_claude_and_is_recorded() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    let mut launcher = env.spawn(&["new", "alpha"]);
    let run = wait_for(|| {
        env.agent_runs()
            .into_iter()
            .find(|r| r.dir.join("ready").exists())
    });
    assert_eq!(env.show("alpha")["status"], "active");
    assert_eq!(env.show("alpha")["pid"], run.pid);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(launcher.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = launcher.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "{status:?} {:?}",
        status.signal()
    );
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("crashed"), Some(143))
    );
}

/// Claude's temp files go to the session dir; its URL-handler .desktop is
/// not written from sessions; what a killed Claude leaves (its live
/// registry entry, key and messaging socket) is removed once it is gone,
/// and nothing of another process.
#[test]
fn claudes_files_outside_the_session_are_kept_in_it_or_cleaned() {
    let mut env = Env::new();
    let runtime = env.root.join("run");
    let socks = runtime.join("cc-socks");
    fs::create_dir_all(&socks).unwrap();
    let other = socks.join("1.sock");
    let listener = std::os::unix::net::UnixListener::bind(&other).unwrap();
    env.set("FAKE_AGENT_LEAVE", "1");
    env.set("FAKE_AGENT_MODE", "killself");
    let id = env.ok(&["new", "alpha", "--detached"]);
    let dir = env.session_dir(id.trim());
    crate::support::wait_for(|| (env.show("alpha")["status"] == "crashed").then_some(()));
    let run = env.only_agent_run();
    assert_eq!(
        run.env["CLAUDE_CODE_TMPDIR"],
        dir.join("tmp").to_str().unwrap()
    );
    assert_eq!(crate::support::mode(&dir.join("tmp")), 0o700);
    assert_eq!(
        Env::count_entries(&dir.join("sessions")),
        0,
        "live entry and key removed"
    );
    assert!(
        !socks.join(format!("{}.sock", run.pid)).exists(),
        "socket removed"
    );
    assert!(other.exists(), "a socket somebody listens on stays");
    drop(listener);
    let settings: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["disableDeepLinkRegistration"], "disable");

    // The user's own choice of a temp dir stands.
    env.set("FAKE_AGENT_MODE", "exit0");
    env.set("CLAUDE_CODE_TMPDIR", "/var/tmp");
    env.ok(&["new", "beta"]);
    let runs = env.agent_runs();
    assert_eq!(runs.last().unwrap().env["CLAUDE_CODE_TMPDIR"], "/var/tmp");
}
