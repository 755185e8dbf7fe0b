//! Session archives, for `export` and `import`: one tar stream compressed
//! with zstd, holding a manifest and the session's own files.
//!
//! ```text
//! manifest.json                    always first: format, version, when, redacted?
//! session/metadata.json            the session as the registry knew it
//! session/history.jsonl            the prompt history (up-arrow)
//! session/overrides.json           the session's settings override, if any
//! session/mcp-template.json        its own MCP servers, if any
//! session/projects/…               transcripts (one .jsonl per conversation)
//! session/todos/… tasks/… file-history/… plans/…
//! ```
//!
//! What is never in one: `.credentials.json` (the login), `.claude.json`
//! (it holds the account, `primaryApiKey` and MCP secrets; `import` seeds a
//! fresh one from the importing user's base), the links into the base
//! (skills, agents, ...: those are the base's, not the session's), the
//! generated `settings.json`, and run-time files (sockets, locks,
//! `session.log`, `holder.log`, `stats-cache.json`, Claude's `sessions/`).
//! Only regular files and dirs are written; symlinks are skipped.
//!
//! `import` trusts nothing in an archive: see `unpack`, and `carried` for
//! the settings it applies only when told to.

mod carried;
mod pack;
mod redact;
mod unpack;

pub use carried::{Carried, Part};
pub use pack::{plan, write};
pub use unpack::{Limits, Unpacked, unpack};

use crate::util::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// `manifest.json`'s `format`: says what the file is.
pub const FORMAT: &str = "claude-session-export";
/// Bumped when an older `import` could not read what `export` writes.
pub const VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
/// The dir in the archive that holds the session dir's files.
pub const SESSION: &str = "session";
/// Files of the session dir that are carried (when present).
pub const FILES: &[&str] = &[
    crate::store::metadata::FILE,
    "history.jsonl",
    // Written by `new --model/--settings/...` and `set`: the session's own
    // settings, re-applied at every launch.
    "overrides.json",
    "mcp-template.json",
];
/// Dirs of the session dir that are carried whole (regular files only).
pub const TREES: &[&str] = &["projects", "todos", "tasks", "file-history", "plans"];

/// The file name suffix of an archive.
pub const SUFFIX: &str = ".claude-session.tar.zst";

/// What an archive says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// `claude-session <version>` that wrote it.
    pub created_by: String,
    pub exported_at: Timestamp,
    /// True if `--redact` replaced keys and tokens in it.
    #[serde(default)]
    pub redacted: bool,
    /// True if Claude was running in the session while it was exported.
    #[serde(default)]
    pub running: bool,
}

impl Manifest {
    pub fn new(redacted: bool, running: bool) -> Self {
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            created_by: format!("claude-session {}", env!("CARGO_PKG_VERSION")),
            exported_at: Timestamp::now(),
            redacted,
            running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::ProgressBar;
    use std::fs;
    use std::io::{Read, Seek};
    use std::path::Path;
    use std::time::{Duration, UNIX_EPOCH};

    const METADATA: &str = r#"{"sessionId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","sessionName":"t",
        "userId":"u","workingDirectory":"/w","startTime":"2024-01-01T00:00:00Z",
        "status":"stopped","lastActivity":"2024-01-01T00:00:00Z"}"#;

    fn pack(dir: &Path) -> Vec<u8> {
        let mut out = tempfile::tempfile().unwrap();
        let plan = plan(dir).unwrap();
        let manifest = Manifest::new(false, false);
        write(
            dir,
            &plan,
            &manifest,
            false,
            out.try_clone().unwrap(),
            &ProgressBar::hidden(),
        )
        .unwrap();
        out.rewind().unwrap();
        let mut bytes = Vec::new();
        out.read_to_end(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn long_paths_and_mtimes_survive_a_round_trip() {
        let src = tempfile::tempdir().unwrap();
        fs::write(src.path().join("metadata.json"), METADATA).unwrap();
        // Deeper than the 100 bytes a plain tar header holds.
        let deep = format!(
            "projects/{}/{}",
            "-home-someone-src".repeat(8),
            "x".repeat(120)
        );
        fs::create_dir_all(src.path().join(&deep)).unwrap();
        let file = src.path().join(&deep).join("c.jsonl");
        fs::write(&file, "{}\n").unwrap();
        let old = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();

        let dest = tempfile::tempdir().unwrap();
        let got = unpack(&pack(src.path())[..], dest.path(), Limits::DEFAULT).unwrap();
        assert_eq!(got.files, 2);
        assert_eq!(got.session.session_name, "t");
        let copy = dest.path().join(&deep).join("c.jsonl");
        assert_eq!(fs::read(&copy).unwrap(), b"{}\n");
        assert_eq!(fs::metadata(&copy).unwrap().modified().unwrap(), old);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn limits_count_every_entry() {
        let src = tempfile::tempdir().unwrap();
        fs::write(src.path().join("metadata.json"), METADATA).unwrap();
        fs::create_dir(src.path().join("todos")).unwrap();
        for i in 0..4 {
            fs::write(src.path().join(format!("todos/{i}.json")), [b'x'; 100]).unwrap();
        }
        let archive = pack(src.path());
        let total = METADATA.len() as u64 + 400;
        let try_with = |limits| {
            let dest = tempfile::tempdir().unwrap();
            unpack(&archive[..], dest.path(), limits).map(|u| u.bytes)
        };
        assert_eq!(try_with(Limits::DEFAULT).unwrap(), total);
        let small = Limits {
            bytes: total - 1,
            ..Limits::DEFAULT
        };
        let err = try_with(small).err().unwrap().to_string();
        assert!(err.contains("would unpack to more than"), "{err}");
        let few = Limits {
            entries: 4,
            ..Limits::DEFAULT
        };
        let err = try_with(few).err().unwrap().to_string();
        assert!(err.contains("more than 4 entries"), "{err}");
    }
}
