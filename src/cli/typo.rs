//! A mistyped command: `claude-session lsit` would otherwise read as the
//! seed's `claude-session NAME` and start a session named `lsit`.
//!
//! How close a word must be grows with the command's length. Plain edit
//! distance 2 would refuse ordinary session names: every name of one or two
//! letters (`ls`, `rm`), `test` (`set`), `main` (`man`), `lint` (`list`),
//! `docker` (`doctor`), `report` (`export`). So a short command matches only
//! with two neighbouring letters swapped (`lsit`, `shwo`, `nwe`), a
//! six-letter one with one edit (`attahc`, `reusme`, `atach`), a longer one
//! with two (`cleaup`, `restroe`). A swap counts as one edit.

use super::Cli;
use clap::CommandFactory;

/// The visible command or alias `word` looks like a mistyping of.
pub fn mistyped_command(word: &str) -> Option<String> {
    let cmd = Cli::command();
    let names = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .flat_map(|s| std::iter::once(s.get_name()).chain(s.get_visible_aliases()))
        .chain(["help"]);
    names
        .filter(|name| *name != word && close(word, name))
        .min_by_key(|name| distance(word, name))
        .map(str::to_string)
}

/// Is `word` within the edits allowed for `command`?
fn close(word: &str, command: &str) -> bool {
    let word: Vec<char> = word.chars().collect();
    let command: Vec<char> = command.chars().collect();
    match command.len() {
        ..=5 => is_swap(&word, &command),
        6 => distance_of(&word, &command) <= 1,
        _ => distance_of(&word, &command) <= 2,
    }
}

/// `word` is `command` with two neighbouring characters swapped.
fn is_swap(word: &[char], command: &[char]) -> bool {
    if word.len() != command.len() {
        return false;
    }
    let differ: Vec<usize> = (0..word.len()).filter(|&i| word[i] != command[i]).collect();
    matches!(differ[..], [i, j] if j == i + 1 && word[i] == command[j] && word[j] == command[i])
}

fn distance(a: &str, b: &str) -> usize {
    distance_of(
        &a.chars().collect::<Vec<_>>(),
        &b.chars().collect::<Vec<_>>(),
    )
}

/// Edit distance where a swap of neighbours is one edit (optimal string
/// alignment). Words here are short, so the full table is fine.
fn distance_of(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_of_commands_are_caught() {
        for (word, command) in [
            ("lsit", "list"),
            ("attahc", "attach"),
            ("reusme", "resume"),
            ("atach", "attach"),
            ("shwo", "show"),
            ("nwe", "new"),
            ("sl", "ls"),
            ("cleaup", "cleanup"),
            ("restroe", "restore"),
            ("mirgate", "migrate"),
            ("hlep", "help"),
            ("dleete", "delete"),
        ] {
            assert_eq!(mistyped_command(word).as_deref(), Some(command), "{word}");
        }
    }

    #[test]
    fn ordinary_names_are_not_commands() {
        for word in [
            "alpha", "api", "web", "db", "x", "js", "test", "main", "lint", "math", "docker",
            "report", "result", "state", "beta", "list2", "news",
        ] {
            assert_eq!(mistyped_command(word), None, "{word}");
        }
        assert_eq!(mistyped_command("list"), None, "a command is no typo");
    }

    #[test]
    fn distance_counts_a_swap_once() {
        assert_eq!(distance("lsit", "list"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }
}
