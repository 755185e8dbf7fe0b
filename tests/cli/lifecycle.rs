//! Liveness, deletion and rebuilding the registry.

use crate::support::{Env, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::fs;

fn hang(env: &mut Env, name: &str) -> (std::process::Child, u32) {
    env.set("FAKE_AGENT_MODE", "hang");
    let before = env.agent_runs().len();
    let launcher = env.spawn(&["new", name]);
    let run = wait_for(|| {
        let runs = env.agent_runs();
        (runs.len() > before)
            .then(|| runs.into_iter().last())
            .flatten()
            .filter(|r| r.dir.join("ready").exists())
    });
    // The launcher records the pid right after the spawn.
    wait_for(|| (env.show(name)["pid"] == run.pid).then_some(()));
    (launcher, run.pid)
}

fn sigkill(pid: u32) {
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
}

#[test]
fn a_killed_agent_is_recorded_by_its_launcher() {
    let mut env = Env::new();
    let (mut launcher, agent) = hang(&mut env, "alpha");
    sigkill(agent);
    assert_eq!(launcher.wait().unwrap().code(), Some(137));
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["exitCode"].as_i64()),
        (Some("crashed"), Some(137))
    );
}

#[test]
fn list_notices_when_launcher_and_agent_are_gone() {
    let mut env = Env::new();
    let (mut launcher, agent) = hang(&mut env, "alpha");
    assert_eq!(env.list()[0]["status"], "active");
    // Both die at once (machine crash, OOM killer): nobody records the exit.
    sigkill(launcher.id());
    launcher.wait().unwrap();
    sigkill(agent);
    wait_for(|| {
        (!fs::metadata(format!("/proc/{agent}")).is_ok_and(|_| {
            fs::read_to_string(format!("/proc/{agent}/stat")).is_ok_and(|s| !s.contains(") Z"))
        }))
        .then_some(())
    });
    let s = &env.list()[0];
    assert_eq!(s["status"], "crashed");
    assert_eq!(s["pid"], Value::Null);
    // The correction is stored, not recomputed every time.
    let meta: Value = serde_json::from_slice(
        &fs::read(
            env.session_dir(s["sessionId"].as_str().unwrap())
                .join("metadata.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["status"], "crashed");
}

#[test]
fn a_live_session_is_neither_resumed_twice_nor_deleted() {
    let mut env = Env::new();
    let (mut launcher, agent) = hang(&mut env, "alpha");
    let id = env.show("alpha")["sessionId"].as_str().unwrap().to_string();
    let err = env.fail(&["resume", "alpha"]);
    assert!(
        err.contains(&format!(
            "session alpha is already running in the foreground of another terminal (pid {agent})"
        )),
        "{err}"
    );
    let err = env.fail(&["rm", "alpha"]);
    assert_eq!(
        err,
        format!(
            "claude-session: session alpha is running (pid {agent}); quit Claude first, or pass --force to stop it"
        )
    );
    assert!(env.session_dir(&id).is_dir());
    // --dry-run, even with --force, changes nothing.
    let out = env.ok(&["rm", "alpha", "--force", "--dry-run"]);
    assert!(
        out.starts_with(&format!("would remove alpha ({})", &id[..8])),
        "{out}"
    );
    assert!(env.session_dir(&id).is_dir());
    assert_eq!(env.list().len(), 1);
    // --force stops Claude, then deletes.
    let out = env.ok(&["rm", "alpha", "--force"]);
    assert!(
        out.starts_with(&format!("removed alpha ({})", &id[..8])),
        "{out}"
    );
    assert_eq!(launcher.wait().unwrap().code(), Some(128 + 15));
    assert!(!env.session_dir(&id).exists());
    assert_eq!(env.list().len(), 0);
}

#[test]
fn rm_never_touches_the_shared_base() {
    let env = Env::with_shared_base();
    let id = env.create("alpha");
    assert!(
        fs::symlink_metadata(env.session_dir(&id).join("skills"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let out: Value = serde_json::from_str(&env.ok(&["rm", "alpha", "--json"])).unwrap();
    assert_eq!(out[0]["sessionId"], id.as_str());
    assert_eq!(out[0]["removed"], true);
    assert!(!env.session_dir(&id).exists());
    env.assert_base_intact();
    // No leftovers in the store.
    assert_eq!(
        crate::support::Env::count_entries(&env.store.join("sessions")),
        0
    );
}

#[test]
fn rm_checks_every_session_before_deleting_any() {
    let env = Env::new();
    let a = env.create("alpha");
    env.fail(&["rm", "alpha", "missing"]);
    assert!(env.session_dir(&a).is_dir());
    assert_eq!(env.list().len(), 1);
}

#[test]
fn a_deleted_registry_rebuilds_itself_from_the_dirs() {
    let env = Env::new();
    let a = env.create("alpha");
    let b = env.create("beta");
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(env.store.join(format!("registry.db{suffix}")));
    }
    let out = env.run(&["list", "--json"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "claude-session: the registry was missing; rebuilt it from 2 session dirs\n"
    );
    let listed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<&str> = listed
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut want = vec![a.as_str(), b.as_str()];
    want.sort();
    assert_eq!(ids, want);
}

#[test]
fn a_corrupt_registry_is_reported_and_rebuilt_without_losing_it() {
    let env = Env::new();
    let a = env.create("alpha");
    env.ok(&["new", "beta"]);
    let registry = env.store.join("registry.db");
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(env.store.join(format!("registry.db{suffix}")));
    }
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&registry, &garbage).unwrap();
    let err = env.fail(&["list"]);
    assert!(
        err.contains("`claude-session rebuild` makes a new one"),
        "{err}"
    );
    assert_eq!(
        env.ok(&["rebuild", "--dry-run"]),
        "would rebuild the registry from 2 session dirs\n"
    );
    assert_eq!(fs::read(&registry).unwrap(), garbage);
    let out = env.ok(&["rebuild"]);
    assert!(
        out.starts_with("rebuilt the registry from 2 session dirs\nthe old registry is kept as "),
        "{out}"
    );
    let aside = out.lines().nth(1).unwrap().rsplit(' ').next().unwrap();
    assert_eq!(fs::read(aside).unwrap(), garbage);
    let beta = env.show("beta");
    assert_eq!(
        (beta["status"].as_str(), beta["exitCode"].as_i64()),
        (Some("stopped"), Some(0))
    );
    assert_eq!(env.show("alpha")["sessionId"], a.as_str());
}

#[test]
fn rebuild_does_not_trust_a_reused_pid() {
    let env = Env::new();
    let id = env.create("alpha");
    // metadata.json claims the session runs as this very test process, but
    // with another start time: the pid was reused, the session is gone.
    let path = env.session_dir(&id).join("metadata.json");
    let mut meta: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    meta["status"] = "active".into();
    meta["pid"] = std::process::id().into();
    meta["pidStart"] = 1.into();
    fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    env.ok(&["rebuild"]);
    let s = env.show("alpha");
    assert_eq!(
        (s["status"].as_str(), s["pid"].as_i64()),
        (Some("crashed"), None)
    );
}

#[test]
fn list_survives_a_closed_pipe() {
    let env = Env::new();
    for i in 0..3 {
        env.create(&format!("s{i}"));
    }
    let mut child = env
        .cmd(&["list"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert!(child.wait().unwrap().success());
}

/// Claudes that exit as soon as they start, many at once: each recorded
/// end stands (`stopped` with its code), never overwritten by its start.
#[test]
fn an_end_right_after_the_start_is_recorded_as_the_end() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "exit1");
    let children: Vec<_> = (0..8)
        .map(|i| env.spawn(&["new", &format!("s{i}"), "--detached"]))
        .collect();
    for child in children {
        crate::support::finish(child);
    }
    let sessions = crate::support::wait_for(|| {
        let all = env.list();
        all.iter().all(|s| s["status"] != "active").then_some(all)
    });
    for s in sessions {
        assert_eq!(
            (s["status"].as_str(), s["exitCode"].as_i64()),
            (Some("stopped"), Some(1)),
            "{s}"
        );
    }
}
