//! Running `ssh`: one connection per host, kept open a while in a private
//! socket dir (ControlMaster/ControlPersist) so that later calls skip the
//! handshake; time limits so that a dead host never hangs a caller.
//!
//! Only the options below are added to the user's own ssh configuration
//! (command-line options win over ~/.ssh/config); keys, agents, jump hosts
//! and known hosts are ssh's business.

use super::config::Host;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a host's connection stays open after its last use: a `list`
/// every few minutes reuses it; an idle one goes away on its own.
const PERSIST_SECS: u64 = 600;
/// A connection whose host stops answering is given up after 3 unanswered
/// keep-alives 5 s apart (an attach would otherwise hang on a dead host).
const ALIVE_INTERVAL_SECS: u64 = 5;
const ALIVE_COUNT: u64 = 3;
/// sun_path holds 107 bytes and a NUL. ssh binds the master's socket as
/// `<dir>/<%C: 40 hex digits>.<16 random characters>`, then renames it.
const MAX_CONTROL_DIR: usize = 107 - 1 - 40 - 17;

/// How a call talks to the host.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// A terminal on the host (`ssh -t`): attach, new, resume on a terminal.
    pub tty: bool,
    /// Never ask for a password or passphrase (BatchMode): calls nobody
    /// watches, such as `list`, fail instead of waiting for an answer.
    pub batch: bool,
    /// For the TCP connection and the key exchange.
    pub connect_timeout: Duration,
}

/// `ssh ... DESTINATION 'PROGRAM' 'ARG'...`: `args` run by claude-session
/// on `host`, each quoted for its shell (see `quote`).
pub fn command(host: &Host, args: &[String], options: Options) -> io::Result<Command> {
    let dir = control_dir()?;
    let mut words = vec![host.program().to_string()];
    words.extend(args.iter().cloned());
    let mut cmd = Command::new("ssh");
    let mut option = |o: String| {
        cmd.arg("-o").arg(o);
    };
    option("ControlMaster=auto".into());
    option(format!("ControlPath={}/%C", dir.display()));
    option(format!("ControlPersist={PERSIST_SECS}"));
    option(format!(
        "ConnectTimeout={}",
        options.connect_timeout.as_secs().max(1)
    ));
    option(format!("ServerAliveInterval={ALIVE_INTERVAL_SECS}"));
    option(format!("ServerAliveCountMax={ALIVE_COUNT}"));
    // Errors only: not "Connection to HOST closed." after every attach.
    option("LogLevel=ERROR".into());
    // Only the command goes to the host: no agent, display or port
    // forwarded by the user's config (a session outlives the connection
    // anyway, so nothing it used could stay), no local command run.
    option("ForwardAgent=no".into());
    option("ForwardX11=no".into());
    option("ClearAllForwardings=yes".into());
    option("PermitLocalCommand=no".into());
    if options.batch {
        option("BatchMode=yes".into());
    }
    // No escape character: every key reaches claude-session on the host,
    // where the detach keys are read (`~.` would otherwise end the
    // connection, and `~` at the start of a line wait for the next key).
    cmd.args(["-e", "none"]);
    cmd.arg(if options.tty { "-t" } else { "-T" });
    cmd.arg("--")
        .arg(&host.destination)
        .arg(super::quote::command_line(&words));
    Ok(cmd)
}

/// `ssh -O exit`: closes the host's kept connection, if there is one.
pub fn close(host: &Host) {
    let Ok(dir) = control_dir() else { return };
    let _ = Command::new("ssh")
        .arg("-o")
        .arg(format!("ControlPath={}/%C", dir.display()))
        .args(["-o", "LogLevel=QUIET", "-O", "exit", "--"])
        .arg(&host.destination)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The dir of the kept connections' sockets: `$XDG_RUNTIME_DIR/claude-session-ssh`,
/// else `/tmp/claude-session-ssh-<uid>`; 0700 and ours, short enough for a socket.
fn control_dir() -> io::Result<PathBuf> {
    let uid = nix::unistd::getuid();
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(|dir| PathBuf::from(dir).join("claude-session-ssh"));
    let fallback = PathBuf::from(format!("/tmp/claude-session-ssh-{uid}"));
    let mut last = None;
    for dir in runtime.into_iter().chain([fallback]) {
        if dir.as_os_str().len() > MAX_CONTROL_DIR {
            continue;
        }
        match crate::util::fsutil::ensure_private_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no dir for ssh's sockets is short enough")))
}

/// What a call printed, and how it ended.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("it printed more than {} bytes", .0)]
    TooLarge(u64),
    #[error("cannot run ssh (OpenSSH's client): {0}")]
    Spawn(io::Error),
}

/// The most of ssh's error output kept (its last line says why).
const MAX_STDERR: u64 = 64 * 1024;

/// Runs `cmd` with no input, keeping at most `limit` bytes of its output;
/// killed if it has not ended within `timeout`.
pub fn capture(mut cmd: Command, timeout: Duration, limit: u64) -> Result<Output, CallError> {
    let deadline = Instant::now() + timeout;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(CallError::Spawn)?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let (out_tx, out_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = out_tx.send(read_bounded(stdout, limit));
    });
    let errors = std::thread::spawn(move || read_bounded(stderr, MAX_STDERR));
    // stdout ends when ssh does (a backgrounded master keeps none of our
    // pipes: ssh gives it /dev/null), so its end wakes this at once.
    let remaining = deadline.saturating_duration_since(Instant::now());
    let stdout = match out_rx.recv_timeout(remaining) {
        Ok(bytes) => bytes,
        Err(_) => return Err(kill(child, CallError::Timeout(timeout))),
    };
    if stdout.len() as u64 > limit {
        return Err(kill(child, CallError::TooLarge(limit)));
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Ok(None) => return Err(kill(child, CallError::Timeout(timeout))),
            Err(e) => return Err(kill(child, CallError::Spawn(e))),
        }
    };
    let stderr = errors.join().unwrap_or_default();
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Kills and reaps the child; its reader threads end with its pipes.
fn kill(mut child: Child, why: CallError) -> CallError {
    let _ = child.kill();
    let _ = child.wait();
    why
}

/// At most `limit` + 1 bytes: one more than allowed says "too much".
fn read_bounded(pipe: impl Read, limit: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = pipe.take(limit + 1).read_to_end(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_past_its_time_is_killed() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; exec sleep 30"]);
        let start = Instant::now();
        let e = capture(cmd, Duration::from_millis(300), 1000)
            .err()
            .unwrap();
        assert!(matches!(e, CallError::Timeout(_)), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_is_kept_and_bounded() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "printf hello; echo oops >&2; exit 3"]);
        let out = capture(cmd, Duration::from_secs(20), 1000).unwrap();
        assert_eq!(out.stdout, b"hello");
        assert_eq!(out.stderr, b"oops\n");
        assert_eq!(out.status.code(), Some(3));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "head -c 5000 /dev/zero; exec sleep 30"]);
        let e = capture(cmd, Duration::from_secs(20), 1000).err().unwrap();
        assert!(matches!(e, CallError::TooLarge(1000)), "{e}");
    }

    #[test]
    fn the_command_quotes_and_keeps_options_from_the_destination() {
        let host = Host {
            name: "a".into(),
            destination: "me@example".into(),
            program: None,
        };
        let options = Options {
            tty: false,
            batch: true,
            connect_timeout: Duration::from_secs(7),
        };
        let cmd = command(&host, &["send".into(), "x".into(), "a b".into()], options).unwrap();
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let n = args.len();
        assert_eq!(
            args[n - 4..],
            ["-T", "--", "me@example", "claude-session send x 'a b'"]
        );
        assert!(args.contains(&"BatchMode=yes".to_string()));
        assert!(args.contains(&"ConnectTimeout=7".to_string()));
        assert!(args.contains(&"ForwardAgent=no".to_string()));
    }
}
