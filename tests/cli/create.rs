//! Creating sessions, names, listing, showing, permissions.

use crate::support::{Env, mode};
use serde_json::Value;

#[test]
fn no_launch_creates_a_listed_session() {
    let env = Env::new();
    let id = env.create("api-refactor");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let sessions = env.list();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s["sessionId"], id.as_str());
    assert_eq!(s["sessionName"], "api-refactor");
    assert_eq!(s["userId"], "tester");
    assert_eq!(s["sshClient"], Value::Null);
    assert_eq!(s["workingDirectory"], env.work.to_str().unwrap());
    assert_eq!(s["status"], "created");
    assert_eq!(s["sessionDir"], env.session_dir(&id).to_str().unwrap());

    // The dir holds metadata.json with the same facts, and the seeded files.
    let dir = env.session_dir(&id);
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["sessionName"], "api-refactor");
    assert_eq!(meta["messageCount"], 0);
    let claude_json: Value =
        serde_json::from_slice(&std::fs::read(dir.join(".claude.json")).unwrap()).unwrap();
    assert_eq!(claude_json["hasCompletedOnboarding"], true);
    assert_eq!(
        claude_json["projects"][env.work.to_str().unwrap()]["hasTrustDialogAccepted"],
        true
    );
}

#[test]
fn list_table_is_exact() {
    let env = Env::new();
    let a = env.create("alpha");
    let b = env.create("b");
    let table = env.ok(&["list"]);
    // Most recent first; equal times fall back to name order.
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(
        rows[0],
        "NAME   ID        STATUS   MSGS  TOOLS  LAST ACTIVITY  CWD"
    );
    let expect = |name: &str, id: &str| {
        format!(
            "{name:<5}  {}  created  0     0      just now       {}",
            &id[..8],
            env.work.display()
        )
    };
    let mut body = rows[1..].to_vec();
    body.sort();
    assert_eq!(body, vec![expect("alpha", &a), expect("b", &b)]);
}

#[test]
fn list_with_no_sessions_says_how_to_start() {
    let env = Env::new();
    let out = env.run(&["list"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "no sessions yet; start one with `claude-session new NAME`\n"
    );
    assert_eq!(env.ok(&["list", "--json"]), "[]\n");
}

#[test]
fn show_and_path() {
    let env = Env::new();
    let id = env.create("alpha");
    let shown = env.ok(&["show", "alpha"]);
    assert!(
        shown.starts_with(&format!(
            "name:          alpha\nid:            {id}\nstatus:        created\n"
        )),
        "{shown}"
    );
    assert_eq!(env.show(&id[..6])["sessionId"], id.as_str());
    assert_eq!(
        env.ok(&["path", "alpha"]),
        format!("{}\n", env.session_dir(&id).display())
    );
}

#[test]
fn auto_names_come_from_the_working_dir() {
    let env = Env::new();
    env.create_unnamed();
    env.create_unnamed();
    let mut names: Vec<String> = env
        .list()
        .iter()
        .map(|s| s["sessionName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["work-1", "work-2"]);
}

impl Env {
    fn create_unnamed(&self) -> String {
        self.ok(&["new", "--no-launch"]).trim().to_string()
    }
}

#[test]
fn hostile_names_create_nothing() {
    let env = Env::new();
    let long = "x".repeat(10_000);
    let cases: [(&str, &str); 9] = [
        ("a'b", "found '\\''"),
        ("a\"b", "found '\"'"),
        ("$(touch pwned)", "found '$'"),
        ("../escape", "found '.'"),
        ("a/b", "found '/'"),
        ("a\nb", "found '\\n'"),
        ("", "cannot be empty"),
        (&long, "at most 64 characters (this one has 10000)"),
        ("list", "\"list\" is a command name"),
    ];
    for (name, why) in cases {
        let err = env.fail(&["new", name, "--no-launch"]);
        assert!(
            err.starts_with("claude-session: invalid session name: "),
            "{err}"
        );
        assert!(err.contains(why), "{name:?}: {err}");
    }
    assert!(!env.work.join("pwned").exists());
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 0);
    assert_eq!(env.list().len(), 0);
}

#[test]
fn duplicate_name_is_refused() {
    let env = Env::new();
    env.create("alpha");
    let err = env.fail(&["new", "alpha", "--no-launch"]);
    assert_eq!(
        err,
        "claude-session: a session named \"alpha\" already exists; continue it with `claude-session resume alpha`"
    );
    assert_eq!(Env::count_entries(&env.store.join("sessions")), 1);
}

#[test]
fn bad_references_say_what_is_wrong() {
    let env = Env::new();
    env.create("alpha");
    assert_eq!(
        env.fail(&["show", "nope"]),
        "claude-session: no session is named \"nope\" or has an id starting with it (see `claude-session list`)"
    );
    assert_eq!(
        env.fail(&["path", "00000000-0000-0000-0000-000000000000"]),
        "claude-session: no session has the id 00000000-0000-0000-0000-000000000000 (see `claude-session list`)"
    );
}

#[test]
fn a_missing_working_dir_creates_nothing() {
    let env = Env::new();
    let err = env.fail(&["new", "x", "--no-launch", "--cwd", "/nonexistent/dir"]);
    assert!(
        err.starts_with("claude-session: the working directory /nonexistent/dir is not usable"),
        "{err}"
    );
    assert_eq!(env.list().len(), 0);
}

#[test]
fn store_is_private() {
    let env = Env::new();
    let id = env.create("alpha");
    assert_eq!(mode(&env.store), 0o700);
    assert_eq!(mode(&env.store.join("sessions")), 0o700);
    let dir = env.session_dir(&id);
    assert_eq!(mode(&dir), 0o700);
    for file in [
        "metadata.json",
        ".claude.json",
        "settings.json",
        "session.log",
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&env.store.join("registry.db")), 0o600);
    assert_eq!(mode(&env.store.join("audit.log")), 0o600);
}

#[test]
fn audit_log_records_create_and_delete() {
    let mut env = Env::new();
    env.set("SSH_CLIENT", "10.1.2.3 50000 22");
    let id = env.create("alpha");
    env.ok(&["rm", "alpha"]);
    let log = std::fs::read_to_string(env.store.join("audit.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2);
    let tail = format!("user=tester ssh=\"10.1.2.3 50000 22\" id={id} name=alpha");
    assert!(
        lines[0].ends_with(&format!(" create {tail}")),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(&format!(" delete {tail}")),
        "{}",
        lines[1]
    );
    assert!(
        lines[0].len() > 20 && lines[0].as_bytes()[19] == b'Z',
        "UTC time first: {}",
        lines[0]
    );
}

#[test]
fn seed_shorthands_still_work() {
    let env = Env::new();
    let out = env.ok(&["alpha", "--no-launch"]);
    let id = out.trim();
    assert_eq!(env.ok(&["-l"]).lines().count(), 2);
    assert_eq!(env.ok(&["-n", "beta", "--no-launch"]).trim().len(), 36);
    env.ok(&["-d", "alpha"]);
    assert!(!env.session_dir(id).exists());
    assert_eq!(env.list().len(), 1);
}

#[test]
fn list_fits_the_terminal_width() {
    let mut env = Env::new();
    let deep = env
        .home
        .join("projects/a-rather-long-directory-name/with/several/levels/api");
    std::fs::create_dir_all(&deep).unwrap();
    let a = env.ok(&[
        "new",
        "alpha",
        "--no-launch",
        "--cwd",
        deep.to_str().unwrap(),
    ]);
    let b = env.ok(&["new", "b", "--no-launch", "--cwd", deep.to_str().unwrap()]);
    let row = |name: &str, id: &str, cwd: &str| {
        format!(
            "{name:<5}  {}  created  0     0      just now       {cwd}",
            &id[..8]
        )
    };
    let sorted = |table: String| {
        let mut lines: Vec<String> = table.lines().map(str::to_string).collect();
        lines[1..].sort();
        lines
    };
    env.set("COLUMNS", "80");
    let short = "~/projects/a…al/levels/api";
    assert_eq!(
        sorted(env.ok(&["list"])),
        vec![
            "NAME   ID        STATUS   MSGS  TOOLS  LAST ACTIVITY  CWD".to_string(),
            row("alpha", &a, short),
            row("b", &b, short),
        ]
    );
    assert!(env.ok(&["list"]).lines().all(|l| l.chars().count() <= 80));
    env.set("COLUMNS", "200");
    let full = "~/projects/a-rather-long-directory-name/with/several/levels/api";
    assert_eq!(
        sorted(env.ok(&["list"])),
        vec![
            "NAME   ID        STATUS   MSGS  TOOLS  LAST ACTIVITY  CWD".to_string(),
            row("alpha", &a, full),
            row("b", &b, full),
        ]
    );
    // Off a terminal there are no colours, and --json is never shortened.
    assert!(!env.ok(&["list"]).contains('\x1b'));
    env.set("COLUMNS", "20");
    assert!(env.ok(&["list", "--json"]).contains(deep.to_str().unwrap()));
}

#[test]
fn colours_only_on_a_terminal_without_no_color() {
    let mut env = Env::new();
    env.create("alpha");
    let mut term = crate::support::pty::Terminal::spawn(&env, &["list"], 24, 100);
    assert!(term.wait_exit().success());
    term.wait_for("alpha");
    assert!(
        term.transcript().contains("\x1b[1mNAME\x1b[0m"),
        "{:?}",
        term.transcript()
    );
    env.set("NO_COLOR", "1");
    let mut plain = crate::support::pty::Terminal::spawn(&env, &["list"], 24, 100);
    assert!(plain.wait_exit().success());
    plain.wait_for("alpha");
    assert!(
        !plain.transcript().contains('\x1b'),
        "{:?}",
        plain.transcript()
    );
}
