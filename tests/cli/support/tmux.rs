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
