//! Words for the host's shell. `ssh` hands the host one string, which the
//! account's login shell reads as a command line; each word is sent in
//! single quotes, where a POSIX shell (sh, bash, dash, zsh, ksh) takes
//! every byte as it is, `$`, backquotes, `\` and newlines included. A quote
//! itself ends the quoted part, adds an escaped quote, and starts another:
//! `it's` is sent as `'it'\''s'`.

/// `words` as one command line for a POSIX shell.
pub fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    let mut line = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        push_word(&mut line, word.as_ref());
    }
    line
}

fn push_word(line: &mut String, word: &str) {
    // A word of only these needs no quotes in any POSIX shell (not `=`:
    // zsh expands `=cmd`; not `~`, `%`, `*`...), and reads better in `ps`.
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:,+@".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        line.push_str(word);
        return;
    }
    line.push('\'');
    for c in word.chars() {
        if c == '\'' {
            line.push_str("'\\''");
        } else {
            line.push(c);
        }
    }
    line.push('\'');
}

#[cfg(test)]
mod tests {
    use super::command_line;
    use std::process::Command;

    /// Each word comes back as it was from a real `sh -c`, whatever it holds.
    #[test]
    fn every_word_survives_the_shell() {
        let words = [
            "claude-session",
            "send",
            "demo",
            "it's \"quoted\" $(touch /nonexistent/x) `id` $HOME \\ ; | & > *",
            "line one\nline two",
            "",
            "'",
            "''",
            "--cwd=/tmp/a b",
            "ünïcode ✓",
        ];
        let line = command_line(&words);
        // `printf '%s\0'` prints each argument it is given, NUL-ended.
        let script = format!("printf '%s\\0' {}", command_line(&words));
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert!(out.status.success(), "{line}");
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        assert_eq!(got, words);
    }

    #[test]
    fn plain_words_stay_plain() {
        assert_eq!(
            command_line(&["claude-session", "show", "a.b_c-1", "--json"]),
            "claude-session show a.b_c-1 --json"
        );
        assert_eq!(command_line(&["it's"]), "'it'\\''s'");
        assert_eq!(command_line(&[""]), "''");
    }
}
