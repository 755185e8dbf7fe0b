//! What `migrate` did, or would do: per session what was made or reused
//! and what each file needed; `--json` prints it as it is, the text says
//! it in a few lines per session (a dry run: per conversation).

use super::copy::{Action, Done};
use super::history::Lines;
use crate::store::layout::Layout;
use crate::store::session::short_id;
use crate::util::output::human_bytes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The base (or the seed dir) copied from.
    pub from: PathBuf,
    pub dry_run: bool,
    pub sessions: Vec<SessionReport>,
    pub skipped: Vec<Skipped>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionReport {
    pub session_name: String,
    /// None for a session a dry run would make.
    pub session_id: Option<Uuid>,
    /// Made by this run (or to be), not found from an earlier one.
    pub made: bool,
    pub working_directory: PathBuf,
    /// The base's project dir (`projects/<name>`) it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub files: Vec<Done>,
    /// The base's prompt history lines of its directory (not for a seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_lines: Option<Lines>,
    pub links_skipped: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub project: String,
    pub working_directory: Option<PathBuf>,
    pub reason: SkipReason,
}

#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    /// Its working directory no longer exists.
    MissingDirectory,
    /// No record in it says which directory it belongs to.
    UnknownDirectory,
}

/// Files counted by action, and the bytes written.
#[derive(Default)]
struct Tally {
    files: BTreeMap<Action, (u64, u64)>,
}

impl Tally {
    fn of<'a>(files: impl IntoIterator<Item = &'a Done>) -> Self {
        let mut tally = Self::default();
        for f in files {
            let entry = tally.files.entry(f.action).or_default();
            entry.0 += 1;
            entry.1 += f.bytes;
        }
        tally
    }

    fn count(&self, key: Action) -> u64 {
        self.files.get(&key).map_or(0, |c| c.0)
    }

    fn only_same(&self) -> bool {
        self.files.keys().all(|k| *k == Action::Same)
    }

    /// "copy 2 files (1.2 kB), extend 1 file (+300 B), 4 files already there, ...".
    fn say(&self, done: bool) -> Vec<String> {
        let verb = |now: &str, then: &str| if done { then } else { now }.to_string();
        self.files
            .iter()
            .map(|(key, &(n, bytes))| match key {
                Action::Copy => format!(
                    "{} {} ({})",
                    verb("copy", "copied"),
                    files(n),
                    human_bytes(bytes)
                ),
                Action::Extend => format!(
                    "{} {} (+{})",
                    verb("extend", "extended"),
                    files(n),
                    human_bytes(bytes)
                ),
                Action::Same => format!("{} already there", files(n)),
                Action::SessionNewer => format!(
                    "{} {} the session went on with",
                    verb("keep", "kept"),
                    files(n)
                ),
                Action::Differs => format!(
                    "{} {} that {} from the base's",
                    verb("keep", "kept"),
                    files(n),
                    if n == 1 { "differs" } else { "differ" }
                ),
            })
            .collect()
    }
}

fn files(n: u64) -> String {
    match n {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    }
}

fn lines(verb: &str, n: u64) -> String {
    match n {
        1 => format!("{verb} 1 history line"),
        n => format!("{verb} {n} history lines"),
    }
}

/// The text of a migration from the base.
pub fn base_text(layout: &Layout, report: &Report) -> String {
    let mut text = String::new();
    for s in &report.sessions {
        let cwd = shown(layout, &s.working_directory);
        let tally = Tally::of(&s.files);
        let added = s.history_lines.as_ref().map_or(0, |l| l.added);
        if report.dry_run {
            let (verb, id) = match (s.made, s.session_id) {
                (false, Some(id)) => ("reuse", format!(" ({})", short_id(id))),
                _ => ("make", String::new()),
            };
            text.push_str(&format!(
                "would {verb} session {}{id} in {cwd}, from projects/{}:\n",
                s.session_name,
                crate::view::safe(s.project.as_deref().unwrap_or_default())
            ));
            text.push_str(&per_conversation(s));
            if added > 0 {
                text.push_str(&format!("  {}\n", lines("add", added)));
            }
        } else {
            let verb = if s.made { "made" } else { "reused" };
            let mut parts = tally.say(true);
            if added > 0 {
                parts.push(lines("added", added));
            }
            if tally.only_same() && added == 0 {
                parts = vec![format!("nothing new ({})", parts.join(", "))];
            }
            text.push_str(&format!(
                "{verb} session {} ({}) in {cwd}: {}\n",
                s.session_name,
                s.session_id.map(short_id).unwrap_or_default(),
                parts.join(", ")
            ));
            for (id, files) in by_conversation(&s.files) {
                if Tally::of(files.iter().copied()).count(Action::Differs) > 0 {
                    let whose = id.map_or("other files".to_string(), |id| id.to_string());
                    text.push_str(&format!(
                        "  {whose}: the session's and the base's differ; kept the session's\n"
                    ));
                }
            }
        }
        if s.links_skipped > 0 {
            text.push_str(&format!("  {} links not followed\n", s.links_skipped));
        }
    }
    for skip in &report.skipped {
        let verb = if report.dry_run {
            "would skip"
        } else {
            "skipped"
        };
        let why = match (skip.reason, &skip.working_directory) {
            (SkipReason::MissingDirectory, Some(cwd)) => format!(
                "its directory {} no longer exists (--include-missing migrates it all the same)",
                shown(layout, cwd)
            ),
            _ => "no conversation in it says which directory it belongs to".to_string(),
        };
        text.push_str(&format!(
            "{verb} projects/{}: {why}\n",
            crate::view::safe(&skip.project)
        ));
    }
    text
}

/// A dry run's lines for one session: each conversation (and the
/// project's other files) with something to do, then those already there.
fn per_conversation(s: &SessionReport) -> String {
    let mut text = String::new();
    let mut already = 0;
    for (id, files) in by_conversation(&s.files) {
        let tally = Tally::of(files.iter().copied());
        match (id, tally.only_same()) {
            (Some(_), true) => already += 1,
            (Some(id), false) => {
                text.push_str(&format!("  {id}: {}\n", tally.say(false).join(", ")))
            }
            (None, _) => {
                text.push_str(&format!("  other files: {}\n", tally.say(false).join(", ")))
            }
        }
    }
    match already {
        0 => {}
        1 => text.push_str("  1 conversation already there\n"),
        n => text.push_str(&format!("  {n} conversations already there\n")),
    }
    text
}

/// The files of each conversation (None: the project's own, like memory),
/// conversations in order, the project's last.
fn by_conversation(files: &[Done]) -> Vec<(Option<Uuid>, Vec<&Done>)> {
    let mut groups: BTreeMap<(bool, Option<Uuid>), Vec<&Done>> = BTreeMap::new();
    for f in files {
        groups
            .entry((f.conversation.is_none(), f.conversation))
            .or_default()
            .push(f);
    }
    groups.into_iter().map(|((_, id), f)| (id, f)).collect()
}

/// The text of a migration from the seed's layout.
pub fn seed_text(report: &Report) -> String {
    let mut text = String::new();
    for s in &report.sessions {
        let id = s.session_id.expect("a seed session keeps its id");
        let tally = Tally::of(&s.files);
        let (copied, bytes) = tally.files.get(&Action::Copy).copied().unwrap_or_default();
        let links = match s.links_skipped {
            0 => String::new(),
            n => format!(", {n} links not followed"),
        };
        let line = match (report.dry_run, s.made, copied) {
            (true, true, _) => format!(
                "would import {} ({id}): {} ({}){links}",
                s.session_name,
                files(copied),
                human_bytes(bytes)
            ),
            (false, true, _) => format!(
                "imported {} ({}): {} ({}){links}",
                s.session_name,
                short_id(id),
                files(copied),
                human_bytes(bytes)
            ),
            (_, false, 0) => format!("already migrated {id}"),
            (dry, false, _) => format!(
                "{} {} ({}): {} ({})",
                if dry { "would complete" } else { "completed" },
                s.session_name,
                short_id(id),
                files(copied),
                human_bytes(bytes)
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    if text.is_empty() {
        text.push_str("no seed sessions found\n");
    }
    text
}

/// A path from outside (a transcript's `cwd`) as the terminal may show it.
fn shown(layout: &Layout, path: &Path) -> String {
    crate::view::safe(&crate::view::tilde(layout, path)).into_owned()
}
