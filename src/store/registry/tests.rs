//! The registry on a temporary database: naming, hooks, the lean open.

use super::*;
use crate::store::session::Status;

/// How much lookaside memory the connection has ever used.
fn lookaside_used(registry: &Registry) -> i32 {
    let (mut current, mut highest) = (0, 0);
    // SAFETY: a valid handle and two valid out-pointers.
    unsafe {
        rusqlite::ffi::sqlite3_db_status(
            registry.conn.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_LOOKASIDE_USED,
            &mut current,
            &mut highest,
            0,
        )
    };
    highest
}

#[test]
fn a_lean_connection_reads_and_writes_without_lookaside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let mut session = Session::new(
        Uuid::new_v4(),
        "lean",
        PathBuf::from("/w"),
        Timestamp::now(),
    );
    Registry::open(&path).unwrap().insert(&session).unwrap();
    let mut lean = Registry::open_lean(&path).unwrap();
    session.clients = 2;
    lean.update(&session).unwrap();
    lean.release_memory();
    assert_eq!(lean.get(session.session_id).unwrap().unwrap().clients, 2);
    assert_eq!(lookaside_used(&lean), 0);
    // A normal connection does use it: the probe above measures something.
    let normal = Registry::open(&path).unwrap();
    normal.get(session.session_id).unwrap();
    assert!(lookaside_used(&normal) > 0);
}

fn temp_registry() -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(&dir.path().join("registry.db")).unwrap();
    (dir, registry)
}

fn session(name: &str) -> Session {
    Session::new(Uuid::new_v4(), name, PathBuf::from("/w"), Timestamp::now())
}

#[test]
fn automatic_names_take_the_first_free_number() {
    let (_dir, mut registry) = temp_registry();
    registry.insert(&session("api-1")).unwrap();
    registry.insert(&session("api-3")).unwrap();
    // Other stems, and names LIKE would match without escaping, do not count.
    registry.insert(&session("apix-2")).unwrap();
    let mut names = Vec::new();
    for _ in 0..3 {
        let mut s = session("");
        registry
            .insert_new(&mut s, Some("api"), |_| Ok::<(), ()>(()))
            .unwrap();
        names.push(s.session_name);
    }
    assert_eq!(names, ["api-2", "api-4", "api-5"]);
    let mut s = session("");
    registry
        .insert_new(&mut s, Some("a_i"), |_| Ok::<(), ()>(()))
        .unwrap();
    assert_eq!(s.session_name, "a_i-1", "_ is not a wildcard");
}

#[test]
fn a_failing_step_before_commit_inserts_nothing() {
    let (_dir, mut registry) = temp_registry();
    let mut s = session("");
    let err = registry.insert_new(&mut s, Some("api"), |_| Err("disk full"));
    assert!(matches!(err, Err(InsertError::Before("disk full"))));
    assert!(registry.all().unwrap().is_empty());
    let err = registry.insert_new(&mut session("x"), None, |_| Err("no"));
    assert!(matches!(err, Err(InsertError::Before("no"))));
    assert!(registry.all().unwrap().is_empty());
    // A taken name is refused before the step runs.
    registry.insert(&session("x")).unwrap();
    let err = registry.insert_new(
        &mut session("x"),
        None,
        |_| -> std::result::Result<(), ()> { panic!("the step runs only for a free name") },
    );
    assert!(matches!(
        err,
        Err(InsertError::Registry(RegistryError::NameTaken(name))) if name == "x"
    ));
}

#[test]
fn hooks_move_state_counters_and_conversation() {
    let (_dir, mut registry) = temp_registry();
    let s = session("alpha");
    registry.insert(&s).unwrap();
    let at = Timestamp::from_millis(s.last_activity.millis() + 1000);
    let update = |state, messages, tool_calls| HookUpdate {
        state,
        detail: None,
        conversation_id: Some("c2".into()),
        messages,
        tool_calls,
        activity: Some(at),
        at,
    };
    let before = registry
        .apply_hook(s.session_id, &update(Some("working"), 1, 0))
        .unwrap();
    assert_eq!(before, Some(None), "there was no state before");
    let before = registry
        .apply_hook(s.session_id, &update(None, 0, 2))
        .unwrap();
    assert_eq!(before, Some(Some("working".into())));
    let row = registry.get(s.session_id).unwrap().unwrap();
    assert_eq!(
        (
            row.state.as_deref(),
            row.message_count,
            row.tool_call_count,
            row.conversation_id.as_deref(),
            row.last_activity
        ),
        (Some("working"), 1, 2, Some("c2"), at)
    );
    // An event that is no activity leaves last_activity.
    let idle = HookUpdate {
        activity: None,
        ..update(Some("idle"), 0, 0)
    };
    registry.apply_hook(s.session_id, &idle).unwrap();
    assert_eq!(
        registry.get(s.session_id).unwrap().unwrap().last_activity,
        at
    );
    // A state brings its detail and starts its time; the same state again
    // keeps both, unless it says more.
    let later = |ms: i64, state: &'static str, detail: Option<&str>| HookUpdate {
        detail: detail.map(str::to_string),
        at: Timestamp::from_millis(at.millis() + ms),
        ..update(Some(state), 0, 0)
    };
    let row = |registry: &Registry| registry.get(s.session_id).unwrap().unwrap();
    registry
        .apply_hook(
            s.session_id,
            &later(10, "waiting", Some("permission for Bash")),
        )
        .unwrap();
    registry
        .apply_hook(s.session_id, &later(20, "waiting", None))
        .unwrap();
    let waiting = row(&registry);
    assert_eq!(
        (waiting.state_detail.as_deref(), waiting.state_since),
        (
            Some("permission for Bash"),
            Some(Timestamp::from_millis(at.millis() + 10))
        )
    );
    registry
        .apply_hook(s.session_id, &later(30, "working", None))
        .unwrap();
    let working = row(&registry);
    assert_eq!(
        (working.state_detail, working.state_since),
        (None, Some(Timestamp::from_millis(at.millis() + 30)))
    );
    // An event of a session that is gone changes nothing.
    assert_eq!(
        registry
            .apply_hook(Uuid::new_v4(), &update(Some("idle"), 1, 1))
            .unwrap(),
        None
    );
}

#[test]
fn update_leaves_the_pin_alone_and_vanished_marks_only_a_running_row() {
    let (_dir, mut registry) = temp_registry();
    let mut s = session("alpha");
    registry.insert(&s).unwrap();
    assert!(registry.set_pinned(s.session_id, true).unwrap());
    s.message_count = 7;
    s.status = Status::Active;
    registry.update(&s).unwrap();
    let row = registry.get(s.session_id).unwrap().unwrap();
    assert!(row.pinned, "an older copy of the session cannot unpin it");
    assert_eq!(row.message_count, 7);
    assert!(
        registry
            .mark_vanished(s.session_id, None, Timestamp::now())
            .unwrap()
    );
    assert_eq!(
        registry.get(s.session_id).unwrap().unwrap().status,
        Status::Crashed
    );
    assert!(
        !registry
            .mark_vanished(s.session_id, None, Timestamp::now())
            .unwrap()
    );
}

#[test]
fn a_worktree_is_kept_whole_or_the_row_is_refused() {
    let (_dir, mut registry) = temp_registry();
    let mut s = session("wt");
    s.worktree = Some(crate::store::session::Worktree {
        repository: PathBuf::from("/src/api"),
        path: PathBuf::from("/store/worktrees/api-1a2b3c4d"),
        branch: "claude/wt".into(),
        base_ref: None,
        base_commit: "1a2b3c4d5e6f".into(),
    });
    registry.insert(&s).unwrap();
    assert_eq!(registry.get(s.session_id).unwrap(), Some(s.clone()));
    // A row with part of a worktree is no session (a hand edit, a bad copy).
    registry
        .conn
        .execute("UPDATE sessions SET worktree_branch = NULL", [])
        .unwrap();
    let err = registry.get(s.session_id).unwrap_err().to_string();
    assert!(
        err.ends_with("is unreadable: an incomplete worktree"),
        "{err}"
    );
}

#[test]
fn briefs_are_the_listing_of_all_in_its_order() {
    let (_dir, mut registry) = temp_registry();
    // Ties in last activity are ordered by name, bytewise as SQLite does.
    let at = Timestamp::from_millis(1_700_000_000_000);
    for (i, name) in ["b", "a", "B", "c-1", "c"].iter().enumerate() {
        let mut s = session(name);
        s.last_activity = Timestamp::from_millis(at.millis() - 1000 * (i as i64 % 2));
        s.message_count = i as u64;
        registry.insert(&s).unwrap();
    }
    let mut live = session("live");
    live.status = Status::Active;
    live.state = Some("working".into());
    live.holder = Some(crate::util::process::Process { pid: 1, start: 1 });
    live.clients = 2;
    live.exit_code = Some(3);
    live.tool_call_count = 7;
    live.working_directory = PathBuf::from("/home/me/src");
    registry.insert(&live).unwrap();
    let all: Vec<Brief> = registry.all().unwrap().iter().map(Brief::from).collect();
    assert_eq!(registry.briefs().unwrap(), all);
    let names: Vec<&str> = all.iter().map(|b| b.session_name.as_str()).collect();
    assert_eq!(names, ["live", "B", "b", "c", "a", "c-1"]);
    let live_ones: Vec<String> = registry
        .live()
        .unwrap()
        .into_iter()
        .map(|s| s.session_name)
        .collect();
    assert_eq!(live_ones, ["live"]);
}

#[test]
fn briefs_skip_an_unreadable_row_as_all_does() {
    let (_dir, mut registry) = temp_registry();
    registry.insert(&session("good")).unwrap();
    registry.insert(&session("bad")).unwrap();
    registry
        .conn
        .execute(
            "UPDATE sessions SET status = 'bogus' WHERE name = 'bad'",
            [],
        )
        .unwrap();
    let names = |v: Vec<Brief>| v.into_iter().map(|b| b.session_name).collect::<Vec<_>>();
    assert_eq!(names(registry.briefs().unwrap()), ["good"]);
    assert_eq!(registry.all().unwrap().len(), 1);
}
