//! `doctor`: what it finds, and what --fix repairs.

use crate::support::{Env, wait_for};
use std::fs;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_healthy_store_passes() {
    let env = Env::new();
    fs::create_dir_all(&env.base).unwrap();
    env.create("alpha");
    let out = env.ok(&["doctor"]);
    for line in out.lines() {
        assert!(
            line.starts_with("ok ") || line.starts_with("warn "),
            "{out}"
        );
    }
    assert!(
        out.contains("ok    registry: integrity check passed"),
        "{out}"
    );
    assert!(
        out.contains("ok    sessions: 1 sessions: links and .claude.json in order"),
        "{out}"
    );
}

#[test]
fn doctor_finds_and_fixes_what_is_broken() {
    let env = Env::new();
    fs::create_dir_all(env.base.join("skills")).unwrap();
    let a = env.create("alpha");
    let b = env.create("beta");
    let gone = env.session_dir(&b);
    // A broken link: the base lost its skills.
    fs::remove_dir(env.base.join("skills")).unwrap();
    // A stale socket: a holder that was killed.
    let sockets = env.root.join("run/claude-session");
    fs::create_dir_all(&sockets).unwrap();
    let dead = format!("{}.sock", uuid::Uuid::new_v4());
    drop(std::os::unix::net::UnixListener::bind(sockets.join(&dead)).unwrap());
    // Credentials that differ: a session refreshed its login.
    let cred = |t: u64| {
        format!(
            r#"{{"claudeAiOauth":{{"accessToken":"a{t}","refreshToken":"r","expiresAt":{t}}}}}"#
        )
    };
    fs::write(env.base.join(".credentials.json"), cred(1)).unwrap();
    fs::write(env.session_dir(&a).join(".credentials.json"), cred(2)).unwrap();
    // And finally a corrupt registry; beta's dir is gone too, so the rebuilt
    // registry holds alpha alone.
    fs::remove_dir_all(&gone).unwrap();
    let registry = env.store.join("registry.db");
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(env.store.join(format!("registry.db{suffix}")));
    }
    fs::write(
        &registry,
        b"this is not a database at all, not even close.............",
    )
    .unwrap();

    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FAIL  registry: unusable"), "{text}");
    assert!(text.contains(&format!("{dead} is stale")), "{text}");
    assert!(text.contains("run `claude-session doctor --fix`"), "{text}");
    assert!(
        registry.exists() && sockets.join(&dead).exists(),
        "doctor alone changes nothing"
    );

    let fixed = env.ok(&["doctor", "--fix"]);
    assert!(
        fixed.contains("fixed registry: unusable") && fixed.contains("rebuilt from 1 session dirs"),
        "{fixed}"
    );
    assert!(fixed.contains("fixed login:"), "{fixed}");
    assert!(fixed.contains("fixed sockets:"), "{fixed}");
    assert!(
        fixed.contains("fixed links: alpha: broken links skills"),
        "{fixed}"
    );
    assert!(!sockets.join(&dead).exists());
    assert_eq!(
        fs::read_to_string(env.base.join(".credentials.json")).unwrap(),
        cred(2)
    );
    assert!(
        fs::symlink_metadata(env.session_dir(&a).join("skills")).is_err(),
        "the dangling link is gone"
    );
    let kept: Vec<_> = fs::read_dir(&env.store)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("registry.db.bak-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the corrupt registry is kept aside");
    // Now healthy.
    let again = env.run(&["doctor"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(env.show("alpha")["sessionId"], a.as_str());
}

#[test]
fn a_dir_without_a_row_is_registered_again() {
    let env = Env::new();
    let a = env.create("alpha");
    // Copy alpha's dir as a second session the registry does not know.
    let other = "0a0a0a0a-1111-4222-8333-444444444444";
    let from = env.session_dir(&a);
    let to = env.session_dir(other);
    fs::create_dir_all(&to).unwrap();
    let meta = fs::read_to_string(from.join("metadata.json"))
        .unwrap()
        .replace(&a, other)
        .replace("\"alpha\"", "\"copy\"");
    fs::write(to.join("metadata.json"), meta).unwrap();
    let out = env.run(&["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["detail"] == "dirs without a registry row: copy"),
        "{findings}"
    );
    env.ok(&["doctor", "--fix"]);
    assert_eq!(env.show("copy")["sessionId"], other);
}

/// A holder so busy that its backlog is full is alive: `doctor --fix`
/// leaves its socket (it once removed any socket a connect failed on, or
/// hung on this one), and so does `cleanup --orphaned`; a socket that is
/// not named after a session is not doctor's to judge either.
#[test]
fn a_busy_holders_socket_survives_doctor_fix_and_cleanup() {
    use std::os::unix::net::UnixListener;
    let env = Env::new();
    let dir = env.root.join("run/claude-session");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let busy = dir.join(format!("{}.sock", uuid::Uuid::new_v4()));
    let listener = UnixListener::bind(&busy).unwrap();
    let _waiting = fill_backlog(&busy);
    let foreign = dir.join("not-a-session.sock");
    drop(UnixListener::bind(&foreign).unwrap());
    let stale = dir.join(format!("{}.sock", uuid::Uuid::new_v4()));
    drop(UnixListener::bind(&stale).unwrap());

    let mut doctor = env.spawn(&["doctor", "--fix"]);
    // It must not wait for room in the busy holder's backlog.
    wait_for(|| doctor.try_wait().unwrap());
    let stdout = String::from_utf8(doctor.wait_with_output().unwrap().stdout).unwrap();
    assert!(busy.exists(), "the busy holder lost its socket:\n{stdout}");
    assert!(foreign.exists(), "{stdout}");
    assert!(!stale.exists(), "the stale socket stayed:\n{stdout}");
    assert!(
        stdout.contains(&format!("{} is stale", stale.display())),
        "{stdout}"
    );

    env.ok(&["cleanup", "--orphaned", "--yes"]);
    assert!(busy.exists());
    drop(listener);
}

/// Connects to `socket` without waiting until its listener's backlog is
/// full (the connections wait there, never accepted).
fn fill_backlog(socket: &std::path::Path) -> Vec<std::os::fd::OwnedFd> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, connect, socket as open};
    let mut held = Vec::new();
    for _ in 0..100_000 {
        let fd = open(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK,
            None,
        )
        .unwrap();
        match connect(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &UnixAddr::new(socket).unwrap(),
        ) {
            Ok(()) => held.push(fd),
            Err(nix::errno::Errno::EAGAIN) => return held,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the backlog never filled");
}
