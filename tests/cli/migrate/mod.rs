//! `migrate`: a single-session ~/.claude copied into one session per
//! project directory, again and again without losing what a session did;
//! and the seed's layout.

mod safety;
mod seed;

use crate::support::Env;
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const A: &str = "11111111-2222-4333-8444-555555555555";
const B: &str = "22222222-2222-4333-8444-555555555555";
const C: &str = "33333333-2222-4333-8444-555555555555";
const D: &str = "44444444-2222-4333-8444-555555555555";

/// The project dir name Claude Code gives a working directory.
fn slug(dir: &Path) -> String {
    dir.to_str()
        .unwrap()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// A record of conversation `id`, typed in `cwd`.
fn record(cwd: &Path, id: &str, text: &str) -> String {
    format!(
        "{{\"type\":\"user\",\"cwd\":\"{}\",\"sessionId\":\"{id}\",\"message\":{{\"content\":\"{text}\"}}}}\n",
        cwd.display()
    )
}

/// Conversation `id` of `cwd` in the base, written `age` seconds ago.
fn conversation(env: &Env, cwd: &Path, id: &str, age: u64) -> PathBuf {
    let path = env.base.join(transcript(cwd, id));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, record(cwd, id, "old talk")).unwrap();
    set_age(&path, age);
    path
}

/// Where conversation `id` of `cwd` is, in a config dir.
fn transcript(cwd: &Path, id: &str) -> String {
    format!("projects/{}/{id}.jsonl", slug(cwd))
}

fn set_age(path: &Path, age: u64) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(age))
        .unwrap();
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn history_line(cwd: &Path, text: &str) -> String {
    format!(
        "{{\"display\":\"{text}\",\"project\":\"{}\"}}\n",
        cwd.display()
    )
}

fn size(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

fn id_of(env: &Env, name: &str) -> String {
    env.show(name)["sessionId"].as_str().unwrap().to_string()
}

/// The one session there is: (name, id).
fn only_session(env: &Env) -> (String, String) {
    let list = env.list();
    assert_eq!(list.len(), 1, "{list:?}");
    let field = |key: &str| list[0][key].as_str().unwrap().to_string();
    (field("sessionName"), field("sessionId"))
}

#[test]
fn each_project_becomes_a_session_that_resumes_its_own_conversation_in_its_own_directory() {
    let env = Env::new();
    let (work, api) = (env.work.clone(), env.root.join("api"));
    fs::create_dir_all(&api).unwrap();
    let a = conversation(&env, &work, A, 0);
    let b = conversation(&env, &api, B, 0);
    let base = |rel: &str| env.base.join(rel);
    let write = |rel: &str, text: &str| {
        fs::create_dir_all(base(rel).parent().unwrap()).unwrap();
        fs::write(base(rel), text).unwrap();
    };
    // What Claude keeps elsewhere for each conversation, and a project's memory.
    write(&format!("todos/{A}-agent-{A}.json"), "[]");
    write(&format!("tasks/{A}/1.json"), "{}");
    write(&format!("file-history/{B}/f@v1"), "before");
    append(&b, "{\"type\":\"user\",\"slug\":\"quiet-green-fox\"}\n");
    write("plans/quiet-green-fox.md", "the plan");
    write(&format!("projects/{}/memory/MEMORY.md", slug(&work)), "m");
    write(
        "history.jsonl",
        &[
            history_line(&work, "w1"),
            history_line(&api, "a1"),
            history_line(Path::new("/elsewhere"), "e1"),
        ]
        .concat(),
    );
    fs::create_dir_all(base("skills/s")).unwrap();
    fs::write(base("skills/s/SKILL.md"), "skill").unwrap();
    let files_of = |rels: &[String]| rels.iter().map(|r| size(&base(r))).sum::<u64>();
    let api_bytes = files_of(&[
        transcript(&api, B),
        format!("file-history/{B}/f@v1"),
        "plans/quiet-green-fox.md".into(),
    ]);
    let a_bytes = files_of(&[
        transcript(&work, A),
        format!("todos/{A}-agent-{A}.json"),
        format!("tasks/{A}/1.json"),
    ]);

    assert_eq!(
        env.ok(&["migrate", "--dry-run"]),
        format!(
            "would make session api in {}, from projects/{}:\n  {B}: copy 3 files ({api_bytes} B)\n  add 1 history line\n\
             would make session work in {}, from projects/{}:\n  {A}: copy 3 files ({a_bytes} B)\n  other files: copy 1 file (1 B)\n  add 1 history line\n",
            api.display(),
            slug(&api),
            work.display(),
            slug(&work)
        )
    );
    assert_eq!(env.list().len(), 0, "a dry run makes nothing");
    let out = env.ok(&["migrate"]);
    let (api_id, work_id) = (id_of(&env, "api"), id_of(&env, "work"));
    assert_eq!(
        out,
        format!(
            "made session api ({}) in {}: copied 3 files ({api_bytes} B), added 1 history line\n\
             made session work ({}) in {}: copied 4 files ({} B), added 1 history line\n",
            &api_id[..8],
            api.display(),
            &work_id[..8],
            work.display(),
            a_bytes + 1
        )
    );
    let (api_dir, work_dir) = (env.session_dir(&api_id), env.session_dir(&work_id));
    assert_eq!(env.show("api")["workingDirectory"], api.to_str().unwrap());
    assert_eq!(env.show("work")["workingDirectory"], work.to_str().unwrap());
    // Each has its own conversations and what goes with them, nothing else.
    assert_eq!(
        fs::read(work_dir.join(transcript(&work, A))).unwrap(),
        fs::read(&a).unwrap()
    );
    assert!(work_dir.join(format!("todos/{A}-agent-{A}.json")).is_file());
    assert!(work_dir.join(format!("tasks/{A}/1.json")).is_file());
    assert!(
        work_dir
            .join(format!("projects/{}/memory/MEMORY.md", slug(&work)))
            .is_file()
    );
    assert!(!work_dir.join(transcript(&api, B)).exists());
    assert!(!work_dir.join("plans").exists());
    assert!(api_dir.join(format!("file-history/{B}/f@v1")).is_file());
    assert!(api_dir.join("plans/quiet-green-fox.md").is_file());
    assert!(!api_dir.join("todos").exists());
    // The prompt history, split by the directory it was typed in.
    let history = |dir: &Path| fs::read_to_string(dir.join("history.jsonl")).unwrap();
    assert_eq!(history(&work_dir), history_line(&work, "w1"));
    assert_eq!(history(&api_dir), history_line(&api, "a1"));
    // The base is untouched (a copy, not a move); skills are linked, not copied.
    assert!(a.is_file() && b.is_file());
    assert!(
        fs::symlink_metadata(work_dir.join("skills"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // Each resumes its own conversation, in its own directory.
    env.ok(&["resume", "work"]);
    env.ok(&["resume", "api"]);
    let runs = env.agent_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (&runs[0].argv[..2], &runs[0].cwd),
        (&["--resume".to_string(), A.to_string()][..], &work)
    );
    assert_eq!(
        (&runs[1].argv[..2], &runs[1].cwd),
        (&["--resume".to_string(), B.to_string()][..], &api)
    );
}

#[test]
fn a_second_run_keeps_what_the_session_went_on_with_and_adds_what_only_the_base_did() {
    let env = Env::new();
    let work = env.work.clone();
    let a = conversation(&env, &work, A, 0);
    let b = conversation(&env, &work, B, 60);
    let c = conversation(&env, &work, C, 60);
    fs::write(env.base.join("history.jsonl"), history_line(&work, "w1")).unwrap();
    env.ok(&["migrate"]);
    let (name, id) = only_session(&env);
    let session = |rel: String| env.session_dir(&id).join(rel);

    // The session continues A (the newest); the base alone goes on with
    // B; both go on with C, differently; the base has a new D.
    env.ok(&["resume", &name]);
    assert_eq!(env.only_agent_run().argv[..2], ["--resume", A]);
    let continued = fs::read(session(transcript(&work, A))).unwrap();
    assert!(continued.len() as u64 > size(&a));
    append(&b, &record(&work, B, "more in the base"));
    append(&c, &record(&work, C, "the base's turn"));
    append(
        &session(transcript(&work, C)),
        &record(&work, C, "the session's turn"),
    );
    let c_in_session = fs::read(session(transcript(&work, C))).unwrap();
    let d = conversation(&env, &work, D, 0);
    append(&env.base.join("history.jsonl"), &history_line(&work, "w2"));
    let added = size(&b) - size(&session(transcript(&work, B)));

    let dry = env.ok(&["migrate", "--dry-run"]);
    assert_eq!(
        dry,
        format!(
            "would reuse session work ({}) in {}, from projects/{}:\n  {A}: keep 1 file the session went on with\n  {B}: extend 1 file (+{added} B)\n  {C}: keep 1 file that differs from the base's\n  {D}: copy 1 file ({} B)\n  add 1 history line\n",
            &id[..8],
            work.display(),
            slug(&work),
            size(&d)
        )
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["migrate", "--dry-run", "--json"])).unwrap();
    let file = |conv: &str, action: &str, bytes: u64| json!({"path": transcript(&work, conv), "conversation": conv, "action": action, "bytes": bytes});
    assert_eq!(
        json,
        json!({
            "from": env.base,
            "dryRun": true,
            "sessions": [{
                "sessionName": "work",
                "sessionId": id,
                "made": false,
                "workingDirectory": work,
                "project": slug(&work),
                "files": [
                    file(A, "sessionNewer", 0),
                    file(B, "extend", added),
                    file(C, "differs", 0),
                    file(D, "copy", size(&d)),
                ],
                "historyLines": {"added": 1, "present": 1},
                "linksSkipped": 0,
            }],
            "skipped": [],
        })
    );

    let out = env.ok(&["migrate"]);
    assert_eq!(
        out,
        format!(
            "reused session work ({}) in {}: copied 1 file ({} B), extended 1 file (+{added} B), kept 1 file the session went on with, kept 1 file that differs from the base's, added 1 history line\n  {C}: the session's and the base's differ; kept the session's\n",
            &id[..8],
            work.display(),
            size(&d)
        )
    );
    assert_eq!(
        env.list().len(),
        1,
        "the session an earlier run made is found again"
    );
    assert_eq!(fs::read(session(transcript(&work, A))).unwrap(), continued);
    assert_eq!(
        fs::read(session(transcript(&work, B))).unwrap(),
        fs::read(&b).unwrap()
    );
    assert_eq!(
        fs::read(session(transcript(&work, C))).unwrap(),
        c_in_session
    );
    assert_eq!(
        fs::read(session(transcript(&work, D))).unwrap(),
        fs::read(&d).unwrap()
    );
    assert_eq!(
        fs::read_to_string(session("history.jsonl".into())).unwrap(),
        [history_line(&work, "w1"), history_line(&work, "w2")].concat()
    );
    // Nothing new: said so.
    assert_eq!(
        env.ok(&["migrate"]),
        format!(
            "reused session work ({}) in {}: 2 files already there, kept 1 file the session went on with, kept 1 file that differs from the base's\n  {C}: the session's and the base's differ; kept the session's\n",
            &id[..8],
            work.display()
        )
    );
}

#[test]
fn a_project_whose_directory_is_gone_is_reported_and_migrated_only_when_asked() {
    let env = Env::new();
    let gone = env.root.join("gone");
    conversation(&env, &gone, A, 0);
    // A transcript with no record that says where it ran.
    let unknown = env.base.join("projects/-somewhere");
    fs::create_dir_all(&unknown).unwrap();
    fs::write(
        unknown.join(format!("{B}.jsonl")),
        "{\"type\":\"summary\"}\n",
    )
    .unwrap();
    env.create("gone");

    let skipped = format!(
        "skipped projects/-somewhere: no conversation in it says which directory it belongs to\n\
         skipped projects/{}: its directory {} no longer exists (--include-missing migrates it all the same)\n",
        slug(&gone),
        gone.display()
    );
    assert_eq!(env.ok(&["migrate"]), skipped);
    assert_eq!(env.list().len(), 1);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["migrate", "--include-missing", "--json"])).unwrap();
    let id = id_of(&env, "gone-1");
    let bytes = size(&env.base.join(transcript(&gone, A)));
    assert_eq!(
        json,
        json!({
            "from": env.base,
            "dryRun": false,
            "sessions": [{
                "sessionName": "gone-1",
                "sessionId": id,
                "made": true,
                "workingDirectory": gone,
                "project": slug(&gone),
                "files": [{"path": transcript(&gone, A), "conversation": A, "action": "copy", "bytes": bytes}],
                "historyLines": {"added": 0, "present": 0},
                "linksSkipped": 0,
            }],
            "skipped": [{"project": "-somewhere", "workingDirectory": null, "reason": "unknownDirectory"}],
        })
    );
    assert_eq!(
        env.ok(&["migrate", "--include-missing"]),
        format!(
            "reused session gone-1 ({}) in {}: nothing new (1 file already there)\n\
             skipped projects/-somewhere: no conversation in it says which directory it belongs to\n",
            &id[..8],
            gone.display()
        )
    );
}

#[test]
fn an_empty_base_has_nothing_to_migrate() {
    let env = Env::new();
    fs::create_dir_all(&env.base).unwrap();
    let err = env.fail(&["migrate"]);
    assert!(err.contains("holds no conversations to migrate"), "{err}");
}
