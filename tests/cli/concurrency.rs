//! Many processes writing the registry at once.

use crate::support::{Env, finish};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn two_hundred_concurrent_creates_all_land() {
    let env = Env::new();
    // All 200 start on an empty store: they also race to create the schema.
    let children: Vec<_> = (0..200)
        .map(|i| env.spawn(&["new", &format!("s{i}"), "--no-launch"]))
        .collect();
    let mut ids = HashSet::new();
    for child in children {
        ids.insert(finish(child).trim().to_string());
    }
    assert_eq!(ids.len(), 200);
    let listed: HashSet<String> = env
        .list()
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ids);
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 200);
}

#[test]
fn concurrent_unnamed_creates_get_distinct_names_on_a_fresh_store() {
    let env = Env::new();
    let children: Vec<_> = (0..50)
        .map(|_| env.spawn(&["new", "--no-launch"]))
        .collect();
    for child in children {
        finish(child);
    }
    let names: HashSet<String> = env
        .list()
        .iter()
        .map(|s| s["sessionName"].as_str().unwrap().to_string())
        .collect();
    let want: HashSet<String> = (1..=50).map(|i| format!("work-{i}")).collect();
    assert_eq!(names, want);
}

#[test]
fn concurrent_creates_of_one_name_make_exactly_one_session() {
    let env = Env::new();
    let children: Vec<_> = (0..20)
        .map(|_| env.spawn(&["new", "same", "--no-launch"]))
        .collect();
    let ok = children
        .into_iter()
        .filter(|_| true)
        .map(|c| c.wait_with_output().unwrap())
        .filter(|o| o.status.success())
        .count();
    assert_eq!(ok, 1);
    assert_eq!(env.list().len(), 1);
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 1);
}

/// `rebuild` beside `new` and `rm` (issue 16): it once renamed the live
/// database under them, losing created sessions' rows and bringing removed
/// ones back. Now every created session has a row, no removed one has, the
/// registry passes its check, and a sound registry leaves no backup behind.
#[test]
fn rebuild_beside_new_and_rm_loses_and_resurrects_nothing() {
    let env = Env::new();
    let doomed: Vec<String> = (0..24).map(|i| env.create(&format!("old{i}"))).collect();
    let done = AtomicBool::new(false);
    let env = &env;
    let (created, rebuilds) = std::thread::scope(|s| {
        let rebuilders: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    while !done.load(Ordering::Relaxed) {
                        env.ok(&["rebuild"]);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let makers: Vec<_> = (0..4)
            .map(|t| {
                s.spawn(move || {
                    (0..8)
                        .map(|i| env.create(&format!("new{t}-{i}")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let removers: Vec<_> = doomed
            .chunks(6)
            .map(|chunk| {
                s.spawn(move || {
                    for id in chunk {
                        env.ok(&["rm", id]);
                    }
                })
            })
            .collect();
        // Joined before a failure is raised, so the rebuilders stop.
        let made: Vec<_> = makers.into_iter().map(|m| m.join()).collect();
        let removed: Vec<_> = removers.into_iter().map(|r| r.join()).collect();
        done.store(true, Ordering::Relaxed);
        let rebuilt: Vec<_> = rebuilders.into_iter().map(|r| r.join()).collect();
        for r in removed {
            r.unwrap_or_else(|e| std::panic::resume_unwind(e));
        }
        let created: HashSet<String> = made
            .into_iter()
            .flat_map(|m| m.unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        let rebuilds: usize = rebuilt
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .sum();
        (created, rebuilds)
    });
    assert!(rebuilds >= 3, "the rebuilds ran beside the others");
    let listed: HashSet<String> = env
        .list()
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, created, "exactly the created sessions are listed");
    let db = rusqlite::Connection::open(env.store.join("registry.db")).unwrap();
    let verdict: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
    let backups = std::fs::read_dir(&env.store)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".bak-"))
        .count();
    assert_eq!(backups, 0, "a sound registry is rebuilt in place");
}
