//! Small file-system helpers: private dirs, atomic private writes, bounded
//! reads.
//!
//! Everything claude-session writes can hold history or secrets, so dirs are
//! 0700 and files 0600 regardless of the caller's umask.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The most read of a JSON file given or kept as configuration (settings,
/// MCP configs, `overrides.json`, `metadata.json`, `ports.json`, a login):
/// real ones are a few kB.
pub const MAX_CONFIG: u64 = 16_000_000;
/// The most read of Claude Code's own `.claude.json`, which keeps per-project
/// history and has been seen past 100 MB.
pub const MAX_CLAUDE_JSON: u64 = 256_000_000;

/// Reads `path` whole, if it is a regular file (a link is followed) of at
/// most `limit` bytes. Anything else is an error rather than a hang or an
/// unbounded read: a FIFO, a device such as `/dev/zero`, a dir, a file that
/// is or grows too large. A missing file is `NotFound`, as from `fs::read`.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // Non-blocking: opening a FIFO for reading would wait for a writer.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits() | nix::fcntl::OFlag::O_NOCTTY.bits())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {}, the most claude-session reads of such a file",
                crate::util::output::human_bytes(limit)
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    // The size is checked again while reading: a file may grow, and some
    // (in /proc) say 0.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

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

/// `dir` made if missing, and checked to be a dir (not a link) of this
/// user that nobody else can enter: for sockets in a shared place (/tmp).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    create_private_dir(dir)?;
    let meta = fs::symlink_metadata(dir)?;
    if !meta.is_dir()
        || meta.uid() != nix::unistd::getuid().as_raw()
        || meta.permissions().mode() & 0o077 != 0
    {
        return Err(io::Error::other(format!(
            "{} is not a private dir of this user; remove it",
            dir.display()
        )));
    }
    Ok(())
}

/// Makes the dirs `names` (each one plain file name), one inside the other,
/// below the dir `parent`, 0700, never through a link: each is made and
/// opened relative to the one before it, and a link, or a file, where a dir
/// belongs is an error. An existing dir of ours is tightened to 0700 through
/// its descriptor, so no chmod can reach beyond `parent`. Returns the path of
/// the last one.
pub fn create_private_dirs_in(parent: &Path, names: &[&str]) -> io::Result<PathBuf> {
    use nix::errno::Errno;
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::{Mode, fchmod, fstat, mkdirat};
    let mut dir: std::os::fd::OwnedFd = fs::File::open(parent)?.into();
    let mut path = parent.to_path_buf();
    for name in names {
        if name.is_empty() || *name == "." || *name == ".." || name.contains(['/', '\0']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a plain file name"),
            ));
        }
        match mkdirat(&dir, *name, Mode::S_IRWXU) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e.into()),
        }
        path.push(name);
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        dir = match openat(&dir, *name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ELOOP | Errno::ENOTDIR) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a dir (a link is not followed)", path.display()),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let stat = fstat(&dir)?;
        if stat.st_mode & 0o777 != 0o700 && stat.st_uid == nix::unistd::getuid().as_raw() {
            fchmod(&dir, Mode::S_IRWXU)?;
        }
    }
    Ok(path)
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
    fn bounded_reads_take_only_regular_files_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        fs::write(&path, b"{}").unwrap();
        assert_eq!(read_bounded(&path, 2).unwrap(), b"{}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert_eq!(read_bounded(&link, 2).unwrap(), b"{}");
        let err = read_bounded(&path, 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            err.to_string(),
            "larger than 1 B, the most claude-session reads of such a file"
        );
        let missing = read_bounded(&dir.path().join("none"), 1).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        // A FIFO with no writer would block a plain read forever.
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        for special in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
            let err = read_bounded(special, MAX_CONFIG).unwrap_err();
            assert_eq!(err.to_string(), "not a regular file", "{special:?}");
        }
        // /proc files say 0 bytes and hold more.
        let err = read_bounded(Path::new("/proc/self/maps"), 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn dirs_in_a_parent_never_go_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::set_permissions(&outside, fs::Permissions::from_mode(0o755)).unwrap();
        let session = dir.path().join("session");
        fs::create_dir(&session).unwrap();

        let made = create_private_dirs_in(&session, &["mcp-state", "mem"]).unwrap();
        assert_eq!(made, session.join("mcp-state/mem"));
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&made), 0o700);
        fs::set_permissions(&made, fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dirs_in(&session, &["mcp-state", "mem"]).unwrap();
        assert_eq!(mode(&made), 0o700, "tightened");

        std::os::unix::fs::symlink(&outside, session.join("mcp-state/link")).unwrap();
        let err = create_private_dirs_in(&session, &["mcp-state", "link"]).unwrap_err();
        assert!(err.to_string().contains("is not a dir"), "{err}");
        std::os::unix::fs::symlink(&outside, session.join("state")).unwrap();
        assert!(create_private_dirs_in(&session, &["state", "x"]).is_err());
        for bad in ["..", "a/b", "/tmp", ""] {
            let err = create_private_dirs_in(&session, &["mcp-state", bad]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
        assert_eq!(mode(&outside), 0o755);
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
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
