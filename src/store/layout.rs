//! Where things live on disk: the store (registry, session dirs, audit log)
//! and the base (the user's normal Claude Code dir, shared into sessions).
//!
//! ```text
//! $CLAUDE_SESSION_HOME (default ${XDG_DATA_HOME:-~/.local/share}/claude-session)
//! ├── registry.db            SQLite index of every session
//! ├── audit.log              one line per create / resume / delete
//! ├── search.db              the search index (a cache: `search --rebuild`)
//! └── sessions/<uuid>/       the session's CLAUDE_CONFIG_DIR
//!     ├── metadata.json      what the registry knows, for rebuilding it
//!     ├── session.log        life-cycle lines
//!     ├── .claude.json       seeded from the base, then Claude's own
//!     ├── settings.json      generated from the base at every launch
//!     └── skills -> base/skills, ...  shared links
//! ```

use anyhow::{Context, Result, bail};
use std::env;
use std::path::{Path, PathBuf};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct Layout {
    pub home: PathBuf,
    pub store: PathBuf,
    pub base: PathBuf,
}

impl Layout {
    /// Resolves the store and base from flags, then the environment, then
    /// the defaults. Nothing is created here.
    pub fn discover(store: Option<&Path>, base: Option<&Path>) -> Result<Self> {
        let cwd = env::current_dir().context("cannot read the current directory")?;
        let home = home_dir()?;
        let absolute = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            }
        };
        let store = match store {
            Some(p) => absolute(p),
            None => match env_path("XDG_DATA_HOME") {
                Some(data) => absolute(&data).join("claude-session"),
                None => home.join(".local/share/claude-session"),
            },
        };
        let sessions = store.join("sessions");
        let base = match base {
            Some(p) => absolute(p),
            // Inside a session CLAUDE_CONFIG_DIR names the session dir, not
            // the user's base: never take a session dir for the base.
            None => match env_path("CLAUDE_CONFIG_DIR").map(|p| absolute(&p)) {
                Some(dir) if !dir.starts_with(&sessions) => dir,
                _ => home.join(".claude"),
            },
        };
        if base.starts_with(&sessions) {
            bail!(
                "the base dir {} is inside the session store; point CLAUDE_SESSION_BASE at your normal Claude dir (usually ~/.claude)",
                base.display()
            );
        }
        Ok(Self { home, store, base })
    }

    pub fn sessions_dir(&self) -> PathBuf {
        self.store.join("sessions")
    }

    pub fn session_dir(&self, id: Uuid) -> PathBuf {
        self.sessions_dir().join(id.to_string())
    }

    pub fn registry_path(&self) -> PathBuf {
        self.store.join("registry.db")
    }

    /// The search index (`crate::search`), apart from the registry.
    pub fn search_index(&self) -> PathBuf {
        self.store.join("search.db")
    }

    pub fn audit_log(&self) -> PathBuf {
        self.store.join("audit.log")
    }

    /// The base's global Claude config: `<base>/.claude.json` when Claude
    /// runs with CLAUDE_CONFIG_DIR=<base>; for the default `~/.claude`,
    /// Claude keeps it at `~/.claude.json` instead.
    pub fn base_claude_json(&self) -> Option<PathBuf> {
        let inside = self.base.join(".claude.json");
        if inside.is_file() {
            return Some(inside);
        }
        let beside = self.home.join(".claude.json");
        (self.base == self.home.join(".claude") && beside.is_file()).then_some(beside)
    }

    /// Creates the store and its sessions dir, both 0700.
    pub fn ensure_store(&self) -> Result<()> {
        crate::util::fsutil::create_private_dir(&self.sessions_dir())
            .with_context(|| format!("cannot create the store {}", self.store.display()))?;
        crate::util::fsutil::create_private_dir(&self.store)
            .with_context(|| format!("cannot secure the store {}", self.store.display()))
    }
}

fn env_path(var: &str) -> Option<PathBuf> {
    env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The user's home: $HOME, else the passwd entry.
pub fn home_dir() -> Result<PathBuf> {
    if let Some(home) = env_path("HOME") {
        return Ok(home);
    }
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .context("HOME is not set and the user has no passwd entry")?;
    Ok(user.dir)
}
