//! One login for the base and every session: a newer `.credentials.json`
//! written in any of them (by rename, as Claude Code saves it) reaches all
//! the others at launch and exit, and at once while a holder runs.

use crate::support::{Env, mode, wait_for};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const FILE: &str = ".credentials.json";

fn cred(expires: u64, tag: &str) -> String {
    format!(
        r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-TEST-{tag}","refreshToken":"sk-ant-ort01-{tag}","expiresAt":{expires},"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}}}"#
    )
}

/// Saves a login as Claude Code does: under its lock dir, temp file, rename.
fn claude_save(dir: &Path, content: &str) {
    let lock = dir.join(".storage-write.lock");
    wait_for(|| fs::create_dir(&lock).ok());
    let tmp = dir.join(".credentials.json.claude-tmp");
    fs::write(&tmp, content).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, dir.join(FILE)).unwrap();
    fs::remove_dir(&lock).unwrap();
}

fn read(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(FILE)).ok()
}

/// Each dir holds exactly `expected`, 0600.
fn assert_everywhere(dirs: &[PathBuf], expected: &str) {
    for dir in dirs {
        assert_eq!(read(dir).as_deref(), Some(expected), "{}", dir.display());
        assert_eq!(mode(&dir.join(FILE)), 0o600, "{}", dir.display());
    }
}

/// Every file below `dir` but the credentials, with its bytes.
fn others(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
        } else if path.file_name().is_some_and(|n| n != FILE) {
            files.push((path.clone(), fs::read(&path).unwrap_or_default()));
        }
    }
    files.sort();
    files
}

/// The base holding `cred(100)` and three sessions made from it.
fn three_sessions(env: &Env) -> (Vec<String>, Vec<PathBuf>) {
    fs::create_dir_all(&env.base).unwrap();
    fs::write(env.base.join("settings.json"), "{}\n").unwrap();
    claude_save(&env.base, &cred(100, "base"));
    let ids: Vec<String> = ["a", "b", "c"].iter().map(|n| env.create(n)).collect();
    let mut dirs = vec![env.base.clone()];
    dirs.extend(ids.iter().map(|id| env.session_dir(id)));
    assert_everywhere(&dirs, &cred(100, "base"));
    (ids, dirs)
}

#[test]
fn a_launch_gives_every_dir_the_newest_login_and_never_goes_back() {
    let env = Env::new();
    let (_, dirs) = three_sessions(&env);
    let base_files = others(&env.base);

    // A refresh saved in b reaches the base, a and c when c starts.
    claude_save(&dirs[2], &cred(200, "b-refresh"));
    env.ok(&["resume", "c"]);
    assert_everywhere(&dirs, &cred(200, "b-refresh"));

    // An older login (a backup put back) and garbage are both replaced.
    claude_save(&dirs[1], &cred(150, "old"));
    claude_save(&dirs[3], "{\"claudeAiOauth\": trunc");
    env.ok(&["resume", "b"]);
    assert_everywhere(&dirs, &cred(200, "b-refresh"));
    assert_eq!(others(&env.base), base_files, "only the login changed");
}

/// A `claude` that saves a login (`--save-login EXPIRES TAG`, given after
/// `--`) into its config dir while it runs, as a token refresh would.
const REFRESHING_AGENT: &str = r#"#!/bin/bash
while [ $# -gt 0 ]; do
  if [ "$1" = --save-login ]; then
    d="$CLAUDE_CONFIG_DIR"
    until mkdir "$d/.storage-write.lock" 2>/dev/null; do sleep 0.01; done
    printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-TEST-%s","refreshToken":"sk-ant-ort01-%s","expiresAt":%s,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}' "$3" "$3" "$2" > "$d/.cred.$$"
    chmod 600 "$d/.cred.$$"
    mv "$d/.cred.$$" "$d/.credentials.json"
    rmdir "$d/.storage-write.lock"
  fi
  shift
done
"#;

fn refreshing_agent(env: &Env) {
    let agent = env.bin_dir.join("claude");
    fs::write(&agent, REFRESHING_AGENT).unwrap();
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_login_saved_while_claude_runs_reaches_every_dir_when_it_exits() {
    let env = Env::new();
    let (_, mut dirs) = three_sessions(&env);
    refreshing_agent(&env);
    let out = env.run(&["new", "d", "--", "--save-login", "300", "in-d"]);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "nothing printed"
    );
    dirs.push(PathBuf::from(env.show("d")["sessionDir"].as_str().unwrap()));
    assert_everywhere(&dirs, &cred(300, "in-d"));
}

#[test]
fn parallel_launches_that_each_save_a_login_end_with_the_newest_everywhere() {
    let env = Env::new();
    let (_, mut dirs) = three_sessions(&env);
    refreshing_agent(&env);
    let children: Vec<_> = (0..6)
        .map(|i| {
            let (expires, tag) = ((1000 + i).to_string(), format!("p{i}"));
            env.spawn(&[
                "new",
                &format!("p{i}"),
                "--",
                "--save-login",
                &expires,
                &tag,
            ])
        })
        .collect();
    for child in children {
        crate::support::finish(child);
    }
    for i in 0..6 {
        let dir = env.show(&format!("p{i}"))["sessionDir"].clone();
        dirs.push(PathBuf::from(dir.as_str().unwrap()));
    }
    assert_everywhere(&dirs, &cred(1005, "p5"));
    for dir in &dirs {
        let stray: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| (n.contains("cred") && n != FILE) || (n.contains(".lock") && n != ".lock"))
            .collect();
        assert!(stray.is_empty(), "{stray:?} left in {}", dir.display());
    }
}

/// Waits until every dir holds `expected`. A holder spreads a login as
/// soon as it is saved (inotify); without that, nothing would spread until
/// Claude exits, and these sessions' agents never do.
fn wait_everywhere(dirs: &[PathBuf], expected: &str) {
    wait_for(|| {
        dirs.iter()
            .all(|d| read(d).as_deref() == Some(expected))
            .then_some(())
    });
    assert_everywhere(dirs, expected);
}

#[test]
fn a_running_holder_spreads_a_refresh_or_login_at_once() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    let (_, mut dirs) = three_sessions(&env);
    let alpha = env.ok(&["new", "alpha", "--detached"]).trim().to_string();
    let alpha_dir = env.session_dir(&alpha);
    dirs.push(alpha_dir.clone());
    let base_files = others(&env.base);

    // Alpha's Claude refreshes its token: the base and the others get it.
    claude_save(&alpha_dir, &cred(200, "alpha-refresh"));
    wait_everywhere(&dirs, &cred(200, "alpha-refresh"));

    // `/login` in a plain `claude` (the base): alpha and the others get it.
    claude_save(&env.base, &cred(300, "base-login"));
    wait_everywhere(&dirs, &cred(300, "base-login"));

    // A Claude saving in b holds its lock: b gets the next login as soon as
    // it lets go; the others at once.
    let b_lock = dirs[2].join(".storage-write.lock");
    fs::create_dir(&b_lock).unwrap();
    claude_save(&alpha_dir, &cred(400, "alpha-again"));
    let not_b: Vec<PathBuf> = dirs.iter().filter(|d| **d != dirs[2]).cloned().collect();
    wait_everywhere(&not_b, &cred(400, "alpha-again"));
    assert_eq!(read(&dirs[2]), Some(cred(300, "base-login")));
    fs::remove_dir(&b_lock).unwrap();
    wait_everywhere(&dirs, &cred(400, "alpha-again"));

    // Garbage saved in alpha spreads nowhere and is replaced.
    claude_save(&alpha_dir, "garbage");
    wait_everywhere(&dirs, &cred(400, "alpha-again"));

    assert_eq!(others(&env.base), base_files, "only the login changed");
    assert_eq!(env.ok(&["kill", "alpha"]), "stopped alpha\n");
    let log = fs::read_to_string(alpha_dir.join("holder.log")).unwrap_or_default();
    assert!(!log.contains("sk-ant"), "a token was logged: {log}");
}

#[test]
fn with_a_key_or_token_in_the_environment_no_file_is_touched() {
    for var in ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"] {
        let mut env = Env::new();
        let (ids, dirs) = three_sessions(&env);
        env.set(var, "sk-ant-env-0123456789abcdefghij");
        env.set("FAKE_AGENT_MODE", "hang");
        claude_save(&dirs[1], &cred(200, "a-refresh"));
        let before: Vec<(Option<String>, SystemTime)> = dirs
            .iter()
            .map(|d| {
                (
                    read(d),
                    fs::metadata(d.join(FILE)).unwrap().modified().unwrap(),
                )
            })
            .collect();
        // A launch, an exit, and a holder whose session saves a login.
        env.ok(&["new", "d", "--no-launch"]);
        let d = env.session_dir(env.show("d")["sessionId"].as_str().unwrap());
        assert!(read(&d).is_none(), "{var}: a new session got a file");
        env.ok(&["resume", &ids[2], "--detached"]);
        claude_save(&dirs[3], &cred(300, "c-refresh"));
        env.ok(&["kill", &ids[2]]);
        let after: Vec<(Option<String>, SystemTime)> = dirs
            .iter()
            .map(|d| {
                (
                    read(d),
                    fs::metadata(d.join(FILE)).unwrap().modified().unwrap(),
                )
            })
            .collect();
        let mut expected = before;
        expected[3].0 = Some(cred(300, "c-refresh"));
        expected[3].1 = after[3].1;
        assert_eq!(after, expected, "{var}: a file was touched");
    }
}
