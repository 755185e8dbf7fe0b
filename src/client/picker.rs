//! The session picker of `resume` without a name: a filter line, a list of
//! sessions (newest first) and a highlighted row. This file is the pure core
//! (filtering, moving the selection, rendering rows to strings); `keys`
//! turns terminal bytes into keys and `tty` runs it on the terminal.

mod keys;
mod tty;

pub use tty::pick;

use keys::Key;

/// One session as the picker shows it; it knows nothing else of sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// "stopped", "working (detached)", ...
    pub state: String,
    /// "3 min ago".
    pub ago: String,
    /// The working dir as shown: `~/src/api`.
    pub cwd: String,
    /// The working dir in full, matched by the filter too.
    pub path: String,
}

/// How picking ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The index, in the entries given, of the session picked.
    Picked(usize),
    Cancelled,
}

/// What is on screen: lines (at most the height, none wider than the width,
/// in characters) and where the cursor goes (row, column; from 0).
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub lines: Vec<Line>,
    pub cursor: (usize, usize),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub style: Style,
}

/// How the terminal side paints a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Header,
    Selected,
    Dim,
}

const PROMPT: &str = "resume> ";
const HEADER: [&str; 4] = ["NAME", "STATE", "LAST ACTIVITY", "CWD"];
const HINT: &str = "↑↓ move · Enter resume · Esc cancel";
/// The least room the cwd column is shortened to before the line is cut.
const MIN_CWD: usize = 8;

pub struct Picker {
    entries: Vec<Entry>,
    /// Lower-cased name, cwd and path of each entry: what the filter matches.
    haystacks: Vec<String>,
    /// Width of the name, state and last-activity columns over every entry,
    /// so columns do not jump while typing.
    widths: [usize; 3],
    query: String,
    /// Indexes into `entries` of those matching `query`, in their order.
    matches: Vec<usize>,
    /// Position in `matches` of the highlighted row.
    selected: usize,
    /// Position in `matches` of the top row shown.
    offset: usize,
    /// Rows shown at the last render: how far a page moves.
    page: usize,
}

impl Picker {
    pub fn new(entries: Vec<Entry>) -> Self {
        let haystacks = entries
            .iter()
            // A query holds no newline (Enter picks), so it cannot match across fields.
            .map(|e| format!("{}\n{}\n{}", e.name, e.cwd, e.path).to_lowercase())
            .collect();
        let mut widths = [HEADER[0], HEADER[1], HEADER[2]].map(|h| h.chars().count());
        for e in &entries {
            for (w, cell) in widths.iter_mut().zip([&e.name, &e.state, &e.ago]) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut picker = Self {
            matches: Vec::new(),
            entries,
            haystacks,
            widths,
            query: String::new(),
            selected: 0,
            offset: 0,
            page: 1,
        };
        picker.refilter();
        picker
    }

    /// Applies one key; `Some` when picking is over.
    pub fn handle(&mut self, key: Key) -> Option<Outcome> {
        match key {
            Key::Char(c) => {
                self.query.push(c);
                self.refilter();
            }
            Key::Backspace => {
                self.query.pop();
                self.refilter();
            }
            Key::ClearQuery => {
                self.query.clear();
                self.refilter();
            }
            Key::Up => self.move_by(-1),
            Key::Down => self.move_by(1),
            Key::PageUp => self.move_by(-(self.page as isize)),
            Key::PageDown => self.move_by(self.page as isize),
            // Enter with nothing matching does nothing: the user types less.
            Key::Enter => return self.matches.get(self.selected).map(|&i| Outcome::Picked(i)),
            Key::Cancel => return Some(Outcome::Cancelled),
        }
        None
    }

    /// The index in the entries of the highlighted one, if any matches.
    #[cfg(test)]
    fn selected(&self) -> Option<usize> {
        self.matches.get(self.selected).copied()
    }

    /// Case-insensitive substring match; the best (newest) match on top.
    fn refilter(&mut self) {
        let needle = self.query.to_lowercase();
        self.matches = (0..self.entries.len())
            .filter(|&i| self.haystacks[i].contains(&needle))
            .collect();
        self.selected = 0;
        self.offset = 0;
    }

    /// Moves the highlight, stopping at the first and last row.
    fn move_by(&mut self, delta: isize) {
        let last = self.matches.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Draws into `width` x `height` (at least the filter line), scrolling so
    /// the highlighted row shows.
    pub fn render(&mut self, width: usize, height: usize) -> Frame {
        let height = height.max(1);
        // Shed the header first, then the footer, when the terminal is low.
        let (header, footer) = (height >= 4, height >= 3);
        let room = height - 1 - usize::from(header) - usize::from(footer);
        self.page = room.max(1);
        self.scroll(room);

        let mut lines = Vec::with_capacity(height);
        let (prompt, cursor_col) = self.prompt_line(width);
        lines.push(Line {
            text: prompt,
            style: Style::Plain,
        });
        if header {
            lines.push(Line {
                text: self.row(HEADER.map(str::to_string), "  ", width),
                style: Style::Header,
            });
        }
        if room > 0 && self.matches.is_empty() {
            lines.push(Line {
                text: fit(
                    if self.entries.is_empty() {
                        "  no sessions"
                    } else {
                        "  no session matches"
                    },
                    width,
                ),
                style: Style::Dim,
            });
        }
        let shown = self.matches.iter().enumerate().skip(self.offset).take(room);
        for (pos, &i) in shown {
            let e = &self.entries[i];
            let selected = pos == self.selected;
            let cells = [&e.name, &e.state, &e.ago, &e.cwd].map(String::clone);
            lines.push(Line {
                text: self.row(cells, if selected { "> " } else { "  " }, width),
                style: if selected {
                    Style::Selected
                } else {
                    Style::Plain
                },
            });
        }
        if footer {
            let count = format!("  {}/{}  {HINT}", self.matches.len(), self.entries.len());
            lines.push(Line {
                text: fit(&count, width),
                style: Style::Dim,
            });
        }
        Frame {
            lines,
            cursor: (0, cursor_col),
        }
    }

    /// Keeps the highlighted row among the `room` shown, scrolling as little
    /// as possible, and the list filling the room when it can.
    fn scroll(&mut self, room: usize) {
        if room == 0 {
            return;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + room {
            self.offset = self.selected + 1 - room;
        }
        self.offset = self.offset.min(self.matches.len().saturating_sub(room));
    }

    /// "resume> query", its end kept in view; and the cursor's column.
    fn prompt_line(&self, width: usize) -> (String, usize) {
        let full = format!("{PROMPT}{}", self.query);
        let count = full.chars().count();
        // One cell is left for the cursor after the text.
        if count < width {
            return (full, count);
        }
        let keep = width.saturating_sub(2);
        let mut text = String::from(if width >= 2 { "…" } else { "" });
        text.extend(full.chars().skip(count - keep));
        (text, width.saturating_sub(1))
    }

    /// One row: marker, padded columns, the cwd shortened in the middle to
    /// the room left, and the whole cut to the width.
    fn row(&self, cells: [String; 4], marker: &str, width: usize) -> String {
        let [name, state, ago, cwd] = cells;
        let [nw, sw, aw] = self.widths;
        let fixed = marker.chars().count() + nw + sw + aw + 6;
        let cwd = shorten_middle(&cwd, width.saturating_sub(fixed).max(MIN_CWD));
        let line = format!("{marker}{name:<nw$}  {state:<sw$}  {ago:<aw$}  {cwd}");
        fit(line.trim_end(), width)
    }
}

/// `text` cut to `width` characters, an ellipsis marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// "~/src/very/long/path" in `room` characters: "~/src/…/path".
fn shorten_middle(text: &str, room: usize) -> String {
    let count = text.chars().count();
    if count <= room {
        return text.to_string();
    }
    let keep = room.saturating_sub(1);
    let head = keep / 2;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - (keep - head)));
    out
}

#[cfg(test)]
mod tests;
