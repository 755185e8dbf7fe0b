//! `resume` without a session: the picker on a real terminal, and the error
//! off one.

use crate::support::pty::Terminal;
use crate::support::{Env, wait_for};

const DOWN: &[u8] = b"\x1b[B";

/// Sessions `names` (created in that order) and their names as the picker
/// lists them: most recently active first.
fn sessions(names: &[&str]) -> (Env, Vec<String>) {
    let env = Env::new();
    for name in names {
        env.create(name);
    }
    let order = env
        .list()
        .iter()
        .map(|s| s["sessionName"].as_str().unwrap().to_string())
        .collect();
    (env, order)
}

/// The session the (only) agent run belongs to.
fn resumed(env: &Env) -> String {
    env.only_agent_run().env["CLAUDE_SESSION_NAME"].clone()
}

#[test]
fn a_filter_and_enter_resume_that_session() {
    let (env, order) = sessions(&["alpha", "beta", "gamma"]);
    let mut term = Terminal::spawn(&env, &["resume"], 24, 80);
    term.wait_for("3/3");
    let screen = term.contents();
    assert!(screen.starts_with("resume>"), "{screen}");
    assert!(
        screen.contains(&format!("> {}", order[0])),
        "the newest is highlighted:\n{screen}"
    );
    assert!(screen.contains("LAST ACTIVITY") && screen.contains("created"));
    // The filter matches names and directories, case-insensitively: four
    // letters, so the temp dir's random suffix cannot match all three.
    term.type_bytes(b"BETA");
    term.wait_for("1/3");
    term.type_bytes(b"\r");
    assert_eq!(term.wait_exit().code(), Some(0), "{}", term.contents());
    assert_eq!(resumed(&env), "beta");
    term.wait_for("beta ended (exit 0)");
}

#[test]
fn arrows_select_the_second_row() {
    let (env, order) = sessions(&["alpha", "beta", "gamma"]);
    let mut term = Terminal::spawn(&env, &["resume"], 24, 80);
    term.wait_for("3/3");
    term.type_bytes(DOWN);
    term.wait_for(&format!("> {}", order[1]));
    // Ctrl-N and Ctrl-P move too: down to the third, back to the second.
    term.type_bytes(b"\x0e");
    term.wait_for(&format!("> {}", order[2]));
    term.type_bytes(b"\x10");
    term.wait_for(&format!("> {}", order[1]));
    term.type_bytes(b"\r");
    assert_eq!(term.wait_exit().code(), Some(0), "{}", term.contents());
    assert_eq!(resumed(&env), order[1]);
}

#[test]
fn esc_or_ctrl_c_cancel_and_start_nothing() {
    let (env, _) = sessions(&["alpha", "beta"]);
    for key in [&b"\x1b"[..], b"\x03"] {
        let mut term = Terminal::spawn(&env, &["resume"], 24, 80);
        term.wait_for("2/2");
        term.type_bytes(key);
        assert_eq!(term.wait_exit().code(), Some(1), "{key:?}");
        term.wait_for("claude-session: no session picked");
        let screen = term.contents();
        assert!(
            !screen.contains("resume>"),
            "the shell's screen is back:\n{screen}"
        );
        assert!(
            term.transcript()
                .contains("\x1b[?1049l\x1b[?25hclaude-session: no session picked"),
            "the alternate screen is left and the cursor shown, then the one line"
        );
    }
    assert!(env.agent_runs().is_empty(), "no agent started");
}

#[test]
fn a_small_terminal_redraws_scrolls_and_cuts_rows() {
    let (env, order) = sessions(&["s1", "s2", "s3", "s4", "s5"]);
    let mut term = Terminal::spawn(&env, &["resume"], 24, 80);
    term.wait_for("5/5");
    // 5 rows: the filter line, the header, 2 session rows, the footer.
    term.resize(5, 30);
    wait_for(|| {
        let screen = term.contents();
        screen.lines().nth(4)?.contains("5/5").then_some(())
    });
    for _ in 0..4 {
        term.type_bytes(DOWN);
    }
    term.wait_for(&format!("> {}", order[4]));
    let screen = term.contents();
    let rows: Vec<&str> = screen.lines().collect();
    assert_eq!(rows.len(), 5, "{screen}");
    assert!(rows[2].starts_with(&format!("  {}", order[3])), "{screen}");
    assert!(
        rows.iter().all(|r| r.chars().count() <= 30),
        "rows fit the width:\n{screen}"
    );
    assert!(rows[3].ends_with('…'), "a cut row says so:\n{screen}");
    term.type_bytes(b"\r");
    assert_eq!(term.wait_exit().code(), Some(0), "{}", term.contents());
    assert_eq!(resumed(&env), order[4]);
}

#[test]
fn off_a_terminal_a_session_must_be_named() {
    let (env, _) = sessions(&["alpha"]);
    assert_eq!(
        env.fail(&["resume"]),
        "claude-session: name a session to resume (or use --last); see claude-session list"
    );
    assert!(env.agent_runs().is_empty());
}
