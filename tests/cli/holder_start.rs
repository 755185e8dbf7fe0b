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

/// How many holder processes of this test's HOME are alive: processes of
/// the claude-session binary (a holder forked by `new` has its command
/// line, an exec'd one `__holder`'s) with the test's HOME.
fn holders(env: &Env) -> usize {
    let bin = fs::canonicalize(crate::support::BIN).unwrap();
    let home = format!("HOME={}", env.home.display());
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == bin))
        .filter_map(|e| fs::read(e.path().join("environ")).ok())
        .filter(|environ| environ.split(|&b| b == 0).any(|var| var == home.as_bytes()))
        .count()
}

/// No holder, no socket, and the session as it was before the launch:
/// never started (`resume`), or gone (a `new`: nothing half-made stays).
fn assert_nothing_runs(env: &Env, session: &str) {
    wait_for(|| (holders(env) == 0).then_some(()));
    assert_eq!(sockets(env), Vec::<String>::new());
    let listed = env.list().into_iter().find(|s| s["sessionName"] == session);
    if let Some(s) = listed {
        assert_eq!(s["status"], "created");
    }
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
    assert!(env.list().is_empty(), "the failed new is rolled back");
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

/// Runs claude-session with a pipe on its descriptor 3, as a script's `3>`
/// would leave it (inheritable, no close-on-exec), and checks that the
/// pipe's reader sees its end once the command returned: had the holder
/// kept the descriptor, it would not until the session ended.
fn assert_holder_keeps_no_descriptor(env: &Env, args: &[&str]) {
    use std::io::Read;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let (reader, writer): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    let mut reader = fs::File::from(reader);
    let raw = writer.as_raw_fd();
    let mut cmd = env.cmd(args);
    // SAFETY: dup2 only, in the child before exec.
    unsafe {
        cmd.pre_exec(move || {
            if nix::libc::dup2(raw, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(writer);
    nix::fcntl::fcntl(
        &reader,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .unwrap();
    let read = wait_for(|| match reader.read(&mut [0; 16]) {
        Ok(n) => Some(n),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("{e}"),
    });
    assert_eq!(read, 0, "nothing writes to the pipe");
    assert_eq!(holders(env), 1);
    assert_eq!(env.show("alpha")["status"], "active");
}

#[test]
fn a_holder_started_by_new_keeps_none_of_its_starters_descriptors() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    assert_holder_keeps_no_descriptor(&env, &["new", "alpha", "--detached"]);
    env.ok(&["kill", "alpha"]);
    wait_for(|| (holders(&env) == 0).then_some(()));
}

#[test]
fn a_holder_started_by_resume_keeps_none_of_its_starters_descriptors() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    env.ok(&["new", "alpha", "--no-launch"]);
    assert_holder_keeps_no_descriptor(&env, &["resume", "alpha", "--detached"]);
    env.ok(&["kill", "alpha"]);
    wait_for(|| (holders(&env) == 0).then_some(()));
}

/// The CPUs process `pid` may run on, as /proc lists them.
fn cpus_allowed(pid: &str) -> String {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("Cpus_allowed_list:"))
        .unwrap();
    line["Cpus_allowed_list:".len()..].trim().to_string()
}

#[test]
fn claude_may_run_on_every_cpu_its_starter_may() {
    // Nothing on the way (the starter, the holder) may narrow the CPUs
    // Claude runs on.
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    env.ok(&["new", "alpha", "--detached"]);
    env.ok(&["new", "beta", "--no-launch"]);
    env.ok(&["resume", "beta", "--detached"]);
    let runs = wait_for(|| {
        let runs = env.agent_runs();
        (runs.len() == 2).then_some(runs)
    });
    let ours = cpus_allowed("self");
    for run in &runs {
        assert_eq!(cpus_allowed(&run.pid.to_string()), ours);
    }
    for holder in ["alpha", "beta"] {
        let pid = env.show(holder)["holderPid"].to_string();
        assert_eq!(cpus_allowed(&pid), ours, "{holder}'s holder");
    }
    env.ok(&["kill", "alpha", "beta"]);
}

/// `new --detached` watches Claude's first moments: one that exits at once
/// is reported with its code and the end of its screen, non-zero, and its
/// recorded end stands (`stopped`, not `crashed`).
#[test]
fn a_detached_claude_that_exits_at_once_is_reported() {
    let mut env = Env::new();
    env.set("CLAUDE_SESSION_START_CHECK", "3s");
    env.set("FAKE_AGENT_MODE", "exit7");
    env.set("FAKE_AGENT_SAY", "error: unknown option '--bogus'");
    let out = env.run(&["new", "alpha", "--detached"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "claude-session: Claude's screen when it exited:\n  error: unknown option '--bogus'\n\
         claude-session: cannot start session alpha: Claude exited as it started (exit 7); its screen is above, `claude-session resume alpha` starts it again\n"
    );
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("stopped"), Some(7))
    );
    let log = fs::read_to_string(
        env.session_dir(s["sessionId"].as_str().unwrap())
            .join("session.log"),
    )
    .unwrap();
    assert!(log.contains("exited status=stopped code=7"), "{log}");

    // One that keeps running is reported once the watch is over.
    env.set("FAKE_AGENT_MODE", "hang");
    env.set("CLAUDE_SESSION_START_CHECK", "300ms");
    let started = std::time::Instant::now();
    let id = env.ok(&["new", "beta", "--detached"]);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(env.show("beta")["sessionId"], id.trim());
    assert_eq!(env.show("beta")["status"], "active");
    env.ok(&["kill", "beta"]);
}
