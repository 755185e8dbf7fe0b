//! The transcript reader on real files in a temporary session dir.

use super::*;
use std::io::Write;

const TRANSCRIPT: &str = r#"{"type":"user","uuid":"u1","timestamp":"2026-01-01T10:00:00Z","message":{"role":"user","content":"hi"}}
{"type":"attachment","timestamp":"2026-01-01T10:00:00Z"}
{"type":"user","isMeta":true,"message":{"role":"user","content":"caveat"}}
{"type":"assistant","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m1","model":"opus","content":[{"type":"tool_use","id":"t1","name":"Read"}],"usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":5,"cache_read_input_tokens":1}}}
{"type":"assistant","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m1","model":"opus","content":[{"type":"tool_use","id":"t2","name":"Bash"}],"usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":5,"cache_read_input_tokens":1}}}
{"type":"user","timestamp":"2026-01-01T10:00:02Z","message":{"role":"user","content":[{"type":"tool_result"},{"type":"tool_result"}]}}
this line is garbage
{"type":"assistant","timestamp":"2026-01-01T10:00:03Z","message":{"id":"m2","model":"haiku","content":[{"type":"text","text":"done"}],"usage":{"input_tokens":3,"output_tokens":4}}}
{"type":"system","subtype":"turn_duration"}
"#;

fn session_with(transcript: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("projects/-w");
    fs::create_dir_all(project.join("c1/subagents")).unwrap();
    fs::write(project.join("c1.jsonl"), transcript).unwrap();
    dir
}

#[test]
fn counts_every_record_kind() {
    let dir = session_with(TRANSCRIPT);
    let t = session_stats(dir.path()).unwrap();
    assert_eq!(
        (t.user_messages, t.assistant_messages, t.skipped_lines),
        (1, 2, 1)
    );
    assert_eq!(
        t.tool_calls,
        BTreeMap::from([("Bash".into(), 1), ("Read".into(), 1)])
    );
    assert_eq!(
        t.tokens["opus"],
        Tokens {
            input: 10,
            output: 2,
            cache_creation: 5,
            cache_read: 1
        }
    );
    assert_eq!(
        t.tokens["haiku"],
        Tokens {
            input: 3,
            output: 4,
            cache_creation: 0,
            cache_read: 0
        }
    );
    assert_eq!(t.first_activity.as_deref(), Some("2026-01-01T10:00:00Z"));
    assert_eq!(t.last_activity.as_deref(), Some("2026-01-01T10:00:03Z"));
}

#[test]
fn copies_of_a_conversation_count_once() {
    // A forked conversation copies records (same uuid, message and tool
    // ids) into another file; a record can also be written again later.
    let dir = session_with(TRANSCRIPT);
    let forked = TRANSCRIPT.replace("10:00:0", "11:00:0");
    fs::write(dir.path().join("projects/-w/c2.jsonl"), &forked).unwrap();
    let once = session_with(TRANSCRIPT);
    let expected = session_stats(once.path()).unwrap();
    let got = session_stats(dir.path()).unwrap();
    assert_eq!(got.tokens, expected.tokens);
    assert_eq!(got.tool_calls, expected.tool_calls);
    assert_eq!(got.assistant_messages, expected.assistant_messages);
    assert_eq!(got.user_messages, expected.user_messages);
    // And again incrementally: a repeat appended later is not counted.
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("projects/-w/c1.jsonl"))
        .unwrap();
    f.write_all(TRANSCRIPT.lines().nth(3).unwrap().as_bytes())
        .unwrap();
    f.write_all(b"\n").unwrap();
    assert_eq!(session_stats(dir.path()).unwrap().tokens, expected.tokens);
}

#[test]
fn sub_agents_count_and_a_partial_line_waits() {
    let dir = session_with("");
    let agent = dir.path().join("projects/-w/c1/subagents/agent-1.jsonl");
    fs::write(
        &agent,
        "{\"type\":\"user\",\"message\":{\"content\":\"task\"}}\n{\"type\":\"user\",\"mess",
    )
    .unwrap();
    assert_eq!(session_stats(dir.path()).unwrap().user_messages, 1);
    assert_eq!(
        session_stats(dir.path()).unwrap().skipped_lines,
        0,
        "the partial line is not garbage"
    );
    let mut f = fs::OpenOptions::new().append(true).open(&agent).unwrap();
    f.write_all(b"age\":{\"content\":\"more\"}}\n").unwrap();
    assert_eq!(session_stats(dir.path()).unwrap().user_messages, 2);
}

#[test]
fn the_latest_reply_names_the_model_and_the_summary_keeps_it() {
    let reply = |at: &str, id: &str, model: &str| {
        format!(
            r#"{{"type":"assistant","timestamp":"2026-01-01T10:00:{at}Z","message":{{"id":"{id}","model":"{model}","content":[],"usage":{{"input_tokens":1,"output_tokens":1}}}}}}"#
        ) + "\n"
    };
    let dir = session_with(&(reply("01", "a1", "sonnet") + &reply("05", "a2", "opus")));
    // A file read later holds an older reply, and one that no model gave.
    fs::write(
        dir.path().join("projects/-w/c0.jsonl"),
        reply("03", "b1", "haiku") + &reply("09", "b2", "<synthetic>"),
    )
    .unwrap();
    assert_eq!(cached_summary(dir.path()), None, "never read");
    let summary = session_stats(dir.path()).unwrap().summary();
    assert_eq!(summary.model.as_deref(), Some("opus"));
    assert_eq!((summary.tokens.input, summary.tokens.output), (4, 4));
    assert_eq!(cached_summary(dir.path()), Some(summary));
    // After `/model`, a reply of the new one.
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("projects/-w/c0.jsonl"))
        .unwrap();
    f.write_all(reply("10", "b3", "haiku").as_bytes()).unwrap();
    assert_eq!(
        session_stats(dir.path())
            .unwrap()
            .summary()
            .model
            .as_deref(),
        Some("haiku")
    );
    assert_eq!(
        cached_summary(dir.path()).unwrap().model.as_deref(),
        Some("haiku")
    );
    // A summary of another version means nothing.
    fs::write(
        dir.path().join(SUMMARY),
        r#"{"version":1,"tokens":{"input":1,"output":1,"cacheCreation":0,"cacheRead":0},"model":null}"#,
    )
    .unwrap();
    assert_eq!(cached_summary(dir.path()), None);
}

#[test]
fn a_second_run_reads_only_what_was_appended() {
    let dir = session_with(TRANSCRIPT);
    let first = session_stats(dir.path()).unwrap();
    // Scribble over what was read (same length): a re-read would notice.
    let path = dir.path().join("projects/-w/c1.jsonl");
    let scribbled = TRANSCRIPT
        .replace("\"hi\"", "\"HI\"")
        .replace("opus", "OPUS");
    fs::write(&path, &scribbled).unwrap();
    let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"type\":\"user\",\"message\":{\"content\":\"again\"}}\n")
        .unwrap();
    let second = session_stats(dir.path()).unwrap();
    assert_eq!(second.user_messages, first.user_messages + 1);
    assert!(second.tokens.contains_key("opus") && !second.tokens.contains_key("OPUS"));
    // A truncated (rewritten) file is read again from the start.
    fs::write(
        &path,
        "{\"type\":\"user\",\"message\":{\"content\":\"x\"}}\n",
    )
    .unwrap();
    assert_eq!(session_stats(dir.path()).unwrap().user_messages, 1);
}
