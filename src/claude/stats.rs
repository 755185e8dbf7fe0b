//! Per-session statistics read from Claude Code's transcripts
//! (`projects/<slug>/<conversation>.jsonl`, and sub-agents' files in
//! `projects/<slug>/<conversation>/subagents/`).
//!
//! Incremental: the byte offset read in each file is kept in
//! `<session>/stats-cache.json` with that file's totals, so a second run
//! reads only what was appended. A line that does not parse is counted as
//! skipped; a last line without its newline is left for the next run.
//!
//! Beside the cache, `<session>/stats-summary.json` holds the few figures
//! `list --json` shows (token totals, the latest reply's model), so a list
//! of many sessions reads one small file each and no transcript.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const CACHE: &str = "stats-cache.json";
const SUMMARY: &str = "stats-summary.json";
/// Bumped when the meaning of cached totals changes: old caches are dropped.
const CACHE_VERSION: u32 = 3;

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
    /// The model of the latest reply: `/model` changes it mid-session.
    #[serde(default)]
    pub latest_model: Option<ModelSeen>,
}

/// A model, and when a reply of it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSeen {
    pub model: String,
    /// The record's RFC 3339 timestamp ("" if it had none).
    pub at: String,
}

/// What `show` and `list` show of a session's transcripts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Tokens of every model together.
    pub tokens: Tokens,
    /// The model of the latest reply.
    pub model: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct SummaryFile {
    version: u32,
    #[serde(flatten)]
    summary: Summary,
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
        if let Some(seen) = &other.latest_model {
            self.saw_model(seen);
        }
    }

    pub fn summary(&self) -> Summary {
        Summary {
            tokens: self.all_tokens(),
            model: self.latest_model.as_ref().map(|m| m.model.clone()),
        }
    }

    /// Keeps the later of the two (the newer file's on a tie).
    fn saw_model(&mut self, seen: &ModelSeen) {
        if self.latest_model.as_ref().is_none_or(|m| seen.at >= m.at) {
            self.latest_model = Some(seen.clone());
        }
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
    let mut cache: Cache =
        crate::util::fsutil::read_bounded(&cache_path, crate::util::fsutil::MAX_CONFIG)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|c: &Cache| c.version == CACHE_VERSION)
            .unwrap_or_default();
    cache.version = CACHE_VERSION;
    let paths: Vec<PathBuf> = crate::claude::transcript::transcripts(session_dir)
        .into_iter()
        .map(|t| t.path)
        .collect();
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
    let lengths: Vec<u64> = paths
        .iter()
        .map(|p| fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .collect();
    let mut grown = false;
    for (path, &len) in paths.iter().zip(&lengths) {
        match cache.files.get_mut(&keys(path)) {
            Some(state) if len < state.offset => {
                *state = FileState::default();
                dirty = true;
                grown |= len > 0;
            }
            Some(state) => grown |= len > state.offset,
            None => grown |= len > 0,
        }
    }
    // What was counted, to count nothing twice: only needed to read new
    // lines (a call that finds none, the usual hook at a turn's end in a
    // quiet session, skips hashing every key).
    let mut seen: HashSet<String> = if grown {
        cache
            .files
            .values()
            .flat_map(|f| f.keys.iter().cloned())
            .collect()
    } else {
        HashSet::new()
    };
    let mut total = Totals::default();
    for (path, &len) in paths.iter().zip(&lengths) {
        let state = cache.files.entry(keys(path)).or_default();
        if len > state.offset {
            let before = state.offset;
            read_from(path, state, &mut seen)?;
            dirty |= state.offset != before;
        }
        total.add(&state.totals);
    }
    // A lost cache only costs a full read next time; a lost summary, that
    // `list` shows no figures until the next read.
    let write = |path: &Path, bytes: Vec<u8>| {
        let _ = crate::util::fsutil::write_private_atomic(
            path,
            &bytes,
            crate::util::fsutil::Durability::Regenerated,
        );
    };
    if dirty {
        write(&cache_path, serde_json::to_vec(&cache)?);
    }
    let summary_path = session_dir.join(SUMMARY);
    if dirty || !summary_path.exists() {
        let file = SummaryFile {
            version: CACHE_VERSION,
            summary: total.summary(),
        };
        write(&summary_path, serde_json::to_vec(&file)?);
    }
    Ok(total)
}

/// The summary as of the last read of the transcripts (by `show`, `stats`
/// or the hook at the end of each turn), without reading them: one small
/// file. None if they were never read by this version.
pub fn cached_summary(session_dir: &Path) -> Option<Summary> {
    let bytes = fs::read(session_dir.join(SUMMARY)).ok()?;
    let file: SummaryFile = serde_json::from_slice(&bytes).ok()?;
    (file.version == CACHE_VERSION).then_some(file.summary)
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
            // Claude Code writes "<synthetic>" for replies no model gave (an
            // interruption, an API error).
            if let Some(model) = message.model.as_deref().filter(|m| !m.starts_with('<')) {
                state.totals.saw_model(&ModelSeen {
                    model: model.to_string(),
                    at: record.timestamp.as_deref().unwrap_or("").to_string(),
                });
            }
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
mod tests;
