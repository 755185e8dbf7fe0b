//! Per-session settings: what `new --model/--append-system-prompt/
//! --permission-mode/--settings/--mcp-config` and `claude-session set` keep
//! in the session's `overrides.json`, re-applied at every launch.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::ffi::OsString;
use std::path::Path;

pub const FILE: &str = "overrides.json";
/// The session's own MCP template (the `--mcp-config` files, merged).
pub const MCP_TEMPLATE: &str = "mcp-template.json";

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub append_system_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<String>,
    /// Deep-merged over the base's settings.json.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub settings: Map<String, Value>,
    /// After how long idle the session hibernates ("30m"; "off": never);
    /// not set: `CLAUDE_SESSION_HIBERNATE_AFTER`, else never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hibernate_after: Option<String>,
}

/// The shortest `hibernate-after`: below it a session would stop and
/// start Claude between a person's keystrokes.
const HIBERNATE_FLOOR: std::time::Duration = std::time::Duration::from_secs(1);
/// The longest: beyond it the setting is most likely a typo.
const HIBERNATE_CEILING: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

/// A `hibernate-after` value: a duration ("30m", "2h") or "off"/"never"
/// (None).
pub fn parse_hibernate_after(text: &str) -> Result<Option<std::time::Duration>> {
    let text = text.trim();
    if matches!(text, "off" | "never" | "0") {
        return Ok(None);
    }
    let after = humantime::parse_duration(text).map_err(|e| {
        anyhow::anyhow!("hibernate-after {text:?} is not a duration like 30m or 2h, nor off ({e})")
    })?;
    if !(HIBERNATE_FLOOR..=HIBERNATE_CEILING).contains(&after) {
        bail!("hibernate-after {text:?} is not between 1s and 365 days (or off)");
    }
    Ok(Some(after))
}

/// Claude's permission modes, checked so a typo fails before Claude starts:
/// those of every supported version (2.1.2xx has `default`; newer ones
/// have `auto`, their default, and `manual`, which asks as `default` did).
/// Claude itself refuses one its version does not know.
const PERMISSION_MODES: &[&str] = &[
    "default",
    "auto",
    "manual",
    "acceptEdits",
    "plan",
    "bypassPermissions",
    "dontAsk",
];

impl Overrides {
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(FILE);
        match crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CONFIG) {
            Ok(bytes) => {
                Self::parse(&bytes).with_context(|| format!("{} is not valid", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// `overrides.json`'s bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Ok(serde_json::from_slice(bytes)?)
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("overrides serialize");
        bytes.push(b'\n');
        let path = dir.join(FILE);
        crate::util::fsutil::write_private_atomic(
            &path,
            &bytes,
            crate::util::fsutil::Durability::Synced,
        )
        .with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Claude's command-line flags for these overrides.
    pub fn args(&self) -> Vec<OsString> {
        let mut args = Vec::new();
        for (flag, value) in [
            ("--model", &self.model),
            ("--append-system-prompt", &self.append_system_prompt),
            ("--permission-mode", &self.permission_mode),
        ] {
            if let Some(value) = value {
                args.push(flag.into());
                args.push(value.into());
            }
        }
        args
    }

    /// `key=value` from `claude-session set`: model, append-system-prompt,
    /// permission-mode (empty value: unset), or `settings.<a.b.c>` with a
    /// JSON value (a bare word is a string; empty: remove the key).
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let Some((key, value)) = assignment.split_once('=') else {
            bail!(
                "{assignment:?} is not key=value (keys: model, append-system-prompt, permission-mode, hibernate-after, settings.<path>)"
            );
        };
        let text = (!value.is_empty()).then(|| value.to_string());
        match key {
            "model" => self.model = text,
            "hibernate-after" => {
                if let Some(value) = &text {
                    parse_hibernate_after(value)?;
                }
                self.hibernate_after = text;
            }
            "append-system-prompt" => self.append_system_prompt = text,
            "permission-mode" => {
                if let Some(mode) = &text
                    && !PERMISSION_MODES.contains(&mode.as_str())
                {
                    bail!(
                        "permission-mode {mode:?} is not one of {}",
                        PERMISSION_MODES.join(", ")
                    );
                }
                self.permission_mode = text;
            }
            _ => {
                let Some(path) = key.strip_prefix("settings.").filter(|p| !p.is_empty()) else {
                    bail!(
                        "unknown key {key:?} (keys: model, append-system-prompt, permission-mode, hibernate-after, settings.<path>)"
                    );
                };
                let parsed = match value {
                    "" => None,
                    v => Some(
                        serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string())),
                    ),
                };
                set_path(&mut self.settings, path, parsed);
            }
        }
        Ok(())
    }

    pub fn check(&self) -> Result<()> {
        if let Some(after) = &self.hibernate_after {
            parse_hibernate_after(after)?;
        }
        if let Some(mode) = &self.permission_mode
            && !PERMISSION_MODES.contains(&mode.as_str())
        {
            bail!(
                "permission mode {mode:?} is not one of {}",
                PERMISSION_MODES.join(", ")
            );
        }
        Ok(())
    }
}

fn set_path(map: &mut Map<String, Value>, path: &str, value: Option<Value>) {
    match path.split_once('.') {
        None => {
            match value {
                Some(v) => map.insert(path.to_string(), v),
                None => map.remove(path),
            };
        }
        Some((head, rest)) => {
            let slot = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            set_path(slot.as_object_mut().expect("an object"), rest, value);
        }
    }
}

/// Deep merge: objects merge key by key, the override wins; arrays and
/// scalars replace. Hooks are the exception: both sides' hooks for an event
/// are kept (the user's in the base and the session's own).
pub fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(Value::Object(b)), Value::Object(o)) if key == "hooks" => {
                for (event, list) in o {
                    match (b.get_mut(event), list) {
                        (Some(Value::Array(existing)), Value::Array(more)) => {
                            existing.extend(more.iter().cloned())
                        }
                        _ => {
                            b.insert(event.clone(), list.clone());
                        }
                    }
                }
            }
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn merge_rules() {
        let mut base = map(json!({
            "model": "sonnet", "env": {"A": "1", "B": "2"}, "permissions": {"allow": ["Read", "Bash(ls)"]},
            "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "mine"}]}]}
        }));
        merge(
            &mut base,
            &map(json!({
                "model": "opus", "env": {"B": "3"}, "permissions": {"allow": ["Edit"]},
                "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "session"}]}], "PreToolUse": []}
            })),
        );
        assert_eq!(base["model"], "opus");
        assert_eq!(base["env"], json!({"A": "1", "B": "3"}));
        assert_eq!(
            base["permissions"]["allow"],
            json!(["Edit"]),
            "arrays replace"
        );
        assert_eq!(
            base["hooks"]["Stop"].as_array().unwrap().len(),
            2,
            "hooks are both kept"
        );
        assert!(base["hooks"]["PreToolUse"].is_array());
    }

    #[test]
    fn set_keys() {
        let mut o = Overrides::default();
        o.set("model=opus").unwrap();
        o.set("settings.env.DEBUG=1").unwrap();
        o.set("settings.outputStyle=Explanatory").unwrap();
        o.set("permission-mode=plan").unwrap();
        assert_eq!(o.model.as_deref(), Some("opus"));
        assert_eq!(
            Value::Object(o.settings.clone()),
            json!({"env": {"DEBUG": 1}, "outputStyle": "Explanatory"})
        );
        assert_eq!(
            o.args(),
            vec![
                OsString::from("--model"),
                "opus".into(),
                "--permission-mode".into(),
                "plan".into()
            ]
        );
        o.set("model=").unwrap();
        o.set("settings.env.DEBUG=").unwrap();
        assert_eq!(o.model, None);
        assert_eq!(
            Value::Object(o.settings.clone()),
            json!({"env": {}, "outputStyle": "Explanatory"})
        );
        assert!(o.set("permission-mode=yolo").is_err());
        // Every supported version's modes: 2.1.2xx's `default`, newer `manual`.
        for mode in ["default", "auto", "manual"] {
            o.set(&format!("permission-mode={mode}")).unwrap();
        }
        assert!(o.set("colour=red").is_err());
        assert!(o.set("model").is_err());
    }
}
