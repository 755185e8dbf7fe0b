//! Bytes from a terminal in raw mode turned into the picker's keys.

/// What the picker does something with; every other key is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Backspace,
    /// Ctrl-U, as in a shell.
    ClearQuery,
    /// Up arrow or Ctrl-P.
    Up,
    /// Down arrow or Ctrl-N.
    Down,
    PageUp,
    PageDown,
    Enter,
    /// Esc or Ctrl-C.
    Cancel,
}

/// Decodes `bytes`; returns the keys and how many bytes were used. Unless
/// `at_end`, bytes that may be the start of a longer key (Esc, which also
/// begins the arrow keys, or part of a UTF-8 character) are left for the
/// next read; `at_end` says nothing more came, so a lone Esc is Esc.
pub fn decode(bytes: &[u8], at_end: bool) -> (Vec<Key>, usize) {
    let mut keys = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let decoded = match rest[0] {
            0x1b => escape(rest),
            b'\r' | b'\n' => Decoded::Key(Some(Key::Enter), 1),
            0x03 => Decoded::Key(Some(Key::Cancel), 1),
            0x7f | 0x08 => Decoded::Key(Some(Key::Backspace), 1),
            0x15 => Decoded::Key(Some(Key::ClearQuery), 1),
            0x10 => Decoded::Key(Some(Key::Up), 1),
            0x0e => Decoded::Key(Some(Key::Down), 1),
            0x00..=0x1f => Decoded::Key(None, 1),
            _ => character(rest),
        };
        match decoded {
            Decoded::Key(key, len) => {
                keys.extend(key);
                i += len;
            }
            Decoded::Incomplete if !at_end => break,
            // Nothing followed: a lone Esc cancels; a cut sequence is dropped.
            Decoded::Incomplete if rest == [0x1b] => {
                keys.push(Key::Cancel);
                i = bytes.len();
            }
            Decoded::Incomplete => i = bytes.len(),
        }
    }
    (keys, i)
}

enum Decoded {
    /// A key (or None: one to drop) and its length in bytes.
    Key(Option<Key>, usize),
    /// The bytes end before the key does.
    Incomplete,
}

/// ESC [ … final (CSI), ESC O x (SS3, arrows in application cursor mode),
/// ESC ESC, or ESC with a key (Alt-key, dropped).
fn escape(bytes: &[u8]) -> Decoded {
    match bytes.get(1) {
        None => Decoded::Incomplete,
        Some(b'[') => {
            // Parameter and intermediate bytes, then one final byte.
            let Some(end) = bytes[2..].iter().position(|b| !(0x20..=0x3f).contains(b)) else {
                return Decoded::Incomplete;
            };
            let end = end + 2;
            if !(0x40..=0x7e).contains(&bytes[end]) {
                // Not a sequence after all: drop ESC [ and what looked like its parameters.
                return Decoded::Key(None, end);
            }
            let params = &bytes[2..end];
            let key = match (bytes[end], params.split(|b| *b == b';').next()) {
                (b'A', _) => Some(Key::Up),
                (b'B', _) => Some(Key::Down),
                (b'~', Some(b"5")) => Some(Key::PageUp),
                (b'~', Some(b"6")) => Some(Key::PageDown),
                _ => None,
            };
            Decoded::Key(key, end + 1)
        }
        Some(b'O') => match bytes.get(2) {
            None => Decoded::Incomplete,
            Some(b'A') => Decoded::Key(Some(Key::Up), 3),
            Some(b'B') => Decoded::Key(Some(Key::Down), 3),
            Some(_) => Decoded::Key(None, 3),
        },
        Some(0x1b) => Decoded::Key(Some(Key::Cancel), 1),
        Some(_) => Decoded::Key(None, 2),
    }
}

/// One UTF-8 character; an invalid byte is dropped.
fn character(bytes: &[u8]) -> Decoded {
    let len = match bytes[0] {
        0x20..=0x7e => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Decoded::Key(None, 1),
    };
    let Some(encoded) = bytes.get(..len) else {
        return Decoded::Incomplete;
    };
    match std::str::from_utf8(encoded) {
        Ok(s) => Decoded::Key(s.chars().next().map(Key::Char), len),
        Err(_) => Decoded::Key(None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<Key> {
        let (keys, used) = decode(bytes, false);
        assert_eq!(used, bytes.len(), "all of {bytes:?} used");
        keys
    }

    #[test]
    fn text_and_editing() {
        assert_eq!(
            all("aZ é-€\x7f\x08\x15".as_bytes()),
            [
                Key::Char('a'),
                Key::Char('Z'),
                Key::Char(' '),
                Key::Char('é'),
                Key::Char('-'),
                Key::Char('€'),
                Key::Backspace,
                Key::Backspace,
                Key::ClearQuery,
            ]
        );
        assert_eq!(all(b"\r"), [Key::Enter]);
        assert_eq!(all(b"\n"), [Key::Enter]);
        assert_eq!(all(b"\x03"), [Key::Cancel]);
        assert_eq!(
            all(b"\x01\x1a\xff"),
            [],
            "other controls and bad bytes dropped"
        );
    }

    #[test]
    fn arrows_in_both_cursor_modes_and_emacs_keys() {
        assert_eq!(
            all(b"\x1b[A\x1b[B\x1bOA\x1bOB\x10\x0e\x1b[1;5A"),
            [
                Key::Up,
                Key::Down,
                Key::Up,
                Key::Down,
                Key::Up,
                Key::Down,
                Key::Up
            ]
        );
        assert_eq!(all(b"\x1b[5~\x1b[6~"), [Key::PageUp, Key::PageDown]);
        assert_eq!(
            all(b"\x1b[C\x1b[3~\x1bOPx\x1bx"),
            [Key::Char('x')],
            "right arrow, Delete, F1 and Alt-x dropped"
        );
    }

    #[test]
    fn a_lone_esc_waits_for_what_may_follow() {
        assert_eq!(
            decode(b"ab\x1b", false),
            (vec![Key::Char('a'), Key::Char('b')], 2)
        );
        assert_eq!(decode(b"\x1b[", false), (vec![], 0));
        assert_eq!(decode(b"\x1b[1;", false), (vec![], 0));
        assert_eq!(decode(b"\x1bO", false), (vec![], 0));
        assert_eq!(decode(b"\x1b", true), (vec![Key::Cancel], 1));
        assert_eq!(
            decode(b"\x1b[1", true),
            (vec![], 3),
            "a cut sequence is dropped"
        );
        assert_eq!(decode(b"\x1b\x1b", false), (vec![Key::Cancel], 1));
    }

    #[test]
    fn a_character_split_across_reads() {
        let euro = "€".as_bytes();
        assert_eq!(decode(&euro[..2], false), (vec![], 0));
        assert_eq!(decode(euro, false), (vec![Key::Char('€')], 3));
        assert_eq!(decode(&euro[..2], true), (vec![], 2));
    }
}
