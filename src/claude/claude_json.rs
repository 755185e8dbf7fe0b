//! Seeding the session's `.claude.json` (Claude Code's global config) so an
//! interactive start opens straight at the prompt.
//!
//! Measured with the real CLI (see docs/claude-code.md):
//! - `hasCompletedOnboarding: true` skips the connectivity check, theme
//!   picker and security notes;
//! - `customApiKeyResponses.approved` holding the last 20 characters of the
//!   key skips "Detected a custom API key, use it?";
//! - `projects.<dir>.hasTrustDialogAccepted: true` skips "trust this folder".
//!
//! The user's own choices in the base (theme, editor mode, user-scope MCP
//! servers, trusted folders, approved keys, account) are carried over once,
//! when the session is first prepared; after that the file is Claude's.

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

pub const FILE: &str = ".claude.json";

/// Per-project keys worth carrying from the base: the user's decisions and
/// configuration, not the base's usage statistics or last session ids.
const PROJECT_KEYS: &[&str] = &[
    "hasTrustDialogAccepted",
    "allowedTools",
    "mcpServers",
    "enabledMcpjsonServers",
    "disabledMcpjsonServers",
    "mcpContextUris",
    "ignorePatterns",
    "hasCompletedProjectOnboarding",
    "projectOnboardingSeenCount",
    "hasClaudeMdExternalIncludesApproved",
    "hasClaudeMdExternalIncludesWarningShown",
];

/// How many trailing characters of an API key Claude remembers as approved.
const KEY_TAIL: usize = 20;

pub struct Seed<'a> {
    /// The base's `.claude.json`, if it has one.
    pub base_file: Option<&'a Path>,
    pub session_dir: &'a Path,
    /// The session's working directory, marked trusted: the user chose to
    /// start Claude there.
    pub cwd: &'a Path,
    /// The API key Claude will see in its environment, if any.
    pub api_key: Option<&'a str>,
}

/// Creates or updates the session's `.claude.json`. Returns notes for the
/// session log (a base file that could not be read, a corrupt session file
/// that was set aside).
pub fn prepare(seed: &Seed) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let path = seed.session_dir.join(FILE);
    let existing =
        match crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CLAUDE_JSON) {
            // What a crash right after an unsynced first seed leaves (below):
            // nothing of Claude's to keep, seed again.
            Ok(bytes) if bytes.is_empty() => None,
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => Some(map),
                _ => {
                    // Never destroy what Claude wrote: keep it aside, start anew.
                    let aside = seed.session_dir.join(format!(
                        "{FILE}.corrupt-{}",
                        crate::util::timestamp::Timestamp::now().millis()
                    ));
                    fs::rename(&path, &aside)
                        .with_context(|| format!("cannot set aside {}", path.display()))?;
                    notes.push(format!(
                        "{FILE} was not valid JSON; kept as {}",
                        aside.display()
                    ));
                    None
                }
            },
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
    let is_new = existing.is_none();
    let mut config = match existing {
        Some(map) => map,
        None => from_base(seed.base_file, &mut notes),
    };
    let changed = ensure_ready(&mut config, seed.cwd, seed.api_key);
    if is_new || changed {
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(config)).expect("JSON serializes");
        bytes.push(b'\n');
        // A first seed is made again from the base if a crash loses it (an
        // empty or unreadable file is seeded anew), so it is not worth an
        // fsync on the way to starting Claude. Claude's own file is: a crash
        // must never leave it empty.
        let durability = match is_new {
            true => crate::util::fsutil::Durability::Regenerated,
            false => crate::util::fsutil::Durability::Synced,
        };
        crate::util::fsutil::write_private_atomic(&path, &bytes, durability)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(notes)
}

/// The base's config with per-project entries reduced to `PROJECT_KEYS`.
fn from_base(base_file: Option<&Path>, notes: &mut Vec<String>) -> Map<String, Value> {
    let Some(path) = base_file else {
        return Map::new();
    };
    let parsed = crate::util::fsutil::read_bounded(path, crate::util::fsutil::MAX_CLAUDE_JSON)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()));
    let mut base = match parsed {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            notes.push(format!(
                "{} is not a JSON object; not carried over",
                path.display()
            ));
            return Map::new();
        }
        Err(why) => {
            notes.push(format!(
                "{} unreadable ({why}); not carried over",
                path.display()
            ));
            return Map::new();
        }
    };
    if let Some(Value::Object(projects)) = base.remove("projects") {
        let kept: Map<String, Value> = projects
            .into_iter()
            .filter_map(|(dir, settings)| {
                let Value::Object(settings) = settings else {
                    return None;
                };
                let kept: Map<String, Value> = settings
                    .into_iter()
                    .filter(|(k, _)| PROJECT_KEYS.contains(&k.as_str()))
                    .collect();
                (!kept.is_empty()).then(|| (dir, Value::Object(kept)))
            })
            .collect();
        base.insert("projects".into(), Value::Object(kept));
    }
    base
}

/// Sets what skips the first-run dialogs. Returns true if anything changed.
fn ensure_ready(config: &mut Map<String, Value>, cwd: &Path, api_key: Option<&str>) -> bool {
    let mut changed = false;
    if config.get("hasCompletedOnboarding") != Some(&Value::Bool(true)) {
        config.insert("hasCompletedOnboarding".into(), Value::Bool(true));
        changed = true;
    }
    let projects = object_at(config, "projects", &mut changed);
    let project = object_at(projects, &cwd.to_string_lossy(), &mut changed);
    if project.get("hasTrustDialogAccepted") != Some(&Value::Bool(true)) {
        project.insert("hasTrustDialogAccepted".into(), Value::Bool(true));
        changed = true;
    }
    if let Some(key) = api_key.filter(|k| !k.is_empty()) {
        let tail: String = key
            .chars()
            .rev()
            .take(KEY_TAIL)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let responses = object_at(config, "customApiKeyResponses", &mut changed);
        let rejected = responses
            .get("rejected")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(&tail)));
        // A key the user turned down in the base stays turned down.
        if !rejected {
            if !matches!(responses.get("rejected"), Some(Value::Array(_))) {
                responses.insert("rejected".into(), json!([]));
                changed = true;
            }
            let approved = responses.entry("approved").or_insert_with(|| json!([]));
            if !approved.is_array() {
                *approved = json!([]);
            }
            let list = approved.as_array_mut().expect("made an array above");
            if !list.iter().any(|v| v.as_str() == Some(&tail)) {
                list.push(Value::String(tail));
                changed = true;
            }
        }
    }
    changed
}

/// The object under `key`, made (or replacing a non-object) if need be.
fn object_at<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
    changed: &mut bool,
) -> &'a mut Map<String, Value> {
    let slot = map.entry(key.to_string()).or_insert_with(|| {
        *changed = true;
        Value::Object(Map::new())
    });
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
        *changed = true;
    }
    slot.as_object_mut().expect("made an object above")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dir: &Path) -> Value {
        serde_json::from_slice(&fs::read(dir.join(FILE)).unwrap()).unwrap()
    }

    #[test]
    fn seeds_from_the_base_without_its_history() {
        let tmp = tempfile::tempdir().unwrap();
        let base_file = tmp.path().join("base.json");
        fs::write(
            &base_file,
            r#"{"theme":"light","mcpServers":{"m":{"command":"x"}},"numStartups":9,
               "projects":{"/w":{"hasTrustDialogAccepted":true,"lastSessionId":"s","lastCost":3,"mcpServers":{}},
                           "/stats-only":{"lastCost":1}}}"#,
        )
        .unwrap();
        let session = tmp.path().join("s");
        fs::create_dir(&session).unwrap();
        let key = "sk-ant-api03-0123456789abcdefghijKLMNOPQRSTUVWXYZ";
        prepare(&Seed {
            base_file: Some(&base_file),
            session_dir: &session,
            cwd: Path::new("/w/sub"),
            api_key: Some(key),
        })
        .unwrap();
        let got = read(&session);
        assert_eq!(got["theme"], "light");
        assert_eq!(got["mcpServers"]["m"]["command"], "x");
        assert_eq!(got["hasCompletedOnboarding"], true);
        assert_eq!(
            got["projects"]["/w"],
            json!({"hasTrustDialogAccepted": true, "mcpServers": {}})
        );
        assert!(got["projects"].get("/stats-only").is_none());
        assert_eq!(got["projects"]["/w/sub"]["hasTrustDialogAccepted"], true);
        assert_eq!(
            got["customApiKeyResponses"]["approved"],
            json!(["ghijKLMNOPQRSTUVWXYZ"])
        );
    }

    #[test]
    fn keeps_claudes_own_state_and_respects_a_rejected_key() {
        let session = tempfile::tempdir().unwrap();
        fs::write(
            session.path().join(FILE),
            r#"{"numStartups":4,"customApiKeyResponses":{"approved":[],"rejected":["abcdefghijklmnopqrst"]}}"#,
        )
        .unwrap();
        prepare(&Seed {
            base_file: None,
            session_dir: session.path(),
            cwd: Path::new("/w"),
            api_key: Some("xxabcdefghijklmnopqrst"),
        })
        .unwrap();
        let got = read(session.path());
        assert_eq!(got["numStartups"], 4);
        assert_eq!(got["customApiKeyResponses"]["approved"], json!([]));
    }

    /// Seeds `session_dir` with no base file and no API key.
    fn prepare_without_base(session_dir: &Path) -> Vec<String> {
        prepare(&Seed {
            base_file: None,
            session_dir,
            cwd: Path::new("/w"),
            api_key: None,
        })
        .unwrap()
    }

    #[test]
    fn a_corrupt_session_file_is_set_aside() {
        let session = tempfile::tempdir().unwrap();
        fs::write(session.path().join(FILE), "{truncated").unwrap();
        let notes = prepare_without_base(session.path());
        assert_eq!(notes.len(), 1);
        assert_eq!(read(session.path())["hasCompletedOnboarding"], true);
        let aside = fs::read_dir(session.path())
            .unwrap()
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".claude.json.corrupt-")
            })
            .expect("corrupt file kept");
        assert_eq!(fs::read_to_string(aside.path()).unwrap(), "{truncated");
    }

    #[test]
    fn an_empty_session_file_is_seeded_again() {
        // What a crash can leave of a first seed, which is not fsynced.
        let session = tempfile::tempdir().unwrap();
        fs::write(session.path().join(FILE), "").unwrap();
        let notes = prepare_without_base(session.path());
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(read(session.path())["hasCompletedOnboarding"], true);
        assert_eq!(fs::read_dir(session.path()).unwrap().count(), 1);
    }
}
