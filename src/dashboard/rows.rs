//! Sessions as the dashboard's rows: the state with its reason and age,
//! where it runs, its branch, its counts.

use super::model::{Row, Urgency};
use crate::store::layout::Layout;
use crate::store::session::{Session, Status};
use crate::util::timestamp::Timestamp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The branches of working directories, read once per reload.
#[derive(Default)]
pub struct Branches(HashMap<PathBuf, Option<String>>);

impl Branches {
    fn of(&mut self, dir: &Path) -> Option<String> {
        self.0
            .entry(dir.to_path_buf())
            .or_insert_with(|| branch(dir))
            .clone()
    }
}

/// A session of this machine.
pub fn row(layout: &Layout, s: &Session, now: Timestamp, branches: &mut Branches) -> Row {
    let summary = crate::claude::stats::cached_summary(&layout.session_dir(s.session_id));
    Row {
        cwd: crate::view::tilde(layout, &s.working_directory),
        branch: branches.of(&s.working_directory),
        tokens: summary.map(|s| s.tokens.input + s.tokens.output),
        ..common(s, now)
    }
}

/// A session of another host, as its `list --json` gave it (`json`): its
/// paths are the host's, its branch unknown here.
pub fn remote_row(
    host: &str,
    home: &Path,
    s: &Session,
    json: &serde_json::Value,
    now: Timestamp,
) -> Row {
    let tokens = &json["tokens"];
    Row {
        host: Some(crate::view::safe(host).into_owned()),
        cwd: crate::view::tilde_from(home, &s.working_directory),
        tokens: match (tokens["input"].as_u64(), tokens["output"].as_u64()) {
            (Some(i), Some(o)) => Some(i.saturating_add(o)),
            _ => None,
        },
        ..common(s, now)
    }
}

/// What a row says of any session, wherever it runs.
fn common(s: &Session, now: Timestamp) -> Row {
    let since = |t: Option<Timestamp>| t.map(|t| format!(" {}", compact_age(t, now)));
    let (urgency, state) = match (s.status, s.state.as_deref()) {
        (Status::Active, Some("waiting")) => (
            Urgency::Waiting,
            match &s.state_detail {
                Some(detail) => format!("waiting: {}", crate::view::safe(detail)),
                None => "waiting".to_string(),
            },
        ),
        (Status::Active, Some("working")) => (
            Urgency::Working,
            format!("working{}", since(s.state_since).unwrap_or_default()),
        ),
        (Status::Active, Some("idle")) => (
            Urgency::Idle,
            format!("idle{}", since(s.state_since).unwrap_or_default()),
        ),
        (Status::Active, _) => (Urgency::Idle, "running".to_string()),
        _ => (Urgency::Resting, crate::view::status_text(s)),
    };
    let place = match (s.status, s.holder, s.clients) {
        (Status::Active, None, _) => "foreground".to_string(),
        (Status::Active | Status::Hibernated, Some(_), 0) => "detached".to_string(),
        (Status::Active | Status::Hibernated, Some(_), 1) => "attached".to_string(),
        (Status::Active | Status::Hibernated, Some(_), n) => format!("{n} attached"),
        _ => String::new(),
    };
    Row {
        id: s.session_id,
        name: crate::view::safe(&s.session_name).into_owned(),
        host: None,
        urgency,
        state,
        place,
        cwd: String::new(),
        branch: None,
        messages: s.message_count,
        tokens: None,
        last_activity: s.last_activity,
        pinned: s.pinned,
        running: s.claude.is_some(),
        held: s.holder.is_some(),
    }
}

/// "3m", "12m", "2h", "3d": an age for a narrow column.
pub fn compact_age(t: Timestamp, now: Timestamp) -> String {
    let secs = t.secs_before(now);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// The branch checked out in the repository `dir` is in (git's HEAD read
/// as a file, no git run: a reload of a thousand rows must stay cheap);
/// a detached HEAD shows its commit, short.
fn branch(dir: &Path) -> Option<String> {
    let mut at = Some(dir);
    while let Some(here) = at {
        let dot_git = here.join(".git");
        let git_dir = match std::fs::symlink_metadata(&dot_git) {
            Ok(meta) if meta.is_dir() => Some(dot_git),
            // A worktree's `.git` file names its git dir.
            Ok(meta) if meta.is_file() => std::fs::read_to_string(&dot_git).ok().and_then(|text| {
                let path = text.trim().strip_prefix("gitdir:")?.trim().to_string();
                Some(here.join(path))
            }),
            _ => None,
        };
        if let Some(git_dir) = git_dir {
            let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
            let head = head.trim();
            return Some(match head.strip_prefix("ref: refs/heads/") {
                Some(name) => crate::view::safe(name).into_owned(),
                None => head.chars().take(7).collect(),
            });
        }
        at = here.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_fit_a_narrow_column() {
        let now = Timestamp::from_millis(10_000_000_000);
        let ago = |s: i64| compact_age(Timestamp::from_millis(now.millis() - s * 1000), now);
        assert_eq!(
            [ago(5), ago(180), ago(7200), ago(3 * 86_400)],
            ["5s", "3m", "2h", "3d"]
        );
    }

    #[test]
    fn the_branch_is_read_from_head_up_the_tree() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join(".git")).unwrap();
        std::fs::create_dir_all(repo.path().join("src/deep")).unwrap();
        std::fs::write(repo.path().join(".git/HEAD"), "ref: refs/heads/feature/x\n").unwrap();
        assert_eq!(
            branch(&repo.path().join("src/deep")).as_deref(),
            Some("feature/x")
        );
        std::fs::write(repo.path().join(".git/HEAD"), "0123456789abcdef\n").unwrap();
        assert_eq!(branch(repo.path()).as_deref(), Some("0123456"));
        // A worktree: `.git` is a file naming the git dir.
        let tree = tempfile::tempdir().unwrap();
        let git_dir = repo.path().join(".git/worktrees/t");
        std::fs::create_dir_all(&git_dir).unwrap();
        std::fs::write(git_dir.join("HEAD"), "ref: refs/heads/claude/t\n").unwrap();
        std::fs::write(
            tree.path().join(".git"),
            format!("gitdir: {}\n", git_dir.display()),
        )
        .unwrap();
        assert_eq!(branch(tree.path()).as_deref(), Some("claude/t"));
    }
}
