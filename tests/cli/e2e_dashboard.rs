//! The dashboard, `peek` and `send` with the real Claude Code CLI against
//! the mock API, driven through tmux as a person would.

use crate::support::real::{prompt_shown, real_env, start_asking};
use crate::support::tmux::{Tmux, wait_screen};
use crate::support::wait_until;
use std::time::Duration;

/// What Claude Code's permission dialog asks.
const DIALOG: &str = "Do you want to proceed?";

/// The table's row of `name` on the dashboard's screen.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        l.get(2..)
            .is_some_and(|l| l.starts_with(&format!("{name} ")))
    })
}

#[test]
fn e2e_the_dashboard_shows_who_waits_and_takes_you_there() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    env.ok(&["new", "calm", "--detached"]);
    start_asking(&env, "asks");
    env.wait_peek("calm", prompt_shown);
    // send types into a running Claude; peek reads its screen.
    env.ok(&["send", "calm", "ping CALM-1"]);
    env.wait_peek("calm", |s| s.contains("ACK ping CALM-1"));
    assert!(!mock.requests_with("CALM-1").is_empty());
    env.ok(&["send", "asks", "USE-TOOL SLOW please"]);
    wait_until(
        Duration::from_secs(60),
        || format!("asks never waited: {}", env.show("asks")),
        || (env.show("asks")["state"] == "waiting").then_some(()),
    );

    let tmux = Tmux::start(&env, &["ui", "--no-bell"], 120, 40);
    // The session that asks comes first, with its reason, and its preview
    // shows the dialog.
    // calm's reply is on its screen before Claude's Stop hook says it is
    // idle: wait for that too.
    let screen = wait_screen(&tmux, |s| {
        s.lines().nth(2).is_some_and(|l| l.starts_with("> asks"))
            && s.contains(DIALOG)
            && row(s, "calm").is_some_and(|l| l.contains("idle"))
    });
    let asks = row(&screen, "asks").unwrap();
    assert!(asks.contains("waiting: permission for Read"), "{screen}");
    assert!(row(&screen, "calm").unwrap().contains("idle"), "{screen}");
    assert!(
        screen.starts_with("claude-session · 1 waiting · 0 working · 1 idle"),
        "{screen}"
    );

    // Enter attaches: Claude's own screen, the dialog on it.
    tmux.keys(&["Enter"]);
    wait_screen(&tmux, |s| {
        !s.contains("claude-session ·") && s.contains(DIALOG)
    });
    // "Yes" is selected: Enter approves; the slow answer keeps it working.
    // Claude redraws for the attach's screen size first, and a key that
    // comes during that redraw can be lost: pressed again, as a person
    // would.
    wait_until(
        Duration::from_secs(30),
        || {
            format!(
                "asks never worked: {}\n{}",
                env.show("asks"),
                tmux.capture()
            )
        },
        || {
            if env.show("asks")["state"] == "waiting" {
                tmux.keys(&["Enter"]);
                std::thread::sleep(Duration::from_secs(2));
            }
            (env.show("asks")["state"] == "working").then_some(())
        },
    );
    // Detaching comes back to the dashboard, which follows the session.
    tmux.keys(&["-H", "1c", "64"]);
    let screen = wait_screen(&tmux, |s| {
        row(s, "asks").is_some_and(|l| l.contains("working"))
    });
    assert!(
        screen.contains("claude-session · 0 waiting · 1 working"),
        "{screen}"
    );
    // Then idle, the answer in the preview (read again every second).
    wait_screen(&tmux, |s| {
        row(s, "asks").is_some_and(|l| l.contains("idle")) && s.contains("TOOL-DONE")
    });
    tmux.keys(&["q"]);
    wait_screen(&tmux, |s| s.contains("EXITED=0"));
    for name in ["calm", "asks"] {
        env.ok(&["kill", name]);
    }
}
