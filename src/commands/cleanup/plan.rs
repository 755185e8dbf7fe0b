//! What `cleanup` would remove, from a first look at the registry, the
//! session dirs and the socket dirs, and what must stay whatever was asked.

use crate::store::layout::Layout;
use crate::store::leftovers;
use crate::store::registry::Registry;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use anyhow::Result;
use serde::Serialize;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// `new` makes a session dir inside the registry transaction, milliseconds
/// before the row is committed: a dir without a row younger than this may
/// be one being created right now, so it is left alone.
const CREATION_GRACE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Kind {
    /// A registered session chosen by --older-than / --empty.
    Session,
    RowWithoutDir,
    DirWithoutRow,
    /// A holder socket nobody answers on.
    StaleSocket,
    /// A worktree made for a session that is gone.
    Worktree,
    /// git's record of a session's worktree deleted by hand.
    MissingWorktree,
    /// What interrupted work left in the store: `trash`, `staging`,
    /// `rebuilding`, `backup` (`crate::store::leftovers`).
    #[serde(untagged)]
    Leftover(leftovers::Kind),
}

impl Kind {
    pub(super) fn is_session(self) -> bool {
        matches!(
            self,
            Kind::Session | Kind::RowWithoutDir | Kind::DirWithoutRow
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Target {
    pub(super) kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) session_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) session_name: Option<String>,
    pub(super) path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) last_activity: Option<Timestamp>,
    pub(super) bytes: u64,
    pub(super) why: String,
    pub(super) removed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

/// Something that matched but stays, and why.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Kept {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) session_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) session_name: Option<String>,
    pub(super) path: PathBuf,
    pub(super) why: String,
}

impl Kept {
    pub(super) fn new(target: &Target, why: &str) -> Self {
        Self {
            session_id: target.session_id,
            session_name: target.session_name.clone(),
            path: target.path.clone(),
            why: why.to_string(),
        }
    }
}

/// Which registered sessions --older-than and --empty choose.
pub(super) struct Select {
    pub(super) older_than: Option<Duration>,
    pub(super) empty: bool,
    pub(super) now: Timestamp,
}

impl Select {
    /// Why `session` is chosen, or None. Both selectors must hold.
    pub(super) fn why(&self, session: &Session, dir: &Path) -> Option<String> {
        if self.older_than.is_none() && !self.empty {
            return None;
        }
        let mut why = Vec::new();
        if let Some(age) = self.older_than {
            let idle = self.now.millis() - session.last_activity.millis();
            if idle <= age.as_millis().min(i64::MAX as u128) as i64 {
                return None;
            }
            why.push("old");
        }
        if self.empty {
            if session.message_count > 0 || has_conversation(dir) {
                return None;
            }
            why.push("empty");
        }
        Some(why.join(", "))
    }
}

fn has_conversation(dir: &Path) -> bool {
    crate::claude::transcript::has_conversation(dir)
}

/// Why a session must stay whatever was asked, if it must.
pub(super) fn protected(session: &Session) -> Option<&'static str> {
    let holder = session.holder_is_live();
    if session.pinned {
        Some("pinned")
    } else if holder && session.clients > 0 {
        Some("attached")
    } else if holder || session.claude_is_live() {
        Some("running")
    } else {
        None
    }
}

/// What would go, from a first look at the registry, the session dirs and
/// the socket dirs.
pub(super) fn plan(
    registry: &Registry,
    layout: &Layout,
    select: &Select,
    orphaned: bool,
) -> Result<(Vec<Target>, Vec<Kept>)> {
    let mut targets = Vec::new();
    let mut kept = Vec::new();
    let sessions = registry.all()?;
    // Oldest first: the order they are shown and removed in.
    for s in sessions.iter().rev() {
        let dir = layout.session_dir(s.session_id);
        let (kind, why) = if fs::symlink_metadata(&dir).is_err() {
            if !orphaned {
                continue;
            }
            (Kind::RowWithoutDir, "no dir".to_string())
        } else {
            match select.why(s, &dir) {
                Some(why) => (Kind::Session, why),
                None => continue,
            }
        };
        let target = Target {
            kind,
            session_id: Some(s.session_id),
            session_name: Some(s.session_name.clone()),
            bytes: crate::util::fsutil::tree_size(&dir),
            path: dir,
            last_activity: Some(s.last_activity),
            why,
            removed: false,
            error: None,
        };
        match protected(s).or_else(|| foreign(&target.path)) {
            Some(why) => kept.push(Kept::new(&target, why)),
            None => match crate::worktree::removal::kept_because(s) {
                Some(why) => kept.push(Kept::new(&target, &why)),
                None => targets.push(target),
            },
        }
    }
    if orphaned {
        super::worktrees::plan(layout, &sessions, &mut targets, &mut kept);
        let by_id: HashMap<Uuid, &Session> = sessions.iter().map(|s| (s.session_id, s)).collect();
        unregistered_dirs(layout, &by_id, &mut targets, &mut kept)?;
        leftovers(layout, &mut targets, &mut kept);
        stale_sockets(&by_id, &mut targets);
    }
    Ok((targets, kept))
}

/// Why a session dir that is a symbolic link stays: it is not one the
/// store made, and nothing follows it.
pub(super) fn foreign(dir: &Path) -> Option<&'static str> {
    fs::symlink_metadata(dir)
        .is_ok_and(|m| m.file_type().is_symlink())
        .then_some(
            "its dir is a symbolic link, not one claude-session made; remove the link by hand",
        )
}

/// Session dirs without a row.
fn unregistered_dirs(
    layout: &Layout,
    registered: &HashMap<Uuid, &Session>,
    targets: &mut Vec<Target>,
    kept: &mut Vec<Kept>,
) -> Result<()> {
    let Ok(entries) = fs::read_dir(layout.sessions_dir()) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        // Only names the store itself makes: `layout.session_dir(id)`.
        let Some(id) = Uuid::parse_str(&name)
            .ok()
            .filter(|id| id.to_string() == name)
        else {
            continue;
        };
        if registered.contains_key(&id) {
            continue;
        }
        let target = Target {
            kind: Kind::DirWithoutRow,
            session_id: Some(id),
            session_name: None,
            bytes: crate::util::fsutil::tree_size(&path),
            path,
            last_activity: None,
            why: "no registry row".to_string(),
            removed: false,
            error: None,
        };
        let why = if let Some(why) = foreign(&target.path) {
            Some(why)
        } else if younger_than(&target.path, CREATION_GRACE) {
            Some("no registry row, but made less than a minute ago (being created?)")
        } else if has_conversation(&target.path) {
            Some(
                "holds a conversation but has no registry row; `claude-session rebuild` registers it again",
            )
        } else {
            None
        };
        match why {
            Some(why) => kept.push(Kept::new(&target, why)),
            None => targets.push(target),
        }
    }
    Ok(())
}

/// Half-deleted dirs, staging dirs, partial and old registries.
fn leftovers(layout: &Layout, targets: &mut Vec<Target>, kept: &mut Vec<Kept>) {
    for leftover in leftovers::find(layout) {
        let target = Target {
            kind: Kind::Leftover(leftover.kind),
            session_id: leftover.session_id,
            session_name: None,
            path: leftover.path,
            last_activity: None,
            bytes: leftover.bytes,
            why: leftover.kind.what(),
            removed: false,
            error: None,
        };
        match leftovers::in_use(leftover.kind, &target.path) {
            Some(why) => kept.push(Kept::new(&target, why)),
            None => targets.push(target),
        }
    }
}

/// True if the dir or its metadata.json changed less than `age` ago.
fn younger_than(dir: &Path, age: Duration) -> bool {
    let cutoff = SystemTime::now() - age;
    [dir.to_path_buf(), dir.join(crate::store::metadata::FILE)]
        .iter()
        .filter_map(|p| fs::symlink_metadata(p).and_then(|m| m.modified()).ok())
        .any(|t| t > cutoff)
}

/// `<id>.sock` files in the socket dirs that refuse connections: their
/// holder is gone. A holder removes its socket when it ends; a killed one
/// cannot.
fn stale_sockets(registered: &HashMap<Uuid, &Session>, targets: &mut Vec<Target>) {
    // The socket dirs are the parents of any session's candidate paths.
    let dirs = crate::ipc::endpoint::candidate_paths(Uuid::nil())
        .into_iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf));
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(id) = crate::ipc::stale::session_of(&path) else {
                continue;
            };
            let session = registered.get(&id);
            if session.is_some_and(|s| s.holder_is_live()) || !crate::ipc::stale::is_stale(&path) {
                continue;
            }
            targets.push(Target {
                kind: Kind::StaleSocket,
                session_id: Some(id),
                session_name: session.map(|s| s.session_name.clone()),
                path,
                last_activity: None,
                bytes: 0,
                why: "stale socket".to_string(),
                removed: false,
                error: None,
            });
        }
    }
}
