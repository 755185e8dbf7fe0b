//! `doctor`: what it finds, and what --fix repairs.

use crate::support::Env;
use std::fs;

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
    drop(std::os::unix::net::UnixListener::bind(sockets.join("dead.sock")).unwrap());
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
    assert!(text.contains("dead.sock is stale"), "{text}");
    assert!(text.contains("run `claude-session doctor --fix`"), "{text}");
    assert!(
        registry.exists() && sockets.join("dead.sock").exists(),
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
    assert!(!sockets.join("dead.sock").exists());
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
