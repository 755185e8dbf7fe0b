//! `claude-session diff SESSION [--stat]`: the session's changes in its
//! worktree since its base, committed and not, new files included, shown
//! by git (paged on a terminal as git pages, plain elsewhere).

use crate::cli::{DiffArgs, GlobalArgs};
use anyhow::{Context, Result, bail};
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: DiffArgs) -> Result<ExitCode> {
    let store = super::open_store(global)?;
    let session = crate::store::resolve::resolve(&store.registry, &args.session)?;
    let name = &session.session_name;
    let Some(worktree) = &session.worktree else {
        bail!(
            "session {name} has no worktree (it was made without --worktree); `git diff` in {} shows its directory's changes",
            crate::view::safe_path(&session.working_directory)
        );
    };
    let worktree = crate::worktree::checked(worktree)?;
    if !worktree.path.is_dir() {
        bail!(
            "the worktree of session {name}, {}, is gone; `claude-session doctor --fix` makes it again on its branch {}",
            crate::view::safe_path(&worktree.path),
            crate::view::safe(&worktree.branch)
        );
    }
    let base = crate::worktree::base_of(&worktree.path, worktree);
    let extra: &[&str] = if args.stat { &["--stat"] } else { &[] };
    // Ctrl-C reaches git and its pager from the terminal; this process
    // waits for them rather than leave the terminal to a pager still
    // running, and passes on a SIGTERM or SIGHUP meant for it.
    let signals = crate::run::signals::SignalGuard::install();
    let status =
        crate::git::diff::show(&worktree.path, &base, extra, |pid| signals.forward_to(pid))
            .with_context(|| format!("cannot show the changes of session {name}"))?;
    Ok(match status.code() {
        Some(code) => super::exit_code(code),
        None => ExitCode::FAILURE,
    })
}
