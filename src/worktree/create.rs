//! Making a new session's worktree (`new --worktree [BRANCH] [--from REF]`).
//!
//! The worktree is made before the session is (`store::create` holds the
//! registry's write lock while it makes a session, and a checkout can take
//! seconds), and undone if the session cannot be made: a failure leaves
//! neither a session nor a worktree nor a branch.

use super::{BRANCH_PREFIX, Marker};
use crate::git::repo::{self, Repo, RepoError, Resolved};
use crate::store::layout::Layout;
use crate::store::registry::Registry;
use crate::store::session::{Session, Worktree};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// What `--worktree` asked for, checked before anything is made.
pub struct Request {
    repo: Repo,
    base: Resolved,
    /// None: `claude/<session name>`.
    branch: Option<String>,
    /// HEAD was the base, and detached: said once the worktree is made.
    detached: bool,
}

/// Checks that `cwd` is in a repository with a working tree, that `from`
/// (default HEAD) is a commit and `branch` a valid new branch name.
pub fn check(cwd: &Path, branch: Option<&str>, from: Option<&str>) -> Result<Request> {
    request(cwd, branch, from).context("--worktree")
}

fn request(cwd: &Path, branch: Option<&str>, from: Option<&str>) -> Result<Request> {
    let repo = repo::discover(cwd).map_err(|e| match e {
        RepoError::Git(e) => anyhow::Error::new(e),
        e => anyhow::anyhow!("{e}"),
    })?;
    let base = match (repo::resolve(&repo.top, from.unwrap_or("HEAD"))?, from) {
        (Some(base), _) => base,
        (None, None) => bail!(
            "the repository {} has no commit yet to start from",
            repo.top.display()
        ),
        (None, Some(from)) => bail!("--from {from:?} is not a commit of {}", repo.top.display()),
    };
    if let Some(branch) = branch {
        check_branch(&repo, branch)?;
    }
    Ok(Request {
        detached: from.is_none() && base.full_ref.is_none(),
        repo,
        base,
        branch: branch.map(str::to_string),
    })
}

fn check_branch(repo: &Repo, branch: &str) -> Result<()> {
    if !repo::valid_branch(&repo.top, branch)? {
        bail!("{branch:?} is not a valid branch name");
    }
    if repo::branch_exists(&repo.top, branch)? {
        bail!(
            "the branch {branch} already exists in {}; name a new one: --worktree BRANCH",
            repo.main.display()
        );
    }
    Ok(())
}

/// Makes the worktree for `session` and points the session at it: its
/// working directory (the same subdir `new` ran in) and its record. An
/// unnamed session is named here (`<stem>-N`, as the registry would name
/// it), so its branch carries its name.
pub fn make(
    request: Request,
    layout: &Layout,
    registry: &Registry,
    session: &mut Session,
    stem: Option<&str>,
) -> Result<()> {
    // Before its branch is looked for: `claude/<name>` of the session
    // that has the name would be the wrong complaint.
    let name = &session.session_name;
    if stem.is_none() && registry.by_name(name)?.is_some() {
        bail!(
            "a session named {name:?} already exists; continue it with `claude-session resume {name}`"
        );
    }
    made(request, layout, registry, session, stem).context("--worktree")
}

fn made(
    request: Request,
    layout: &Layout,
    registry: &Registry,
    session: &mut Session,
    stem: Option<&str>,
) -> Result<()> {
    if let Some(stem) = stem {
        // Decided before the row is: if another `new` takes the name
        // meanwhile, the insert fails as a taken name and the worktree is
        // undone.
        session.session_name = registry.first_free_name(stem)?;
    }
    let Request {
        repo,
        base,
        branch,
        detached,
    } = request;
    let branch = match branch {
        Some(branch) => branch,
        None => {
            let branch = format!("{BRANCH_PREFIX}{}", session.session_name);
            check_branch(&repo, &branch)?;
            branch
        }
    };
    let path = new_path(layout, &repo, session)?;
    crate::git::worktree::add(&repo.main, &path, &branch, &base.commit)
        .context("cannot make the worktree")?;
    let record = Worktree {
        repository: repo.main.clone(),
        path: path.clone(),
        branch,
        base_ref: base.full_ref,
        base_commit: base.commit,
    };
    // (Joined to an empty prefix, a path would gain a trailing slash, and
    // Claude would file its conversations under another project.)
    let cwd = match repo.prefix.as_os_str().is_empty() {
        true => path.clone(),
        false => path.join(&repo.prefix),
    };
    let finished = finish(session, &record, &cwd);
    if let Err(e) = finished {
        undo(&record);
        return Err(e);
    }
    if detached {
        crate::util::output::say(&format!(
            "HEAD of {} is detached at {}: the branch {} starts there",
            repo.top.display(),
            short(&record.base_commit),
            record.branch
        ));
    }
    if repo::has_submodules(&path, &record.base_commit) {
        crate::util::output::say("initialising the submodules in the worktree");
        if let Err(e) = crate::git::worktree::init_submodules(&path) {
            crate::util::output::warn(format!(
                "the submodules are not initialised in the worktree ({e}); `git submodule update --init --recursive` in {} does it",
                path.display()
            ));
        }
    }
    session.working_directory = cwd;
    session.worktree = Some(record);
    Ok(())
}

/// The marker, and the subdir `new` ran in (one git does not track at the
/// base is made, empty).
fn finish(session: &Session, record: &Worktree, cwd: &Path) -> Result<()> {
    let admin = crate::git::worktree::admin_dir(&record.path)?;
    super::write_marker(
        &admin,
        &Marker {
            session_id: session.session_id,
            session_name: session.session_name.clone(),
            worktree: record.clone(),
        },
    )?;
    std::fs::create_dir_all(cwd).with_context(|| format!("cannot create {}", cwd.display()))
}

/// `<root>/<repository name>-<id8>`, in a resolved root (Claude keys its
/// conversations by the exact path).
fn new_path(layout: &Layout, repo: &Repo, session: &Session) -> Result<PathBuf> {
    let root = super::root(layout);
    let made = match std::env::var_os(super::DIR_VAR).is_some_and(|v| !v.is_empty()) {
        // The user's own dir: made, never tightened.
        true => std::fs::create_dir_all(&root),
        false => crate::util::fsutil::create_private_dir(&root),
    };
    made.with_context(|| format!("cannot create the worktrees dir {}", root.display()))?;
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", root.display()))?;
    let stem = crate::store::session::auto_name_stem(&repo.main);
    let path = root.join(format!("{stem}-{}", session.short_id()));
    if path.to_str().is_none() {
        bail!("the worktree path {} is not valid UTF-8", path.display());
    }
    if std::fs::symlink_metadata(&path).is_ok() {
        bail!("{} exists already", path.display());
    }
    Ok(path)
}

/// Removes a worktree made for a session in which nothing ran (its making
/// failed): worktree and branch go whatever they hold.
pub fn undo(w: &Worktree) {
    let removed = crate::git::worktree::remove(&w.repository, &w.path, true)
        .and_then(|()| repo::delete_branch(&w.repository, &w.branch));
    if let Err(e) = removed {
        crate::util::output::warn(format!(
            "the worktree {} (branch {}) stays: {e}",
            w.path.display(),
            w.branch
        ));
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}
