//! `claude-session completions bash|zsh|fish`: the completion script.
//!
//! clap_complete writes the static part (subcommands, flags, files for DIR
//! and PATH values) from the clap definition. Session names cannot be
//! static, so each script gets a small wrapper: on every Tab it asks
//! `claude-session __complete-sessions --cword N -- WORDS...`, which answers
//! with the matching names when the word is a SESSION argument and fails
//! otherwise, and then the static completion runs.

use crate::cli::{Cli, Shell, ShellArgs};
use anyhow::Result;
use clap::CommandFactory;
use std::process::ExitCode;

const BIN: &str = "claude-session";

pub fn run(args: ShellArgs) -> Result<ExitCode> {
    crate::util::output::emit(&script(args.shell))?;
    Ok(ExitCode::SUCCESS)
}

pub fn script(shell: Shell) -> String {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(generator, &mut visible(Cli::command()), BIN, &mut buf);
    let generated = String::from_utf8_lossy(&buf);
    match shell {
        Shell::Bash => bash(&generated),
        Shell::Zsh => zsh(&generated),
        Shell::Fish => format!("{generated}{FISH}"),
    }
}

/// The command without its hidden subcommands (`__holder`, ...): the bash
/// and fish generators would offer them. clap cannot remove a subcommand,
/// so this copies what completion needs: arguments, groups, visible
/// subcommands and the version flag.
fn visible(cmd: clap::Command) -> clap::Command {
    clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(cmd.get_arguments().cloned())
        .groups(cmd.get_groups().cloned())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

const BASH: &str = r#"
# Session names for SESSION arguments (`claude-session __complete-sessions`
# knows which words those are); every other word: the function above.
_claude_session() {
    local names
    if names="$(command claude-session __complete-sessions --cword "$COMP_CWORD" -- "${COMP_WORDS[@]}" 2>/dev/null)"; then
        COMPREPLY=()
        [[ -n $names ]] && mapfile -t COMPREPLY <<<"$names"
        # No file names when no session matches.
        compopt +o default +o bashdefault 2>/dev/null
        return 0
    fi
    _claude__session "$@"
}
"#;

/// The generated script ends by registering its function; register the
/// wrapper instead, with the same options.
fn bash(generated: &str) -> String {
    // clap_complete 4.6 names the states of a hyphenated command two ways
    // (`cmd="claude__session__subcmd__list"` set, `claude__subcmd__session__
    // subcmd__list)` matched), so no option after a subcommand completed.
    let generated = generated.replace("claude__subcmd__session__", "claude__session__");
    let (head, tail) = split_at_last(&generated, "\nif [[ \"${BASH_VERSINFO[0]}\"");
    format!(
        "{head}\n{}{tail}",
        BASH.trim_start(),
        tail = tail.replace("-F _claude__session ", "-F _claude_session ")
    )
}

const ZSH: &str = r#"
# Session names for SESSION arguments (`claude-session __complete-sessions`
# knows which words those are); every other word: the function above.
_claude-session() {
    local out expl
    local -a names
    if out="$(command claude-session __complete-sessions --cword $((CURRENT - 1)) -- "${words[@]}" 2>/dev/null)"; then
        [[ -n $out ]] && names=("${(@f)out}")
        _wanted sessions expl 'session' compadd -a names
        return
    fi
    _claude-session_static "$@"
}

if [ "$funcstack[1]" = "_claude-session" ]; then
    _claude-session "$@"
else
    compdef _claude-session claude-session
fi
"#;

/// The generated function is renamed and the wrapper takes its name, so the
/// script works both from `fpath` (autoloaded as `_claude-session`) and
/// sourced; the generated registration at the end is replaced by ours.
fn zsh(generated: &str) -> String {
    let (head, _) = split_at_last(
        generated,
        "\nif [ \"$funcstack[1]\" = \"_claude-session\" ]",
    );
    let head = head.replacen(
        "\n_claude-session() {\n",
        "\n_claude-session_static() {\n",
        1,
    );
    format!("{head}\n{}", ZSH.trim_start())
}

const FISH: &str = r#"
# Session names for SESSION arguments (`claude-session __complete-sessions`
# knows which words those are). The condition fetches them, so it fails (and
# the entry is skipped) wherever a session does not fit.
function __claude_session_sessions
    set -l words (commandline -opc)
    set -l cword (count $words)
    set -a words (commandline -ct)
    set -g __claude_session_names (command claude-session __complete-sessions --cword $cword -- $words 2>/dev/null)
end
complete -c claude-session -f -n __claude_session_sessions -a '$__claude_session_names'
"#;

/// Splits before the last `marker`; panics if the generator's output no
/// longer has it, which the tests catch on a clap_complete upgrade.
fn split_at_last<'a>(text: &'a str, marker: &str) -> (&'a str, &'a str) {
    let at = text
        .rfind(marker)
        .unwrap_or_else(|| panic!("clap_complete output changed: no {marker:?}"));
    text.split_at(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_subcommands_are_not_offered() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = script(shell);
            assert!(!script.contains("__holder"), "{shell:?}");
            assert!(script.contains("restore"), "{shell:?}");
        }
    }

    #[test]
    fn wrappers_are_registered() {
        let bash = script(Shell::Bash);
        assert!(!bash.contains("-F _claude__session "));
        assert_eq!(bash.matches("complete -F _claude_session ").count(), 2);
        // Every state the generated function sets is one it matches.
        assert!(!bash.contains("claude__subcmd__session"));
        assert!(bash.contains("\n        claude__session__subcmd__list)\n"));
        let zsh = script(Shell::Zsh);
        assert_eq!(zsh.matches("\n_claude-session() {\n").count(), 1);
        assert_eq!(zsh.matches("\n_claude-session_static() {\n").count(), 1);
        assert_eq!(zsh.matches("\n    compdef ").count(), 1);
        assert!(zsh.starts_with("#compdef claude-session\n"));
    }
}
