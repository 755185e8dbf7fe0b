//! `migrate --from-seed`: the original script's layout.

use super::*;

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
        record(&env.work, a, "old talk"),
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
