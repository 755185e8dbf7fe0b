//! The user's terminal after a detach, a takeover or Claude's end: as it
//! was before attaching (normal screen, no mouse reporting, no bracketed
//! paste, keyboard protocols off), and the message on a clean line.

use crate::support::Env;
use crate::support::pty::Terminal;

const DETACH: &[u8] = b"\x1cd";

fn fullscreen_env() -> Env {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    env.set("FAKE_AGENT_FULLSCREEN", "1");
    env
}

/// The row that starts with `text`, and every row above it.
fn rows_up_to(term: &Terminal, text: &str) -> Vec<String> {
    let screen = term.contents();
    let rows: Vec<String> = screen.lines().map(str::to_string).collect();
    let at = rows
        .iter()
        .position(|r| r.starts_with(text))
        .unwrap_or_else(|| panic!("no row starts with {text:?}:\n{screen}"));
    rows[..=at].to_vec()
}

/// The terminal is back on its normal screen with every mode off.
fn assert_restored(term: &Terminal) {
    let screen = term.screen();
    assert!(!screen.alternate_screen(), "left in the alternate screen");
    assert!(!screen.bracketed_paste());
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
    assert!(!screen.hide_cursor());
    // What vt100 does not track: sent after the last time it was turned on.
    let raw = term.transcript();
    for (on, off) in [
        ("\x1b[>1u", "\x1b[<"),
        ("\x1b[>4;2m", "\x1b[>4m"),
        ("\x1b[?1004h", "\x1b[?1004l"),
    ] {
        let tail = &raw[raw.rfind(on).expect("turned on")..];
        assert!(tail.contains(off), "{off:?} was not sent: {tail:?}");
    }
}

#[test]
fn detaching_from_the_alternate_screen_restores_the_terminal() {
    let env = fullscreen_env();
    let mut term = Terminal::spawn(&env, &["new", "alpha"], 24, 80);
    term.wait_for("AGENT-READY");
    assert!(term.screen().alternate_screen());
    term.type_bytes(DETACH);
    assert_eq!(term.wait_exit().code(), Some(0));
    term.wait_for("claude-session: detached from alpha");
    assert_restored(&term);
    // The normal screen as it was: the line said before attaching, then
    // the message on the next line, nothing of Claude's screen.
    let rows = rows_up_to(&term, "claude-session: detached from alpha");
    assert_eq!(rows.len(), 2, "{rows:?}\n{:?}", term.transcript());
    assert!(rows[0].starts_with("claude-session: attached to alpha"));
    assert!(!term.contents().contains("AGENT-READY"));
}

#[test]
fn attaching_enters_the_alternate_screen_claude_draws_on_and_its_end_leaves_it() {
    let env = fullscreen_env();
    env.ok(&["new", "alpha", "--detached"]);
    let mut term = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    term.wait_for("AGENT-READY");
    assert!(term.screen().alternate_screen());
    assert!(term.screen().bracketed_paste());
    term.type_bytes(b"quit\r");
    assert_eq!(term.wait_exit().code(), Some(3));
    term.wait_for("claude-session: alpha ended (exit 3)");
    assert_restored(&term);
    let rows = rows_up_to(&term, "claude-session: alpha ended (exit 3)");
    assert!(
        rows[rows.len() - 2].starts_with("Resume with: fake"),
        "{rows:?}"
    );
}

#[test]
fn a_takeover_restores_the_terminal_it_takes_from() {
    let env = fullscreen_env();
    env.ok(&["new", "alpha", "--detached"]);
    let mut first = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    first.wait_for("AGENT-READY");
    let mut second = Terminal::spawn(&env, &["attach", "alpha"], 24, 80);
    second.wait_for("AGENT-READY");
    assert_eq!(first.wait_exit().code(), Some(0));
    first.wait_for("claude-session: detached from alpha: another terminal attached");
    assert_restored(&first);
    second.type_bytes(DETACH);
    second.wait_exit();
}

#[test]
fn detaching_from_an_inline_screen_leaves_its_lines_and_says_so_below() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    let mut term = Terminal::spawn(&env, &["new", "alpha"], 10, 60);
    term.wait_for("AGENT-READY");
    term.type_bytes(b"hello\r");
    term.wait_for("got:hello");
    term.type_bytes(DETACH);
    term.wait_exit();
    term.wait_for("claude-session: detached from alpha");
    let rows = rows_up_to(&term, "claude-session: detached from alpha");
    assert!(
        rows.iter().any(|r| r == "got:hello"),
        "Claude's lines stay above the message: {rows:?}"
    );
}
