//! Making a session dir ready for Claude, at every launch: the links to
//! the base, settings.json, `.claude.json`, the login, the MCP config.
//! Safe to run again; a launch runs it under the session lock.

use crate::claude::overrides::Overrides;
use crate::store::layout::Layout;
use crate::store::session::Session;
use anyhow::{Context, Result, bail};

/// What preparing found that Claude's command line needs.
pub struct Prepared {
    pub overrides: Overrides,
    /// Whether the session's MCP templates were rendered into
    /// `<session>/mcp.json`.
    pub mcp_config: bool,
}

/// Readies the session for a launch: its working dir checked, its dir
/// prepared (`prepare_dir`), its MCP config rendered.
pub fn prepare(layout: &Layout, session: &Session) -> Result<Prepared> {
    check_cwd(session)?;
    let overrides = prepare_dir(layout, session)?;
    let mcp_config = render_mcp(layout, session)?;
    Ok(Prepared {
        overrides,
        mcp_config,
    })
}

/// Claude Code finds a conversation only from the directory it started in.
pub fn check_cwd(session: &Session) -> Result<()> {
    let cwd = &session.working_directory;
    if let Some(w) = session.worktree.as_ref().filter(|w| !w.path.is_dir()) {
        bail!(
            "its worktree {} was deleted; `claude-session doctor --fix` makes it again on its branch {}",
            w.path.display(),
            w.branch
        );
    }
    if !cwd.is_dir() {
        bail!(
            "its working directory {} no longer exists; Claude Code can only resume a conversation from the directory it started in, so recreate it",
            cwd.display()
        );
    }
    Ok(())
}

/// Makes the session dir ready for Claude: shared links, settings,
/// `.claude.json`, credentials. Returns the session's own settings.
pub fn prepare_dir(layout: &Layout, session: &Session) -> Result<Overrides> {
    let dir = layout.session_dir(session.session_id);
    let mut notes = crate::claude::share::link_shared(&layout.base, &dir)?;
    let tmp = crate::claude::outside::tmp_dir(&dir);
    crate::util::fsutil::create_private_dir(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let overrides = Overrides::load(&dir)?;
    crate::claude::share::write_settings(&layout.base, &dir, &overrides.settings)?;
    let api_key = std::env::var("ANTHROPIC_API_KEY").ok();
    let base_file = layout.base_claude_json();
    notes.extend(crate::claude::claude_json::prepare(
        &crate::claude::claude_json::Seed {
            base_file: base_file.as_deref(),
            session_dir: &dir,
            cwd: &session.working_directory,
            api_key: api_key.as_deref(),
        },
    )?);
    sync_login(layout);
    for note in notes {
        crate::store::journal::session_log(layout, session, &format!("note {note}"));
    }
    Ok(overrides)
}

/// Copies the newest login to the base and every session (see
/// `claude::credentials`); a failure is a warning, never fatal.
pub fn sync_login(layout: &Layout) {
    if !crate::claude::credentials::from_environment()
        && let Err(e) = crate::claude::credentials::sync_all(layout)
    {
        crate::util::output::warn(format!("credentials not synced: {e:#}"));
    }
}

/// Renders the session's MCP template (the base's `session-mcp.json` and
/// the session's own) into `<session>/mcp.json`; false if there is none.
fn render_mcp(layout: &Layout, session: &Session) -> Result<bool> {
    use crate::claude::mcp;
    let dir = layout.session_dir(session.session_id);
    let mut templates = Vec::new();
    for path in [
        layout.base.join(mcp::BASE_TEMPLATE),
        dir.join(crate::claude::overrides::MCP_TEMPLATE),
    ] {
        if path.is_file() {
            templates.push(mcp::read_template(&path)?);
        }
    }
    if templates.is_empty() {
        return Ok(false);
    }
    let ctx = mcp::RenderContext {
        session_dir: &dir,
        session_id: session.session_id.to_string(),
        session_name: &session.session_name,
    };
    let merged = mcp::merge_templates(&templates);
    let rendered = mcp::render(
        &merged,
        &ctx,
        &layout.sessions_dir(),
        &layout.store.join("ports.lock"),
    )?;
    let path = dir.join(mcp::RENDERED);
    crate::util::fsutil::write_json(
        &path,
        &rendered,
        crate::util::fsutil::Durability::Regenerated,
    )
    .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}
