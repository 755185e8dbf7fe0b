//! The hosts the user added: `${XDG_CONFIG_HOME:-~/.config}/claude-session/hosts.json`
//! (0600, its dir 0700), a name and an `ssh` destination each.
//!
//! Everything read from the file is checked as if typed: a destination that
//! `ssh` would read as an option (`-oProxyCommand=...`) is refused wherever
//! it comes from.

use anyhow::{Context, Result, bail};
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The most hosts kept: every one is asked at once by `list --all-hosts`.
pub const MAX_HOSTS: usize = 100;
/// The name `list --all-hosts` gives this machine, and `NAME@local` means.
pub const LOCAL: &str = "local";
/// What runs on a host unless its entry names another program.
pub const PROGRAM: &str = "claude-session";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Host {
    /// What the user calls it: `--host NAME`, `SESSION@NAME`.
    pub name: String,
    /// Anything `ssh` accepts (`user@host`, an alias of ~/.ssh/config,
    /// `ssh://host:port`), so ssh's own configuration applies.
    pub destination: String,
    /// claude-session on the host, when the PATH of a command run over ssh
    /// does not have it (an absolute path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
}

impl Host {
    pub fn program(&self) -> &str {
        self.program.as_deref().unwrap_or(PROGRAM)
    }

    /// Every field as `host add` would check it.
    pub fn check(&self) -> Result<()> {
        check_name(&self.name)?;
        check_destination(&self.destination)?;
        if let Some(program) = &self.program {
            check_program(program)?;
        }
        Ok(())
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostsFile {
    hosts: Vec<Host>,
}

/// Where the hosts are kept.
pub fn path() -> Result<PathBuf> {
    let config = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        // The XDG spec: a relative path is to be ignored.
        Some(dir) if dir.is_absolute() => dir,
        _ => crate::store::layout::home_dir()?.join(".config"),
    };
    Ok(config.join("claude-session").join("hosts.json"))
}

/// The hosts, in the order they were added (none if there is no file).
pub fn load() -> Result<Vec<Host>> {
    read(&path()?)
}

fn read(path: &Path) -> Result<Vec<Host>> {
    let bytes = match crate::util::fsutil::read_bounded(path, crate::util::fsutil::MAX_CONFIG) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let file: HostsFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a hosts file", path.display()))?;
    if file.hosts.len() > MAX_HOSTS {
        bail!(
            "{} holds {} hosts, more than the {MAX_HOSTS} claude-session uses",
            path.display(),
            file.hosts.len()
        );
    }
    for (i, host) in file.hosts.iter().enumerate() {
        host.check()
            .with_context(|| format!("{}: host {}", path.display(), i + 1))?;
        if file.hosts[..i].iter().any(|h| h.name == host.name) {
            bail!("{}: host {} is named twice", path.display(), host.name);
        }
    }
    Ok(file.hosts)
}

/// Changes the hosts under a lock (two `host add` at once both count) and
/// writes them back atomically.
pub fn update<T>(change: impl FnOnce(&mut Vec<Host>) -> Result<T>) -> Result<T> {
    let path = path()?;
    let dir = path.parent().expect("hosts.json has a dir");
    crate::util::fsutil::create_private_dir(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let lock_path = dir.join("hosts.lock");
    let lock = crate::util::fsutil::open_lock_file(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    let _lock = Flock::lock(lock, FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let mut hosts = read(&path)?;
    let result = change(&mut hosts)?;
    if hosts.len() > MAX_HOSTS {
        bail!("at most {MAX_HOSTS} hosts can be added");
    }
    crate::util::fsutil::write_json(
        &path,
        &HostsFile { hosts },
        crate::util::fsutil::Durability::Synced,
    )
    .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(result)
}

/// The host named `name`.
pub fn find<'a>(hosts: &'a [Host], name: &str) -> Result<&'a Host> {
    match hosts.iter().find(|h| h.name == name) {
        Some(host) => Ok(host),
        None if hosts.is_empty() => {
            bail!(
                "no host named {name}: none is added yet (`claude-session host add {name} DESTINATION`)"
            )
        }
        None => bail!("no host named {name}; `claude-session host list` shows them"),
    }
}

/// Letters, digits, `.`, `_`, `-`, at most 64, not starting with `.` or
/// `-`; not `local` (this machine).
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 {
        bail!("a host name has 1 to 64 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        || name.starts_with(['.', '-'])
    {
        bail!("invalid host name {name:?}: use letters, digits, '.', '_' and '-'");
    }
    if name == LOCAL {
        bail!("{LOCAL} is this machine's name in claude-session; pick another");
    }
    Ok(())
}

/// What `ssh` will take as a destination, never as an option: printable
/// ASCII without spaces, at most 255 bytes, not starting with `-`.
pub fn check_destination(destination: &str) -> Result<()> {
    // Debug shows control characters escaped.
    let shown = destination;
    if destination.is_empty() || destination.len() > 255 {
        bail!("a destination has 1 to 255 characters");
    }
    if destination.starts_with('-') {
        bail!("invalid destination {shown:?}: it would be read as an option of ssh");
    }
    if !destination.bytes().all(|b| b.is_ascii_graphic()) {
        bail!("invalid destination {shown:?}: printable characters without spaces only");
    }
    Ok(())
}

/// An absolute path of printable characters.
pub fn check_program(program: &str) -> Result<()> {
    if !program.starts_with('/') || program.len() > 4096 || program.chars().any(char::is_control) {
        bail!("invalid program {program:?}: give claude-session's absolute path on the host");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_destinations_are_checked() {
        for good in ["a", "gpu-1", "build.example", "x_y"] {
            check_name(good).unwrap();
        }
        for bad in ["", "-x", ".x", "a b", "a@b", "local", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in ["me@host", "host", "ssh://me@host:2222", "[::1]"] {
            check_destination(good).unwrap();
        }
        for bad in [
            "",
            "-oProxyCommand=sh",
            "a b",
            "a\nb",
            "ünï",
            &"h".repeat(256),
        ] {
            assert!(check_destination(bad).is_err(), "{bad}");
        }
        check_program("/opt/bin/claude-session").unwrap();
        assert!(check_program("claude-session").is_err());
        assert!(check_program("/a\nb").is_err());
    }

    #[test]
    fn a_bad_entry_in_the_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts.json");
        std::fs::write(
            &path,
            r#"{"hosts": [{"name": "a", "destination": "-oProxyCommand=touch /tmp/x"}]}"#,
        )
        .unwrap();
        let e = format!("{:#}", read(&path).unwrap_err());
        assert!(e.contains("would be read as an option of ssh"), "{e}");
        std::fs::write(
            &path,
            r#"{"hosts": [{"name": "a", "destination": "x"}, {"name": "a", "destination": "y"}]}"#,
        )
        .unwrap();
        let e = format!("{:#}", read(&path).unwrap_err());
        assert!(e.contains("named twice"), "{e}");
        assert!(read(&dir.path().join("missing.json")).unwrap().is_empty());
    }
}
