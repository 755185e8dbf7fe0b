//! `export` and `import`: a round trip through an archive, what never goes
//! into one, `--redact`, and hostile archives that must leave the store as
//! it was.

use crate::support::{Env, wait_for};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Every entry of an archive: name -> (type, bytes).
fn entries(archive: &Path) -> BTreeMap<String, (tar::EntryType, Vec<u8>)> {
    let bytes = fs::read(archive).unwrap();
    let mut tar = tar::Archive::new(zstd::Decoder::new(&bytes[..]).unwrap());
    let mut out = BTreeMap::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let kind = entry.header().entry_type();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.insert(name, (kind, data));
    }
    out
}

/// The one transcript of a session: (path relative to its dir, bytes).
fn transcript(dir: &Path) -> (PathBuf, Vec<u8>) {
    let mut found = Vec::new();
    for project in fs::read_dir(dir.join("projects")).unwrap().flatten() {
        for file in fs::read_dir(project.path()).unwrap().flatten() {
            let path = file.path();
            found.push((
                path.strip_prefix(dir).unwrap().to_path_buf(),
                fs::read(&path).unwrap(),
            ));
        }
    }
    assert_eq!(found.len(), 1, "one transcript expected: {found:?}");
    found.remove(0)
}

/// A session that held a conversation with the fake agent, plus a todo
/// list and prompt history. Returns its id.
fn conversation(env: &Env, name: &str) -> String {
    env.ok(&["new", name]);
    let id = env.show(name)["sessionId"].as_str().unwrap().to_string();
    let dir = env.session_dir(&id);
    fs::create_dir_all(dir.join("todos")).unwrap();
    fs::write(
        dir.join(format!("todos/{id}-agent-{id}.json")),
        r#"[{"content":"write tests","status":"in_progress"}]"#,
    )
    .unwrap();
    fs::write(dir.join("history.jsonl"), "{\"display\":\"hello\"}\n").unwrap();
    id
}

#[test]
fn round_trip_restores_the_conversation_ready_to_resume() {
    let env = Env::new();
    let id = conversation(&env, "alpha");
    let dir = env.session_dir(&id);
    let (rel, original) = transcript(&dir);
    let todo = fs::read(dir.join(format!("todos/{id}-agent-{id}.json"))).unwrap();
    let archive = env.root.join("alpha.tar.zst");
    let out = env.ok(&["export", "alpha", "-o", archive.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!("exported alpha ({}) to ", &id[..8])),
        "{out}"
    );
    assert_eq!(super::support::mode(&archive), 0o600);

    env.ok(&["rm", "alpha"]);
    assert!(!dir.exists());
    let out = env.ok(&["import", archive.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!("imported alpha ({})", &id[..8])),
        "{out}"
    );

    // The same id (it was free), the transcript byte for byte, the todo list.
    let s = env.show("alpha");
    assert_eq!(s["sessionId"], id.as_str());
    assert_eq!(s["status"], "stopped");
    assert_eq!(s["workingDirectory"], env.work.to_str().unwrap());
    assert_eq!(fs::read(dir.join(&rel)).unwrap(), original);
    assert_eq!(
        fs::read(dir.join(format!("todos/{id}-agent-{id}.json"))).unwrap(),
        todo
    );
    assert_eq!(
        fs::read_to_string(dir.join("history.jsonl")).unwrap(),
        "{\"display\":\"hello\"}\n"
    );
    // Prepared like `new --no-launch`: a seeded .claude.json that trusts the cwd.
    let claude_json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join(".claude.json")).unwrap()).unwrap();
    assert_eq!(
        claude_json["projects"][env.work.to_str().unwrap()]["hasTrustDialogAccepted"],
        true
    );

    // resume continues the imported conversation.
    env.ok(&["resume", "alpha"]);
    let runs = env.agent_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].argv, vec!["--resume".to_string(), id.clone()]);
    assert_eq!(runs[1].cwd, env.work);
}

#[test]
fn import_of_an_existing_id_gets_a_new_id_and_name() {
    let env = Env::new();
    let id = conversation(&env, "alpha");
    let archive = env.root.join("a.tar.zst");
    env.ok(&["export", "alpha", "-o", archive.to_str().unwrap()]);
    let out = env.run(&["import", archive.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is in use here; the session got the new id"),
        "{stderr}"
    );

    let copy = env.show("alpha-1");
    let new_id = copy["sessionId"].as_str().unwrap().to_string();
    assert_ne!(new_id, id);
    assert_eq!(
        transcript(&env.session_dir(&new_id)),
        transcript(&env.session_dir(&id))
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(env.session_dir(&new_id).join("metadata.json")).unwrap())
            .unwrap();
    assert_eq!(meta["sessionId"], new_id.as_str());
    assert_eq!(meta["sessionName"], "alpha-1");
    // The original is untouched.
    assert_eq!(env.show("alpha")["sessionId"], id.as_str());

    // --name picks the name; a taken one is refused.
    env.ok(&["import", archive.to_str().unwrap(), "--name", "beta"]);
    assert_eq!(env.list().len(), 3);
    let err = env.fail(&["import", archive.to_str().unwrap(), "--name", "beta"]);
    assert!(
        err.contains("a session named \"beta\" already exists"),
        "{err}"
    );
    let err = env.fail(&["import", archive.to_str().unwrap(), "--name", "../x"]);
    assert!(err.contains("invalid session name"), "{err}");
    assert_eq!(env.list().len(), 3);

    // The copy resumes its own conversation, in its own dir.
    env.ok(&["resume", "alpha-1"]);
    let run = env.agent_runs().pop().unwrap();
    assert_eq!(run.argv, vec!["--resume".to_string(), id.clone()]);
    assert_eq!(
        run.env["CLAUDE_CONFIG_DIR"],
        env.session_dir(&new_id).to_str().unwrap()
    );
}

#[test]
fn never_credentials_claude_json_links_or_runtime_files() {
    let env = Env::new();
    let base = &env.base;
    for dir in ["skills/s", "agents", "commands", "output-styles"] {
        fs::create_dir_all(base.join(dir)).unwrap();
    }
    fs::write(base.join("skills/s/SKILL.md"), "skill").unwrap();
    fs::write(base.join("CLAUDE.md"), "mine").unwrap();
    fs::write(base.join("keybindings.json"), "[]").unwrap();
    fs::write(
        base.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-CREDENTIAL","expiresAt":99}}"#,
    )
    .unwrap();
    let id = conversation(&env, "alpha");
    let dir = env.session_dir(&id);
    assert!(dir.join(".credentials.json").exists());
    assert!(
        fs::symlink_metadata(dir.join("skills"))
            .unwrap()
            .is_symlink()
    );
    // Claude's own account data and key in the session's .claude.json.
    fs::write(
        dir.join(".claude.json"),
        r#"{"primaryApiKey":"sk-ant-api03-PRIMARYKEY","oauthAccount":{"emailAddress":"me@x"}}"#,
    )
    .unwrap();
    fs::write(dir.join("stats-cache.json"), "{}").unwrap();
    fs::write(dir.join("holder.log"), "x").unwrap();
    // A link planted inside a carried dir is skipped too.
    std::os::unix::fs::symlink(base.join("CLAUDE.md"), dir.join("projects/link.md")).unwrap();

    let archive = env.root.join("a.tar.zst");
    env.ok(&["export", "alpha", "-o", archive.to_str().unwrap()]);
    let entries = entries(&archive);
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    let expected_top = [
        "manifest.json",
        "session/metadata.json",
        "session/history.jsonl",
    ];
    for name in &names {
        assert!(
            expected_top.contains(name)
                || name.starts_with("session/projects")
                || name.starts_with("session/todos"),
            "unexpected entry {name} in {names:?}"
        );
    }
    for name in expected_top {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for (name, (kind, data)) in &entries {
        assert!(
            matches!(kind, tar::EntryType::Regular | tar::EntryType::Directory),
            "{name} is {kind:?}"
        );
        let text = String::from_utf8_lossy(data);
        for secret in ["CREDENTIAL", "PRIMARYKEY", "emailAddress", "skill", "mine"] {
            assert!(!text.contains(secret), "{secret} leaked through {name}");
        }
    }
    // The base is untouched.
    assert_eq!(fs::read_to_string(base.join("CLAUDE.md")).unwrap(), "mine");
}

#[test]
fn redact_replaces_keys_in_transcripts() {
    let env = Env::new();
    let id = conversation(&env, "alpha");
    let dir = env.session_dir(&id);
    let (rel, _) = transcript(&dir);
    let key = "sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0";
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(dir.join(&rel))
        .unwrap();
    std::io::Write::write_all(
        &mut file,
        format!("{{\"type\":\"user\",\"message\":{{\"content\":\"my key is {key}\"}}}}\n")
            .as_bytes(),
    )
    .unwrap();
    drop(file);
    let transcript_name = format!("session/{}", rel.display());

    let plain = env.root.join("plain.tar.zst");
    env.ok(&["export", "alpha", "-o", plain.to_str().unwrap()]);
    let text = String::from_utf8(entries(&plain)[&transcript_name].1.clone()).unwrap();
    assert!(text.contains(key), "without --redact the key stays: {text}");

    let redacted = env.root.join("redacted.tar.zst");
    let out = env.ok(&[
        "export",
        "alpha",
        "--redact",
        "-o",
        redacted.to_str().unwrap(),
    ]);
    assert!(out.contains("keys and tokens redacted"), "{out}");
    let all = entries(&redacted);
    let text = String::from_utf8(all[&transcript_name].1.clone()).unwrap();
    assert!(!text.contains("Zx9Qw8Er7Ty6"), "{text}");
    assert!(text.contains("my key is sk-ant-[REDACTED]"), "{text}");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect(line);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&all["manifest.json"].1).unwrap();
    assert_eq!(manifest["redacted"], true);
}

#[test]
fn export_refuses_to_overwrite_without_force() {
    let env = Env::new();
    let id = env.create("alpha");
    let default = env
        .work
        .join(format!("alpha-{}.claude-session.tar.zst", &id[..8]));
    env.ok(&["export", "alpha"]);
    assert!(default.is_file());
    let err = env.fail(&["export", "alpha"]);
    assert!(
        err.ends_with("already exists; pass --force to overwrite it"),
        "{err}"
    );
    fs::write(&default, "keep").unwrap();
    env.fail(&["export", "alpha"]);
    assert_eq!(fs::read_to_string(&default).unwrap(), "keep");
    env.ok(&["export", "alpha", "--force"]);
    assert!(entries(&default).contains_key("session/metadata.json"));
    // No temp file is left beside it.
    assert_eq!(Env::count_entries(&env.work), 1);
}

#[test]
fn a_running_session_can_be_exported() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "hang");
    let mut launcher = env.spawn(&["new", "alpha"]);
    let run = wait_for(|| {
        env.agent_runs()
            .pop()
            .filter(|r| r.dir.join("ready").exists())
    });
    wait_for(|| (env.show("alpha")["pid"] == run.pid).then_some(()));
    let archive = env.root.join("a.tar.zst");
    let out = env.run(&["export", "alpha", "-o", archive.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("alpha is running"),
        "{out:?}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("exported while running"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&entries(&archive)["manifest.json"].1).unwrap();
    assert_eq!(manifest["running"], true);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(run.pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    launcher.wait().unwrap();

    // Imported elsewhere, it is not running there.
    let other = Env::new();
    other.ok(&["import", archive.to_str().unwrap()]);
    let s = other.show("alpha");
    assert_eq!(s["status"], "stopped");
    assert_eq!(s["pid"], serde_json::Value::Null);
}

#[test]
fn import_says_when_the_working_directory_is_missing() {
    let env = Env::new();
    let project = env.root.join("project");
    fs::create_dir(&project).unwrap();
    env.ok(&[
        "new",
        "alpha",
        "--no-launch",
        "--cwd",
        project.to_str().unwrap(),
    ]);
    let archive = env.root.join("a.tar.zst");
    env.ok(&["export", "alpha", "-o", archive.to_str().unwrap()]);
    env.ok(&["rm", "alpha"]);
    fs::remove_dir(&project).unwrap();
    let out = env.run(&["import", archive.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "its working directory {} does not exist here",
            project.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        env.show("alpha")["workingDirectory"],
        project.to_str().unwrap()
    );
}

// Hostile and broken archives.

/// One raw tar entry, written as given (the tar crate's builder refuses
/// such paths, which is the point).
struct Raw<'a> {
    name: &'a [u8],
    kind: tar::EntryType,
    size: u64,
    data: &'a [u8],
    link: &'a [u8],
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name: name.as_bytes(),
        kind: tar::EntryType::Regular,
        size: data.len() as u64,
        data,
        link: b"",
    }
}

fn tar_of(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut header = tar::Header::new_gnu();
        let old = header.as_old_mut();
        old.name[..e.name.len()].copy_from_slice(e.name);
        old.linkname[..e.link.len()].copy_from_slice(e.link);
        header.set_entry_type(e.kind);
        header.set_size(e.size);
        header.set_mode(0o644);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A real export's manifest and metadata, to put hostile entries behind.
fn real_parts(env: &Env) -> (Vec<u8>, Vec<u8>, PathBuf) {
    conversation(env, "alpha");
    let archive = env.root.join("real.tar.zst");
    env.ok(&["export", "alpha", "-o", archive.to_str().unwrap()]);
    let all = entries(&archive);
    (
        all["manifest.json"].1.clone(),
        all["session/metadata.json"].1.clone(),
        archive,
    )
}

/// What must not change when an archive is refused.
fn snapshot(env: &Env) -> (Vec<String>, String) {
    let mut dirs: Vec<String> = fs::read_dir(env.store.join("sessions"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    (dirs, env.ok(&["list", "--json"]))
}

#[test]
fn hostile_archives_are_refused_and_leave_nothing() {
    let env = Env::new();
    let (manifest, metadata, real) = real_parts(&env);
    let before = snapshot(&env);
    let escape = env.root.join("escaped");
    let abs = format!("{}/abs", escape.display());
    let zst = |tar: Vec<u8>| zstd::encode_all(&tar[..], 3).unwrap();
    let with = |extra: Raw| {
        zst(tar_of(&[
            file("manifest.json", &manifest),
            file("session/metadata.json", &metadata),
            extra,
        ]))
    };
    let real_bytes = fs::read(&real).unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("absolute", with(file(&abs, b"x")), "an absolute path"),
        (
            "dotdot",
            with(file("../escaped-dotdot", b"x")),
            "a path with `..`",
        ),
        (
            "inner-dotdot",
            with(file("session/projects/../../../escaped-inner", b"x")),
            "a path with `..`",
        ),
        (
            "symlink",
            with(Raw {
                name: b"session/projects/link",
                kind: tar::EntryType::Symlink,
                size: 0,
                data: b"",
                link: b"/etc/passwd",
            }),
            "a symbolic link",
        ),
        (
            "hardlink",
            with(Raw {
                name: b"session/projects/link",
                kind: tar::EntryType::Link,
                size: 0,
                data: b"",
                link: b"session/metadata.json",
            }),
            "a hard link",
        ),
        (
            "device",
            with(Raw {
                name: b"session/projects/dev",
                kind: tar::EntryType::Char,
                size: 0,
                data: b"",
                link: b"",
            }),
            "a device file",
        ),
        (
            "outside-layout",
            with(file("session/.credentials.json", b"{}")),
            "outside the expected layout",
        ),
        (
            "huge",
            with(Raw {
                name: b"session/projects/big.jsonl",
                kind: tar::EntryType::Regular,
                size: 11 << 30,
                data: b"",
                link: b"",
            }),
            "would unpack to more than",
        ),
        ("garbage", garbage.clone(), "not zstd-compressed"),
        ("zstd-garbage", zst(garbage), "corrupt or truncated"),
        (
            "truncated",
            real_bytes[..real_bytes.len() / 2].to_vec(),
            "corrupt or truncated",
        ),
        (
            "no-manifest",
            zst(tar_of(&[file("session/metadata.json", &metadata)])),
            "does not start with a manifest",
        ),
        (
            "no-metadata",
            zst(tar_of(&[file("manifest.json", &manifest)])),
            "no session/metadata.json",
        ),
        ("empty", Vec::new(), "not zstd-compressed"),
    ];
    for (label, bytes, expected) in cases {
        let path = env.root.join(format!("{label}.tar.zst"));
        fs::write(&path, bytes).unwrap();
        let err = env.fail(&["import", path.to_str().unwrap()]);
        assert!(
            err.starts_with(&format!(
                "claude-session: cannot import {}: ",
                path.display()
            )),
            "{label}: {err}"
        );
        assert!(err.contains(expected), "{label}: {err}");
        assert_eq!(snapshot(&env), before, "{label} changed the store");
    }
    for name in ["escaped", "escaped-dotdot", "escaped-inner"] {
        assert!(!env.root.join(name).exists(), "{name} was written");
    }
    // After all that, the real archive still imports.
    env.ok(&["import", real.to_str().unwrap()]);
    assert_eq!(env.list().len(), 2);
}
