//! `claude-session new [NAME]`: create a session and start Claude in it.

use super::launch::{Launch, Mode};
use crate::cli::{GlobalArgs, NewArgs};
use crate::run::plan::Invocation;
use crate::store::Store;
use crate::store::create::{CreateError, Dir, Naming};
use crate::store::session::{self, Session};
use crate::util::output::say;
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use uuid::Uuid;

pub fn run(global: &GlobalArgs, args: NewArgs) -> Result<ExitCode> {
    // Everything the user typed is checked before anything is created.
    if let Some(name) = &args.name {
        session::validate_name(name).context("invalid session name")?;
    }
    let cwd = working_dir(args.cwd)?;
    crate::run::plan::check_passthrough(&args.claude.args)?;
    let keys =
        crate::client::detach_keys::DetachKeys::chosen(args.run.keys.detach_keys.as_deref())?;
    let (overrides, mcp_template) = own_settings(&args.overrides)?;
    let mode = Mode::choose(&args.run);
    let claude = match args.no_launch {
        true => None,
        false => Some(crate::claude::binary::find(args.claude.bin.as_deref())?),
    };
    let worktree = match &args.worktree {
        Some(branch) => Some(crate::worktree::create::check(
            &cwd,
            branch.as_deref(),
            args.from.as_deref(),
        )?),
        None => None,
    };

    let layout = super::layout(global)?;
    // The holder loads while the session is made.
    let holder = match &claude {
        Some(_) if mode != Mode::Foreground => Some(crate::holder::start::spawn(&layout)?),
        _ => None,
    };
    let mut store = Store::open(layout)?;
    let layout = store.layout.clone();
    let mut session = Session::new(
        Uuid::new_v4(),
        args.name.as_deref().unwrap_or_default(),
        cwd,
        Timestamp::now(),
    );
    session.model =
        crate::run::plan::model_from_args(&args.claude.args).or(overrides.model.clone());
    let stem = session::auto_name_stem(&session.working_directory);
    // With a worktree the session is named first (its branch carries the
    // name); the session runs in the worktree.
    let naming = match (&args.name, worktree) {
        (Some(_), None) => Naming::Exactly,
        (None, None) => Naming::Numbered(&stem),
        (name, Some(request)) => {
            let stem = name.is_none().then_some(stem.as_str());
            crate::worktree::create::make(request, &layout, &store.registry, &mut session, stem)?;
            Naming::Exactly
        }
    };
    let own_files = |dir: &std::path::Path| -> Result<()> {
        if !overrides.is_empty() {
            overrides.save(dir)?;
        }
        if let Some(template) = &mcp_template {
            let path = dir.join(crate::claude::overrides::MCP_TEMPLATE);
            crate::util::fsutil::write_json(
                &path,
                template,
                crate::util::fsutil::Durability::Synced,
            )
            .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    };
    let created = crate::store::create::create_session(
        &mut store.registry,
        &layout,
        &mut session,
        naming,
        Dir::New,
        own_files,
    );
    if let (Err(_), Some(worktree)) = (&created, &session.worktree) {
        crate::worktree::create::undo(worktree);
    }
    match created {
        Ok(()) => {}
        Err(CreateError::NameTaken(name)) => bail!(
            "a session named {name:?} already exists; continue it with `claude-session resume {name}`"
        ),
        Err(CreateError::Other(e)) => return Err(e),
    }
    crate::store::journal::audit(&layout, "create", &session);
    crate::store::journal::session_log(
        &layout,
        &session,
        &format!(
            "created name={} cwd={:?}",
            session.session_name, session.working_directory
        ),
    );

    let Some(claude) = claude else {
        // Ready for a later `resume`, or for running claude by hand.
        crate::run::prepare::prepare_dir(&layout, &session)
            .inspect_err(|_| roll_back(&mut store, &session))?;
        return if args.json {
            crate::util::output::emit_json(&crate::view::Detail::new(&layout, &session))
                .map(|()| ExitCode::SUCCESS)
        } else {
            crate::util::output::emit(&format!("{}\n", session.session_id))
                .map(|()| ExitCode::SUCCESS)
        };
    };
    if mode == Mode::Foreground && std::io::stderr().is_terminal() {
        say(&format!(
            "starting {} ({}) in {}",
            session.session_name,
            session.short_id(),
            crate::view::safe_path(&session.working_directory)
        ));
    }
    let launch = Launch {
        invocation: Invocation {
            claude,
            args: args.claude.args,
            notify: args.run.notify,
            conversation: None,
        },
        mode,
        keys,
        holder,
    };
    let started = super::launch::start(&layout, &mut store.registry, &mut session, launch);
    let code = started
        .inspect_err(|_| roll_back(&mut store, &session))
        .with_context(|| format!("cannot start session {}", session.session_name))?;
    if mode == Mode::Foreground {
        super::launch::say_goodbye(&session);
    }
    Ok(code)
}

/// A new session in which Claude never ran (it could not be readied or
/// started) is removed again: nothing half-made stays listed, and its name
/// is free for the next try. One whose Claude ran (and, say, exited at
/// once) stays, with what it recorded.
fn roll_back(store: &mut Store, session: &Session) {
    let never_ran = store
        .registry
        .get(session.session_id)
        .ok()
        .flatten()
        .is_some_and(|row| row.status == crate::store::session::Status::Created);
    if !never_ran {
        return;
    }
    let dir = store.layout.session_dir(session.session_id);
    let removed = crate::run::lock::SessionLock::wait(
        &dir,
        &session.session_name,
        std::time::Duration::from_secs(5),
    )
    .and_then(|_lock| {
        crate::store::removal::remove_session(
            &mut store.registry,
            &store.layout,
            session,
            "create-failed",
        )
    });
    match (removed, &session.worktree) {
        (Err(e), _) => crate::util::output::warn(format!(
            "the half-made session {} stays: {e:#}",
            session.session_name
        )),
        (Ok(()), Some(worktree)) => crate::worktree::create::undo(worktree),
        (Ok(()), None) => {}
    }
}

/// The session's own settings from the flags, read and checked before
/// anything is created: a bad file or value is an error, not a half-made session.
fn own_settings(
    args: &crate::cli::OverrideArgs,
) -> Result<(
    crate::claude::overrides::Overrides,
    Option<serde_json::Map<String, serde_json::Value>>,
)> {
    let mut overrides = crate::claude::overrides::Overrides {
        model: args.model.clone(),
        append_system_prompt: args.append_system_prompt.clone(),
        permission_mode: args.permission_mode.clone(),
        settings: Default::default(),
        hibernate_after: args.hibernate_after.clone(),
    };
    overrides.check()?;
    if let Some(path) = &args.settings {
        let bytes = crate::util::fsutil::read_bounded(path, crate::util::fsutil::MAX_CONFIG)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        match serde_json::from_slice(&bytes) {
            Ok(serde_json::Value::Object(map)) => overrides.settings = map,
            Ok(_) => bail!(
                "the settings file {} must hold a JSON object",
                path.display()
            ),
            Err(e) => bail!(
                "the settings file {} is not valid JSON: {e}",
                path.display()
            ),
        }
    }
    if args.mcp_config.is_empty() {
        return Ok((overrides, None));
    }
    let templates = args
        .mcp_config
        .iter()
        .map(|p| crate::claude::mcp::read_template(p))
        .collect::<Result<Vec<_>>>()?;
    let merged = crate::claude::mcp::merge_templates(&templates);
    crate::claude::mcp::port_labels(&merged)?;
    Ok((overrides, Some(merged)))
}

/// The directory Claude will run in, absolute and resolved (Claude keys
/// conversations by it, so `resume` must find the very same path).
fn working_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match flag {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let resolved = dir
        .canonicalize()
        .with_context(|| format!("the working directory {} is not usable", dir.display()))?;
    if !resolved.is_dir() {
        bail!("the working directory {} is not a directory", dir.display());
    }
    if resolved.to_str().is_none() {
        bail!(
            "the working directory {} is not valid UTF-8",
            resolved.display()
        );
    }
    Ok(resolved)
}
