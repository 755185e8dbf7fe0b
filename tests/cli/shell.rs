//! Shell integration through the real shells: `shell-init` code sourced in
//! bash, zsh and fish. Completion is in `shell_complete`. The shells
//! come from Debian (scripts/test.sh installs them); a missing one skips its
//! tests unless CLAUDE_SESSION_REQUIRE_SHELLS is set, which makes it a failure.

use crate::support::{BIN, Env};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

/// The shell's path, or None (skip) when it is not installed.
pub fn shell(name: &str) -> Option<PathBuf> {
    let found = ["/usr/bin", "/bin"]
        .iter()
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CLAUDE_SESSION_REQUIRE_SHELLS").is_none(),
            "{name} is not installed but CLAUDE_SESSION_REQUIRE_SHELLS is set"
        );
        eprintln!("skipped: {name} is not installed (scripts/test.sh installs it)");
    }
    found
}

/// An Env with `claude-session` on its PATH, as the generated code expects.
pub fn env() -> Env {
    let env = Env::new();
    std::os::unix::fs::symlink(BIN, env.bin_dir.join("claude-session")).unwrap();
    env
}

/// Runs `script` with `shell` (no rc files) in the Env's hermetic
/// environment; killed after 60 s so a hung shell fails the test.
pub fn run(env: &Env, shell: &str, script: &str) -> Output {
    let path = env.root.join(format!("script.{shell}"));
    std::fs::write(&path, script).unwrap();
    let template = env.cmd(&[]);
    let mut cmd = Command::new(shell);
    cmd.env_clear().current_dir(&env.work).stdin(Stdio::null());
    for (key, value) in template.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    match shell {
        "bash" => cmd.args(["--norc", "--noprofile"]),
        "zsh" => cmd.arg("-f"),
        _ => cmd.arg("--no-config"),
    };
    let mut child = cmd
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::support::wait_until(
        Duration::from_secs(60),
        || format!("{shell} did not finish within 60 s:\n{script}"),
        || child.try_wait().unwrap(),
    );
    child.wait_with_output().unwrap()
}

/// stdout of a script that must succeed.
pub fn ok(env: &Env, shell: &str, script: &str) -> String {
    let out = run(env, shell, script);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{shell} failed ({:?})\nscript:\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

/// The line that loads the integration, as the README tells users to write it.
pub fn init_line(shell: &str) -> String {
    match shell {
        // Aliases are not expanded in a non-interactive bash unless asked.
        "bash" => "shopt -s expand_aliases\neval \"$(claude-session shell-init bash)\"".into(),
        "zsh" => "eval \"$(claude-session shell-init zsh)\"".into(),
        _ => "claude-session shell-init fish | source".into(),
    }
}

#[test]
fn init_defines_the_short_commands_and_they_run() {
    for name in SHELLS {
        let Some(_) = shell(name) else { continue };
        let env = env();
        // bash `type -t`: alias / function; zsh `whence -w`: "NAME: alias"; fish: functions.
        let kind = if name == "zsh" {
            "whence -w"
        } else {
            "type -t"
        };
        let probe: String = [
            "cs",
            "cs-list",
            "cs-new",
            "cs-resume",
            "cs-cleanup",
            "cs-ui",
            "csn",
            "csl",
        ]
        .iter()
        .map(|c| format!("{kind} {c}\n"))
        .collect();
        let script = format!(
            "{}\n{probe}cs-new alpha --no-launch\ncs new beta --no-launch\ncs-list\n",
            init_line(name)
        );
        let out = ok(&env, name, &script);
        let kinds: Vec<&str> = out
            .lines()
            .take(8)
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        let want = match name {
            "fish" => ["function"; 8],
            _ => [
                "alias", "alias", "alias", "alias", "alias", "alias", "function", "alias",
            ],
        };
        assert_eq!(kinds, want, "{name}: {out}");
        let mut names: Vec<String> = env
            .list()
            .iter()
            .map(|s| s["sessionName"].to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["\"alpha\"", "\"beta\""], "{name}: {out}");
        assert!(
            out.contains("alpha") && out.contains("NAME"),
            "{name}: cs-list\n{out}"
        );
    }
}

/// Everything the init code defines, as each shell prints its definition,
/// so `cs-cleanup` (whose subcommand may not exist) is checked without running it.
#[test]
fn init_definitions_name_the_right_commands() {
    let expected = [
        ("cs", "claude-session"),
        ("cs-list", "claude-session list"),
        ("cs-new", "claude-session new"),
        ("cs-resume", "claude-session resume"),
        ("cs-cleanup", "claude-session cleanup"),
        ("cs-ui", "claude-session ui"),
        ("csl", "claude-session resume --last"),
    ];
    for name in SHELLS {
        let Some(_) = shell(name) else { continue };
        let env = env();
        for (short, long) in expected {
            let show = match name {
                "fish" => format!("functions {short}"),
                _ => format!("alias {short}"),
            };
            // zsh quotes only what needs it: compare without quotes.
            let out = ok(&env, name, &format!("{}\n{show}\n", init_line(name)));
            let out = if name == "zsh" {
                out.replace('\'', "")
            } else {
                out
            };
            let wanted = match name {
                "fish" => format!("command {long} $argv"),
                "bash" => format!("alias {short}='{long}'"),
                _ => format!("{short}={long}"),
            };
            assert!(out.contains(&wanted), "{name}: {short}: {out}");
        }
    }
}

/// Sourcing adds the eight names (and their completion where the shell
/// does not derive it) and
/// changes nothing else: no options, no other aliases or functions.
#[test]
fn init_changes_nothing_else() {
    let snapshot = [
        (
            "bash",
            "{ alias; declare -F; set -o; shopt -p; complete -p; }",
        ),
        ("zsh", "{ alias; typeset +f; setopt; }"),
    ];
    for (name, state) in snapshot {
        let Some(_) = shell(name) else { continue };
        let env = env();
        let out = ok(
            &env,
            name,
            &format!(
                "{state} > before\n{}\n{state} > after\ndiff before after || true\n",
                init_line(name).replace("shopt -s expand_aliases\n", "")
            ),
        );
        let added: Vec<&str> = out.lines().filter(|l| l.starts_with('>')).collect();
        let removed: Vec<&str> = out.lines().filter(|l| l.starts_with('<')).collect();
        assert!(removed.is_empty(), "{name}: {out}");
        // bash: the completion function, and its registration for each
        // name; zsh: csn's completion function (its aliases need none).
        let completion = if name == "bash" { 1 + 8 } else { 1 };
        assert_eq!(added.len(), 8 + completion, "{name}: {out}");
        if name == "bash" {
            assert!(
                added.contains(&"> declare -f _claude_session_short"),
                "{out}"
            );
            for short in [
                "cs",
                "cs-list",
                "cs-new",
                "cs-resume",
                "cs-cleanup",
                "cs-ui",
                "csl",
                "csn",
            ] {
                let line = format!(
                    "> complete -o bashdefault -o default -F _claude_session_short {short}"
                );
                assert!(added.contains(&line.as_str()), "{short}: {out}");
            }
        } else {
            assert!(added.contains(&"> _csn"), "{out}");
        }
        for short in [
            "cs=",
            "cs-list=",
            "cs-new=",
            "cs-resume=",
            "cs-cleanup=",
            "cs-ui=",
            "csl=",
        ] {
            assert!(added.iter().any(|l| l.contains(short)), "{name}: {short}");
        }
        assert!(added.iter().any(|l| l.ends_with(" csn")), "{name}: {out}");
    }
}

#[test]
fn csl_resumes_the_most_recent_session() {
    for name in SHELLS {
        let Some(_) = shell(name) else { continue };
        let env = env();
        env.create("old");
        env.create("newer");
        env.ok(&["resume", "old"]); // old is now the most recently active
        ok(
            &env,
            name,
            &format!("{}\ncsl\ncs-resume newer\n", init_line(name)),
        );
        let runs = env.agent_runs();
        let order: Vec<&str> = runs
            .iter()
            .map(|r| r.env["CLAUDE_SESSION_NAME"].as_str())
            .collect();
        assert_eq!(order, ["old", "old", "newer"], "{name}");
    }
}

#[test]
fn csn_without_a_name_prints_its_usage() {
    for name in SHELLS {
        let Some(_) = shell(name) else { continue };
        let env = env();
        let status = if name == "fish" { "$status" } else { "$?" };
        let out = ok(
            &env,
            name,
            &format!(
                "{}\ncsn; echo \"a={status}\"\ncsn ''; echo \"b={status}\"\n\
                 csn --no-launch; echo \"c={status}\"\ncsn 'x y' --no-launch; echo \"d={status}\"\n",
                init_line(name)
            ),
        );
        assert!(
            out.contains("a=2\n") && out.contains("b=2\n") && out.contains("c=2\n"),
            "{name}: {out}"
        );
        // A name is passed as one word: this one is refused by new (status 1), not split.
        assert!(out.contains("d=1\n"), "{name}: {out}");
        let stderr = String::from_utf8_lossy(
            &run(&env, name, &format!("{}\ncsn\n", init_line(name))).stderr,
        )
        .into_owned();
        assert!(stderr.starts_with("usage: csn NAME"), "{name}: {stderr}");
        assert!(env.list().is_empty(), "{name}: nothing was created");
        ok(
            &env,
            name,
            &format!("{}\ncsn alpha --no-launch\n", init_line(name)),
        );
        assert_eq!(env.list()[0]["sessionName"], "alpha", "{name}");
    }
}
