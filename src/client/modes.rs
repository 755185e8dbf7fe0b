//! The terminal modes that the output passing through an attached client
//! turns on, so that detaching (or Claude's end) leaves the user's terminal
//! as it was: the alternate screen left, mouse reporting, bracketed paste,
//! focus events and the keyboard protocols (kitty's, xterm's
//! modifyOtherKeys) turned off, the cursor shown. Without this a shell
//! after a detach gets escape sequences for every click and Ctrl-C.
//!
//! A scan of the bytes, not a terminal emulator: it reads the mode
//! switches (`CSI ? Pm h/l`, `CSI > flags u` and `CSI < n u`,
//! `CSI > 4 ; n m`, `ESC =`/`ESC >`, `CSI Ps SP q`) and nothing else, and
//! jumps over text to the next ESC (memchr), so it costs next to nothing
//! per byte.

/// DEC private modes worth undoing, and whether the alternate screen is one.
const ALTERNATE_SCREEN: [u16; 3] = [1049, 1047, 47];
const UNDONE: [u16; 12] = [
    1000, 1001, 1002, 1003, 1005, 1006, 1015, 1016, // mouse reporting and encodings
    1004, // focus events
    2004, // bracketed paste
    2031, // colour-scheme change notifications
    1,    // application cursor keys
];

#[derive(Default)]
pub struct Modes {
    scan: Scan,
    /// The parameter bytes of the CSI sequence being read (one buffer for
    /// all: a coloured line has a sequence every few bytes).
    params: Vec<u8>,
    /// DEC private modes set and not reset since, in the order set.
    on: Vec<u16>,
    /// Which alternate-screen mode switched to it, if the terminal is there.
    alternate: Option<u16>,
    /// Entries pushed on the kitty keyboard stack.
    kitty: u32,
    modify_other_keys: bool,
    keypad: bool,
    cursor_hidden: bool,
    cursor_style: bool,
    /// The last byte written was a newline: the cursor starts a line.
    at_line_start: bool,
}

#[derive(Default, Clone, Copy)]
enum Scan {
    #[default]
    Ground,
    Escape,
    /// In a CSI sequence (its parameter bytes in `Modes::params`).
    Csi,
    /// In a string (OSC, DCS, APC...), until ST or BEL.
    String {
        escape: bool,
    },
}

/// Longest CSI parameter run kept: mode switches are short; anything
/// longer is not one of them.
const MAX_PARAMS: usize = 64;

impl Modes {
    /// Notes the mode switches in `bytes`, on their way to the terminal.
    pub fn scan(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            if matches!(self.scan, Scan::Ground) {
                // Text: nothing to note until the next escape.
                match memchr::memchr(0x1b, &bytes[i..]) {
                    Some(at) => i += at,
                    None => break,
                }
            }
            let b = bytes[i];
            i += 1;
            self.scan = match self.scan {
                Scan::Ground => match b {
                    0x1b => Scan::Escape,
                    _ => Scan::Ground,
                },
                Scan::Escape => match b {
                    b'[' => {
                        self.params.clear();
                        Scan::Csi
                    }
                    b']' | b'P' | b'_' | b'^' | b'X' => Scan::String { escape: false },
                    b'=' => {
                        self.keypad = true;
                        Scan::Ground
                    }
                    b'>' => {
                        self.keypad = false;
                        Scan::Ground
                    }
                    // An intermediate byte (`ESC ( B`, ...): the next byte ends it.
                    0x20..=0x2f => Scan::Escape,
                    0x1b => Scan::Escape,
                    _ => Scan::Ground,
                },
                Scan::Csi => match b {
                    0x40..=0x7e => {
                        let params = std::mem::take(&mut self.params);
                        self.csi(&params, b);
                        self.params = params;
                        Scan::Ground
                    }
                    0x1b => Scan::Escape,
                    0x18 | 0x1a => Scan::Ground,
                    _ => {
                        if self.params.len() < MAX_PARAMS {
                            self.params.push(b);
                        }
                        Scan::Csi
                    }
                },
                Scan::String { escape } => match b {
                    0x07 | 0x18 | 0x1a => Scan::Ground,
                    b'\\' if escape => Scan::Ground,
                    _ => Scan::String { escape: b == 0x1b },
                },
            };
        }
        if let Some(&last) = bytes.last() {
            self.at_line_start = last == b'\n';
        }
    }

    fn csi(&mut self, params: &[u8], last: u8) {
        let numbers = |p: &[u8]| -> Vec<u16> {
            p.split(|&c| c == b';')
                .map(|n| {
                    std::str::from_utf8(n)
                        .ok()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0)
                })
                .collect()
        };
        match (params.first(), last) {
            (Some(b'?'), b'h' | b'l') => {
                for mode in numbers(&params[1..]) {
                    self.dec_mode(mode, last == b'h');
                }
            }
            (Some(b'>'), b'u') => self.kitty = self.kitty.saturating_add(1),
            (Some(b'<'), b'u') => {
                let n = numbers(&params[1..]).first().copied().unwrap_or(1).max(1);
                self.kitty = self.kitty.saturating_sub(u32::from(n));
            }
            (Some(b'='), b'u') => self.kitty = self.kitty.max(1),
            (Some(b'>'), b'm') => {
                let n = numbers(&params[1..]);
                if n.first() == Some(&4) {
                    self.modify_other_keys = n.get(1).is_some_and(|&v| v > 0);
                }
            }
            _ if last == b'q' && params.last() == Some(&b' ') => {
                self.cursor_style = params[..params.len() - 1] != *b"0" && params.len() > 1;
            }
            _ => {}
        }
    }

    fn dec_mode(&mut self, mode: u16, set: bool) {
        if ALTERNATE_SCREEN.contains(&mode) {
            self.alternate = if set { Some(mode) } else { None };
        } else if mode == 25 {
            self.cursor_hidden = !set;
        } else if UNDONE.contains(&mode) {
            self.on.retain(|&m| m != mode);
            if set {
                self.on.push(mode);
            }
        }
    }

    /// Whether the terminal shows the alternate screen.
    #[cfg(test)]
    pub fn in_alternate_screen(&self) -> bool {
        self.alternate.is_some()
    }

    /// The bytes that turn off what the output turned on and bring the
    /// cursor to the start of a clean line below what it shows: on the
    /// normal screen the alternate one came from (where the cursor is
    /// restored), or under everything Claude drew inline.
    pub fn undo(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for mode in self.on.iter().rev() {
            out.extend_from_slice(format!("\x1b[?{mode}l").as_bytes());
        }
        if self.kitty > 0 {
            out.extend_from_slice(format!("\x1b[<{}u", self.kitty).as_bytes());
        }
        if self.modify_other_keys {
            out.extend_from_slice(b"\x1b[>4m");
        }
        if self.keypad {
            out.extend_from_slice(b"\x1b>");
        }
        if self.cursor_style {
            out.extend_from_slice(b"\x1b[0 q");
        }
        // Colours and attributes, then the cursor back on.
        out.extend_from_slice(b"\x1b[0m\x1b[?25h");
        match self.alternate {
            Some(mode) => {
                out.extend_from_slice(format!("\x1b[?{mode}l").as_bytes());
                out.push(b'\r');
            }
            None if self.at_line_start => out.push(b'\r'),
            // Below the last row (the cursor stops there), then a new line.
            None => out.extend_from_slice(b"\x1b[999B\r\n"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn undo_after(output: &[&[u8]]) -> String {
        let mut modes = Modes::default();
        for chunk in output {
            modes.scan(chunk);
        }
        String::from_utf8(modes.undo()).unwrap()
    }

    #[test]
    fn what_claude_turns_on_is_turned_off() {
        // Claude Code 2.1.332's start, cut across reads at awkward places.
        let undo = undo_after(&[
            b"\x1b7\x1b8\x1b[?25h\x1b[?2004h\x1b[?2031h\x1b[?10",
            b"04h\x1b]0;\xe2\x9c\xb3 Claude Code\x07\x1b[?1049h\x1b[2J\x1b[H",
            b"\x1b[?1000h\x1b[?1002h\x1b[?1003h\x1b[?1006h\x1b[?25l",
            b"\x1b[<u\x1b[>5u\x1b[>4;2mhello",
        ]);
        assert_eq!(
            undo,
            "\x1b[?1006l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1004l\x1b[?2031l\x1b[?2004l\
             \x1b[<1u\x1b[>4m\x1b[0m\x1b[?25h\x1b[?1049l\r"
        );
    }

    #[test]
    fn what_was_turned_off_again_is_left_alone() {
        let undo = undo_after(&[
            b"\x1b[?1049h\x1b[?2004h\x1b[>1u\x1b[>1u\x1b[<2u\x1b[>4;1m\x1b[>4;0m",
            b"\x1b[?2004l\x1b[?1049lResume this session with:\r\nclaude --resume x\r\n",
        ]);
        // Nothing on, and the cursor already starts a line.
        assert_eq!(undo, "\x1b[0m\x1b[?25h\r");
    }

    #[test]
    fn inline_output_gets_a_clean_line_below_it() {
        let undo = undo_after(&[b"\x1b[?2004h> type here\x1b[2A"]);
        assert_eq!(undo, "\x1b[?2004l\x1b[0m\x1b[?25h\x1b[999B\r\n");
    }

    #[test]
    fn strings_and_other_sequences_are_not_mistaken_for_switches() {
        // An OSC whose text looks like a mode switch, a DCS, plain text.
        let undo = undo_after(&[b"\x1b]2;\x1b[?1049h\x07\x1bP+q\x1b[?1000h\x1b\\[?2004h text\n"]);
        assert_eq!(undo, "\x1b[0m\x1b[?25h\r");
        let mut modes = Modes::default();
        modes.scan(b"\x1b[?47h");
        assert!(modes.in_alternate_screen());
        modes.scan(&[b'x'; 10_000]);
        modes.scan(b"\x1b[?47l");
        assert!(!modes.in_alternate_screen());
    }
}
