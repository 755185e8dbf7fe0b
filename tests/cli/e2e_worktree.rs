//! End to end: the real Claude Code CLI in a session's worktree writes a
//! file there (the mock's "WRITE-FILE"), never in the main checkout, and
//! `diff` shows it; resumed, Claude still runs in the worktree.

use crate::support::mock_api::MockApi;
use crate::support::real::real_env;
use crate::worktree::{git, repo, worktree_of};
use std::fs;

/// The working directory Claude named in its latest request with `needle`.
fn claude_cwd(mock: &MockApi, needle: &str) -> String {
    let request = mock.requests_with(needle).pop().expect("a request");
    let text = request.to_string();
    let rest = text
        .split("Primary working directory: ")
        .nth(1)
        .expect("Claude names its working directory");
    rest.split("\\n").next().unwrap().to_string()
}

#[test]
fn claude_writes_in_the_session_worktree_and_diff_shows_it() {
    let Some((env, mock)) = real_env() else {
        return;
    };
    let repo = repo(&env, "my repo");
    let out = env.ok(&[
        "new",
        "writer",
        "--worktree",
        "--cwd",
        repo.to_str().unwrap(),
        "--",
        "-p",
        "WRITE-FILE hello.txt hello from claude",
        "--permission-mode",
        "acceptEdits",
    ]);
    assert!(out.contains("TOOL-DONE"), "{out}");
    let path = worktree_of(&env, "writer");
    assert_eq!(
        fs::read_to_string(path.join("hello.txt")).unwrap(),
        "hello from claude"
    );
    assert!(!repo.join("hello.txt").exists());
    assert_eq!(git(&env, &repo, &["status", "--porcelain"]), "");
    let diff = env.ok(&["diff", "writer"]);
    assert!(
        diff.contains("--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1 @@\n+hello from claude\n"),
        "{diff}"
    );
    assert_eq!(
        env.ok(&["diff", "writer", "--stat"]),
        " hello.txt | 1 +\n 1 file changed, 1 insertion(+)\n"
    );

    // Resumed, Claude runs in the worktree again, with its conversation.
    let out = env.ok(&["resume", "writer", "--", "-p", "where are you?"]);
    assert!(out.contains("ACK where are you?"), "{out}");
    assert_eq!(claude_cwd(&mock, "where are you?"), path.to_str().unwrap());
    let asked = mock
        .requests_with("where are you?")
        .pop()
        .unwrap()
        .to_string();
    assert!(
        asked.contains("WRITE-FILE hello.txt"),
        "the conversation was lost"
    );
}
