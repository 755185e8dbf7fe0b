//! What comes from outside and must stay in bounds (issue 16): MCP server
//! names that would lead out of the session, fields of a tampered
//! `metadata.json` or registry printed on a terminal, input files that are
//! devices, FIFOs or huge.

use crate::support::{Env, mode, wait_until};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

const NAME_RULE: &str = "is not allowed: a name is 1 to 64 letters, digits, '-' or '_'";

fn mcp_config(path: &Path, server: &str) {
    let template = serde_json::json!({"mcpServers": {server: {"command": "x"}}});
    fs::write(path, template.to_string()).unwrap();
}

#[test]
fn mcp_server_names_stay_inside_the_session() {
    let env = Env::new();
    let victim = env.root.join("victim");
    fs::create_dir(&victim).unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o755)).unwrap();

    // Refused where the template is read, before anything is made.
    let config = env.root.join("mcp.json");
    mcp_config(&config, victim.to_str().unwrap());
    let err = env.fail(&[
        "new",
        "a",
        "--no-launch",
        "--mcp-config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(
        err,
        format!(
            "claude-session: the MCP config {}: the MCP server name {:?} {NAME_RULE}",
            config.display(),
            victim.to_str().unwrap()
        )
    );
    assert!(env.list().is_empty());

    // A session's own template with such a name (written by an older
    // version, or by hand) stops the launch.
    let id = env.create("b");
    let dir = env.session_dir(&id);
    // <root>/home/.local/share/claude-session/sessions/<id>/mcp-state/..
    let escape = "../../../../../../../escaped-mcp";
    for name in [escape, victim.to_str().unwrap()] {
        mcp_config(&dir.join("mcp-template.json"), name);
        let err = env.fail(&["resume", "b"]);
        assert!(err.contains(&format!("{name:?} {NAME_RULE}")), "{err}");
    }
    assert!(!env.root.join("escaped-mcp").exists());
    assert_eq!(mode(&victim), 0o755);

    // A state dir is never made through a link.
    mcp_config(&dir.join("mcp-template.json"), "mem");
    std::os::unix::fs::symlink(&victim, dir.join("mcp-state")).unwrap();
    let err = env.fail(&["resume", "b"]);
    assert!(
        err.contains("cannot make the state dir of the MCP server \"mem\"")
            && err.contains("is not a dir (a link is not followed)"),
        "{err}"
    );
    assert_eq!(Env::count_entries(&victim), 0);
    assert_eq!(mode(&victim), 0o755);
    assert!(env.agent_runs().is_empty());
}

#[test]
fn fields_from_disk_are_printed_escaped() {
    let env = Env::new();
    let alpha = env.create("alpha");
    let beta = env.create("beta");
    let edit = |id: &str, key: &str, value: &str| {
        let path = env.session_dir(id).join("metadata.json");
        let mut meta: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        meta[key] = value.into();
        fs::write(&path, meta.to_string()).unwrap();
    };
    // Writes the clipboard, clears the screen, forges a row of `list`.
    edit(&alpha, "workingDirectory", "/w\u{1b}]52;c;aGk=\u{7}");
    edit(&alpha, "model", "\u{1b}[2Jopus");
    edit(&beta, "sessionName", "x\nforged  12345678  active");

    let out = env.run(&["rebuild"]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "{}: metadata.json holds the session name \"x\\nforged  12345678  active\", which is not valid",
            env.session_dir(&beta).display()
        )),
        "{stderr}"
    );
    let names: Vec<_> = env
        .list()
        .iter()
        .map(|s| s["sessionName"].clone())
        .collect();
    assert_eq!(names, ["alpha"]);

    let list = env.ok(&["list"]);
    assert!(!list.contains('\u{1b}'), "{list:?}");
    assert!(list.contains(r"/w\x1b]52;c;aGk=\x07"), "{list}");
    assert_eq!(list.lines().count(), 2, "{list}");
    let show = env.ok(&["show", "alpha"]);
    assert!(!show.contains('\u{1b}'), "{show:?}");
    assert!(show.contains(r"model:         \x1b[2Jopus"), "{show}");

    // A name the registry holds but should not (an older version, a hand
    // edit) never leads `export` out of the current dir.
    let conn = rusqlite::Connection::open(env.store.join("registry.db")).unwrap();
    conn.execute(
        "UPDATE sessions SET name = '../escaped' WHERE id = ?1",
        [&alpha],
    )
    .unwrap();
    drop(conn);
    let out = env.ok(&["export", &alpha]);
    let file = format!("session-{}.claude-session.tar.zst", &alpha[..8]);
    assert!(env.work.join(&file).is_file(), "{out}");
    assert!(
        !env.root
            .join(format!("escaped-{}.claude-session.tar.zst", &alpha[..8]))
            .exists()
    );
}

#[test]
fn input_files_are_read_only_if_regular_and_bounded() {
    let env = Env::new();
    let big = env.root.join("big.json");
    fs::File::create(&big).unwrap().set_len(16_000_001).unwrap();
    let fifo = env.root.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let cases = [
        (
            "--settings",
            big.to_str().unwrap(),
            format!(
                "cannot read the settings file {}: larger than 16.0 MB, the most claude-session reads of such a file",
                big.display()
            ),
        ),
        (
            "--settings",
            "/dev/zero",
            "cannot read the settings file /dev/zero: not a regular file".to_string(),
        ),
        (
            "--mcp-config",
            "/dev/zero",
            "cannot read the MCP config /dev/zero: not a regular file".to_string(),
        ),
    ];
    for (flag, file, why) in cases {
        let err = env.fail(&["new", "x", "--no-launch", flag, file]);
        assert_eq!(err, format!("claude-session: {why}"));
    }
    // A FIFO nobody writes to: an error, not a wait.
    for flag in ["--settings", "--mcp-config"] {
        let mut child = env.spawn(&["new", "x", "--no-launch", flag, fifo.to_str().unwrap()]);
        let hung = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_until(
                Duration::from_secs(20),
                || format!("new {flag} FIFO hangs"),
                || child.try_wait().unwrap(),
            )
        }));
        if hung.is_err() {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("new {flag} FIFO hangs");
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).ends_with(": not a regular file\n"),
            "{out:?}"
        );
    }
    assert!(env.list().is_empty());

    // The base's settings.json may be a link (dotfiles), not to a device.
    fs::create_dir_all(&env.base).unwrap();
    let mine = env.root.join("my-settings.json");
    fs::write(&mine, r#"{"env":{"MINE":"1"}}"#).unwrap();
    std::os::unix::fs::symlink(&mine, env.base.join("settings.json")).unwrap();
    let id = env.create("linked");
    let settings = fs::read_to_string(env.session_dir(&id).join("settings.json")).unwrap();
    assert!(settings.contains("MINE"), "{settings}");
    fs::remove_file(env.base.join("settings.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", env.base.join("settings.json")).unwrap();
    let err = env.fail(&["new", "y", "--no-launch"]);
    assert!(
        err.ends_with(&format!(
            "cannot read {}: not a regular file",
            env.base.join("settings.json").display()
        )),
        "{err}"
    );
}
