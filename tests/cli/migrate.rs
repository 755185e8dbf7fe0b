//! `migrate`: copying a single-session ~/.claude, and the seed's layout.

use crate::support::Env;
use std::fs;

/// The project dir name Claude Code gives a working directory.
fn slug(dir: &std::path::Path) -> String {
    dir.to_str()
        .unwrap()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn conversation(env: &Env, id: &str) -> String {
    format!(
        "{{\"type\":\"user\",\"cwd\":\"{}\",\"sessionId\":\"{id}\",\"message\":{{\"content\":\"old talk\"}}}}\n",
        env.work.display()
    )
}

#[test]
fn the_base_is_copied_into_a_session_and_stays_as_it_was() {
    let env = Env::new();
    let conv = "11111111-2222-4333-8444-555555555555";
    let project = env.base.join("projects").join(slug(&env.work));
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join(format!("{conv}.jsonl")),
        conversation(&env, conv),
    )
    .unwrap();
    fs::write(
        env.base.join("history.jsonl"),
        "{\"display\":\"old prompt\"}\n",
    )
    .unwrap();
    fs::create_dir_all(env.base.join("todos")).unwrap();
    fs::write(env.base.join("todos/t.json"), "[]").unwrap();
    fs::create_dir_all(env.base.join("skills/s")).unwrap();
    fs::write(env.base.join("skills/s/SKILL.md"), "skill").unwrap();

    assert!(
        env.ok(&["migrate", "--dry-run"])
            .starts_with("would copy 3 files")
    );
    assert_eq!(env.list().len(), 0, "a dry run creates nothing");
    let out = env.ok(&["migrate"]);
    assert!(
        out.contains("into session default") && out.contains("3 files copied, 0 already there"),
        "{out}"
    );
    let s = env.show("default");
    assert_eq!(
        s["workingDirectory"],
        env.work.to_str().unwrap(),
        "the newest conversation's cwd"
    );
    let dir = env.session_dir(s["sessionId"].as_str().unwrap());
    assert_eq!(
        fs::read(dir.join(format!("projects/{}/{conv}.jsonl", slug(&env.work)))).unwrap(),
        fs::read(project.join(format!("{conv}.jsonl"))).unwrap()
    );
    assert_eq!(
        fs::read_to_string(dir.join("history.jsonl")).unwrap(),
        "{\"display\":\"old prompt\"}\n"
    );
    // The base is untouched (a copy, not a move); skills are linked, not copied.
    assert!(project.join(format!("{conv}.jsonl")).is_file());
    assert!(
        fs::symlink_metadata(dir.join("skills"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // The migrated conversation resumes where it was held.
    env.ok(&["resume", "default"]);
    let run = env.only_agent_run();
    assert_eq!(run.argv[..2], ["--resume", conv]);
    assert_eq!(run.cwd, env.work);

    // Re-runnable: only what is new is copied.
    fs::write(
        project.join("22222222-2222-4333-8444-555555555555.jsonl"),
        "{}\n",
    )
    .unwrap();
    let again = env.ok(&["migrate"]);
    assert!(again.contains("1 files copied, 3 already there"), "{again}");
    assert_eq!(env.list().len(), 1);
}

#[test]
fn an_empty_base_has_nothing_to_migrate() {
    let env = Env::new();
    fs::create_dir_all(&env.base).unwrap();
    let err = env.fail(&["migrate"]);
    assert!(err.contains("holds no conversations to migrate"), "{err}");
}

#[test]
fn a_seed_layout_is_imported_even_with_a_corrupt_registry() {
    let env = Env::new();
    let seed = env.root.join("seed");
    let a = "64448612-0e5c-4075-8d92-4cb54e7e0567";
    let b = "971e6d9b-e150-4b81-8225-f3539254b21a";
    let project = format!("sessions/{a}/projects/{}", slug(&env.work));
    fs::create_dir_all(seed.join(&project)).unwrap();
    fs::create_dir_all(seed.join(format!("sessions/{b}"))).unwrap();
    fs::write(seed.join("sessions/.registry"), "{\"sessions\": {garbage").unwrap();
    fs::write(
        seed.join(format!("sessions/{a}/metadata.json")),
        format!(
            r#"{{"sessionId":"{a}","sessionName":"netbox dev!","workingDirectory":"{}","startTime":"2025-11-08T14:43:00Z","status":"active","model":"claude-sonnet-4-5-20250929","messageCount":42}}"#,
            env.work.display()
        ),
    )
    .unwrap();
    fs::write(seed.join(format!("sessions/{a}/history.jsonl")), "{}\n").unwrap();
    fs::write(
        seed.join(format!("{project}/{a}.jsonl")),
        conversation(&env, a),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc", seed.join(format!("sessions/{a}/evil"))).unwrap();
    fs::write(seed.join(format!("sessions/{b}/history.jsonl")), "{}\n").unwrap();

    let dry = env.ok(&[
        "migrate",
        "--from-seed",
        seed.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(
        dry.contains(&format!("would import netbox-dev- ({a})")),
        "{dry}"
    );
    assert_eq!(env.list().len(), 0);
    let out = env.ok(&["migrate", "--from-seed", seed.to_str().unwrap()]);
    assert!(
        out.contains("imported netbox-dev- (64448612): 2 files")
            && out.contains("1 links not followed"),
        "{out}"
    );
    let s = env.show("netbox-dev-");
    assert_eq!(
        s["sessionId"], a,
        "the id is kept, so its transcript still resumes"
    );
    assert_eq!(
        (s["status"].as_str(), s["messageCount"].as_u64()),
        (Some("stopped"), Some(42))
    );
    assert_eq!(s["startTime"], "2025-11-08T14:43:00Z");
    assert!(
        fs::symlink_metadata(env.session_dir(a).join("evil")).is_err(),
        "links are not copied"
    );
    assert_eq!(
        env.show(b)["sessionName"],
        "seed",
        "no metadata, corrupt registry: a default name"
    );
    env.ok(&["resume", "netbox-dev-"]);
    assert_eq!(env.only_agent_run().argv[..2], ["--resume", a]);
    let again = env.ok(&["migrate", "--from-seed", seed.to_str().unwrap()]);
    assert_eq!(
        again,
        format!("already migrated {a}\nalready migrated {b}\n")
    );
}
