//! `claude-session shell-init bash|zsh|fish`: the seed's short commands
//! (`cs`, `cs-list`, `cs-new`, `cs-resume`, `cs-cleanup`, `cs-ui`, `csn NAME`, `csl`)
//! as shell code, for `eval "$(claude-session shell-init bash)"` in an rc
//! file instead of aliases edited in by hand. It defines those names and
//! nothing else (no options, prompt or hooks), and their tab completion
//! where the shell does not derive it (bash; zsh's `csn`; fish derives it
//! from `--wraps`, zsh's aliases complete as what they stand for).

use crate::cli::{Shell, ShellArgs};
use anyhow::Result;
use std::process::ExitCode;

pub fn run(args: ShellArgs) -> Result<ExitCode> {
    crate::util::output::emit(script(args.shell))?;
    Ok(ExitCode::SUCCESS)
}

pub fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => BASH,
        Shell::Zsh => ZSH,
        Shell::Fish => FISH,
    }
}

// bash and zsh read the same code. `function csn {` rather than `csn() {`:
// a `csn` alias left over from a hand-edited rc file would be expanded in
// the latter and break it; the unalias makes the function the one that runs.
// `command` skips any shell function of the same name as the binary.
macro_rules! posix {
    ($shell:literal, $rc:literal, $extra:literal) => {
        concat!(
            "# claude-session shell integration for ",
            $shell,
            ". In ",
            $rc,
            ":\n#   eval \"$(claude-session shell-init ",
            $shell,
            ")\"\n",
            r#"alias cs='claude-session'
alias cs-list='claude-session list'
alias cs-new='claude-session new'
alias cs-resume='claude-session resume'
alias cs-cleanup='claude-session cleanup'
alias cs-ui='claude-session ui'
alias csl='claude-session resume --last'

# csn NAME [OPTIONS] [-- CLAUDE_ARGS]: a new session called NAME.
\unalias csn 2>/dev/null
function csn {
    if [ "$#" -eq 0 ] || [ -z "$1" ] || [ "${1#-}" != "$1" ]; then
        printf '%s\n' 'usage: csn NAME [OPTIONS] [-- CLAUDE_ARGS]  (a new claude-session named NAME)' >&2
        return 2
    fi
    command claude-session new "$@"
}
"#,
            $extra
        )
    };
}

const BASH: &str = posix!(
    "bash",
    "~/.bashrc",
    r#"
# Tab completion for the short commands: each completes as the command it
# stands for, with claude-session's own completion (`claude-session
# completions bash`), loaded here if bash-completion has not loaded it yet.
_claude_session_short() {
    local -a expansion
    case $1 in
        cs) expansion=(claude-session) ;;
        cs-list) expansion=(claude-session list) ;;
        cs-new | csn) expansion=(claude-session new) ;;
        cs-resume) expansion=(claude-session resume) ;;
        cs-cleanup) expansion=(claude-session cleanup) ;;
        cs-ui) expansion=(claude-session ui) ;;
        csl) expansion=(claude-session resume --last) ;;
        *) return 1 ;;
    esac
    if ! declare -F _claude_session >/dev/null; then
        if declare -F _comp_load >/dev/null; then
            _comp_load -D -- claude-session
        elif declare -F _completion_loader >/dev/null; then
            _completion_loader claude-session
        fi
        declare -F _claude_session >/dev/null ||
            eval "$(command claude-session completions bash 2>/dev/null)"
        declare -F _claude_session >/dev/null || return 1
    fi
    local before=${#COMP_LINE}
    COMP_LINE="${expansion[*]}${COMP_LINE#"$1"}"
    COMP_POINT=$((COMP_POINT + ${#COMP_LINE} - before))
    COMP_WORDS=("${expansion[@]}" "${COMP_WORDS[@]:1}")
    COMP_CWORD=$((COMP_CWORD + ${#expansion[@]} - 1))
    compopt -o nosort 2>/dev/null
    # $2: the word up to the cursor, as bash gives it.
    _claude_session claude-session "$2" "${COMP_WORDS[COMP_CWORD-1]}"
}
complete -F _claude_session_short -o bashdefault -o default cs cs-list cs-new cs-resume cs-cleanup cs-ui csl csn
"#
);
const ZSH: &str = posix!(
    "zsh",
    "~/.zshrc",
    r#"
# csn completes as `claude-session new` (the aliases complete as what they
# stand for by themselves). compdef exists once compinit has run.
function _csn {
    words=(claude-session new "${(@)words[2,-1]}")
    (( CURRENT++ ))
    _normal
}
if (( $+functions[compdef] )); then
    compdef _csn csn
fi
"#
);

// Functions rather than fish's `alias` (which writes functions anyway), so
// `--wraps` can give each one the completion of the command it stands for.
const FISH: &str = r#"# claude-session shell integration for fish. In ~/.config/fish/config.fish:
#   claude-session shell-init fish | source
function cs --wraps claude-session --description 'claude-session'
    command claude-session $argv
end
function cs-list --wraps 'claude-session list' --description 'claude-session list'
    command claude-session list $argv
end
function cs-new --wraps 'claude-session new' --description 'claude-session new'
    command claude-session new $argv
end
function cs-resume --wraps 'claude-session resume' --description 'claude-session resume'
    command claude-session resume $argv
end
function cs-cleanup --wraps 'claude-session cleanup' --description 'claude-session cleanup'
    command claude-session cleanup $argv
end
function cs-ui --wraps 'claude-session ui' --description 'claude-session ui'
    command claude-session ui $argv
end
function csl --wraps 'claude-session resume --last' --description 'claude-session resume --last'
    command claude-session resume --last $argv
end

# csn NAME [OPTIONS] [-- CLAUDE_ARGS]: a new session called NAME.
function csn --wraps 'claude-session new' --description 'claude-session new NAME'
    if test (count $argv) -eq 0; or test -z "$argv[1]"; or string match -q -- '-*' $argv[1]
        printf '%s\n' 'usage: csn NAME [OPTIONS] [-- CLAUDE_ARGS]  (a new claude-session named NAME)' >&2
        return 2
    end
    command claude-session new $argv
end
"#;
