//! Removing sessions when something goes wrong: a row that cannot be
//! deleted (a full disk), an audit log that cannot be written, a session
//! dir replaced by a link, a name that reads as another's id, a lock that
//! cannot be taken, and `pin` racing `cleanup`.

use crate::support::{Env, wait_until};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

fn registry(env: &Env) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(env.store.join("registry.db")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    db
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn trash_dirs(env: &Env) -> Vec<String> {
    fs::read_dir(env.store.join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".trash-"))
        .collect()
}

/// A full disk fails the row's deletion after the dir was moved aside: the
/// dir goes back, so the session is whole, not a row without a dir.
#[test]
fn rm_that_cannot_delete_the_row_leaves_the_session_whole() {
    let env = Env::new();
    let id = env.create("alpha");
    registry(&env)
        .execute_batch(
            "CREATE TRIGGER full BEFORE DELETE ON sessions
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
        )
        .unwrap();
    let err = env.fail(&["rm", "alpha"]);
    assert!(
        err.starts_with("claude-session: cannot remove session alpha: registry ")
            && err.contains(": database or disk is full"),
        "{err}"
    );
    assert!(env.session_dir(&id).join("metadata.json").is_file());
    assert_eq!(trash_dirs(&env), Vec::<String>::new());
    assert_eq!(env.show("alpha")["sessionId"], id.as_str());
    let audit = fs::read_to_string(env.store.join("audit.log")).unwrap();
    assert!(!audit.contains(" delete "), "{audit}");
    registry(&env).execute_batch("DROP TRIGGER full").unwrap();
    env.ok(&["rm", "alpha"]);
    assert!(!env.session_dir(&id).exists());
    let audit = fs::read_to_string(env.store.join("audit.log")).unwrap();
    assert!(audit.contains(&format!(" delete user=tester ssh=- id={id} name=alpha\n")));
}

#[test]
fn an_audit_line_that_cannot_be_written_is_reported() {
    let env = Env::new();
    let id = env.create("alpha");
    let audit = env.store.join("audit.log");
    fs::remove_file(&audit).unwrap();
    fs::create_dir(&audit).unwrap();
    let out = env.run(&["rm", "alpha"]);
    assert!(out.status.success());
    assert_eq!(
        stderr(&out),
        format!(
            "claude-session: warning: delete of session alpha ({id}) is not in the audit log: cannot write {}: Is a directory (os error 21)\n",
            audit.display()
        )
    );
}

/// Nothing follows a session dir that is a link: `rm` once made `.lock`
/// in its target.
#[test]
fn a_session_dir_replaced_by_a_link_is_not_followed() {
    let env = Env::new();
    let id = env.create("alpha");
    let dir = env.session_dir(&id);
    let elsewhere = env.root.join("elsewhere");
    fs::rename(&dir, &elsewhere).unwrap();
    let _ = fs::remove_file(elsewhere.join(".lock"));
    symlink(&elsewhere, &dir).unwrap();
    let before = snapshot(&elsewhere);

    let err = env.fail(&["rm", "alpha"]);
    assert_eq!(
        err,
        format!(
            "claude-session: the dir of session alpha ({}) is a symbolic link, not a dir claude-session made; nothing is followed out of the store: remove the link by hand, then `rm` again",
            dir.display()
        )
    );
    let out = env.ok(&["cleanup", "--empty", "--yes"]);
    assert!(
        out.contains(&format!(
            "kept alpha ({}): its dir is a symbolic link, not one claude-session made; remove the link by hand\n",
            &id[..8]
        )),
        "{out}"
    );
    let out = env.run(&["pin", "alpha"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(snapshot(&elsewhere), before, "nothing made in the target");
    assert!(fs::symlink_metadata(&dir).unwrap().file_type().is_symlink());
    // Gone by hand, the row goes as a row without a dir.
    fs::remove_file(&dir).unwrap();
    env.ok(&["rm", "alpha"]);
    assert_eq!(snapshot(&elsewhere), before);
}

fn snapshot(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A session named as another's full id (an older claude-session allowed
/// it): the id wins, and such a name is refused now.
#[test]
fn a_full_id_wins_over_a_name_that_reads_as_one() {
    let env = Env::new();
    let alpha = env.create("alpha");
    let impostor = env.create("beta");
    registry(&env)
        .execute(
            "UPDATE sessions SET name = ?1 WHERE id = ?2",
            [&alpha, &impostor],
        )
        .unwrap();
    let out = env.ok(&["rm", &alpha]);
    assert!(
        out.starts_with(&format!("removed alpha ({}), ", &alpha[..8])),
        "{out}"
    );
    assert_eq!(env.show(&impostor)["sessionName"], alpha.as_str());
    let id = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        env.fail(&["new", &id, "--no-launch"]),
        format!(
            "claude-session: invalid session name: {id:?} reads as a session id; pick another session name"
        )
    );
}

/// `cleanup` once took any failure to take a session's lock (a read-only
/// store) for "in use" and exited 0: it says what failed, and fails.
#[test]
fn cleanup_says_what_failed_when_a_lock_cannot_be_taken() {
    let env = Env::new();
    let id = env.create("alpha");
    let lock = env.session_dir(&id).join(".lock");
    let _ = fs::remove_file(&lock);
    fs::create_dir(&lock).unwrap();
    let out = env.run(&["cleanup", "--empty", "--yes"]);
    let why = format!(
        "cannot open {}: Is a directory (os error 21)",
        lock.display()
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("claude-session: 1 could not be removed: {why}\n")
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(&format!(
            "failed {}: {why}\n",
            env.session_dir(&id).display()
        )),
        "{text}"
    );
    assert!(!text.contains("in use"), "{text}");
    assert_eq!(env.list().len(), 1);
}

/// Holds the registry's write lock, as a long transaction of another
/// process would: every writer waits until it is dropped.
struct WriteLock(rusqlite::Connection);

impl WriteLock {
    fn take(env: &Env) -> Self {
        let db = registry(env);
        db.execute_batch("BEGIN IMMEDIATE").unwrap();
        Self(db)
    }

    fn release(self) {
        self.0.execute_batch("COMMIT").unwrap();
    }
}

/// Whether another process holds the session lock of `dir`.
fn lock_is_held(dir: &Path) -> bool {
    use nix::fcntl::{Flock, FlockArg};
    let Ok(file) = fs::File::open(dir.join(".lock")) else {
        return false;
    };
    Flock::lock(file, FlockArg::LockExclusiveNonblock).is_err()
}

/// `pin` racing `cleanup`, cleanup first: it has the session's lock and has
/// moved its dir aside, and waits to delete the row. `pin` says the
/// session is gone (it once said `pinned`, or nothing, and exited 0).
#[test]
fn pin_after_cleanup_took_the_session_says_it_is_gone() {
    let env = Env::new();
    let id = env.create("alpha");
    let writers = WriteLock::take(&env);
    let cleanup = env.spawn(&["cleanup", "--empty", "--yes"]);
    wait_until(
        Duration::from_secs(20),
        || "cleanup to move the dir aside".into(),
        || (trash_dirs(&env) == [format!(".trash-{id}")]).then_some(()),
    );
    let out = env.run(&["pin", "alpha"]);
    writers.release();
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (
            Some(1),
            "claude-session: session alpha has no dir (it was removed, or is being removed): nothing to pin\n".to_string()
        )
    );
    let out = cleanup.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nremoved 1 session, freed "), "{text}");
    assert!(env.list().is_empty());
}

/// `pin` racing `cleanup`, pin first: it holds the session's lock while it
/// waits to write the pin, so cleanup keeps the session; once pinned, it
/// stays.
#[test]
fn cleanup_while_a_pin_is_being_set_keeps_the_session() {
    let env = Env::new();
    let id = env.create("alpha");
    let dir = env.session_dir(&id);
    let writers = WriteLock::take(&env);
    let pin = env.spawn(&["pin", "alpha"]);
    wait_until(
        Duration::from_secs(20),
        || "pin to take the session lock".into(),
        || lock_is_held(&dir).then_some(()),
    );
    let short = &id[..8];
    let out = env.ok(&["cleanup", "--empty", "--yes"]);
    assert!(
        out.contains(&format!(
            "kept alpha ({short}): in use by another claude-session process\n"
        )),
        "{out}"
    );
    writers.release();
    let out = pin.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("pinned alpha ({short})\n")
    );
    let out = env.ok(&["cleanup", "--empty", "--yes"]);
    assert!(
        out.contains(&format!("kept alpha ({short}): pinned\n")),
        "{out}"
    );
    assert_eq!(env.list().len(), 1);
}
