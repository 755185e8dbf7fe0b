//! The skipping screen must end up exactly where parsing every byte does.

use super::skip::{plain, plain_len, style_len, styles_to_replay};
use super::*;

impl Screen {
    /// What `read_from` does, from a slice.
    fn push(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(READ_SIZE) {
            if self.queue.len() + chunk.len() > QUEUE_CAPACITY {
                self.settle();
            }
            self.queue.extend_from_slice(chunk);
        }
    }
}

fn size(rows: u16, cols: u16) -> (NonZeroU16, NonZeroU16) {
    (
        NonZeroU16::new(rows).unwrap(),
        NonZeroU16::new(cols).unwrap(),
    )
}

/// Everything a client could be shown, on both grids.
fn assert_same(screen: &mut Screen, reference: &mut vt100::Parser, context: &str) {
    let ours = screen.screen();
    let theirs = reference.screen();
    assert_eq!(ours.contents(), theirs.contents(), "{context}: contents");
    assert_eq!(
        ours.state_formatted(),
        theirs.state_formatted(),
        "{context}: state"
    );
    assert_eq!(
        ours.alternate_screen(),
        theirs.alternate_screen(),
        "{context}"
    );
    let rows = ours.size().0.get();
    for row in 0..rows {
        assert_eq!(
            ours.row_wrapped(row),
            theirs.row_wrapped(row),
            "{context}: row {row} wrapped"
        );
    }
}

/// xorshift64*: deterministic, so a failure replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// Characters that need care, mixed into ASCII text: wide, combining, C1
/// as UTF-8, tab, backspace.
const SPECIAL: &[&str] = &["é", "あ", "\u{301}", "\t", "\x08", "─", "\u{85}"];

const CONTROLS: &[&[u8]] = &[
    b"\x1b[1;31m",
    b"\x1b[0m",
    b"\x1b[48;5;17m",
    b"\x1b[2J",
    b"\x1b[J",
    b"\x1b[K",
    b"\x1b[H",
    b"\x1b[3;2H",
    b"\x1b[99;99H",
    b"\x1b[2;4r",
    b"\x1b[1;3r",
    b"\x1b[r",
    b"\x1b[?1049h",
    b"\x1b[?1049l",
    b"\x1b[?6h",
    b"\x1b[?6l",
    b"\x1b[4h",
    b"\x1b[4l",
    b"\x1b[?7l",
    b"\x1b[?7h",
    b"\x1b[?2004h",
    b"\x1b[?1000h",
    b"\x1bM",
    b"\x1bc",
    b"\x1b7",
    b"\x1b8",
    b"\x1b]0;title\x07",
    b"\x1b]0;unterminated ",
    b"\x1bP1$tx",
    b"\x1b\\",
    b"\x1b[3",
    b"\x1b(",
    b"\xc2\x9b",
    b"\x9b",
    b"\x9c",
    b"\x07",
    b"\x18",
    b"\x0b",
    b"\x7f",
    // Invalid UTF-8, but never a sequence cut short: vte itself then
    // parses differently depending on where its input was split.
    b"\xff",
    "✓".as_bytes(),
];

/// What coloured output puts in its lines (and the skipping must replay).
const STYLES: &[&str] = &[
    "\x1b[31m",
    "\x1b[1;4;38;5;100m",
    "\x1b[0m",
    "\x1b[m",
    "\x1b[K",
    "\x1b[2K",
    "\x1b[48:2::1:2:3m",
    "\x1b[7m",
    "\x1b[0;32m",
    "\x1b[22;27m",
];

fn line(rng: &mut Rng, cols: usize) -> String {
    let len = rng.below(cols * 3);
    let coloured = rng.below(3) == 0;
    let mut line = String::new();
    for _ in 0..len {
        if coloured && rng.below(10) == 0 {
            line.push_str(rng.pick(STYLES));
        } else if rng.below(20) == 0 {
            line.push_str(rng.pick(SPECIAL));
        } else {
            line.push(char::from(b' ' + rng.below(95) as u8));
        }
    }
    line
}

fn ending(rng: &mut Rng) -> &'static str {
    match rng.below(10) {
        0 => "\n",
        1 => "\r",
        _ => "\r\n",
    }
}

/// A stream of text, floods of lines and control sequences, as bytes
/// (some deliberately invalid UTF-8).
fn stream(rng: &mut Rng, cols: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let tokens = 20 + rng.below(200);
    for _ in 0..tokens {
        match rng.below(10) {
            0..=3 => {
                out.extend(line(rng, cols).bytes());
                out.extend(ending(rng).bytes());
            }
            4..=6 => out.extend_from_slice(rng.pick(CONTROLS)),
            _ => {
                for _ in 0..50 + rng.below(600) {
                    out.extend(line(rng, cols).bytes());
                    out.extend(ending(rng).bytes());
                }
            }
        }
    }
    out
}

#[test]
fn skipping_matches_parsing_every_byte() {
    let seed: u64 = std::env::var("SCREEN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    // SCREEN_CASES=5000 for a longer hunt (in --release).
    let cases: u64 = std::env::var("SCREEN_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut cases_that_skipped = 0;
    for case in 0..cases {
        let case_seed = seed.wrapping_add(case).max(1);
        let mut rng = Rng(case_seed);
        let (mut rows, mut cols) = (2 + rng.below(12) as u16, 4 + rng.below(40) as u16);
        let (r, c) = size(rows, cols);
        let mut reference = vt100::Parser::new(r, c, 0);
        let mut screen = Screen::new(r, c);
        let bytes = stream(&mut rng, usize::from(cols));
        let mut at = 0;
        let mut step = 0;
        while at < bytes.len() {
            let context = format!("seed {case_seed} step {step} ({rows}x{cols})");
            step += 1;
            match rng.below(20) {
                0 => {
                    screen.settle();
                    assert_same(&mut screen, &mut reference, &context);
                }
                1 => {
                    // A resize: what was queued was written for the old size.
                    rows = 2 + rng.below(12) as u16;
                    cols = 4 + rng.below(40) as u16;
                    let (r, c) = size(rows, cols);
                    screen.set_size(r, c);
                    reference.screen_mut().set_size(r, c);
                }
                _ => {
                    let n = (1 + rng.below(40_000)).min(bytes.len() - at);
                    screen.push(&bytes[at..at + n]);
                    reference.process(&bytes[at..at + n]);
                    at += n;
                }
            }
        }
        let context = format!("seed {case_seed} at the end");
        assert_same(&mut screen, &mut reference, &context);
        // The grid not shown may differ only if it is never shown again.
        for switch in [&b"\x1b[?1049l"[..], b"\x1b[?1049h"] {
            screen.push(switch);
            reference.process(switch);
            assert_same(&mut screen, &mut reference, &context);
        }
        if screen.skipped > 0 {
            cases_that_skipped += 1;
        }
    }
    eprintln!("{cases_that_skipped} of {cases} cases skipped");
    assert!(
        cases_that_skipped > cases / 4,
        "only {cases_that_skipped} of {cases} cases skipped anything: the test no longer exercises skipping"
    );
}

fn base64_lines(total: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = Rng(42);
    let mut out = Vec::with_capacity(total + 80);
    while out.len() < total {
        for _ in 0..76 {
            out.push(ALPHABET[rng.below(64)]);
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[test]
fn plain_len_agrees_with_plain() {
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(4) {
                0 => rng.below(256) as u8,
                _ => b' ' + rng.below(95) as u8,
            })
            .collect();
        let expected = bytes.iter().position(|&b| !plain(b)).unwrap_or(len);
        assert_eq!(plain_len(&bytes), expected, "{bytes:?}");
    }
}

#[test]
fn a_flood_of_plain_text_is_mostly_skipped() {
    let (r, c) = size(40, 120);
    let mut screen = Screen::new(r, c);
    let mut reference = vt100::Parser::new(r, c, 0);
    let bytes = base64_lines(4 << 20);
    screen.push(b"\x1b[1;32mgreen ");
    reference.process(b"\x1b[1;32mgreen ");
    screen.push(&bytes);
    reference.process(&bytes);
    assert_same(&mut screen, &mut reference, "flood");
    let share = screen.skipped as f64 / bytes.len() as f64;
    assert!(share > 0.9, "skipped only {:.1} %", share * 100.0);
}

#[test]
fn a_flood_of_coloured_text_is_mostly_skipped_and_keeps_its_last_colours() {
    let (r, c) = size(40, 120);
    let mut screen = Screen::new(r, c);
    let mut reference = vt100::Parser::new(r, c, 0);
    let mut bytes = Vec::new();
    for (i, line) in base64_lines(4 << 20).split(|b| *b == b'\n').enumerate() {
        bytes.extend_from_slice(format!("\x1b[3{}m\x1b[K", i % 8).as_bytes());
        bytes.extend_from_slice(line);
        bytes.extend_from_slice(b"\x1b[0m\n");
    }
    // Left set at the end: bold, and a background that is not reset.
    bytes.extend_from_slice(b"\x1b[1m\x1b[44m");
    bytes.extend(base64_lines(1 << 20));
    screen.push(&bytes);
    reference.process(&bytes);
    assert_same(&mut screen, &mut reference, "coloured flood");
    assert!(screen.screen().bold());
    let share = screen.skipped as f64 / bytes.len() as f64;
    assert!(share > 0.9, "skipped only {:.1} %", share * 100.0);
}

#[test]
fn style_sequences_and_what_of_them_is_replayed() {
    assert_eq!(style_len(b"\x1b[1;31mX"), Some(7));
    assert_eq!(style_len(b"\x1b[K"), Some(3));
    assert_eq!(style_len(b"\x1b[38:2::1:2:3m"), Some(14));
    assert_eq!(style_len(b"\x1b[?25l"), None);
    assert_eq!(style_len(b"\x1b[2J"), None);
    assert_eq!(style_len(b"\x1b[1;31"), None, "cut short");
    assert_eq!(style_len(b"\x1b]0;t\x07"), None);
    let skipped = b"a\x1b[31mb\x1b[0mc\x1b[1m\x1b[Kd\x1b[4;44me\r\n";
    let replayed: Vec<&[u8]> = styles_to_replay(skipped).collect();
    assert_eq!(replayed, [&b"\x1b[0m"[..], b"\x1b[1m", b"\x1b[4;44m"]);
    let no_reset: Vec<&[u8]> = styles_to_replay(b"\x1b[31mx\x1b[Ky\x1b[1m").collect();
    assert_eq!(no_reset, [&b"\x1b[31m"[..], b"\x1b[1m"]);
}

#[test]
fn a_scroll_region_stops_the_skipping() {
    let (r, c) = size(10, 80);
    let mut screen = Screen::new(r, c);
    let mut reference = vt100::Parser::new(r, c, 0);
    let mut bytes = b"top line\r\n\x1b[3;8r\x1b[5;1H".to_vec();
    bytes.extend(base64_lines(1 << 20));
    screen.push(&bytes);
    reference.process(&bytes);
    assert_same(&mut screen, &mut reference, "region");
    assert_eq!(screen.skipped, 0);
    assert!(screen.screen().contents().starts_with("top line\n"));
    // A resize resets the region: skipping resumes.
    let (r, c) = size(12, 80);
    screen.set_size(r, c);
    reference.screen_mut().set_size(r, c);
    let more = base64_lines(1 << 20);
    screen.push(&more);
    reference.process(&more);
    assert_same(&mut screen, &mut reference, "after resize");
    assert!(screen.skipped > 0);
}

#[test]
fn reads_into_the_queue_and_releases_it_when_idle() {
    let (r, c) = size(5, 20);
    let mut screen = Screen::new(r, c);
    let (read, write) = nix::unistd::pipe().unwrap();
    nix::unistd::write(&write, b"hello\r\nworld").unwrap();
    let got = screen
        .read_from(std::os::fd::AsRawFd::as_raw_fd(&read))
        .unwrap();
    assert_eq!(got, Some(&b"hello\r\nworld"[..]));
    assert_eq!(screen.queued(), 12);
    screen.settle_and_release();
    assert_eq!(screen.queued(), 0);
    assert_eq!(screen.queue.capacity(), 0);
    assert!(
        String::from_utf8(screen.restore())
            .unwrap()
            .contains("world")
    );
    drop(write);
    let end = screen
        .read_from(std::os::fd::AsRawFd::as_raw_fd(&read))
        .unwrap();
    assert_eq!(end, None);
}

#[test]
fn a_restore_takes_the_client_to_the_screen_claude_draws_on() {
    let (r, c) = size(6, 30);
    let mut screen = Screen::new(r, c);
    screen.push(b"shell line\r\n\x1b[?1049h\x1b[H\x1b[2J\x1b[?2004hClaude UI");
    let restore = screen.restore();
    assert!(restore.starts_with(b"\x1b[?1049h"));
    let mut client = vt100::Parser::new(r, c, 0);
    client.process(b"user's shell\r\n");
    client.process(&restore);
    assert!(client.screen().alternate_screen());
    assert!(client.screen().bracketed_paste());
    assert!(client.screen().contents().starts_with("Claude UI"));
    // Back on the normal screen, a restore stays there.
    screen.push(b"\x1b[?1049l\x1b[?2004lbye");
    let restore = screen.restore();
    assert!(!restore.windows(8).any(|w| w == b"\x1b[?1049"));
    let mut client = vt100::Parser::new(r, c, 0);
    client.process(&restore);
    assert!(!client.screen().alternate_screen());
}

#[test]
fn a_kept_screen_is_given_as_it_was_and_parsed_again_when_claude_draws() {
    let (rows, cols) = size(10, 40);
    let mut screen = Screen::new(rows, cols);
    screen.push(b"\x1b[?1049h\x1b[?2004hhello\r\n> draft");
    let state = screen.restore();
    screen.keep(state.clone());
    assert!(
        screen.parser.screen().size() == size(1, 1),
        "the grids are given back"
    );
    assert_eq!(
        screen.restore(),
        state,
        "an attach gets the screen as it was"
    );
    // An attach at another size: the kept bytes stay as they are.
    screen.set_size(size(12, 50).0, size(12, 50).1);
    assert_eq!(screen.restore(), state);
    assert_eq!(
        screen.last_lines(2),
        ["hello", "> draft"],
        "a question parses it"
    );
    screen.keep(state);
    // Claude back: its output lands on the kept screen, at the new size.
    screen.push(b"\x1b[2;1H\x1b[Kworld");
    let parsed = screen.screen();
    assert_eq!(parsed.size(), size(12, 50));
    assert!(parsed.alternate_screen() && parsed.bracketed_paste());
    assert_eq!(parsed.contents().trim_end(), "hello\nworld");
}
