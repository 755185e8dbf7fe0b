//! tmux for tests that drive an interactive program as a person would:
//! keys in, the screen as text out.

use std::path::PathBuf;

/// Waits until tmux's screen satisfies `ready`, returning it.
pub fn wait_screen(tmux: &Tmux, ready: impl Fn(&str) -> bool) -> String {
    super::wait_until(
        std::time::Duration::from_secs(60),
        || format!("screen never got ready:\n{}", tmux.capture()),
        || Some(tmux.capture()).filter(|screen| ready(screen)),
    )
}

pub struct Tmux {
    pub socket: PathBuf,
}

impl Tmux {
    /// Starts `claude-session ARGS` in a tmux of `cols`x`rows`, in `env`'s
    /// work dir with exactly `env`'s environment; when it ends, the pane
    /// says `EXITED=<status>` and stays.
    pub fn start(env: &super::Env, args: &[&str], cols: u16, rows: u16) -> Tmux {
        let tmux = Tmux {
            socket: env.root.join("tmux.sock"),
        };
        let cmd = env.cmd(args);
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = String::from("env -i");
        for (k, v) in cmd.get_envs() {
            if let (k, Some(v)) = (k.to_string_lossy(), v) {
                line.push_str(&format!(
                    " {}",
                    quote(&format!("{k}={}", v.to_string_lossy()))
                ));
            }
        }
        line.push_str(&format!(" TERM=xterm-256color {}", quote(super::BIN)));
        for arg in args {
            line.push_str(&format!(" {}", quote(arg)));
        }
        line.push_str("; echo EXITED=$?; sleep 600");
        let started = tmux
            .cmd()
            .args(["new-session", "-d", "-s", "main", "-x"])
            .arg(cols.to_string())
            .arg("-y")
            .arg(rows.to_string())
            .arg("-c")
            .arg(&env.work)
            .arg(&line)
            .status()
            .unwrap();
        assert!(started.success());
        tmux
    }

    pub fn cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("tmux");
        cmd.arg("-S").arg(&self.socket);
        cmd
    }

    pub fn capture(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "main"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        assert!(
            self.cmd()
                .args(["send-keys", "-t", "main"])
                .args(keys)
                .status()
                .unwrap()
                .success()
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}
