//! The picker's core: filtering, moving, scrolling, fitting the terminal.

use super::*;

fn entry(name: &str, state: &str, ago: &str, cwd: &str) -> Entry {
    Entry {
        name: name.into(),
        state: state.into(),
        ago: ago.into(),
        cwd: cwd.into(),
        path: cwd.replace('~', "/home/me"),
    }
}

fn sample() -> Picker {
    Picker::new(vec![
        entry(
            "api-refactor",
            "working (attached)",
            "just now",
            "~/src/api",
        ),
        entry("docs", "stopped", "3 min ago", "~/src/Docs"),
        entry("web-2", "stopped (1)", "5 h ago", "~/src/web"),
        entry("old", "created", "12 d ago", "/srv/legacy"),
    ])
}

fn texts(frame: &Frame) -> Vec<&str> {
    frame.lines.iter().map(|l| l.text.as_str()).collect()
}

fn typed(picker: &mut Picker, text: &str) {
    for c in text.chars() {
        assert_eq!(picker.handle(Key::Char(c)), None);
    }
}

#[test]
fn renders_newest_first_with_the_first_row_highlighted() {
    let mut p = sample();
    let frame = p.render(100, 10);
    assert_eq!(
        texts(&frame),
        [
            "resume> ",
            "  NAME          STATE               LAST ACTIVITY  CWD",
            "> api-refactor  working (attached)  just now       ~/src/api",
            "  docs          stopped             3 min ago      ~/src/Docs",
            "  web-2         stopped (1)         5 h ago        ~/src/web",
            "  old           created             12 d ago       /srv/legacy",
            "  4/4  ↑↓ move · Enter resume · Esc cancel",
        ]
    );
    let styles: Vec<Style> = frame.lines.iter().map(|l| l.style).collect();
    assert_eq!(styles[1], Style::Header);
    assert_eq!(styles[2], Style::Selected);
    assert_eq!(styles[3], Style::Plain);
    assert_eq!(frame.cursor, (0, PROMPT.len()));
    assert_eq!(p.handle(Key::Enter), Some(Outcome::Picked(0)));
}

#[test]
fn filters_by_name_or_cwd_ignoring_case() {
    let mut p = sample();
    typed(&mut p, "DOC");
    assert_eq!(p.selected(), Some(1));
    assert_eq!(
        p.render(100, 10).lines.len(),
        4,
        "prompt, header, 1 row, footer"
    );
    p.handle(Key::ClearQuery);
    typed(&mut p, "legacy");
    assert_eq!(p.selected(), Some(3), "matched on the cwd");
    p.handle(Key::ClearQuery);
    typed(&mut p, "/home/me/src/w");
    assert_eq!(p.selected(), Some(2), "matched on the full path");
    p.handle(Key::ClearQuery);
    typed(&mut p, "src");
    assert_eq!(p.matches, [0, 1, 2], "order kept");
    let frame = p.render(100, 10);
    assert_eq!(frame.lines[0].text, "resume> src");
    assert_eq!(frame.cursor, (0, 11));
    assert!(frame.lines[5].text.starts_with("  3/4 "));
}

#[test]
fn backspace_widens_the_filter_again() {
    let mut p = sample();
    typed(&mut p, "webx");
    assert_eq!(p.selected(), None);
    assert_eq!(p.handle(Key::Enter), None, "nothing to pick");
    let frame = p.render(100, 10);
    assert_eq!(frame.lines[2].text, "  no session matches");
    assert_eq!(frame.lines[2].style, Style::Dim);
    p.handle(Key::Backspace);
    assert_eq!(p.handle(Key::Enter), Some(Outcome::Picked(2)));
}

#[test]
fn arrows_move_and_stop_at_the_ends() {
    let mut p = sample();
    p.handle(Key::Up);
    assert_eq!(p.selected(), Some(0));
    p.handle(Key::Down);
    assert_eq!(p.selected(), Some(1));
    for _ in 0..10 {
        p.handle(Key::Down);
    }
    assert_eq!(p.selected(), Some(3));
    p.handle(Key::Up);
    assert_eq!(p.handle(Key::Enter), Some(Outcome::Picked(2)));
    typed(&mut p, "e");
    assert_eq!(p.selected(), Some(0), "a new filter starts at the top");
    assert_eq!(p.handle(Key::Cancel), Some(Outcome::Cancelled));
}

#[test]
fn scrolls_to_keep_the_highlight_in_view() {
    let entries = (0..20)
        .map(|i| entry(&format!("s{i:02}"), "stopped", "1 h ago", "~"))
        .collect();
    let mut p = Picker::new(entries);
    // 7 lines: prompt, header, 4 rows, footer.
    let shown = |p: &mut Picker| -> Vec<String> {
        let frame = p.render(60, 7);
        assert_eq!(frame.lines.len(), 7);
        frame.lines[2..6]
            .iter()
            .map(|l| l.text[..5].to_string())
            .collect()
    };
    assert_eq!(shown(&mut p), ["> s00", "  s01", "  s02", "  s03"]);
    for _ in 0..5 {
        p.handle(Key::Down);
    }
    assert_eq!(shown(&mut p), ["  s02", "  s03", "  s04", "> s05"]);
    p.handle(Key::Up);
    assert_eq!(shown(&mut p), ["  s02", "  s03", "> s04", "  s05"]);
    p.handle(Key::PageDown);
    assert_eq!(p.selected(), Some(8));
    p.handle(Key::PageUp);
    p.handle(Key::PageUp);
    p.handle(Key::PageUp);
    assert_eq!(shown(&mut p), ["> s00", "  s01", "  s02", "  s03"]);
    // A taller terminal fills up again from the selected row's end.
    for _ in 0..19 {
        p.handle(Key::Down);
    }
    shown(&mut p);
    let frame = p.render(60, 30);
    assert_eq!(frame.lines.len(), 23);
    assert!(frame.lines[21].text.starts_with("> s19"));
}

#[test]
fn never_taller_or_wider_than_the_terminal() {
    let mut p = sample();
    typed(&mut p, "s");
    for height in 0..12 {
        for width in 0..90 {
            let frame = p.render(width, height);
            assert!(frame.lines.len() <= height.max(1), "{width}x{height}");
            for line in &frame.lines {
                assert!(
                    line.text.chars().count() <= width,
                    "{width}x{height}: {line:?}"
                );
            }
            assert!(frame.cursor.1 <= width.saturating_sub(1));
        }
    }
    assert_eq!(p.render(80, 1).lines.len(), 1, "only the filter line");
    let low = p.render(80, 3);
    assert_eq!(low.lines[1].style, Style::Selected, "no header when low");
}

#[test]
fn a_narrow_terminal_shortens_the_cwd_then_cuts_the_row() {
    let mut p = Picker::new(vec![entry(
        "api",
        "stopped",
        "just now",
        "~/src/some/very/deep/project/api",
    )]);
    let rows = |p: &mut Picker, width| p.render(width, 10).lines[2].text.clone();
    assert_eq!(
        rows(&mut p, 80),
        "> api   stopped  just now       ~/src/some/very/deep/project/api"
    );
    assert_eq!(
        rows(&mut p, 50),
        "> api   stopped  just now       ~/src/so…oject/api"
    );
    assert_eq!(rows(&mut p, 20), "> api   stopped  ju…");
    assert_eq!(rows(&mut p, 1), "…");
    assert_eq!(rows(&mut p, 0), "");
}

#[test]
fn a_long_filter_keeps_its_end_in_view() {
    let mut p = sample();
    typed(&mut p, "abcdefghijklmnop");
    let frame = p.render(12, 5);
    assert_eq!(frame.lines[0].text, "…ghijklmnop");
    assert_eq!(frame.cursor, (0, 11));
}

#[test]
fn no_sessions_at_all() {
    let mut p = Picker::new(Vec::new());
    assert_eq!(p.handle(Key::Enter), None);
    p.handle(Key::Down);
    assert_eq!(p.render(40, 5).lines[2].text, "  no sessions");
}
