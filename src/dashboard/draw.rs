//! Drawing the dashboard: the header with the counts, the table (columns
//! given up as the terminal narrows), the preview of the selected session,
//! the footer with the keys or what is being typed, the help. Nothing here
//! reads the store or a socket: it draws what `Screen` holds.

use super::model::{Model, Row, Urgency};
use crate::util::timestamp::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Table};

/// What is drawn, besides the model.
pub struct Screen<'a> {
    pub model: &'a Model,
    /// The selected session's screen, or the end of its conversation.
    pub preview: &'a Preview,
    /// What git says of its worktree, if it has one.
    pub worktree: Option<&'a str>,
    /// The footer: the keys, or what is being typed, or a message.
    pub footer: Footer,
    pub help: bool,
    /// Colours (off with NO_COLOR).
    pub color: bool,
    /// The time ages are counted to.
    pub now: Timestamp,
    /// Hosts that did not list their sessions: "box: unreachable".
    pub hosts: &'a [String],
}

#[derive(Default)]
pub struct Preview {
    /// Where the lines come from: "screen", "conversation", or why none.
    pub source: String,
    pub lines: Vec<String>,
}

pub enum Footer {
    Keys,
    /// A question or a field being typed: its text and the answer so far.
    Prompt(String, String),
    /// What the last action did (false: it failed).
    Said(String, bool),
}

/// The keys, for the footer, as many as fit; help and quit always do.
const KEYS: &[(&str, &str)] = &[
    ("Enter", "attach"),
    ("n", "new"),
    ("r", "resume"),
    ("k", "kill"),
    ("d", "delete"),
    ("Tab", "waiting"),
    ("/", "filter"),
    ("p", "pin"),
    ("s", "sort"),
];
const ALWAYS: &[(&str, &str)] = &[("?", "help"), ("q", "quit")];

pub fn draw(frame: &mut Frame, screen: &Screen) {
    let area = frame.area();
    let wide = area.width >= 160;
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let (list, preview) = if wide {
        let [l, p] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(body);
        (l, p)
    } else {
        // The table: its rows, at least room for a message, at most half.
        let most = body.height / 2 + 1;
        let rows = u16::try_from(screen.model.shown().len()).unwrap_or(u16::MAX);
        let table_rows = rows.saturating_add(1).max(3).min(most);
        let [l, p] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(table_rows), Constraint::Min(1)])
            .areas(body);
        (l, p)
    };
    draw_header(frame, header, screen);
    draw_table(frame, list, screen);
    draw_preview(frame, preview, screen, wide);
    draw_footer(frame, footer, screen);
    if screen.help {
        draw_help(frame, area, screen.color);
    }
}

fn style(color: bool, style: Style) -> Style {
    if color { style } else { Style::default() }
}

fn draw_header(frame: &mut Frame, area: Rect, screen: &Screen) {
    let model = screen.model;
    let mut text = format!("claude-session · {}", model.counts());
    for problem in screen.hosts {
        text.push_str(&format!(" · {problem}"));
    }
    if !model.filter().is_empty() {
        text.push_str(&format!(" · filter: {}", model.filter()));
    }
    text.push_str(&format!(" · sort: {}", model.sort.label()));
    let line = Line::styled(
        text,
        style(screen.color, Style::new().add_modifier(Modifier::BOLD)),
    );
    frame.render_widget(Paragraph::new(line), area);
}

/// The columns, as many as fit: name and state always.
fn columns(width: u16) -> Vec<Column> {
    let mut columns = vec![Column::Name, Column::State, Column::Place, Column::Dir];
    if width >= 100 {
        columns.push(Column::Branch);
    }
    if width >= 90 {
        columns.push(Column::Messages);
    }
    if width >= 120 {
        columns.push(Column::Tokens);
    }
    columns.push(Column::Active);
    if width < 70 {
        columns.retain(|c| matches!(c, Column::Name | Column::State | Column::Active));
    }
    columns
}

#[derive(Clone, Copy)]
enum Column {
    Name,
    State,
    Place,
    Dir,
    Branch,
    Messages,
    Tokens,
    Active,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::State => "STATE",
            Column::Place => "WHERE",
            Column::Dir => "DIRECTORY",
            Column::Branch => "BRANCH",
            Column::Messages => "MSGS",
            Column::Tokens => "TOKENS",
            Column::Active => "ACTIVE",
        }
    }

    /// `fit`: the widths the names and states shown need.
    fn width(self, fit: (u16, u16)) -> Constraint {
        match self {
            Column::Name => Constraint::Length(fit.0),
            Column::State => Constraint::Length(fit.1),
            Column::Place => Constraint::Length(10),
            Column::Dir => Constraint::Fill(1),
            Column::Branch => Constraint::Max(16),
            Column::Messages => Constraint::Length(5),
            Column::Tokens => Constraint::Length(7),
            Column::Active => Constraint::Length(6),
        }
    }

    fn cell(self, row: &Row, now: Timestamp) -> String {
        match self {
            Column::Name if row.pinned => format!("{} *", row.label()),
            Column::Name => row.label(),
            Column::State => row.state.clone(),
            Column::Place => row.place.clone(),
            Column::Dir => row.cwd.clone(),
            Column::Branch => row.branch.clone().unwrap_or_default(),
            Column::Messages => row.messages.to_string(),
            Column::Tokens => row.tokens.map(thousands).unwrap_or_default(),
            Column::Active => super::rows::compact_age(row.last_activity, now),
        }
    }
}

/// 1234 -> "1.2k", 3400000 -> "3.4M".
fn thousands(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn draw_table(frame: &mut Frame, area: Rect, screen: &Screen) {
    let model = screen.model;
    let columns = columns(area.width);
    let now = screen.now;
    if model.shown().len() == 0 {
        let text = match model.all().is_empty() {
            true => "No sessions yet. Press n to start one.",
            false => "No session matches the filter.",
        };
        frame.render_widget(Paragraph::new(text), area);
        return;
    }
    // Only the rows that fit are built: a frame costs the same for ten
    // sessions or ten thousand.
    let height = area.height.saturating_sub(1) as usize;
    let selected = model.selected_index().unwrap_or(0);
    let first = selected.saturating_sub(height.saturating_sub(1));
    let rows = model
        .shown()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, row)| {
            let mark = style(screen.color, urgency_style(row.urgency));
            let cells = columns.iter().map(|c| {
                let cell = Cell::from(c.cell(row, now));
                match c {
                    Column::State => cell.style(mark),
                    _ => cell,
                }
            });
            let line = TableRow::new(cells);
            match i == selected {
                true => line.style(style(
                    screen.color,
                    Style::new().add_modifier(Modifier::REVERSED),
                )),
                false => line,
            }
        });
    let header = TableRow::new(columns.iter().map(|c| Cell::from(c.title()))).style(style(
        screen.color,
        Style::new().add_modifier(Modifier::BOLD),
    ));
    // Name and state as wide as what is shown needs (within bounds): the
    // directory gets the rest.
    let visible = || model.shown().skip(first).take(height);
    let widest = |f: fn(&Row) -> usize, least: usize, most: usize| -> u16 {
        visible().map(f).max().unwrap_or(0).clamp(least, most) as u16
    };
    let fit = (
        widest(
            |r| r.label().chars().count() + if r.pinned { 2 } else { 0 },
            4,
            32,
        ),
        widest(|r| r.state.chars().count(), 5, 32),
    );
    let widths: Vec<Constraint> = columns.iter().map(|c| c.width(fit)).collect();
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .highlight_symbol("> ");
    // The selection mark without color: a leading '>' on the selected row.
    let mut state = ratatui::widgets::TableState::default();
    state.select(Some(selected - first));
    frame.render_stateful_widget(table, area, &mut state);
}

fn urgency_style(urgency: Urgency) -> Style {
    match urgency {
        Urgency::Waiting => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        Urgency::Working => Style::new().fg(Color::Green),
        Urgency::Idle => Style::new(),
        Urgency::Resting => Style::new().fg(Color::DarkGray),
    }
}

fn draw_preview(frame: &mut Frame, area: Rect, screen: &Screen, beside: bool) {
    let title = match screen.model.selected() {
        Some(row) => match screen.worktree {
            Some(worktree) => format!(" {} · {} · {worktree} ", row.label(), screen.preview.source),
            None => format!(" {} · {} ", row.label(), screen.preview.source),
        },
        None => " preview ".to_string(),
    };
    let borders = match beside {
        true => Borders::TOP | Borders::LEFT,
        false => Borders::TOP,
    };
    let block = Block::default().borders(borders).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The end of the screen: where Claude's prompt and questions are.
    let lines = &screen.preview.lines;
    let first = lines.len().saturating_sub(inner.height as usize);
    let text: Vec<Line> = lines[first..]
        .iter()
        .map(|l| Line::raw(l.as_str()))
        .collect();
    frame.render_widget(Paragraph::new(text), inner);
}

fn draw_footer(frame: &mut Frame, area: Rect, screen: &Screen) {
    let line = match &screen.footer {
        Footer::Keys => {
            let width = |keys: &[(&str, &str)]| -> usize {
                keys.iter().map(|(k, w)| k.len() + w.len() + 3).sum()
            };
            let mut room = (area.width as usize).saturating_sub(width(ALWAYS));
            let mut shown = Vec::new();
            for key in KEYS {
                let needs = width(std::slice::from_ref(key));
                if needs > room {
                    break;
                }
                room -= needs;
                shown.push(*key);
            }
            shown.extend_from_slice(ALWAYS);
            let mut spans = Vec::new();
            for (key, what) in shown {
                spans.push(Span::styled(
                    key,
                    style(screen.color, Style::new().add_modifier(Modifier::BOLD)),
                ));
                spans.push(Span::raw(format!(" {what}  ")));
            }
            Line::from(spans)
        }
        Footer::Prompt(question, answer) => Line::from(vec![
            Span::styled(
                format!("{question} "),
                style(screen.color, Style::new().add_modifier(Modifier::BOLD)),
            ),
            Span::raw(answer.as_str()),
        ]),
        Footer::Said(text, ok) => Line::styled(
            text.as_str(),
            style(
                screen.color,
                match ok {
                    true => Style::new().fg(Color::Green),
                    false => Style::new().fg(Color::Red),
                },
            ),
        ),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_help(frame: &mut Frame, area: Rect, color: bool) {
    let mut lines = vec![Line::styled(
        "Keys",
        style(color, Style::new().add_modifier(Modifier::BOLD)),
    )];
    let explain: &[(&str, &str)] = &[
        (
            "Enter",
            "attach (detach returns here); wakes a hibernated session",
        ),
        ("n", "new session: name, directory, model"),
        ("r", "resume a stopped session, or start it again"),
        ("k", "kill: stop Claude (asks first)"),
        ("d", "delete a session that does not run (asks first)"),
        ("p", "pin or unpin (cleanup never removes a pinned one)"),
        ("/", "filter by name or directory; Esc clears"),
        ("Tab", "the next session waiting for you"),
        ("s", "sort: urgency, activity, name"),
        ("Up/Down", "move; PgUp/PgDn, Home/End"),
        ("q Esc", "quit"),
    ];
    for (key, what) in explain {
        lines.push(Line::raw(format!("{key:<12} {what}")));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "Detach from a session with its detach keys (Ctrl-\\ d unless set).",
    ));
    lines.push(Line::raw(
        "A bell rings when a session starts waiting (ui --no-bell: none);",
    ));
    lines.push(Line::raw(
        "ui --notify CMD runs CMD too. Colours follow NO_COLOR.",
    ));
    let width = 72.min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" help ")),
        rect,
    );
}
