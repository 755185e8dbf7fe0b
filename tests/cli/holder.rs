//! Sessions under a holder: detach, reattach, resize, takeover, hang-ups,
//! a killed holder, and bad input on the socket.

use crate::support::pty::Terminal;
use crate::support::{Env, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

const DETACH: &[u8] = b"\x1cd";

fn interactive_env() -> Env {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    env
}

fn pid_of(value: &Value) -> Pid {
    Pid::from_raw(value.as_i64().expect("a pid") as i32)
}

fn socket_of(env: &Env, id: &str) -> std::path::PathBuf {
    env.root
        .join("run/claude-session")
        .join(format!("{id}.sock"))
}

/// Starts `name` detached and returns its id, once the agent has written
/// its transcript (a conversation to resume).
fn start_detached(env: &Env, name: &str) -> String {
    let id = env.ok(&["new", name, "--detached"]).trim().to_string();
    assert_eq!(env.show(name)["status"], "active");
    let dir = env.session_dir(&id);
    wait_for(|| {
        let projects = std::fs::read_dir(dir.join("projects")).ok()?;
        projects
            .flatten()
            .any(|p| p.path().join(format!("{id}.jsonl")).exists())
            .then_some(())
    });
    id
}

#[test]
fn detach_and_reattach_show_the_same_screen() {
    let env = interactive_env();
    let mut first = Terminal::spawn(&env, &["new", "alpha"], 24, 80);
    first.wait_for("AGENT-READY");
    first.type_bytes(b"hello\r");
    first.wait_for("got:hello");
    assert_eq!(env.list()[0]["clients"], 1);
    first.type_bytes(DETACH);
    assert_eq!(first.wait_exit().code(), Some(0));
    first.wait_for("detached from alpha; Claude keeps running");
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["clients"].as_i64()),
        (Some("active"), Some(0))
    );
    assert!(env.ok(&["list"]).contains("active (detached)"));

    // From another terminal: what was on screen is there again, input works.
    let mut second = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    second.wait_for("got:hello");
    assert!(second.contents().contains("AGENT-READY"));
    second.type_bytes(b"quit\r");
    assert_eq!(
        second.wait_exit().code(),
        Some(3),
        "Claude's exit status is passed on"
    );
    second.wait_for("alpha ended (exit 3)");
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("stopped"), Some(3))
    );
    assert!(
        !socket_of(&env, s["sessionId"].as_str().unwrap()).exists(),
        "socket removed"
    );
}

#[test]
fn resizing_the_terminal_resizes_claudes() {
    let env = interactive_env();
    let mut term = Terminal::spawn(&env, &["new", "alpha"], 30, 100);
    term.wait_for("AGENT-READY");
    term.resize(20, 70);
    term.wait_for("SIZE 20 70");
    term.type_bytes(DETACH);
    term.wait_exit();
}

#[test]
fn a_hang_up_detaches_and_claude_keeps_running() {
    let env = interactive_env();
    start_detached(&env, "alpha");
    let mut term = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    term.wait_for("AGENT-READY");
    kill(Pid::from_raw(term.child.id() as i32), Signal::SIGHUP).unwrap();
    term.wait_exit();
    wait_for(|| (env.show("alpha")["clients"] == 0).then_some(()));
    let s = env.show("alpha");
    assert_eq!(s["status"], "active");
    assert_eq!(kill(pid_of(&s["pid"]), None), Ok(()), "Claude still runs");
    let mut again = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    again.type_bytes(b"still there\r");
    again.wait_for("got:still there");
    again.type_bytes(DETACH);
    again.wait_exit();
}

#[test]
fn a_second_terminal_takes_over_and_watchers_only_watch() {
    let env = interactive_env();
    start_detached(&env, "alpha");
    let mut first = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    first.wait_for("AGENT-READY");
    let mut watcher = Terminal::spawn(&env, &["attach", "alpha", "--read-only"], 24, 80);
    watcher.wait_for("AGENT-READY");
    watcher.type_bytes(b"ignored\r");
    first.type_bytes(b"typed\r");
    watcher.wait_for("got:typed");
    assert!(
        !first.contents().contains("got:ignored"),
        "a watcher's keys reach nobody"
    );
    assert_eq!(env.show("alpha")["clients"], 2);

    let mut second = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    second.wait_for("got:typed");
    assert_eq!(first.wait_exit().code(), Some(0));
    first.wait_for("detached from alpha: another terminal attached");
    second.type_bytes(b"quit\r");
    assert_eq!(second.wait_exit().code(), Some(3));
    assert_eq!(
        watcher.wait_exit().code(),
        Some(3),
        "watchers learn the exit status too"
    );
}

#[test]
fn a_killed_holder_is_noticed_and_resume_continues_the_conversation() {
    let env = interactive_env();
    let id = start_detached(&env, "alpha");
    let s = env.show("alpha");
    kill(pid_of(&s["holderPid"]), Signal::SIGKILL).unwrap();
    // Losing its terminal ends Claude (SIGHUP); nobody records the exit.
    wait_for(|| (kill(pid_of(&s["pid"]), None).is_err()).then_some(()));
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_str()),
        (Some("crashed"), None)
    );
    assert!(
        socket_of(&env, &id).exists(),
        "the dead holder left its socket behind"
    );
    let log = std::fs::read_to_string(env.session_dir(&id).join("session.log")).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.contains("crashed")).count(),
        1,
        "the crash is logged once, where it was found:\n{log}"
    );
    let err = env.fail(&["attach", "alpha"]);
    assert_eq!(
        err,
        "claude-session: session alpha is not running; `claude-session resume alpha` starts it again"
    );

    // The stale socket is replaced; Claude resumes the conversation.
    env.ok(&["resume", "alpha", "--detached"]);
    let runs = wait_for(|| Some(env.agent_runs()).filter(|r| r.len() == 2));
    assert_eq!(runs.last().unwrap().argv, vec!["--resume", id.as_str()]);
    assert_eq!(env.show("alpha")["status"], "active");
    assert_eq!(env.ok(&["kill", "alpha"]), "stopped alpha\n");
    assert_eq!(
        env.show("alpha")["status"],
        "crashed",
        "SIGTERM ended the fake agent"
    );
}

#[test]
fn restore_restarts_what_was_running() {
    let env = interactive_env();
    start_detached(&env, "alpha");
    env.create("idle");
    let s = env.show("alpha");
    kill(pid_of(&s["holderPid"]), Signal::SIGKILL).unwrap();
    wait_for(|| (kill(pid_of(&s["pid"]), None).is_err()).then_some(()));
    assert_eq!(env.ok(&["restore", "--dry-run"]), "would restore alpha\n");
    assert_eq!(env.ok(&["restore"]), "restored alpha\n");
    assert_eq!(env.show("alpha")["status"], "active");
    assert_eq!(env.show("idle")["status"], "created");
    assert_eq!(env.ok(&["restore"]), "", "nothing left to restore");
    env.ok(&["kill", "alpha"]);
}

/// What `@reboot claude-session restore` has: no CLAUDE_BIN, no `claude`
/// on PATH; each session was started with `--claude PATH`.
#[test]
fn restore_runs_the_binary_each_session_ran() {
    let env = interactive_env();
    let opt = env.root.join("opt");
    std::fs::create_dir(&opt).unwrap();
    std::fs::rename(env.bin_dir.join("claude"), opt.join("claude")).unwrap();
    let claude = opt.join("claude");
    let claude = claude.to_str().unwrap();
    for name in ["alpha", "beta"] {
        env.ok(&["new", name, "--detached", "--claude", claude]);
        assert_eq!(env.show(name)["claudeBin"], claude);
    }
    let meta = env.session_dir(env.show("alpha")["sessionId"].as_str().unwrap());
    let meta: Value =
        serde_json::from_slice(&std::fs::read(meta.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["claudeBin"], claude, "metadata.json keeps it too");
    for name in ["alpha", "beta"] {
        let s = env.show(name);
        kill(pid_of(&s["holderPid"]), Signal::SIGKILL).unwrap();
        wait_for(|| (kill(pid_of(&s["pid"]), None).is_err()).then_some(()));
    }
    // beta's binary is gone meanwhile: the error names what was tried.
    let gone = env.root.join("gone/claude");
    rusqlite::Connection::open(env.store.join("registry.db"))
        .unwrap()
        .execute(
            "UPDATE sessions SET claude_bin = ?1 WHERE name = 'beta'",
            [gone.to_str().unwrap()],
        )
        .unwrap();
    let out = env.run(&["restore"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "restored alpha\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "claude-session: cannot restore beta: the claude it ran, {}, is gone, and no `claude` command on PATH; install Claude Code with `npm install -g @anthropic-ai/claude-code`, or name the binary with --claude PATH or CLAUDE_BIN\n",
            gone.display()
        )
    );
    assert_eq!(env.show("alpha")["status"], "active");
    env.ok(&["kill", "alpha"]);
}

#[test]
fn garbage_on_the_socket_is_refused_and_the_holder_lives_on() {
    let env = interactive_env();
    let id = start_detached(&env, "alpha");
    let socket = socket_of(&env, &id);
    for garbage in [
        &b"garbage\n"[..],
        &b"{\"protocol\":99,\"request\":{\"type\":\"status\"}}\n"[..],
    ] {
        let mut stream = UnixStream::connect(&socket).unwrap();
        stream.write_all(garbage).unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let reply: Value = serde_json::from_str(reply.trim()).unwrap();
        assert_eq!(reply["ok"], false, "{reply}");
    }
    let mut flood = UnixStream::connect(&socket).unwrap();
    let _ = flood.write_all(&vec![b'x'; 200 * 1024]);
    drop(flood);
    let mut term = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    term.wait_for("AGENT-READY");
    term.type_bytes(b"quit\r");
    assert_eq!(term.wait_exit().code(), Some(3));
}

#[test]
fn attach_explains_what_cannot_be_attached() {
    let env = interactive_env();
    assert_eq!(
        env.fail(&["attach", "nope"]),
        "claude-session: no session is named \"nope\" or has an id starting with it (see `claude-session list`)"
    );
    env.create("idle");
    assert_eq!(
        env.fail(&["attach", "idle"]),
        "claude-session: session idle is not running; `claude-session resume idle` starts it again"
    );
    assert_eq!(
        env.fail(&["attach"]),
        "claude-session: no session is running under a holder; `claude-session list` shows them all"
    );
    let err = env.fail(&["new", "x", "--detach-keys", "ctrl-"]);
    assert!(
        err.contains("cannot read \"ctrl-\" in detach keys"),
        "{err}"
    );
    assert_eq!(env.list().len(), 1, "a bad flag creates nothing");
}

#[test]
fn attach_off_a_terminal_is_refused_unless_asked_for() {
    let env = interactive_env();
    start_detached(&env, "alpha");
    let mut first = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    first.wait_for("AGENT-READY");
    // A script's attach (stdin and stdout not a terminal): refused at once.
    let mut script = env.spawn(&["attach", "alpha"]);
    let status = wait_for(|| script.try_wait().unwrap());
    let out = script.wait_with_output().unwrap();
    assert_eq!(
        (status.code(), String::from_utf8_lossy(&out.stderr).as_ref()),
        (
            Some(2),
            "claude-session: attach needs a terminal (stdin and stdout); `claude-session show alpha` tells a script the session's state, --no-tty attaches anyway\n"
        )
    );
    first.type_bytes(b"still mine\r");
    first.wait_for("got:still mine");
    assert_eq!(env.show("alpha")["clients"], 1);
    // Asked for: it watches, and learns Claude's exit status.
    let watcher = env.spawn(&["attach", "alpha", "--no-tty", "--read-only"]);
    wait_for(|| (env.show("alpha")["clients"] == 2).then_some(()));
    first.type_bytes(b"quit\r");
    assert_eq!(first.wait_exit().code(), Some(3));
    let out = watcher.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("got:still mine"));
}

#[test]
fn custom_detach_keys() {
    let env = interactive_env();
    let mut term = Terminal::spawn(&env, &["new", "alpha", "--detach-keys", "ctrl-a,q"], 24, 80);
    term.wait_for("AGENT-READY");
    // The hint comes before the session's screen replaces it.
    assert!(
        term.transcript()
            .contains("attached to alpha; detach with Ctrl-A q")
    );
    // Ctrl-A followed by anything else reaches Claude.
    term.type_bytes(b"\x01x-passed\r");
    term.wait_for("x-passed");
    term.type_bytes(b"\x01q");
    assert_eq!(term.wait_exit().code(), Some(0));
    assert_eq!(env.show("alpha")["status"], "active");
    env.ok(&["kill", "alpha"]);
}

#[test]
fn resume_of_a_running_session_attaches_instead_of_starting_another() {
    let env = interactive_env();
    start_detached(&env, "alpha");
    let mut term = Terminal::spawn(&env, &["resume", "alpha"], 24, 80);
    term.wait_for("AGENT-READY");
    term.type_bytes(b"same one\r");
    term.wait_for("got:same one");
    assert_eq!(env.agent_runs().len(), 1, "no second Claude");
    term.type_bytes(DETACH);
    assert_eq!(term.wait_exit().code(), Some(0));
    // Off a terminal, resume cannot attach and says how to.
    let err = env.fail(&["resume", "alpha"]);
    assert_eq!(
        err,
        "claude-session: session alpha is already running under its holder; attach to it with `claude-session attach alpha` (from a terminal)"
    );
    env.ok(&["kill", "alpha"]);
}

/// The kB of memory `pid` has resident.
fn rss_kb(pid: Pid) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Sends one request on a fresh connection and returns the reply line.
fn request(socket: &std::path::Path, request: &str) -> Value {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.write_all(format!("{request}\n").as_bytes()).unwrap();
    let mut reply = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut reply).unwrap();
    serde_json::from_str(reply.trim()).unwrap()
}

/// Numbers from a client are bounded where the holder takes them: a
/// screen of 65535x65535 (tens of gigabytes if taken as it is) and a kill
/// grace that would overflow the clock leave the holder small and alive.
#[test]
fn huge_numbers_from_a_client_are_bounded() {
    let env = interactive_env();
    let id = start_detached(&env, "alpha");
    let socket = socket_of(&env, &id);
    let holder = pid_of(&env.show("alpha")["holderPid"]);
    // Watching, so the agent is seen ready before it is resized.
    let term = Terminal::spawn(&env, &["attach", "alpha", "--read-only"], 24, 80);
    term.wait_for("AGENT-READY");
    for hello in [
        r#"{"protocol":1,"request":{"type":"resize","rows":65535,"cols":65535}}"#,
        r#"{"protocol":1,"request":{"type":"attach","rows":65535,"cols":65535,"read_only":true}}"#,
    ] {
        assert_eq!(request(&socket, hello)["ok"], true);
    }
    // Claude is told the bounded size, and the holder stays small.
    term.wait_for("SIZE 500 1000");
    drop(term);
    assert!(
        rss_kb(holder) < 64 * 1024,
        "holder RSS {} kB",
        rss_kb(holder)
    );
    // A grace of u64::MAX seconds: SIGTERM now, no panic.
    let kill = r#"{"protocol":1,"request":{"type":"kill","timeout_secs":18446744073709551615}}"#;
    assert_eq!(request(&socket, kill)["ok"], true);
    wait_for(|| (env.show("alpha")["status"] != "active").then_some(()));
    assert_eq!(env.show("alpha")["exitCode"], 128 + 15);
    let log = std::fs::read_to_string(env.session_dir(&id).join("holder.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
    // And from the command line: a clear usage error.
    let out = env.run(&["kill", "alpha", "--timeout", "18446744073709551615"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--timeout") && err.contains("3600"), "{err}");
}

/// A terminal that stops reading never stalls Claude: the holder keeps
/// reading Claude's output, skips that client forward, and the client,
/// reading again, is sent the screen as it is now.
#[test]
fn a_client_that_stops_reading_does_not_stall_claude() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    let id = start_detached(&env, "alpha");
    env.ok(&["kill", "alpha"]);
    env.set("FAKE_AGENT_MODE", "flood");
    env.set("FAKE_AGENT_FLOOD_MB", "16");
    env.ok(&["resume", "alpha", "--detached"]);
    let holder = pid_of(&env.show("alpha")["holderPid"]);
    // Attached, and reading nothing.
    let mut stuck = UnixStream::connect(socket_of(&env, &id)).unwrap();
    stuck
        .write_all(b"{\"protocol\":1,\"request\":{\"type\":\"attach\",\"rows\":24,\"cols\":80}}\n")
        .unwrap();
    let flooded = wait_for(|| {
        env.agent_runs()
            .into_iter()
            .find(|r| r.dir.join("flooded").exists())
    });
    assert!(flooded.dir.exists());
    assert!(
        rss_kb(holder) < 32 * 1024,
        "holder RSS {} kB",
        rss_kb(holder)
    );
    // Reading again: the screen as it is, the end of the flood on it.
    let mut seen = Vec::new();
    let mut buf = vec![0; 1 << 16];
    stuck
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    while !String::from_utf8_lossy(&seen).contains("FLOOD-END") {
        let n = stuck.read(&mut buf).unwrap();
        assert!(n > 0, "the holder closed the connection");
        seen.extend_from_slice(&buf[..n]);
    }
    env.ok(&["kill", "alpha"]);
}
