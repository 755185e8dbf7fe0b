//! `claude-session __complete-sessions`: session names for the completion
//! scripts (hidden; see `completions`).
//!
//! `__complete-sessions [PREFIX]` prints the names starting with PREFIX.
//! `__complete-sessions --cword N -- WORDS...` is what the scripts call on
//! every Tab: if WORDS[N] is a SESSION argument it prints the names that fit
//! it, else it exits 1 and the script falls back to its static completion.
//! Which words are SESSION arguments is read from the clap definition, so a
//! new subcommand taking a session completes without touching the scripts.
//! `new`'s NAME is a name nobody has yet: it completes to nothing (rather
//! than to the static completion's options, whose common `-` bash inserts).
//! It never fails loudly: a missing or unreadable store just has no names.

use crate::cli::{Cli, CompleteSessionsArgs, GlobalArgs};
use anyhow::Result;
use clap::{Arg, CommandFactory};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: CompleteSessionsArgs) -> Result<ExitCode> {
    let (prefix, store) = match args.cword {
        None => (args.prefix.unwrap_or_default(), global.store.clone()),
        Some(index) => match session_word(&Cli::command(), &args.words, index) {
            Some(Word::Session(target)) => (target.prefix, target.store.or(global.store.clone())),
            Some(Word::NewName) => return Ok(ExitCode::SUCCESS),
            None => return Ok(ExitCode::FAILURE),
        },
    };
    let names = names(store, global, &prefix).unwrap_or_default();
    if !names.is_empty() {
        crate::util::output::emit(&(names.join("\n") + "\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn names(store: Option<PathBuf>, global: &GlobalArgs, prefix: &str) -> Option<Vec<String>> {
    let layout =
        crate::store::layout::Layout::discover(store.as_deref(), global.base.as_deref()).ok()?;
    let conn = crate::store::registry::names::open_read_only(&layout.registry_path()).ok()?;
    crate::store::registry::names::with_prefix(&conn, prefix).ok()
}

/// A word whose completion is ours rather than the static script's.
#[derive(Debug, PartialEq)]
pub enum Word {
    /// A SESSION argument: existing names.
    Session(Target),
    /// `new`'s NAME: nothing.
    NewName,
}

/// A SESSION argument being completed: what is typed of it so far, and the
/// store named on the same command line, if any.
#[derive(Debug, PartialEq)]
pub struct Target {
    pub prefix: String,
    pub store: Option<PathBuf>,
}

/// Is `words[index]` (words[0] is the program) a SESSION argument, or
/// `new`'s NAME? Walks the words as clap would: subcommands (and their
/// aliases), options and their values, positionals by position.
pub fn session_word(root: &clap::Command, words: &[String], index: usize) -> Option<Word> {
    let mut root = root.clone();
    root.build(); // propagates the global options into the subcommands
    let mut cmd = &root;
    let mut positionals = 0;
    let mut store = None;
    let mut seen = Vec::new(); // ids of the options given, for conflicts
    let current = words.get(index).map(String::as_str).unwrap_or("");
    let target = |store| {
        Word::Session(Target {
            prefix: current.to_string(),
            store,
        })
    };
    let mut i = 1;
    while i < index.min(words.len()) {
        let word = words[i].as_str();
        i += 1;
        if word == "--" {
            return None; // what follows goes to claude (or is a plain value)
        }
        let option = if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let arg = cmd.get_arguments().find(|a| a.get_long() == Some(name));
            arg.map(|a| (a, inline))
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            // A cluster such as `-lr`: the first flag that takes a value
            // takes the rest of the word, or else the next word.
            shorts.char_indices().find_map(|(at, c)| {
                let arg = cmd.get_arguments().find(|a| a.get_short() == Some(c))?;
                let rest = &shorts[at + c.len_utf8()..];
                takes_value(arg).then(|| (arg, Some(rest).filter(|r| !r.is_empty())))
            })
        } else {
            if positionals == 0
                && let Some(sub) = cmd.find_subcommand(word)
            {
                cmd = sub;
                seen.clear();
            } else {
                positionals += 1;
            }
            continue;
        };
        let Some((arg, inline)) = option else {
            // A flag (the first of a cluster) or one clap does not know.
            if let Some(arg) = flag(cmd, word) {
                seen.push(arg.get_id().clone());
            }
            continue;
        };
        seen.push(arg.get_id().clone());
        if !takes_value(arg) {
            continue;
        }
        let value = match inline {
            Some(value) => value,
            None => {
                // bash splits `--store=DIR` into `--store`, `=`, `DIR`.
                if words.get(i).map(String::as_str) == Some("=") {
                    i += 1;
                }
                if i == index {
                    return (is_session_option(arg) && !cmd.is_hide_set()).then(|| target(store));
                }
                i += 1;
                words.get(i - 1).map(String::as_str).unwrap_or("")
            }
        };
        if arg.get_id() == "store" {
            store = Some(expand_tilde(value));
        }
    }
    if current.starts_with('-') || index > words.len() || cmd.is_hide_set() {
        // An option (the static completion knows those), a word past the
        // end, or a word inside a hidden command.
        return None;
    }
    // A subcommand's name is not a session either; nor is `resume --last
    // <TAB>` (clap would refuse a session there).
    let arg = positional_at(cmd, positionals)?;
    if cmd.get_name() == "new" && arg.get_id() == "name" {
        return Some(Word::NewName);
    }
    if !is_session_positional(arg) {
        return None;
    }
    let conflicts = cmd.get_arg_conflicts_with(arg);
    if conflicts.iter().any(|c| seen.contains(c.get_id())) {
        return None;
    }
    Some(target(store))
}

/// The flag a word such as `--last` or `-l` names, if clap knows it.
fn flag<'a>(cmd: &'a clap::Command, word: &str) -> Option<&'a Arg> {
    match word.strip_prefix("--") {
        Some(long) => cmd.get_arguments().find(|a| a.get_long() == Some(long)),
        None => {
            let c = word.strip_prefix('-')?.chars().next()?;
            cmd.get_arguments().find(|a| a.get_short() == Some(c))
        }
    }
}

/// The positional argument that the `n`th positional word (from 0) fills.
fn positional_at(cmd: &clap::Command, mut n: usize) -> Option<&Arg> {
    let mut args: Vec<&Arg> = cmd.get_positionals().filter(|a| !a.is_last_set()).collect();
    args.sort_by_key(|a| a.get_index());
    for arg in args {
        let max = arg.get_num_args().map_or(1, |r| r.max_values());
        if n < max {
            return Some(arg);
        }
        n -= max;
    }
    None
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|r| r.takes_values())
}

/// `-r/--resume SESSION`, `-d/--delete SESSION`.
fn is_session_option(arg: &Arg) -> bool {
    arg.get_value_names()
        .is_some_and(|names| names.iter().any(|n| n == "SESSION"))
}

/// `show SESSION`, `rm SESSIONS...`, and the like.
fn is_session_positional(arg: &Arg) -> bool {
    matches!(arg.get_id().as_str(), "session" | "sessions")
}

/// A `--store ~/x` typed on the line reaches us unexpanded.
fn expand_tilde(value: &str) -> PathBuf {
    match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `|` marks the word being completed.
    fn word(line: &str) -> Option<Word> {
        let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
        let index = words.iter().position(|w| w.contains('|')).unwrap();
        words[index] = words[index].replace('|', "");
        session_word(&Cli::command(), &words, index)
    }

    /// The session argument at `|`, if it is one.
    fn at(line: &str) -> Option<Target> {
        match word(line) {
            Some(Word::Session(target)) => Some(target),
            _ => None,
        }
    }

    fn prefix(line: &str) -> Option<String> {
        at(line).map(|t| t.prefix)
    }

    #[test]
    fn session_arguments_complete() {
        for line in [
            "claude-session show |",
            "claude-session resume |",
            "claude-session rm |",
            "claude-session delete |",
            "claude-session path |",
            "claude-session attach |",
            "claude-session kill |",
            "claude-session -r |",
            "claude-session --resume |",
            "claude-session -d |",
            "claude-session --delete |",
            "claude-session resume --foreground |",
            "claude-session rm a b --force |",
            "claude-session kill --timeout 5 |",
            "claude-session attach --read-only |",
            "cs show |",
        ] {
            assert_eq!(prefix(line).as_deref(), Some(""), "{line}");
        }
        assert_eq!(prefix("claude-session resume al|").as_deref(), Some("al"));
        assert_eq!(prefix("claude-session -r al|").as_deref(), Some("al"));
    }

    #[test]
    fn other_words_do_not() {
        for line in [
            "claude-session |",
            "claude-session res|",
            "claude-session |x",
            "claude-session list |",
            "claude-session ls |",
            "claude-session resume alpha |",
            "claude-session show alpha |",
            "claude-session resume -|",
            "claude-session resume --l|",
            "claude-session resume x -- |",
            "claude-session resume --last |",
            "claude-session new x -- --resume |",
            "claude-session kill --timeout |",
            "claude-session --store |",
            "claude-session --cwd |",
            "claude-session help |",
            "claude-session help resume |",
            "claude-session shell-init |",
            "claude-session __holder --session |",
            "claude-session new x |",
            "claude-session new -|",
        ] {
            assert_eq!(word(line), None, "{line}");
        }
    }

    #[test]
    fn a_new_name_completes_to_nothing() {
        for line in [
            "claude-session new |",
            "claude-session new al|",
            "claude-session new --cwd /x |",
            "claude-session --store /s new |",
        ] {
            assert_eq!(word(line), Some(Word::NewName), "{line}");
        }
    }

    #[test]
    fn store_on_the_line_is_used() {
        let target = at("claude-session --store /s resume |").unwrap();
        assert_eq!(target.store, Some(PathBuf::from("/s")));
        let target = at("claude-session show --store=/t x|").unwrap();
        assert_eq!(
            (target.prefix.as_str(), target.store),
            ("x", Some(PathBuf::from("/t")))
        );
        // bash's split of `--store=/u`
        let target = at("claude-session --store = /u path |").unwrap();
        assert_eq!(target.store, Some(PathBuf::from("/u")));
        assert_eq!(at("claude-session path |").unwrap().store, None);
    }

    #[test]
    fn current_word_past_the_end_is_empty() {
        // fish drops an empty current token.
        let words = ["claude-session", "resume"].map(String::from);
        let found = session_word(&Cli::command(), &words, 2);
        assert!(
            matches!(&found, Some(Word::Session(t)) if t.prefix.is_empty()),
            "{found:?}"
        );
        assert_eq!(session_word(&Cli::command(), &words, 3), None);
    }
}
