//! Finding a session's conversations: Claude Code writes each one to
//! `<config dir>/projects/<cwd slug>/<conversation id>.jsonl`, the slug
//! being the working directory with every character but ASCII letters and
//! digits made '-' (cut at 200 characters, a hash of the path appended).

use crate::claude::said::Kind;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use uuid::Uuid;

/// The longest slug Claude Code writes whole; longer ones are cut here and
/// get `-<hash>` appended.
const SLUG_MAX: usize = 200;

/// The project dir name Claude Code uses for `cwd`: exact up to
/// `SLUG_MAX`, else the cut prefix every such name starts with.
fn slug(cwd: &Path) -> (String, bool) {
    let mut slug = String::new();
    for c in cwd.to_string_lossy().chars() {
        match c {
            _ if c.is_ascii_alphanumeric() => slug.push(c),
            // Claude replaces UTF-16 code units: two for a character
            // beyond the Basic Multilingual Plane.
            _ if u32::from(c) > 0xFFFF => slug.push_str("--"),
            _ => slug.push('-'),
        }
    }
    match slug.len() > SLUG_MAX {
        true => (format!("{}-", &slug[..SLUG_MAX]), false),
        false => (slug, true),
    }
}

/// Whether `project` (a dir name under `projects/`) holds `cwd`'s conversations.
pub fn is_project_of(project: &str, cwd: &Path) -> bool {
    match slug(cwd) {
        (slug, true) => project == slug,
        (prefix, false) => project.starts_with(&prefix),
    }
}

/// The id of the most recently written conversation of `cwd` in the
/// session dir, if any: the one to continue. Only `cwd`'s own: Claude
/// Code resumes a conversation from the directory it belongs to, and one
/// of another directory (copied in by `migrate`, say) would be continued
/// in the wrong place. After `/clear` Claude continues under a new id, so
/// the newest one (not the session's first id) is the one to resume.
pub fn latest_conversation(session_dir: &Path, cwd: &Path) -> Option<Uuid> {
    latest_file(session_dir, cwd).map(|(_, id)| id)
}

/// The latest conversation of `cwd` (see `latest_conversation`), its file
/// and id.
fn latest_file(session_dir: &Path, cwd: &Path) -> Option<(PathBuf, Uuid)> {
    let mut newest: Option<(SystemTime, PathBuf, Uuid)> = None;
    for project in fs::read_dir(session_dir.join("projects")).ok()?.flatten() {
        let name = project.file_name();
        if !name.to_str().is_some_and(|n| is_project_of(n, cwd)) {
            continue;
        }
        for (modified, id) in conversations(&project.path()) {
            if newest.as_ref().is_none_or(|(t, _, _)| modified > *t) {
                newest = Some((modified, project.path().join(format!("{id}.jsonl")), id));
            }
        }
    }
    newest.map(|(_, path, id)| (path, id))
}

/// One thing said in a conversation: a prompt or a reply.
pub struct Said {
    /// "you" or "claude".
    pub who: &'static str,
    pub text: String,
}

/// `last_said` as lines of text, `you: ...` / `claude: ...`: the end of
/// the conversation of a session that has no screen to show.
pub fn said_lines(session_dir: &Path, cwd: &Path, n: usize) -> Vec<String> {
    last_said(session_dir, cwd, n)
        .into_iter()
        .flat_map(|said| {
            let mut lines: Vec<String> = said.text.lines().map(str::to_string).collect();
            if let Some(first) = lines.first_mut() {
                *first = format!("{}: {first}", said.who);
            }
            lines
        })
        .collect()
}

/// How much of a transcript's end is read for `last_said`: a few screens
/// of talk, whatever the file's size.
const TAIL: u64 = 1 << 20;

/// The last `n` prompts and replies of the latest conversation of `cwd`,
/// oldest first: what a session that is not running shows instead of its
/// screen. Tool calls, their results and Claude's own records are left out.
pub fn last_said(session_dir: &Path, cwd: &Path, n: usize) -> Vec<Said> {
    use std::io::{Read, Seek, SeekFrom};
    let Some((path, _)) = latest_file(session_dir, cwd) else {
        return Vec::new();
    };
    let Ok(mut file) = fs::File::open(&path) else {
        return Vec::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(TAIL);
    let mut tail = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut tail).is_err() {
        return Vec::new();
    }
    // A read that starts mid-file starts mid-line: that line is dropped.
    let lines = tail.split(|&b| b == b'\n').skip(usize::from(start > 0));
    let mut said: Vec<Said> = lines.filter_map(said_in).collect();
    let first = said.len().saturating_sub(n);
    said.split_off(first)
}

/// The prompt or reply a transcript line holds, if it holds one.
fn said_in(line: &[u8]) -> Option<Said> {
    let record = crate::claude::said::read(line)?;
    if record.sidechain {
        return None;
    }
    record.parts.into_iter().find_map(|part| {
        let who = match part.kind {
            Kind::Prompt => "you",
            Kind::Reply => "claude",
            Kind::ToolInput | Kind::ToolOutput => return None,
        };
        Some(Said {
            who,
            text: part.text.into_owned(),
        })
    })
}

/// One transcript file of a config dir.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub path: PathBuf,
    /// The conversation it belongs to: its own name, or for a sub-agent's
    /// file, the conversation that ran the sub-agent.
    pub conversation: String,
    /// A sub-agent's (`<conversation>/subagents/*.jsonl`).
    pub agent: bool,
}

/// Every transcript in a config dir: `projects/<slug>/<conversation>.jsonl`
/// and `projects/<slug>/<conversation>/subagents/*.jsonl`, sorted by path.
pub fn transcripts(config_dir: &Path) -> Vec<Transcript> {
    let mut out = Vec::new();
    let Ok(projects) = fs::read_dir(config_dir.join("projects")) else {
        return out;
    };
    let is_jsonl = |p: &Path| p.extension().is_some_and(|e| e == "jsonl");
    let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().into_owned());
    for project in projects.flatten() {
        let Ok(entries) = fs::read_dir(project.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if is_jsonl(&path) {
                if let Some(conversation) = stem(&path) {
                    out.push(Transcript {
                        path,
                        conversation,
                        agent: false,
                    });
                }
            } else if let Ok(agents) = fs::read_dir(path.join("subagents")) {
                let conversation = entry.file_name().to_string_lossy().into_owned();
                out.extend(
                    agents
                        .flatten()
                        .map(|a| a.path())
                        .filter(|p| is_jsonl(p))
                        .map(|path| Transcript {
                            path,
                            conversation: conversation.clone(),
                            agent: true,
                        }),
                );
            }
        }
    }
    out.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    out
}

/// Where a session holds conversation `id`.
#[derive(Debug, PartialEq)]
pub enum Held {
    /// Among `cwd`'s conversations: Claude can resume it there.
    InCwd,
    /// Among another directory's.
    Elsewhere,
    Nowhere,
}

/// Whether the session dir holds conversation `id`, and whether it is one
/// of `cwd`'s (the only ones Claude Code resumes from `cwd`).
pub fn holds(session_dir: &Path, cwd: &Path, id: Uuid) -> Held {
    let mut held = Held::Nowhere;
    for project in fs::read_dir(session_dir.join("projects"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if conversations(&project.path()).iter().any(|(_, c)| *c == id) {
            if project
                .file_name()
                .to_str()
                .is_some_and(|n| is_project_of(n, cwd))
            {
                return Held::InCwd;
            }
            held = Held::Elsewhere;
        }
    }
    held
}

/// Whether the session holds any conversation, of any directory.
pub fn has_conversation(session_dir: &Path) -> bool {
    fs::read_dir(session_dir.join("projects"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|project| !conversations(&project.path()).is_empty())
}

/// The conversations in one project dir, with their modification times.
fn conversations(project: &Path) -> Vec<(SystemTime, Uuid)> {
    let Ok(files) = fs::read_dir(project) else {
        return Vec::new();
    };
    files
        .flatten()
        .filter_map(|file| {
            let name = file.file_name();
            let id = Uuid::parse_str(name.to_str()?.strip_suffix(".jsonl")?).ok()?;
            let meta = file.metadata().ok()?;
            // An empty file holds no conversation Claude could resume.
            (meta.is_file() && meta.len() > 0)
                .then(|| (meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write(dir: &Path, project: &str, id: Uuid, age_secs: u64) {
        let project = dir.join("projects").join(project);
        fs::create_dir_all(&project).unwrap();
        let path = project.join(format!("{id}.jsonl"));
        fs::write(&path, "{}\n").unwrap();
        let when = SystemTime::now() - std::time::Duration::from_secs(age_secs);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    #[test]
    fn picks_the_newest_transcript_of_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = PathBuf::from("/home/me/my project.v2");
        assert_eq!(latest_conversation(dir.path(), &cwd), None);
        assert!(!has_conversation(dir.path()));
        let (old, new, elsewhere) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        write(dir.path(), "-home-me-my-project-v2", old, 60);
        write(dir.path(), "-home-me-my-project-v2", new, 30);
        // Newer, but another directory's: never the one to continue.
        write(dir.path(), "-home-me-other", elsewhere, 0);
        let project = dir.path().join("projects/-home-me-my-project-v2");
        fs::write(project.join("not-a-uuid.jsonl"), "{}\n").unwrap();
        fs::write(project.join(format!("{}.jsonl", Uuid::new_v4())), "").unwrap();
        assert_eq!(latest_conversation(dir.path(), &cwd), Some(new));
        assert!(has_conversation(dir.path()));
        assert_eq!(
            latest_conversation(dir.path(), Path::new("/home/me/other")),
            Some(elsewhere)
        );
    }

    #[test]
    fn what_was_said_last_is_read_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = PathBuf::from("/w");
        let id = Uuid::new_v4();
        write(dir.path(), "-w", id, 0);
        let lines = [
            r#"{"type":"user","message":{"role":"user","content":"first question"}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"first answer"}]}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Read"}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","content":"x"}]}}"#,
            r#"{"type":"user","isMeta":true,"message":{"content":"caveat"}}"#,
            r#"{"type":"user","message":{"content":"<command-name>/clear</command-name>"}}"#,
            r#"{"type":"system","subtype":"turn_duration"}"#,
            "not json",
            r#"{"type":"user","message":{"content":"second question"}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"second answer"}]}}"#,
        ];
        let path = dir.path().join(format!("projects/-w/{id}.jsonl"));
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        let said: Vec<String> = last_said(dir.path(), &cwd, 3)
            .into_iter()
            .map(|s| format!("{}: {}", s.who, s.text))
            .collect();
        assert_eq!(
            said,
            [
                "claude: first answer",
                "you: second question",
                "claude: second answer"
            ]
        );
        assert!(last_said(dir.path(), Path::new("/elsewhere"), 3).is_empty());
    }

    #[test]
    fn a_long_directory_matches_its_cut_slug() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = PathBuf::from(format!("/{}", "d".repeat(250)));
        let id = Uuid::new_v4();
        let cut: String = format!("-{}", "d".repeat(250))
            .chars()
            .take(SLUG_MAX)
            .collect();
        write(dir.path(), &format!("{cut}-1x2y3z"), id, 0);
        assert_eq!(latest_conversation(dir.path(), &cwd), Some(id));
    }
}
