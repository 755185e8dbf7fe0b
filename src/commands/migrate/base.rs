//! Migrating the base: one session per project dir of it, as Claude Code
//! itself groups conversations (`projects/<slug>/`, one per working
//! directory), named after the directory and started in it, so `resume`
//! continues that directory's conversation there. A second run finds the
//! session an earlier one made (`migrated-from.json` in its dir says which
//! project of which base it holds) and adds only what is new.

use super::copy;
use super::history::{self, History};
use super::report::{Report, SessionReport, SkipReason, Skipped};
use super::scan::{self, Project};
use crate::run::lock::SessionLock;
use crate::store::Store;
use crate::store::create::Naming;
use crate::store::session::{self, Session, Status};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The file in a session dir that says which project of which base a
/// `migrate` made it for.
const ORIGIN: &str = "migrated-from.json";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Origin {
    /// The base, its links resolved.
    base: PathBuf,
    /// The project dir's name under `projects/`.
    project: String,
}

pub struct Options {
    pub dry_run: bool,
    /// Also projects whose working directory no longer exists.
    pub include_missing: bool,
}

pub fn run(store: &mut Store, options: &Options) -> Result<Report> {
    let base = store.layout.base.clone();
    let projects = scan::projects(&base)?;
    if projects.is_empty() {
        bail!(
            "{} holds no conversations to migrate (no projects/)",
            base.display()
        );
    }
    let history = History::read(&base)?;
    let resolved = fs::canonicalize(&base).unwrap_or_else(|_| base.clone());
    let mut earlier = earlier_sessions(store, &resolved)?;
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for project in projects {
        let reason = match &project.cwd {
            None => SkipReason::UnknownDirectory,
            Some(cwd) if !cwd.is_dir() && !options.include_missing => SkipReason::MissingDirectory,
            Some(_) => {
                let found = earlier.remove(&project.name);
                targets.push((project, found));
                continue;
            }
        };
        skipped.push(Skipped {
            project: project.name,
            working_directory: project.cwd,
            reason,
        });
    }
    // A session in use refuses the whole run before anything is copied;
    // the locks are held to the end, so no Claude starts in one meanwhile.
    let mut locks = Vec::new();
    for (_, found) in &targets {
        if let Some(session) = found {
            locks.push(super::lock(&store.layout, session)?);
        }
    }
    let mut run = Run {
        store,
        history: &history,
        base: &resolved,
        options,
        names: HashSet::new(),
        locks,
    };
    let sessions = targets
        .into_iter()
        .map(|(project, found)| run.project(project, found))
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        from: base,
        dry_run: options.dry_run,
        sessions,
        skipped,
    })
}

struct Run<'a> {
    store: &'a mut Store,
    history: &'a History,
    base: &'a Path,
    options: &'a Options,
    /// Names a dry run would give, so two projects are not given one.
    names: HashSet<String>,
    locks: Vec<SessionLock>,
}

impl Run<'_> {
    /// Copies `project` into the session `found` for it, or a new one.
    fn project(&mut self, project: Project, found: Option<Session>) -> Result<SessionReport> {
        let cwd = project.cwd.clone().expect("a project with a directory");
        let dry_run = self.options.dry_run;
        let made = found.is_none();
        let session = match found {
            Some(session) => Some(session),
            None if dry_run => None,
            None => Some(self.make(&project.name, &cwd)?),
        };
        let dir = session
            .as_ref()
            .map(|s| self.store.layout.session_dir(s.session_id));
        if let (false, Some(dir)) = (dry_run, &dir) {
            copy::sweep(dir);
        }
        let files = copy::sync(&project.files, dir.as_deref(), dry_run)?;
        let history_lines = history::merge(self.history.of(&cwd), dir.as_deref(), dry_run)?;
        let session_name = match &session {
            Some(s) => s.session_name.clone(),
            None => self.predict_name(&cwd)?,
        };
        let report = SessionReport {
            session_name,
            session_id: session.as_ref().map(|s| s.session_id),
            made,
            working_directory: session
                .as_ref()
                .map_or(cwd, |s| s.working_directory.clone()),
            project: Some(project.name),
            files,
            history_lines: Some(history_lines),
            links_skipped: project.links_skipped,
        };
        if let (false, Some(session)) = (dry_run, &session) {
            super::journal(&self.store.layout, session, self.base, &report);
        }
        Ok(report)
    }

    /// A new session for the project: named after its directory,
    /// numbered if taken; locked before it is listed.
    fn make(&mut self, project: &str, cwd: &Path) -> Result<Session> {
        let stem = session::auto_name_stem(cwd);
        let mut session = Session::new(Uuid::new_v4(), &stem, cwd.to_path_buf(), Timestamp::now());
        session.status = Status::Stopped;
        let naming = match session::validate_name(&stem) {
            Ok(()) => Naming::OwnOrNumbered(&stem),
            Err(_) => Naming::Numbered(&stem),
        };
        let origin = Origin {
            base: self.base.to_path_buf(),
            project: project.to_string(),
        };
        let lock = super::make(self.store, &mut session, naming, |dir| {
            let path = dir.join(ORIGIN);
            crate::util::fsutil::write_json(&path, &origin, crate::util::fsutil::Durability::Synced)
                .with_context(|| format!("cannot write {}", path.display()))
        })?;
        self.locks.push(lock);
        Ok(session)
    }

    /// The name `make` would give (a dry run makes nothing).
    fn predict_name(&mut self, cwd: &Path) -> Result<String> {
        let stem = session::auto_name_stem(cwd);
        let mut name = stem.clone();
        let mut n = 0;
        while session::validate_name(&name).is_err()
            || self.names.contains(&name)
            || self.store.registry.by_name(&name)?.is_some()
        {
            n += 1;
            name = format!("{stem}-{n}");
        }
        self.names.insert(name.clone());
        Ok(name)
    }
}

/// The sessions earlier runs made from `base`, by project.
fn earlier_sessions(store: &Store, base: &Path) -> Result<HashMap<String, Session>> {
    let mut found = HashMap::new();
    for session in store.registry.all()? {
        let path = store.layout.session_dir(session.session_id).join(ORIGIN);
        let bytes = crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CONFIG)
            .unwrap_or_default();
        match serde_json::from_slice::<Origin>(&bytes) {
            Ok(origin) if origin.base == base => {
                found.entry(origin.project).or_insert(session);
            }
            _ => {}
        }
    }
    Ok(found)
}
