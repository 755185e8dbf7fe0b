//! Small file-system helpers: private dirs, atomic private writes.
//!
//! Everything claude-session writes can hold history or secrets, so dirs are
//! 0700 and files 0600 regardless of the caller's umask.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` (and missing parents) with mode 0700. An existing dir is
/// left as it is, except that its mode is tightened to 0700 if it is ours.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = fs::symlink_metadata(dir)?;
    if meta.is_dir() && meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Whether a write must reach the disk before it counts as done.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync before the rename: for what cannot be made again (metadata,
    /// credentials).
    Synced,
    /// No fsync: for files regenerated at every launch (settings.json),
    /// where a power cut costs nothing and an fsync costs milliseconds.
    Regenerated,
}

/// Writes `bytes` to `path` atomically (temp file in the same dir, rename)
/// with mode 0600, so a reader never sees half a file.
pub fn write_private_atomic(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    write_and_rename(path, bytes, durability == Durability::Synced)
}

/// Writes `value` as pretty JSON with a trailing newline, the way every
/// JSON file claude-session owns is written: atomically, 0600.
pub fn write_json<T: serde::Serialize + ?Sized>(
    path: &Path,
    value: &T,
    durability: Durability,
) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    bytes.push(b'\n');
    write_private_atomic(path, &bytes, durability)
}

fn write_and_rename(path: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        if sync {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Opens (creating, 0600) a file used only for `flock`.
pub fn open_lock_file(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
}

/// Appends one line to a private (0600) log file with a single `write`, so
/// lines from concurrent processes never interleave.
pub fn append_private_line(path: &Path, line: &str) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    file.write_all(buf.as_bytes())
}

/// Total size in bytes of the files below `path`, not following links.
pub fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| tree_size(&entry.path()))
        .sum::<u64>()
        + meta.len()
}

/// A path in JSON as its bytes (an array of numbers): a path need not be
/// UTF-8, and JSON strings must be. For `#[serde(with = "path_bytes")]`.
pub mod path_bytes {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Path, PathBuf};

    pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(path.as_os_str().as_bytes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        Ok(PathBuf::from(OsString::from_vec(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_is_private_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        write_private_atomic(&path, b"one", Durability::Synced).unwrap();
        write_private_atomic(&path, b"two", Durability::Regenerated).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temp file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn private_dir_is_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        fs::create_dir_all(&sub).unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&sub).unwrap();
        let mode = fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
