//! End to end: `search` over transcripts the real Claude Code CLI wrote
//! (against the mock Messages API, which answers "ACK <prompt>"), and
//! `resume --conversation` from a result. Runs when
//! CLAUDE_SESSION_E2E_CLAUDE names the `claude` binary.

use crate::support::real::real_env;
use serde_json::Value;

fn search(env: &crate::support::Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&env.ok(&all)).unwrap()
}

#[test]
fn a_marker_said_in_one_session_is_found_there_and_resume_recalls_it() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    env.ok(&["new", "one", "--", "-p", "hello there"]);
    env.ok(&["new", "two", "--", "-p", "remember MARKER-SEARCH-7Q please"]);
    env.ok(&["new", "three", "--", "-p", "USE-TOOL now"]);
    // The prompt and Claude's answer, both in session two.
    let found = search(&env, &["\"MARKER-SEARCH-7Q\""]);
    let mut roles: Vec<&str> = found.iter().map(|r| r["role"].as_str().unwrap()).collect();
    roles.sort();
    assert_eq!(roles, ["assistant", "user"], "{found:?}");
    assert!(found.iter().all(|r| r["session"] == "two"), "{found:?}");
    let conversation = found[0]["conversation"].as_str().unwrap().to_string();
    assert_eq!(
        found[0]["resume"],
        format!("claude-session resume two --conversation {conversation}").as_str()
    );
    assert!(
        found
            .iter()
            .any(|r| r["snippet"] == "ACK remember MARKER-SEARCH-7Q please")
    );
    // A tool call and its result: found with --tools only.
    assert!(search(&env, &["hostname"]).is_empty());
    let tools = search(&env, &["--tools", "hostname"]);
    assert!(!tools.is_empty());
    assert!(
        tools
            .iter()
            .all(|r| r["session"] == "three" && r["role"] == "tool"),
        "{tools:?}"
    );
    // Continue the conversation found: Claude is sent its earlier turns.
    let out = env.ok(&[
        "resume",
        "two",
        "--conversation",
        &conversation,
        "--",
        "-p",
        "which marker did I give you?",
    ]);
    assert!(out.contains("ACK which marker did I give you?"), "{out}");
    let asked = mock.requests_with("which marker did I give you?");
    let last = asked.last().expect("the resumed request").to_string();
    assert!(
        last.contains("MARKER-SEARCH-7Q"),
        "the resumed conversation lacks its history"
    );
    // The new turn is found too, in the same conversation.
    let again = search(&env, &["which", "marker"]);
    assert!(
        again
            .iter()
            .all(|r| r["session"] == "two" && r["conversation"] == conversation.as_str()),
        "{again:?}"
    );
    assert_eq!(again.len(), 2);
}
