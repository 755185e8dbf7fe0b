//! `claude-session search QUERY`: the words of every session's
//! conversations, and of the base's own, best matches first, each with the
//! command that continues its conversation (see `crate::search`).

use crate::cli::{GlobalArgs, SearchArgs, SearchRole, UsageError};
use crate::search::{BadQuery, Filter, Hit, Index, Role, Source};
use crate::store::layout::Layout;
use crate::util::output::say;
use crate::util::timestamp::Timestamp;
use crate::view::safe;
use anyhow::Result;
use serde::Serialize;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use uuid::Uuid;

/// An update that reads more than this says so first, on a terminal: the
/// first search of a large store takes a while.
const LOUD: u64 = 100_000_000;

pub fn run(global: &GlobalArgs, args: SearchArgs) -> Result<ExitCode> {
    let store = super::open_store(global)?;
    let layout = &store.layout;
    let sessions = store.registry.all()?;
    let owner = match &args.session {
        Some(reference) => Some(crate::store::resolve::resolve(&store.registry, reference)?),
        None => None,
    };
    let since = match args.since {
        Some(age) => Some(
            Timestamp::now()
                .to_system_time()
                .checked_sub(age)
                .map(Timestamp::from_system_time)
                .ok_or_else(|| UsageError("--since goes back too far".into()))?,
        ),
        None => None,
    };
    let path = layout.search_index();
    if args.rebuild {
        Index::delete(&path)?;
    }
    let mut index = Index::open(&path)?;
    let mut sources: Vec<Source> = sessions
        .iter()
        .map(|s| Source {
            owner: Some(s.session_id),
            dir: layout.session_dir(s.session_id),
        })
        .collect();
    sources.push(Source {
        owner: None,
        dir: layout.base.clone(),
    });
    let updated = index.update(&sources, |bytes| {
        if bytes >= LOUD && std::io::stderr().is_terminal() {
            say(&format!(
                "indexing {} of transcripts (later searches read only what changed)",
                crate::util::output::human_bytes(bytes)
            ));
        }
    })?;
    if args.rebuild {
        say(&format!(
            "indexed {} transcripts ({}) in {}",
            updated.files_read,
            crate::util::output::human_bytes(updated.bytes_read),
            path.display()
        ));
    }
    if args.query.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let query = args.query.join(" ");
    let roles = match args.role {
        Some(SearchRole::User) => vec![Role::User],
        Some(SearchRole::Assistant) => vec![Role::Assistant],
        Some(SearchRole::Tool) => vec![Role::Tool],
        None if args.tools => Role::ALL.to_vec(),
        None => vec![Role::User, Role::Assistant],
    };
    let filter = Filter {
        roles: &roles,
        owner: owner.map(|s| s.session_id),
        since,
        limit: usize::from(args.limit),
    };
    let found = match index.search(&query, &filter) {
        Err(e) if e.is::<BadQuery>() => return Err(bad_query(&query, &e.to_string()).into()),
        found => found?,
    };
    let names: HashMap<Uuid, &str> = sessions
        .iter()
        .map(|s| (s.session_id, s.session_name.as_str()))
        .collect();
    let results: Vec<Shown> = found
        .hits
        .iter()
        .map(|hit| Shown::of(layout, &names, hit))
        .collect();
    if args.json {
        crate::util::output::emit_json(&results)?;
    } else if results.is_empty() {
        say(&format!("nothing found for {}", safe(&query)));
    } else {
        let color = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let now = Timestamp::now();
        let text: Vec<String> = results.iter().map(|r| r.text(now, color)).collect();
        crate::util::output::emit(&text.join("\n"))?;
        if found.newest_only {
            say(&format!(
                "a common query: only its newest {} matches were ranked (add words, or --since, --session, --role)",
                crate::search::RANK_AMONG
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A query FTS5 refused: why, and the query with each word that holds
/// punctuation quoted, ready to run.
fn bad_query(query: &str, why: &str) -> UsageError {
    let quoted: Vec<String> = words(query).into_iter().map(quote_word).collect();
    let quoted = quoted.join(" ");
    if quoted == query || query.trim().is_empty() {
        return UsageError(format!("cannot search for {}: {why}", safe(query)));
    }
    UsageError(format!(
        "cannot search for {}: {}; quote words that hold punctuation: claude-session search {}",
        safe(query),
        safe(why),
        safe(&shell_quote(&quoted))
    ))
}

/// The query's words: split at whitespace, but a phrase in double quotes
/// (`""` in it is a quote) is one word, and so is the rest of an unclosed
/// one.
fn words(query: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut rest = query.trim_start();
    while !rest.is_empty() {
        let end = match rest.starts_with('"') {
            true => closing_quote(rest).map_or(rest.len(), |i| i + 1),
            false => rest.find(char::is_whitespace).unwrap_or(rest.len()),
        };
        words.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    words
}

/// Where the phrase that `text` starts closes: the first `"` after the
/// opening one that is not doubled.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'"', Some(b'"')) => i += 2,
            (b'"', _) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// A word as FTS5 reads it literally: kept if it already is a bare word
/// (letters, digits, `_`, a final `*`), an operator or a phrase; else
/// quoted.
fn quote_word(word: &str) -> String {
    let bare = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii())
    };
    let phrase = word.starts_with('"') && closing_quote(word) == Some(word.len() - 1);
    if matches!(word, "AND" | "OR" | "NOT")
        || phrase
        || bare(word.strip_suffix('*').unwrap_or(word))
    {
        return word.to_string();
    }
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// `text` as one word for a POSIX shell: as it is if nothing in it is
/// special, else in single quotes.
fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c));
    if plain {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// One result, as `--json` prints it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shown {
    /// The session's name; null for the base's own conversations.
    session: Option<String>,
    session_id: Option<String>,
    /// One of the base's own conversations (`<base>/projects`).
    base: bool,
    conversation: String,
    /// Said in a sub-agent's transcript (of that conversation).
    subagent: bool,
    role: &'static str,
    time: Option<String>,
    /// On one line; `highlights` are the matched words, as [start, end)
    /// character offsets into it.
    snippet: String,
    highlights: Vec<[usize; 2]>,
    /// bm25: lower is a better match.
    rank: f64,
    cwd: Option<String>,
    transcript: String,
    /// The command that continues the conversation; null if none can.
    resume: Option<String>,
}

impl Shown {
    fn of(layout: &Layout, names: &HashMap<Uuid, &str>, hit: &Hit) -> Shown {
        let name = hit
            .owner
            .and_then(|id| names.get(&id))
            .map(|n| n.to_string());
        let conversation = Uuid::parse_str(&hit.conversation).ok();
        let resume = match (&name, conversation) {
            (Some(name), Some(id)) => Some(format!(
                "claude-session resume {} --conversation {id}",
                shell_quote(name)
            )),
            (None, Some(id)) if hit.owner.is_none() => hit.cwd.as_ref().map(|cwd| {
                // The base is Claude's own dir: Claude finds it by itself
                // unless it is elsewhere than ~/.claude.
                let config = match layout.base == layout.home.join(".claude") {
                    true => String::new(),
                    false => format!(
                        "CLAUDE_CONFIG_DIR={} ",
                        shell_quote(&layout.base.to_string_lossy())
                    ),
                };
                format!("cd {} && {config}claude --resume {id}", shell_quote(cwd))
            }),
            _ => None,
        };
        let snippet = &hit.snippet;
        let chars = |byte: usize| snippet.text[..byte].chars().count();
        Shown {
            session: name,
            session_id: hit.owner.map(|u| u.to_string()),
            base: hit.owner.is_none(),
            conversation: hit.conversation.clone(),
            subagent: hit.agent,
            role: hit.role.name(),
            time: hit.time.map(|t| t.to_string()),
            snippet: snippet.text.clone(),
            highlights: snippet
                .marks
                .iter()
                .map(|m| [chars(m.start), chars(m.end)])
                .collect(),
            rank: hit.rank,
            cwd: hit.cwd.clone(),
            transcript: hit.path.to_string_lossy().into_owned(),
            resume,
        }
    }

    /// Three lines: who, when; the snippet; the command that continues.
    fn text(&self, now: Timestamp, color: bool) -> String {
        let paint = |text: &str, code: &str| match color {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_string(),
        };
        let who = match (&self.session, self.base) {
            (Some(name), _) => safe(name).into_owned(),
            (None, true) => "(base)".to_string(),
            (None, false) => "(a removed session)".to_string(),
        };
        let when = self
            .time
            .as_deref()
            .and_then(Timestamp::parse_rfc3339)
            .map_or_else(|| "at an unknown time".to_string(), |t| t.ago(now));
        let role = match self.subagent {
            true => format!("{} (sub-agent)", self.role),
            false => self.role.to_string(),
        };
        let short: String = self.conversation.chars().take(8).collect();
        let mut out = format!(
            "{}  {role}  {when}  conversation {}\n",
            paint(&who, "1"),
            safe(&short)
        );
        // The snippet, its matched words painted, each piece made safe.
        let chars: Vec<char> = self.snippet.chars().collect();
        let mut snippet = String::new();
        let mut at = 0;
        for [start, end] in &self.highlights {
            let piece: String = chars[at..*start].iter().collect();
            snippet.push_str(&safe(&piece));
            let word: String = chars[*start..*end].iter().collect();
            snippet.push_str(&match color {
                true => paint(&safe(&word), "1;31"),
                false => safe(&word).into_owned(),
            });
            at = *end;
        }
        let rest: String = chars[at..].iter().collect();
        snippet.push_str(&safe(&rest));
        out.push_str(&format!("    {snippet}\n"));
        if let Some(resume) = &self.resume {
            out.push_str(&format!("    {}\n", safe(resume)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_three_lines_its_match_painted_its_text_made_safe() {
        let shown = Shown {
            session: Some("api\u{1b}[2J".into()),
            session_id: None,
            base: false,
            conversation: "0bbbbbbb-0000-4000-8000-000000000001".into(),
            subagent: true,
            role: "assistant",
            time: Some("2026-01-01T00:00:00Z".into()),
            snippet: "é \u{1b}]52;c;x\u{7} migration done".into(),
            highlights: vec![[12, 21]],
            rank: -1.0,
            cwd: None,
            transcript: String::new(),
            resume: Some("claude-session resume api --conversation 0bbbbbbb".into()),
        };
        let now = Timestamp::parse_rfc3339("2026-01-03T00:00:00Z").unwrap();
        assert_eq!(
            shown.text(now, false),
            "api\\x1b[2J  assistant (sub-agent)  2 d ago  conversation 0bbbbbbb\n    é \\x1b]52;c;x\\x07 migration done\n    claude-session resume api --conversation 0bbbbbbb\n"
        );
        assert_eq!(
            shown.text(now, true),
            "\x1b[1mapi\\x1b[2J\x1b[0m  assistant (sub-agent)  2 d ago  conversation 0bbbbbbb\n    é \\x1b]52;c;x\\x07 \x1b[1;31mmigration\x1b[0m done\n    claude-session resume api --conversation 0bbbbbbb\n"
        );
    }

    #[test]
    fn a_bad_query_shows_how_to_quote_it() {
        let e = bad_query("foo-bar main.rs OR x*", "fts5: syntax error near \"-\"");
        assert_eq!(
            e.0,
            r#"cannot search for foo-bar main.rs OR x*: fts5: syntax error near "-"; quote words that hold punctuation: claude-session search '"foo-bar" "main.rs" OR x*'"#
        );
        assert_eq!(
            words(r#" a "two words" "say ""hi""" "open"#),
            ["a", r#""two words""#, r#""say ""hi""""#, r#""open"#]
        );
        assert_eq!(quote_word(r#""a phrase""#), r#""a phrase""#);
        assert_eq!(quote_word(r#"say"#), "say");
        assert_eq!(quote_word(r#"it's"#), r#""it's""#);
        assert_eq!(quote_word(r#""open"#), r#""""open""#);
        assert_eq!(quote_word("café"), "café");
        assert_eq!(shell_quote(r#"it's"#), r#"'it'\''s'"#);
        assert_eq!(
            bad_query("   ", "the query is empty").0,
            "cannot search for    : the query is empty"
        );
    }
}
