//! `claude-session resume [SESSION [--conversation ID] | --last]`: start
//! Claude again in a session, in the directory it started in, continuing
//! its latest conversation (or the one asked for);
//! or, if it still runs under a holder, attach to it. Without a session, a
//! picker on a terminal chooses one.

use super::launch::{Launch, Mode};
use crate::claude::transcript::Held;
use crate::cli::{GlobalArgs, ResumeArgs};
use crate::client::picker::Entry;
use crate::run::plan::Invocation;
use crate::store::Store;
use crate::store::layout::Layout;
use crate::store::session::Session;
use crate::util::timestamp::Timestamp;
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::process::ExitCode;
use uuid::Uuid;

pub fn run(global: &GlobalArgs, args: ResumeArgs) -> Result<ExitCode> {
    crate::run::plan::check_passthrough(&args.claude.args)?;
    let keys =
        crate::client::detach_keys::DetachKeys::chosen(args.run.keys.detach_keys.as_deref())?;
    let mode = Mode::choose(&args.run);
    let claude = crate::claude::binary::find(args.claude.bin.as_deref())?;
    let mut store = super::open_store(global)?;
    let mut session = match &args.session {
        Some(reference) => crate::store::resolve::resolve(&store.registry, reference)?,
        None if args.last => crate::store::resolve::last(&store.registry)?,
        None => pick(&mut store)?,
    };
    let layout = store.layout.clone();
    crate::run::liveness::reconcile(&mut store.registry, &layout, &mut session)?;
    if let Some(id) = args.conversation {
        check_conversation(&layout, &session, id)?;
    }
    if session.is_hibernated() {
        let name = &session.session_name;
        return match mode {
            // Attaching wakes it.
            Mode::Attached => super::launch::attach_to(&session, false, keys),
            Mode::Detached => {
                super::launch::wake(&session)?;
                crate::util::output::emit(&format!("{}\n", session.session_id))?;
                Ok(ExitCode::SUCCESS)
            }
            Mode::Foreground => bail!(
                "session {name} hibernates under its holder; `claude-session attach {name}` (from a terminal) or `claude-session wake {name}` wakes it"
            ),
        };
    }
    if session.claude_is_live() {
        let name = &session.session_name;
        if !session.holder_is_live() {
            bail!(
                "session {name} is already running in the foreground of another terminal (pid {}); two Claude processes in one session would corrupt it",
                session.claude.map_or(0, |p| p.pid)
            );
        }
        return match mode {
            Mode::Attached => super::launch::attach_to(&session, false, keys),
            Mode::Detached => {
                crate::util::output::emit(&format!("{}\n", session.session_id))?;
                Ok(ExitCode::SUCCESS)
            }
            Mode::Foreground => bail!(
                "session {name} is already running under its holder; attach to it with `claude-session attach {name}` (from a terminal)"
            ),
        };
    }
    if !layout.session_dir(session.session_id).is_dir() {
        bail!(
            "session {} has no dir any more ({}); `claude-session rm {}` removes its entry",
            session.session_name,
            layout.session_dir(session.session_id).display(),
            session.session_name
        );
    }
    crate::store::journal::audit(&layout, "resume", &session);
    if mode == Mode::Foreground && std::io::stderr().is_terminal() {
        crate::util::output::say(&format!(
            "resuming {} ({}) in {}",
            crate::view::safe(&session.session_name),
            session.short_id(),
            crate::view::safe_path(&session.working_directory)
        ));
    }
    let launch = Launch {
        invocation: Invocation {
            claude,
            args: args.claude.args,
            notify: args.run.notify,
            conversation: args.conversation,
        },
        mode,
        keys,
        holder: None,
    };
    let code = super::launch::start(&layout, &mut store.registry, &mut session, launch)
        .with_context(|| format!("cannot resume session {}", session.session_name))?;
    if mode == Mode::Foreground {
        super::launch::say_goodbye(&session);
    }
    Ok(code)
}

/// `--conversation ID`: one the session holds, of its working directory
/// (Claude Code continues a conversation only from its own), and the one
/// running, if the session runs or hibernates.
fn check_conversation(layout: &Layout, session: &Session, id: Uuid) -> Result<()> {
    let name = crate::view::safe(&session.session_name);
    // Its holder continues (or wakes into) the conversation it has.
    if session.claude_is_live() || session.is_hibernated() {
        let current = session.conversation_id.as_deref();
        if current != Some(id.to_string().as_str()) {
            bail!(
                "session {name} {} conversation {}; stop it first (`claude-session kill {name}`) to continue {id}",
                match session.is_hibernated() {
                    true => "hibernates in",
                    false => "is running",
                },
                crate::view::safe(current.unwrap_or("(not known yet)"))
            );
        }
        return Ok(());
    }
    let dir = layout.session_dir(session.session_id);
    match crate::claude::transcript::holds(&dir, &session.working_directory, id) {
        Held::InCwd => Ok(()),
        Held::Elsewhere => bail!(
            "conversation {id} of session {name} belongs to another directory than the session's ({}); Claude Code continues a conversation only from its own directory",
            crate::view::safe_path(&session.working_directory)
        ),
        Held::Nowhere => bail!(
            "session {name} has no conversation {id} (`claude-session search` shows each result's session and conversation)"
        ),
    }
}

/// Neither a session nor --last: the user picks one, newest first, on a
/// terminal; off one (a script) there is nobody to ask.
fn pick(store: &mut Store) -> Result<Session> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!("name a session to resume (or use --last); see claude-session list");
    }
    let mut sessions = store.registry.all()?;
    if sessions.is_empty() {
        bail!("there are no sessions yet; start one with `claude-session new NAME`");
    }
    for session in sessions.iter_mut() {
        crate::run::liveness::reconcile(&mut store.registry, &store.layout, session)?;
    }
    let now = Timestamp::now();
    let entries = sessions
        .iter()
        .map(|s| Entry {
            name: crate::view::safe(&s.session_name).into_owned(),
            state: crate::view::safe(&crate::view::status_text(s)).into_owned(),
            ago: s.last_activity.ago(now),
            cwd: crate::view::tilde(&store.layout, &s.working_directory),
            path: crate::view::safe_path(&s.working_directory),
        })
        .collect();
    match crate::client::picker::pick(entries)? {
        // Read again by id: the session may have changed while the picker was open.
        Some(i) => {
            crate::store::resolve::resolve(&store.registry, &sessions[i].session_id.to_string())
        }
        None => bail!("no session picked"),
    }
}
