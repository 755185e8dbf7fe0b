//! Keeping the index up to date with the transcripts, reading only what
//! changed: the way `claude::stats` reads them, by byte offset per file.
//!
//! A file is read again only if its device, inode, size or mtime changed
//! since; then from where reading stopped if it was appended to (same inode,
//! not shorter, and the bytes before that offset unchanged), else from the
//! start, its entries dropped. A last line without its newline is left for
//! the next update. Files that are gone (a session deleted, a transcript
//! removed) take their entries with them.
//!
//! Files are read in transactions of about `BATCH` bytes, each file's row
//! read again inside: two searches updating at once read each line once;
//! one waits at most one batch's time for the other.

use super::{Index, Role, indexed};
use crate::claude::transcript::Transcript;
use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use uuid::Uuid;

/// A config dir whose transcripts are searched: a session's, or the base
/// (no owner).
pub struct Source {
    pub owner: Option<Uuid>,
    pub dir: PathBuf,
}

/// What an update did.
#[derive(Debug, Default, PartialEq)]
pub struct Updated {
    pub files_read: usize,
    pub bytes_read: u64,
    pub entries_added: u64,
    pub files_dropped: usize,
}

/// Bytes read in one transaction, about.
const BATCH: u64 = 32 << 20;

/// How many bytes before a file's offset are kept to recognise it.
const TAIL: usize = 64;

/// The longest transcript line read (one holding an image or a whole file
/// can take megabytes); a longer one is skipped, not held in memory.
pub(super) const MAX_LINE: usize = 64 << 20;

/// What a file was when it was last read, or is now.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    dev: i64,
    ino: i64,
    mtime: i64,
    size: i64,
}

impl Stat {
    fn of(meta: &fs::Metadata) -> Stat {
        Stat {
            dev: meta.dev() as i64,
            ino: meta.ino() as i64,
            mtime: meta.mtime().saturating_mul(1_000_000_000) + meta.mtime_nsec(),
            size: meta.size().min(i64::MAX as u64) as i64,
        }
    }
}

/// A transcript found on disk.
struct Found {
    owner: String,
    transcript: Transcript,
    stat: Stat,
}

/// A transcript as the index knows it.
struct Known {
    id: i64,
    stat: Stat,
    offset: i64,
}

impl Index {
    /// Brings the index up to date with the transcripts of `sources`, and
    /// drops every other file's entries. `announce` is called first with
    /// the bytes to read, when they are many (the first search of a store).
    pub fn update(&mut self, sources: &[Source], announce: impl FnOnce(u64)) -> Result<Updated> {
        let context = self.context();
        self.update_inner(sources, announce).context(context)
    }

    fn update_inner(&mut self, sources: &[Source], announce: impl FnOnce(u64)) -> Result<Updated> {
        let found = walk(sources);
        let known = self.known()?;
        let mut updated = Updated::default();
        let wanted: HashSet<&[u8]> = found
            .iter()
            .map(|f| f.transcript.path.as_os_str().as_bytes())
            .collect();
        let gone: Vec<i64> = known
            .iter()
            .filter(|(path, _)| !wanted.contains(path.as_slice()))
            .map(|(_, k)| k.id)
            .collect();
        if !gone.is_empty() {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            for &id in &gone {
                forget_entries(&tx, id)?;
                tx.execute("DELETE FROM files WHERE id = ?1", [id])?;
            }
            tx.commit()?;
            updated.files_dropped = gone.len();
        }
        let mut work: Vec<&Found> = found
            .iter()
            .filter(|f| {
                known
                    .get(f.transcript.path.as_os_str().as_bytes())
                    .is_none_or(|k| k.stat != f.stat)
            })
            .collect();
        // Oldest first, so that entry ids grow with time (`query` ranks the
        // newest matches of a common word).
        work.sort_by_key(|f| f.stat.mtime);
        let pending: u64 = work
            .iter()
            .map(|f| {
                let from = known
                    .get(f.transcript.path.as_os_str().as_bytes())
                    .map_or(0, |k| k.offset);
                (f.stat.size - from).max(0) as u64
            })
            .sum();
        if pending > 0 {
            announce(pending);
        }
        // Files in transactions of about BATCH bytes read: few enough for
        // FTS5 to write large segments (each commit writes one), short
        // enough that another search does not wait long.
        let mut work = work.into_iter().peekable();
        while work.peek().is_some() {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            let before = updated.bytes_read;
            while updated.bytes_read - before < BATCH
                && let Some(found) = work.next()
            {
                read_file(&tx, found, &mut updated)?;
            }
            tx.commit()?;
        }
        if updated != Updated::default() {
            // Every search is a new process, and the first to open the
            // index reads its whole WAL: leave none. Busy (another search
            // reads): that one's checkpoint will do.
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        Ok(updated)
    }

    /// Drops the entries of the sessions `owners`, which were deleted: their
    /// words go with them, not at the next search.
    pub fn forget_sessions(&mut self, owners: &[Uuid]) -> Result<()> {
        let context = self.context();
        let forget = || -> rusqlite::Result<()> {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            for owner in owners {
                let files: Vec<i64> = tx
                    .prepare_cached("SELECT id FROM files WHERE owner = ?1")?
                    .query_map([owner.to_string()], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for id in files {
                    forget_entries(&tx, id)?;
                    tx.execute("DELETE FROM files WHERE id = ?1", [id])?;
                }
            }
            tx.commit()
        };
        forget().context(context)?;
        // As after an update: the next search need not read a WAL.
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(())
    }

    fn known(&self) -> rusqlite::Result<HashMap<Vec<u8>, Known>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, id, dev, ino, mtime, size, offset FROM files")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                Known {
                    id: r.get(1)?,
                    stat: Stat {
                        dev: r.get(2)?,
                        ino: r.get(3)?,
                        mtime: r.get(4)?,
                        size: r.get(5)?,
                    },
                    offset: r.get(6)?,
                },
            ))
        })?;
        rows.collect()
    }
}

/// Reads what is new in one file.
fn read_file(tx: &Transaction, found: &Found, updated: &mut Updated) -> Result<()> {
    let path = &found.transcript.path;
    let Some(file) = open(path) else {
        // Gone or not a file any more: dropped at the next update.
        return Ok(());
    };
    let Ok(meta) = file.metadata() else {
        return Ok(());
    };
    let stat = Stat::of(&meta);
    let row = tx
        .query_row(
            "SELECT id, dev, ino, mtime, size, offset, tail FROM files WHERE path = ?1",
            [path.as_os_str().as_bytes()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Stat {
                        dev: r.get(1)?,
                        ino: r.get(2)?,
                        mtime: r.get(3)?,
                        size: r.get(4)?,
                    },
                    r.get::<_, i64>(5)?,
                    r.get::<_, Vec<u8>>(6)?,
                ))
            },
        )
        .optional()?;
    let (id, mut offset, mut tail) = match row {
        // Read meanwhile by another search.
        Some((_, known, _, _)) if known == stat => return Ok(()),
        Some((id, known, offset, tail)) if continues(&file, known, stat, offset, &tail) => {
            (id, offset, tail)
        }
        Some((id, _, _, _)) => {
            forget_entries(tx, id)?;
            (id, 0, Vec::new())
        }
        None => {
            tx.execute(
                "INSERT INTO files (path, owner, conversation, agent, dev, ino, mtime, size, offset, tail)
                 VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, x'')",
                params![
                    path.as_os_str().as_bytes(),
                    found.owner,
                    found.transcript.conversation,
                    found.transcript.agent,
                ],
            )?;
            (tx.last_insert_rowid(), 0, Vec::new())
        }
    };
    let start = offset;
    let mut reader = BufReader::with_capacity(1 << 20, &file);
    reader.seek(SeekFrom::Start(offset as u64))?;
    let mut line = Vec::new();
    loop {
        let (consumed, whole) = next_line(&mut reader, &mut line)?;
        if !whole {
            // The end, or a line still being written.
            break;
        }
        if line.len() <= MAX_LINE {
            updated.entries_added += index_line(tx, id, offset, &line)?;
            tail = line[line.len().saturating_sub(TAIL)..].to_vec();
        } else {
            tail = b"\n".to_vec();
        }
        offset += consumed as i64;
    }
    tx.execute(
        "UPDATE files SET dev = ?2, ino = ?3, mtime = ?4, size = ?5, offset = ?6, tail = ?7
         WHERE id = ?1",
        params![id, stat.dev, stat.ino, stat.mtime, stat.size, offset, tail],
    )?;
    updated.files_read += 1;
    updated.bytes_read += (offset - start).max(0) as u64;
    Ok(())
}

/// Every transcript of every source that is a regular file.
fn walk(sources: &[Source]) -> Vec<Found> {
    let mut found = Vec::new();
    for source in sources {
        let owner = source.owner.map(|u| u.to_string()).unwrap_or_default();
        for transcript in crate::claude::transcript::transcripts(&source.dir) {
            if let Ok(meta) = fs::metadata(&transcript.path)
                && meta.is_file()
            {
                found.push(Found {
                    owner: owner.clone(),
                    stat: Stat::of(&meta),
                    transcript,
                });
            }
        }
    }
    found
}

/// Opens a transcript to read, if it is a regular file: non-blocking, as a
/// FIFO put in its place would otherwise wait for a writer.
pub(super) fn open(path: &std::path::Path) -> Option<File> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits() | nix::fcntl::OFlag::O_NOCTTY.bits())
        .open(path)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

/// Whether the file is the one read up to `offset`, appended to since.
fn continues(file: &File, known: Stat, now: Stat, offset: i64, tail: &[u8]) -> bool {
    if (known.dev, known.ino) != (now.dev, now.ino) || now.size < offset {
        return false;
    }
    let mut bytes = vec![0; tail.len()];
    let at = (offset as u64).saturating_sub(tail.len() as u64);
    file.read_exact_at(&mut bytes, at).is_ok() && bytes == tail
}

/// Reads one line (with its newline) into `line`, keeping at most
/// `MAX_LINE + 1` bytes of it. Returns the bytes consumed, and whether the
/// line was whole (ended by a newline).
pub(super) fn next_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
) -> std::io::Result<(usize, bool)> {
    line.clear();
    let mut consumed = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((consumed, false));
        }
        let (take, whole) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = (MAX_LINE + 1).saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        reader.consume(take);
        consumed += take;
        if whole {
            return Ok((consumed, true));
        }
    }
}

/// Indexes what one line says; returns the entries added.
fn index_line(tx: &Transaction, file: i64, line: i64, bytes: &[u8]) -> rusqlite::Result<u64> {
    let Some(record) = crate::claude::said::read(bytes) else {
        return Ok(0);
    };
    let time = record
        .timestamp
        .as_deref()
        .and_then(crate::util::timestamp::Timestamp::parse_rfc3339)
        .map(|t| t.millis());
    let mut added = 0;
    for (part, said) in record.parts.iter().enumerate() {
        let role = Role::of(said.kind);
        tx.prepare_cached(
            "INSERT INTO entries (file, line, part, role, time) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![file, line, part as i64, role.code(), time])?;
        let id = tx.last_insert_rowid();
        let insert = match role {
            Role::User => "INSERT INTO fts (rowid, user) VALUES (?1, ?2)",
            Role::Assistant => "INSERT INTO fts (rowid, assistant) VALUES (?1, ?2)",
            Role::Tool => "INSERT INTO fts (rowid, tool) VALUES (?1, ?2)",
        };
        tx.prepare_cached(insert)?
            .execute(params![id, indexed(&said.text)])?;
        added += 1;
    }
    Ok(added)
}

/// Drops a file's entries (the file's row stays).
fn forget_entries(tx: &Transaction, file: i64) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM fts WHERE rowid IN (SELECT id FROM entries WHERE file = ?1)",
        [file],
    )?;
    tx.execute("DELETE FROM entries WHERE file = ?1", [file])?;
    Ok(())
}
