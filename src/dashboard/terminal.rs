//! The terminal while the dashboard owns it: raw mode and the alternate
//! screen, given back on every way out (return, error, panic) and lent to
//! an attach in between.

use anyhow::{Context, Result};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use std::io::{self, Stdout};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode and the alternate screen while it lives.
pub struct Owned {
    pub term: Term,
}

impl Owned {
    pub fn enter() -> Result<Owned> {
        install_panic_hook();
        take().context("cannot set up the terminal")?;
        let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        term.clear()?;
        Ok(Owned { term })
    }

    /// Gives the terminal to `f` (an attach: Claude's screen, its keys),
    /// then takes it back and redraws everything.
    pub fn lend<T>(&mut self, f: impl FnOnce() -> T) -> Result<T> {
        give_back();
        let out = f();
        take().context("cannot take the terminal back")?;
        self.term.clear()?;
        Ok(out)
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        give_back();
    }
}

fn take() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)
}

fn give_back() {
    let _ = execute!(io::stdout(), cursor::Show, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

/// A panic prints its message on a terminal that is usable again.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            give_back();
            before(info);
        }));
    });
}
