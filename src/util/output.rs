//! Writing to stdout so that a closed pipe (`list | head`) ends the program
//! quietly with status 0 instead of a panic.

use std::io::{self, Write};

/// Raised when stdout is a closed pipe; `main` exits 0 on it.
#[derive(Debug, thiserror::Error)]
#[error("stdout closed")]
pub struct BrokenPipe;

pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Pretty JSON with a trailing newline.
pub fn emit_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    emit(&text)
}

/// A message for the person at the terminal (stderr), not output:
/// `claude-session: <what>`.
pub fn say(what: &str) {
    eprintln!("claude-session: {what}");
}

/// A warning: something went wrong that does not stop the command. It goes
/// to stderr, which in a holder is the session's `holder.log` once its
/// starter has stopped listening (see `holder::entry`).
pub fn warn(what: impl std::fmt::Display) {
    eprintln!("claude-session: warning: {what}");
}

/// Sizes as people read them: "812 B", "4.2 kB", "13.0 MB".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(812), "812 B");
        assert_eq!(super::human_bytes(4_200), "4.2 kB");
        assert_eq!(super::human_bytes(13_000_000), "13.0 MB");
    }
}
