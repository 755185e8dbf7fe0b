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
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const CACHE: &str = "stats-cache.json";
/// Bumped when the meaning of cached totals changes: old caches are dropped.
const CACHE_VERSION: u32 = 2;

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
    /// What this file counted first: message ids (one API response with
    /// several content blocks is several records with the full usage each;
    /// a forked or resumed conversation copies records into another file),
    /// tool-use ids and record uuids. Each counts once per session.
    #[serde(default)]
    keys: Vec<String>,
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
    let paths = transcripts(session_dir);
    let keys = |p: &PathBuf| {
        p.strip_prefix(session_dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let wanted: BTreeSet<String> = paths.iter().map(keys).collect();
    let mut dirty = cache.files.keys().any(|k| !wanted.contains(k));
    cache.files.retain(|k, _| wanted.contains(k));
    // Rewritten or truncated files are read again from the start.
    for path in &paths {
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if let Some(state) = cache.files.get_mut(&keys(path))
            && len < state.offset
        {
            *state = FileState::default();
            dirty = true;
        }
    }
    let mut seen: HashSet<String> = cache
        .files
        .values()
        .flat_map(|f| f.keys.iter().cloned())
        .collect();
    let mut total = Totals::default();
    for path in &paths {
        let state = cache.files.entry(keys(path)).or_default();
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if len > state.offset {
            let before = state.offset;
            read_from(path, state, &mut seen)?;
            dirty |= state.offset != before;
        }
        total.add(&state.totals);
    }
    if dirty {
        let bytes = serde_json::to_vec(&cache)?;
        // A lost cache only costs a full read next time.
        let _ = crate::util::fsutil::write_private_atomic(
            &cache_path,
            &bytes,
            crate::util::fsutil::Durability::Regenerated,
        );
    }
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

fn read_from(path: &Path, state: &mut FileState, seen: &mut HashSet<String>) -> Result<()> {
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
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => count(&record, state, seen),
            Err(_) => state.totals.skipped_lines += 1,
        }
    }
}

/// One transcript line, reading only the fields that are counted: the
/// text of messages (most of the bytes) is skipped, never allocated.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uuid: Option<Cow<'a, str>>,
    #[serde(rename = "isMeta", default)]
    is_meta: Option<bool>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    usage: Option<Usage>,
    /// Text content (a string) reads as no blocks.
    #[serde(borrow, default, deserialize_with = "blocks")]
    content: Vec<Block<'a>>,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

fn blocks<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Block<'de>>, D::Error> {
    struct Blocks;
    impl<'de> serde::de::Visitor<'de> for Blocks {
        type Value = Vec<Block<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a list of content blocks")
        }
        fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(block) = seq.next_element()? {
                out.push(block);
            }
            Ok(out)
        }
    }
    d.deserialize_any(Blocks)
}

/// Counts `key` once per session: true the first time it is seen.
fn first(key: Option<String>, state: &mut FileState, seen: &mut HashSet<String>) -> bool {
    let Some(key) = key else { return true };
    if seen.contains(&key) {
        return false;
    }
    seen.insert(key.clone());
    state.keys.push(key);
    true
}

fn count(record: &Record, state: &mut FileState, seen: &mut HashSet<String>) {
    state.totals.seen_at(record.timestamp.as_deref());
    let Some(message) = &record.message else {
        return;
    };
    match record.kind.as_deref() {
        Some("user") if record.is_meta != Some(true) => {
            let tool_results_only = !message.content.is_empty()
                && message
                    .content
                    .iter()
                    .all(|b| b.kind.as_deref() == Some("tool_result"));
            if !tool_results_only
                && first(record.uuid.as_ref().map(|u| format!("u:{u}")), state, seen)
            {
                state.totals.user_messages += 1;
            }
        }
        Some("assistant") => {
            for block in message
                .content
                .iter()
                .filter(|b| b.kind.as_deref() == Some("tool_use"))
            {
                if first(block.id.as_ref().map(|i| format!("t:{i}")), state, seen) {
                    let name = block.name.as_deref().unwrap_or("unknown");
                    *state.totals.tool_calls.entry(name.to_string()).or_default() += 1;
                }
            }
            if !first(message.id.as_ref().map(|i| format!("m:{i}")), state, seen) {
                return;
            }
            state.totals.assistant_messages += 1;
            let usage = message.usage.as_ref();
            let model = message.model.as_deref().unwrap_or("unknown").to_string();
            state.totals.tokens.entry(model).or_default().add(&Tokens {
                input: usage.map_or(0, |u| u.input_tokens),
                output: usage.map_or(0, |u| u.output_tokens),
                cache_creation: usage.map_or(0, |u| u.cache_creation_input_tokens),
                cache_read: usage.map_or(0, |u| u.cache_read_input_tokens),
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
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
