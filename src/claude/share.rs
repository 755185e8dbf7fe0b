//! What every session shares with the base: links to the user's skills,
//! agents, commands, output styles, CLAUDE.md and keybindings, and a
//! `settings.json` generated from the base's at every launch.
//!
//! Links are (re)made at every launch, so something added to the base after
//! a session was created reaches it on its next launch, and a dir that the
//! base gains while a session runs is seen through the link at once.
//! Claude Code reads through these links and writes through them (it renames
//! onto the link's target), so they survive its writes; `settings.json` is
//! not linked because it is per session (overrides, status hooks).

use anyhow::{Context, Result, bail};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::symlink;
use std::path::Path;

/// Entries of the base linked into every session dir.
pub const LINKED: &[&str] = &[
    "skills",
    "agents",
    "commands",
    "output-styles",
    "CLAUDE.md",
    "keybindings.json",
];

/// Makes the session's links point at the base. Returns notes for the
/// session log about entries the session has a real file or dir for (made
/// there by hand, or by a writer that replaced the link): those are kept,
/// never overwritten.
pub fn link_shared(base: &Path, session_dir: &Path) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    for entry in LINKED {
        let target = base.join(entry);
        let link = session_dir.join(entry);
        let base_has = fs::symlink_metadata(&target).is_ok();
        match fs::symlink_metadata(&link) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if base_has {
                    make_link(&target, &link)?;
                }
            }
            Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", link.display())),
            Ok(meta) if meta.file_type().is_symlink() => {
                let current = fs::read_link(&link).ok();
                if !base_has {
                    // The base dropped it: a dangling link only confuses.
                    remove_link(&link)?;
                } else if current.as_deref() != Some(target.as_path()) {
                    remove_link(&link)?;
                    make_link(&target, &link)?;
                }
            }
            Ok(_) => {
                if base_has {
                    notes.push(format!(
                        "{entry}: the session has its own copy, the base's is not linked"
                    ));
                }
            }
        }
    }
    Ok(notes)
}

fn make_link(target: &Path, link: &Path) -> Result<()> {
    match symlink(target, link) {
        // A concurrent launch made the same link.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        other => {
            other.with_context(|| format!("cannot link {} to {}", link.display(), target.display()))
        }
    }
}

fn remove_link(link: &Path) -> Result<()> {
    match fs::remove_file(link) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot replace the link {}", link.display()))
        }
        _ => Ok(()),
    }
}

/// Writes the session's `settings.json`: the base's settings (an empty
/// object if the base has none), deep-merged with the session's own
/// overrides, plus the status hooks. Unless the settings decide otherwise:
/// - Claude's own background sessions (`claude --bg`, `/background`,
///   `claude agents`) are off: their supervisor lives in the config dir,
///   so each session would get its own (~140 MB, outliving the session,
///   invisible to claude-session), and `/background` ends the Claude the
///   holder runs. claude-session's holders and dashboard do that job.
/// - Claude's registration of itself as the `claude-cli://` URL handler (a
///   .desktop file in the user's data dir, written at every start) is left
///   to the user's own `claude`.
pub fn write_settings(
    base: &Path,
    session_dir: &Path,
    overrides: &serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let mut settings = base_settings(base)?;
    crate::claude::overrides::merge(&mut settings, overrides);
    settings
        .entry("disableAgentView")
        .or_insert(serde_json::Value::Bool(true));
    settings
        .entry("disableDeepLinkRegistration")
        .or_insert_with(|| serde_json::Value::from("disable"));
    crate::claude::hooks::install(&mut settings, &crate::claude::hooks::command());
    let mut bytes = serde_json::to_vec_pretty(&settings).expect("JSON value serializes");
    bytes.push(b'\n');
    let path = session_dir.join("settings.json");
    crate::util::fsutil::write_private_atomic(
        &path,
        &bytes,
        crate::util::fsutil::Durability::Regenerated,
    )
    .with_context(|| format!("cannot write {}", path.display()))
}

/// The base's `settings.json` as a JSON object.
pub fn base_settings(base: &Path) -> Result<serde_json::Map<String, serde_json::Value>> {
    let path = base.join("settings.json");
    let bytes = match crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CONFIG) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if bytes.trim_ascii().is_empty() {
        return Ok(Default::default());
    }
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => bail!("{} must hold a JSON object", path.display()),
        Err(e) => bail!(
            "{} is not valid JSON ({e}); fix it so sessions can use it",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_base() {
        let base = tempfile::tempdir().unwrap();
        let session = tempfile::tempdir().unwrap();
        fs::create_dir(base.path().join("skills")).unwrap();
        link_shared(base.path(), session.path()).unwrap();
        assert_eq!(
            fs::read_link(session.path().join("skills")).unwrap(),
            base.path().join("skills")
        );
        assert!(fs::symlink_metadata(session.path().join("agents")).is_err());

        // The base gains agents/ and loses skills/: the next launch follows.
        fs::create_dir(base.path().join("agents")).unwrap();
        fs::remove_dir(base.path().join("skills")).unwrap();
        link_shared(base.path(), session.path()).unwrap();
        assert!(fs::symlink_metadata(session.path().join("skills")).is_err());
        assert_eq!(
            fs::read_link(session.path().join("agents")).unwrap(),
            base.path().join("agents")
        );
    }

    #[test]
    fn a_real_file_in_the_session_is_kept() {
        let base = tempfile::tempdir().unwrap();
        let session = tempfile::tempdir().unwrap();
        fs::write(base.path().join("CLAUDE.md"), "base").unwrap();
        fs::write(session.path().join("CLAUDE.md"), "mine").unwrap();
        let notes = link_shared(base.path(), session.path()).unwrap();
        assert_eq!(
            fs::read_to_string(session.path().join("CLAUDE.md")).unwrap(),
            "mine"
        );
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn settings_copy_the_base() {
        let base = tempfile::tempdir().unwrap();
        let session = tempfile::tempdir().unwrap();
        write_settings(base.path(), session.path(), &Default::default()).unwrap();
        let got: serde_json::Value =
            serde_json::from_slice(&fs::read(session.path().join("settings.json")).unwrap())
                .unwrap();
        assert_eq!(
            got.as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["disableAgentView", "disableDeepLinkRegistration", "hooks"]
        );
        fs::write(
            base.path().join("settings.json"),
            r#"{"model":"opus","env":{"A":"1"},"disableDeepLinkRegistration":"enable"}"#,
        )
        .unwrap();
        write_settings(base.path(), session.path(), &Default::default()).unwrap();
        let got: serde_json::Value =
            serde_json::from_slice(&fs::read(session.path().join("settings.json")).unwrap())
                .unwrap();
        assert_eq!(got["model"], "opus");
        assert_eq!(got["env"], serde_json::json!({"A": "1"}));
        assert_eq!(
            got["disableDeepLinkRegistration"], "enable",
            "the user's own choice"
        );
        assert!(got["hooks"]["Stop"].is_array());
        fs::write(base.path().join("settings.json"), "{nope").unwrap();
        let err = write_settings(base.path(), session.path(), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not valid JSON"), "{err}");
    }
}
