//! Keys, turned into what the dashboard does: moving, filtering, the
//! questions asked before a kill or a delete, the fields of a new session.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the person asked for.
#[derive(Debug, PartialEq)]
pub enum Action {
    None,
    Quit,
    Move(isize),
    Top,
    Bottom,
    NextWaiting,
    Sort,
    Help,
    Attach,
    Resume,
    Pin,
    /// Asked and answered: kill or delete the selected session.
    Kill,
    Delete,
    /// The new session's fields, filled in.
    New {
        name: String,
        dir: String,
        model: String,
    },
    /// The filter as typed so far.
    Filter(String),
}

/// What is being typed, if anything.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Mode {
    #[default]
    Keys,
    Filter(String),
    /// "kill NAME? (y/n)": the action a `y` does.
    Confirm(Confirm, String),
    /// The new session's fields; `at` the one being typed.
    New {
        fields: [String; 3],
        at: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Confirm {
    Kill,
    Delete,
}

const FIELDS: [&str; 3] = ["name", "directory", "model"];

impl Mode {
    /// The question, and the answer so far with `_` where typing goes,
    /// for the footer.
    pub fn prompt(&self) -> Option<(String, String)> {
        match self {
            Mode::Keys => None,
            Mode::Filter(text) => Some((
                "filter (Enter keeps it, Esc clears):".into(),
                format!("{text}_"),
            )),
            Mode::Confirm(what, name) => {
                let verb = match what {
                    Confirm::Kill => "stop Claude in",
                    Confirm::Delete => "delete",
                };
                Some((format!("{verb} {name}? (y/n)"), String::new()))
            }
            // Every field shown, the one being typed marked: the model
            // and the directory have useful defaults, seen before Enter.
            Mode::New { fields, at } => {
                let shown: Vec<String> = FIELDS
                    .iter()
                    .zip(fields)
                    .enumerate()
                    .map(|(i, (field, value))| match (i == *at, value.is_empty()) {
                        (true, _) => format!("{field}: {value}_"),
                        (false, true) if i == 2 => format!("{field}: (default)"),
                        (false, _) => format!("{field}: {value}"),
                    })
                    .collect();
                // The fields first: on a narrow terminal the hint goes.
                Some((
                    "new session:".into(),
                    format!(
                        "{}   (Tab: next field, Enter: start, Esc: cancel)",
                        shown.join("  ")
                    ),
                ))
            }
        }
    }
}

/// Turns a key into an action, changing `mode` as it goes.
pub fn key(mode: &mut Mode, key: KeyEvent, selected: Option<&str>) -> Action {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Action::Quit;
    }
    match mode {
        Mode::Keys => keys(mode, key, selected),
        Mode::Filter(text) => match key.code {
            KeyCode::Enter => {
                *mode = Mode::Keys;
                Action::None
            }
            KeyCode::Esc => {
                *mode = Mode::Keys;
                Action::Filter(String::new())
            }
            KeyCode::Backspace => {
                text.pop();
                Action::Filter(text.clone())
            }
            KeyCode::Char(c) => {
                text.push(c);
                Action::Filter(text.clone())
            }
            _ => Action::None,
        },
        Mode::Confirm(what, _) => {
            let what = *what;
            *mode = Mode::Keys;
            match (key.code, what) {
                (KeyCode::Char('y' | 'Y'), Confirm::Kill) => Action::Kill,
                (KeyCode::Char('y' | 'Y'), Confirm::Delete) => Action::Delete,
                _ => Action::None,
            }
        }
        Mode::New { fields, at } => match key.code {
            KeyCode::Esc => {
                *mode = Mode::Keys;
                Action::None
            }
            KeyCode::Tab | KeyCode::Down => {
                *at = (*at + 1) % FIELDS.len();
                Action::None
            }
            KeyCode::BackTab | KeyCode::Up => {
                *at = (*at + FIELDS.len() - 1) % FIELDS.len();
                Action::None
            }
            KeyCode::Backspace => {
                fields[*at].pop();
                Action::None
            }
            KeyCode::Char(c) => {
                fields[*at].push(c);
                Action::None
            }
            KeyCode::Enter => {
                let [name, dir, model] = fields.clone();
                *mode = Mode::Keys;
                Action::New { name, dir, model }
            }
            _ => Action::None,
        },
    }
}

fn keys(mode: &mut Mode, key: KeyEvent, selected: Option<&str>) -> Action {
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Up => Action::Move(-1),
        KeyCode::Down => Action::Move(1),
        KeyCode::PageUp => Action::Move(-10),
        KeyCode::PageDown => Action::Move(10),
        KeyCode::Home => Action::Top,
        KeyCode::End => Action::Bottom,
        KeyCode::Tab => Action::NextWaiting,
        KeyCode::Char('s') => Action::Sort,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Enter => Action::Attach,
        KeyCode::Char('r') => Action::Resume,
        KeyCode::Char('p') => Action::Pin,
        KeyCode::Char('/') => {
            *mode = Mode::Filter(String::new());
            Action::Filter(String::new())
        }
        KeyCode::Char('n') => {
            let here = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            *mode = Mode::New {
                fields: [String::new(), here, String::new()],
                at: 0,
            };
            Action::None
        }
        KeyCode::Char(c @ ('k' | 'd')) => {
            if let Some(name) = selected {
                let what = if c == 'k' {
                    Confirm::Kill
                } else {
                    Confirm::Delete
                };
                *mode = Mode::Confirm(what, name.to_string());
            }
            Action::None
        }
        _ => Action::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(mode: &mut Mode, code: KeyCode) -> Action {
        key(mode, KeyEvent::from(code), Some("api"))
    }

    #[test]
    fn a_kill_is_asked_first() {
        let mut mode = Mode::Keys;
        assert_eq!(press(&mut mode, KeyCode::Char('k')), Action::None);
        assert_eq!(mode.prompt().unwrap().0, "stop Claude in api? (y/n)");
        assert_eq!(press(&mut mode, KeyCode::Char('y')), Action::Kill);
        assert_eq!(mode, Mode::Keys);
        press(&mut mode, KeyCode::Char('d'));
        assert_eq!(press(&mut mode, KeyCode::Char('n')), Action::None, "no");
        assert_eq!(mode, Mode::Keys);
    }

    #[test]
    fn the_filter_is_typed_and_cleared() {
        let mut mode = Mode::Keys;
        press(&mut mode, KeyCode::Char('/'));
        press(&mut mode, KeyCode::Char('a'));
        assert_eq!(
            press(&mut mode, KeyCode::Char('p')),
            Action::Filter("ap".into())
        );
        assert_eq!(
            press(&mut mode, KeyCode::Backspace),
            Action::Filter("a".into())
        );
        assert_eq!(
            press(&mut mode, KeyCode::Esc),
            Action::Filter(String::new())
        );
        assert_eq!(mode, Mode::Keys);
    }

    #[test]
    fn a_new_session_has_a_name_a_directory_and_a_model() {
        let mut mode = Mode::Keys;
        press(&mut mode, KeyCode::Char('n'));
        for c in "web".chars() {
            press(&mut mode, KeyCode::Char(c));
        }
        press(&mut mode, KeyCode::Tab);
        // The directory starts as the current one: cleared, then typed.
        while let Mode::New { fields, .. } = &mode {
            if fields[1].is_empty() {
                break;
            }
            press(&mut mode, KeyCode::Backspace);
        }
        for c in "/srv".chars() {
            press(&mut mode, KeyCode::Char(c));
        }
        press(&mut mode, KeyCode::Tab);
        assert_eq!(
            mode.prompt().unwrap().1,
            "name: web  directory: /srv  model: _   (Tab: next field, Enter: start, Esc: cancel)"
        );
        press(&mut mode, KeyCode::Char('o'));
        assert_eq!(
            press(&mut mode, KeyCode::Enter),
            Action::New {
                name: "web".into(),
                dir: "/srv".into(),
                model: "o".into()
            }
        );
    }
}
