//! `claude-session export SESSION [-o FILE]`: the session's conversations,
//! todos, file history, plans and settings override in one archive (see
//! `crate::archive` for what goes in and what never does).

use crate::archive;
use crate::cli::{ExportArgs, GlobalArgs};
use crate::store::session::Session;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fs::{self, OpenOptions};
use std::io::{self, IsTerminal};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Below this a bar would only flash: a few MB export in well under a second.
const BAR_FROM: u64 = 32 << 20;

pub fn run(global: &GlobalArgs, args: ExportArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    let mut session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    crate::run::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    let running = session.claude_is_live();
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&session));
    match fs::metadata(&out) {
        Ok(meta) if meta.is_dir() => bail!("{} is a directory; name a file", out.display()),
        Ok(_) if !args.force => {
            bail!(
                "{} already exists; pass --force to overwrite it",
                out.display()
            )
        }
        _ => {}
    }
    let dir = layout.session_dir(session.session_id);
    let plan =
        archive::plan(&dir).with_context(|| format!("cannot export {}", session.session_name))?;
    if running {
        crate::util::output::warn(format!(
            "{} is running; the archive holds its files as they were when read",
            session.session_name
        ));
    }

    let temp = TempFile::create(&out)?;
    let file = temp.open()?;
    let bar = progress(plan.bytes_to_read(args.redact));
    let manifest = archive::Manifest::new(args.redact, running);
    let packed =
        archive::write(&dir, &plan, &manifest, args.redact, file, &bar).with_context(|| {
            format!(
                "cannot export {} to {}",
                session.session_name,
                out.display()
            )
        })?;
    bar.finish_and_clear();
    temp.publish(&out, args.force)?;
    crate::store::journal::audit(&layout, "export", &session);

    let compressed = fs::metadata(&out).map(|m| m.len()).unwrap_or_default();
    let mut notes = Vec::new();
    if args.redact {
        notes.push("keys and tokens redacted");
    }
    if running {
        notes.push("exported while running");
    }
    let notes = match notes.is_empty() {
        true => String::new(),
        false => format!("; {}", notes.join(", ")),
    };
    crate::util::output::emit(&format!(
        "exported {} ({}) to {}: {} files, {} ({} compressed){notes}\n",
        crate::view::safe(&session.session_name),
        session.short_id(),
        crate::view::safe_path(&out),
        packed.files,
        crate::util::output::human_bytes(packed.bytes),
        crate::util::output::human_bytes(compressed),
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `<name>-<id8>.claude-session.tar.zst`: always a plain file name in the
/// current dir, even for a name that is not valid (a tampered
/// `metadata.json` may have brought one in), which is left out.
fn default_output(session: &Session) -> PathBuf {
    let name = match crate::store::session::validate_name(&session.session_name) {
        Ok(()) => session.session_name.as_str(),
        Err(_) => "session",
    };
    PathBuf::from(format!("{name}-{}{}", session.short_id(), archive::SUFFIX))
}

/// A bar on stderr for a large session, when stderr is a terminal.
fn progress(total: u64) -> ProgressBar {
    if total < BAR_FROM || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "exporting {wide_bar} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The archive is written beside its destination under a temporary name
/// and renamed into place when complete, so FILE is never half-written.
/// Dropped before `publish`, it removes itself.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn create(out: &Path) -> Result<Self> {
        let name = out
            .file_name()
            .with_context(|| format!("{} does not name a file", out.display()))?;
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let path = out.with_file_name(format!(
            ".{}.tmp-{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            &tag[..8]
        ));
        Ok(Self { path })
    }

    fn open(&self) -> Result<fs::File> {
        // 0600: the archive holds the session's history.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
            .with_context(|| format!("cannot create {}", self.path.display()))
    }

    /// Moves the finished archive to `out`; without `force`, never over a
    /// file that appeared meanwhile (a hard link fails if `out` exists).
    fn publish(self, out: &Path, force: bool) -> Result<()> {
        let moved = if force {
            fs::rename(&self.path, out)
        } else {
            match fs::hard_link(&self.path, out) {
                Ok(()) => fs::remove_file(&self.path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    bail!(
                        "{} already exists; pass --force to overwrite it",
                        out.display()
                    )
                }
                // A file system without hard links: check, then rename.
                Err(_) if fs::symlink_metadata(out).is_err() => fs::rename(&self.path, out),
                Err(e) => Err(e),
            }
        };
        moved.with_context(|| format!("cannot write {}", out.display()))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
