//! What `doctor` finds in a damaged or untidy store and what `doctor --fix`
//! and `cleanup --orphaned` do about it: a registry from a newer version,
//! unreadable rows, a dropped table, half-made sessions, leftovers of
//! interrupted work.

use crate::support::{Env, backdate};
use std::fs;
use std::path::Path;
use std::time::Duration;

fn registry(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.store.join("registry.db")).unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_registry_from_a_newer_version_is_refused_and_left_alone() {
    let env = Env::new();
    env.create("alpha");
    let db = registry(&env);
    let known: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    db.execute_batch("PRAGMA user_version = 99").unwrap();
    let path = env.store.join("registry.db");
    let refusal = format!(
        "claude-session: registry {} was written by a newer claude-session (schema version 99; this one knows up to {known}): use that version of claude-session or a newer one",
        path.display()
    );
    assert_eq!(env.fail(&["list"]), refusal);
    assert_eq!(env.fail(&["new", "beta", "--no-launch"]), refusal);
    assert_eq!(env.fail(&["rebuild"]), refusal);
    let out = env.run(&["doctor", "--fix"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!("FAIL  registry: {}", &refusal[16..])),
        "{}",
        stdout(&out)
    );
    let version: i64 = registry(&env)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99, "nothing rewrote it");
}

#[test]
fn an_unreadable_row_is_skipped_and_named_and_doctor_fix_rebuilds() {
    let env = Env::new();
    env.create("alpha");
    let bad = env.create("beta");
    env.create("gamma");
    registry(&env)
        .execute("UPDATE sessions SET status = 'bogus' WHERE id = ?1", [&bad])
        .unwrap();
    let out = env.run(&["list"]);
    assert!(out.status.success());
    let listed = stdout(&out);
    assert!(
        listed.contains("alpha") && listed.contains("gamma"),
        "{listed}"
    );
    assert!(!listed.contains("beta"), "{listed}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "claude-session: warning: registry {}: row {bad} is unreadable: unknown status \"bogus\"; skipped it (`claude-session doctor --fix` rebuilds the registry from the session dirs)\n",
            env.store.join("registry.db").display()
        )
    );
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!(
            "FAIL  registry: registry {}: row {bad} is unreadable",
            env.store.join("registry.db").display()
        )),
        "{}",
        stdout(&out)
    );
    let fixed = env.ok(&["doctor", "--fix"]);
    assert!(
        fixed.contains("      -> rebuilt from 3 session dirs\n"),
        "{fixed}"
    );
    let out = env.run(&["list"]);
    assert!(out.stderr.is_empty());
    assert_eq!(env.show("beta")["status"], "created");
}

#[test]
fn a_dropped_table_is_rebuilt_by_doctor_fix() {
    let env = Env::new();
    let a = env.create("alpha");
    env.create("beta");
    registry(&env).execute_batch("DROP TABLE sessions").unwrap();
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAIL  registry: unusable: the sessions table is missing\n"),
        "{}",
        stdout(&out)
    );
    let fixed = env.ok(&["doctor", "--fix"]);
    assert!(
        fixed.contains("fixed registry: unusable: the sessions table is missing\n")
            && fixed.contains("      -> rebuilt from 2 session dirs; the old one is kept as "),
        "{fixed}"
    );
    assert_eq!(env.list().len(), 2);
    assert_eq!(env.show("alpha")["sessionId"], a.as_str());
}

/// A `new` killed after its row was committed, before it prepared the dir:
/// doctor once called it ok.
#[test]
fn a_half_made_session_is_found_and_prepared() {
    let env = Env::with_shared_base();
    let id = env.create("alpha");
    let dir = env.session_dir(&id);
    for gone in [".claude.json", "settings.json", "skills"] {
        let path = dir.join(gone);
        assert!(fs::symlink_metadata(&path).is_ok(), "{gone} was made");
        fs::remove_file(path).unwrap();
    }
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let line = "sessions: alpha: incomplete (a `new` that did not finish?): no .claude.json, settings.json, skills link\n";
    assert!(
        stdout(&out).contains(&format!("FAIL  {line}")),
        "{}",
        stdout(&out)
    );
    let fixed = env.ok(&["doctor", "--fix"]);
    assert!(
        fixed.contains(&format!(
            "fixed {line}      -> prepared it as a launch does\n"
        )),
        "{fixed}"
    );
    assert!(dir.join(".claude.json").is_file() && dir.join("settings.json").is_file());
    assert_eq!(
        fs::read_link(dir.join("skills")).unwrap(),
        env.base.join("skills")
    );
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    env.assert_base_intact();
}

/// What killed imports and rebuilds leave, and the backups every rebuild of
/// a broken registry keeps: doctor names them, cleanup --orphaned removes
/// them, except what may be in use and the newest two backups.
#[test]
fn leftovers_are_reported_and_removed() {
    let env = Env::new();
    env.create("alpha");
    let sessions = env.store.join("sessions");
    let hour = Duration::from_secs(3600);
    let old_staging = sessions.join(".import-0123abcd");
    fs::create_dir(&old_staging).unwrap();
    fs::write(old_staging.join("part.jsonl"), "x".repeat(5000)).unwrap();
    backdate(&old_staging.join("part.jsonl"), hour);
    backdate(&old_staging, hour);
    let busy_staging = sessions.join(".import-4567cdef");
    fs::create_dir(&busy_staging).unwrap();
    fs::write(busy_staging.join("part.jsonl"), "x").unwrap();
    // An import still writing deep down: only the dir itself looks old.
    backdate(&busy_staging, hour);
    let rebuilding = env.store.join("registry.db.rebuilding-4242");
    for suffix in ["", "-wal"] {
        let path = env
            .store
            .join(format!("registry.db.rebuilding-4242{suffix}"));
        fs::write(&path, "partial").unwrap();
        backdate(&path, hour);
    }
    for ms in [1000, 2000, 3000] {
        fs::write(env.store.join(format!("registry.db.bak-{ms}")), "old").unwrap();
    }
    fs::write(env.store.join("registry.db.bak-1000-wal"), "old").unwrap();
    let trash = sessions.join(format!(".trash-{}", uuid::Uuid::new_v4()));
    fs::create_dir(&trash).unwrap();
    fs::write(trash.join("metadata.json"), "{}").unwrap();

    let report = env.ok(&["doctor"]);
    // A line per leftover: its path, its size, what it is, what to do.
    let finding = |path: &Path| {
        let start = format!("warn  leftovers: {} (", path.display());
        let line = report.lines().find(|l| l.starts_with(&start));
        let line = line.unwrap_or_else(|| panic!("{start} in\n{report}"));
        line.split_once("): ").unwrap().1.to_string()
    };
    let removes = "; `claude-session cleanup --orphaned` removes it";
    assert_eq!(
        finding(&old_staging),
        format!("an interrupted import{removes}")
    );
    assert_eq!(
        finding(&busy_staging),
        "an interrupted import; changed less than a minute ago; an import may be using it"
    );
    assert_eq!(
        finding(&rebuilding),
        format!("an interrupted rebuild{removes}")
    );
    assert_eq!(
        finding(&env.store.join("registry.db.bak-1000")),
        format!("an old registry backup (the newest 2 are kept){removes}")
    );
    assert_eq!(finding(&trash), format!("half-deleted{removes}"));
    assert_eq!(report.matches("leftovers:").count(), 5, "{report}");

    let out = env.ok(&["cleanup", "--orphaned", "--yes"]);
    assert!(
        out.contains(&format!(
            "kept {}: changed less than a minute ago; an import may be using it\n",
            busy_staging.display()
        )),
        "{out}"
    );
    assert!(out.contains("\nremoved 4 leftovers, freed "), "{out}");
    let mut left: Vec<String> = fs::read_dir(&env.store)
        .unwrap()
        .chain(fs::read_dir(&sessions).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.') || n.starts_with("registry.db."))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".import-4567cdef",
            "registry.db.bak-2000",
            "registry.db.bak-3000"
        ]
    );
    assert_eq!(env.list().len(), 1);
}
