//! Who runs claude-session, and from where.

use std::env;

/// The login name, for the registry and the audit log.
pub fn name() -> String {
    // Looked up once per process: without $USER it takes the passwd
    // database (nsswitch.conf, nscd, /etc/passwd).
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        if let Some(user) = env::var_os("USER").filter(|u| !u.is_empty()) {
            return user.to_string_lossy().into_owned();
        }
        match nix::unistd::User::from_uid(nix::unistd::getuid()) {
            Ok(Some(user)) => user.name,
            _ => nix::unistd::getuid().to_string(),
        }
    })
    .clone()
}

/// `$SSH_CLIENT` ("ip port port"), or None for a local terminal.
pub fn ssh_client() -> Option<String> {
    env::var("SSH_CLIENT")
        .ok()
        .or_else(|| env::var("SSH_CONNECTION").ok())
        .filter(|s| !s.is_empty())
}
