//! `completions bash|zsh|fish` through the real shells: a SESSION argument
//! completes to the registry's names, other words keep the static
//! completion; and `__complete-sessions` stays fast with 10,000 sessions.

use crate::shell::{env, init_line, ok, shell};
use crate::support::Env;
use std::time::{Duration, Instant};

/// Sessions alpha-1, alpha-2, beta, and a file that must never be offered
/// where a session is expected.
fn sessions() -> Env {
    let env = env();
    for name in ["alpha-1", "alpha-2", "beta"] {
        env.create(name);
    }
    std::fs::write(env.work.join("zzz-file"), "").unwrap();
    env
}

/// The words each case printed, sorted; cases end with an `@@` line.
fn lines(out: &str) -> Vec<Vec<String>> {
    let mut cases: Vec<&str> = out.split("@@\n").collect();
    assert_eq!(cases.pop(), Some(""), "{out}");
    cases
        .into_iter()
        .map(|case| {
            let mut words: Vec<String> = case.split_whitespace().map(str::to_string).collect();
            words.sort();
            words
        })
        .collect()
}

const CASES: [&str; 9] = [
    "claude-session resume ",
    "claude-session resume al",
    "claude-session -r b",
    "claude-session rm alpha-1 ",
    "claude-session res",
    "claude-session resume zzz",
    "claude-session resume --last ",
    "claude-session new ",
    "claude-session new al",
];

/// What each of CASES must offer (sorted; the static part may offer more
/// than `res*` subcommands in some shells, so that case is checked apart).
fn check(shell: &str, got: &[Vec<String>]) {
    let all = ["alpha-1", "alpha-2", "beta"];
    assert_eq!(got.len(), CASES.len(), "{shell}: {got:?}");
    assert_eq!(got[0], all, "{shell}: {}", CASES[0]);
    assert_eq!(got[1], ["alpha-1", "alpha-2"], "{shell}: {}", CASES[1]);
    assert_eq!(got[2], ["beta"], "{shell}: {}", CASES[2]);
    assert_eq!(got[3], all, "{shell}: {}", CASES[3]);
    for want in ["restore", "resume"] {
        assert!(
            got[4].iter().any(|w| w == want),
            "{shell}: {want} in {:?}",
            got[4]
        );
    }
    assert!(
        !got[4].iter().any(|w| w.starts_with("alpha")),
        "{shell}: {:?}",
        got[4]
    );
    assert!(
        got[5].is_empty(),
        "{shell}: no names, no files: {:?}",
        got[5]
    );
    assert!(
        !got[6].iter().any(|w| all.contains(&w.as_str())),
        "{shell}: {:?}",
        got[6]
    );
    // A new session's NAME: nothing (no options, names or files).
    for i in [7, 8] {
        assert!(got[i].is_empty(), "{shell}: {}: {:?}", CASES[i], got[i]);
    }
}

#[test]
fn bash_completes_session_names() {
    let Some(_) = shell("bash") else { return };
    let env = sessions();
    // Calls the function bash would call, as bash would: the registered
    // `complete -F` function with COMP_WORDS / COMP_CWORD set.
    let mut script = String::from(
        r#"source <(claude-session completions bash)
fn=$(complete -p claude-session | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
complete_line() {
    COMP_LINE=$1 COMP_POINT=${#1}
    read -ra COMP_WORDS <<<"$1"
    [[ $1 == *' ' ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    "$fn" claude-session "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}" @@
}
"#,
    );
    for case in CASES {
        script.push_str(&format!("complete_line '{case}'\n"));
    }
    check("bash", &lines(&ok(&env, "bash", &script)));
}

#[test]
fn bash_completes_the_short_commands_as_what_they_stand_for() {
    let Some(_) = shell("bash") else { return };
    let env = sessions();
    // Only shell-init: claude-session's completion is loaded at the first
    // tab (no bash-completion here to load it). The second argument of
    // complete_line: how many characters of the last word follow the cursor.
    let script = format!(
        r#"{}
complete_line() {{
    COMP_LINE=$1 COMP_POINT=$(( ${{#1}} - ${{2:-0}} ))
    read -ra COMP_WORDS <<<"$1"
    [[ $1 == *' ' ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
    COMPREPLY=()
    local word=${{COMP_WORDS[COMP_CWORD]}}
    fn=$(complete -p "${{COMP_WORDS[0]}}" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
    "$fn" "${{COMP_WORDS[0]}}" "${{word:0:${{#word}}-${{2:-0}}}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
    printf '%s\n' "${{COMPREPLY[@]}}" @@
}}
complete_line 'cs-resume al'
complete_line 'cs show b'
complete_line 'cs rm alpha-1 '
complete_line 'cs resx' 1
complete_line 'csl --'
complete_line 'cs-list --'
complete_line 'cs-new --no-l'
complete_line 'csn x --no-l'
complete_line 'cs-cleanup --dry'
complete_line 'csn '
complete_line 'cs-new '
"#,
        init_line("bash")
    );
    let got = lines(&ok(&env, "bash", &script));
    assert_eq!(got.len(), 11, "{got:?}");
    assert_eq!(got[0], ["alpha-1", "alpha-2"]);
    assert_eq!(got[1], ["beta"]);
    assert_eq!(got[2], ["alpha-1", "alpha-2", "beta"]);
    // The cursor after `res` in `resx`: what `res` starts.
    assert!(got[3].iter().any(|w| w == "resume"), "{:?}", got[3]);
    // Each name's own options: resume's, list's, new's.
    for (i, want) in [
        (4, "--last"),
        (5, "--json"),
        (6, "--no-launch"),
        (7, "--no-launch"),
    ] {
        assert!(got[i].iter().any(|w| w == want), "{want}: {:?}", got[i]);
    }
    assert!(!got[5].iter().any(|w| w == "--last"), "{:?}", got[5]);
    assert_eq!(got[8], ["--dry-run"]);
    // A new session's NAME: nothing.
    assert!(got[9].is_empty() && got[10].is_empty(), "{got:?}");
}

#[test]
fn fish_completes_session_names() {
    let Some(_) = shell("fish") else { return };
    let env = sessions();
    let mut script = String::from("claude-session completions fish | source\n");
    for case in CASES {
        script.push_str(&format!(
            "complete -C '{case}' | string replace -r '\\t.*' ''; echo @@\n"
        ));
    }
    let got = lines(&ok(&env, "fish", &script));
    check("fish", &got);
    // The short commands complete as the commands they stand for.
    let script = format!(
        "{}\nclaude-session completions fish | source\ncomplete -C 'cs-resume al'\necho @@\ncomplete -C 'cs show b'\necho @@\ncomplete -C 'csn '\necho @@\n",
        init_line("fish")
    );
    assert_eq!(
        lines(&ok(&env, "fish", &script)),
        [vec!["alpha-1", "alpha-2"], vec!["beta"], vec![]]
    );
}

/// zsh completes only inside its line editor: an interactive zsh on a
/// pseudo-terminal (zsh's own zpty module) gets each case typed, then a key
/// that inserts all matches and one that writes the line to a file.
#[test]
fn zsh_completes_session_names() {
    let Some(_) = shell("zsh") else { return };
    let env = sessions();
    let mut cases: Vec<String> = CASES.iter().map(|c| c.to_string()).collect();
    cases.push("cs resume al".into()); // an alias completes as what it stands for
    cases.push("csn ".into()); // a new session's NAME: nothing
    cases.push("csn x --no-l".into()); // then `new`'s options
    let keys: String = cases
        .iter()
        .map(|c| format!("{c}\\x02\\x0f\\x15")) // ^B all matches, ^O dump, ^U clear
        .collect();
    let script = format!(
        r#"zmodload zsh/zpty
out=$PWD/zsh-lines
zpty z zsh -f -i
zpty -w z 'autoload -Uz compinit; compinit -u -D; source <(claude-session completions zsh); {init}; dump() {{ print -r -- "$BUFFER" >> {out} }}; zle -N dump; bindkey "^O" dump; zle -C all-matches complete-word _generic; zstyle ":completion:all-matches::::" completer _all_matches _complete; zstyle ":completion:all-matches:*" insert true; bindkey "^B" all-matches; PS1="RE""ADY> "'
zpty -r z _ '*READY> *'
zpty -w -n z $'{keys}'
for i in {{1..1000}}; do
    [[ -f $out && $(wc -l < $out) -ge {n} ]] && break
    sleep 0.02
done
zpty -d z
cat $out
"#,
        init = init_line("zsh"),
        out = "$PWD/zsh-lines",
        n = cases.len(),
    );
    let out = ok(&env, "zsh", &script);
    // Each line is the case's text followed by what was inserted.
    let got: Vec<Vec<String>> = out
        .lines()
        .zip(&cases)
        .map(|(line, case)| {
            let added = line
                .strip_prefix(case.trim_end_matches(|c| c != ' '))
                .unwrap_or(line);
            let mut words: Vec<String> = added.split_whitespace().map(str::to_string).collect();
            words.sort();
            words
        })
        .collect();
    assert_eq!(got.len(), cases.len(), "{out}");
    // `zzz` has no match, nor has a new name: the line is left as typed.
    let mut got = got;
    for (i, typed) in [(5, "zzz"), (8, "al")] {
        if got[i] == [typed] {
            got[i].clear();
        }
    }
    check("zsh", &got[..CASES.len()]);
    assert_eq!(got[CASES.len()], ["alpha-1", "alpha-2"], "{out}");
    assert!(got[CASES.len() + 1].is_empty(), "{out}");
    assert_eq!(got[CASES.len() + 2], ["--no-launch"], "{out}");
}

#[test]
fn session_names_stay_fast_with_10000_sessions() {
    let env = Env::new();
    env.create("seed");
    add_sessions(&env, 10_000);
    let complete = |words: &[&str]| {
        let mut args = vec![
            "__complete-sessions",
            "--cword",
            "2",
            "--",
            "claude-session",
        ];
        args.extend(words);
        let start = Instant::now();
        let out = env.run(&args);
        (
            start.elapsed(),
            String::from_utf8(out.stdout).unwrap().lines().count(),
        )
    };
    // s-12, s-120..s-129, s-1200..s-1299; and everything.
    assert_eq!(complete(&["resume", "s-12"]).1, 111);
    assert_eq!(complete(&["resume", ""]).1, 10_001);
    // Best of 5, so a busy machine does not fail the test; the same call on
    // a word that is no session argument (no registry read) is the baseline.
    let best = |words: &[&str]| (0..5).map(|_| complete(words).0).min().unwrap();
    let baseline = best(&["res"]);
    let prefix = best(&["resume", "s-12"]);
    let all = best(&["resume", ""]);
    // Measured on a debug build: baseline ~2 ms, prefix ~7 ms, all ~14 ms;
    // reading every row as a Session (as `list` does: ~80 ms) would break
    // the first bound.
    assert!(
        prefix.saturating_sub(baseline) < Duration::from_millis(40),
        "prefix: {prefix:?}, baseline: {baseline:?}"
    );
    assert!(all < Duration::from_millis(250), "all: {all:?}");
}

/// `count` rows written straight into the registry (10,000 `new` calls would
/// take minutes). Only columns without defaults are named, so later
/// migrations (which must give new columns defaults) do not break this.
fn add_sessions(env: &Env, count: usize) {
    let mut conn = rusqlite::Connection::open(env.store.join("registry.db")).unwrap();
    let tx = conn.transaction().unwrap();
    for i in 0..count {
        tx.execute(
            "INSERT INTO sessions (id, name, user_id, cwd, start_time, last_activity, status)
             VALUES (?1, ?2, 'tester', '/tmp', 0, 0, 'stopped')",
            (uuid::Uuid::new_v4().to_string(), format!("s-{i}")),
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn completion_never_creates_a_store() {
    let env = Env::new();
    let out = env.run(&[
        "__complete-sessions",
        "--cword",
        "2",
        "--",
        "claude-session",
        "show",
        "",
    ]);
    assert!(out.status.success() && out.stdout.is_empty());
    let out = env.run(&[
        "__complete-sessions",
        "--cword",
        "1",
        "--",
        "claude-session",
        "sh",
    ]);
    assert_eq!(out.status.code(), Some(1), "not a session argument");
    assert!(!env.store.exists());
}
