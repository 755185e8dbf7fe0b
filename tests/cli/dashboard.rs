//! The dashboard (`ui`) in tmux, as a person uses it, with the fake claude:
//! a session that starts waiting comes first with its reason, rings the
//! bell and runs --notify; Enter attaches and detaching comes back; the
//! keys pin, start, stop and delete sessions.

use crate::support::Env;
use crate::support::tmux::{Tmux, wait_screen};
use serde_json::json;

/// The table's row of `name`.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        l.get(2..)
            .is_some_and(|l| l.starts_with(&format!("{name} ")))
    })
}

#[test]
fn the_dashboard_follows_the_fleet_and_its_keys_act() {
    let mut env = Env::new();
    env.set("FAKE_AGENT_MODE", "interactive");
    env.set("FAKE_AGENT_STATUS", "1");
    let alpha = env.ok(&["new", "alpha", "--detached"]).trim().to_string();
    env.wait_peek("alpha", |s| s.contains("AGENT-READY"));
    env.create("beta");
    let notified = env.root.join("notified");
    let notify = format!("echo \"$1 $2\" >> '{}'", notified.display());
    let tmux = Tmux::start(&env, &["ui", "--notify", &notify], 100, 30);
    let screen = wait_screen(&tmux, |s| {
        row(s, "alpha").is_some_and(|l| l.contains("idle")) && row(s, "beta").is_some()
    });
    assert!(
        screen.starts_with("claude-session · 0 waiting · 0 working · 1 idle · 1 other"),
        "{screen}"
    );
    assert!(
        row(&screen, "beta").unwrap().contains("created"),
        "{screen}"
    );

    // Claude asks: the session comes first, with the reason (from the
    // hook), announced. Claude's own word (its sessions/<pid>.json) agrees.
    env.ok(&["send", "alpha", "ask"]);
    let payload = json!({"session_id": "c", "cwd": "/w", "hook_event_name": "PermissionRequest", "tool_name": "Bash"});
    env.hook(&alpha, &payload.to_string(), &[]);
    let screen = wait_screen(&tmux, |s| {
        s.lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("> alpha") && l.contains("waiting: permission for Bash"))
    });
    assert!(screen.starts_with("claude-session · 1 waiting"), "{screen}");
    crate::support::wait_for(|| {
        std::fs::read_to_string(&notified)
            .ok()
            .filter(|t| t == "alpha waiting\n")
    });
    let bell = tmux
        .cmd()
        .args(["display", "-p", "-t", "main", "#{window_bell_flag}"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&bell.stdout).trim(),
        "1",
        "the bell rang"
    );

    // Enter attaches; detaching comes back to the dashboard.
    tmux.keys(&["Enter"]);
    wait_screen(&tmux, |s| {
        s.contains("AGENT-READY") && !s.contains("claude-session ·")
    });
    tmux.keys(&["-H", "1c", "64"]);
    wait_screen(&tmux, |s| s.starts_with("claude-session ·"));

    // p pins the selected session.
    tmux.keys(&["p"]);
    wait_screen(&tmux, |s| row(s, "alpha *").is_some());
    assert_eq!(env.show("alpha")["pinned"], true);

    // n: a new session, named and started detached in the directory given.
    tmux.keys(&["n"]);
    wait_screen(&tmux, |s| s.contains("new session: name: _  directory: "));
    tmux.keys(&["-l", "gamma"]);
    tmux.keys(&["Enter"]);
    let screen = wait_screen(&tmux, |s| {
        row(s, "gamma").is_some_and(|l| l.starts_with("> "))
    });
    assert!(screen.contains("starting gamma: done"), "{screen}");
    assert_eq!(env.show("gamma")["status"], "active");

    // d on a running session says to stop it first; k asks, then stops.
    tmux.keys(&["d"]);
    wait_screen(&tmux, |s| {
        s.contains("gamma runs; k stops it, then d deletes it")
    });
    tmux.keys(&["k"]);
    wait_screen(&tmux, |s| s.contains("stop Claude in gamma? (y/n)"));
    tmux.keys(&["y"]);
    wait_screen(&tmux, |s| {
        row(s, "gamma").is_some_and(|l| l.contains("stopped"))
    });
    tmux.keys(&["d"]);
    wait_screen(&tmux, |s| s.contains("delete gamma? (y/n)"));
    tmux.keys(&["y"]);
    wait_screen(&tmux, |s| {
        row(s, "gamma").is_none() && s.contains("deleting gamma: done")
    });
    assert!(env.list().iter().all(|s| s["sessionName"] != "gamma"));

    tmux.keys(&["q"]);
    wait_screen(&tmux, |s| s.contains("EXITED=0"));
    env.ok(&["kill", "alpha"]);
}

#[test]
fn off_a_terminal_the_dashboard_points_to_list_json() {
    let env = Env::new();
    assert_eq!(
        env.fail(&["ui"]),
        "claude-session: the dashboard needs a terminal; scripts can read `claude-session list --json`"
    );
}

/// A session with a worktree: the preview's title says what git says of
/// it, and follows the work done in it.
#[test]
fn the_preview_says_what_git_says_of_a_worktree() {
    use crate::worktree::{git, repo, worktree_of};
    let env = Env::new();
    let repo = repo(&env, "api");
    let cwd = repo.to_str().unwrap();
    env.ok(&["new", "feat", "--no-launch", "--cwd", cwd, "--worktree"]);
    let dir = worktree_of(&env, "feat");
    std::fs::write(dir.join("notes.md"), "todo\n").unwrap();
    git(&env, &dir, &["add", "notes.md"]);
    git(&env, &dir, &["commit", "-q", "-m", "notes"]);
    let tmux = Tmux::start(&env, &["ui", "--no-bell"], 120, 30);
    wait_screen(&tmux, |s| {
        s.contains(" feat · no conversation yet · 1 commit ahead of main, 0 uncommitted files ─")
    });
    std::fs::write(dir.join("scratch.txt"), "x\n").unwrap();
    wait_screen(&tmux, |s| {
        s.contains(" feat · no conversation yet · 1 commit ahead of main, 1 uncommitted file ─")
    });
    tmux.keys(&["q"]);
    wait_screen(&tmux, |s| s.contains("EXITED=0"));
}
