//! `claude-session import FILE [--name NEW] [--trust-settings]`: an archive
//! made by `export` becomes a session of this store, ready to `resume`.
//!
//! The archive is unpacked into `sessions/.import-<random>/` and checked
//! whole (`crate::archive::unpack`) before anything else happens; only then
//! is that dir renamed to `sessions/<id>/`, inside the registry transaction
//! that inserts the row (as `new` does). On any error the dir is removed:
//! a refused archive leaves nothing behind. The settings the archive
//! carries (`crate::archive::Carried`) are left out, and shown, unless
//! `--trust-settings`.

use crate::archive::{self, Unpacked};
use crate::cli::{GlobalArgs, ImportArgs};
use crate::store::create::{CreateError, Dir, Naming};
use crate::store::session::{self, MAX_NAME_LEN, Session, Status};
use anyhow::{Context, Result, anyhow, bail};
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// Prefix of the staging dirs in `sessions/` (not a UUID, so never taken
/// for a session).
const STAGING: &str = crate::store::create::STAGING_PREFIX;

/// A staging dir this old was left by an import that was killed: no
/// import runs that long.
const STALE: Duration = Duration::from_secs(24 * 3600);

pub fn run(global: &GlobalArgs, args: ImportArgs) -> Result<ExitCode> {
    if let Some(name) = &args.name {
        session::validate_name(name).context("invalid session name")?;
    }
    let shown = args.file.display().to_string();
    let failed = || format!("cannot import {shown}");
    let meta = fs::metadata(&args.file).with_context(failed)?;
    if !meta.is_file() {
        bail!("cannot import {shown}: not a file");
    }
    let file = fs::File::open(&args.file).with_context(failed)?;

    let mut store = super::open_store(global)?;
    let layout = store.layout.clone();
    remove_stale_staging(&layout.sessions_dir());
    let staging = Staging::create(&layout.sessions_dir())?;
    let Unpacked {
        manifest,
        session: exported,
        files,
        bytes,
    } = archive::unpack(
        BufReader::new(file),
        &staging.path,
        archive::Limits::DEFAULT,
    )
    .with_context(failed)?;
    let old_name = exported.session_name.clone();
    let mut session = as_new(exported, manifest.exported_at);
    let carried = archive::Carried::read(&staging.path);
    if args.trust_settings {
        carried.check().with_context(failed)?;
    } else {
        archive::Carried::remove(&staging.path).with_context(failed)?;
        // The model it recorded was the override's, which is not applied.
        let dropped = carried.overrides.read().and_then(|o| o.model.as_ref());
        if dropped.is_some() && dropped == session.model.as_ref() {
            session.model = None;
        }
    }
    let old_id = session.session_id;
    if store.registry.get(old_id)?.is_some() || layout.session_dir(old_id).exists() {
        session.session_id = Uuid::new_v4();
    }
    let explicit = args.name.is_some();
    session.session_name = match &args.name {
        Some(name) => name.clone(),
        None => {
            session::validate_name(&old_name).map_err(|e| {
                anyhow!(
                    "{}: the archive's session name is not valid here ({e}); pass --name NEW",
                    failed()
                )
            })?;
            old_name.clone()
        }
    };
    // Staged data is flushed before the rename makes it a session.
    if let Ok(dir) = fs::File::open(&staging.path) {
        let _ = nix::unistd::syncfs(&dir);
    }
    let stem = stem(&old_name);
    let naming = match explicit {
        true => Naming::Exactly,
        false => Naming::OwnOrNumbered(&stem),
    };
    let created = crate::store::create::create_session(
        &mut store.registry,
        &layout,
        &mut session,
        naming,
        Dir::Staged(&staging.path),
        |_| Ok(()),
    );
    match created {
        Ok(()) => {}
        Err(CreateError::NameTaken(name)) => bail!(
            "{}: a session named {name:?} already exists; pick another with --name",
            failed()
        ),
        Err(CreateError::Other(e)) => return Err(e).with_context(failed),
    }
    drop(staging);
    crate::store::journal::audit(&layout, "import", &session);
    crate::store::journal::session_log(
        &layout,
        &session,
        &format!(
            "imported from {shown:?} (exported {} as {old_name} id={old_id}) cwd={:?}",
            manifest.exported_at, session.working_directory
        ),
    );
    crate::run::prepare::prepare_dir(&layout, &session).with_context(|| {
        format!(
            "imported {}, but cannot make it ready to resume",
            session.session_name
        )
    })?;

    if session.session_id != old_id {
        note(&format!(
            "the id {old_id} is in use here; the session got the new id {}",
            session.session_id
        ));
    }
    if session.session_name != old_name && !explicit {
        note(&format!(
            "a session named {old_name} exists; imported as {}",
            session.session_name
        ));
    }
    if !session.working_directory.is_dir() {
        note(&format!(
            "its working directory {} does not exist here; create it before `resume` (Claude Code only finds a conversation from the directory it started in)",
            crate::view::safe_path(&session.working_directory)
        ));
    }
    if manifest.redacted {
        note("the archive was redacted: keys and tokens in it read [REDACTED]");
    }
    if !carried.is_empty() {
        note(&settings_note(
            &carried,
            args.trust_settings,
            &args.file,
            &session.session_name,
        ));
    }
    if args.json {
        crate::util::output::emit_json(&Report {
            detail: crate::view::Detail::new(&layout, &session),
            files,
            bytes,
            settings_applied: args.trust_settings,
            carried: CarriedJson {
                overrides: carried.overrides.read(),
                mcp_servers: carried.mcp_servers.read(),
            },
        })?;
    } else {
        crate::util::output::emit(&format!(
            "imported {} ({}): {files} files, {}; continue it with `claude-session resume {}`\n",
            session.session_name,
            session.short_id(),
            crate::util::output::human_bytes(bytes),
            session.session_name
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `import --json`: the session as `show --json` has it, what was unpacked,
/// and the settings the archive carried (applied or not).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    #[serde(flatten)]
    detail: crate::view::Detail<'a>,
    files: u64,
    bytes: u64,
    settings_applied: bool,
    carried: CarriedJson<'a>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CarriedJson<'a> {
    overrides: Option<&'a crate::claude::overrides::Overrides>,
    mcp_servers: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// What the archive's settings are, and whether they apply; if not, how
/// to apply them.
fn settings_note(carried: &archive::Carried, trusted: bool, file: &Path, name: &str) -> String {
    let mut lines =
        crate::view::settings::lines(carried.overrides.read(), carried.mcp_servers.read());
    for (file, part) in [
        (crate::claude::overrides::FILE, invalid(&carried.overrides)),
        (
            crate::claude::overrides::MCP_TEMPLATE,
            invalid(&carried.mcp_servers),
        ),
    ] {
        if let Some(why) = part {
            lines.push(format!("{file}: not valid ({})", crate::view::safe(why)));
        }
    }
    let mut text = match trusted {
        true => "the archive's own settings apply from the session's next start (--trust-settings):".to_string(),
        false => "the archive's own settings were left out; they can run commands and change what Claude may do:".to_string(),
    };
    for line in lines {
        text.push_str("\n  ");
        text.push_str(&line);
    }
    if !trusted {
        let again = crate::view::settings::shell_words(&[
            "claude-session".into(),
            "import".into(),
            file.to_string_lossy().into_owned(),
            "--trust-settings".into(),
        ]);
        text.push_str(&format!(
            "\n  to apply them, remove this copy (`claude-session rm {name}`) and run `{}`, or set what you choose with `claude-session set {name} key=value`",
            crate::view::safe(&again)
        ));
    }
    text
}

fn invalid<T>(part: &archive::Part<T>) -> Option<&str> {
    match part {
        archive::Part::Invalid(why) => Some(why),
        _ => None,
    }
}

/// The exported session as a new session of this store: nothing runs in
/// it here, and it was imported by this user from this connection.
fn as_new(mut s: Session, exported_at: crate::util::timestamp::Timestamp) -> Session {
    if s.status == Status::Active {
        s.status = Status::Stopped;
        s.end_time = s.end_time.or(Some(exported_at));
    }
    s.user_id = crate::util::user::name();
    s.ssh_client = crate::util::user::ssh_client();
    s.clear_runtime();
    // A worktree is the exported session's: removing the import must never
    // remove it (nor was it exported).
    s.worktree = None;
    s
}

/// The stem for `<stem>-N`, short enough that the name stays valid.
fn stem(name: &str) -> String {
    name.chars().take(MAX_NAME_LEN - 8).collect()
}

/// `sessions/.import-<random>/`, 0700, removed when dropped (after a
/// successful import it was renamed away, so there is nothing to remove).
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn create(sessions: &Path) -> Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let path = sessions.join(format!("{STAGING}{}", Uuid::new_v4().simple()));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Removes staging dirs of imports that were killed long ago.
fn remove_stale_staging(sessions: &Path) {
    let Ok(entries) = fs::read_dir(sessions) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(STAGING)
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE);
        if stale {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn note(text: &str) {
    crate::util::output::say(&format!("note: {text}"));
}
