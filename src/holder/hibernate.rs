//! Hibernation: a session idle for its `hibernate-after` has its Claude
//! exit (the conversation is on disk; an idle Claude loses nothing on
//! SIGTERM), while its holder keeps the screen, the socket and the session
//! lock: from about 230 MB to the holder's half a megabyte. Attaching,
//! sending text, `resume` or `wake` start Claude again on the same
//! conversation (`--resume`), in the same directory, with the same
//! settings; the screen is the last one until Claude draws its own.

use std::path::Path;
use std::time::Duration;

/// The default for sessions without their own setting.
pub const ENV: &str = "CLAUDE_SESSION_HIBERNATE_AFTER";

/// How long Claude gets to exit when asked to hibernate; one that takes
/// longer keeps running, and the session.log says so.
pub const EXIT_PATIENCE: Duration = Duration::from_secs(10);

/// How long a woken Claude gets to reach its prompt before what was typed
/// for it is sent anyway (a resumed Claude takes 1-2 s here; keystrokes
/// that arrive before its prompt is drawn are lost).
pub const READY_PATIENCE: Duration = Duration::from_secs(30);

/// The session's screen when it hibernated, kept in its dir for a restore
/// after a reboot.
const SCREEN_FILE: &str = "screen";
/// The most of it read back.
const SCREEN_MAX: u64 = 4 << 20;

/// After how long idle the session in `session_dir` hibernates: its own
/// setting (`hibernate-after` in overrides.json), else the holder's
/// environment's `CLAUDE_SESSION_HIBERNATE_AFTER`, else never. A setting
/// that does not parse means never (it was checked when it was set).
pub fn after(session_dir: &Path) -> Option<Duration> {
    let own = crate::claude::overrides::Overrides::load(session_dir)
        .ok()
        .and_then(|o| o.hibernate_after);
    let text = own.or_else(|| std::env::var(ENV).ok())?;
    crate::claude::overrides::parse_hibernate_after(&text)
        .ok()
        .flatten()
}

/// Why Claude (pid `claude`) may not hibernate now, if anything stops it:
/// a terminal attached, Claude not at rest by its own word (working,
/// waiting for the user, a background shell), a process of its own
/// running (a dev server, a build: not its MCP servers, which share its
/// session), text left typed at its prompt.
pub fn blocker(session_dir: &Path, claude: u32, attached: u32, draft: bool) -> Option<String> {
    if attached > 0 {
        return Some("a terminal is attached".into());
    }
    match crate::claude::live::status(session_dir, claude) {
        Some(s) if s.status == "idle" => {}
        Some(s) if s.status == "waiting" => {
            let what = s.waiting_for.unwrap_or_else(|| "input".into());
            return Some(format!("Claude is waiting for you ({what})"));
        }
        Some(s) if s.status == "busy" => return Some("Claude is working".into()),
        Some(s) if s.status == "shell" => {
            return Some("a background shell of Claude's runs".into());
        }
        Some(s) => return Some(format!("Claude says it is {}", s.status)),
        None => return Some("Claude has not said it is idle".into()),
    }
    let session = crate::util::process::session_of(claude);
    for child in crate::util::process::children(claude) {
        if crate::util::process::session_of(child) != session {
            let name = crate::util::process::stat(child)
                .and_then(|_| std::fs::read_to_string(format!("/proc/{child}/comm")).ok())
                .unwrap_or_default();
            return Some(format!(
                "a process of Claude's runs (pid {child}: {})",
                name.trim()
            ));
        }
    }
    if draft {
        return Some("text is typed at Claude's prompt".into());
    }
    None
}

/// Keeps the hibernated screen in the session dir.
pub fn save_screen(session_dir: &Path, screen: &[u8]) {
    let path = session_dir.join(SCREEN_FILE);
    if let Err(e) = crate::util::fsutil::write_private_atomic(
        &path,
        screen,
        crate::util::fsutil::Durability::Regenerated,
    ) {
        crate::util::output::warn(format!("cannot keep the screen in {}: {e}", path.display()));
    }
}

/// The screen kept by `save_screen`, if any.
pub fn saved_screen(session_dir: &Path) -> Option<Vec<u8>> {
    crate::util::fsutil::read_bounded(&session_dir.join(SCREEN_FILE), SCREEN_MAX).ok()
}
