//! `claude-session new [NAME]`: create a session and start Claude in it.

use super::Store;
use crate::cli::{GlobalArgs, NewArgs};
use crate::run::runner::Mode;
use crate::store::layout::Layout;
use crate::store::registry::InsertError;
use crate::store::session::{self, Session};
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result, anyhow, bail};
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
    crate::run::launch::check_passthrough(&args.claude.args)?;
    let keys = crate::run::runner::detach_keys(args.run.keys.detach_keys.as_deref())?;
    let (overrides, mcp_template) = own_settings(&args.overrides)?;
    let mode = Mode::choose(&args.run);
    crate::run::runner::export_notify(&args.run);
    let claude = match args.no_launch {
        true => None,
        false => Some(crate::run::launch::find_claude(args.claude.bin.as_deref())?),
    };

    let layout = Layout::discover(global.store.as_deref(), global.base.as_deref())?;
    let id = Uuid::new_v4();
    // The holder starts first, a fork of this process while it has opened
    // nothing: it sets up while the session is made, then waits for it (see
    // `runner::fork_holder`).
    let holder = match &claude {
        Some(claude) if mode != Mode::Foreground => {
            let size = crate::run::runner::holder_size(mode);
            Some(crate::run::runner::fork_holder(
                &layout,
                id,
                claude,
                &args.claude.args,
                size,
            )?)
        }
        _ => None,
    };
    let mut store = Store::at(layout)?;
    let mut session = Session::new(
        id,
        args.name.as_deref().unwrap_or_default(),
        cwd,
        Timestamp::now(),
    );
    session.model =
        crate::run::launch::model_from_args(&args.claude.args).or(overrides.model.clone());
    let layout = store.layout.clone();
    // The dir and metadata.json are made inside the registry transaction:
    // if either fails, no row is committed and the dir is removed.
    // metadata.json's fsync is owed (`unsynced`): paid before the session
    // is shown, beside the holder's start of Claude when there is one.
    let mut unsynced = None;
    let create_dir = |s: &Session| -> Result<()> {
        let dir = layout.session_dir(s.session_id);
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        let written = crate::store::metadata::write_unsynced(&layout, s).and_then(|pending| {
            unsynced = Some(pending);
            if !overrides.is_empty() {
                overrides.save(&dir)?;
            }
            if let Some(template) = &mcp_template {
                let mut bytes = serde_json::to_vec_pretty(template)?;
                bytes.push(b'\n');
                let path = dir.join(crate::claude::overrides::MCP_TEMPLATE);
                crate::util::fsutil::write_private_atomic(
                    &path,
                    &bytes,
                    crate::util::fsutil::Durability::Synced,
                )?;
            }
            Ok(())
        });
        written.inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })
    };
    let inserted = match &args.name {
        Some(_) => store.registry.insert_with(&session, create_dir),
        None => {
            let stem = session::auto_name_stem(&session.working_directory);
            store
                .registry
                .insert_auto_named(&mut session, &stem, create_dir)
        }
    };
    match inserted {
        Ok(()) => {}
        Err(InsertError::Registry(crate::store::registry::RegistryError::NameTaken(name))) => {
            bail!(
                "a session named {name:?} already exists; continue it with `claude-session resume {name}`"
            )
        }
        Err(InsertError::Registry(e)) => return Err(anyhow!(e)),
        Err(InsertError::Before(e)) => return Err(e),
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
    // metadata.json's fsync: while the holder starts Claude, when there is
    // one, and before the session is shown in any case.
    let created = session.clone();
    let sync = || crate::run::runner::sync_metadata(&layout, &created, unsynced);

    let Some(claude) = claude else {
        sync()?;
        // Ready for a later `resume`, or for running claude by hand.
        crate::run::launch::prepare_dir(&layout, &session)?;
        return if args.json {
            crate::util::output::emit_json(&super::show::Detail::new(&layout, &session))
                .map(|()| ExitCode::SUCCESS)
        } else {
            crate::util::output::emit(&format!("{}\n", session.session_id))
                .map(|()| ExitCode::SUCCESS)
        };
    };
    if mode == Mode::Foreground && std::io::stderr().is_terminal() {
        eprintln!(
            "claude-session: starting {} ({}) in {}",
            session.session_name,
            session.short_id(),
            session.working_directory.display()
        );
    }
    let launch = crate::run::runner::Launch {
        claude: &claude,
        extra_args: &args.claude.args,
        mode,
        keys,
        holder,
        meanwhile: Box::new(sync),
    };
    let code = crate::run::runner::start(&layout, &mut store.registry, &mut session, launch)
        .with_context(|| format!("cannot start session {}", session.session_name))?;
    if mode == Mode::Foreground {
        super::resume::say_goodbye(&session);
    }
    Ok(code)
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
    };
    overrides.check()?;
    if let Some(path) = &args.settings {
        let bytes = std::fs::read(path)
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
