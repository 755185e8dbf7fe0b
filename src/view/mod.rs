//! How sessions are shown: the words for their state, paths shortened for
//! a table, the JSON form. Shared by the commands and the dashboard.

use crate::store::layout::Layout;
use crate::store::session::{Session, Status};
use serde::Serialize;
use std::path::PathBuf;

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
}

impl<'a> Detail<'a> {
    pub fn new(layout: &Layout, session: &'a Session) -> Self {
        Self {
            session,
            session_dir: layout.session_dir(session.session_id),
            tokens: None,
            overrides: None,
        }
    }
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
    if s.status == Status::Active {
        // What Claude does (from its hooks), and where it runs.
        let doing = s.state.as_deref().unwrap_or("active");
        return match (s.holder, s.clients) {
            (None, _) => format!("{doing} (foreground)"),
            (Some(_), 0) => format!("{doing} (detached)"),
            (Some(_), 1) => format!("{doing} (attached)"),
            (Some(_), n) => format!("{doing} ({n} attached)"),
        };
    }
    match (s.status, s.exit_code) {
        (Status::Stopped | Status::Crashed, Some(code)) if code != 0 => {
            format!("{} ({code})", s.status)
        }
        _ => s.status.to_string(),
    }
}

/// `/home/me/x` shown as `~/x`.
pub fn tilde(layout: &Layout, path: &std::path::Path) -> String {
    match path.strip_prefix(&layout.home) {
        Ok(rest) if rest.as_os_str().is_empty() => "~".to_string(),
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::shorten_middle;

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
