//! Many processes writing the registry at once.

use crate::support::{Env, finish};
use std::collections::HashSet;

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
