//! `claude-session ui`: every session on one screen, the ones waiting for
//! their person first, with a live preview of the selected one; keys attach
//! (detaching comes back here), start, resume, stop, delete and pin.
//!
//! The layer's parts: `model` (rows, order, filter, selection: no
//! terminal), `rows` (sessions made rows), `draw` (a frame from the model),
//! `input` (keys made actions), `app` (state and when to read again),
//! `preview`, `actions` (our own commands run for a key), `hosts` (other
//! hosts' sessions, asked in the background), `terminal`.

mod actions;
mod app;
pub mod draw;
#[cfg(test)]
mod frames;
mod hosts;
mod input;
pub mod model;
mod preview;
pub mod rows;
mod terminal;
mod worktree;

pub use app::Options;

use crate::store::Store;
use anyhow::{Result, bail};
use app::{App, Effect};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How long to wait for a key before looking for changes: the delay a
/// change can have, and four cheap questions to SQLite a second when idle.
const POLL: Duration = Duration::from_millis(250);
/// Ages ("idle 12m") move on their own: the screen is drawn at least this
/// often (the terminal receives only the cells that changed).
const REDRAW_EVERY: Duration = Duration::from_secs(1);

/// Runs the dashboard over `store` and, in the background, `hosts`.
pub fn run(store: Store, options: Options, hosts: Vec<crate::remote::config::Host>) -> Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!("the dashboard needs a terminal; scripts can read `claude-session list --json`");
    }
    let mut timings = Timings::from_env();
    let mut app = App::new(store, options, hosts);
    app.tick()?;
    let mut owned = terminal::Owned::enter()?;
    let mut dirty = true;
    let mut drawn = Instant::now();
    loop {
        if dirty || drawn.elapsed() >= REDRAW_EVERY {
            let start = Instant::now();
            owned.term.draw(|f| draw::draw(f, &app.screen()))?;
            timings.note("draw", start);
            dirty = false;
            drawn = Instant::now();
        }
        if std::mem::take(&mut app.bell) {
            let mut out = std::io::stdout();
            let _ = out.write_all(b"\x07").and_then(|()| out.flush());
        }
        if event::poll(POLL)? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => {
                    match app.key(key) {
                        Effect::None => {}
                        Effect::Quit => return Ok(()),
                        Effect::OnTerminal(args) => {
                            let layout = app.store.layout.clone();
                            let args: Vec<&str> = args.iter().map(String::as_str).collect();
                            let out = owned.lend(|| actions::run_on_terminal(&layout, &args))?;
                            if !out.ok {
                                app.say(out.said, false);
                            }
                        }
                        Effect::Background { args, doing } => {
                            app.say(format!("{doing}..."), true);
                            owned.term.draw(|f| draw::draw(f, &app.screen()))?;
                            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                            let out = actions::run(&app.store.layout, &argv);
                            if out.ok
                                && args[0] == "new"
                                && let Ok(id) = uuid::Uuid::parse_str(out.stdout.trim())
                            {
                                app.select_when_seen(id);
                            }
                            match out.ok {
                                true => app.say(format!("{doing}: done"), true),
                                false => app.say(out.said, false),
                            }
                        }
                    }
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
        let start = Instant::now();
        let changed = app.tick()?;
        if changed {
            timings.note("tick", start);
        }
        dirty |= changed;
    }
}

/// With CLAUDE_SESSION_UI_TIMINGS=FILE, how long each frame took to draw
/// and each change to read, appended to FILE in microseconds (for
/// bench/dashboard.sh, and for a person who finds the dashboard slow).
struct Timings(Option<std::fs::File>);

impl Timings {
    fn from_env() -> Timings {
        let file = std::env::var_os("CLAUDE_SESSION_UI_TIMINGS").and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        Timings(file)
    }

    fn note(&mut self, what: &str, since: Instant) {
        if let Some(file) = &mut self.0 {
            let _ = writeln!(file, "{what} {}", since.elapsed().as_micros());
        }
    }
}
