//! Real OpenSSH servers for tests: each "host" is an `sshd` on 127.0.0.1
//! on a free port, with its own host key, that logs the current user in
//! with a key made for the test run and gives its commands the environment
//! of a test `Env` (its HOME, store, fake claude and claude-session on
//! PATH) through sshd's SetEnv. The client side is an `ssh` on the local
//! Env's PATH that reads only the test's own config (keys, known hosts), so
//! nothing touches ~/.ssh.
//!
//! sshd comes from Debian's openssh-server (scripts/test.sh installs it);
//! without it the tests skip, unless CLAUDE_SESSION_REQUIRE_SSHD is set.

use super::{BIN, Env, wait_until};
use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SSHD: &str = "/usr/sbin/sshd";

/// The client side: keys, known hosts, a config naming every server.
pub struct Ssh {
    dir: PathBuf,
    config: String,
}

impl Ssh {
    /// Sets up `local` to reach test servers with `ssh`; None (the test
    /// skips) when sshd is not installed.
    pub fn new(local: &Env) -> Option<Self> {
        if !Path::new(SSHD).exists() {
            assert!(
                std::env::var_os("CLAUDE_SESSION_REQUIRE_SSHD").is_none(),
                "{SSHD} is not installed but CLAUDE_SESSION_REQUIRE_SSHD is set"
            );
            eprintln!("skipped: {SSHD} is not installed (scripts/test.sh installs openssh-server)");
            return None;
        }
        // sshd run as root checks its privilege separation dir.
        if nix::unistd::geteuid().is_root() {
            fs::create_dir_all("/run/sshd").unwrap();
        }
        let dir = local.root.join("ssh");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        keygen(&dir.join("client_key"));
        let ssh = Self {
            dir,
            config: String::new(),
        };
        ssh.write();
        let wrapper = local.bin_dir.join("ssh");
        fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n",
                ssh.dir.join("config").display()
            ),
        )
        .unwrap();
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
        Some(ssh)
    }

    /// Starts a server whose commands run in `host`'s environment, reached
    /// as `alias` (a Host of the client's config). Variables set on `host`
    /// before this apply there.
    pub fn serve(&mut self, alias: &str, host: &Env) -> Sshd {
        let link = host.bin_dir.join("claude-session");
        if !link.exists() {
            std::os::unix::fs::symlink(BIN, &link).unwrap();
        }
        let dir = self.dir.join(alias);
        fs::create_dir_all(&dir).unwrap();
        keygen(&dir.join("host_key"));
        fs::copy(self.dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = free_port();
        let mut env = String::new();
        for (key, value) in host.cmd(&[]).get_envs() {
            let (key, value) = (key.to_str().unwrap(), value.unwrap().to_str().unwrap());
            assert!(
                !value.contains(['"', ' ']),
                "{key}={value}: SetEnv needs plain values"
            );
            write!(env, " \"{key}={value}\"").unwrap();
        }
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\n\
             AuthorizedKeysFile {dir}/authorized_keys\nPidFile none\n\
             StrictModes no\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
             PrintMotd no\nPrintLastLog no\nSetEnv{env}\n",
            dir = dir.display()
        );
        fs::write(dir.join("sshd_config"), config).unwrap();
        let log = dir.join("sshd.log");
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let sshd = std::cell::RefCell::new(Sshd { child, log });
        wait_until(
            Duration::from_secs(20),
            || format!("sshd never listened:\n{}", sshd.borrow().log()),
            || {
                let mut sshd = sshd.borrow_mut();
                let ended = sshd.child.try_wait().unwrap();
                assert!(ended.is_none(), "sshd ended:\n{}", sshd.log());
                TcpStream::connect(("127.0.0.1", port)).ok()
            },
        );
        let sshd = sshd.into_inner();
        let user = nix::unistd::User::from_uid(nix::unistd::getuid())
            .unwrap()
            .unwrap()
            .name;
        let host_key = fs::read_to_string(dir.join("host_key.pub")).unwrap();
        let mut known = fs::read_to_string(self.dir.join("known_hosts")).unwrap_or_default();
        writeln!(known, "[127.0.0.1]:{port} {}", host_key.trim()).unwrap();
        fs::write(self.dir.join("known_hosts"), known).unwrap();
        write!(
            self.config,
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        )
        .unwrap();
        self.write();
        sshd
    }

    fn write(&self) {
        let dir = self.dir.display();
        let all = format!(
            "{}Host *\n  IdentityFile {dir}/client_key\n  IdentitiesOnly yes\n  IdentityAgent none\n  \
             UserKnownHostsFile {dir}/known_hosts\n  GlobalKnownHostsFile /dev/null\n  \
             StrictHostKeyChecking yes\n  UpdateHostKeys no\n",
            self.config
        );
        fs::write(self.dir.join("config"), all).unwrap();
    }
}

/// One running sshd and every connection it serves.
pub struct Sshd {
    child: Child,
    log: PathBuf,
}

impl Sshd {
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server and its connections: the host is gone.
    pub fn kill(&mut self) {
        self.signal(nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }

    /// Stops the server and its connections: the host no longer answers,
    /// though its connections stay open.
    pub fn freeze(&mut self) {
        self.signal(nix::sys::signal::Signal::SIGSTOP);
    }

    /// The signal to the server and every process under it (each
    /// connection's sshd is in a session of its own, out of its group).
    fn signal(&self, signal: nix::sys::signal::Signal) {
        let mut pids = vec![self.child.id()];
        let mut i = 0;
        while i < pids.len() {
            let children = fs::read_to_string(format!("/proc/{0}/task/{0}/children", pids[i]))
                .unwrap_or_default();
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
            i += 1;
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal);
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "claude-session-test",
            "-f",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
