use super::watch::Watch;
use super::*;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A store with a base and three session dirs, each holding a file that
/// is not a credential (it must never change).
struct Fixture {
    _tmp: tempfile::TempDir,
    layout: Layout,
    sessions: Vec<PathBuf>,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let layout = Layout {
            home: root.clone(),
            store: root.join("store"),
            base: root.join("base"),
        };
        fs::create_dir_all(&layout.base).unwrap();
        fs::write(layout.base.join("settings.json"), "{}").unwrap();
        let sessions: Vec<PathBuf> = (0..3)
            .map(|i| {
                let dir = layout.session_dir(Uuid::from_u128(i + 1));
                fs::create_dir_all(&dir).unwrap();
                fs::write(dir.join("history.jsonl"), format!("line {i}\n")).unwrap();
                dir
            })
            .collect();
        Self {
            _tmp: tmp,
            layout,
            sessions,
        }
    }

    fn all(&self) -> Vec<PathBuf> {
        let mut all = vec![self.layout.base.clone()];
        all.extend(self.sessions.iter().cloned());
        all
    }

    /// Every file of every dir but the credentials: name -> bytes.
    fn others(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut map = BTreeMap::new();
        for dir in self.all() {
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                if entry.file_name() != FILE {
                    map.insert(entry.path(), fs::read(entry.path()).unwrap_or_default());
                }
            }
        }
        map
    }

    fn assert_everywhere(&self, expected: &str) {
        for dir in self.all() {
            let path = dir.join(FILE);
            assert_eq!(
                fs::read_to_string(&path).unwrap(),
                expected,
                "{}",
                path.display()
            );
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

fn cred(expires: i64, tag: &str) -> String {
    format!(
        r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-TEST-{tag}","refreshToken":"sk-ant-ort01-{tag}","expiresAt":{expires},"scopes":["user:inference"]}}}}"#
    )
}

/// Writes the file the way Claude Code does: a temp file, then a rename.
fn claude_write(dir: &Path, content: &str) {
    let tmp = dir.join(format!(".cred-{}.tmp", std::process::id()));
    fs::write(&tmp, content).unwrap();
    fs::rename(&tmp, dir.join(FILE)).unwrap();
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn a_refresh_in_one_session_reaches_the_base_and_every_other_session() {
    let f = Fixture::new();
    claude_write(&f.layout.base, &cred(100, "a"));
    let first = sync_all(&f.layout).unwrap();
    assert_eq!(first.written, f.sessions);
    f.assert_everywhere(&cred(100, "a"));
    let others = f.others();

    claude_write(&f.sessions[1], &cred(200, "b"));
    let synced = sync_all(&f.layout).unwrap();
    f.assert_everywhere(&cred(200, "b"));
    assert_eq!(
        synced.written,
        vec![
            f.layout.base.clone(),
            f.sessions[0].clone(),
            f.sessions[2].clone()
        ]
    );
    assert!(synced.busy.is_empty());
    assert_eq!(f.others(), others, "only credentials change");

    // In sync: nothing is written again.
    assert!(sync_all(&f.layout).unwrap().written.is_empty());
}

#[test]
fn an_older_login_never_wins() {
    let f = Fixture::new();
    claude_write(&f.sessions[0], &cred(200, "new"));
    sync_all(&f.layout).unwrap();
    claude_write(&f.sessions[2], &cred(150, "old"));
    sync_all(&f.layout).unwrap();
    f.assert_everywhere(&cred(200, "new"));
}

#[test]
fn garbage_never_spreads_and_is_replaced() {
    let f = Fixture::new();
    claude_write(&f.layout.base, &cred(100, "a"));
    sync_all(&f.layout).unwrap();
    let before: Vec<SystemTime> = f.all().iter().map(|d| mtime(&d.join(FILE))).collect();
    for garbage in [
        "garbage",
        "{}",
        r#"{"claudeAiOauth":{"expiresAt":999}}"#,
        "",
    ] {
        claude_write(&f.sessions[2], garbage);
        let synced = sync_all(&f.layout).unwrap();
        assert_eq!(synced.written, vec![f.sessions[2].clone()], "{garbage:?}");
        f.assert_everywhere(&cred(100, "a"));
    }
    // The others were not even rewritten.
    for (dir, was) in f.all().iter().zip(before).take(3) {
        assert_eq!(mtime(&dir.join(FILE)), was, "{}", dir.display());
    }
}

#[test]
fn a_login_in_one_session_reaches_all_and_the_base_is_never_created() {
    let f = Fixture::new();
    assert!(sync_all(&f.layout).unwrap().written.is_empty());
    claude_write(&f.sessions[2], &cred(300, "login"));
    sync_all(&f.layout).unwrap();
    f.assert_everywhere(&cred(300, "login"));

    fs::remove_dir_all(&f.layout.base).unwrap();
    claude_write(&f.sessions[0], &cred(400, "again"));
    sync_all(&f.layout).unwrap();
    assert!(!f.layout.base.exists());
    for dir in &f.sessions {
        assert_eq!(
            fs::read_to_string(dir.join(FILE)).unwrap(),
            cred(400, "again")
        );
    }
}

#[test]
fn at_the_same_expiry_the_later_write_wins() {
    let f = Fixture::new();
    claude_write(&f.layout.base, &cred(100, "a"));
    sync_all(&f.layout).unwrap();
    // Claude added an MCP server's token beside the same login.
    let with_mcp = cred(100, "a").replace("}}", r#"},"mcpOAuth":{"srv":{"accessToken":"x"}}}"#);
    let old = SystemTime::now() - Duration::from_secs(60);
    for dir in f.all() {
        fs::File::options()
            .write(true)
            .open(dir.join(FILE))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    claude_write(&f.sessions[0], &with_mcp);
    sync_all(&f.layout).unwrap();
    f.assert_everywhere(&with_mcp);
}

#[test]
fn a_dir_where_claude_holds_its_lock_is_left_for_later() {
    let f = Fixture::new();
    claude_write(&f.sessions[0], &cred(100, "a"));
    let lock = f.sessions[1].join(".storage-write.lock");
    fs::create_dir(&lock).unwrap();
    let synced = sync_all(&f.layout).unwrap();
    assert_eq!(synced.busy, vec![f.sessions[1].clone()]);
    assert!(!f.sessions[1].join(FILE).exists());
    assert!(lock.is_dir(), "Claude's lock is not ours to remove");
    assert!(!f.sessions[0].join(".storage-write.lock").exists());

    // A lock whose owner died (not touched for longer than Claude's 15 s).
    fs::File::open(&lock)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(20))
        .unwrap();
    let synced = sync_all(&f.layout).unwrap();
    assert!(synced.busy.is_empty());
    f.assert_everywhere(&cred(100, "a"));
    assert!(lock.is_dir());
}

#[test]
fn concurrent_writes_and_syncs_end_with_the_newest_everywhere() {
    let f = Fixture::new();
    let counter = std::sync::atomic::AtomicI64::new(1000);
    // One Claude per dir (the base and three sessions), each saving in its
    // own dir now garbage, now a login newer than any before, then syncing,
    // all at once. The newest (1099) is saved last by its thread, so it is
    // still in that thread's dir at the end, whatever ran in between.
    std::thread::scope(|scope| {
        for t in 0..4usize {
            let (f, counter) = (&f, &counter);
            scope.spawn(move || {
                let dir = &f.all()[t];
                for i in 0..25 {
                    if i % 3 == 1 {
                        claude_save(dir, t, "not json");
                    }
                    let expires = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    claude_save(dir, t, &cred(expires, &expires.to_string()));
                    sync_all(&f.layout).unwrap();
                }
            });
        }
    });
    sync_all(&f.layout).unwrap();
    f.assert_everywhere(&cred(1099, "1099"));
    for dir in f.all() {
        let stray: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("tmp") || n.contains("lock"))
            .collect();
        assert!(stray.is_empty(), "{stray:?} left in {}", dir.display());
    }
}

/// Saves the file as Claude Code does: under its lock (a dir made with
/// mkdir, retried while held), by temp file and rename.
fn claude_save(dir: &Path, t: usize, content: &str) {
    let lock = dir.join(".storage-write.lock");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fs::create_dir(&lock).is_err() {
        assert!(std::time::Instant::now() < deadline, "lock never free");
        std::thread::yield_now();
    }
    let tmp = dir.join(format!(".claude-{t}.tmp"));
    fs::write(&tmp, content).unwrap();
    fs::rename(&tmp, dir.join(FILE)).unwrap();
    fs::remove_dir(&lock).unwrap();
}

#[test]
fn the_survey_names_the_newest_and_those_that_differ_without_tokens() {
    let f = Fixture::new();
    let s = |i: usize| Some(Uuid::from_u128(i as u128 + 1));
    fs::write(f.layout.base.join(FILE), cred(100, "old")).unwrap();
    claude_write(&f.sessions[0], &cred(200, "new"));
    claude_write(&f.sessions[1], "garbage");
    let survey = survey(&f.layout).unwrap();
    assert_eq!(survey.newest.as_ref(), Some(&f.sessions[0]));
    let states: Vec<_> = survey
        .dirs
        .iter()
        .map(|d| (d.dir.clone(), d.session_id, d.state, d.expires_at))
        .collect();
    assert_eq!(
        states,
        vec![
            (f.layout.base.clone(), None, State::Older, Some(100)),
            (f.sessions[0].clone(), s(0), State::Newest, Some(200)),
            (f.sessions[1].clone(), s(1), State::Invalid, None),
            (f.sessions[2].clone(), s(2), State::Missing, None),
        ]
    );
    let differing: Vec<_> = survey.differing().map(|d| d.dir.clone()).collect();
    assert_eq!(
        differing,
        vec![
            f.layout.base.clone(),
            f.sessions[1].clone(),
            f.sessions[2].clone()
        ]
    );
    assert!(!survey.in_sync());
    let shown = format!("{survey:?}{}", serde_json::to_string(&survey).unwrap());
    assert!(!shown.contains("sk-ant"), "a token was shown: {shown}");
    assert!(shown.contains(r#""state":"newest""#), "{shown}");

    // Surveying changes nothing; syncing fixes what it found.
    assert_eq!(
        fs::read_to_string(f.layout.base.join(FILE)).unwrap(),
        cred(100, "old")
    );
    sync_all(&f.layout).unwrap();
    let after = super::survey(&f.layout).unwrap();
    assert!(after.in_sync(), "{after:?}");
    assert_eq!(
        after.newest.as_ref(),
        Some(&f.layout.base),
        "copies: the first"
    );
    assert_eq!(
        after.dirs.iter().map(|d| d.state).collect::<Vec<_>>(),
        vec![State::Newest, State::Same, State::Same, State::Same]
    );
}

#[test]
fn the_survey_of_nothing_is_in_sync() {
    let f = Fixture::new();
    let survey = survey(&f.layout).unwrap();
    assert_eq!(survey.newest, None);
    assert!(survey.in_sync());
    assert_eq!(survey.dirs.len(), 4);
    assert!(survey.dirs.iter().all(|d| d.state == State::Missing));
}

#[test]
fn the_watch_sees_a_rename_of_the_file_in_the_session_and_the_base() {
    let f = Fixture::new();
    let mut watch = Watch::new(&f.layout.base, &f.sessions[0]).unwrap();
    assert!(!watch.changed());
    // Claude writes many other files there: they are not a login.
    fs::write(f.sessions[0].join("history.jsonl"), "more\n").unwrap();
    claude_write(&f.sessions[1], &cred(1, "elsewhere"));
    assert!(!watch.changed());

    for dir in [&f.sessions[0], &f.layout.base] {
        claude_write(dir, &cred(5, "here"));
        wait_readable(&watch);
        assert!(watch.changed(), "{}", dir.display());
        assert!(!watch.changed(), "drained");
    }
    // Written in place (an editor, `cp`).
    fs::write(f.sessions[0].join(FILE), cred(6, "cp")).unwrap();
    wait_readable(&watch);
    assert!(watch.changed());
}

#[test]
fn the_watch_syncs_every_dir_on_a_tick() {
    let f = Fixture::new();
    claude_write(&f.layout.base, &cred(100, "a"));
    sync_all(&f.layout).unwrap();
    let mut watch = Watch::new(&f.layout.base, &f.sessions[2]).unwrap();
    watch.tick(&f.layout);
    claude_write(&f.sessions[2], &cred(200, "refreshed"));
    wait_readable(&watch);
    watch.tick(&f.layout);
    f.assert_everywhere(&cred(200, "refreshed"));
}

/// Waits (at most 10 s) until the watch has an event to read.
fn wait_readable(watch: &Watch) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(watch.as_fd(), PollFlags::POLLIN)];
    let n = poll(&mut fds, PollTimeout::from(10_000u16)).unwrap();
    assert_eq!(n, 1, "no inotify event within 10 s");
}
