//! Per-session statistics read from Claude Code's transcripts
//! (`projects/<slug>/<conversation>.jsonl`, and sub-agents' files in
//! `projects/<slug>/<conversation>/subagents/`).
//!
//! Incremental: the byte offset read in each file is kept in
//! `<session>/stats-cache.json` with that file's totals, so a second run
//! reads only what was appended. A line that does not parse is counted as
//! skipped; a last line without its newline is left for the next run.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const CACHE: &str = "stats-cache.json";
/// Bumped when the meaning of cached totals changes: old caches are dropped.
const CACHE_VERSION: u32 = 1;

#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
}

impl Tokens {
    fn add(&mut self, other: &Tokens) {
        self.input += other.input;
        self.output += other.output;
        self.cache_creation += other.cache_creation;
        self.cache_read += other.cache_read;
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub user_messages: u64,
    pub assistant_messages: u64,
    pub tool_calls: BTreeMap<String, u64>,
    /// Tokens by model.
    pub tokens: BTreeMap<String, Tokens>,
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
    pub skipped_lines: u64,
}

impl Totals {
    pub fn add(&mut self, other: &Totals) {
        self.user_messages += other.user_messages;
        self.assistant_messages += other.assistant_messages;
        for (tool, n) in &other.tool_calls {
            *self.tool_calls.entry(tool.clone()).or_default() += n;
        }
        for (model, t) in &other.tokens {
            self.tokens.entry(model.clone()).or_default().add(t);
        }
        self.seen_at(other.first_activity.as_deref());
        self.seen_at(other.last_activity.as_deref());
        self.skipped_lines += other.skipped_lines;
    }

    pub fn tool_call_count(&self) -> u64 {
        self.tool_calls.values().sum()
    }

    pub fn all_tokens(&self) -> Tokens {
        let mut sum = Tokens::default();
        for t in self.tokens.values() {
            sum.add(t);
        }
        sum
    }

    /// RFC 3339 times in UTC compare as strings.
    fn seen_at(&mut self, at: Option<&str>) {
        let Some(at) = at else { return };
        if self.first_activity.as_deref().is_none_or(|f| at < f) {
            self.first_activity = Some(at.to_string());
        }
        if self.last_activity.as_deref().is_none_or(|l| at > l) {
            self.last_activity = Some(at.to_string());
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
struct FileState {
    offset: u64,
    /// One API response with several content blocks is written as several
    /// records with the same message id and the full usage each: usage
    /// counts once per id. They are consecutive, so the last id suffices.
    last_message_id: Option<String>,
    totals: Totals,
}

#[derive(Default, Serialize, Deserialize)]
struct Cache {
    version: u32,
    files: BTreeMap<String, FileState>,
}

/// The session's totals, reading only what is new since the last call.
pub fn session_stats(session_dir: &Path) -> Result<Totals> {
    let cache_path = session_dir.join(CACHE);
    let mut cache: Cache = fs::read(&cache_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|c: &Cache| c.version == CACHE_VERSION)
        .unwrap_or_default();
    cache.version = CACHE_VERSION;
    let mut total = Totals::default();
    let mut files = BTreeMap::new();
    for path in transcripts(session_dir) {
        let key = path
            .strip_prefix(session_dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let mut state = cache.files.remove(&key).unwrap_or_default();
        let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len < state.offset {
            // Rewritten or truncated: read it again from the start.
            state = FileState::default();
        }
        if len > state.offset {
            read_from(&path, &mut state)?;
        }
        total.add(&state.totals);
        files.insert(key, state);
    }
    cache.files = files;
    let bytes = serde_json::to_vec(&cache)?;
    // A lost cache only costs a full read next time.
    let _ = crate::fsutil::write_private_atomic(
        &cache_path,
        &bytes,
        crate::fsutil::Durability::Regenerated,
    );
    Ok(total)
}

fn transcripts(session_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(projects) = fs::read_dir(session_dir.join("projects")) else {
        return out;
    };
    for project in projects.flatten() {
        let Ok(entries) = fs::read_dir(project.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            } else if let Ok(agents) = fs::read_dir(path.join("subagents")) {
                out.extend(
                    agents
                        .flatten()
                        .map(|a| a.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "jsonl")),
                );
            }
        }
    }
    out.sort();
    out
}

fn read_from(path: &Path, state: &mut FileState) -> Result<()> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(state.offset))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            // End of file, or a line still being written.
            return Ok(());
        }
        state.offset += n as u64;
        match serde_json::from_slice::<Value>(&line) {
            Ok(record) => count(&record, state),
            Err(_) => state.totals.skipped_lines += 1,
        }
    }
}

fn count(record: &Value, state: &mut FileState) {
    let totals = &mut state.totals;
    totals.seen_at(record["timestamp"].as_str());
    let message = &record["message"];
    match record["type"].as_str() {
        Some("user") if record["isMeta"] != Value::Bool(true) => {
            let tool_results_only = message["content"].as_array().is_some_and(|blocks| {
                !blocks.is_empty() && blocks.iter().all(|b| b["type"] == "tool_result")
            });
            if !tool_results_only {
                totals.user_messages += 1;
            }
        }
        Some("assistant") => {
            if let Some(blocks) = message["content"].as_array() {
                for block in blocks.iter().filter(|b| b["type"] == "tool_use") {
                    let name = block["name"].as_str().unwrap_or("unknown");
                    *totals.tool_calls.entry(name.to_string()).or_default() += 1;
                }
            }
            let id = message["id"].as_str().map(str::to_string);
            if id.is_some() && id == state.last_message_id {
                return;
            }
            state.last_message_id = id;
            totals.assistant_messages += 1;
            let usage = &message["usage"];
            let n = |key: &str| usage[key].as_u64().unwrap_or(0);
            let model = message["model"].as_str().unwrap_or("unknown").to_string();
            totals.tokens.entry(model).or_default().add(&Tokens {
                input: n("input_tokens"),
                output: n("output_tokens"),
                cache_creation: n("cache_creation_input_tokens"),
                cache_read: n("cache_read_input_tokens"),
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TRANSCRIPT: &str = r#"{"type":"user","timestamp":"2026-01-01T10:00:00Z","message":{"role":"user","content":"hi"}}
{"type":"attachment","timestamp":"2026-01-01T10:00:00Z"}
{"type":"user","isMeta":true,"message":{"role":"user","content":"caveat"}}
{"type":"assistant","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m1","model":"opus","content":[{"type":"tool_use","name":"Read"}],"usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":5,"cache_read_input_tokens":1}}}
{"type":"assistant","timestamp":"2026-01-01T10:00:01Z","message":{"id":"m1","model":"opus","content":[{"type":"tool_use","name":"Bash"}],"usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":5,"cache_read_input_tokens":1}}}
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
}
