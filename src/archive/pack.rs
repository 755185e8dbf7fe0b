//! Writing an archive: which files of a session dir go in, and streaming
//! them into tar + zstd.
//!
//! A running Claude keeps appending to its transcripts while we read. Each
//! file is read up to the length it had when opened (Claude appends, so
//! that prefix is stable) and an entry is never written with a size other
//! than the one in its header; a file that shrank meanwhile fails the
//! export with a clear message rather than a corrupt archive.

use super::{FILES, MANIFEST, Manifest, SESSION, TREES, redact};
use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// zstd's default level: transcripts (JSON) compress about 10x at it, at
/// hundreds of MB/s; higher levels gain little on text for much more time.
const LEVEL: i32 = 3;

/// Files up to this size are read whole into memory (one read, so a file
/// Claude rewrites in place is taken as it was at one moment); larger ones
/// are streamed.
const IN_MEMORY: u64 = 8 << 20;

/// What will go into the archive, paths relative to the session dir.
pub struct Plan {
    entries: Vec<Item>,
    /// Regular files, and their total size.
    pub files: u64,
    pub bytes: u64,
}

enum Item {
    Dir(PathBuf),
    File(PathBuf, u64),
}

/// Lists what `write` will archive: the carried files and trees, regular
/// files and dirs only, never following a link.
pub fn plan(session_dir: &Path) -> Result<Plan> {
    let mut plan = Plan {
        entries: Vec::new(),
        files: 0,
        bytes: 0,
    };
    for name in FILES {
        let path = session_dir.join(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => plan.add_file(PathBuf::from(name), meta.len()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
    if !plan
        .entries
        .iter()
        .any(|e| matches!(e, Item::File(p, _) if p == Path::new(crate::store::metadata::FILE)))
    {
        bail!(
            "{} has no {}; `claude-session rebuild` can say why",
            session_dir.display(),
            crate::store::metadata::FILE
        );
    }
    for tree in TREES {
        walk(session_dir, Path::new(tree), &mut plan)?;
    }
    Ok(plan)
}

impl Plan {
    /// How many bytes `write` will read: with redaction, large files are
    /// read twice (see `append_file`).
    pub fn bytes_to_read(&self, redact: bool) -> u64 {
        let twice: u64 = self
            .entries
            .iter()
            .filter_map(|e| match e {
                Item::File(_, len) if redact && *len > IN_MEMORY => Some(*len),
                _ => None,
            })
            .sum();
        self.bytes + twice
    }

    fn add_file(&mut self, rel: PathBuf, len: u64) {
        self.files += 1;
        self.bytes += len;
        self.entries.push(Item::File(rel, len));
    }
}

/// Adds `rel` (a dir below `root`) and everything in it, sorted by name.
fn walk(root: &Path, rel: &Path, plan: &mut Plan) -> Result<()> {
    let path = root.join(rel);
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    plan.entries.push(Item::Dir(rel.to_path_buf()));
    let mut children: Vec<_> = fs::read_dir(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .collect::<io::Result<_>>()
        .with_context(|| format!("cannot read {}", path.display()))?;
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let name = child.file_name();
        let child_rel = rel.join(&name);
        // file_type() does not follow links: a link is neither file nor dir.
        let kind = child
            .file_type()
            .with_context(|| format!("cannot read {}", child.path().display()))?;
        if kind.is_dir() {
            walk(root, &child_rel, plan)?;
        } else if kind.is_file() && !is_lock(&name) {
            let len = child
                .metadata()
                .with_context(|| format!("cannot read {}", child.path().display()))?
                .len();
            plan.add_file(child_rel, len);
        }
        // Symlinks, sockets, FIFOs and devices are skipped.
    }
    Ok(())
}

/// Lock files belong to the processes that hold them, not to the session.
fn is_lock(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().ends_with(b".lock")
}

/// How `write` went.
pub struct Packed {
    pub files: u64,
    /// Bytes of the session's files (after redaction).
    pub bytes: u64,
}

/// Writes the archive for `session_dir` as `plan` lists it to `out`, and
/// syncs it. `progress` advances by the bytes read.
pub fn write(
    session_dir: &Path,
    plan: &Plan,
    manifest: &Manifest,
    redact: bool,
    out: File,
    progress: &ProgressBar,
) -> Result<Packed> {
    let mut encoder = zstd::Encoder::new(io::BufWriter::new(out), LEVEL)
        .context("cannot start the zstd compressor")?;
    // A checksum per frame, so `import` notices a corrupted archive.
    encoder
        .include_checksum(true)
        .context("cannot start the zstd compressor")?;
    let mut tar = tar::Builder::new(encoder);
    let manifest_bytes = serde_json::to_vec_pretty(manifest).expect("a manifest serializes");
    append_bytes(&mut tar, Path::new(MANIFEST), &manifest_bytes, now_secs())?;
    let mut packed = Packed { files: 0, bytes: 0 };
    for item in &plan.entries {
        match item {
            Item::Dir(rel) => {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o700);
                header.set_size(0);
                header.set_mtime(now_secs());
                tar.append_data(&mut header, Path::new(SESSION).join(rel), io::empty())
                    .context("cannot write the archive")?;
            }
            Item::File(rel, len) => {
                // metadata.json stays as it is: it holds no secrets, and
                // `import` must be able to read it.
                let redact = redact && rel != Path::new(crate::store::metadata::FILE);
                let path = session_dir.join(rel);
                let bytes = append_file(&mut tar, &path, rel, *len, redact, progress)
                    .with_context(|| format!("cannot archive {}", path.display()))?;
                packed.files += 1;
                packed.bytes += bytes;
            }
        }
    }
    let encoder = tar.into_inner().context("cannot write the archive")?;
    let writer = encoder.finish().context("cannot write the archive")?;
    let file = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write the archive")?;
    file.sync_all().context("cannot write the archive")?;
    Ok(packed)
}

type Tar = tar::Builder<zstd::Encoder<'static, io::BufWriter<File>>>;

fn append_file(
    tar: &mut Tar,
    path: &Path,
    rel: &Path,
    planned: u64,
    redact: bool,
    progress: &ProgressBar,
) -> Result<u64> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        // Claude may delete a file (an old todo list) between plan and write.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            progress.inc(if redact && planned > IN_MEMORY {
                2 * planned
            } else {
                planned
            });
            return Ok(0);
        }
        Err(e) => return Err(e.into()),
    };
    let meta = file.metadata()?;
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let name = Path::new(SESSION).join(rel);
    if len <= IN_MEMORY {
        let mut bytes = Vec::with_capacity(len as usize);
        (&mut file).take(len).read_to_end(&mut bytes)?;
        if redact {
            bytes = redact::all(&bytes);
        }
        append_bytes(tar, &name, &bytes, mtime)?;
        progress.inc(planned);
        return Ok(bytes.len() as u64);
    }
    let size = if redact {
        // The header needs the size first: one pass to measure what the
        // redacted file will be, a second to write it.
        let size = io::copy(
            &mut redact::Reader::new(BufReader::new(Progress {
                inner: (&mut file).take(len),
                bar: progress,
            })),
            &mut io::sink(),
        )?;
        file.rewind()?;
        size
    } else {
        len
    };
    let mut header = file_header(size, mtime);
    let source = BufReader::new(Progress {
        inner: (&mut file).take(len),
        bar: progress,
    });
    let mut data: Box<dyn Read> = if redact {
        Box::new(redact::Reader::new(source))
    } else {
        Box::new(source)
    };
    tar.append_data(
        &mut header,
        &name,
        Exact {
            inner: &mut data,
            remaining: size,
        },
    )?;
    Ok(size)
}

fn append_bytes(tar: &mut Tar, name: &Path, bytes: &[u8], mtime: u64) -> Result<()> {
    let mut header = file_header(bytes.len() as u64, mtime);
    tar.append_data(&mut header, name, bytes)
        .context("cannot write the archive")
}

fn file_header(size: u64, mtime: u64) -> tar::Header {
    // GNU headers: paths longer than 100 bytes (deep project slugs) get a
    // long-name entry instead of failing.
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o600);
    header.set_size(size);
    header.set_mtime(mtime);
    header
}

fn now_secs() -> u64 {
    crate::util::timestamp::Timestamp::now().millis().max(0) as u64 / 1000
}

/// Yields exactly `remaining` bytes of `inner`, or fails: a tar entry must
/// hold exactly the size its header announced.
struct Exact<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(changed()),
            };
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(changed());
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn changed() -> io::Error {
    io::Error::other("it changed while it was read (rewritten in place); export again")
}

/// Advances the progress bar by what is read.
struct Progress<'a, R> {
    inner: R,
    bar: &'a ProgressBar,
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// The entry names of an archive, in order (for tests).
#[cfg(test)]
pub fn entries_of(archive: &[u8]) -> Vec<String> {
    let decoder = zstd::Decoder::new(archive).unwrap();
    let mut tar = tar::Archive::new(decoder);
    let mut names = Vec::new();
    for entry in tar.entries().unwrap() {
        let entry = entry.unwrap();
        names.push(entry.path().unwrap().display().to_string());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn export(dir: &Path, redact: bool) -> Vec<u8> {
        let out = tempfile::tempfile().unwrap();
        let plan = plan(dir).unwrap();
        write(
            dir,
            &plan,
            &Manifest::new(redact, false),
            redact,
            out.try_clone().unwrap(),
            &ProgressBar::hidden(),
        )
        .unwrap();
        let mut out = out;
        out.rewind().unwrap();
        let mut bytes = Vec::new();
        out.read_to_end(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn only_the_session_files_go_in() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("metadata.json"), "{}").unwrap();
        fs::write(d.join(".credentials.json"), "secret").unwrap();
        fs::write(d.join(".claude.json"), "{}").unwrap();
        fs::write(d.join("settings.json"), "{}").unwrap();
        fs::write(d.join("holder.log"), "").unwrap();
        fs::write(d.join("stats-cache.json"), "{}").unwrap();
        fs::write(d.join("history.jsonl"), "{}\n").unwrap();
        fs::create_dir_all(d.join("projects/-w")).unwrap();
        fs::write(d.join("projects/-w/c.jsonl"), "{}\n").unwrap();
        fs::write(d.join("projects/-w/x.lock"), "").unwrap();
        symlink("/etc/passwd", d.join("projects/-w/evil")).unwrap();
        symlink("/etc", d.join("skills")).unwrap();
        symlink("/etc", d.join("todos")).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(d.join("projects/s.sock")).unwrap();
        let names = entries_of(&export(d, false));
        assert_eq!(
            names,
            vec![
                "manifest.json",
                "session/metadata.json",
                "session/history.jsonl",
                "session/projects",
                "session/projects/-w",
                "session/projects/-w/c.jsonl",
            ]
        );
    }

    #[test]
    fn a_large_file_is_streamed_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("metadata.json"), "{}").unwrap();
        fs::create_dir_all(d.join("projects/-w")).unwrap();
        // Long lines, one key each: the regexes run unoptimized in tests.
        let line = format!(
            "{{\"k\":\"sk-ant-0123456789abcdef {}\"}}\n",
            "0 ".repeat(2000)
        );
        let big = line.repeat((IN_MEMORY as usize / line.len()) + 10);
        fs::write(d.join("projects/-w/c.jsonl"), &big).unwrap();
        assert!(big.len() as u64 > IN_MEMORY);
        let archive = export(d, true);
        let mut tar = tar::Archive::new(zstd::Decoder::new(&archive[..]).unwrap());
        let mut found = false;
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.path().unwrap().ends_with("c.jsonl") {
                let mut text = String::new();
                entry.read_to_string(&mut text).unwrap();
                assert!(!text.contains("0123456789"));
                assert_eq!(text.lines().count(), big.lines().count());
                found = true;
            }
        }
        assert!(found);
    }

    #[test]
    fn exact_refuses_a_short_or_long_source() {
        let mut out = Vec::new();
        let short = Exact {
            inner: &b"abc"[..],
            remaining: 4,
        }
        .read_to_end(&mut out);
        assert!(short.is_err());
        let long = Exact {
            inner: &b"abcde"[..],
            remaining: 4,
        }
        .read_to_end(&mut Vec::new());
        assert!(long.is_err());
    }
}
