//! Sessions on other hosts over real OpenSSH (support::sshd): two "hosts"
//! on 127.0.0.1, each an sshd with its own HOME and store, reached by the
//! local claude-session through `ssh`.

use crate::support::pty::Terminal;
use crate::support::sshd::{Ssh, Sshd};
use crate::support::{BIN, Env, wait_for};
use serde_json::Value;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// This machine, and hosts `a` and `b` added to it (ssh aliases alpha
/// and beta).
struct Fleet {
    // Servers first: dropped before the Envs whose sessions they serve.
    _sshd_a: Sshd,
    sshd_b: Sshd,
    _ssh: Ssh,
    local: Env,
    a: Env,
    b: Env,
}

/// `a` and `b` made ready by `prepare` (variables set there apply on the
/// host), served, and added.
fn fleet(prepare: impl Fn(&mut Env)) -> Option<Fleet> {
    let local = Env::new();
    let mut ssh = Ssh::new(&local)?;
    let (mut a, mut b) = (Env::new(), Env::new());
    prepare(&mut a);
    prepare(&mut b);
    let sshd_a = ssh.serve("alpha", &a);
    let sshd_b = ssh.serve("beta", &b);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        local.ok(&["host", "add", "a", "alpha"]),
        format!("added host a (alpha): claude-session {version}\n")
    );
    assert_eq!(
        local.ok(&["host", "add", "b", "beta"]),
        format!("added host b (beta): claude-session {version}\n")
    );
    Some(Fleet {
        _sshd_a: sshd_a,
        sshd_b,
        _ssh: ssh,
        local,
        a,
        b,
    })
}

/// `list --all-hosts` rows as (host, name, status) words.
fn rows(table: &str) -> Vec<(String, String, String)> {
    table
        .lines()
        .skip(1)
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words[0].into(), words[1].into(), words[3].into())
        })
        .collect()
}

fn row(host: &str, name: &str, status: &str) -> (String, String, String) {
    (host.into(), name.into(), status.into())
}

/// Replaces `env`'s claude-session with a script.
fn fake_program(env: &Env, script: &str) {
    let path = env.bin_dir.join("claude-session");
    let _ = fs::remove_file(&path);
    fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn list_all_hosts_merges_every_host_with_a_host_column() {
    let Some(f) = fleet(|_| {}) else { return };
    f.local.create("here");
    f.a.create("one");
    f.a.create("two");
    f.b.create("three");
    let table = f.local.ok(&["list", "--all-hosts"]);
    assert!(table.starts_with("HOST   NAME   ID"), "{table}");
    let mut got = rows(&table);
    got.sort();
    assert_eq!(
        got,
        [
            row("a", "one", "created"),
            row("a", "two", "created"),
            row("b", "three", "created"),
            row("local", "here", "created"),
        ]
    );
    let json: Value =
        serde_json::from_str(&f.local.ok(&["list", "--all-hosts", "--json"])).unwrap();
    let hosts: Vec<(&str, &str, Vec<&str>)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let names = h["sessions"].as_array().unwrap().iter();
            (
                h["host"].as_str().unwrap(),
                h["status"].as_str().unwrap(),
                names.map(|s| s["sessionName"].as_str().unwrap()).collect(),
            )
        })
        .collect();
    assert_eq!(
        hosts,
        [
            ("local", "ok", vec!["here"]),
            ("a", "ok", vec!["two", "one"]),
            ("b", "ok", vec!["three"]),
        ]
    );
    assert_eq!(json[1]["destination"], "alpha");
    assert_eq!(json[1]["version"], env!("CARGO_PKG_VERSION"));
    // The host's own `list --json` form, its dir on the host.
    let one = f.a.show("one");
    assert_eq!(json[1]["sessions"][1]["sessionDir"], one["sessionDir"]);
    // `host list`: each host asked.
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        f.local.ok(&["host", "list"]),
        format!(
            "NAME  DESTINATION  VERSION  SESSIONS  STATUS\n\
             a     alpha        {version}    2         ok\n\
             b     beta         {version}    1         ok\n"
        )
    );
    // Kept private: 0600 in a 0700 dir.
    let config = f.local.home.join(".config/claude-session");
    assert_eq!(crate::support::mode(&config), 0o700);
    assert_eq!(crate::support::mode(&config.join("hosts.json")), 0o600);
}

#[test]
fn new_on_a_host_and_attach_by_name_at_host_through_a_terminal() {
    let Some(f) = fleet(|env| env.set("FAKE_AGENT_MODE", "interactive")) else {
        return;
    };
    let cwd = f.a.work.to_str().unwrap();
    let mut term = Terminal::spawn(
        &f.local,
        &["new", "--host", "a", "demo", "--cwd", cwd],
        24,
        80,
    );
    term.wait_for("AGENT-READY");
    term.type_bytes(b"hello\r");
    term.wait_for("got:hello");
    // The detach keys reach the attach client on the host.
    term.type_bytes(b"\x1cd");
    assert_eq!(term.wait_exit().code(), Some(0));
    term.wait_for("claude-session: detached from demo");
    let demo = f.a.show("demo");
    assert_eq!(demo["status"], "active");
    assert_eq!(demo["clients"], 0);
    assert!(f.local.list().is_empty(), "nothing is made here");

    let mut term = Terminal::spawn(&f.local, &["attach", "demo@a"], 24, 80);
    term.wait_for("got:hello");
    term.type_bytes(b"quit\r");
    // Claude's exit status, from the host.
    assert_eq!(term.wait_exit().code(), Some(3));
    assert_eq!(f.a.show("demo")["status"], "stopped");
}

#[test]
fn commands_reach_the_host_with_every_word_as_typed() {
    let Some(f) = fleet(|env| env.set("FAKE_AGENT_MODE", "interactive")) else {
        return;
    };
    let marker = f.local.root.join("pwned");
    let text = format!(
        "it's \"q\" $(touch {0}) `touch {0}` $HOME \\ * ~",
        marker.display()
    );
    let prompt = format!("{text}\nsecond line");
    let cwd = f.a.work.to_str().unwrap();
    let id = f.local.ok(&[
        "new",
        "demo@a",
        "--cwd",
        cwd,
        "--detached",
        "--append-system-prompt",
        &prompt,
        "--",
        "--verbose",
        &text,
    ]);
    assert_eq!(f.a.show("demo")["sessionId"], id.trim());
    // A detached start returns before Claude is up.
    let run = wait_for(|| f.a.agent_runs().pop());
    let prompt_at = run
        .argv
        .iter()
        .position(|a| a == "--append-system-prompt")
        .unwrap();
    assert_eq!(
        run.argv[prompt_at + 1..prompt_at + 3],
        [&text, "second line"]
    );
    assert_eq!(run.argv[run.argv.len() - 2..], ["--verbose", &text]);

    wait_for(|| {
        f.local
            .ok(&["peek", "demo@a"])
            .contains("AGENT-READY")
            .then_some(())
    });
    f.local.ok(&["send", "demo@a", "--", &text]);
    let screen = wait_for(|| {
        let screen = f.local.ok(&["peek", "demo", "--host", "a"]);
        screen.contains("got:").then_some(screen)
    });
    assert!(screen.contains(&format!("got:{text}")), "{screen}");
    assert!(!marker.exists(), "a word was run by the host's shell");

    let shown: Value = serde_json::from_str(&f.local.ok(&["show", "demo@a", "--json"])).unwrap();
    assert_eq!(shown["sessionName"], "demo");
    // The host's errors and exit status, as the host says them.
    assert_eq!(
        f.local.fail(&["show", "nosuch@a"]),
        "claude-session: no session is named \"nosuch\" or has an id starting with it (see `claude-session list`)"
    );
    assert_eq!(
        f.local.ok(&["kill", "demo@a", "--timeout", "5"]),
        "stopped demo\n"
    );
    f.local.ok(&["rm", "demo", "--host", "a"]);
    assert!(f.a.list().is_empty());
    assert!(f.b.list().is_empty());
    assert_eq!(f.local.list().len(), 0);
}

/// Every command that names a session takes NAME@HOST (and --host): what
/// it changes is changed on the host, and only there.
#[test]
fn a_session_is_named_at_its_host_by_every_command() {
    let Some(f) = fleet(|env| {
        env.set("FAKE_AGENT_MODE", "interactive");
        env.set("FAKE_AGENT_STATUS", "1");
    }) else {
        return;
    };
    f.local.ok(&["new", "demo@a", "--detached"]);
    // Claude's own word that it is at rest, as a hibernation needs.
    wait_for(|| (f.a.show("demo")["state"] == "idle").then_some(()));
    let id = f.a.show("demo")["sessionId"].as_str().unwrap().to_string();

    assert_eq!(
        f.local.ok(&["pin", "demo@a"]),
        format!("pinned demo ({})\n", &id[..8])
    );
    assert_eq!(f.a.show("demo")["pinned"], true);
    f.local.ok(&["unpin", "demo", "--host", "a"]);
    assert_eq!(f.a.show("demo")["pinned"], false);
    f.local.ok(&["set", "demo@a", "model=opus"]);
    assert_eq!(f.a.show("demo")["model"], "opus");
    assert_eq!(
        f.local.ok(&["path", "demo@a"]).trim(),
        f.a.session_dir(&id).to_str().unwrap()
    );
    let stats: Value = serde_json::from_str(&f.local.ok(&["stats", "demo@a", "--json"])).unwrap();
    assert_eq!(stats["sessions"][0]["sessionId"], id.as_str(), "{stats}");

    assert_eq!(f.local.ok(&["hibernate", "demo@a"]), "hibernated demo\n");
    assert_eq!(f.a.show("demo")["status"], "hibernated");
    f.local.ok(&["wake", "demo@a"]);
    wait_for(|| (f.a.show("demo")["status"] == "active").then_some(()));
    // A session of another host is not found here, nor on b.
    assert!(f.local.list().is_empty() && f.b.list().is_empty());
    assert_eq!(
        f.local.fail(&["pin", "demo@b"]),
        "claude-session: no session is named \"demo\" or has an id starting with it (see `claude-session list`)"
    );
    f.local.ok(&["kill", "demo@a"]);
}

/// `diff NAME@HOST`: the session's changes in its worktree on the host,
/// through git there.
#[test]
fn diff_shows_a_worktree_of_another_host() {
    use crate::worktree::{repo, worktree_of};
    let Some(f) = fleet(|_| {}) else {
        return;
    };
    let repo = repo(&f.a, "api");
    let cwd = repo.to_str().unwrap();
    f.local
        .ok(&["new", "feat@a", "--no-launch", "--cwd", cwd, "--worktree"]);
    let dir = worktree_of(&f.a, "feat");
    fs::write(dir.join("notes.md"), "remote work\n").unwrap();
    let diff = f.local.ok(&["diff", "feat@a", "--stat"]);
    assert!(diff.contains("notes.md | 1 +"), "{diff}");
    assert!(
        f.local
            .ok(&["diff", "feat", "--host", "a"])
            .contains("+remote work")
    );
    assert!(!repo.join("notes.md").exists());
}

/// Only `list --all-hosts --json` has hosts run git for their worktrees;
/// the table, `host list` and the dashboard's survey (every 3 s) do not.
#[test]
fn hosts_run_git_only_for_the_json_listing() {
    let Some(f) = fleet(|_| {}) else {
        return;
    };
    let log = f.a.root.join("calls");
    fake_program(
        &f.a,
        &format!(
            "[ \"$1\" = __remote ] && echo \"$*\" | grep -o -- '--list.*' >> '{}'\nexec {} \"$@\"",
            log.display(),
            BIN
        ),
    );
    let calls = |args: &[&str]| {
        let _ = fs::remove_file(&log);
        f.local.ok(args);
        fs::read_to_string(&log).unwrap_or_default()
    };
    assert_eq!(calls(&["list", "--all-hosts"]), "--list --no-git\n");
    assert_eq!(calls(&["host", "list"]), "--list --no-git\n");
    assert_eq!(calls(&["list", "--all-hosts", "--json"]), "--list\n");
    let _ = fs::remove_file(&log);
    let tmux = crate::support::tmux::Tmux::start(&f.local, &["ui", "--no-bell"], 120, 30);
    crate::support::tmux::wait_screen(&tmux, |s| s.contains("sort: urgency"));
    wait_for(|| fs::read_to_string(&log).ok().filter(|l| !l.is_empty()));
    tmux.keys(&["q"]);
    let asked = fs::read_to_string(&log).unwrap();
    assert!(asked.lines().all(|l| l == "--list --no-git"), "{asked}");
}

/// A host whose claude-session is of this protocol but from before
/// `__remote --no-git` still lists: asked again the older way.
#[test]
fn a_host_from_before_no_git_still_lists() {
    let Some(f) = fleet(|_| {}) else {
        return;
    };
    f.a.create("one");
    fake_program(
        &f.a,
        &format!(
            r#"for word; do [ "$word" = --no-git ] && {{ echo "error: unexpected argument '--no-git' found" >&2; exit 2; }}; done
exec {} "$@""#,
            BIN
        ),
    );
    let table = f.local.ok(&["list", "--all-hosts"]);
    assert!(
        rows(&table).contains(&row("a", "one", "created")),
        "{table}"
    );
}

#[test]
fn a_host_killed_mid_refresh_leaves_the_others_listed() {
    let Some(mut f) = fleet(|_| {}) else { return };
    f.a.create("one");
    // b's claude-session starts to list, then hangs: a refresh in the middle.
    let listing = f.b.root.join("listing");
    fake_program(
        &f.b,
        &format!("touch '{}'; exec sleep 60", listing.display()),
    );
    let start = Instant::now();
    let child = f
        .local
        .spawn(&["list", "--all-hosts", "--host-timeout", "60"]);
    wait_for(|| listing.exists().then_some(()));
    f.sshd_b.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let got = rows(&table);
    assert_eq!(
        got,
        [row("a", "one", "created"), row("b", "-", "unreachable")],
        "{table}"
    );
    assert!(table.contains("cannot reach it: "), "{table}");
}

#[test]
fn a_host_that_stops_answering_shows_as_such_within_its_timeout() {
    let Some(mut f) = fleet(|_| {}) else { return };
    f.a.create("one");
    f.sshd_b.freeze();
    let start = Instant::now();
    let table = f.local.ok(&["list", "--all-hosts", "--host-timeout", "2"]);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert_eq!(
        rows(&table),
        [row("a", "one", "created"), row("b", "-", "timeout")],
        "{table}"
    );
    assert!(table.ends_with("no answer within 2 s\n"), "{table}");
    let json: Value = serde_json::from_str(&f.local.ok(&[
        "list",
        "--all-hosts",
        "--json",
        "--host-timeout",
        "1",
    ]))
    .unwrap();
    assert_eq!(json[2]["status"], "timeout");
    assert_eq!(json[2]["error"], "no answer within 1 s");
    assert_eq!(json[1]["sessions"][0]["sessionName"], "one");
}

#[test]
fn a_host_that_cannot_be_used_says_why_in_one_line() {
    let local = Env::new();
    let Some(mut ssh) = Ssh::new(&local) else {
        return;
    };
    let bare = Env::new();
    let _sshd = ssh.serve("bare", &bare);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let destination = format!("ssh://127.0.0.1:{closed}");
    assert_eq!(
        local.fail(&["host", "add", "c", &destination]),
        format!(
            "claude-session: host c: cannot reach it: ssh: connect to host 127.0.0.1 port {closed}: Connection refused; it was not added (--no-check adds it anyway)"
        )
    );
    assert_eq!(
        local.fail(&["host", "add", "c", "--", "-oProxyCommand=sh"]),
        "claude-session: invalid destination \"-oProxyCommand=sh\": it would be read as an option of ssh"
    );
    fs::remove_file(bare.bin_dir.join("claude-session")).unwrap();
    assert_eq!(
        local.fail(&["host", "add", "c", "bare"]),
        "claude-session: host c: claude-session is not installed there, or not on the PATH of commands run over ssh (`host add NAME DESTINATION --program PATH` names it); it was not added (--no-check adds it anyway)"
    );
    fake_program(
        &bare,
        r#"echo '{"protocol":99,"version":"9.0.0","echo":""}'"#,
    );
    assert_eq!(
        local.fail(&["host", "add", "c", "bare"]),
        format!(
            "claude-session: host c: its claude-session 9.0.0 speaks remote protocol 99, this one ({0}) 1: install the same version on both; it was not added (--no-check adds it anyway)",
            env!("CARGO_PKG_VERSION")
        )
    );
    // A claude-session from before hosts: clap's refusal, then its version.
    fake_program(
        &bare,
        r#"[ "$1" = --version ] && { echo 'claude-session 0.0.9'; exit 0; }
echo "error: unrecognized subcommand '$1'" >&2; exit 2"#,
    );
    assert_eq!(
        local.fail(&["host", "add", "c", "bare"]),
        format!(
            "claude-session: host c: its claude-session 0.0.9 cannot be used from another host: install claude-session {} there; it was not added (--no-check adds it anyway)",
            env!("CARGO_PKG_VERSION")
        )
    );
    // Nothing was added; a host added unchecked says the same on use.
    assert_eq!(local.ok(&["host", "list", "--json"]), "[]\n");
    assert_eq!(
        local.ok(&["host", "add", "c", "bare", "--no-check"]),
        "added host c (bare): not checked\n"
    );
    assert_eq!(
        local.fail(&["show", "x@c"]),
        format!(
            "claude-session: host c: its claude-session 0.0.9 cannot be used from another host: install claude-session {} there",
            env!("CARGO_PKG_VERSION")
        )
    );
    // The program named instead of PATH's.
    fs::remove_file(bare.bin_dir.join("claude-session")).unwrap();
    local.ok(&["host", "rm", "c"]);
    local.ok(&["host", "add", "c", "bare", "--program", BIN]);
    bare.create("x");
    let shown: Value = serde_json::from_str(&local.ok(&["show", "x@c", "--json"])).unwrap();
    assert_eq!(shown["sessionName"], "x");
}

#[test]
fn hosts_are_named_once_and_forgotten_on_request() {
    let local = Env::new();
    assert_eq!(
        local.fail(&["show", "x@gpu"]),
        "claude-session: no host named gpu: none is added yet (`claude-session host add gpu DESTINATION`)"
    );
    assert_eq!(
        local.ok(&["host", "add", "gpu", "me@gpu.example", "--no-check"]),
        "added host gpu (me@gpu.example): not checked\n"
    );
    assert_eq!(
        local.fail(&["host", "add", "gpu", "other", "--no-check"]),
        "claude-session: a host named gpu exists (me@gpu.example); `claude-session host rm gpu` first"
    );
    assert_eq!(
        local.fail(&["host", "add", "local", "x", "--no-check"]),
        "claude-session: local is this machine's name in claude-session; pick another"
    );
    assert_eq!(
        local.fail(&["show", "x@cpu"]),
        "claude-session: no host named cpu; `claude-session host list` shows them"
    );
    // Usage errors, exit 2.
    let out = local.run(&["rm", "x@gpu", "y@cpu"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "claude-session: name sessions of one host at a time (SESSION@HOST, --host)\n"
    );
    // `@local` is this machine.
    local.create("here");
    assert_eq!(local.show("here@local")["sessionName"], "here");
    assert_eq!(
        local.fail(&["host", "rm", "gpu", "cpu"]),
        "claude-session: no host named cpu; `claude-session host list` shows them"
    );
    assert_eq!(
        local.ok(&["host", "rm", "gpu"]),
        "removed host gpu (me@gpu.example)\n"
    );
    assert_eq!(local.ok(&["host", "list", "--json"]), "[]\n");
    // Without hosts, --all-hosts is this machine with a HOST column.
    assert_eq!(
        rows(&local.ok(&["list", "--all-hosts"])),
        [row("local", "here", "created")]
    );
    assert!(Path::new(&local.home.join(".config/claude-session/hosts.json")).exists());
}

#[test]
fn the_dashboard_shows_every_host_and_outlives_one_that_dies() {
    let Some(mut f) = fleet(|_| {}) else { return };
    f.a.create("one");
    f.b.create("two");
    f.local.create("here");
    let tmux = crate::support::tmux::Tmux::start(&f.local, &["ui", "--no-bell"], 120, 30);
    let screen = crate::support::tmux::wait_screen(&tmux, |s| {
        s.contains("one@a ") && s.contains("two@b ") && s.contains("here ")
    });
    assert!(
        screen.starts_with("claude-session · 0 waiting · 0 working · 0 idle · 3 other"),
        "{screen}"
    );
    // A host's session selected: its preview comes from the host.
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "one"]);
    tmux.keys(&["Enter"]);
    crate::support::tmux::wait_screen(&tmux, |s| s.contains(" one@a · no conversation yet "));
    tmux.keys(&["/", "Escape"]);
    f.sshd_b.kill();
    let screen = crate::support::tmux::wait_screen(&tmux, |s| s.contains("· b: unreachable"));
    assert!(
        screen.contains("one@a ") && screen.contains("here "),
        "{screen}"
    );
    assert!(!screen.contains("two@b "), "{screen}");
    // Still answering keys.
    tmux.keys(&["s"]);
    crate::support::tmux::wait_screen(&tmux, |s| s.contains("sort: activity"));
    tmux.keys(&["q"]);
    crate::support::tmux::wait_screen(&tmux, |s| s.contains("EXITED=0"));
}
