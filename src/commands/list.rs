//! `claude-session list`: every session, most recently active first.

use crate::claude::stats::{Summary, cached_summary};
use crate::cli::{GlobalArgs, ListArgs};
use crate::store::Store;
use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use crate::view::{Detail, safe, shorten_middle, status_text, tilde};
use anyhow::Result;
use std::process::ExitCode;

/// How often `--watch` redraws: often enough to see a state change, rarely
/// enough to cost nothing.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub fn run(global: &GlobalArgs, args: ListArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    if args.watch {
        crate::util::output::emit("\x1b[2J")?;
        loop {
            let sessions = current(&mut store)?;
            // Home, draw, clear what is left of an older, longer table.
            let mut frame = String::from("\x1b[H");
            for line in table(&store.layout, &sessions, Timestamp::now(), Style::detect()).lines() {
                frame.push_str(line);
                frame.push_str("\x1b[K\n");
            }
            frame.push_str("\x1b[J");
            crate::util::output::emit(&frame)?;
            std::thread::sleep(WATCH_INTERVAL);
        }
    }
    let mut sessions = current(&mut store)?;
    if args.json {
        // Tokens and the latest reply's model come from each session's
        // stats summary, one small file written whenever its transcripts
        // are read (`show`, `stats`, the hook at the end of every turn):
        // a list of 10,000 sessions reads no transcript.
        let summaries: Vec<Option<Summary>> = sessions
            .iter_mut()
            .map(|s| {
                let summary = cached_summary(&store.layout.session_dir(s.session_id));
                if let Some(model) = summary.as_ref().and_then(|m| m.model.clone()) {
                    s.model = Some(model);
                }
                summary
            })
            .collect();
        let details: Vec<Detail> = sessions
            .iter()
            .zip(summaries)
            .map(|(s, summary)| Detail {
                tokens: summary.map(|m| m.tokens),
                ..Detail::new(&store.layout, s)
            })
            .collect();
        crate::util::output::emit_json(&details)?;
    } else if sessions.is_empty() {
        eprintln!("no sessions yet; start one with `claude-session new NAME`");
    } else {
        crate::util::output::emit(&table(
            &store.layout,
            &sessions,
            Timestamp::now(),
            Style::detect(),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Every session, reconciled with the process table.
fn current(store: &mut Store) -> Result<Vec<Session>> {
    let mut sessions = store.registry.all()?;
    for session in sessions.iter_mut() {
        crate::run::liveness::reconcile(&mut store.registry, &store.layout, session)?;
    }
    Ok(sessions)
}

/// How the table is drawn: the width to fit (None: any) and colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub width: Option<usize>,
    pub color: bool,
}

impl Style {
    /// `COLUMNS` if set, else the terminal's width; colours only on a
    /// terminal and never with NO_COLOR (no-color.org).
    pub fn detect() -> Self {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|w: &usize| *w > 0)
            .or_else(|| {
                tty.then(|| crate::client::terminal::size_of(1).map(|(_, c)| c as usize))
                    .flatten()
            });
        let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Self { width, color }
    }
}

/// The table: one row a session, columns padded, the working dir last and
/// shortened in the middle to fit the width.
pub fn table(layout: &Layout, sessions: &[Session], now: Timestamp, style: Style) -> String {
    let header = [
        "NAME",
        "ID",
        "STATUS",
        "MSGS",
        "TOOLS",
        "LAST ACTIVITY",
        "CWD",
    ];
    let rows: Vec<[String; 7]> = sessions
        .iter()
        .map(|s| {
            [
                safe(&s.session_name).into_owned(),
                s.short_id(),
                safe(&status_text(s)).into_owned(),
                s.message_count.to_string(),
                s.tool_call_count.to_string(),
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
    // What is left of the line for the last column (at least a little).
    let fixed: usize = widths[..6].iter().map(|w| w + 2).sum();
    let cwd_room = style.width.map(|w| w.saturating_sub(fixed).max(8));
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    let mut line = |cells: [&str; 7], header: bool| {
        for (i, cell) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                let cell = match cwd_room {
                    Some(room) => shorten_middle(cell, room),
                    None => cell.to_string(),
                };
                out.push_str(&cell);
            } else {
                let pad = widths[i] - cell.chars().count() + 2;
                out.push_str(&paint(
                    cell,
                    if header { Some("1") } else { color_of(i, cell) },
                    style.color,
                ));
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(header, true);
    for row in &rows {
        line(
            [
                &row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6],
            ],
            false,
        );
    }
    out
}

/// The SGR colour of a cell: the status column only.
fn color_of(column: usize, cell: &str) -> Option<&'static str> {
    if column != 2 {
        return None;
    }
    match cell.split(' ').next() {
        Some("active" | "working" | "idle") => Some("32"),
        Some("waiting") => Some("1;33"),
        Some("crashed") => Some("31"),
        Some("stopped") if cell.contains('(') => Some("33"),
        _ => None,
    }
}

fn paint(cell: &str, sgr: Option<&str>, color: bool) -> String {
    match sgr {
        Some(sgr) if color => format!("\x1b[{sgr}m{cell}\x1b[0m"),
        _ => cell.to_string(),
    }
}
