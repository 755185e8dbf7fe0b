//! Starting a holder: what its starter says when it cannot start, and what
//! a `new` that fails after starting its holder (it starts it first thing)
//! leaves behind.

use crate::support::{Env, wait_for};
use std::fs;

/// The sockets in the test's runtime dir.
fn sockets(env: &Env) -> Vec<String> {
    match fs::read_dir(env.root.join("run/claude-session")) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// How many holder processes of this test's store are alive.
fn holders(env: &Env) -> usize {
    let store = env.store.to_string_lossy().into_owned();
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| fs::read(e.path().join("cmdline")).ok())
        .map(|argv| String::from_utf8_lossy(&argv).replace('\0', " "))
        .filter(|argv| argv.contains("__holder") && argv.contains(&store))
        .count()
}

/// No holder, no socket, and the session as it was before the launch.
fn assert_nothing_runs(env: &Env, session: &str) {
    wait_for(|| (holders(env) == 0).then_some(()));
    assert_eq!(sockets(env), Vec::<String>::new());
    assert_eq!(env.show(session)["status"], "created");
}

#[test]
fn a_resume_in_a_vanished_cwd_says_why_and_leaves_no_holder() {
    let env = Env::new();
    let cwd = env.root.join("gone");
    fs::create_dir(&cwd).unwrap();
    env.ok(&[
        "new",
        "alpha",
        "--no-launch",
        "--cwd",
        cwd.to_str().unwrap(),
    ]);
    fs::remove_dir(&cwd).unwrap();
    let err = env.fail(&["resume", "alpha", "--detached"]);
    assert_eq!(
        err,
        format!(
            "claude-session: cannot resume session alpha: its working directory {} no longer exists; Claude Code can only resume a conversation from the directory it started in, so recreate it",
            cwd.display()
        )
    );
    assert_nothing_runs(&env, "alpha");
}

#[test]
fn a_holder_that_cannot_start_claude_says_why_and_leaves_no_socket() {
    let env = Env::new();
    // Executable, so it passes the starter's checks; the exec fails.
    let claude = env.root.join("broken-claude");
    fs::write(&claude, "#!/nonexistent/interpreter\n").unwrap();
    fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let err = env.fail(&[
        "new",
        "alpha",
        "--detached",
        "--claude",
        claude.to_str().unwrap(),
    ]);
    assert_eq!(
        err,
        "claude-session: cannot start session alpha: the holder did not start: cannot start claude on the pseudo-terminal: No such file or directory (os error 2)"
    );
    assert_nothing_runs(&env, "alpha");
}

#[test]
fn a_new_that_fails_after_starting_its_holder_leaves_none_behind() {
    let env = Env::new();
    env.create("alpha");
    let err = env.fail(&["new", "alpha", "--detached"]);
    assert_eq!(
        err,
        "claude-session: a session named \"alpha\" already exists; continue it with `claude-session resume alpha`"
    );
    wait_for(|| (holders(&env) == 0).then_some(()));
    assert_eq!(sockets(&env), Vec::<String>::new());
    assert_eq!(env.list().len(), 1);
}
