//! `peek` (a session's screen without attaching, or the end of its
//! conversation) and `send` (text typed into a running session).

use crate::support::pty::Terminal;
use crate::support::{Env, wait_for};
use serde_json::Value;
use std::fs;

fn interactive(env: &mut Env, name: &str) -> String {
    env.set("FAKE_AGENT_MODE", "interactive");
    let id = env.ok(&["new", name, "--detached"]).trim().to_string();
    wait_for(|| {
        env.ok(&["peek", name])
            .contains("AGENT-READY")
            .then_some(())
    });
    id
}

#[test]
fn peek_shows_the_screen_and_send_types_into_it() {
    let mut env = Env::new();
    interactive(&mut env, "alpha");
    assert_eq!(env.ok(&["peek", "alpha"]), "AGENT-READY\n");
    env.ok(&["send", "alpha", "hello", "world"]);
    wait_for(|| {
        env.ok(&["peek", "alpha"])
            .contains("got:hello world")
            .then_some(())
    });
    // Without Enter the text waits at the prompt; the next send finishes it.
    env.ok(&["send", "alpha", "--no-enter", "abc"]);
    env.ok(&["send", "alpha", "def"]);
    wait_for(|| {
        env.ok(&["peek", "alpha"])
            .contains("got:abcdef")
            .then_some(())
    });
    assert_eq!(env.ok(&["peek", "alpha", "--lines", "1"]), "got:abcdef\n");
    let json: Value = serde_json::from_str(&env.ok(&["peek", "alpha", "--json"])).unwrap();
    assert_eq!(json["source"], "screen");
    assert_eq!(json["size"], serde_json::json!([40, 120]));
    assert_eq!(json["status"], "active (detached)");
    assert_eq!(json["lines"][0], "AGENT-READY");
    // Peeking takes nothing over: an attached terminal stays attached.
    let mut term = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    term.wait_for("got:abcdef");
    env.ok(&["peek", "alpha"]);
    assert_eq!(env.show("alpha")["clients"], 1);
    term.type_bytes(b"quit\r");
    term.wait_exit();
}

#[test]
fn send_refuses_keys_and_sessions_that_do_not_run() {
    let mut env = Env::new();
    interactive(&mut env, "alpha");
    let err = env.fail(&["send", "alpha", "\u{3}"]);
    assert_eq!(
        err,
        "claude-session: the text holds the control character '\\u{3}'; only text, tabs and line breaks are sent"
    );
    let big = "x".repeat(40 * 1024);
    assert!(env.fail(&["send", "alpha", &big]).contains("at most 32768"));
    // The most the wire doubles (quotes, backslashes, line breaks) still goes.
    let worst = "\"\\\n\t".repeat(32 * 1024 / 4);
    env.ok(&["send", "alpha", "--no-enter", "--", &worst]);
    env.create("idle");
    assert_eq!(
        env.fail(&["send", "idle", "hi"]),
        "claude-session: session idle is not running under a holder; `claude-session resume idle --detached` starts it"
    );
    env.ok(&["kill", "alpha"]);
}

#[test]
fn a_session_that_does_not_run_shows_the_end_of_its_conversation() {
    let env = Env::new();
    let id = env.create("alpha");
    let project = env.project_dir(&env.session_dir(&id));
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("11111111-2222-4333-8444-555555555555.jsonl"),
        concat!(
            r#"{"type":"user","message":{"content":"what is 6 times 7?"}}"#,
            "\n",
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"42\nsurely"}]}}"#,
            "\n",
        ),
    )
    .unwrap();
    assert_eq!(
        env.ok(&["peek", "alpha"]),
        "you: what is 6 times 7?\nclaude: 42\nsurely\n"
    );
    let json: Value = serde_json::from_str(&env.ok(&["peek", "alpha", "--json"])).unwrap();
    assert_eq!(json["source"], "conversation");
    assert_eq!(json["status"], "created");
}
