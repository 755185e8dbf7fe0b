//! Live state from Claude's hooks: `claude-session hook` fed events the way
//! Claude feeds them (JSON on stdin, the session's environment).

use crate::support::Env;
use serde_json::{Value, json};
use std::io::Write;
use std::process::Stdio;

/// Runs the hook as Claude would for `session`, with `payload` on stdin.
fn fire(env: &Env, id: &str, payload: &str) {
    fire_with(env, id, payload, &[]);
}

/// `fire`, with more of the environment Claude passes to hooks.
fn fire_with(env: &Env, id: &str, payload: &str, vars: &[(&str, &str)]) {
    env.hook(id, payload, vars);
}

fn event(name: &str, extra: Value) -> String {
    let mut e = json!({"session_id": "conv-1", "transcript_path": "/x", "cwd": "/w", "hook_event_name": name});
    e.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    e.to_string()
}

#[test]
fn events_drive_the_state_and_counters() {
    let env = Env::new();
    let id = env.create("alpha");
    let state = || {
        let s = env.show("alpha");
        (
            s["state"].as_str().map(str::to_string),
            s["messageCount"].as_i64(),
            s["toolCallCount"].as_i64(),
        )
    };
    fire(
        &env,
        &id,
        &event("SessionStart", json!({"source": "startup"})),
    );
    assert_eq!(state(), (Some("idle".into()), Some(0), Some(0)));
    assert_eq!(env.show("alpha")["conversationId"], "conv-1");
    fire(
        &env,
        &id,
        &event("UserPromptSubmit", json!({"prompt": "hi"})),
    );
    assert_eq!(state(), (Some("working".into()), Some(1), Some(0)));
    fire(
        &env,
        &id,
        &event("PreToolUse", json!({"tool_name": "Bash", "tool_input": {}})),
    );
    fire(
        &env,
        &id,
        &event(
            "Notification",
            json!({"notification_type": "permission_prompt"}),
        ),
    );
    assert_eq!(state(), (Some("waiting".into()), Some(1), Some(1)));
    fire(
        &env,
        &id,
        &event("PostToolUse", json!({"tool_name": "Bash"})),
    );
    assert_eq!(state(), (Some("working".into()), Some(1), Some(1)));
    fire(&env, &id, &event("Stop", json!({})));
    assert_eq!(state(), (Some("idle".into()), Some(2), Some(1)));
    // /clear: a new conversation id.
    fire(
        &env,
        &id,
        r#"{"session_id":"conv-2","hook_event_name":"SessionStart","source":"clear"}"#,
    );
    assert_eq!(env.show("alpha")["conversationId"], "conv-2");
}

/// The registry's last_activity of `id`, in ms (JSON shows seconds).
fn last_activity(env: &Env, id: &str) -> i64 {
    rusqlite::Connection::open(env.store.join("registry.db"))
        .unwrap()
        .query_row(
            "SELECT last_activity FROM sessions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn only_prompts_replies_and_tool_calls_are_activity() {
    let env = Env::new();
    let id = env.create("alpha");
    let set = |ms: i64| {
        rusqlite::Connection::open(env.store.join("registry.db"))
            .unwrap()
            .execute(
                "UPDATE sessions SET last_activity = ?1 WHERE id = ?2",
                (ms, &id),
            )
            .unwrap();
    };
    // Claude's idle reminder, about a minute after a turn, and the other
    // events nobody typed or answered.
    for payload in [
        event("Notification", json!({"notification_type": "idle_prompt"})),
        event(
            "Notification",
            json!({"notification_type": "permission_prompt"}),
        ),
        event("PermissionRequest", json!({"tool_name": "Bash"})),
        event("SessionStart", json!({"source": "resume"})),
        event("SessionEnd", json!({"reason": "other"})),
    ] {
        set(1000);
        fire(&env, &id, &payload);
        assert_eq!(last_activity(&env, &id), 1000, "{payload}");
    }
    for payload in [
        event("UserPromptSubmit", json!({"prompt": "hi"})),
        event("PreToolUse", json!({"tool_name": "Bash", "tool_input": {}})),
        event("PostToolUse", json!({"tool_name": "Bash"})),
        event("Stop", json!({})),
    ] {
        set(1000);
        fire(&env, &id, &payload);
        assert!(last_activity(&env, &id) > 1000, "{payload}");
    }
}

#[test]
fn show_and_list_give_tokens_and_the_latest_model() {
    let env = Env::new();
    let id = env.create("alpha");
    env.create("idle");
    let transcript = env.session_dir(&id).join("projects/-w/c.jsonl");
    std::fs::create_dir_all(transcript.parent().unwrap()).unwrap();
    let reply = |at: &str, id: &str, model: &str, input: u64| {
        format!(
            r#"{{"type":"assistant","timestamp":"2026-01-01T10:{at}Z","message":{{"id":"{id}","model":"{model}","content":[{{"type":"text","text":"ok"}}],"usage":{{"input_tokens":{input},"output_tokens":2,"cache_creation_input_tokens":5,"cache_read_input_tokens":1}}}}}}"#
        ) + "\n"
    };
    // A reply, `/model`, a reply of the new model, and a reply of no model
    // (Claude writes one when a turn is interrupted).
    let lines = reply("00:01", "m1", "claude-sonnet-4-5", 10)
        + &reply("05:00", "m2", "claude-opus-4-1", 3)
        + &reply("06:00", "m3", "<synthetic>", 0);
    std::fs::write(&transcript, lines).unwrap();
    let tokens =
        |input: u64| json!({"input": input, "output": 6, "cacheCreation": 15, "cacheRead": 3});
    let s = env.show("alpha");
    assert_eq!(
        (&s["tokens"], s["model"].as_str()),
        (&tokens(13), Some("claude-opus-4-1"))
    );
    let text = env.ok(&["show", "alpha"]);
    assert!(
        text.contains("model:         claude-opus-4-1\n")
            && text.contains("tokens:        input 13 output 6 cache write 15 cache read 3\n"),
        "{text}"
    );
    let listed = |name: &str| {
        env.list()
            .into_iter()
            .find(|s| s["sessionName"] == name)
            .unwrap()
    };
    assert_eq!(listed("alpha")["tokens"], tokens(13));
    assert_eq!(listed("alpha")["model"], "claude-opus-4-1");
    assert_eq!(listed("idle")["tokens"], Value::Null, "never read");
    // `list` reads no transcript: a new reply shows once something read
    // it, such as the hook at the end of the turn.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&transcript)
        .unwrap();
    file.write_all(reply("07:00", "m4", "claude-haiku-4-5", 100).as_bytes())
        .unwrap();
    assert_eq!(listed("alpha")["tokens"], tokens(13));
    fire(&env, &id, &event("Stop", json!({})));
    let tokens = json!({"input": 113, "output": 8, "cacheCreation": 20, "cacheRead": 4});
    assert_eq!(listed("alpha")["tokens"], tokens);
    assert_eq!(listed("alpha")["model"], "claude-haiku-4-5");
}

#[test]
fn bad_events_change_nothing_and_never_fail() {
    let env = Env::new();
    let id = env.create("alpha");
    let before = env.show("alpha");
    fire(&env, &id, "not json");
    fire(&env, &id, "");
    fire(&env, &id, r#"{"hook_event_name":"SomethingNew"}"#);
    fire(
        &env,
        "00000000-0000-0000-0000-000000000000",
        &event("Stop", json!({})),
    );
    fire(&env, "not-a-uuid", &event("Stop", json!({})));
    let after = env.show("alpha");
    for key in ["state", "messageCount", "toolCallCount", "status"] {
        assert_eq!(before[key], after[key], "{key}");
    }
    let log = std::fs::read_to_string(env.session_dir(&id).join("session.log")).unwrap();
    assert!(log.contains("hook: the event is not JSON"), "{log}");
}

#[test]
fn concurrent_tool_calls_are_all_counted() {
    let env = Env::new();
    let id = env.create("alpha");
    let payload = event("PreToolUse", json!({"tool_name": "Read"}));
    let children: Vec<_> = (0..20)
        .map(|_| {
            let mut child = env
                .cmd(&["hook"])
                .env("CLAUDE_SESSION_ID", &id)
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(payload.as_bytes())
                .unwrap();
            child
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(env.show("alpha")["toolCallCount"], 20);
}

#[test]
fn config_dirs_lists_every_session_dir() {
    let env = Env::new();
    let a = env.create("alpha");
    let b = env.create("beta");
    let out = env.ok(&["config-dirs"]);
    let mut dirs: Vec<&str> = out.trim_end().split(',').collect();
    dirs.sort();
    let mut want = [env.session_dir(&a), env.session_dir(&b)];
    want.sort();
    assert_eq!(
        dirs,
        want.iter().map(|d| d.to_str().unwrap()).collect::<Vec<_>>()
    );
}

#[test]
fn list_watch_redraws_as_sessions_change() {
    let env = Env::new();
    env.create("alpha");
    let term = crate::support::pty::Terminal::spawn(&env, &["list", "--watch"], 24, 100);
    term.wait_for("alpha");
    env.create("beta");
    term.wait_for("beta");
    env.ok(&["rm", "alpha"]);
    // The next frame no longer has the session.
    term.wait_until("a frame without alpha", |screen| !screen.contains("alpha"));
    assert!(term.contents().contains("NAME"));
}

#[test]
fn stats_table_and_json() {
    let env = Env::new();
    let a = env.create("alpha");
    env.create("b");
    let project = env.session_dir(&a).join("projects/-w");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("c.jsonl"),
        concat!(
            r#"{"type":"user","timestamp":"2026-01-01T10:00:00Z","message":{"content":"hi"}}"#,
            "\n",
            r#"{"type":"assistant","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m1","model":"opus","content":[{"type":"tool_use","name":"Read"}],"usage":{"input_tokens":10,"output_tokens":2}}}"#,
            "\ngarbage\n",
        ),
    )
    .unwrap();
    let out = env.ok(&["stats"]);
    let mut lines: Vec<&str> = out.lines().collect();
    lines[1..3].sort(); // sessions come most recent first
    assert_eq!(
        lines,
        [
            "SESSION  USER  ASSISTANT  TOOL CALLS  INPUT  OUTPUT  CACHE WRITE  CACHE READ",
            "alpha       1          1           1     10       2            0           0",
            "b           0          0           0      0       0            0           0",
            "TOTAL       1          1           1     10       2            0           0",
            "(1 unreadable transcript lines skipped)",
        ]
    );
    let one = env.ok(&["stats", "alpha"]);
    assert!(
        one.contains("tool Read: 1\nmodel opus: input 10 output 2 cache write 0 cache read 0\n"),
        "{one}"
    );
    let json: Value = serde_json::from_str(&env.ok(&["stats", "--json"])).unwrap();
    assert_eq!(json["total"]["toolCalls"]["Read"], 1);
    assert_eq!(json["sessions"].as_array().unwrap().len(), 2);
}

#[test]
fn notify_runs_when_claude_starts_waiting() {
    let env = Env::new();
    let id = env.create("alpha");
    let log = env.root.join("notified");
    let command = format!("echo \"$1 $2\" >> '{}'", log.display());
    let fire_notify = |payload: &str| {
        let vars = [
            ("CLAUDE_SESSION_NAME", "alpha"),
            ("CLAUDE_SESSION_NOTIFY", command.as_str()),
        ];
        fire_with(&env, &id, payload, &vars);
    };
    let lines = || std::fs::read_to_string(&log).unwrap_or_default();
    fire_notify(&event("PermissionRequest", json!({"tool_name": "Bash"})));
    crate::support::wait_for(|| (lines() == "alpha waiting\n").then_some(()));
    // Still waiting: no second notice. Waiting again after work: a new one.
    fire_notify(&event(
        "Notification",
        json!({"notification_type": "permission_prompt"}),
    ));
    fire_notify(&event("PostToolUse", json!({"tool_name": "Bash"})));
    fire_notify(&event("PermissionRequest", json!({"tool_name": "Bash"})));
    crate::support::wait_for(|| (lines() == "alpha waiting\nalpha waiting\n").then_some(()));

    // --notify reaches Claude's environment, so its hooks have it.
    env.ok(&["new", "beta", "--notify", "true"]);
    assert_eq!(env.only_agent_run().env["CLAUDE_SESSION_NOTIFY"], "true");
}
