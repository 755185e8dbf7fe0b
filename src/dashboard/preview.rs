//! The preview of one session: its screen as its holder keeps it, or, with
//! no holder to ask, the end of its conversation.

use super::draw::Preview;
use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::view::safe;

pub fn of(layout: &Layout, session: &Session, said: usize) -> Preview {
    if session.holder_is_live() {
        return match crate::client::peek::screen(session.session_id) {
            Ok(screen) => Preview {
                source: "screen".into(),
                lines: crate::client::peek::lines(&screen)
                    .iter()
                    .map(|l| safe(l).into_owned())
                    .collect(),
            },
            // An older holder that cannot show its screen says so here.
            Err(e) => Preview {
                source: safe(&format!("no screen: {e:#}")).into_owned(),
                lines: Vec::new(),
            },
        };
    }
    let dir = layout.session_dir(session.session_id);
    let lines: Vec<String> =
        crate::claude::transcript::said_lines(&dir, &session.working_directory, said)
            .iter()
            .map(|l| safe(l).into_owned())
            .collect();
    conversation(lines)
}

fn conversation(lines: Vec<String>) -> Preview {
    Preview {
        source: match lines.is_empty() {
            true => "no conversation yet".into(),
            false => "conversation".into(),
        },
        lines,
    }
}

/// The screen of a session of another host (`NAME@HOST`), by our `peek`
/// run through ssh: slow next to a local peek, so the caller runs it in the
/// background.
pub fn remote(layout: &Layout, target: &str) -> Preview {
    let out = super::actions::run(layout, &["peek", "--json", target]);
    if !out.ok {
        return Preview {
            source: format!("no screen: {}", out.said),
            lines: Vec::new(),
        };
    }
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
    let lines = json["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l.as_str())
                .map(|l| safe(l).into_owned())
                .collect()
        })
        .unwrap_or_default();
    match json["source"].as_str() {
        Some("screen") => Preview {
            source: "screen".into(),
            lines,
        },
        _ => conversation(lines),
    }
}
