//! `claude-session list`: every session, most recently active first.

use crate::cli::{GlobalArgs, ListArgs};
use crate::store::Store;
use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use crate::view::{safe, shorten_middle, status_text, tilde_from};
use anyhow::Result;
use std::process::ExitCode;

mod all_hosts;

/// How often `--watch` redraws: often enough to see a state change, rarely
/// enough to cost nothing.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub fn run(global: &GlobalArgs, args: ListArgs) -> Result<ExitCode> {
    if args.all_hosts {
        return all_hosts::run(global, args);
    }
    let mut store = super::open_store(global)?;
    if args.watch {
        return watch(|| {
            let sessions = current(&mut store)?;
            Ok(table(
                &store.layout,
                &sessions,
                Timestamp::now(),
                Style::detect(),
            ))
        });
    }
    let mut sessions = current(&mut store)?;
    if args.json {
        crate::util::output::emit_json(&crate::view::listed(&store.layout, &mut sessions))?;
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

/// `--watch`: the table `draw` makes, redrawn in place until Ctrl-C.
fn watch(mut draw: impl FnMut() -> Result<String>) -> Result<ExitCode> {
    crate::util::output::emit("\x1b[2J")?;
    loop {
        // Home, draw, clear what is left of an older, longer table.
        let mut frame = String::from("\x1b[H");
        for line in draw()?.lines() {
            frame.push_str(line);
            frame.push_str("\x1b[K\n");
        }
        frame.push_str("\x1b[J");
        crate::util::output::emit(&frame)?;
        std::thread::sleep(WATCH_INTERVAL);
    }
}

/// Every session, reconciled with the process table.
fn current(store: &mut Store) -> Result<Vec<Session>> {
    Ok(crate::run::liveness::all(
        &mut store.registry,
        &store.layout,
    )?)
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
    let rows: Vec<Row> = sessions
        .iter()
        .map(|session| Row::of(session, &layout.home, now))
        .collect();
    draw(None, &rows, style)
}

/// A row of the table, its cells ready to print.
struct Row {
    cells: [String; 7],
}

impl Row {
    /// A session of a machine whose home is `home`.
    fn of(s: &Session, home: &std::path::Path, now: Timestamp) -> Self {
        Self {
            cells: [
                safe(&s.session_name).into_owned(),
                s.short_id(),
                safe(&status_text(s)).into_owned(),
                s.message_count.to_string(),
                s.tool_call_count.to_string(),
                s.last_activity.ago(now),
                tilde_from(home, &s.working_directory),
            ],
        }
    }
}

const HEADER: [&str; 7] = [
    "NAME",
    "ID",
    "STATUS",
    "MSGS",
    "TOOLS",
    "LAST ACTIVITY",
    "CWD",
];

/// The rows under a header, with a HOST column first when `hosts` names
/// each row's host.
fn draw(hosts: Option<&[&str]>, rows: &[Row], style: Style) -> String {
    let header = HEADER.map(String::from);
    let lines: Vec<Vec<&str>> = std::iter::once(&header)
        .chain(rows.iter().map(|r| &r.cells))
        .enumerate()
        .map(|(i, cells)| {
            let host = hosts.map(|h| if i == 0 { "HOST" } else { h[i - 1] });
            host.into_iter()
                .chain(cells.iter().map(String::as_str))
                .collect()
        })
        .collect();
    let columns = lines[0].len();
    let mut widths = vec![0; columns];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let status = columns - 5;
    // What is left of the line for the last column (at least a little).
    let fixed: usize = widths[..columns - 1].iter().map(|w| w + 2).sum();
    let cwd_room = style.width.map(|w| w.saturating_sub(fixed).max(8));
    let mut out = String::with_capacity(64 * lines.len());
    for (n, line) in lines.iter().enumerate() {
        for (i, cell) in line.iter().enumerate() {
            if i == columns - 1 {
                out.push_str(&match cwd_room {
                    Some(room) => shorten_middle(cell, room),
                    None => cell.to_string(),
                });
            } else {
                let sgr = match n {
                    0 => Some("1"),
                    _ if i == status => color_of(cell),
                    _ => None,
                };
                out.push_str(&paint(cell, sgr, style.color));
                out.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 2,
                ));
            }
        }
        out.push('\n');
    }
    out
}

/// The SGR colour of a cell of the status column.
fn color_of(cell: &str) -> Option<&'static str> {
    match cell.split(' ').next() {
        Some("active" | "working" | "idle") => Some("32"),
        Some("waiting") => Some("1;33"),
        Some("crashed") => Some("31"),
        // A host that did not list its sessions (see `all_hosts`).
        Some(word) if all_hosts::PROBLEMS.contains(&word) => Some("31"),
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
