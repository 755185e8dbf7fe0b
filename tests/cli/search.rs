//! `search`: what every session said (and the base), found and shown with
//! the command that continues it; a session removed takes its words; bad
//! queries say how to quote. `resume --conversation` continues the one
//! asked for.

use crate::support::{Env, mode};
use serde_json::{Value, json};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const A1: &str = "0aaaaaaa-0000-4000-8000-000000000001";
const A2: &str = "0aaaaaaa-0000-4000-8000-000000000002";
const B1: &str = "0bbbbbbb-0000-4000-8000-000000000001";
const BASE: &str = "0ccccccc-0000-4000-8000-000000000001";

/// Appends records to a conversation of a config dir (a session's or the
/// base), under the test's working dir.
fn say(env: &Env, config_dir: &Path, conversation: &str, records: &[Value]) -> PathBuf {
    let dir = env.project_dir(config_dir);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{conversation}.jsonl"));
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    for record in records {
        writeln!(file, "{record}").unwrap();
    }
    path
}

fn prompt(text: &str, at: &str) -> Value {
    json!({"type": "user", "timestamp": at, "cwd": "/w", "message": {"role": "user", "content": text}})
}

fn reply(text: &str, at: &str) -> Value {
    json!({"type": "assistant", "timestamp": at, "cwd": "/w",
           "message": {"content": [{"type": "text", "text": text}]}})
}

/// Three sessions and the base, each with something to find.
fn talked() -> (Env, PathBuf) {
    let env = Env::new();
    let ids: Vec<String> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| env.create(n))
        .collect();
    say(
        &env,
        &env.session_dir(&ids[0]),
        A1,
        &[
            prompt("plan the schema migration", "2026-01-01T10:00:00Z"),
            reply("Add the column first.", "2026-01-01T10:00:01Z"),
        ],
    );
    let beta = say(
        &env,
        &env.session_dir(&ids[1]),
        B1,
        &[
            prompt("remember the word PELICAN-42", "2026-01-02T10:00:00Z"),
            json!({"type": "assistant", "timestamp": "2026-01-02T10:00:01Z",
                   "message": {"content": [{"type": "tool_use", "id": "t", "name": "Bash",
                                            "input": {"command": "grep -r migration"}}]}}),
            json!({"type": "user", "timestamp": "2026-01-02T10:00:02Z",
                   "message": {"content": [{"type": "tool_result", "tool_use_id": "t",
                                            "content": "db/migration.sql"}]}}),
        ],
    );
    say(
        &env,
        &env.base,
        BASE,
        &[reply("an old migration note", "2025-01-01T00:00:00Z")],
    );
    (env, beta)
}

#[test]
fn what_each_session_said_is_found_there_only() {
    let (env, _) = talked();
    let out = env.ok(&["search", "pelican"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("beta  user  ") && lines[0].ends_with("conversation 0bbbbbbb"),
        "{out}"
    );
    assert_eq!(lines[1], "    remember the word PELICAN-42");
    assert_eq!(
        lines[2],
        format!("    claude-session resume beta --conversation {B1}")
    );
    // Prompts and replies, best first; the base's too, marked; tool calls
    // only with --tools.
    let found: Vec<Value> =
        serde_json::from_str(&env.ok(&["search", "migration", "--json"])).unwrap();
    let who: Vec<(&str, &str)> = found
        .iter()
        .map(|r| {
            (
                r["session"].as_str().unwrap_or("(base)"),
                r["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(who.len(), 2, "{found:?}");
    assert!(who.contains(&("alpha", "user")) && who.contains(&("(base)", "assistant")));
    let base = found.iter().find(|r| r["base"] == true).unwrap();
    assert_eq!(base["conversation"], BASE);
    assert_eq!(base["sessionId"], Value::Null);
    assert_eq!(
        base["resume"],
        format!("cd /w && claude --resume {BASE}").as_str()
    );
    let alpha = found.iter().find(|r| r["session"] == "alpha").unwrap();
    assert_eq!(alpha["snippet"], "plan the schema migration");
    assert_eq!(alpha["highlights"], json!([[16, 25]]));
    assert_eq!(alpha["time"], "2026-01-01T10:00:00Z");
    let tools: Vec<Value> =
        serde_json::from_str(&env.ok(&["search", "migration", "--tools", "--json"])).unwrap();
    assert_eq!(tools.len(), 4);
    let only_tools: Vec<Value> =
        serde_json::from_str(&env.ok(&["search", "migration", "--role", "tool", "--json"]))
            .unwrap();
    assert_eq!(only_tools.len(), 2);
    assert!(only_tools.iter().all(|r| r["session"] == "beta"));
    // Filters.
    let one = |args: &[&str]| -> usize {
        let mut all = vec!["search", "migration", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str::<Vec<Value>>(&env.ok(&all))
            .unwrap()
            .len()
    };
    assert_eq!(one(&["--session", "alpha"]), 1);
    assert_eq!(one(&["--session", "beta"]), 0);
    assert_eq!(one(&["--limit", "1"]), 1);
    assert_eq!(one(&["--role", "assistant"]), 1);
    assert_eq!(one(&["--since", "100000d"]), 2);
    let out = env.run(&["search", "nowhere"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "claude-session: nothing found for nowhere\n"
    );
    assert_eq!(mode(&env.store.join("search.db")), 0o600);
}

#[test]
fn an_append_is_found_and_a_removed_session_is_not() {
    let (env, beta) = talked();
    assert!(env.ok(&["search", "albatross"]).is_empty());
    let mut file = fs::OpenOptions::new().append(true).open(&beta).unwrap();
    // A line still being written is not read yet.
    write!(
        file,
        "{}",
        prompt("and the albatross", "2026-01-03T00:00:00Z")
    )
    .unwrap();
    assert!(env.ok(&["search", "albatross"]).is_empty());
    writeln!(file).unwrap();
    assert!(
        env.ok(&["search", "albatross"])
            .contains("and the albatross")
    );
    let beta_id = env.show("beta")["sessionId"].as_str().unwrap().to_string();
    let index = rusqlite::Connection::open(env.store.join("search.db")).unwrap();
    let indexed = |owner: &str| -> i64 {
        index
            .query_row(
                "SELECT count(*) FROM entries JOIN files ON files.id = entries.file WHERE owner = ?1",
                [owner],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert!(indexed(&beta_id) > 0);
    // Its words leave the index with it, before any other search.
    env.ok(&["rm", "beta"]);
    assert_eq!(indexed(&beta_id), 0);
    assert!(env.ok(&["search", "albatross OR pelican"]).is_empty());
    let rebuilt = env.run(&["search", "--rebuild"]);
    assert!(rebuilt.status.success());
    assert!(rebuilt.stdout.is_empty());
    let said = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(
        said.starts_with("claude-session: indexed 2 transcripts ("),
        "{said}"
    );
    assert!(env.ok(&["search", "schema"]).contains("alpha"));
}

/// `cleanup` takes a removed session's words out of the index too.
#[test]
fn cleanup_takes_a_removed_sessions_words_with_it() {
    let (env, _) = talked();
    assert!(env.ok(&["search", "schema"]).contains("alpha"));
    let alpha = env.show("alpha")["sessionId"].as_str().unwrap().to_string();
    // Last active long ago: `cleanup --older-than` takes it.
    let registry = rusqlite::Connection::open(env.store.join("registry.db")).unwrap();
    registry
        .execute(
            "UPDATE sessions SET last_activity = 0 WHERE id = ?1",
            [&alpha],
        )
        .unwrap();
    let said = env.ok(&["cleanup", "--older-than", "30d", "--yes"]);
    assert!(said.contains("removed 1 session"), "{said}");
    let index = rusqlite::Connection::open(env.store.join("search.db")).unwrap();
    let count = |sql: &str| -> i64 { index.query_row(sql, [], |r| r.get(0)).unwrap() };
    let files: i64 = index
        .query_row(
            "SELECT count(*) FROM files WHERE owner = ?1",
            [&alpha],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(files, 0);
    // No entry, and no word in FTS5, without its file.
    assert_eq!(
        count("SELECT count(*) FROM entries WHERE file NOT IN (SELECT id FROM files)"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM fts WHERE rowid NOT IN (SELECT id FROM entries)"),
        0
    );
}

#[test]
fn a_query_fts5_cannot_read_says_how_to_quote_it() {
    let (env, _) = talked();
    for (query, why) in [
        ("foo-bar", "no such column: bar"),
        ("main.rs", "fts5: syntax error near \".\""),
    ] {
        let out = env.run(&["search", query]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "claude-session: cannot search for {query}: {why}; quote words that hold punctuation: claude-session search '\"{query}\"'\n"
            )
        );
    }
    assert!(env.ok(&["search", "\"pelican-42\""]).contains("PELICAN-42"));
    let empty = env.run(&["search", ""]);
    assert_eq!(empty.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&empty.stderr),
        "claude-session: cannot search for : the query is empty\n"
    );
    for bad in [
        &["search", "--limit", "0", "x"][..],
        &["search", "--limit", "1001", "x"],
        &["search"],
        &["search", "x", "--role", "nobody"],
    ] {
        assert_eq!(env.run(bad).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn resume_continues_the_conversation_asked_for() {
    let env = Env::new();
    let id = env.create("alpha");
    let dir = env.session_dir(&id);
    say(&env, &dir, A1, &[prompt("first", "2026-01-01T00:00:00Z")]);
    // A2 is written later: the latest, which resume would pick.
    let later = say(&env, &dir, A2, &[prompt("second", "2026-01-02T00:00:00Z")]);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    fs::File::options()
        .write(true)
        .open(env.project_dir(&dir).join(format!("{A1}.jsonl")))
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert!(later.exists());
    env.ok(&["resume", "alpha"]);
    let argv = env.agent_runs().pop().unwrap().argv;
    assert_eq!(argv[..2], ["--resume".to_string(), A2.to_string()]);
    env.ok(&["resume", "alpha", "--conversation", A1]);
    let argv = env.agent_runs().pop().unwrap().argv;
    assert_eq!(argv[..2], ["--resume".to_string(), A1.to_string()]);
    // One it does not hold; one of another directory.
    let missing = "0fffffff-0000-4000-8000-000000000009";
    assert_eq!(
        env.fail(&["resume", "alpha", "--conversation", missing]),
        format!(
            "claude-session: session alpha has no conversation {missing} (`claude-session search` shows each result's session and conversation)"
        )
    );
    let elsewhere = dir.join("projects/-somewhere-else");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join(format!("{B1}.jsonl")), "{}\n").unwrap();
    assert_eq!(
        env.fail(&["resume", "alpha", "--conversation", B1]),
        format!(
            "claude-session: conversation {B1} of session alpha belongs to another directory than the session's ({}); Claude Code continues a conversation only from its own directory",
            env.work.display()
        )
    );
    let runs = env.agent_runs().len();
    for bad in [
        &["resume", "--conversation", A1][..],
        &["resume", "alpha", "--conversation", "nope"],
    ] {
        assert_eq!(env.run(bad).status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(env.agent_runs().len(), runs, "no Claude started");
}

#[test]
fn a_broken_index_says_how_to_make_a_new_one() {
    let (env, _) = talked();
    env.ok(&["search", "pelican"]);
    let index = env.store.join("search.db");
    fs::write(&index, vec![b'x'; 8192]).unwrap();
    let _ = fs::remove_file(env.store.join("search.db-wal"));
    let _ = fs::remove_file(env.store.join("search.db-shm"));
    let error = env.fail(&["search", "pelican"]);
    assert!(
        error.starts_with(&format!(
            "claude-session: the search index {} cannot be opened; `claude-session search --rebuild` makes a new one: ",
            index.display()
        )),
        "{error}"
    );
    assert!(
        env.ok(&["search", "--rebuild", "pelican"])
            .contains("PELICAN-42")
    );
    assert_eq!(mode(&index), 0o600);
}
