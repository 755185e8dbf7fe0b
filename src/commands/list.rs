//! `claude-session list`: every session, most recently active first.

use crate::cli::{GlobalArgs, ListArgs};
use crate::store::Store;
use crate::store::layout::Layout;
use crate::store::registry::Brief;
use crate::store::session::{Session, short_id};
use crate::util::timestamp::Timestamp;
use crate::view::{brief_status_text, safe, shorten_middle, tilde_from};
use anyhow::Result;
use std::collections::HashMap;
use std::process::ExitCode;
use uuid::Uuid;

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
            let sessions = shown(&mut store)?;
            Ok(table(
                &store.layout,
                &sessions,
                Timestamp::now(),
                Style::detect(),
            ))
        });
    }
    if args.json {
        let mut sessions = current(&mut store)?;
        crate::util::output::emit_json(&crate::view::listed(&store.layout, &mut sessions, true))?;
        return Ok(ExitCode::SUCCESS);
    }
    let sessions = shown(&mut store)?;
    if sessions.is_empty() {
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

/// Every session as the table shows it: the rows read brief, and those
/// that say Claude or its holder runs read whole and reconciled with the
/// process table (reconciling may write them). A session that started
/// between the two reads shows as the second has it; one that ended, as
/// the first had it a moment before.
fn shown(store: &mut Store) -> Result<Vec<Brief>> {
    let mut briefs = store.registry.briefs()?;
    let mut live: HashMap<Uuid, Session> = store
        .registry
        .live()?
        .into_iter()
        .map(|s| (s.session_id, s))
        .collect();
    for brief in briefs.iter_mut() {
        if live.is_empty() {
            break;
        }
        if let Some(mut session) = live.remove(&brief.session_id) {
            crate::run::liveness::reconcile(&mut store.registry, &store.layout, &mut session)?;
            *brief = Brief::from(&session);
        }
    }
    Ok(briefs)
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
pub fn table(layout: &Layout, sessions: &[Brief], now: Timestamp, style: Style) -> String {
    // Sessions share working dirs: each is made `~/...` once.
    let mut places: HashMap<&std::ffi::OsStr, String> = HashMap::new();
    let rows: Vec<Row> = sessions
        .iter()
        .map(|s| {
            let cwd = places
                .entry(s.working_directory.as_os_str())
                .or_insert_with(|| tilde_from(&layout.home, &s.working_directory));
            Row::of(s, cwd, now)
        })
        .collect();
    draw(None, &rows, style)
}

/// A row of the table: its cells' text in one string and where each ends
/// (10,000 rows keep 10,000 strings, not 70,000).
struct Row {
    text: String,
    ends: [usize; 7],
}

impl Row {
    /// A session, `cwd` its working dir as shown (see `tilde_from`).
    fn of(s: &Brief, cwd: &str, now: Timestamp) -> Self {
        Row::new([
            &safe(&s.session_name),
            &short_id(s.session_id),
            &safe(&brief_status_text(s)),
            &s.message_count.to_string(),
            &s.tool_call_count.to_string(),
            &s.last_activity.ago(now),
            cwd,
        ])
    }

    fn new(cells: [&str; 7]) -> Self {
        let mut text = String::with_capacity(cells.iter().map(|c| c.len()).sum());
        let ends = cells.map(|cell| {
            text.push_str(cell);
            text.len()
        });
        Row { text, ends }
    }

    fn cells(&self) -> [&str; 7] {
        let mut start = 0;
        self.ends.map(|end| {
            let cell = &self.text[start..end];
            start = end;
            cell
        })
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
    // Line n's cells: the header's, then each row's.
    let line = |n: usize| {
        let (host, cells): (&str, [&str; 7]) = match n {
            0 => ("HOST", HEADER),
            _ => (hosts.map_or("", |h| h[n - 1]), rows[n - 1].cells()),
        };
        hosts.map(|_| host).into_iter().chain(cells)
    };
    let columns = HEADER.len() + usize::from(hosts.is_some());
    let mut widths = vec![0; columns];
    for n in 0..=rows.len() {
        for (width, cell) in widths.iter_mut().zip(line(n)) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let status = columns - 5;
    // What is left of the line for the last column (at least a little).
    let fixed: usize = widths[..columns - 1].iter().map(|w| w + 2).sum();
    let cwd_room = style.width.map(|w| w.saturating_sub(fixed).max(8));
    let mut out = String::with_capacity(widths.iter().sum::<usize>() * (rows.len() + 1));
    for n in 0..=rows.len() {
        for (i, cell) in line(n).enumerate() {
            if i == columns - 1 {
                match cwd_room {
                    Some(room) if cell.chars().count() > room => {
                        out.push_str(&shorten_middle(cell, room))
                    }
                    _ => out.push_str(cell),
                }
            } else {
                let sgr = match n {
                    0 => Some("1"),
                    _ if i == status => color_of(cell),
                    _ => None,
                };
                paint(&mut out, cell, sgr.filter(|_| style.color));
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

/// `cell` into `out`, in the colour `sgr` if any.
fn paint(out: &mut String, cell: &str, sgr: Option<&str>) {
    match sgr {
        Some(sgr) => {
            out.push_str("\x1b[");
            out.push_str(sgr);
            out.push('m');
            out.push_str(cell);
            out.push_str("\x1b[0m");
        }
        None => out.push_str(cell),
    }
}
