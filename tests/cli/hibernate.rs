//! Hibernation: an idle session's Claude exits, its holder keeps the
//! screen and the session; attach, send, resume and wake start it again on
//! the same conversation. The fake claude reports its status as Claude
//! Code does (`FAKE_AGENT_STATUS`).

use crate::support::pty::Terminal;
use crate::support::{Env, wait_for, wait_until};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::fs;
use std::time::Duration;

const DETACH: &[u8] = b"\x1cd";

fn env() -> Env {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    env.set("FAKE_AGENT_STATUS", "1");
    env
}

fn alive(pid: &Value) -> bool {
    pid.as_i64()
        .is_some_and(|pid| kill(Pid::from_raw(pid as i32), None).is_ok())
}

fn started(env: &Env, name: &str, args: &[&str]) -> String {
    let mut line = vec!["new", name, "--detached"];
    line.extend_from_slice(args);
    let id = env.ok(&line).trim().to_string();
    wait_for(|| {
        env.ok(&["peek", name])
            .contains("AGENT-READY")
            .then_some(())
    });
    // Claude's own word that it is at rest, as a hibernation needs.
    wait_for(|| (env.show(name)["state"] == "idle").then_some(()));
    id
}

fn wait_status(env: &Env, name: &str, status: &str) -> Value {
    wait_until(
        Duration::from_secs(30),
        || format!("{name} never became {status}: {}", env.show(name)),
        || Some(env.show(name)).filter(|s| s["status"] == status),
    )
}

/// The fake claude's runs, once there are `n` (a woken one records its
/// start a moment after the holder has).
fn runs(env: &Env, n: usize) -> Vec<crate::support::AgentRun> {
    let runs = wait_for(|| Some(env.agent_runs()).filter(|r| r.len() >= n));
    assert_eq!(runs.len(), n, "one Claude per start");
    runs
}

fn log(env: &Env, id: &str) -> String {
    fs::read_to_string(env.session_dir(id).join("session.log")).unwrap()
}

#[test]
fn an_idle_session_hibernates_and_an_attach_wakes_it_on_its_conversation() {
    let env = env();
    let id = started(&env, "alpha", &["--hibernate-after", "1s"]);
    let claude = env.show("alpha")["pid"].clone();
    let s = wait_status(&env, "alpha", "hibernated");
    assert!(!alive(&claude), "Claude is gone");
    assert!(alive(&s["holderPid"]), "the holder keeps the session");
    assert_eq!(s["pid"], Value::Null);
    assert!(env.ok(&["list"]).contains("hibernated"));
    assert!(log(&env, &id).contains("hibernated (Claude exited with 143)"));
    // The last screen, not Claude's farewell.
    assert_eq!(
        env.ok(&["peek", "alpha"]),
        format!("conversation:{id}\nAGENT-READY\n")
    );

    let mut term = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    term.wait_for("AGENT-READY");
    wait_status(&env, "alpha", "active");
    let runs = runs(&env, 2);
    assert_eq!(runs[1].argv[..2], ["--resume", id.as_str()]);
    // What is typed at once waits for the woken Claude's prompt.
    term.type_bytes(b"hello\r");
    term.wait_for("got:hello");
    term.type_bytes(DETACH);
    term.wait_exit();
    // Detached and idle again: it hibernates again.
    wait_status(&env, "alpha", "hibernated");
    env.ok(&["kill", "alpha"]);
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["holderPid"].as_i64()),
        (Some("stopped"), None)
    );
}

#[test]
fn a_busy_waiting_or_watched_session_is_never_hibernated() {
    let env = env();
    started(&env, "alpha", &[]);
    let refused = |reason: &str| {
        let out = env.run(&["hibernate", "alpha"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("kept alpha: {reason}\n")
        );
    };
    let say = |line: &str, seen: &str| {
        env.ok(&["send", "alpha", line]);
        wait_for(|| env.ok(&["peek", "alpha"]).contains(seen).then_some(()));
    };
    say("busy", "got:busy");
    refused("Claude is working");
    say("ask", "got:ask");
    refused("Claude is waiting for you (permission prompt)");
    say("bg", "got:bg");
    refused("a background shell of Claude's runs");
    say("idle", "got:idle");
    let child = wait_for(|| {
        let out = env.run(&["hibernate", "alpha"]);
        let said = String::from_utf8(out.stdout).unwrap();
        said.contains("a process of Claude's runs").then_some(said)
    });
    assert!(child.contains("sleep"), "{child}");
    let term = Terminal::spawn(&env, &["attach", "alpha", "--read-only"], 24, 80);
    term.wait_for("got:idle");
    refused("a terminal is attached");
    drop(term);
    env.ok(&["kill", "alpha"]);

    // Text typed at the prompt, not sent: a restart would lose it.
    let env = self::env();
    started(&env, "beta", &[]);
    env.ok(&["send", "beta", "--no-enter", "half a thought"]);
    let out = env.run(&["hibernate", "beta"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "kept beta: text is typed at Claude's prompt\n"
    );
    env.ok(&["send", "beta", " done"]);
    wait_for(|| {
        env.ok(&["peek", "beta"])
            .contains("got:half a thought done")
            .then_some(())
    });
    assert_eq!(env.ok(&["hibernate", "beta"]), "hibernated beta\n");
    env.ok(&["kill", "beta"]);
}

#[test]
fn send_resume_and_wake_wake_it_once_and_kill_stops_it() {
    let env = env();
    let id = started(&env, "alpha", &[]);
    assert_eq!(env.ok(&["hibernate", "alpha"]), "hibernated alpha\n");
    // Text sent to a hibernated session is typed once Claude is back.
    env.ok(&["send", "alpha", "are you there"]);
    wait_for(|| {
        env.ok(&["peek", "alpha"])
            .contains("got:are you there")
            .then_some(())
    });
    runs(&env, 2);
    assert_eq!(env.ok(&["hibernate", "alpha"]), "hibernated alpha\n");
    // Two wakes at once: one Claude.
    let a = env.spawn(&["wake", "alpha"]);
    let b = env.spawn(&["wake", "alpha"]);
    let (a, b) = (crate::support::finish(a), crate::support::finish(b));
    assert!(a.contains("woken alpha") && b.contains("woken alpha"));
    wait_status(&env, "alpha", "active");
    assert_eq!(runs(&env, 3)[2].argv[..2], ["--resume", id.as_str()]);
    // resume --detached of a hibernated session wakes it.
    assert_eq!(env.ok(&["hibernate", "alpha"]), "hibernated alpha\n");
    assert_eq!(env.ok(&["resume", "alpha", "--detached"]).trim(), id);
    wait_status(&env, "alpha", "active");
    runs(&env, 4);
    // A kill right after a wake stops it cleanly.
    assert_eq!(env.ok(&["hibernate", "alpha"]), "hibernated alpha\n");
    env.ok(&["wake", "alpha"]);
    assert_eq!(env.ok(&["kill", "alpha"]), "stopped alpha\n");
    assert!(!alive(&env.show("alpha")["holderPid"]));
    assert_ne!(env.show("alpha")["status"], "active");
}

#[test]
fn after_a_reboot_restore_brings_it_back_hibernated() {
    let env = env();
    let id = started(&env, "alpha", &[]);
    env.ok(&["send", "alpha", "remember me"]);
    wait_for(|| {
        env.ok(&["peek", "alpha"])
            .contains("got:remember me")
            .then_some(())
    });
    env.ok(&["hibernate", "alpha"]);
    let holder = env.show("alpha")["holderPid"].clone();
    kill(
        Pid::from_raw(holder.as_i64().unwrap() as i32),
        Signal::SIGKILL,
    )
    .unwrap();
    wait_for(|| (!alive(&holder)).then_some(()));
    assert!(env.ok(&["list"]).contains("hibernated (no holder)"));
    assert_eq!(env.ok(&["restore"]), "restored alpha (hibernated)\n");
    let s = env.show("alpha");
    assert_eq!(s["status"], "hibernated");
    assert!(alive(&s["holderPid"]));
    assert_eq!(env.agent_runs().len(), 1, "no Claude was started");
    assert!(env.ok(&["peek", "alpha"]).contains("got:remember me"));
    env.ok(&["wake", "alpha"]);
    wait_status(&env, "alpha", "active");
    assert_eq!(runs(&env, 2)[1].argv[..2], ["--resume", id.as_str()]);
    env.ok(&["kill", "alpha"]);
}

#[test]
fn a_claude_that_will_not_exit_keeps_running_and_a_failed_wake_says_why() {
    let mut env = env();
    env.set("FAKE_AGENT_IGNORE_TERM", "1");
    let id = started(&env, "alpha", &[]);
    let out = env.run(&["hibernate", "alpha"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "kept alpha: Claude did not exit within 10 s; it keeps running\n"
    );
    assert_eq!(env.show("alpha")["status"], "active");
    assert!(log(&env, &id).contains("hibernation failed"));
    env.ok(&["kill", "alpha", "--timeout", "1"]);

    let env = self::env();
    started(&env, "beta", &[]);
    env.ok(&["hibernate", "beta"]);
    // Claude cannot start: the attaching terminal is told, the session
    // stays hibernated and wakes once Claude can start again.
    let claude = env.bin_dir.join("claude");
    let kept = env.root.join("claude.kept");
    fs::rename(&claude, &kept).unwrap();
    let mut term = Terminal::spawn(&env, &["attach", "beta"], 24, 80);
    term.wait_exit();
    term.wait_for("claude-session: detached from beta: cannot wake Claude:");
    assert_eq!(env.show("beta")["status"], "hibernated");
    fs::rename(&kept, &claude).unwrap();
    env.ok(&["wake", "beta"]);
    wait_status(&env, "beta", "active");
    env.ok(&["kill", "beta"]);
}

#[test]
fn a_wake_continues_the_latest_conversation_not_the_one_resume_asked_for() {
    let env = env();
    let id = env.create("alpha");
    let project = env.project_dir(&env.session_dir(&id));
    fs::create_dir_all(&project).unwrap();
    let (older, newer) = (
        "0aaaaaaa-0000-4000-8000-000000000001",
        "0aaaaaaa-0000-4000-8000-000000000002",
    );
    for conversation in [older, newer] {
        fs::write(project.join(format!("{conversation}.jsonl")), "{}\n").unwrap();
    }
    env.ok(&["resume", "alpha", "--detached", "--conversation", older]);
    wait_for(|| (env.show("alpha")["state"] == "idle").then_some(()));
    assert_eq!(runs(&env, 1)[0].argv[..2], ["--resume", older]);
    // Claude moves on to another conversation (as after /clear).
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(project.join(format!("{newer}.jsonl")))
        .unwrap();
    std::io::Write::write_all(&mut file, b"{}\n").unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    assert_eq!(env.ok(&["hibernate", "alpha"]), "hibernated alpha\n");
    // Its holder wakes into its own conversation: no other can be asked.
    assert!(
        env.fail(&["resume", "alpha", "--conversation", older])
            .starts_with("claude-session: session alpha hibernates in conversation ")
    );
    env.ok(&["wake", "alpha"]);
    wait_status(&env, "alpha", "active");
    assert_eq!(runs(&env, 2)[1].argv[..2], ["--resume", newer]);
    env.ok(&["kill", "alpha"]);
}
