//! The index on temporary config dirs: what is found, what an update
//! reads, what is dropped.

use super::update::Updated;
use super::*;
use crate::util::timestamp::Timestamp;
use std::fs;
use std::io::Write;
use uuid::Uuid;

const CONV: &str = "11111111-1111-4111-8111-111111111111";

struct Fixture {
    root: tempfile::TempDir,
    index: Index,
    sources: Vec<Source>,
}

impl Fixture {
    /// A session (owner `alpha()`) and the base, with no transcripts.
    fn new() -> Fixture {
        let root = tempfile::tempdir().unwrap();
        let index = Index::open(&root.path().join("search.db")).unwrap();
        let sources = vec![
            Source {
                owner: Some(alpha()),
                dir: root.path().join("alpha"),
            },
            Source {
                owner: None,
                dir: root.path().join("base"),
            },
        ];
        Fixture {
            root,
            index,
            sources,
        }
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.root.path().join(relative)
    }

    /// Writes `lines` (each given its newline) to a file, replacing it.
    fn write(&self, relative: &str, lines: &[String]) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, lines.concat()).unwrap();
    }

    fn append(&self, relative: &str, text: &str) {
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(self.path(relative))
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    fn update(&mut self) -> Updated {
        self.index.update(&self.sources, |_| {}).unwrap()
    }

    /// "role snippet" of each hit, best first, after an update.
    fn find(&mut self, query: &str, roles: &[Role]) -> Vec<String> {
        self.update();
        self.hits(query, roles, None, None)
            .iter()
            .map(|h| format!("{} {}", h.role.name(), h.snippet.text))
            .collect()
    }

    fn hits(
        &self,
        query: &str,
        roles: &[Role],
        owner: Option<Uuid>,
        since: Option<Timestamp>,
    ) -> Vec<Hit> {
        let filter = Filter {
            roles,
            owner,
            since,
            limit: 50,
        };
        self.index.search(query, &filter).unwrap().hits
    }

    fn entries(&self) -> i64 {
        self.index
            .conn
            .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
            .unwrap()
    }
}

fn alpha() -> Uuid {
    Uuid::parse_str("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa").unwrap()
}

fn prompt(text: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({"type": "user", "timestamp": "2025-06-01T10:00:00Z", "cwd": "/w",
                           "message": {"role": "user", "content": text}})
    )
}

fn reply(text: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({"type": "assistant", "timestamp": "2025-06-01T10:00:01Z",
                           "message": {"content": [{"type": "text", "text": text}]}})
    )
}

fn conversation() -> String {
    format!("alpha/projects/-w/{CONV}.jsonl")
}

const TALK: [Role; 2] = [Role::User, Role::Assistant];

#[test]
fn every_record_type_and_only_what_was_said() {
    let mut f = Fixture::new();
    let lines = [
        prompt("how do we run the migration"),
        r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"migration thoughts"},{"type":"text","text":"in two migration steps"}]}}"#.to_string() + "\n",
        r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"run-migration --dry"}}]}}"#.to_string() + "\n",
        r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":"migration ok"}]},"toolUseResult":{"stdout":"migration ok"}}"#.to_string() + "\n",
        r#"{"type":"user","isMeta":true,"message":{"content":"migration caveat"}}"#.to_string() + "\n",
        r#"{"type":"user","message":{"content":"<command-name>/migration</command-name>"}}"#.to_string() + "\n",
        r#"{"type":"system","subtype":"turn_duration","content":"migration"}"#.to_string() + "\n",
        r#"{"type":"summary","summary":"the migration"}"#.to_string() + "\n",
        r#"{"type":"file-history-snapshot","snapshot":{"migration":1}}"#.to_string() + "\n",
        r#"{"type":"attachment","attachment":{"content":"migration"}}"#.to_string() + "\n",
        r#"{"type":"last-prompt","lastPrompt":"migration"}"#.to_string() + "\n",
        "not json at all migration\n".to_string(),
        "\u{0}\u{1}garbage\u{7f}\n".to_string(),
    ];
    f.write(&conversation(), &lines);
    let mut talk = f.find("migration", &TALK);
    talk.sort();
    assert_eq!(
        talk,
        [
            "assistant in two migration steps",
            "user how do we run the migration"
        ]
    );
    let mut tools = f.find("migration", &[Role::Tool]);
    tools.sort();
    assert_eq!(
        tools,
        ["tool Bash run-migration --dry", "tool migration ok"]
    );
    assert_eq!(f.find("migration", &Role::ALL).len(), 4);
    // The marks are the matched words, whatever their case and accents.
    f.write(&conversation(), &[reply("Le CAFÉ\n\tnaïf")]);
    f.update();
    let hits = f.hits("cafe naif", &TALK, None, None);
    let s = &hits[0].snippet;
    assert_eq!(s.text, "Le CAFÉ naïf");
    let marked: Vec<&str> = s.marks.iter().map(|m| &s.text[m.clone()]).collect();
    assert_eq!(marked, ["CAFÉ", "naïf"]);
    assert_eq!(hits[0].conversation, CONV);
    assert_eq!(hits[0].owner, Some(alpha()));
    assert!(!hits[0].agent);
}

#[test]
fn sub_agents_and_the_base_are_searched() {
    let mut f = Fixture::new();
    f.write(&conversation(), &[prompt("parent words")]);
    f.write(
        &format!("alpha/projects/-w/{CONV}/subagents/agent-a1.jsonl"),
        &[prompt("agent marker")],
    );
    let base_conv = "22222222-2222-4222-8222-222222222222";
    f.write(
        &format!("base/projects/-home-me/{base_conv}.jsonl"),
        &[reply("base marker")],
    );
    f.update();
    let agent = f.hits("agent marker", &TALK, None, None);
    assert_eq!(agent.len(), 1);
    assert!(agent[0].agent);
    assert_eq!(agent[0].conversation, CONV);
    let base = f.hits("marker", &TALK, None, None);
    assert_eq!(base.len(), 2);
    let base: Vec<&Hit> = base.iter().filter(|h| h.owner.is_none()).collect();
    assert_eq!(base.len(), 1);
    assert_eq!(base[0].conversation, base_conv);
    assert_eq!(
        f.hits("marker", &TALK, Some(alpha()), None).len(),
        1,
        "--session leaves the base out"
    );
}

#[test]
fn an_append_is_read_alone_and_a_cut_line_waits() {
    let mut f = Fixture::new();
    f.write(&conversation(), &[prompt("first words")]);
    let first = f.update();
    assert_eq!((first.files_read, first.entries_added), (1, 1));
    // Nothing changed: nothing read.
    assert_eq!(f.update(), Updated::default());
    let second = prompt("second words");
    let (head, rest) = second.split_at(20);
    f.append(&conversation(), head);
    let partial = f.update();
    assert_eq!((partial.files_read, partial.bytes_read), (1, 0));
    assert!(f.find("second", &TALK).is_empty());
    f.append(&conversation(), rest);
    let whole = f.update();
    assert_eq!(
        (whole.bytes_read, whole.entries_added),
        (second.len() as u64, 1)
    );
    assert_eq!(f.find("second", &TALK), ["user second words"]);
    assert_eq!(f.find("first", &TALK), ["user first words"]);
    assert_eq!(f.entries(), 2);
}

#[test]
fn a_replaced_or_rewritten_file_is_read_again() {
    let mut f = Fixture::new();
    f.write(
        &conversation(),
        &[prompt("old words"), prompt("more old words")],
    );
    assert_eq!(f.find("old", &TALK).len(), 2);
    // Replaced by rename: a new inode, longer than what was read.
    let new = f.path("new.jsonl");
    fs::write(
        &new,
        [
            prompt("new words"),
            prompt("more new words"),
            prompt("and more"),
        ]
        .concat(),
    )
    .unwrap();
    fs::rename(&new, f.path(&conversation())).unwrap();
    assert!(f.find("old", &TALK).is_empty());
    assert_eq!(f.find("new", &TALK).len(), 2);
    // Rewritten in place, the same inode, no shorter: the bytes before
    // the offset differ (in Claude's records, they hold a uuid and a time).
    let path = f.path(&conversation());
    let mut rewritten = [
        prompt("xyz words"),
        prompt("more xyz words"),
        prompt("and xyz"),
    ]
    .concat();
    rewritten.push_str(&prompt("then some"));
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .write_all(rewritten.as_bytes())
        .unwrap();
    assert!(f.find("new", &TALK).is_empty());
    assert_eq!(f.find("xyz", &TALK).len(), 3);
    // Truncated.
    f.write(&conversation(), &[prompt("short")]);
    assert!(f.find("xyz", &TALK).is_empty());
    assert_eq!(f.find("short", &TALK), ["user short"]);
    assert_eq!(f.entries(), 1);
}

#[test]
fn a_deleted_session_or_transcript_takes_its_entries() {
    let mut f = Fixture::new();
    f.write(&conversation(), &[prompt("doomed words")]);
    f.write("alpha/projects/-w/other.jsonl", &[prompt("doomed too")]);
    assert_eq!(f.find("doomed", &TALK).len(), 2);
    fs::remove_file(f.path("alpha/projects/-w/other.jsonl")).unwrap();
    assert_eq!(f.find("doomed", &TALK), ["user doomed words"]);
    // The session is gone from the sources (rm, cleanup): so are its words.
    f.sources.retain(|s| s.owner.is_none());
    let updated = f.update();
    assert_eq!(updated.files_dropped, 1);
    assert!(f.find("doomed", &TALK).is_empty());
    assert_eq!(f.entries(), 0);
}

#[test]
fn bad_queries_are_refused_and_odd_text_is_fine() {
    let mut f = Fixture::new();
    let long_word_line = format!("{} needle", "x".repeat(100_000));
    f.write(
        &conversation(),
        &[
            prompt("日本語のテキスト and émoji 🎉 unicode"),
            prompt(&long_word_line),
            prompt(&format!("{} beyond", "word ".repeat(MAX_TEXT / 5))),
            prompt("foo-bar and main.rs"),
        ],
    );
    f.update();
    for bad in [
        "foo-bar",
        "\"unclosed",
        "(",
        "a AND",
        "nocolumn:x",
        "",
        "   ",
        "NEAR(a b, x)",
    ] {
        let filter = Filter {
            roles: &TALK,
            owner: None,
            since: None,
            limit: 5,
        };
        let e = f
            .index
            .search(bad, &filter)
            .err()
            .unwrap_or_else(|| panic!("{bad}"));
        assert!(e.is::<BadQuery>(), "{bad}: {e:#}");
    }
    assert_eq!(f.find("\"foo-bar\"", &TALK).len(), 1);
    assert_eq!(f.find("\"main.rs\"", &TALK).len(), 1);
    assert_eq!(f.find("émoji", &TALK).len(), 1);
    assert_eq!(f.find("unicode", &Role::ALL).len(), 1);
    assert_eq!(f.find("needle", &TALK).len(), 1);
    // Past the indexed length: not found, and nothing failed.
    assert!(f.find("beyond", &TALK).is_empty());
}

#[test]
fn a_line_too_long_to_read_is_skipped() {
    let mut f = Fixture::new();
    let huge = prompt(&format!("{} hidden", "y".repeat(super::update::MAX_LINE)));
    f.write(&conversation(), &[prompt("before"), huge, prompt("after")]);
    let updated = f.update();
    assert_eq!(updated.entries_added, 2);
    assert_eq!(f.find("before OR after OR hidden", &TALK).len(), 2);
}

#[test]
fn filters_by_time_role_and_session() {
    let mut f = Fixture::new();
    let old = serde_json::json!({"type": "user", "timestamp": "2020-01-01T00:00:00Z",
                                 "message": {"content": "filtered old"}});
    f.write(
        &conversation(),
        &[
            format!("{old}\n"),
            prompt("filtered new"),
            reply("filtered reply"),
        ],
    );
    f.update();
    let since = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z");
    let recent = f.hits("filtered", &TALK, None, since);
    assert_eq!(recent.len(), 2);
    assert!(recent.iter().all(
        |h| h.time == Timestamp::parse_rfc3339("2025-06-01T10:00:00Z")
            || h.time == Timestamp::parse_rfc3339("2025-06-01T10:00:01Z")
    ));
    assert_eq!(f.hits("filtered", &[Role::Assistant], None, None).len(), 1);
    assert_eq!(
        f.hits("filtered", &TALK, Some(Uuid::new_v4()), None).len(),
        0
    );
    assert_eq!(f.hits("filtered", &TALK, Some(alpha()), None).len(), 3);
}

#[test]
fn a_common_word_is_ranked_among_its_newest_matches() {
    let mut f = Fixture::new();
    // Older and shorter (bm25 prefers them), then RANK_AMONG newer.
    f.write(
        "alpha/projects/-w/old.jsonl",
        &[prompt("common"), prompt("common")],
    );
    let old = fs::File::options()
        .write(true)
        .open(f.path("alpha/projects/-w/old.jsonl"))
        .unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .unwrap();
    let newer: Vec<String> = (0..RANK_AMONG)
        .map(|i| prompt(&format!("common word number {i} of many")))
        .collect();
    f.write("alpha/projects/-w/new.jsonl", &newer);
    f.update();
    let filter = Filter {
        roles: &TALK,
        owner: None,
        since: None,
        limit: 10,
    };
    let found = f.index.search("common", &filter).unwrap();
    assert!(found.newest_only);
    assert!(found.hits.iter().all(|h| h.path.ends_with("new.jsonl")));
    // A rarer query ranks every match: the short old ones win.
    let found = f.index.search("common NOT many", &filter).unwrap();
    assert!(!found.newest_only);
    assert_eq!(found.hits.len(), 2);
}

#[test]
fn concurrent_updates_index_each_line_once() {
    let f = Fixture::new();
    let lines: Vec<String> = (0..300).map(|i| prompt(&format!("line {i}"))).collect();
    for n in 0..6 {
        f.write(&format!("alpha/projects/-w/{n}.jsonl"), &lines);
    }
    let db = f.path("search.db");
    std::thread::scope(|scope| {
        for _ in 0..3 {
            let (db, sources) = (&db, &f.sources);
            scope.spawn(move || {
                let mut index = Index::open(db).unwrap();
                index.update(sources, |_| {}).unwrap();
            });
        }
    });
    assert_eq!(f.entries(), 6 * 300);
}

#[test]
fn an_index_of_another_version_is_emptied_and_a_fifo_is_skipped() {
    let mut f = Fixture::new();
    f.write(&conversation(), &[prompt("kept words")]);
    f.update();
    f.index
        .conn
        .execute_batch("PRAGMA user_version = 999")
        .unwrap();
    let path = f.path("search.db");
    f.index = Index::open(&path).unwrap();
    assert_eq!(f.entries(), 0);
    nix::unistd::mkfifo(
        &f.path("alpha/projects/-w/fifo.jsonl"),
        nix::sys::stat::Mode::S_IRWXU,
    )
    .unwrap();
    assert_eq!(f.find("kept", &TALK), ["user kept words"]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn the_rank_is_bm25_with_its_idf_counted_in_a_sample() {
    let mut f = Fixture::new();
    let lines: Vec<String> = [
        "alpha beta",
        "alpha alpha gamma",
        "beta",
        "alpha beta beta delta epsilon",
        "gamma delta",
        "alpha",
    ]
    .iter()
    .map(|t| prompt(t))
    .collect();
    f.write(&conversation(), &lines);
    f.update();
    let ranks = |sql: &str| -> Vec<(f64, f64)> {
        let mut stmt = f.index.conn.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for query in [
        "alpha",
        "alpha OR beta",
        "alpha beta",
        "{user} : (beta OR delta)",
    ] {
        let both = ranks(&format!(
            "SELECT bm25(fts), cs_rank(fts, 9223372036854775807, 0) FROM fts WHERE fts MATCH '{query}'"
        ));
        assert!(!both.is_empty(), "{query}");
        for (bm25, ours) in both {
            assert!((bm25 - ours).abs() < 1e-12, "{query}: {bm25} {ours}");
        }
    }
    // Counted in the first three rows, which lack "delta" (2 rows in 6):
    // it weighs more than bm25 makes it.
    let sampled = ranks(
        "SELECT bm25(fts), cs_rank(fts, 3, 3) FROM fts WHERE fts MATCH 'delta' ORDER BY rowid",
    );
    assert_eq!(sampled.len(), 2);
    assert!(
        sampled.iter().all(|(bm25, ours)| ours < bm25),
        "{sampled:?}"
    );
    // Without its arguments: every row, as bm25.
    let bare = ranks("SELECT bm25(fts), cs_rank(fts) FROM fts WHERE fts MATCH 'alpha'");
    assert!(bare.iter().all(|(a, b)| (a - b).abs() < 1e-12));
}
