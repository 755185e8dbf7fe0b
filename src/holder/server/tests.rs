//! The server's loop, on a real PTY.

use super::*;
use std::io::Write;

/// A server on a fresh PTY, and the PTY's slave side (Claude's).
fn server() -> (Server, std::fs::File, tempfile::TempDir) {
    let pty = nix::pty::openpty(None, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let listener = UnixListener::bind(dir.path().join("s")).unwrap();
    let server = Server::new(Some((pty.master, 0)), listener, 24, 80).unwrap();
    (server, std::fs::File::from(pty.slave), dir)
}

/// Steps until `done` holds (each step waits at most a tick).
fn step_until(server: &mut Server, done: impl Fn(&Server) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut events = Vec::new();
    while !done(server) {
        assert!(Instant::now() < deadline, "timed out");
        server.step(&mut events).unwrap();
    }
}

#[test]
fn a_small_burst_gives_memory_back_once_claude_stays_quiet() {
    let (mut server, mut claude, _dir) = server();
    claude.write_all(&[b'x'; 1000]).unwrap();
    step_until(&mut server, |s| s.since_trim > 0);
    // Quiet: parsed at once, memory given back only a while later.
    step_until(&mut server, |s| s.last_output.is_none());
    assert!(server.trim_at.is_some());
    assert!(server.since_trim > 0);
    let quiet_since = Instant::now();
    step_until(&mut server, |s| s.since_trim == 0);
    // Not before its time (the margin: quiet() ran just before `quiet_since`).
    assert!(quiet_since.elapsed() >= TRIM_WHEN_IDLE - Duration::from_millis(50));
    assert_eq!(server.trim_at, None);
}

#[test]
fn output_that_resumes_before_the_trim_keeps_the_loop_asleep() {
    let (mut server, claude, _dir) = server();
    let mut claude = claude;
    claude.write_all(b"first").unwrap();
    step_until(&mut server, |s| s.since_trim > 0);
    step_until(&mut server, |s| s.trim_at.is_some());
    // Then a trickle, never quiet for QUIET, well past the trim's time:
    // each round of the loop must wait for output, not spin.
    let trickle = std::thread::spawn(move || {
        for _ in 0..60 {
            claude.write_all(b".").unwrap();
            std::thread::sleep(QUIET / 2);
        }
        claude
    });
    let mut rounds = 0;
    let mut events = Vec::new();
    while !trickle.is_finished() {
        server.step(&mut events).unwrap();
        rounds += 1;
    }
    // About one round per write (60); a spinning loop makes millions.
    assert!(rounds < 1000, "{rounds} rounds");
    let _claude = trickle.join().unwrap();
}
