//! Bad usage: exit status 2 and one line that says what to type instead,
//! nothing made; `--help` shows no variable's value.

use crate::support::Env;

/// Runs and asserts exit status 2, nothing on stdout; returns stderr.
fn usage_error(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_mistyped_command_is_not_a_session_name() {
    let env = Env::new();
    for (args, command) in [
        (&["lsit"][..], "list"),
        (&["reusme"], "resume"),
        (&["lsit", "--no-launch"], "list"),
    ] {
        assert_eq!(
            usage_error(&env, args),
            format!(
                "claude-session: '{0}' is not a command: did you mean '{command}'? (`claude-session new {0}` starts a session named {0})\n",
                args[0]
            )
        );
    }
    // Not a line `new` could take either: only the suggestion.
    assert_eq!(
        usage_error(&env, &["attahc", "demo"]),
        "claude-session: 'attahc' is not a command: did you mean 'attach'?\n"
    );
    assert!(env.agent_runs().is_empty(), "no Claude started");
    assert_eq!(env.list().len(), 0, "no session made");
    // Said explicitly, it is a name; and other names keep the shorthand.
    env.create("lsit");
    env.ok(&["-n", "reusme", "--no-launch"]);
    env.ok(&["test", "--no-launch"]);
    let mut names: Vec<String> = env
        .list()
        .iter()
        .map(|s| s["sessionName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["lsit", "reusme", "test"]);
}

#[test]
fn help_shows_no_variable_values() {
    let mut env = Env::new();
    env.set("CLAUDE_BIN", "/opt/private/claude");
    env.set("CLAUDE_SESSION_DETACH_KEYS", "");
    env.set("CLAUDE_SESSION_NOTIFY", "notify-send secret");
    for (command, variables) in [
        (
            "new",
            &[
                "CLAUDE_BIN",
                "CLAUDE_SESSION_DETACH_KEYS",
                "CLAUDE_SESSION_NOTIFY",
            ][..],
        ),
        ("resume", &["CLAUDE_BIN", "CLAUDE_SESSION_DETACH_KEYS"]),
        ("attach", &["CLAUDE_SESSION_DETACH_KEYS"]),
    ] {
        // Unwrapped: help is wrapped to fit a width.
        let help = env.ok(&[command, "--help"]);
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!help.contains("=]"), "{command}: an empty value: {help}");
        assert!(
            !help.contains("/opt/private") && !help.contains("secret"),
            "{command}: a value: {help}"
        );
        for variable in variables {
            assert!(
                help.contains(&format!("[env: {variable}]")),
                "{command}: {help}"
            );
        }
    }
}
