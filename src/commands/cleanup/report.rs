//! How `cleanup` shows what it chose and what it did.

use super::plan::{Kept, Kind, Target};
use crate::cli::CleanupArgs;
use crate::util::output::human_bytes;
use crate::util::timestamp::Timestamp;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Report {
    pub(super) dry_run: bool,
    pub(super) targets: Vec<Target>,
    pub(super) kept: Vec<Kept>,
    /// What the removal freed (0 if nothing was removed).
    pub(super) freed_bytes: u64,
}

/// "3 sessions", "1 session and 2 leftovers", "2 leftovers".
pub(super) fn count<'a>(targets: impl IntoIterator<Item = &'a Target>) -> String {
    let (mut sessions, mut leftovers) = (0, 0);
    for t in targets {
        match t.kind.is_session() {
            true => sessions += 1,
            false => leftovers += 1,
        }
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (sessions, leftovers) {
        (s, 0) => plural(s, "session"),
        (0, l) => plural(l, "leftover"),
        (s, l) => format!("{} and {}", plural(s, "session"), plural(l, "leftover")),
    }
}

/// The table of what goes (name, id, last activity, size, why), then what
/// stays and why.
pub(super) fn listing(targets: &[Target], kept: &[Kept], now: Timestamp) -> String {
    let rows: Vec<[String; 5]> = targets
        .iter()
        .map(|t| {
            [
                t.session_name.clone().unwrap_or_else(|| "-".into()),
                t.session_id
                    .map_or("-".into(), |id| id.simple().to_string()[..8].to_string()),
                t.last_activity.map_or("-".into(), |at| at.ago(now)),
                human_bytes(t.bytes),
                match t.kind {
                    Kind::StaleSocket
                    | Kind::Leftover(_)
                    | Kind::Worktree
                    | Kind::MissingWorktree => {
                        format!("{} {}", t.why, t.path.display())
                    }
                    _ => t.why.clone(),
                },
            ]
        })
        .collect();
    let mut out = String::new();
    if !rows.is_empty() {
        let header = ["NAME", "ID", "LAST ACTIVE", "SIZE", "WHY"].map(String::from);
        let width = |i: usize| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2), width(3)];
        for row in [&header].into_iter().chain(&rows) {
            let line = format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3]
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    for k in kept {
        let what = match (&k.session_name, k.session_id) {
            (Some(name), Some(id)) => format!("{name} ({})", &id.simple().to_string()[..8]),
            _ => k.path.display().to_string(),
        };
        out.push_str(&format!("kept {what}: {}\n", k.why));
    }
    out
}

/// The last line: what was done, and the space freed.
pub(super) fn summary(
    targets: &[Target],
    args: &CleanupArgs,
    removed: bool,
    total: u64,
    freed: u64,
) -> String {
    if targets.is_empty() {
        return "nothing to clean up\n".to_string();
    }
    if removed {
        let mut text = String::new();
        for t in targets.iter().filter(|t| t.error.is_some()) {
            text.push_str(&format!(
                "failed {}: {}\n",
                t.path.display(),
                t.error.as_deref().unwrap_or_default()
            ));
        }
        text.push_str(&format!(
            "removed {}, freed {}\n",
            count(targets.iter().filter(|t| t.removed)),
            human_bytes(freed)
        ));
        return text;
    }
    let what = count(targets);
    if args.dry_run {
        format!(
            "dry run: would remove {what}, freeing {}\n",
            human_bytes(total)
        )
    } else {
        format!(
            "would remove {what}, freeing {}; pass --yes to remove them\n",
            human_bytes(total)
        )
    }
}
