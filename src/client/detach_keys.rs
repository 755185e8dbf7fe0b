//! Detach keys: a short key sequence, matched on the raw bytes typed, that
//! detaches the terminal instead of reaching Claude.

use anyhow::{Result, bail};

pub const DEFAULT: &str = "ctrl-\\,d";

#[derive(Debug, Clone, PartialEq)]
pub struct DetachKeys {
    sequence: Vec<u8>,
    matched: usize,
}

impl DetachKeys {
    /// Parses "ctrl-\\,d", "ctrl-a,d", "ctrl-q": comma-separated keys, each
    /// a single printable character or `ctrl-<char>`.
    pub fn parse(spec: &str) -> Result<Self> {
        let mut sequence = Vec::new();
        for key in spec.split(',') {
            let lower = key.to_ascii_lowercase();
            let byte = if let Some(c) = lower.strip_prefix("ctrl-") {
                match c.as_bytes() {
                    [c @ (b'a'..=b'z' | b'@' | b'[' | b'\\' | b']' | b'^' | b'_')] => {
                        c.to_ascii_uppercase() & 0x1f
                    }
                    _ => bail!(
                        "cannot read {key:?} in detach keys: after ctrl- comes one of a-z @ [ \\ ] ^ _"
                    ),
                }
            } else {
                match key.as_bytes() {
                    [c] if c.is_ascii_graphic() => *c,
                    _ => bail!(
                        "cannot read {key:?} in detach keys: use one character or ctrl-<char>, e.g. \"ctrl-\\\\,d\""
                    ),
                }
            };
            sequence.push(byte);
        }
        if sequence.is_empty() {
            bail!("detach keys cannot be empty");
        }
        Ok(Self {
            sequence,
            matched: 0,
        })
    }

    /// The keys a user chose (`--detach-keys`, CLAUDE_SESSION_DETACH_KEYS),
    /// or the default.
    pub fn chosen(spec: Option<&str>) -> Result<Self> {
        Self::parse(spec.unwrap_or(DEFAULT))
    }

    /// How to show the keys to a person: "Ctrl-\ d".
    pub fn describe(&self) -> String {
        let keys: Vec<String> = self
            .sequence
            .iter()
            .map(|b| {
                if *b < 0x20 {
                    format!("Ctrl-{}", ((b | 0x40) as char))
                } else {
                    (*b as char).to_string()
                }
            })
            .collect();
        keys.join(" ")
    }

    /// Feeds typed bytes; returns what to pass on and whether the sequence
    /// was completed (bytes after it are dropped). A partial match is held
    /// back until the next byte decides it.
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(input.len());
        for &byte in input {
            if byte == self.sequence[self.matched] {
                self.matched += 1;
                if self.matched == self.sequence.len() {
                    self.matched = 0;
                    return (out, true);
                }
            } else {
                out.extend_from_slice(&self.sequence[..self.matched]);
                self.matched = 0;
                if byte == self.sequence[0] {
                    self.matched = 1;
                } else {
                    out.push(byte);
                }
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_describes() {
        let keys = DetachKeys::parse(DEFAULT).unwrap();
        assert_eq!(keys.sequence, vec![0x1c, b'd']);
        assert_eq!(keys.describe(), "Ctrl-\\ d");
        assert_eq!(
            DetachKeys::parse("ctrl-a,d").unwrap().sequence,
            vec![1, b'd']
        );
        assert!(DetachKeys::parse("ctrl-").is_err());
        assert!(DetachKeys::parse("ab").is_err());
        assert!(DetachKeys::parse("").is_err());
    }

    #[test]
    fn matches_across_reads_and_passes_near_misses() {
        let mut keys = DetachKeys::parse(DEFAULT).unwrap();
        assert_eq!(keys.feed(b"ab\x1c"), (b"ab".to_vec(), false));
        assert_eq!(keys.feed(b"x"), (b"\x1cx".to_vec(), false));
        assert_eq!(keys.feed(b"\x1c\x1cd"), (b"\x1c".to_vec(), true));
        assert_eq!(keys.feed(b"\x1cdzz"), (Vec::new(), true));
    }
}
