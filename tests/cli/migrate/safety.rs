//! `migrate` beside a running session, another migrate, and a kill.

use super::*;
use crate::support::wait_for;

#[test]
fn a_running_session_is_refused_and_nothing_is_copied() {
    let mut env = Env::new();
    let work = env.work.clone();
    conversation(&env, &work, A, 0);
    env.ok(&["migrate"]);
    let (name, id) = only_session(&env);
    env.set("FAKE_AGENT_MODE", "hang");
    let mut launcher = env.spawn(&["resume", &name]);
    let run = wait_for(|| {
        env.agent_runs()
            .pop()
            .filter(|r| r.dir.join("ready").exists())
    });
    wait_for(|| (env.show(&name)["pid"] == run.pid).then_some(()));
    conversation(&env, &work, B, 0);

    let refused = format!(
        "claude-session: session work is running (pid {}); quit Claude in it, then run migrate again (nothing was copied)",
        run.pid
    );
    assert_eq!(env.fail(&["migrate"]), refused);
    assert_eq!(env.fail(&["migrate", "--dry-run"]), refused);
    assert!(!env.session_dir(&id).join(transcript(&work, B)).exists());

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(run.pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    launcher.wait().unwrap();
    let out = env.ok(&["migrate"]);
    assert!(out.contains(": copied 1 file"), "{out}");
    assert!(env.session_dir(&id).join(transcript(&work, B)).is_file());
}

#[test]
fn one_migrate_runs_at_a_time() {
    let env = Env::new();
    conversation(&env, &env.work, A, 0);
    env.list();
    let lock = fs::File::create(env.store.join("migrate.lock")).unwrap();
    let held = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).unwrap();
    assert_eq!(
        env.fail(&["migrate"]),
        "claude-session: another migrate is running; run it again when it is done"
    );
    assert_eq!(env.list().len(), 0);
    drop(held);
    env.ok(&["migrate"]);
    assert_eq!(env.list().len(), 1);
}

#[test]
fn a_killed_migrate_leaves_no_file_cut_short_and_the_next_run_finishes() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let env = Env::new();
    let work = env.work.clone();
    let a = conversation(&env, &work, A, 0);
    let line = record(&work, A, &"x".repeat(1000));
    append(&a, &line.repeat(4 << 10));
    // Killed (SIGXFSZ) when a file it writes reaches 1 MiB: mid-copy of
    // the 4 MB transcript.
    let mut migrate = env.cmd(&["migrate"]);
    // SAFETY: setrlimit and signal are async-signal-safe.
    unsafe {
        migrate.pre_exec(|| {
            let limit = nix::libc::rlimit {
                rlim_cur: 1 << 20,
                rlim_max: 1 << 20,
            };
            nix::libc::setrlimit(nix::libc::RLIMIT_FSIZE, &limit);
            nix::libc::signal(nix::libc::SIGXFSZ, nix::libc::SIG_DFL);
            Ok(())
        });
    }
    let killed = migrate.output().unwrap();
    assert_eq!(
        killed.status.signal(),
        Some(nix::libc::SIGXFSZ),
        "{killed:?}"
    );
    let (_, id) = only_session(&env);
    let copy = env.session_dir(&id).join(transcript(&work, A));
    assert!(
        !copy.exists() || fs::read(&copy).unwrap() == fs::read(&a).unwrap(),
        "a transcript cut short at {} of {} bytes",
        size(&copy),
        size(&a)
    );

    env.ok(&["migrate"]);
    assert_eq!(env.list().len(), 1);
    assert_eq!(fs::read(&copy).unwrap(), fs::read(&a).unwrap());
    let mut leftovers = Vec::new();
    walk(&env.session_dir(&id), &mut leftovers);
    assert!(
        leftovers
            .iter()
            .all(|p| !p.to_string_lossy().contains("migrating")),
        "{leftovers:?}"
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            walk(&entry.path(), out);
        }
        out.push(entry.path());
    }
}
