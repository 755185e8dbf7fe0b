//! `claude-session migrate`: make the conversations of an existing
//! single-session `~/.claude` (the base) available as sessions, one per
//! project directory, by **copying** them (the base keeps working for plain
//! `claude`); or import the original script's layout (`--from-seed DIR`).
//! Re-runnable: what is new in the base is added, and nothing a session
//! holds is ever replaced by an older copy (see `copy`). A session Claude
//! runs in is refused; links are never followed.

mod base;
mod copy;
mod history;
mod report;
mod scan;
mod seed;

use crate::cli::{GlobalArgs, MigrateArgs};
use crate::run::lock::SessionLock;
use crate::store::Store;
use crate::store::create::{CreateError, Dir, Naming};
use crate::store::layout::Layout;
use crate::store::session::Session;
use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::Path;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: MigrateArgs) -> Result<ExitCode> {
    let mut store = super::open_store(global)?;
    let _one_run = one_run(&store.layout)?;
    let report = match &args.from_seed {
        Some(dir) => seed::run(&mut store, dir, args.dry_run)?,
        None => base::run(
            &mut store,
            &base::Options {
                dry_run: args.dry_run,
                include_missing: args.include_missing,
            },
        )?,
    };
    if args.json {
        crate::util::output::emit_json(&report)?;
    } else if args.from_seed.is_some() {
        crate::util::output::emit(&report::seed_text(&report))?;
    } else {
        crate::util::output::emit(&report::base_text(&store.layout, &report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One `migrate` at a time: two would each make a session for a project.
fn one_run(layout: &Layout) -> Result<Flock<File>> {
    let path = layout.store.join("migrate.lock");
    let file = crate::util::fsutil::open_lock_file(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| match e {
        Errno::EWOULDBLOCK => anyhow!("another migrate is running; run it again when it is done"),
        e => anyhow!(e).context(format!("cannot lock {}", path.display())),
    })
}

/// The lock of a session to copy into: Claude must not write in it
/// meanwhile, nor start in it.
fn lock(layout: &Layout, session: &Session) -> Result<SessionLock> {
    let name = &session.session_name;
    SessionLock::take(&layout.session_dir(session.session_id), name).map_err(|e| {
        match session.claude.filter(|_| session.claude_is_live()) {
            Some(claude) => anyhow!(
                "session {name} is running (pid {}); quit Claude in it, then run migrate again (nothing was copied)",
                claude.pid
            ),
            None => anyhow!("{e:#}; run migrate again when it is done (nothing was copied)"),
        }
    })
}

/// Makes `session` (named as `naming` says) with `fill` in its dir, and
/// its lock taken before it is listed, so no Claude starts in it while
/// its conversations are copied in.
fn make(
    store: &mut Store,
    session: &mut Session,
    naming: Naming,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<SessionLock> {
    let layout = store.layout.clone();
    let wanted = session.session_name.clone();
    let mut lock = None;
    let created = crate::store::create::create_session(
        &mut store.registry,
        &layout,
        session,
        naming,
        Dir::New,
        |dir| {
            lock = Some(SessionLock::take(dir, &wanted)?);
            fill(dir)
        },
    );
    match created {
        Ok(()) => {}
        Err(CreateError::NameTaken(name)) => {
            bail!("a session named {name:?} was made meanwhile; run migrate again")
        }
        Err(CreateError::Other(e)) => return Err(e),
    }
    crate::store::journal::audit(&layout, "migrate", session);
    crate::store::journal::session_log(
        &layout,
        session,
        &format!(
            "created name={} cwd={:?} by migrate",
            session.session_name, session.working_directory
        ),
    );
    crate::run::prepare::prepare_dir(&layout, session)?;
    Ok(lock.expect("taken while the session was made"))
}

/// What a run copied into `session`, in its `session.log`.
fn journal(layout: &Layout, session: &Session, from: &Path, report: &report::SessionReport) {
    let count = |action| report.files.iter().filter(|f| f.action == action).count();
    let (copied, extended) = (count(copy::Action::Copy), count(copy::Action::Extend));
    let lines = report.history_lines.as_ref().map_or(0, |l| l.added);
    if copied + extended == 0 && lines == 0 {
        return;
    }
    if !report.made {
        crate::store::journal::audit(layout, "migrate", session);
    }
    let project = match &report.project {
        Some(name) => format!(" projects/{name}"),
        None => String::new(),
    };
    crate::store::journal::session_log(
        layout,
        session,
        &format!(
            "migrated from {:?}{project}: {copied} files copied, {extended} extended, {lines} history lines added",
            from
        ),
    );
}
