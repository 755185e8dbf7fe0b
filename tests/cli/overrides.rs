//! Per-session settings and MCP servers (issue 6), with the fake agent.

use crate::support::{Env, finish};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fs;

fn args_after_conversation(env: &Env) -> Vec<String> {
    env.agent_runs().last().unwrap().argv[2..].to_vec()
}

#[test]
fn own_settings_apply_at_every_launch_and_set_changes_them() {
    let env = Env::new();
    fs::create_dir_all(&env.base).unwrap();
    fs::write(
        env.base.join("settings.json"),
        r#"{"model":"haiku","env":{"A":"1","B":"2"},"permissions":{"allow":["Read"]}}"#,
    )
    .unwrap();
    let extra = env.root.join("extra.json");
    fs::write(
        &extra,
        r#"{"env":{"B":"3"},"permissions":{"allow":["Edit"]}}"#,
    )
    .unwrap();
    env.ok(&[
        "new",
        "alpha",
        "--model",
        "opus",
        "--append-system-prompt",
        "be terse",
        "--permission-mode",
        "plan",
        "--settings",
        extra.to_str().unwrap(),
        "--",
        "-p",
        "hi",
    ]);
    let want = [
        "--model",
        "opus",
        "--append-system-prompt",
        "be terse",
        "--permission-mode",
        "plan",
        "-p",
        "hi",
    ];
    assert_eq!(args_after_conversation(&env), want);
    let id = env.show("alpha")["sessionId"].as_str().unwrap().to_string();
    let settings: Value =
        serde_json::from_slice(&fs::read(env.session_dir(&id).join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(settings["env"], json!({"A": "1", "B": "3"}));
    assert_eq!(settings["permissions"]["allow"], json!(["Edit"]));
    assert_eq!(env.show("alpha")["model"], "opus");
    assert_eq!(
        env.show("alpha")["overrides"]["appendSystemPrompt"],
        "be terse"
    );

    // Again on resume; `set` changes the next launch.
    env.ok(&["resume", "alpha"]);
    assert_eq!(args_after_conversation(&env), want[..6]);
    env.ok(&[
        "set",
        "alpha",
        "model=sonnet",
        "append-system-prompt=",
        "settings.env.C=\"x\"",
    ]);
    env.ok(&["resume", "alpha"]);
    assert_eq!(
        args_after_conversation(&env),
        ["--model", "sonnet", "--permission-mode", "plan"]
    );
    let settings: Value =
        serde_json::from_slice(&fs::read(env.session_dir(&id).join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(settings["env"], json!({"A": "1", "B": "3", "C": "x"}));
    assert_eq!(env.show("alpha")["model"], "sonnet");
}

#[test]
fn bad_settings_are_refused_before_anything_is_made() {
    let env = Env::new();
    let bad_json = env.root.join("bad.json");
    fs::write(&bad_json, "{oops").unwrap();
    let unknown = env.root.join("unknown.json");
    fs::write(
        &unknown,
        r#"{"mcpServers":{"m":{"command":"x","args":["${NOPE}"]}}}"#,
    )
    .unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--permission-mode", "yolo"],
            "permission mode \"yolo\" is not one of",
        ),
        (
            &["--settings", "/nonexistent.json"],
            "cannot read the settings file /nonexistent.json",
        ),
        (
            &["--settings", bad_json.to_str().unwrap()],
            "is not valid JSON",
        ),
        (
            &["--mcp-config", bad_json.to_str().unwrap()],
            "is not valid JSON",
        ),
        (
            &["--mcp-config", unknown.to_str().unwrap()],
            "unknown placeholders in the MCP config: ${NOPE} (server m)",
        ),
    ];
    for (flags, why) in cases {
        let mut args = vec!["new", "x", "--no-launch"];
        args.extend_from_slice(flags);
        let err = env.fail(&args);
        assert!(err.contains(why), "{flags:?}: {err}");
    }
    assert_eq!(env.list().len(), 0);
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 0);
    env.create("alpha");
    assert!(
        env.fail(&["set", "alpha", "colour=red"])
            .contains("unknown key \"colour\"")
    );
}

#[test]
fn mcp_templates_are_rendered_per_session() {
    let env = Env::new();
    let template = env.root.join("mcp.json");
    fs::write(
        &template,
        r#"{"mcpServers":{"mem":{"command":"mem-server","args":["--dir","${MCP_STATE_DIR}","--port","${PORT:http}"],"env":{"S":"${CLAUDE_SESSION_NAME}"}}}}"#,
    )
    .unwrap();
    // The base's default template applies to every session too.
    fs::create_dir_all(&env.base).unwrap();
    fs::write(
        env.base.join("session-mcp.json"),
        r#"{"mcpServers":{"shared":{"command":"tool","args":["${CLAUDE_SESSION_ID}"]}}}"#,
    )
    .unwrap();
    env.ok(&["new", "alpha", "--mcp-config", template.to_str().unwrap()]);
    let id = env.show("alpha")["sessionId"].as_str().unwrap().to_string();
    let dir = env.session_dir(&id);
    let rendered_path = dir.join("mcp.json");
    assert_eq!(
        args_after_conversation(&env),
        ["--mcp-config", rendered_path.to_str().unwrap()]
    );
    let rendered: Value = serde_json::from_slice(&fs::read(&rendered_path).unwrap()).unwrap();
    let mem = &rendered["mcpServers"]["mem"];
    assert_eq!(mem["args"][1], dir.join("mcp-state/mem").to_str().unwrap());
    assert_eq!(crate::support::mode(&dir.join("mcp-state/mem")), 0o700);
    assert_eq!(mem["env"]["S"], "alpha");
    assert_eq!(rendered["mcpServers"]["shared"]["args"][0], id.as_str());
    let port = mem["args"][3].as_str().unwrap().to_string();
    env.ok(&["resume", "alpha"]);
    let again: Value = serde_json::from_slice(&fs::read(&rendered_path).unwrap()).unwrap();
    assert_eq!(
        again["mcpServers"]["mem"]["args"][3],
        port.as_str(),
        "the port stays on resume"
    );
}

#[test]
fn fifty_concurrent_sessions_get_fifty_ports() {
    let env = Env::new();
    let template = env.root.join("mcp.json");
    fs::write(
        &template,
        r#"{"mcpServers":{"web":{"command":"srv","args":["${PORT:http}"]}}}"#,
    )
    .unwrap();
    let children: Vec<_> = (0..50)
        .map(|i| {
            env.spawn(&[
                "new",
                &format!("s{i}"),
                "--mcp-config",
                template.to_str().unwrap(),
            ])
        })
        .collect();
    for child in children {
        finish(child);
    }
    let mut ports = HashSet::new();
    for s in env.list() {
        let dir = env.session_dir(s["sessionId"].as_str().unwrap());
        let rendered: Value =
            serde_json::from_slice(&fs::read(dir.join("mcp.json")).unwrap()).unwrap();
        ports.insert(
            rendered["mcpServers"]["web"]["args"][0]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(ports.len(), 50, "no port handed out twice");
}
