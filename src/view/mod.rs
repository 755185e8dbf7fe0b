//! How sessions are shown: the words for their state, paths shortened for
//! a table, text made safe for a terminal, the JSON form. Shared by the
//! commands and the dashboard.

pub mod settings;

use crate::store::layout::Layout;
use crate::store::registry::Brief;
use crate::store::session::{Session, Status};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A session as printed by `--json`: the metadata fields plus its dir and
/// its token totals.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail<'a> {
    #[serde(flatten)]
    pub session: &'a Session,
    pub session_dir: PathBuf,
    /// Input, output and cache tokens of every reply, from the transcripts
    /// (null: never read yet, see `crate::claude::stats::cached_summary`).
    pub tokens: Option<crate::claude::stats::Tokens>,
    /// The session's own settings (only in `show`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<crate::claude::overrides::Overrides>,
    /// What git says of its worktree now (null: it has none).
    pub worktree_state: Option<crate::worktree::State>,
}

impl<'a> Detail<'a> {
    pub fn new(layout: &Layout, session: &'a Session) -> Self {
        Self {
            worktree_state: session.worktree.as_ref().map(crate::worktree::state),
            ..Self::without_git(layout, session)
        }
    }

    fn without_git(layout: &Layout, session: &'a Session) -> Self {
        Self {
            session,
            session_dir: layout.session_dir(session.session_id),
            tokens: None,
            overrides: None,
            worktree_state: None,
        }
    }
}

/// Sessions as `list --json` gives them: each with its token totals and
/// the model of its latest reply, from its stats summary (one small file
/// written whenever its transcripts are read: `show`, `stats`, the hook at
/// the end of every turn), so a list of 10,000 sessions reads no transcript.
/// `git`: with what git says of each worktree (two git commands each);
/// without, `worktreeState` is null.
pub fn listed<'a>(layout: &Layout, sessions: &'a mut [Session], git: bool) -> Vec<Detail<'a>> {
    let tokens: Vec<_> = sessions
        .iter_mut()
        .map(|s| {
            let summary = crate::claude::stats::cached_summary(&layout.session_dir(s.session_id));
            if let Some(model) = summary.as_ref().and_then(|m| m.model.clone()) {
                s.model = Some(model);
            }
            summary.map(|m| m.tokens)
        })
        .collect();
    // Git is asked about each worktree at once, as far as the CPUs go: a
    // `git status` waits on the disk as much as it computes.
    let worktree_states = match git {
        true => crate::util::parallel::map(sessions, |s| {
            s.worktree.as_ref().map(crate::worktree::state)
        }),
        false => vec![None; sessions.len()],
    };
    sessions
        .iter()
        .zip(tokens)
        .zip(worktree_states)
        .map(|((s, tokens), worktree_state)| Detail {
            tokens,
            worktree_state,
            ..Detail::without_git(layout, s)
        })
        .collect()
}

/// "~/src/very/long/path" in `room` characters: "~/src/…/path".
pub fn shorten_middle(text: &str, room: usize) -> String {
    let count = text.chars().count();
    if count <= room {
        return text.to_string();
    }
    if room < 3 {
        return text.chars().take(room).collect();
    }
    let keep = room - 1;
    let head = keep / 2;
    let tail = keep - head;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    out
}

/// "stopped" with a non-zero exit code shows the code.
pub fn status_text(s: &Session) -> String {
    status_words(
        s.status,
        s.state.as_deref(),
        s.holder.is_some(),
        s.clients,
        s.exit_code,
    )
}

/// `status_text` of a listing's row.
pub fn brief_status_text(b: &Brief) -> String {
    status_words(b.status, b.state.as_deref(), b.held, b.clients, b.exit_code)
}

fn status_words(
    status: Status,
    state: Option<&str>,
    held: bool,
    clients: u32,
    exit_code: Option<i32>,
) -> String {
    if status == Status::Active {
        // What Claude does (from its hooks), and where it runs.
        let doing = state.unwrap_or("active");
        return match (held, clients) {
            (false, _) => format!("{doing} (foreground)"),
            (true, 0) => format!("{doing} (detached)"),
            (true, 1) => format!("{doing} (attached)"),
            (true, n) => format!("{doing} ({n} attached)"),
        };
    }
    if status == Status::Hibernated && !held {
        // Its holder is gone (a reboot): `restore` brings it back.
        return "hibernated (no holder)".to_string();
    }
    match (status, exit_code) {
        (Status::Stopped | Status::Crashed, Some(code)) if code != 0 => {
            format!("{status} ({code})")
        }
        _ => status.to_string(),
    }
}

/// `/home/me/x` shown as `~/x`, safe for a terminal.
pub fn tilde(layout: &Layout, path: &Path) -> String {
    tilde_from(&layout.home, path)
}

/// `path` of a machine whose home is `home` (empty: unknown), as `tilde`.
pub fn tilde_from(home: &Path, path: &Path) -> String {
    if home.as_os_str().is_empty() {
        return safe_path(path);
    }
    match path.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => "~".to_string(),
        Ok(rest) => format!("~/{}", safe_path(rest)),
        Err(_) => safe_path(path),
    }
}

/// `text` safe to print on a terminal: control characters (C0, DEL, C1)
/// and the invisible marks that reorder text are shown as escapes (`\n`,
/// `\x1b`, `\u{202e}`), so a field read from disk or from an archive (a
/// working directory, a model, a name) cannot move the cursor, write the
/// clipboard, or forge a row of a table. The one way every human-readable
/// output prints such a field; `--json` needs none (JSON escapes them).
pub fn safe(text: &str) -> Cow<'_, str> {
    // Printable ASCII, the common case, is checked a byte at a time.
    if text.bytes().all(|b| matches!(b, b' '..=b'~')) || !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && unsafe_char(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path, safe for a terminal (bytes that are not UTF-8 shown as U+FFFD).
pub fn safe_path(path: &Path) -> String {
    safe(&path.to_string_lossy()).into_owned()
}

fn unsafe_char(c: char) -> bool {
    // Bidirectional embeddings, overrides and isolates, and the marks.
    const REORDERING: [std::ops::RangeInclusive<char>; 3] = [
        '\u{200e}'..='\u{200f}',
        '\u{202a}'..='\u{202e}',
        '\u{2066}'..='\u{2069}',
    ];
    c.is_control() || REORDERING.iter().any(|r| r.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::{safe, shorten_middle};
    use std::borrow::Cow;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert!(matches!(safe("~/src/api ünï"), Cow::Borrowed(_)));
        assert_eq!(safe("/w\x1b]52;c;aGk=\x07x"), "/w\\x1b]52;c;aGk=\\x07x");
        assert_eq!(safe("a\nb\tc\rd\x7f"), "a\\nb\\tc\\rd\\x7f");
        // C1 controls (CSI alone is U+009B) and a right-to-left override.
        assert_eq!(safe("x\u{9b}2Jy\u{202e}z"), "x\\u{9b}2Jy\\u{202e}z");
    }

    #[test]
    fn shortens_in_the_middle() {
        assert_eq!(shorten_middle("~/src/api", 20), "~/src/api");
        assert_eq!(
            shorten_middle("/home/user/projects/deep/api", 11),
            "/home…p/api"
        );
        assert_eq!(
            shorten_middle("/home/user/projects/deep/api", 11)
                .chars()
                .count(),
            11
        );
    }
}
