//! Copying files into a session without ever losing what it holds. A file
//! the session has is the session's: Claude may have continued the
//! conversation in it. Only when the session's file is a byte prefix of the
//! source's (only the source went on) is it made whole; otherwise it is
//! kept, and the report says so.
//!
//! Each file is written to a temporary name beside its place and renamed
//! into it, so a killed `migrate` leaves either no file or a whole one (plus
//! a temporary file, removed by the next run: `sweep`). The caller holds the
//! session lock, so no Claude writes in the session meanwhile.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use uuid::Uuid;

/// The end of a temporary file's name: `.<name>.claude-session-migrating`.
const TEMP_SUFFIX: &str = ".claude-session-migrating";

/// A regular file to copy, as it was when found.
pub struct Source {
    pub path: PathBuf,
    /// Only this much is copied: Claude appends to transcripts while we
    /// read, and the prefix it had when found is stable.
    pub len: u64,
    pub modified: SystemTime,
}

/// A file and where it goes, relative to the session dir.
pub struct Item {
    pub source: Source,
    pub rel: PathBuf,
    pub conversation: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Not in the session: copied.
    Copy,
    /// The session's is a prefix of the source's (only the source went
    /// on): the rest is added.
    Extend,
    /// The same in both.
    Same,
    /// The source's is a prefix of the session's (the session went on): kept.
    SessionNewer,
    /// Both went on, differently (or something else is in its place): the
    /// session's is kept.
    Differs,
}

/// What was (or, in a dry run, would be) done with one file.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub path: PathBuf,
    pub conversation: Option<Uuid>,
    pub action: Action,
    /// Bytes written: the whole file, or what was added.
    pub bytes: u64,
}

/// Decides, and unless `dry_run` does, what each item needs in
/// `session_dir` (`None`: a session still to be made, so every file is new).
pub fn sync(items: &[Item], session_dir: Option<&Path>, dry_run: bool) -> Result<Vec<Done>> {
    let mut made_dirs = HashSet::new();
    let mut done = Vec::with_capacity(items.len());
    for item in items {
        let dest = session_dir.map(|d| d.join(&item.rel));
        let (action, bytes) = match &dest {
            None => (Action::Copy, item.source.len),
            Some(dest) => {
                let (action, found) = decide(&item.source, dest)
                    .with_context(|| format!("cannot compare {}", dest.display()))?;
                let bytes = match action {
                    Action::Copy | Action::Extend => {
                        item.source.len - found.as_ref().map_or(0, |m| m.len())
                    }
                    _ => 0,
                };
                if !dry_run && matches!(action, Action::Copy | Action::Extend) {
                    let dir = session_dir.expect("a session dir");
                    private_dirs(dir, item.rel.parent(), &mut made_dirs)?;
                    install(&item.source, dest, found.as_ref()).with_context(|| {
                        format!(
                            "cannot copy {} to {}",
                            item.source.path.display(),
                            dest.display()
                        )
                    })?;
                }
                (action, bytes)
            }
        };
        done.push(Done {
            path: item.rel.clone(),
            conversation: item.conversation,
            action,
            bytes,
        });
    }
    Ok(done)
}

/// What `source` needs at `dest`, and what is there.
fn decide(source: &Source, dest: &Path) -> io::Result<(Action, Option<fs::Metadata>)> {
    let meta = match fs::symlink_metadata(dest) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Action::Copy, None)),
        Err(e) => return Err(e),
    };
    let action = compare(source, dest, &meta)?;
    Ok((action, Some(meta)))
}

fn compare(source: &Source, dest: &Path, meta: &fs::Metadata) -> io::Result<Action> {
    if !meta.is_file() {
        return Ok(Action::Differs);
    }
    // Copies keep their times: an earlier copy nobody wrote to since.
    // (Were it another file of that size and time, it would be kept all
    // the same: only the report would differ.)
    if meta.len() == source.len && meta.modified().ok() == Some(source.modified) {
        return Ok(Action::Same);
    }
    if !same_prefix(&source.path, dest, meta.len().min(source.len))? {
        return Ok(Action::Differs);
    }
    Ok(match meta.len().cmp(&source.len) {
        Ordering::Less => Action::Extend,
        Ordering::Greater => Action::SessionNewer,
        Ordering::Equal => Action::Same,
    })
}

/// Whether the first `len` bytes of `a` and `b` are the same (a file
/// shorter than that is not).
fn same_prefix(a: &Path, b: &Path, len: u64) -> io::Result<bool> {
    const CHUNK: usize = 1 << 16;
    let (mut a, mut b) = (open_regular(a)?, open_regular(b)?);
    let (mut x, mut y) = (vec![0; CHUNK], vec![0; CHUNK]);
    let mut left = len;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        match (a.read_exact(&mut x[..n]), b.read_exact(&mut y[..n])) {
            (Ok(()), Ok(())) if x[..n] == y[..n] => left -= n as u64,
            (Err(e), _) | (_, Err(e)) if e.kind() != io::ErrorKind::UnexpectedEof => {
                return Err(e);
            }
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Writes the source's first `len` bytes beside `dest` and renames them
/// into place, if `dest` is still as `found` (nothing, or for `Extend` the
/// session's file, a prefix of them).
fn install(source: &Source, dest: &Path, found: Option<&fs::Metadata>) -> Result<()> {
    put(dest, found, source.modified, |out| {
        let copied = io::copy(&mut open_regular(&source.path)?.take(source.len), out)?;
        if copied != source.len {
            return Err(io::Error::other(format!(
                "it shrank from {} to {copied} bytes while being copied; run migrate again",
                source.len
            )));
        }
        Ok(())
    })
}

/// Puts a file at `dest` (0600, time `modified`) whole or not at all:
/// written by `fill` to a temporary name beside it, then renamed into
/// place, if what is at `dest` is still `expected` (as it was when the
/// caller decided: `None`, nothing). Nothing is left behind on an error.
pub fn put(
    dest: &Path,
    expected: Option<&fs::Metadata>,
    modified: SystemTime,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    let tmp = temp_path(dest);
    // One a killed run left (the session lock says no one else writes it).
    let _ = fs::remove_file(&tmp);
    let written = (|| -> Result<()> {
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&tmp)?;
        fill(&mut out)?;
        out.flush()?;
        out.set_modified(modified)?;
        if is_transcript(dest) {
            out.sync_all()?;
        }
        let state = |m: &fs::Metadata| (m.len(), m.modified().ok());
        if fs::symlink_metadata(dest).ok().as_ref().map(state) != expected.map(state) {
            bail!("it changed while being copied; run migrate again");
        }
        fs::rename(&tmp, dest)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Transcripts and the prompt history are synced before they are renamed
/// into place: after a power cut they are whole or absent, never empty.
fn is_transcript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

fn temp_path(dest: &Path) -> PathBuf {
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    dest.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// Opens a regular file for reading, never through a link or a FIFO.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// Makes the dirs from `root` down to `rel` (0700), refusing a link or a
/// file on the way: nothing is written outside the session dir.
fn private_dirs(root: &Path, rel: Option<&Path>, made: &mut HashSet<PathBuf>) -> Result<()> {
    let mut dir = root.to_path_buf();
    for part in rel.into_iter().flat_map(Path::components) {
        dir.push(part);
        if made.contains(&dir) {
            continue;
        }
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => bail!(
                "{} is not a directory; nothing was copied into it",
                dir.display()
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                crate::util::fsutil::create_private_dir(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        }
        made.insert(dir.clone());
    }
    Ok(())
}

/// Removes the temporary files a killed run left below `dir` (links not
/// followed); returns how many.
pub fn sweep(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() {
            removed += sweep(&entry.path());
        } else if kind.is_file()
            && name.starts_with('.')
            && name.ends_with(TEMP_SUFFIX)
            && fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &Path) -> Source {
        let meta = fs::metadata(path).unwrap();
        Source {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().unwrap(),
        }
    }

    fn case(session: &str, base: &str) -> (Action, String) {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("base"), dir.path().join("session"));
        fs::create_dir_all(&from).unwrap();
        fs::write(from.join("t.jsonl"), base).unwrap();
        if !session.is_empty() {
            fs::create_dir_all(to.join("p")).unwrap();
            fs::write(to.join("p/t.jsonl"), session).unwrap();
            // Not by chance the base's time (a copy keeps it).
            File::options()
                .write(true)
                .open(to.join("p/t.jsonl"))
                .unwrap()
                .set_modified(SystemTime::UNIX_EPOCH)
                .unwrap();
        }
        let item = Item {
            source: source(&from.join("t.jsonl")),
            rel: PathBuf::from("p/t.jsonl"),
            conversation: None,
        };
        let done = sync(std::slice::from_ref(&item), Some(&to), false).unwrap();
        let after = fs::read_to_string(to.join("p/t.jsonl")).unwrap();
        // Nothing is left beside it.
        assert_eq!(fs::read_dir(to.join("p")).unwrap().count(), 1);
        (done[0].action, after)
    }

    #[test]
    fn the_session_never_loses_what_it_has() {
        assert_eq!(case("", "a\n"), (Action::Copy, "a\n".into()));
        assert_eq!(case("a\n", "a\nb\n"), (Action::Extend, "a\nb\n".into()));
        assert_eq!(
            case("a\nc\n", "a\n"),
            (Action::SessionNewer, "a\nc\n".into())
        );
        assert_eq!(case("a\nc\n", "a\nb\n"), (Action::Differs, "a\nc\n".into()));
        assert_eq!(case("a\nb\n", "a\nb\n"), (Action::Same, "a\nb\n".into()));
    }

    #[test]
    fn a_copy_keeps_its_time_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("f");
        fs::write(&from, "x").unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        File::options()
            .write(true)
            .open(&from)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let item = Item {
            source: source(&from),
            rel: PathBuf::from("a/b/f"),
            conversation: None,
        };
        let to = dir.path().join("s");
        fs::create_dir(&to).unwrap();
        sync(std::slice::from_ref(&item), Some(&to), false).unwrap();
        let meta = fs::metadata(to.join("a/b/f")).unwrap();
        assert_eq!(meta.modified().unwrap(), old);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(
            fs::metadata(to.join("a")).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // The next time it is the same (by its time and size).
        let again = sync(std::slice::from_ref(&item), Some(&to), false).unwrap();
        assert_eq!(again[0].action, Action::Same);
    }

    #[test]
    fn a_link_in_the_session_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("f");
        fs::write(&from, "x").unwrap();
        let (to, elsewhere) = (dir.path().join("s"), dir.path().join("elsewhere"));
        fs::create_dir_all(&to).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, to.join("a")).unwrap();
        let item = Item {
            source: source(&from),
            rel: PathBuf::from("a/f"),
            conversation: None,
        };
        assert!(sync(std::slice::from_ref(&item), Some(&to), false).is_err());
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    }

    #[test]
    fn sweep_removes_only_what_a_killed_run_left() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("p")).unwrap();
        fs::write(dir.path().join(format!("p/.t.jsonl{TEMP_SUFFIX}")), "half").unwrap();
        fs::write(dir.path().join("p/t.jsonl"), "whole").unwrap();
        fs::write(dir.path().join(format!("p/t{TEMP_SUFFIX}")), "not ours").unwrap();
        assert_eq!(sweep(dir.path()), 1);
        assert_eq!(fs::read_dir(dir.path().join("p")).unwrap().count(), 2);
    }
}
