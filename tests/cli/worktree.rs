//! `new --worktree`: a git worktree per session, bound to it for life;
//! `diff`; `rm` and `cleanup` that never lose work in it; orphans both
//! ways. Real git in temporary repositories (one with a space in its
//! path).

use crate::support::{Env, backdate};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// git in `dir`, as the user of the test HOME; its stdout.
pub fn git(env: &Env, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", &env.home)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A repository at `<root>/<name>` with one commit on `main`: src/lib.rs.
pub fn repo(env: &Env, name: &str) -> PathBuf {
    let dir = env.root.join(name);
    fs::create_dir_all(dir.join("src")).unwrap();
    git(env, &dir, &["init", "-q", "-b", "main"]);
    git(env, &dir, &["config", "user.name", "Tester"]);
    git(env, &dir, &["config", "user.email", "tester@example.com"]);
    fs::write(dir.join("src/lib.rs"), "fn main() {}\n").unwrap();
    commit_all(env, &dir, "init");
    dir
}

fn commit_all(env: &Env, dir: &Path, message: &str) {
    git(env, dir, &["add", "-A"]);
    git(env, dir, &["commit", "-q", "-m", message]);
}

fn head(env: &Env, dir: &Path) -> String {
    git(env, dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn short(env: &Env, dir: &Path, rev: &str) -> String {
    git(env, dir, &["rev-parse", "--short", rev])
        .trim()
        .to_string()
}

/// `new NAME --worktree --no-launch` in `dir` (no NAME if empty), extra
/// arguments after; the id.
fn create(env: &Env, name: &str, dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["new", "--no-launch", "--cwd", dir.to_str().unwrap()];
    if !name.is_empty() {
        args.insert(1, name);
    }
    args.push("--worktree");
    args.extend_from_slice(extra);
    env.ok(&args).trim().to_string()
}

pub fn worktree_of(env: &Env, name: &str) -> PathBuf {
    PathBuf::from(env.show(name)["worktree"]["path"].as_str().unwrap())
}

fn branches(env: &Env, repo: &Path) -> Vec<String> {
    git(env, repo, &["branch", "--format=%(refname:short)"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The paths of the repository's working trees, the main one first.
fn worktrees(env: &Env, repo: &Path) -> Vec<PathBuf> {
    git(env, repo, &["worktree", "list", "--porcelain"])
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .map(PathBuf::from)
        .collect()
}

fn names(env: &Env) -> Vec<String> {
    env.list()
        .iter()
        .map(|s| s["sessionName"].as_str().unwrap().to_string())
        .collect()
}

fn json(env: &Env, args: &[&str]) -> Value {
    serde_json::from_str(&env.ok(args)).unwrap()
}

#[test]
fn a_session_runs_in_its_own_worktree_for_life() {
    let env = Env::new();
    let repo = repo(&env, "my repo");
    let base = head(&env, &repo);
    // Started in a subdir: the session runs in the same subdir of its worktree.
    env.ok(&[
        "new",
        "feat",
        "--worktree",
        "--cwd",
        repo.join("src").to_str().unwrap(),
    ]);
    let s = env.show("feat");
    let id = s["sessionId"].as_str().unwrap();
    let path = env
        .store
        .join("worktrees")
        .join(format!("my-repo-{}", &id[..8]));
    assert_eq!(
        s["worktree"],
        json!({
            "repository": repo, "path": path, "branch": "claude/feat",
            "baseRef": "refs/heads/main", "baseCommit": base,
        })
    );
    assert_eq!(s["workingDirectory"], json!(path.join("src")));
    assert_eq!(env.only_agent_run().cwd, path.join("src"));
    assert_eq!(worktrees(&env, &repo), [repo.clone(), path.clone()]);
    assert_eq!(branches(&env, &repo), ["claude/feat", "main"]);
    assert_eq!(
        s["worktreeState"],
        json!({"present": true, "ahead": 0, "uncommittedFiles": []})
    );

    // Work in it shows in list --json and show; the main checkout is untouched.
    fs::write(path.join("src/new.rs"), "// new\n").unwrap();
    fs::write(path.join("notes.txt"), "notes\n").unwrap();
    commit_all(&env, &path, "add notes");
    fs::write(path.join("src/lib.rs"), "fn main() { changed() }\n").unwrap();
    fs::write(path.join("src/new.rs"), "// new again\n").unwrap();
    let listed = env.list();
    assert_eq!(
        listed[0]["worktreeState"],
        json!({"present": true, "ahead": 1, "uncommittedFiles": ["src/lib.rs", "src/new.rs"]})
    );
    assert!(!repo.join("notes.txt").exists());
    let text = env.ok(&["show", "feat"]);
    let tail: Vec<&str> = text.lines().rev().take(4).collect();
    assert_eq!(
        tail,
        [
            "changes:       1 commit ahead of main, 2 uncommitted files",
            &*format!("branch:        claude/feat (from main at {})", &base[..7]),
            &*format!("repository:    {}", repo.display()),
            &*format!("worktree:      {}", path.display()),
        ]
    );

    // resume runs in it, with the conversation of that directory.
    env.ok(&["resume", "feat"]);
    let runs = env.agent_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].cwd, path.join("src"));
    assert!(
        runs[1].argv.contains(&"--resume".to_string()),
        "{:?}",
        runs[1].argv
    );
}

#[test]
fn an_unnamed_session_names_its_branch_and_from_picks_the_base() {
    let env = Env::new();
    let repo = repo(&env, "api");
    let first = head(&env, &repo);
    fs::write(repo.join("second.txt"), "2\n").unwrap();
    commit_all(&env, &repo, "second");
    git(&env, &repo, &["tag", "v1", &first]);
    create(&env, "", &repo, &[]);
    create(&env, "", &repo, &["topic", "--from", "v1"]);
    let sessions = env.list();
    let by_name = |name: &str| {
        sessions
            .iter()
            .find(|s| s["sessionName"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(by_name("api-1")["worktree"]["branch"], "claude/api-1");
    // Started at the top: the worktree's top, exactly (Claude files
    // conversations by the path).
    assert_eq!(
        by_name("api-1")["workingDirectory"],
        by_name("api-1")["worktree"]["path"]
    );
    let tagged = &by_name("api-2")["worktree"];
    assert_eq!(
        (&tagged["branch"], &tagged["baseRef"], &tagged["baseCommit"]),
        (&json!("topic"), &json!("refs/tags/v1"), &json!(first))
    );
    // The worktree is at the tag, not at HEAD.
    assert!(
        !PathBuf::from(tagged["path"].as_str().unwrap())
            .join("second.txt")
            .exists()
    );
}

#[test]
fn what_cannot_be_made_is_one_line_and_leaves_nothing() {
    let env = Env::new();
    let repo = repo(&env, "my repo");
    git(&env, &repo, &["branch", "claude/taken"]);
    git(&env, &repo, &["branch", "mine"]);
    let bare = env.root.join("bare.git");
    git(&env, &env.root, &["init", "-q", "--bare", "bare.git"]);
    let empty = env.root.join("empty");
    fs::create_dir_all(&empty).unwrap();
    git(&env, &empty, &["init", "-q"]);
    let cases: [(&Path, &[&str], String); 7] = [
        (
            &env.work,
            &[],
            format!("{} is not in a git repository", env.work.display()),
        ),
        (
            &bare,
            &[],
            format!(
                "{} is a bare repository: run it in one of its working trees",
                bare.display()
            ),
        ),
        (
            &empty,
            &[],
            format!(
                "the repository {} has no commit yet to start from",
                empty.display()
            ),
        ),
        (
            &repo,
            &[],
            format!(
                "the branch claude/taken already exists in {}; name a new one: --worktree BRANCH",
                repo.display()
            ),
        ),
        (
            &repo,
            &["mine"],
            format!(
                "the branch mine already exists in {}; name a new one: --worktree BRANCH",
                repo.display()
            ),
        ),
        (
            &repo,
            &["a..b"],
            "\"a..b\" is not a valid branch name".to_string(),
        ),
        (
            &repo,
            &["ok", "--from", "nope"],
            format!("--from \"nope\" is not a commit of {}", repo.display()),
        ),
    ];
    for (dir, extra, why) in cases {
        let mut args = vec!["new", "taken", "--no-launch", "--worktree"];
        args.extend_from_slice(extra);
        args.extend(["--cwd", dir.to_str().unwrap()]);
        assert_eq!(
            env.fail(&args),
            format!("claude-session: --worktree: {why}"),
            "{args:?}"
        );
    }
    assert!(names(&env).is_empty());
    assert_eq!(worktrees(&env, &repo), vec![repo.clone()]);
    assert_eq!(branches(&env, &repo), ["claude/taken", "main", "mine"]);
    // A name that is taken is said as such, and no branch is made for it.
    env.ok(&["new", "x", "--no-launch"]);
    assert_eq!(
        env.fail(&[
            "new",
            "x",
            "--no-launch",
            "--worktree",
            "--cwd",
            repo.to_str().unwrap()
        ]),
        "claude-session: a session named \"x\" already exists; continue it with `claude-session resume x`"
    );
    assert_eq!(branches(&env, &repo), ["claude/taken", "main", "mine"]);
    assert_eq!(Env::count_entries(&env.store.join("worktrees")), 0);
}

#[test]
fn a_detached_head_is_a_base_and_is_said() {
    let env = Env::new();
    let repo = repo(&env, "r");
    let commit = head(&env, &repo);
    git(&env, &repo, &["checkout", "-q", "--detach"]);
    let out = env.run(&[
        "new",
        "d",
        "--no-launch",
        "--worktree",
        "--cwd",
        repo.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "claude-session: HEAD of {} is detached at {}: the branch claude/d starts there\n",
            repo.display(),
            &commit[..7]
        )
    );
    let w = &env.show("d")["worktree"];
    assert_eq!(
        (&w["baseRef"], &w["baseCommit"]),
        (&Value::Null, &json!(commit))
    );
}

#[test]
fn rm_refuses_to_lose_work_and_force_discards_it() {
    let env = Env::new();
    let repo = repo(&env, "my repo");
    let remote = env.root.join("remote.git");
    git(&env, &env.root, &["init", "-q", "--bare", "remote.git"]);
    git(
        &env,
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    create(&env, "w", &repo, &[]);
    let path = worktree_of(&env, "w");

    // Uncommitted files: named, nothing removed.
    fs::write(path.join("notes.txt"), "notes\n").unwrap();
    fs::write(path.join("src/lib.rs"), "changed\n").unwrap();
    let refusal = |what: &str, keep: &str| {
        format!(
            "claude-session: session w: its worktree {} holds work that would be lost: {what}; {keep}, or pass --force to discard it",
            path.display()
        )
    };
    assert_eq!(
        env.fail(&["rm", "w"]),
        refusal(
            "2 uncommitted files (notes.txt, src/lib.rs)",
            "commit it, then merge or push it"
        )
    );
    // A commit neither merged nor pushed: named.
    commit_all(&env, &path, "add notes");
    let commit = short(&env, &path, "HEAD");
    assert_eq!(
        env.fail(&["rm", "w"]),
        refusal(
            &format!("1 commit neither merged into main nor pushed ({commit} add notes)"),
            "merge or push it"
        )
    );
    assert!(path.is_dir());
    assert_eq!(names(&env), ["w"]);

    // Pushed: the worktree goes, the branch (not merged) stays.
    git(&env, &path, &["push", "-q", "origin", "claude/w"]);
    assert_eq!(
        env.ok(&["rm", "w"]).lines().nth(1).unwrap(),
        format!(
            "worktree {} removed, branch claude/w kept (not merged into main)",
            path.display()
        )
    );
    assert!(!path.exists());
    assert_eq!(worktrees(&env, &repo), vec![repo.clone()]);
    assert_eq!(branches(&env, &repo), ["claude/w", "main"]);

    // --force discards work and branch alike.
    create(&env, "f", &repo, &[]);
    let path = worktree_of(&env, "f");
    fs::write(path.join("scratch.txt"), "x\n").unwrap();
    commit_all(&env, &path, "scratch");
    fs::write(path.join("more.txt"), "y\n").unwrap();
    let out = env.ok(&["rm", "f", "--force", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report[0]["worktree"],
        json!({"path": path, "branch": "claude/f", "branchFate": "deleted"})
    );
    assert!(!path.exists());
    assert_eq!(branches(&env, &repo), ["claude/w", "main"]);
    assert!(names(&env).is_empty());
}

#[test]
fn a_merged_branch_goes_with_its_worktree() {
    let env = Env::new();
    let repo = repo(&env, "r");
    create(&env, "m", &repo, &[]);
    let path = worktree_of(&env, "m");
    fs::write(path.join("feature.txt"), "done\n").unwrap();
    commit_all(&env, &path, "feature");
    git(
        &env,
        &repo,
        &["merge", "-q", "--no-ff", "-m", "merge", "claude/m"],
    );
    // The base moved on (main has the merge): nothing is ahead of it now.
    assert_eq!(env.show("m")["worktreeState"]["ahead"], 0);
    env.ok(&["rm", "m"]);
    assert_eq!(branches(&env, &repo), ["main"]);
    assert_eq!(worktrees(&env, &repo), vec![repo.clone()]);
}

#[test]
fn diff_shows_committed_and_uncommitted_changes_new_files_included() {
    let env = Env::new();
    let repo = repo(&env, "my repo");
    create(&env, "d", &repo, &[]);
    let path = worktree_of(&env, "d");
    // main moves on: not the session's change.
    fs::write(repo.join("upstream.txt"), "upstream\n").unwrap();
    commit_all(&env, &repo, "upstream");
    fs::write(path.join("committed.txt"), "committed\n").unwrap();
    commit_all(&env, &path, "committed");
    fs::write(path.join("src/lib.rs"), "fn main() { edited() }\n").unwrap();
    fs::write(path.join("brand new.txt"), "new\n").unwrap();
    let diff = env.ok(&["diff", "d"]);
    let files: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with("diff --git"))
        .collect();
    assert_eq!(
        files,
        [
            "diff --git a/brand new.txt b/brand new.txt",
            "diff --git a/committed.txt b/committed.txt",
            "diff --git a/src/lib.rs b/src/lib.rs",
        ]
    );
    assert!(diff.contains("+fn main() { edited() }"), "{diff}");
    assert_eq!(
        env.ok(&["diff", "d", "--stat"]),
        " brand new.txt | 1 +\n committed.txt | 1 +\n src/lib.rs    | 2 +-\n 3 files changed, 3 insertions(+), 1 deletion(-)\n"
    );
    // The user's own index is as it was: the new file is still untracked.
    assert_eq!(
        git(&env, &path, &["status", "--porcelain"]),
        " M src/lib.rs\n?? \"brand new.txt\"\n"
    );
    let admin = PathBuf::from(git(&env, &path, &["rev-parse", "--absolute-git-dir"]).trim());
    let leftovers: Vec<_> = fs::read_dir(&admin)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("claude-session-diff")
        })
        .collect();
    assert!(leftovers.is_empty());

    env.ok(&["new", "plain", "--no-launch"]);
    assert_eq!(
        env.fail(&["diff", "plain"]),
        format!(
            "claude-session: session plain has no worktree (it was made without --worktree); `git diff` in {} shows its directory's changes",
            env.work.display()
        )
    );
}

#[test]
fn cleanup_keeps_a_session_whose_worktree_holds_work() {
    let env = Env::new();
    let repo = repo(&env, "r");
    create(&env, "clean", &repo, &[]);
    create(&env, "dirty", &repo, &[]);
    let clean = worktree_of(&env, "clean");
    let dirty = worktree_of(&env, "dirty");
    fs::write(dirty.join("wip.txt"), "wip\n").unwrap();
    // Never ran: both are empty sessions.
    let report = json(&env, &["cleanup", "--empty", "--yes", "--json"]);
    let removed: Vec<&Value> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["removed"] == true)
        .map(|t| &t["sessionName"])
        .collect();
    assert_eq!(removed, [&json!("clean")]);
    assert_eq!(
        report["kept"][0]["why"],
        "its worktree holds work that would be lost: 1 uncommitted file (wip.txt); `claude-session rm --force dirty` discards it"
    );
    assert_eq!(names(&env), ["dirty"]);
    assert!(!clean.exists() && dirty.is_dir());
    assert_eq!(worktrees(&env, &repo), [repo.clone(), dirty.clone()]);
    assert_eq!(branches(&env, &repo), ["claude/dirty", "main"]);
}

#[test]
fn a_worktree_whose_session_is_gone_is_found_and_removed_when_clean() {
    let env = Env::new();
    let repo = repo(&env, "my repo");
    let ids: Vec<String> = ["gone-clean", "gone-dirty"]
        .iter()
        .map(|name| create(&env, name, &repo, &[]))
        .collect();
    let clean = worktree_of(&env, "gone-clean");
    let dirty = worktree_of(&env, "gone-dirty");
    fs::write(dirty.join("wip.txt"), "wip\n").unwrap();
    // Their sessions vanish (a store reset by hand): dirs, then registry.
    for id in &ids {
        fs::remove_dir_all(env.session_dir(id)).unwrap();
    }
    env.ok(&["rebuild"]);
    assert!(names(&env).is_empty());

    // Made a moment ago: perhaps a session being made, so left alone.
    let report = json(&env, &["cleanup", "--orphaned", "--dry-run", "--json"]);
    assert_eq!(report["targets"], json!([]));
    assert_eq!(
        report["kept"][0]["why"],
        "made less than a minute ago (its session being made?)"
    );
    for path in [&clean, &dirty] {
        let admin = PathBuf::from(git(&env, path, &["rev-parse", "--absolute-git-dir"]).trim());
        backdate(&admin.join("claude-session.json"), Duration::from_secs(120));
    }

    let doctor = env.run(&["doctor"]);
    let doctor = String::from_utf8_lossy(&doctor.stdout);
    for (path, name, id) in [
        (&clean, "gone-clean", &ids[0]),
        (&dirty, "gone-dirty", &ids[1]),
    ] {
        let line = format!(
            "warn  worktrees: {} was made for session {name} ({}), which is gone; `claude-session cleanup --orphaned` removes it if nothing in it would be lost",
            path.display(),
            &id[..8]
        );
        assert!(doctor.lines().any(|l| l == line), "{doctor}");
    }

    let report = json(&env, &["cleanup", "--orphaned", "--yes", "--json"]);
    assert_eq!(report["targets"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["targets"][0]["kind"], "worktree");
    assert_eq!(report["targets"][0]["path"], json!(clean));
    assert_eq!(report["targets"][0]["removed"], true);
    assert_eq!(
        report["kept"][0]["why"],
        "it holds work that would be lost: 1 uncommitted file (wip.txt)"
    );
    assert!(!clean.exists() && dirty.is_dir());
    assert_eq!(worktrees(&env, &repo), [repo.clone(), dirty.clone()]);
    // The clean one's branch was merged (nothing on it): gone with it.
    assert_eq!(branches(&env, &repo), ["claude/gone-dirty", "main"]);
}

#[test]
fn a_worktree_deleted_by_hand_is_forgotten_by_git_and_made_again() {
    let env = Env::new();
    let repo = repo(&env, "my repo");
    env.ok(&[
        "new",
        "lost",
        "--worktree",
        "--cwd",
        repo.join("src").to_str().unwrap(),
    ]);
    let path = worktree_of(&env, "lost");
    fs::write(path.join("kept.txt"), "kept\n").unwrap();
    commit_all(&env, &path, "kept on the branch");
    fs::remove_dir_all(&path).unwrap();

    assert_eq!(
        env.fail(&["resume", "lost"]),
        format!(
            "claude-session: cannot resume session lost: its worktree {} was deleted; `claude-session doctor --fix` makes it again on its branch claude/lost",
            path.display()
        )
    );
    assert_eq!(
        env.show("lost")["worktreeState"],
        json!({"present": false, "ahead": null, "uncommittedFiles": []})
    );
    let doctor = env.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(1));
    let line = format!(
        "FAIL  worktrees: lost: its worktree {} was deleted (branch claude/lost)",
        path.display()
    );
    let stdout = String::from_utf8_lossy(&doctor.stdout);
    assert!(stdout.lines().any(|l| l == line), "{stdout}");

    // cleanup --orphaned: git forgets it (its branch is free again); the
    // session, which holds a conversation, stays.
    let report = json(&env, &["cleanup", "--orphaned", "--yes", "--json"]);
    assert_eq!(report["targets"][0]["kind"], "missing-worktree");
    assert_eq!(report["targets"][0]["removed"], true);
    assert_eq!(worktrees(&env, &repo), vec![repo.clone()]);
    assert_eq!(names(&env), ["lost"]);
    let report = json(&env, &["cleanup", "--orphaned", "--dry-run", "--json"]);
    assert_eq!(
        report["kept"][0]["why"],
        format!(
            "its worktree {} was deleted; `claude-session doctor --fix` makes it again on its branch claude/lost",
            path.display()
        )
    );

    // doctor --fix makes it again on its branch, commits and all; resume
    // runs in it again.
    let fixed = env.run(&["doctor", "--fix"]);
    let stdout = String::from_utf8_lossy(&fixed.stdout);
    assert!(
        stdout.contains("      -> made again on its branch claude/lost"),
        "{stdout}"
    );
    assert_eq!(fs::read_to_string(path.join("kept.txt")).unwrap(), "kept\n");
    env.ok(&["resume", "lost"]);
    assert_eq!(env.agent_runs().last().unwrap().cwd, path.join("src"));
}

#[test]
fn submodules_are_initialised_in_the_worktree_or_said_why_not() {
    let env = Env::new();
    let sub = repo(&env, "sub");
    let repo = repo(&env, "super");
    // git refuses local (file://) submodules unless told: the test's own
    // config allows them for adding, then the user's config decides.
    git(
        &env,
        &repo,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            sub.to_str().unwrap(),
            "lib",
        ],
    );
    commit_all(&env, &repo, "add lib");

    let out = env.run(&[
        "new",
        "nosub",
        "--no-launch",
        "--worktree",
        "--cwd",
        repo.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let path = worktree_of(&env, "nosub");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "claude-session: initialising the submodules in the worktree\n\
             claude-session: warning: the submodules are not initialised in the worktree (git submodule update: transport 'file' not allowed); `git submodule update --init --recursive` in {} does it\n",
            path.display()
        )
    );
    assert!(!path.join("lib/src/lib.rs").exists());

    fs::write(
        env.home.join(".gitconfig"),
        "[protocol \"file\"]\n\tallow = always\n",
    )
    .unwrap();
    create(&env, "withsub", &repo, &[]);
    let path = worktree_of(&env, "withsub");
    assert!(path.join("lib/src/lib.rs").is_file());
    // Clean, so it goes, submodule and all.
    env.ok(&["rm", "withsub"]);
    assert!(!path.exists());
}

#[test]
fn an_imported_session_owns_no_worktree() {
    let env = Env::new();
    let repo = repo(&env, "r");
    create(&env, "orig", &repo, &[]);
    let path = worktree_of(&env, "orig");
    let archive = env.root.join("orig.tar.zst");
    env.ok(&["export", "orig", "-o", archive.to_str().unwrap()]);
    env.ok(&["import", archive.to_str().unwrap(), "--name", "copy"]);
    assert_eq!(env.show("copy")["worktree"], Value::Null);
    // Removing the copy leaves the original's worktree alone.
    env.ok(&["rm", "copy"]);
    assert!(path.is_dir());
    assert_eq!(worktrees(&env, &repo), [repo.clone(), path]);
}

#[test]
fn a_session_that_cannot_start_leaves_no_worktree_nor_branch() {
    let env = Env::new();
    let repo = repo(&env, "r");
    fs::create_dir_all(&env.base).unwrap();
    fs::write(env.base.join("settings.json"), "{oops").unwrap();
    let err = env.fail(&[
        "new",
        "doomed",
        "--worktree",
        "--cwd",
        repo.to_str().unwrap(),
    ]);
    assert!(err.contains("settings.json is not valid JSON"), "{err}");
    assert!(names(&env).is_empty());
    assert_eq!(worktrees(&env, &repo), vec![repo.clone()]);
    assert_eq!(branches(&env, &repo), ["main"]);
    assert_eq!(Env::count_entries(&env.store.join("worktrees")), 0);
}

/// What a host answers another's survey (`__remote --list`): with what git
/// says of each worktree, unless `--no-git` (the dashboard asks every few
/// seconds, and shows none of it).
#[test]
fn a_survey_runs_git_only_when_asked() {
    let env = Env::new();
    let repo = repo(&env, "api");
    create(&env, "feat", &repo, &[]);
    let listed = |args: &[&str]| -> Value {
        let hello: Value = serde_json::from_str(&env.ok(args)).unwrap();
        hello["sessions"][0]["worktreeState"].clone()
    };
    let state = listed(&["__remote", "--list"]);
    assert_eq!(state["present"], true, "{state}");
    assert_eq!(state["ahead"], 0, "{state}");
    assert_eq!(listed(&["__remote", "--list", "--no-git"]), Value::Null);
}
