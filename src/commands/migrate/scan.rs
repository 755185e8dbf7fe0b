//! Reading the base: its project dirs (Claude Code's grouping of
//! conversations by working directory, `projects/<slug>/`), the directory
//! each belongs to, and every file of each of its conversations: the
//! transcript and its sub-agent dir, and what Claude keeps elsewhere under
//! the conversation's id (`todos/<id>-agent-*.json`, `tasks/<id>/`,
//! `file-history/<id>/`) or under the plan slug its records carry
//! (`plans/<slug>.md`, `plans/<slug>-agent-*.md`).

use super::copy::{Item, Source};
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Transcript lines longer than this are skipped, not held in memory (a
/// line is one record; the longest real ones, with images, are a few MB).
const MAX_LINE: u64 = 64 << 20;

/// Plan slugs are Claude's generated words (`sparkling-wobbling-kettle`);
/// anything else in a record is not used as a file name.
const MAX_SLUG: usize = 100;

pub struct Project {
    /// The dir's name under `projects/`.
    pub name: String,
    /// The working directory its conversations ran in, if a record says.
    pub cwd: Option<PathBuf>,
    /// Its files and its conversations' (paths relative to the base).
    pub files: Vec<Item>,
    pub links_skipped: u64,
}

/// Every project dir of the base, by name.
pub fn projects(base: &Path) -> Result<Vec<Project>> {
    let root = base.join("projects");
    let names = match fs::read_dir(&root) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect::<BTreeSet<_>>(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", root.display())),
    };
    let elsewhere = Elsewhere::read(base);
    names
        .into_iter()
        .map(|name| project(base, name, &elsewhere))
        .collect()
}

fn project(base: &Path, name: String, elsewhere: &Elsewhere) -> Result<Project> {
    let rel = Path::new("projects").join(&name);
    let mut files = Vec::new();
    let mut links_skipped = 0;
    walk(base, &rel, None, &mut files, &mut links_skipped)?;
    let mut conversations = BTreeSet::new();
    for item in &mut files {
        item.conversation = conversation_of(&item.rel);
        conversations.extend(item.conversation);
    }
    let mut cwd = None;
    let mut extra = Vec::new();
    for &id in &conversations {
        let transcript = base.join(&rel).join(format!("{id}.jsonl"));
        let found = read_transcript(&transcript, &name, cwd.is_none(), elsewhere.has_plans)?;
        cwd = cwd.or(found.cwd);
        for rel in elsewhere.of(id, found.slug.as_deref()) {
            walk(base, &rel, Some(id), &mut extra, &mut links_skipped)?;
        }
    }
    files.extend(extra);
    Ok(Project {
        name,
        cwd,
        files,
        links_skipped,
    })
}

/// The conversation a file below `projects/<slug>/` belongs to: its
/// transcript `<id>.jsonl`, or anything in its dir `<id>/` (sub-agents,
/// tool results). Other files there (`memory/`) are the project's.
pub fn conversation_of(rel: &Path) -> Option<Uuid> {
    let mut parts = rel.components().skip(2);
    let first = parts.next()?.as_os_str().to_str()?;
    let id = match parts.next() {
        Some(_) => first,
        None => first.strip_suffix(".jsonl")?,
    };
    Uuid::parse_str(id).ok()
}

/// The names in the base's dirs that Claude keys by conversation id or
/// plan slug, listed once.
struct Elsewhere {
    todos: Vec<String>,
    plans: Vec<String>,
    has_plans: bool,
}

impl Elsewhere {
    fn read(base: &Path) -> Self {
        let names = |dir: &str| -> Vec<String> {
            let mut names: Vec<String> = fs::read_dir(base.join(dir))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .collect();
            names.sort();
            names
        };
        let plans = names("plans");
        Self {
            todos: names("todos"),
            has_plans: !plans.is_empty(),
            plans,
        }
    }

    /// The paths (relative to the base) of conversation `id`'s entries.
    fn of(&self, id: Uuid, slug: Option<&str>) -> Vec<PathBuf> {
        let id = id.to_string();
        let mut paths: Vec<PathBuf> = self
            .todos
            .iter()
            .filter(|n| n.starts_with(&id))
            .map(|n| Path::new("todos").join(n))
            .collect();
        paths.push(Path::new("tasks").join(&id));
        paths.push(Path::new("file-history").join(&id));
        if let Some(slug) = slug {
            let agent = format!("{slug}-agent-");
            paths.extend(
                self.plans
                    .iter()
                    .filter(|n| {
                        n.strip_suffix(".md")
                            .is_some_and(|s| s == slug || s.starts_with(&agent))
                    })
                    .map(|n| Path::new("plans").join(n)),
            );
        }
        paths
    }
}

/// Adds the regular files at or below `base/rel` (a missing path adds
/// nothing); links are counted, never followed.
fn walk(
    base: &Path,
    rel: &Path,
    conversation: Option<Uuid>,
    out: &mut Vec<Item>,
    links: &mut u64,
) -> Result<()> {
    let path = base.join(rel);
    let meta = match fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if meta.file_type().is_symlink() {
        *links += 1;
    } else if meta.is_file() {
        out.push(Item {
            source: Source {
                path,
                len: meta.len(),
                modified: meta.modified()?,
            },
            rel: rel.to_path_buf(),
            conversation,
        });
    } else if meta.is_dir() {
        let mut names: Vec<_> = fs::read_dir(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for name in names {
            walk(base, &rel.join(name), conversation, out, links)?;
        }
    }
    Ok(())
}

/// Calls `each` with every line of `file` (without its newline) until it
/// returns false. Lines longer than `MAX_LINE` are skipped unread.
pub fn lines(file: File, mut each: impl FnMut(&[u8]) -> bool) -> std::io::Result<()> {
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if read as u64 == MAX_LINE {
            reader.skip_until(b'\n')?;
            continue;
        }
        if !each(&line) {
            return Ok(());
        }
    }
}

#[derive(Default, Debug, PartialEq)]
struct Found {
    cwd: Option<PathBuf>,
    slug: Option<String>,
}

/// Reads a transcript until it has found what is asked: the first `cwd`
/// that is `project`'s directory (a record's `cwd` follows a `cd`; the
/// project dir is named after the directory Claude started in), and the
/// plan slug.
fn read_transcript(path: &Path, project: &str, want_cwd: bool, want_slug: bool) -> Result<Found> {
    let mut found = Found::default();
    if !want_cwd && !want_slug {
        return Ok(found);
    }
    let file = match super::copy::open_regular(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let cwd_key = memchr::memmem::Finder::new(b"\"cwd\"");
    let slug_key = memchr::memmem::Finder::new(b"\"slug\"");
    lines(file, |line| {
        let has_cwd = want_cwd && found.cwd.is_none() && cwd_key.find(line).is_some();
        let has_slug = want_slug && found.slug.is_none() && slug_key.find(line).is_some();
        if has_cwd || has_slug {
            let record: serde_json::Value = serde_json::from_slice(line).unwrap_or_default();
            if has_cwd {
                found.cwd = record["cwd"]
                    .as_str()
                    .map(PathBuf::from)
                    .filter(|cwd| crate::claude::transcript::is_project_of(project, cwd));
            }
            if has_slug {
                found.slug = record["slug"]
                    .as_str()
                    .filter(|s| {
                        !s.is_empty()
                            && s.len() <= MAX_SLUG
                            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    })
                    .map(str::to_string);
            }
        }
        (want_cwd && found.cwd.is_none()) || (want_slug && found.slug.is_none())
    })
    .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "11111111-2222-4333-8444-555555555555";
    const B: &str = "22222222-2222-4333-8444-555555555555";

    fn write(base: &Path, rel: &str, text: &str) {
        let path = base.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn a_project_is_its_dir_and_what_its_conversations_keep_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        let p = "projects/-home-me-app";
        // The first record is of a subdirectory (a `cd`): not the project's.
        write(
            base,
            &format!("{p}/{A}.jsonl"),
            "{\"cwd\":\"/home/me/app/sub\"}\nnot json \"cwd\":\"\n{\"cwd\":\"/home/me/app\",\"slug\":\"happy-blue-fox\"}\n",
        );
        write(base, &format!("{p}/{A}/subagents/agent-1.jsonl"), "{}\n");
        write(base, &format!("{p}/memory/MEMORY.md"), "m");
        write(base, &format!("todos/{A}-agent-{A}.json"), "[]");
        write(base, &format!("todos/{B}-agent-{B}.json"), "[]");
        write(base, &format!("tasks/{A}/1.json"), "{}");
        write(base, &format!("file-history/{A}/abc@v1"), "x");
        write(base, &format!("file-history/{B}/abc@v1"), "x");
        write(base, "plans/happy-blue-fox.md", "plan");
        write(base, "plans/happy-blue-fox-agent-a1.md", "plan");
        write(base, "plans/happy-blue-foxes.md", "another's");
        write(base, "projects/-home-me-other/x.txt", "");
        std::os::unix::fs::symlink("/etc", base.join(p).join("link")).unwrap();

        let projects = projects(base).unwrap();
        assert_eq!(projects.len(), 2);
        let app = &projects[0];
        assert_eq!(app.name, "-home-me-app");
        assert_eq!(app.cwd.as_deref(), Some(Path::new("/home/me/app")));
        assert_eq!(app.links_skipped, 1);
        let a = Uuid::parse_str(A).unwrap();
        let files: Vec<(String, Option<Uuid>)> = app
            .files
            .iter()
            .map(|i| (i.rel.to_str().unwrap().to_string(), i.conversation))
            .collect();
        let mine = |rel: String| (rel, Some(a));
        assert_eq!(
            files,
            [
                mine(format!("{p}/{A}/subagents/agent-1.jsonl")),
                mine(format!("{p}/{A}.jsonl")),
                (format!("{p}/memory/MEMORY.md"), None),
                mine(format!("todos/{A}-agent-{A}.json")),
                mine(format!("tasks/{A}/1.json")),
                mine(format!("file-history/{A}/abc@v1")),
                mine("plans/happy-blue-fox-agent-a1.md".into()),
                mine("plans/happy-blue-fox.md".into()),
            ]
        );
        // No record says where it ran: no directory.
        assert_eq!(projects[1].cwd, None);
        assert_eq!(projects[1].files[0].conversation, None);
    }

    #[test]
    fn records_need_not_be_compact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        fs::write(&path, "{\"slug\": \"a-b\", \"cwd\": \"/w x\"}\n").unwrap();
        let found = read_transcript(&path, "-w-x", true, true).unwrap();
        assert_eq!(found.cwd.as_deref(), Some(Path::new("/w x")));
        assert_eq!(found.slug.as_deref(), Some("a-b"));
    }

    #[test]
    fn a_slug_that_is_not_plain_words_is_not_a_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        fs::write(&path, "{\"slug\":\"../../etc/passwd\"}\n").unwrap();
        assert_eq!(
            read_transcript(&path, "-x", false, true).unwrap().slug,
            None
        );
    }
}
