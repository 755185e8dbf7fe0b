//! End to end with the real Claude Code CLI (pinned in scripts/test.sh)
//! against the mock Messages API. Runs when CLAUDE_SESSION_E2E_CLAUDE
//! names the `claude` binary; CLAUDE_SESSION_REQUIRE_E2E=1 makes its
//! absence a failure instead of a skip.

use crate::support::real::{asking_mode, prompt_shown, real_env, session_dir};
use crate::support::tmux::{Tmux, wait_screen};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every transcript line of a session, concatenated.
fn transcripts(dir: &Path) -> String {
    let mut all = String::new();
    let Ok(projects) = fs::read_dir(dir.join("projects")) else {
        return all;
    };
    for project in projects.flatten() {
        for file in fs::read_dir(project.path()).unwrap().flatten() {
            if file.path().extension().is_some_and(|e| e == "jsonl") {
                all.push_str(&fs::read_to_string(file.path()).unwrap());
            }
        }
    }
    all
}

/// Path -> (size, mtime) of everything below `root` (links not followed).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut map = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        map.insert(path.clone(), (meta.len(), meta.modified().unwrap()));
        if meta.is_dir() {
            for entry in fs::read_dir(&path).unwrap().flatten() {
                stack.push(entry.path());
            }
        }
    }
    map
}

#[test]
fn parallel_sessions_are_isolated_and_resume_remembers() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    let children: Vec<_> = (0..5)
        .map(|i| {
            env.spawn(&[
                "new",
                &format!("par-{i}"),
                "--",
                "-p",
                &format!("remember MARKER-{i}-XYZ"),
            ])
        })
        .collect();
    for child in children {
        let stdout = crate::support::finish(child);
        assert!(stdout.contains("ACK remember MARKER-"), "{stdout}");
    }
    for i in 0..5 {
        let name = format!("par-{i}");
        let dir = session_dir(&env, &name);
        let own = format!("MARKER-{i}-XYZ");
        let transcript = transcripts(&dir);
        assert!(
            transcript.contains(&own),
            "{name}: transcript lacks its marker"
        );
        let claude_json = fs::read_to_string(dir.join(".claude.json")).unwrap();
        for j in (0..5).filter(|j| *j != i) {
            let other = format!("MARKER-{j}-XYZ");
            assert!(
                !transcript.contains(&other),
                "{name}'s transcript holds {other}"
            );
            assert!(
                !claude_json.contains(&other),
                "{name}'s .claude.json holds {other}"
            );
            let other_dir = session_dir(&env, &format!("par-{j}"));
            assert!(!claude_json.contains(other_dir.to_str().unwrap()));
        }
        let s = env.show(&name);
        assert_eq!(
            (s["status"].as_str(), s["exitCode"].as_i64()),
            (Some("stopped"), Some(0))
        );
    }

    // Resume one: Claude sends the earlier turn (with its marker) again.
    let out = env.ok(&[
        "resume",
        "par-3",
        "--",
        "-p",
        "which marker did I give you?",
    ]);
    assert!(out.contains("ACK which marker did I give you?"), "{out}");
    let asked = mock.requests_with("which marker did I give you?");
    assert!(!asked.is_empty());
    let last = asked.last().unwrap().to_string();
    assert!(
        last.contains("MARKER-3-XYZ"),
        "the resumed conversation lacks its history"
    );
    for j in [0, 1, 2, 4] {
        assert!(!last.contains(&format!("MARKER-{j}-XYZ")));
    }
}

#[test]
fn nothing_is_written_to_the_base_or_home_claude() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    fs::create_dir_all(env.base.join("skills/s1")).unwrap();
    fs::write(
        env.base.join("skills/s1/SKILL.md"),
        "---\nname: s1\ndescription: a skill\n---\nbody\n",
    )
    .unwrap();
    fs::write(env.base.join("settings.json"), "{}\n").unwrap();
    fs::write(env.home.join(".claude.json"), r#"{"theme":"dark"}"#).unwrap();
    let before = (
        snapshot(&env.base),
        snapshot(&env.home.join(".claude.json")),
    );
    env.ok(&["new", "quiet", "--", "-p", "hello"]);
    env.ok(&["resume", "quiet", "--", "-p", "again"]);
    let after = (
        snapshot(&env.base),
        snapshot(&env.home.join(".claude.json")),
    );
    assert_eq!(before, after);
    let stray: Vec<_> = fs::read_dir(&env.home)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".claude") && n != ".claude" && n != ".claude.json")
        .collect();
    assert!(stray.is_empty(), "written to HOME: {stray:?}");
}

#[test]
fn interactive_start_goes_straight_to_the_prompt() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    let tmux = Tmux::start(&env, &["new", "inter"], 120, 40);
    let screen = wait_screen(&tmux, prompt_shown);
    for dialog in ["trust", "Trust", "API key", "theme", "Theme", "Security"] {
        assert!(
            !screen.contains(dialog),
            "a dialog ({dialog}) was shown:\n{screen}"
        );
    }
    tmux.keys(&["-l", "ping INTERACTIVE-77"]);
    tmux.keys(&["Enter"]);
    wait_screen(&tmux, |s| s.contains("ACK ping INTERACTIVE-77"));
    assert!(!mock.requests_with("INTERACTIVE-77").is_empty());
    assert_eq!(env.show("inter")["status"], "active");
    tmux.keys(&["-l", "/exit"]);
    tmux.keys(&["Enter"]);
    wait_screen(&tmux, |s| s.contains("EXITED=0"));
    let s = env.show("inter");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("stopped"), Some(0))
    );
}

#[test]
fn skills_agents_and_commands_added_to_the_base_reach_every_session() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    for name in ["sh-0", "sh-1"] {
        env.create(name);
    }
    // Added after the sessions were made, to a base that had none of them.
    fs::create_dir_all(env.base.join("skills/marker-skill-e2e")).unwrap();
    fs::write(
        env.base.join("skills/marker-skill-e2e/SKILL.md"),
        "---\nname: marker-skill-e2e\ndescription: Use for SKILL-DESC-E2E tasks\n---\nSkill body\n",
    )
    .unwrap();
    fs::create_dir_all(env.base.join("agents")).unwrap();
    fs::write(
        env.base.join("agents/marker-agent-e2e.md"),
        "---\nname: marker-agent-e2e\ndescription: Use for AGENT-DESC-E2E work\n---\nYou are an agent.\n",
    )
    .unwrap();
    fs::create_dir_all(env.base.join("commands")).unwrap();
    fs::write(
        env.base.join("commands/marker-cmd-e2e.md"),
        "---\ndescription: CMD-DESC-E2E\n---\nCMD-BODY-E2E please\n",
    )
    .unwrap();
    fs::write(
        env.base.join("CLAUDE.md"),
        "Always say CLAUDEMD-E2E-MARKER.\n",
    )
    .unwrap();
    for name in ["sh-0", "sh-1"] {
        env.ok(&["resume", name, "--", "-p", &format!("hello from {name}")]);
        let request = mock
            .requests_with(&format!("hello from {name}"))
            .pop()
            .unwrap()
            .to_string();
        assert!(
            request.contains("marker-skill-e2e"),
            "{name}: skill missing"
        );
        assert!(
            request.contains("marker-agent-e2e"),
            "{name}: agent missing"
        );
        assert!(
            request.contains("CLAUDEMD-E2E-MARKER"),
            "{name}: CLAUDE.md missing"
        );
        let before = mock.requests_with("CMD-BODY-E2E").len();
        env.ok(&["resume", name, "--", "-p", "/marker-cmd-e2e"]);
        assert!(
            mock.requests_with("CMD-BODY-E2E").len() > before,
            "{name}: command missing"
        );
        // Claude has run three times in the session: the links still stand.
        let dir = session_dir(&env, name);
        for entry in ["skills", "agents", "commands", "CLAUDE.md"] {
            let meta = fs::symlink_metadata(dir.join(entry)).unwrap();
            assert!(
                meta.file_type().is_symlink(),
                "{name}/{entry} is no longer a link"
            );
        }
    }
}

#[test]
fn real_claude_survives_detach_and_shows_its_screen_on_reattach() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    let mut first = crate::support::pty::Terminal::spawn(&env, &["new", "held"], 40, 120);
    first.wait_until("Claude's prompt", prompt_shown);
    first.submit("ping HELD-ONE");
    first.wait_for("ACK ping HELD-ONE");
    // Newer versions draw in the alternate screen, older ones inline.
    let alternate = first.screen().alternate_screen();
    first.type_bytes(b"\x1cd");
    assert_eq!(first.wait_exit().code(), Some(0));
    assert_eq!(env.show("held")["status"], "active");
    // The terminal is left as it was, the message on a line of its own.
    first.wait_for("claude-session: detached from held");
    let left = first.screen();
    assert!(!left.alternate_screen() && !left.bracketed_paste());
    assert_eq!(left.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
    assert!(
        first
            .contents()
            .lines()
            .any(|l| l.starts_with("claude-session: detached from held")),
        "{}",
        first.contents()
    );

    // Another terminal, another size: the answer is still on the screen,
    // the alternate one if Claude draws there.
    let mut second = crate::support::pty::Terminal::spawn(&env, &["attach", "held"], 30, 100);
    second.wait_for("ACK ping HELD-ONE");
    assert_eq!(second.screen().alternate_screen(), alternate);
    second.submit("ping HELD-TWO");
    second.wait_for("ACK ping HELD-TWO");
    // Claude also asks for a title with the new prompt alone, before or
    // after the answer: the conversation's request is the one to check.
    let asked = mock.requests_with("ping HELD-TWO");
    assert!(
        asked.iter().any(|r| r.to_string().contains("HELD-ONE")),
        "the second prompt continues the first conversation"
    );
    second.submit("/exit");
    assert_eq!(second.wait_exit().code(), Some(0));
    let s = env.show("held");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("stopped"), Some(0))
    );
}

#[test]
fn claudes_hooks_report_messages_tool_calls_and_the_conversation() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    let out = env.ok(&["new", "hooked", "--", "-p", "hello hooks"]);
    assert!(out.contains("ACK hello hooks"), "{out}");
    let s = env.show("hooked");
    let id = s["sessionId"].as_str().unwrap();
    // One prompt, one answer; no tool call.
    assert_eq!(
        (s["messageCount"].as_i64(), s["toolCallCount"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(s["conversationId"], id);
    assert_eq!(s["status"], "stopped");

    let out = env.ok(&["resume", "hooked", "--", "-p", "USE-TOOL please"]);
    assert!(out.contains("TOOL-DONE"), "{out}");
    let s = env.show("hooked");
    assert_eq!(
        (s["messageCount"].as_i64(), s["toolCallCount"].as_i64()),
        (Some(4), Some(1))
    );
}

#[test]
fn stats_count_what_the_mock_sent() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    env.ok(&["new", "counted", "--", "-p", "hello stats"]);
    env.ok(&["resume", "counted", "--", "-p", "USE-TOOL now"]);
    let stats: serde_json::Value =
        serde_json::from_str(&env.ok(&["stats", "counted", "--json"])).unwrap();
    let s = &stats["sessions"][0];
    // Two prompts; three answers (ACK, the tool call, TOOL-DONE), each 25 in / 7 out.
    assert_eq!(
        (s["userMessages"].as_u64(), s["assistantMessages"].as_u64()),
        (Some(2), Some(3)),
        "{s}"
    );
    assert_eq!(s["toolCalls"]["Read"], 1);
    let tokens = s["tokens"].as_object().unwrap();
    let input: u64 = tokens.values().map(|t| t["input"].as_u64().unwrap()).sum();
    let output: u64 = tokens.values().map(|t| t["output"].as_u64().unwrap()).sum();
    assert_eq!((input, output), (75, 21));
    assert_eq!(stats["total"]["userMessages"], 2);
}

#[test]
fn a_session_at_a_permission_prompt_is_waiting() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    let mut term = crate::support::pty::Terminal::spawn(
        &env,
        &["new", "asks", "--", "--permission-mode", asking_mode()],
        40,
        120,
    );
    term.wait_until("Claude's prompt", prompt_shown);
    term.submit("USE-TOOL please");
    // Reading /etc/hostname is outside the project: Claude asks first.
    crate::support::wait_until(
        std::time::Duration::from_secs(30),
        || format!("never waiting: {}\n{}", env.show("asks"), term.contents()),
        || (env.show("asks")["state"] == "waiting").then_some(()),
    );
    assert!(env.ok(&["list"]).contains("waiting (attached)"));
    term.type_bytes(b"\x1cd");
    assert_eq!(term.wait_exit().code(), Some(0));
    assert_eq!(
        env.show("asks")["state"],
        "waiting",
        "still waiting while nobody is attached"
    );
    assert_eq!(env.ok(&["kill", "asks"]), "stopped asks\n");
}

/// Claude Code's own background sessions are off in a session: `--bg`
/// starts no supervisor (it would live in the session's config dir and
/// outlive it), and the session stays claude-session's.
#[test]
fn claudes_own_background_sessions_are_off() {
    let Some((env, _mock)) = real_env() else {
        return;
    };
    let out = env.run(&["new", "bg", "--", "--bg", "hello"]);
    assert_ne!(out.status.code(), Some(0));
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("disableAgentView"), "{said}");
    let dir = session_dir(&env, "bg");
    for name in ["daemon", "daemon.lock", "daemon.status.json", "jobs"] {
        assert!(!dir.join(name).exists(), "{name} was made");
    }
}
