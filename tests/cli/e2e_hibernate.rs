//! Hibernation with the real Claude Code CLI against the mock API: Claude
//! exits, the holder keeps the screen; attaching brings Claude back on the
//! same conversation, in the same transcript.

use crate::support::pty::Terminal;
use crate::support::real::{prompt_shown, real_env, session_dir, start_asking};
use crate::support::{Env, wait_until};
use nix::sys::signal::kill;
use nix::unistd::Pid;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn wait_state(env: &Env, name: &str, state: &str) {
    wait_until(
        Duration::from_secs(60),
        || format!("{name} never {state}: {}", env.show(name)),
        || (env.show(name)["state"] == state).then_some(()),
    );
}

/// The session's transcript files.
fn transcript_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for project in fs::read_dir(dir.join("projects")).unwrap().flatten() {
        for file in fs::read_dir(project.path()).unwrap().flatten() {
            if file.path().extension().is_some_and(|e| e == "jsonl") {
                files.push(file.path());
            }
        }
    }
    files
}

fn alive(pid: &serde_json::Value) -> bool {
    pid.as_i64()
        .is_some_and(|pid| kill(Pid::from_raw(pid as i32), None).is_ok())
}

#[test]
fn e2e_a_hibernated_session_wakes_on_attach_and_remembers() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    env.ok(&["new", "mark", "--detached"]);
    env.wait_peek("mark", prompt_shown);
    env.ok(&["send", "mark", "remember MARKER-4242"]);
    env.wait_peek("mark", |s| s.contains("ACK remember MARKER-4242"));
    wait_state(&env, "mark", "idle");
    let dir = session_dir(&env, "mark");
    let files = transcript_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let before = env.show("mark");

    assert_eq!(env.ok(&["hibernate", "mark"]), "hibernated mark\n");
    let hibernated = env.show("mark");
    assert_eq!(hibernated["status"], "hibernated");
    assert!(!alive(&before["pid"]), "Claude exited");
    assert!(alive(&hibernated["holderPid"]), "the holder stays");
    assert!(env.ok(&["list"]).contains("hibernated"));

    // Claude cannot start until the gate opens: what the attach shows
    // first is the screen the holder kept.
    let gate = env.root.join("gate");
    let real = fs::read_link(env.bin_dir.join("claude")).unwrap();
    fs::remove_file(env.bin_dir.join("claude")).unwrap();
    fs::write(
        env.bin_dir.join("claude"),
        format!(
            "#!/bin/sh\nwhile [ ! -e '{}' ]; do sleep 0.05; done\nexec '{}' \"$@\"\n",
            gate.display(),
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        env.bin_dir.join("claude"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let mut term = Terminal::spawn(&env, &["attach", "mark"], 40, 120);
    term.wait_for("ACK remember MARKER-4242");
    assert!(mock.requests_with("RECALL-7").is_empty());
    fs::write(&gate, "").unwrap();

    // Typed before the woken Claude is ready: the holder holds it for the
    // prompt. The request carries the earlier conversation.
    term.submit("RECALL-7 the marker");
    term.wait_for("ACK RECALL-7 the marker");
    let asked = mock.requests_with("RECALL-7 the marker");
    assert!(
        asked
            .last()
            .unwrap()
            .to_string()
            .contains("remember MARKER-4242"),
        "the woken Claude sent the conversation so far"
    );
    // The same transcript file, the same conversation, counts carried on.
    assert_eq!(transcript_files(&dir), files, "no fork");
    wait_until(
        Duration::from_secs(20),
        || fs::read_to_string(&files[0]).unwrap(),
        || {
            let text = fs::read_to_string(&files[0]).unwrap();
            (text.contains("MARKER-4242") && text.contains("ACK RECALL-7 the marker")).then_some(())
        },
    );
    let after = env.show("mark");
    assert_eq!(after["status"], "active");
    assert_eq!(after["conversationId"], before["conversationId"]);
    assert!(
        after["messageCount"].as_i64() > before["messageCount"].as_i64(),
        "{after}"
    );
    term.type_bytes(b"\x1cd");
    assert_eq!(term.wait_exit().code(), Some(0));
    env.ok(&["kill", "mark"]);
}

#[test]
fn e2e_hibernate_refuses_a_session_at_a_permission_prompt() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    start_asking(&env, "asks");
    env.ok(&["send", "asks", "USE-TOOL please"]);
    wait_state(&env, "asks", "waiting");
    let out = env.run(&["hibernate", "asks"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "kept asks: Claude is waiting for you (permission prompt)\n"
    );
    let s = env.show("asks");
    assert_eq!(s["status"], "active");
    assert!(alive(&s["pid"]));
    env.ok(&["kill", "asks"]);
}
