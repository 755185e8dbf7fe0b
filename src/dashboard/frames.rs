//! Frames of the model as the terminal shows them, drawn on ratatui's
//! `TestBackend` and compared line for line.

use super::draw::{Footer, Preview, Screen, draw};
use super::model::tests::row;
use super::model::{Model, Urgency};
use crate::util::timestamp::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// When the test rows were last active, plus `ago` seconds (see `row`).
const NOW: i64 = 1_000_000_000_000;

fn frame(model: &Model, preview: &Preview, width: u16, height: u16) -> Vec<String> {
    frame_with(model, preview, None, width, height)
}

/// A frame whose selected session has a worktree git said `worktree` of.
fn frame_with(
    model: &Model,
    preview: &Preview,
    worktree: Option<&str>,
    width: u16,
    height: u16,
) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            draw(
                f,
                &Screen {
                    model,
                    preview,
                    worktree,
                    footer: Footer::Keys,
                    help: false,
                    color: false,
                    now: Timestamp::from_millis(NOW),
                    hosts: &[],
                },
            )
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            line.trim_end().to_string()
        })
        .collect()
}

fn show(lines: &[String]) -> String {
    lines.join("\n")
}

fn two() -> Model {
    let mut model = Model::default();
    model.set_rows(vec![
        row("api", Urgency::Idle, 720),
        row("web", Urgency::Waiting, 30),
    ]);
    model
}

fn preview() -> Preview {
    Preview {
        source: "screen".into(),
        lines: vec!["╭──────╮".into(), "│ > hi │".into(), "╰──────╯".into()],
    }
}

/// `lines`, then blank lines up to `height`, then `last`.
fn padded(lines: &[&str], height: usize, last: &str) -> Vec<String> {
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out.resize(height - 1, String::new());
    out.push(last.to_string());
    out
}

const FOOTER_80: &str =
    "Enter attach  n new  r resume  k kill  d delete  Tab waiting  ? help  q quit";

#[test]
fn an_empty_store_says_how_to_start() {
    let lines = frame(&Model::default(), &Preview::default(), 80, 24);
    let expected = padded(
        &[
            "claude-session · 0 waiting · 0 working · 0 idle · sort: urgency",
            "No sessions yet. Press n to start one.",
            "",
            "",
            &format!(" preview {}", "─".repeat(71)),
        ],
        24,
        FOOTER_80,
    );
    assert_eq!(lines, expected, "\n{}", show(&lines));
}

#[test]
fn one_session_and_its_screen() {
    let mut model = Model::default();
    model.set_rows(vec![row("api", Urgency::Idle, 720)]);
    let lines = frame(&model, &preview(), 80, 24);
    let expected = padded(
        &[
            "claude-session · 0 waiting · 0 working · 1 idle · sort: urgency",
            "  NAME STATE    WHERE      DIRECTORY                                      ACTIVE",
            "> api  idle 12m detached   ~/src/api                                      12m",
            "",
            &format!(" api · screen {}", "─".repeat(66)),
            "╭──────╮",
            "│ > hi │",
            "╰──────╯",
        ],
        24,
        FOOTER_80,
    );
    assert_eq!(lines, expected, "\n{}", show(&lines));
}

#[test]
fn a_worktree_session_says_what_git_says_of_it_over_its_screen() {
    let mut model = Model::default();
    model.set_rows(vec![row("api", Urgency::Idle, 720)]);
    let worktree = "2 commits ahead of main, 1 uncommitted file";
    let lines = frame_with(&model, &preview(), Some(worktree), 80, 24);
    assert_eq!(
        lines[4],
        format!(" api · screen · {worktree} {}", "─".repeat(20)),
        "\n{}",
        show(&lines)
    );
    assert_eq!(lines[5], "╭──────╮");
}

#[test]
fn a_waiting_session_comes_first_with_its_reason() {
    let lines = frame(&two(), &preview(), 80, 24);
    assert_eq!(
        lines[..4],
        [
            "claude-session · 1 waiting · 0 working · 1 idle · sort: urgency",
            "  NAME STATE                        WHERE      DIRECTORY                  ACTIVE",
            "> web  waiting: permission for Bash detached   ~/src/web                  30s",
            "  api  idle 12m                     detached   ~/src/api                  12m",
        ],
        "\n{}",
        show(&lines)
    );
}

fn many(n: usize) -> Model {
    let rows = (0..n)
        .map(|i| {
            let urgency = match i {
                _ if i % 50 == 7 => Urgency::Waiting,
                _ if i % 3 == 0 => Urgency::Working,
                _ => Urgency::Idle,
            };
            row(&format!("s{i:03}"), urgency, i as i64)
        })
        .collect();
    let mut model = Model::default();
    model.set_rows(rows);
    model
}

#[test]
fn two_hundred_sessions_on_80x24_keep_the_selection_in_view() {
    let mut model = many(200);
    let lines = frame(&model, &preview(), 80, 24);
    assert_eq!(
        lines[0],
        "claude-session · 4 waiting · 66 working · 130 idle · sort: urgency"
    );
    // Half the screen for the table: the four waiting, then the working.
    let names: Vec<&str> = lines[2..13].iter().map(|l| &l[2..6]).collect();
    assert_eq!(
        names,
        [
            "s007", "s057", "s107", "s157", "s000", "s003", "s006", "s009", "s012", "s015", "s018"
        ]
    );
    assert!(lines[13].starts_with(" s007 · screen "), "{}", lines[13]);
    assert_eq!(lines[23], FOOTER_80);
    // Down past the bottom of the table: it scrolls, the selection stays
    // on the last line shown.
    model.move_by(30);
    let lines = frame(&model, &preview(), 80, 24);
    assert!(
        lines[12].starts_with("> s081 working 3m"),
        "\n{}",
        show(&lines)
    );
    assert!(lines[2].starts_with("  s048 "), "\n{}", show(&lines));
    model.move_by(1000);
    let lines = frame(&model, &preview(), 80, 24);
    assert!(lines[12].starts_with("> s199 "), "\n{}", show(&lines));
}

#[test]
fn a_filter_shows_in_the_header_and_keeps_the_matching_rows() {
    let mut model = many(200);
    model.set_filter("s19");
    let lines = frame(&model, &preview(), 80, 24);
    assert_eq!(
        lines[0],
        "claude-session · 4 waiting · 66 working · 130 idle · filter: s19 · sort: urgency"
    );
    let names: Vec<&str> = lines[2..12].iter().map(|l| &l[2..6]).collect();
    assert_eq!(
        names,
        [
            "s192", "s195", "s198", "s190", "s191", "s193", "s194", "s196", "s197", "s199"
        ]
    );
    model.set_filter("nothing");
    let lines = frame(&model, &preview(), 80, 24);
    assert_eq!(lines[1], "No session matches the filter.");
}

#[test]
fn a_wide_terminal_shows_the_preview_beside_the_table() {
    let lines = frame(&two(), &preview(), 170, 8);
    assert_eq!(
        lines[1],
        format!(
            "  NAME STATE                        WHERE      DIRECTORY                          MSGS  ACTIVE┌ web · screen {}",
            "─".repeat(61)
        )
    );
    assert!(lines[2].ends_with("30s   │╭──────╮"), "{}", lines[2]);
    assert_eq!(
        lines[7],
        "Enter attach  n new  r resume  k kill  d delete  Tab waiting  / filter  p pin  s sort  ? help  q quit"
    );
}

#[test]
fn the_help_lists_every_key() {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let model = two();
    let preview = preview();
    terminal
        .draw(|f| {
            draw(
                f,
                &Screen {
                    model: &model,
                    preview: &preview,
                    worktree: None,
                    footer: Footer::Keys,
                    help: true,
                    color: true,
                    now: Timestamp::from_millis(NOW),
                    hosts: &[],
                },
            )
        })
        .unwrap();
    let text: String = terminal
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect();
    for key in [
        "Enter",
        "attach (detach returns here)",
        "Tab",
        "q Esc",
        "NO_COLOR",
    ] {
        assert!(text.contains(key), "{key} missing");
    }
}

#[test]
fn no_size_makes_it_panic() {
    let model = many(30);
    for width in [
        0, 1, 2, 5, 10, 20, 40, 69, 70, 79, 80, 99, 100, 119, 120, 159, 160, 300,
    ] {
        for height in [0, 1, 2, 3, 4, 5, 8, 24, 60] {
            frame(&model, &preview(), width, height);
            frame(&Model::default(), &Preview::default(), width, height);
        }
    }
}
