//! Reading an archive without trusting it. Every entry is checked before
//! anything is written: a relative path of plain components (no `/` at the
//! start, no `..`, no `.`), inside the layout `export` writes (see
//! `super`), of a regular file or a dir (no symlinks or hard links at all,
//! no devices or FIFOs), with its declared size counted against a limit
//! before its data is read. GNU long names are taken (export writes them
//! for deep paths), up to PATH_MAX; PAX headers are refused (export never
//! writes them). Files are made 0600 and dirs 0700 whatever the archive
//! says, and only ever inside `dest`, which holds nothing else, so no link
//! can lead a write out of it.

use super::{FILES, FORMAT, MANIFEST, Manifest, SESSION, TREES, VERSION};
use crate::store::session::Session;
use std::ffi::{OsStr, OsString};
use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// What an archive may unpack to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Total size of the files.
    pub bytes: u64,
    /// Number of entries (files and dirs).
    pub entries: u64,
}

impl Limits {
    /// 10 GiB is far above a real session (heavy ones are hundreds of MB)
    /// and well below filling a disk by surprise.
    pub const DEFAULT: Limits = Limits {
        bytes: 10 << 30,
        entries: 1_000_000,
    };
}

/// Longest path accepted (Linux's PATH_MAX), and file name (NAME_MAX).
const MAX_PATH: u64 = 4096;
const MAX_NAME: usize = 255;
/// The manifest and metadata.json are read into memory: small, bounded.
const MAX_MANIFEST: u64 = 64 << 10;
const MAX_METADATA: u64 = 1 << 20;
/// What may follow the tar's end marker (tar pads with zero blocks).
const MAX_TRAILER: u64 = 1 << 20;
/// Every zstd frame starts with these bytes.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Why an archive was refused. One line each.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("it is not a claude-session archive (not zstd-compressed)")]
    NotZstd,
    #[error("it is not a claude-session archive ({0})")]
    NotOurs(String),
    #[error("the archive is corrupt or truncated ({0})")]
    Corrupt(String),
    #[error("the archive holds {what} ({path}); refused")]
    Hostile { what: String, path: String },
    #[error("the archive would unpack to more than {limit}; refused")]
    TooBig { limit: String },
    #[error(
        "the archive was written by a newer claude-session (format version {0}); upgrade to import it"
    )]
    TooNew(u32),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What was unpacked.
pub struct Unpacked {
    pub manifest: Manifest,
    /// `session/metadata.json`, as the exporting store knew the session.
    pub session: Session,
    pub files: u64,
    pub bytes: u64,
}

/// Unpacks the archive read from `reader` into `dest` (an empty dir made
/// for it): the files under `session/` land at the top of `dest`. On an
/// error `dest` holds part of the archive: the caller removes it.
pub fn unpack(mut reader: impl Read, dest: &Path, limits: Limits) -> Result<Unpacked, Refused> {
    let mut magic = [0u8; 4];
    match reader.read_exact(&mut magic) {
        Ok(()) if magic == ZSTD_MAGIC => {}
        Ok(()) => return Err(Refused::NotZstd),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(Refused::NotZstd),
        Err(e) => return Err(corrupt(e)),
    }
    let decoder = zstd::Decoder::new(io::Cursor::new(magic).chain(reader)).map_err(corrupt)?;
    let mut archive = tar::Archive::new(decoder);
    let mut state = State {
        dest,
        limits,
        entries: 0,
        files: 0,
        bytes: 0,
        long_name: None,
        manifest: None,
    };
    // Raw: long names are handled here, with a bound, instead of being
    // read whole into memory by the tar crate.
    for entry in archive.entries().map_err(corrupt)?.raw(true) {
        state.entry(&mut entry.map_err(corrupt)?)?;
    }
    if state.long_name.is_some() {
        return Err(Refused::Corrupt(
            "a long name with no entry after it".into(),
        ));
    }
    let Some(manifest) = state.manifest else {
        return Err(Refused::NotOurs("it is empty".into()));
    };
    // Read to the end, so a truncated or corrupted stream is noticed (zstd
    // checks its frame checksum there) even after the last entry.
    let mut rest = archive.into_inner().take(MAX_TRAILER + 1);
    if io::copy(&mut rest, &mut io::sink()).map_err(corrupt)? > MAX_TRAILER {
        return Err(Refused::Corrupt("data after the end of the archive".into()));
    }
    let session = read_metadata(dest)?;
    Ok(Unpacked {
        manifest,
        session,
        files: state.files,
        bytes: state.bytes,
    })
}

struct State<'a> {
    dest: &'a Path,
    limits: Limits,
    entries: u64,
    files: u64,
    bytes: u64,
    /// A GNU long name, for the entry that follows it.
    long_name: Option<Vec<u8>>,
    manifest: Option<Manifest>,
}

/// Where an entry goes.
enum Target {
    Manifest,
    /// Relative to the session dir; empty for `session/` itself.
    Session(Vec<OsString>),
}

impl State<'_> {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), Refused> {
        self.entries += 1;
        if self.entries > self.limits.entries {
            return Err(Refused::TooBig {
                limit: format!("{} entries", self.limits.entries),
            });
        }
        let kind = entry.header().entry_type();
        let size = entry.size();
        if kind.is_gnu_longname() {
            if self.long_name.is_some() {
                return Err(Refused::Corrupt("two long names for one entry".into()));
            }
            if size > MAX_PATH {
                return Err(hostile("a path longer than 4096 bytes", b"././@LongLink"));
            }
            let mut name = Vec::new();
            entry.read_to_end(&mut name).map_err(corrupt)?;
            while name.last() == Some(&0) {
                name.pop();
            }
            self.long_name = Some(name);
            return Ok(());
        }
        let raw = match self.long_name.take() {
            Some(name) => name,
            None => entry.path_bytes().into_owned(),
        };
        let target = target(&raw)?;
        let what = match kind {
            tar::EntryType::Regular | tar::EntryType::Directory => None,
            tar::EntryType::Symlink => Some("a symbolic link"),
            tar::EntryType::Link => Some("a hard link"),
            tar::EntryType::Char | tar::EntryType::Block => Some("a device file"),
            tar::EntryType::Fifo => Some("a FIFO"),
            tar::EntryType::XHeader | tar::EntryType::XGlobalHeader => Some("a PAX header"),
            _ => Some("an entry of an unsupported type"),
        };
        if let Some(what) = what {
            return Err(hostile(what, &raw));
        }
        let is_dir = kind == tar::EntryType::Directory;
        match (&target, self.manifest.is_some()) {
            (Target::Manifest, false) if !is_dir => {}
            (Target::Manifest, _) => return Err(hostile("an unexpected manifest", &raw)),
            (Target::Session(_), false) => {
                return Err(Refused::NotOurs("it does not start with a manifest".into()));
            }
            (Target::Session(_), true) => {}
        }
        if is_dir && size != 0 {
            return Err(Refused::Corrupt(format!(
                "a dir with data ({})",
                shown(&raw)
            )));
        }
        if size > self.limits.bytes.saturating_sub(self.bytes) {
            return Err(Refused::TooBig {
                limit: crate::util::output::human_bytes(self.limits.bytes),
            });
        }
        let parts = match target {
            Target::Manifest => {
                if size > MAX_MANIFEST {
                    return Err(hostile("an oversized manifest", &raw));
                }
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(corrupt)?;
                self.manifest = Some(manifest(&bytes)?);
                return Ok(());
            }
            Target::Session(parts) => parts,
        };
        let top = parts.first().and_then(|p| p.to_str());
        let is_file_name = parts.len() == 1 && FILES.contains(&top.unwrap_or_default());
        let is_tree_root = parts.len() == 1 && TREES.contains(&top.unwrap_or_default());
        if is_dir && is_file_name {
            return Err(hostile("a dir where a file belongs", &raw));
        }
        if !is_dir && (parts.is_empty() || is_tree_root) {
            return Err(hostile("a file where a dir belongs", &raw));
        }
        if top == Some(crate::store::metadata::FILE) && size > MAX_METADATA {
            return Err(hostile("an oversized metadata.json", &raw));
        }
        let path = parts.iter().fold(self.dest.to_path_buf(), |p, c| p.join(c));
        if is_dir {
            return make_dir(&path);
        }
        if let Some(parent) = path.parent() {
            make_dir(parent)?;
        }
        self.bytes += size;
        self.files += 1;
        let mtime = entry.header().mtime().unwrap_or(0);
        write_file(entry, &path, size, mtime, &raw)
    }
}

/// Checks an entry's path and says where it goes.
fn target(raw: &[u8]) -> Result<Target, Refused> {
    if raw.is_empty() {
        return Err(hostile("an entry without a name", raw));
    }
    if raw.len() as u64 > MAX_PATH {
        return Err(hostile("a path longer than 4096 bytes", raw));
    }
    if raw[0] == b'/' {
        return Err(hostile("an absolute path", raw));
    }
    let trimmed = raw.strip_suffix(b"/").unwrap_or(raw);
    let mut parts = Vec::new();
    for part in trimmed.split(|b| *b == b'/') {
        match part {
            b".." => return Err(hostile("a path with `..`", raw)),
            b"" | b"." => return Err(hostile("a path with an empty or `.` component", raw)),
            _ if part.len() > MAX_NAME => {
                return Err(hostile("a file name longer than 255 bytes", raw));
            }
            _ if part.contains(&0) => return Err(hostile("a path with a NUL byte", raw)),
            // File names are bytes on Linux; no need for UTF-8.
            _ => parts.push(OsStr::from_bytes(part).to_os_string()),
        }
    }
    let layout = |parts: &[OsString]| match parts.first().and_then(|p| p.to_str()) {
        None => parts.is_empty(),
        Some(top) if FILES.contains(&top) => parts.len() == 1,
        Some(top) => TREES.contains(&top),
    };
    match parts.as_slice() {
        [only] if only == MANIFEST => Ok(Target::Manifest),
        [first, rest @ ..] if first == SESSION && layout(rest) => {
            Ok(Target::Session(rest.to_vec()))
        }
        _ => Err(hostile("an entry outside the expected layout", raw)),
    }
}

fn manifest(bytes: &[u8]) -> Result<Manifest, Refused> {
    let manifest: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| Refused::NotOurs(format!("its manifest is not valid: {e}")))?;
    if manifest.format != FORMAT {
        return Err(Refused::NotOurs(format!(
            "its manifest says {:?}",
            manifest.format
        )));
    }
    if manifest.version > VERSION {
        return Err(Refused::TooNew(manifest.version));
    }
    Ok(manifest)
}

fn read_metadata(dest: &Path) -> Result<Session, Refused> {
    let path = dest.join(crate::store::metadata::FILE);
    let bytes = match crate::util::fsutil::read_bounded(&path, MAX_METADATA) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Refused::NotOurs("it has no session/metadata.json".into()));
        }
        Err(source) => return Err(Refused::Write { path, source }),
    };
    let session: Session = serde_json::from_slice(&bytes)
        .map_err(|e| Refused::Corrupt(format!("session/metadata.json: {e}")))?;
    let cwd = &session.working_directory;
    if !cwd.is_absolute() || cwd.to_str().is_none_or(|s| s.contains('\0')) {
        return Err(Refused::Corrupt(format!(
            "session/metadata.json: the working directory {cwd:?} is not an absolute path"
        )));
    }
    Ok(session)
}

fn make_dir(path: &Path) -> Result<(), Refused> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| Refused::Write {
            path: path.to_path_buf(),
            source,
        })
}

fn write_file(
    entry: &mut impl Read,
    path: &Path,
    size: u64,
    mtime: u64,
    raw: &[u8],
) -> Result<(), Refused> {
    let failed = |source| Refused::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(hostile("an entry that appears twice", raw));
        }
        Err(e) => return Err(failed(e)),
    };
    // Read and write apart: a read error is the archive's fault, a write
    // error (disk full) is ours.
    let mut buf = vec![0u8; 64 << 10];
    let mut copied = 0u64;
    loop {
        let n = entry.read(&mut buf).map_err(corrupt)?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(failed)?;
        copied += n as u64;
    }
    if copied != size {
        return Err(Refused::Corrupt(format!(
            "{} ends after {copied} of {size} bytes",
            shown(raw)
        )));
    }
    // Which conversation `resume` continues is decided by transcript mtimes.
    if let Some(when) = UNIX_EPOCH.checked_add(Duration::from_secs(mtime)) {
        file.set_modified(when).map_err(failed)?;
    }
    Ok(())
}

fn corrupt(e: io::Error) -> Refused {
    Refused::Corrupt(e.to_string())
}

fn hostile(what: &str, raw: &[u8]) -> Refused {
    Refused::Hostile {
        what: what.to_string(),
        path: shown(raw),
    }
}

/// A path as shown in a message: quoted, escaped, one line.
fn shown(raw: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        let ok = |p: &str| target(p.as_bytes()).is_ok();
        assert!(ok("manifest.json"));
        assert!(ok("session/"));
        assert!(ok("session/metadata.json"));
        assert!(ok("session/projects/-w/c.jsonl"));
        assert!(ok("session/file-history/x/y@v2"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "session/../../x",
            "session/projects/../../x",
            "./session/metadata.json",
            "session//projects",
            "session/.credentials.json",
            "session/.claude.json",
            "session/skills/x",
            "session/metadata.json/x",
            "other/file",
            "manifest.json/x",
        ] {
            assert!(!ok(bad), "{bad:?} accepted");
        }
        assert!(target(&[b'a'; 5000]).is_err());
        assert!(target(b"session/projects/\xff").is_ok());
        assert!(target(b"session/\xff").is_err());
    }

    #[test]
    fn messages_are_one_line() {
        let e = target(b"/a\nb").err().unwrap().to_string();
        assert_eq!(
            e,
            r#"the archive holds an absolute path ("/a\nb"); refused"#
        );
    }
}
