//! End to end (real Claude Code): per-session MCP servers with their own
//! state dirs and ports, and per-session model and system prompt.

use crate::support::real::{real_env, session_dir};
use serde_json::Value;
use std::fs;

/// A minimal MCP server over stdio (newline-delimited JSON-RPC): records its
/// environment and arguments in its state dir, offers one tool.
const MCP_SERVER: &str = r#"
import json, os, sys
state, port = sys.argv[1], sys.argv[2]
with open(os.path.join(state, "started.json"), "w") as f:
    json.dump({"port": port, "session": os.environ.get("CLAUDE_SESSION_NAME"), "pid": os.getpid()}, f)
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if "id" not in msg:
        continue
    method = msg.get("method")
    if method == "initialize":
        result = {"protocolVersion": msg["params"].get("protocolVersion", "2025-06-18"),
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "probe", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "state_probe", "description": "Reports the probe state",
                             "inputSchema": {"type": "object", "properties": {}}}]}
    else:
        print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "no"}}), flush=True)
        continue
    print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}), flush=True)
"#;

#[test]
fn each_session_runs_its_own_mcp_server_and_keeps_its_settings() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    let server = env.root.join("probe_server.py");
    fs::write(&server, MCP_SERVER).unwrap();
    let template = env.root.join("mcp.json");
    let config = serde_json::json!({"mcpServers": {"probe": {
        "command": "python3", "args": [server.to_str().unwrap(), "${MCP_STATE_DIR}", "${PORT:api}"]
    }}});
    fs::write(&template, config.to_string()).unwrap();
    let children: Vec<_> = ["m1", "m2"]
        .iter()
        .map(|name| {
            env.spawn(&[
                "new",
                name,
                "--mcp-config",
                template.to_str().unwrap(),
                "--model",
                "claude-e2e-model",
                "--append-system-prompt",
                &format!("PROMPT-FOR-{name}"),
                "--",
                "-p",
                &format!("hello from {name}"),
            ])
        })
        .collect();
    for child in children {
        crate::support::finish(child);
    }
    let mut ports = Vec::new();
    for name in ["m1", "m2"] {
        let dir = session_dir(&env, name);
        let started: Value =
            serde_json::from_slice(&fs::read(dir.join("mcp-state/probe/started.json")).unwrap())
                .unwrap();
        assert_eq!(
            started["session"], name,
            "the server ran in {name}'s environment"
        );
        ports.push(started["port"].as_str().unwrap().to_string());
        let request = mock
            .requests_with(&format!("hello from {name}"))
            .pop()
            .unwrap();
        let text = request.to_string();
        assert!(
            text.contains("mcp__probe__state_probe"),
            "{name}: the MCP tool reaches the API"
        );
        assert_eq!(request["model"], "claude-e2e-model");
        assert!(text.contains(&format!("PROMPT-FOR-{name}")));
    }
    assert_ne!(ports[0], ports[1], "each session its own port");

    // Resume re-applies the model and the prompt.
    env.ok(&["resume", "m1", "--", "-p", "again m1"]);
    let request = mock.requests_with("again m1").pop().unwrap();
    assert_eq!(request["model"], "claude-e2e-model");
    assert!(request.to_string().contains("PROMPT-FOR-m1"));
}
