//! `cleanup`, `pin` and `unpin`: what goes (old by last activity, empty,
//! orphaned), what never goes (running, attached, pinned, the base's
//! shared files), and how it asks.

use crate::support::pty::Terminal;
use crate::support::{Env, backdate, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const DAY: Duration = Duration::from_secs(86_400);

/// Sets a session's last activity `ago` back in its metadata.json and
/// rebuilds the registry from the metadata files.
fn make_idle(env: &Env, ids: &[&str], ago: Duration) {
    for id in ids {
        let path = env.session_dir(id).join("metadata.json");
        let mut meta: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let then = humantime::format_rfc3339_seconds(SystemTime::now() - ago).to_string();
        meta["lastActivity"] = Value::String(then);
        fs::write(&path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    }
    env.ok(&["rebuild"]);
}

/// Gives a session a conversation: a transcript with content.
fn converse(env: &Env, id: &str) {
    let project = env.session_dir(id).join("projects/-work");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join(format!("{}.jsonl", uuid::Uuid::new_v4())),
        "{\"type\":\"user\"}\n",
    )
    .unwrap();
}

fn names(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = env
        .list()
        .iter()
        .map(|s| s["sessionName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn json(env: &Env, args: &[&str]) -> Value {
    serde_json::from_str(&env.ok(args)).unwrap()
}

/// Every path below `root` with its size and mtime, the registry files
/// aside (opening the registry may touch its WAL).
/// The targets of a cleanup report that lie under `root`: this test's own.
fn targets_under<'a>(report: &'a Value, root: &Path) -> Vec<&'a Value> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["path"]
                .as_str()
                .unwrap()
                .starts_with(root.to_str().unwrap())
        })
        .collect()
}

fn snapshot(root: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.to_string_lossy().contains("registry.db") {
                continue;
            }
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.push((path, meta.len(), meta.modified().unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_selector_is_required() {
    let env = Env::new();
    for args in [&["cleanup"][..], &["cleanup", "--dry-run"]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?} is bad usage");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("<--older-than <AGE>|--empty|--orphaned>"),
            "{err}"
        );
    }
    let out = env.run(&["cleanup", "--older-than", "soon"]);
    assert_eq!(out.status.code(), Some(2), "a bad AGE is bad usage");
}

#[test]
fn age_is_last_activity_not_the_dir_time() {
    let env = Env::with_shared_base();
    let old = env.create("old");
    let fresh = env.create("fresh");
    converse(&env, &old);
    converse(&env, &fresh);
    make_idle(&env, &[&old], 40 * DAY);
    // The fresh session's dir looks ancient; its last activity is today.
    backdate(&env.session_dir(&fresh), 90 * DAY);
    backdate(&env.session_dir(&fresh).join("metadata.json"), 90 * DAY);

    let out = env.ok(&["cleanup", "--older-than", "30d", "--yes"]);
    assert!(out.contains("old "), "{out}");
    assert!(!out.contains("fresh"), "{out}");
    assert!(out.contains("removed 1 session, freed "), "{out}");
    assert!(!env.session_dir(&old).exists());
    assert!(env.session_dir(&fresh).is_dir());
    assert_eq!(names(&env), ["fresh"]);
    // 12h selects the 40-day-old one only; there is none left.
    assert_eq!(
        env.ok(&["cleanup", "--older-than", "12h", "--yes"]),
        "nothing to clean up\n"
    );
    env.assert_base_intact();
    // Nothing is left in the store but the remaining session.
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 1);
}

#[test]
fn empty_means_no_conversation() {
    let env = Env::with_shared_base();
    let empty = env.create("empty");
    let talked = env.create("talked");
    let blank = env.create("blank");
    converse(&env, &talked);
    // A transcript file without content holds no conversation.
    let project = env.session_dir(&blank).join("projects/-work");
    fs::create_dir_all(&project).unwrap();
    fs::write(project.join(format!("{}.jsonl", uuid::Uuid::new_v4())), "").unwrap();

    let report = json(&env, &["cleanup", "--empty", "--yes", "--json"]);
    let mut gone: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["removed"], true);
            assert_eq!(t["kind"], "session");
            assert_eq!(t["why"], "empty");
            t["sessionName"].as_str().unwrap()
        })
        .collect();
    gone.sort();
    assert_eq!(gone, ["blank", "empty"]);
    assert!(report["freedBytes"].as_u64().unwrap() > 0);
    assert_eq!(report["dryRun"], false);
    assert!(!env.session_dir(&empty).exists());
    assert!(!env.session_dir(&blank).exists());
    assert_eq!(names(&env), ["talked"]);
    env.assert_base_intact();
}

#[test]
fn both_selectors_must_hold() {
    let env = Env::new();
    let old_empty = env.create("old-empty");
    let old_talked = env.create("old-talked");
    env.create("new-empty");
    converse(&env, &old_talked);
    make_idle(&env, &[&old_empty, &old_talked], 40 * DAY);
    let out = env.ok(&["cleanup", "--older-than", "30d", "--empty", "--yes"]);
    assert!(out.contains("removed 1 session"), "{out}");
    assert_eq!(names(&env), ["new-empty", "old-talked"]);
}

#[test]
fn pinned_sessions_are_kept() {
    let env = Env::new();
    let id = env.create("alpha");
    assert_eq!(env.show("alpha")["pinned"], false);
    assert_eq!(
        env.ok(&["pin", "alpha"]),
        format!("pinned alpha ({})\n", &id[..8])
    );
    assert_eq!(env.show("alpha")["pinned"], true);
    assert_eq!(env.list()[0]["pinned"], true);
    // The pin is in metadata.json too, so a rebuilt registry keeps it.
    make_idle(&env, &[&id], 400 * DAY);
    assert_eq!(env.show("alpha")["pinned"], true);

    let out = env.ok(&["cleanup", "--empty", "--older-than", "1d", "--yes"]);
    assert_eq!(
        out,
        format!("kept alpha ({}): pinned\nnothing to clean up\n", &id[..8])
    );
    assert!(env.session_dir(&id).is_dir());

    assert_eq!(
        env.ok(&["unpin", "alpha"]),
        format!("unpinned alpha ({})\n", &id[..8])
    );
    assert_eq!(env.show("alpha")["pinned"], false);
    env.ok(&["cleanup", "--empty", "--yes"]);
    assert!(!env.session_dir(&id).exists());
    assert!(env.list().is_empty());
    let err = env.fail(&["pin", "alpha"]);
    assert!(err.contains("alpha"), "{err}");
}

/// A session running in the foreground of another process (as in
/// lifecycle.rs): its launcher holds the lock, its agent is live.
fn hang(env: &mut Env, name: &str) -> (std::process::Child, u32) {
    env.set("FAKE_AGENT_MODE", "hang");
    let launcher = env.spawn(&["new", name]);
    let run = wait_for(|| {
        env.agent_runs()
            .into_iter()
            .last()
            .filter(|r| r.dir.join("ready").exists())
    });
    wait_for(|| (env.show(name)["pid"] == run.pid).then_some(()));
    (launcher, run.pid)
}

#[test]
fn running_sessions_are_never_removed() {
    let mut env = Env::new();
    let (mut launcher, agent) = hang(&mut env, "alpha");
    let id = env.show("alpha")["sessionId"].as_str().unwrap().to_string();
    // Even as old as can be.
    let out = env.ok(&["cleanup", "--older-than", "0s", "--yes"]);
    assert_eq!(
        out,
        format!("kept alpha ({}): running\nnothing to clean up\n", &id[..8])
    );
    assert!(env.session_dir(&id).is_dir());
    kill(Pid::from_raw(agent as i32), Signal::SIGKILL).unwrap();
    launcher.wait().unwrap();
    // Once it has ended it is an ordinary session.
    let out = env.ok(&["cleanup", "--older-than", "0s", "--yes"]);
    assert!(out.contains("removed 1 session"), "{out}");
    assert!(!env.session_dir(&id).exists());
}

#[test]
fn detached_and_attached_sessions_are_never_removed() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    let detached = env
        .ok(&["new", "detached", "--detached"])
        .trim()
        .to_string();
    let term = Terminal::spawn(&env, &["new", "attached"], 24, 80);
    term.wait_for("AGENT-READY");
    wait_for(|| (env.show("attached")["clients"] == 1).then_some(()));
    let attached = env.show("attached")["sessionId"]
        .as_str()
        .unwrap()
        .to_string();
    let report = json(
        &env,
        &[
            "cleanup",
            "--older-than",
            "0s",
            "--orphaned",
            "--yes",
            "--json",
        ],
    );
    let mine = targets_under(&report, &env.root);
    assert!(mine.is_empty(), "{report}");
    let mut kept: Vec<(String, String)> = report["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["sessionName"].as_str().unwrap().to_string(),
                k["why"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            ("attached".to_string(), "attached".to_string()),
            ("detached".to_string(), "running".to_string())
        ]
    );
    for id in [&detached, &attached] {
        assert!(env.session_dir(id).is_dir());
        let socket = env.root.join(format!("run/claude-session/{id}.sock"));
        assert!(socket.exists(), "a live holder's socket stays");
    }
}

#[test]
fn dry_run_changes_nothing() {
    let env = Env::with_shared_base();
    let old = env.create("old");
    env.create("empty");
    make_idle(&env, &[&old], 40 * DAY);
    let sessions = env.store.join("sessions");
    fs::create_dir(sessions.join(format!(".trash-{}", uuid::Uuid::new_v4()))).unwrap();
    let orphan = sessions.join(uuid::Uuid::new_v4().to_string());
    fs::create_dir(&orphan).unwrap();
    backdate(&orphan, DAY);
    let before = (snapshot(&env.store), env.ok(&["list", "--json"]));

    let out = env.ok(&[
        "cleanup",
        "--older-than",
        "30d",
        "--empty",
        "--orphaned",
        "--dry-run",
        "--yes",
    ]);
    assert!(out.starts_with("NAME"), "{out}");
    // old (old and empty), the dir without a row; the trash dir.
    assert!(
        out.contains("dry run: would remove 2 sessions and 1 leftover, freeing "),
        "{out}"
    );
    let report = json(
        &env,
        &["cleanup", "--orphaned", "--empty", "--dry-run", "--json"],
    );
    assert_eq!(report["dryRun"], true);
    assert_eq!(report["freedBytes"], 0);
    let targets = report["targets"].as_array().unwrap();
    assert!(targets.iter().all(|t| t["removed"] == false));
    let mut kinds: Vec<&str> = targets
        .iter()
        .filter(|t| {
            t["path"]
                .as_str()
                .unwrap()
                .starts_with(env.root.to_str().unwrap())
        })
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["dir-without-row", "session", "session", "trash"]);
    assert_eq!((snapshot(&env.store), env.ok(&["list", "--json"])), before);
}

#[test]
fn off_a_terminal_without_yes_it_only_reports() {
    let env = Env::new();
    let id = env.create("alpha");
    let out = env.ok(&["cleanup", "--empty"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("NAME"), "{out}");
    assert!(
        lines[1].starts_with(&format!("alpha  {}  just now", &id[..8])),
        "{out}"
    );
    assert!(lines[1].ends_with("  empty"), "{out}");
    assert!(
        lines[2].starts_with("would remove 1 session, freeing ")
            && lines[2].ends_with("; pass --yes to remove them"),
        "{out}"
    );
    assert!(env.session_dir(&id).is_dir());
    let report = json(&env, &["cleanup", "--empty", "--json"]);
    assert_eq!(report["targets"][0]["removed"], false);
    assert_eq!(report["dryRun"], false);
    assert_eq!(names(&env), ["alpha"]);
}

#[test]
fn on_a_terminal_it_asks() {
    let env = Env::with_shared_base();
    let id = env.create("alpha");
    let mut term = Terminal::spawn(&env, &["cleanup", "--empty"], 24, 100);
    term.wait_for("Remove 1 session (");
    term.wait_for("[y/N]");
    assert!(term.contents().contains("alpha"), "{}", term.contents());
    term.type_bytes(b"n\r");
    assert_eq!(term.wait_exit().code(), Some(0));
    term.wait_for("nothing removed");
    assert!(env.session_dir(&id).is_dir());

    let mut term = Terminal::spawn(&env, &["cleanup", "--empty"], 24, 100);
    term.wait_for("[y/N]");
    term.type_bytes(b"y\r");
    assert_eq!(term.wait_exit().code(), Some(0));
    term.wait_for("removed 1 session, freed ");
    assert!(!env.session_dir(&id).exists());
    assert!(env.list().is_empty());
    env.assert_base_intact();
}

/// What a `rm` or `cleanup` killed half-way leaves, and a `new` killed
/// between making the dir and committing the row: `cleanup --orphaned`
/// removes all of it, and the shared base is untouched.
#[test]
fn orphans_of_an_interrupted_removal_are_removed() {
    let env = Env::with_shared_base();
    let sessions = env.store.join("sessions");
    // A removal killed after its rename: a row without a dir and a trash dir
    // (with the links into the base it had).
    let half = env.create("half");
    assert!(
        fs::symlink_metadata(env.session_dir(&half).join("skills"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    fs::rename(
        env.session_dir(&half),
        sessions.join(format!(".trash-{half}")),
    )
    .unwrap();
    // A removal killed during the delete: part of a trash dir.
    let partial = sessions.join(format!(".trash-{}", uuid::Uuid::new_v4()));
    fs::create_dir_all(partial.join("projects")).unwrap();
    symlink(env.base.join("skills"), partial.join("skills")).unwrap();
    symlink(env.base.join("CLAUDE.md"), partial.join("CLAUDE.md")).unwrap();
    // A dir without a row, linking into the base, an hour old.
    let stray = uuid::Uuid::new_v4().to_string();
    let stray_dir = sessions.join(&stray);
    fs::create_dir(&stray_dir).unwrap();
    symlink(env.base.join("skills"), stray_dir.join("skills")).unwrap();
    symlink(env.base.join("agents"), stray_dir.join("agents")).unwrap();
    backdate(&stray_dir, Duration::from_secs(3600));
    // Kept: a dir without a row made just now (it may be being created),
    // one holding a conversation (rebuild would register it again), and a
    // healthy session.
    let young = sessions.join(uuid::Uuid::new_v4().to_string());
    fs::create_dir(&young).unwrap();
    let talked_id = uuid::Uuid::new_v4().to_string();
    let talked = sessions.join(&talked_id);
    fs::create_dir(&talked).unwrap();
    converse(&env, &talked_id);
    backdate(&talked, DAY);
    let healthy = env.create("healthy");

    let out = env.ok(&["cleanup", "--orphaned", "--yes"]);
    assert!(out.contains("half  "), "{out}");
    assert!(out.contains("no dir"), "{out}");
    assert!(out.contains("no registry row"), "{out}");
    assert!(out.contains("half-deleted"), "{out}");
    assert!(out.contains("being created?"), "{out}");
    assert!(out.contains("holds a conversation"), "{out}");
    assert!(out.contains("removed 2 sessions and "), "{out}");
    let mut left: Vec<String> = fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected = vec![
        young.file_name().unwrap().to_str().unwrap().to_string(),
        talked_id,
        healthy,
    ];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(names(&env), ["healthy"]);
    env.assert_base_intact();
    assert!(env.base.join("skills/review").is_dir());
    // A second run finds nothing more (the young dir is still young).
    let out = env.ok(&["cleanup", "--orphaned", "--yes"]);
    assert!(out.ends_with("nothing to clean up\n"), "{out}");
}

#[test]
fn stale_sockets_are_removed_live_ones_kept() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    let dead = env.ok(&["new", "dead", "--detached"]).trim().to_string();
    let live = env.ok(&["new", "live", "--detached"]).trim().to_string();
    let socket = |id: &str| env.root.join(format!("run/claude-session/{id}.sock"));
    let s = env.show("dead");
    let holder = Pid::from_raw(s["holderPid"].as_i64().unwrap() as i32);
    let agent = Pid::from_raw(s["pid"].as_i64().unwrap() as i32);
    kill(holder, Signal::SIGKILL).unwrap();
    wait_for(|| kill(agent, None).is_err().then_some(()));
    assert!(socket(&dead).exists(), "a killed holder leaves its socket");
    // Sockets of no known session: one someone listens on, one nobody does.
    let answering = socket(&uuid::Uuid::new_v4().to_string());
    let _listener = std::os::unix::net::UnixListener::bind(&answering).unwrap();
    let abandoned = socket(&uuid::Uuid::new_v4().to_string());
    drop(std::os::unix::net::UnixListener::bind(&abandoned).unwrap());
    assert!(abandoned.exists());

    let report = json(&env, &["cleanup", "--orphaned", "--yes", "--json"]);
    let mine = targets_under(&report, &env.root);
    assert_eq!(mine.len(), 2, "{report}");
    assert!(
        mine.iter()
            .all(|t| t["kind"] == "stale-socket" && t["removed"] == true)
    );
    assert!(mine.iter().any(|t| t["sessionName"] == "dead"));
    assert!(!socket(&dead).exists());
    assert!(!abandoned.exists());
    assert!(socket(&live).exists());
    assert!(answering.exists());
    // The sessions themselves stay: a crashed session is not an orphan.
    assert_eq!(names(&env), ["dead", "live"]);
    assert_eq!(env.ok(&["kill", "live"]), "stopped live\n");
}

#[test]
fn a_dir_someone_holds_the_lock_of_is_kept() {
    let env = Env::new();
    let stray = env
        .store
        .join("sessions")
        .join(uuid::Uuid::new_v4().to_string());
    fs::create_dir_all(&stray).unwrap();
    let lock = fs::File::create(stray.join(".lock")).unwrap();
    let lock = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock).unwrap();
    backdate(&stray, DAY);
    let out = env.ok(&["cleanup", "--orphaned", "--yes"]);
    assert!(
        out.contains(&format!(
            "kept {}: in use by another claude-session process",
            stray.display()
        )),
        "{out}"
    );
    assert!(stray.is_dir());
    drop(lock);
    env.ok(&["cleanup", "--orphaned", "--yes"]);
    assert!(!stray.exists());
}
