//! `claude-session list`: every session, most recently active first.

use super::Store;
use super::show::Detail;
use crate::cli::{GlobalArgs, ListArgs};
use crate::layout::Layout;
use crate::session::Session;
use crate::timestamp::Timestamp;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: ListArgs) -> Result<ExitCode> {
    let mut store = Store::open(global)?;
    let mut sessions = store.registry.all()?;
    for session in sessions.iter_mut() {
        crate::liveness::reconcile(&mut store.registry, &store.layout, session)?;
    }
    if args.json {
        let details: Vec<Detail> = sessions
            .iter()
            .map(|s| Detail::new(&store.layout, s))
            .collect();
        crate::output::emit_json(&details)?;
    } else if sessions.is_empty() {
        eprintln!("no sessions yet; start one with `claude-session new NAME`");
    } else {
        crate::output::emit(&table(&store.layout, &sessions, Timestamp::now()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The table: one row a session, columns padded, the working dir last.
pub fn table(layout: &Layout, sessions: &[Session], now: Timestamp) -> String {
    let header = ["NAME", "ID", "STATUS", "LAST ACTIVITY", "CWD"];
    let rows: Vec<[String; 5]> = sessions
        .iter()
        .map(|s| {
            [
                s.session_name.clone(),
                s.short_id(),
                status_text(s),
                s.last_activity.ago(now),
                tilde(layout, &s.working_directory),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    let mut line = |cells: [&str; 5]| {
        for (i, cell) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 2,
                ));
            }
        }
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    out
}

/// "stopped" with a non-zero exit code shows the code.
pub fn status_text(s: &Session) -> String {
    if s.status == crate::session::Status::Active {
        return match (s.holder_pid, s.clients) {
            (None, _) => "active (foreground)".to_string(),
            (Some(_), 0) => "active (detached)".to_string(),
            (Some(_), 1) => "active (attached)".to_string(),
            (Some(_), n) => format!("active ({n} attached)"),
        };
    }
    match (s.status, s.exit_code) {
        (crate::session::Status::Stopped | crate::session::Status::Crashed, Some(code))
            if code != 0 =>
        {
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
