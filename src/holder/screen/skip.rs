//! Which queued output may be left unparsed, and what of it must still be
//! parsed. Why skipping is exact: see the parent module.

use memchr::{memchr, memchr_iter, memrchr};

/// Skipping less than this is not worth a second look.
const MIN_SKIP: usize = 4096;
/// The longest parameter list of a style sequence that is skipped over.
const MAX_STYLE_PARAMS: usize = 64;

/// Bytes that print or move the cursor within the text and nothing else.
/// Excluded besides the other controls: DEL, and 0x9C, which ends a DCS
/// string even inside a UTF-8 sequence.
pub(super) fn plain(b: u8) -> bool {
    matches!(b, b'\x08' | b'\t' | b'\n' | b'\r' | 0x20..=0x7E | 0x80..=0x9B | 0x9D..=0xFF)
}

/// How many bytes at the start of `bytes` are plain. The hot loop of a
/// flood of text: eight bytes at a time while they are printable ASCII.
pub(super) fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let x = u64::from_ne_bytes(word.try_into().expect("8 bytes"));
        // A byte below 0x20 borrows, one above 0x7E carries into (or has)
        // its high bit; either sends this word to the byte-wise check.
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above_tilde = (x.wrapping_add(ONES) | x) & HIGH;
        if below_space | above_tilde != 0
            && let Some(i) = word.iter().position(|&b| !plain(b))
        {
            return at + i;
        }
        at += 8;
    }
    at + words
        .remainder()
        .iter()
        .position(|&b| !plain(b))
        .unwrap_or(words.remainder().len())
}

/// The length of the style sequence `bytes` starts with, if it does: SGR
/// (`ESC [ params m`, colours) or EL (`ESC [ params K`, erase in line),
/// what coloured output puts on every line. Neither changes anything but
/// the attributes and the cells of the cursor's row.
pub(super) fn style_len(bytes: &[u8]) -> Option<usize> {
    let rest = bytes.strip_prefix(b"\x1b[")?;
    let params = rest
        .iter()
        .take(MAX_STYLE_PARAMS + 1)
        .position(|b| !matches!(b, b'0'..=b'9' | b';' | b':'))?;
    matches!(rest[params], b'm' | b'K').then_some(params + 3)
}

/// The length of the run of plain bytes and style sequences `bytes` starts with.
fn run_len(bytes: &[u8]) -> usize {
    let mut at = 0;
    loop {
        at += plain_len(&bytes[at..]);
        match style_len(&bytes[at..]) {
            Some(n) => at += n,
            None => return at,
        }
    }
}

/// The first range of `bytes` that may be left unparsed but for its
/// colours (`styles_to_replay`): its start and end (the end is a CR).
pub(super) fn skippable(bytes: &[u8], rows: usize) -> Option<(usize, usize)> {
    let need = 2 * rows + 1;
    let mut at = 0;
    while at < bytes.len() {
        let run_start = at + bytes[at..].iter().position(|&b| plain(b) || b == 0x1b)?;
        let run_len = run_len(&bytes[run_start..]);
        if run_len == 0 {
            // An escape sequence that is not a style.
            at = run_start + 1;
            continue;
        }
        let run = &bytes[run_start..run_start + run_len];
        if let Some((start, end)) = skippable_in_run(run, need)
            && end - start >= MIN_SKIP
        {
            return Some((run_start + start, run_start + end));
        }
        at = run_start + run_len;
    }
    None
}

fn skippable_in_run(run: &[u8], need: usize) -> Option<(usize, usize)> {
    // The end: a CR with enough LFs after it.
    let mut lfs = 0;
    let end = run.iter().enumerate().rev().find_map(|(i, &b)| {
        if b == b'\r' && lfs >= need {
            return Some(i);
        }
        lfs += usize::from(b == b'\n');
        None
    })?;
    // The start: where the parser is surely between sequences, as it is
    // at `end` in the full parse. After a style sequence (its ESC ends
    // whatever came before); or, if the range has none, after the second
    // byte in 0x40..=0x7E (the first may follow an ESC, as '[' starting a
    // CSI; the second ends the CSI) — a string sequence (OSC, DCS) the run
    // began inside of then swallows all of it, skipped or not.
    let start = match memchr(0x1b, &run[..end]) {
        Some(esc) => esc + style_len(&run[esc..])?,
        None => {
            let mut finals = run
                .iter()
                .enumerate()
                .filter(|(_, b)| (0x40..=0x7E).contains(*b));
            finals.nth(1)?.0 + 1
        }
    };
    (start < end).then_some((start, end))
}

/// The SGR sequences of a skipped range that decide the attributes after
/// it: its last reset (`ESC [ m`, `ESC [ 0 m`) and those after, in order.
pub(super) fn styles_to_replay(skipped: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut from = 0;
    let mut search = skipped.len();
    while let Some(esc) = memrchr(0x1b, &skipped[..search]) {
        let style = &skipped[esc..esc + style_len(&skipped[esc..]).unwrap_or(1)];
        if style == b"\x1b[m" || style == b"\x1b[0m" {
            from = esc;
            break;
        }
        search = esc;
    }
    memchr_iter(0x1b, &skipped[from..]).filter_map(move |esc| {
        let style = &skipped[from + esc..];
        let len = style_len(style)?;
        (style[len - 1] == b'm').then(|| &style[..len])
    })
}
