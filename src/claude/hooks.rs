//! Live status from Claude Code's own hooks. Every session's generated
//! settings.json gets command hooks that run `claude-session hook`; the
//! hook reads the event (JSON on stdin) and updates the registry. No screen
//! scraping: the states follow Claude's events, whatever its UI looks like.

use crate::store::registry::HookUpdate;
use crate::util::timestamp::Timestamp;
use serde_json::{Map, Value, json};

/// The events claude-session listens to.
pub const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PermissionRequest",
    "Notification",
    "Stop",
    "SessionEnd",
];

/// The command Claude runs for each event: this executable, quoted for the
/// shell Claude runs hooks with.
pub fn command() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "claude-session".into());
    format!("'{}' hook", exe.replace('\'', "'\\''"))
}

/// Adds our hook to every event in `settings`, after the user's own hooks
/// (which are kept as they are).
pub fn install(settings: &mut Map<String, Value>, command: &str) {
    let hooks = settings.entry("hooks").or_insert_with(|| json!({}));
    if !hooks.is_object() {
        // Not something Claude could use either; ours replace it.
        *hooks = json!({});
    }
    let hooks = hooks.as_object_mut().expect("made an object above");
    for event in EVENTS {
        let list = hooks.entry(*event).or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        let mut entry = json!({"hooks": [{"type": "command", "command": command}]});
        // Tool events select tools by matcher; "*" is every tool.
        if matches!(*event, "PreToolUse" | "PostToolUse" | "PermissionRequest") {
            entry["matcher"] = json!("*");
        }
        list.as_array_mut()
            .expect("made an array above")
            .push(entry);
    }
}

/// What one event means for the session. Only a prompt, a reply and a
/// tool call are activity: Claude's idle reminder (a Notification about a
/// minute after a turn), a permission prompt, a start or an end are not.
pub fn interpret(event: &Value, at: Timestamp) -> HookUpdate {
    let name = event["hook_event_name"].as_str().unwrap_or("");
    let activity = matches!(
        name,
        "UserPromptSubmit" | "PreToolUse" | "PostToolUse" | "Stop"
    );
    let mut update = HookUpdate {
        state: None,
        detail: None,
        conversation_id: event["session_id"].as_str().map(str::to_string),
        messages: 0,
        tool_calls: 0,
        activity: activity.then_some(at),
        at,
    };
    match name {
        "SessionStart" | "SessionEnd" => update.state = Some("idle"),
        "UserPromptSubmit" => {
            update.state = Some("working");
            update.messages = 1;
        }
        "PreToolUse" => {
            update.state = Some("working");
            update.tool_calls = 1;
        }
        "PostToolUse" => update.state = Some("working"),
        "PermissionRequest" => {
            update.state = Some("waiting");
            update.detail = event["tool_name"]
                .as_str()
                .map(|tool| format!("permission for {}", short(tool)));
        }
        "Notification" => {
            update.state = match event["notification_type"].as_str() {
                Some("idle_prompt") => Some("idle"),
                // News of something done (a login, a dialog answered, a
                // background agent's end in Claude's agent view): nothing
                // asked of the user here.
                Some("auth_success" | "elicitation_complete" | "agent_completed") => None,
                // A permission prompt, a question (`elicitation_dialog`,
                // `agent_needs_input`), or a kind not known yet: the user
                // is needed, and a false "waiting" costs less than a
                // missed one.
                Some(kind) => {
                    update.detail = match kind {
                        // The permission request said which tool.
                        "permission_prompt" => None,
                        "elicitation_dialog" => Some("a question".to_string()),
                        _ => event["message"].as_str().map(short),
                    };
                    Some("waiting")
                }
                None => None,
            }
        }
        "Stop" => {
            update.state = Some("idle");
            update.messages = 1;
        }
        _ => {}
    }
    update
}

/// A detail short enough for a table's cell: one line, at most 60 characters.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_hooks_are_kept_and_ours_added_to_every_event() {
        let mut settings: Map<String, Value> = serde_json::from_str(
            r#"{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"notify-send done"}]}]},"model":"opus"}"#,
        )
        .unwrap();
        install(&mut settings, "'/bin/cs' hook");
        let stop = settings["hooks"]["Stop"].as_array().unwrap();
        assert_eq!(stop.len(), 2);
        assert_eq!(stop[0]["hooks"][0]["command"], "notify-send done");
        assert_eq!(stop[1]["hooks"][0]["command"], "'/bin/cs' hook");
        for event in EVENTS {
            assert!(
                settings["hooks"][event]
                    .as_array()
                    .is_some_and(|a| !a.is_empty()),
                "{event}"
            );
        }
        assert_eq!(settings["model"], "opus");
    }

    #[test]
    fn events_map_to_states() {
        let at = Timestamp::from_millis(1);
        let state = |event: Value| interpret(&event, at).state;
        let notification = |kind: &str| {
            state(json!({"hook_event_name": "Notification", "notification_type": kind}))
        };
        assert_eq!(notification("agent_needs_input"), Some("waiting"));
        assert_eq!(notification("elicitation_dialog"), Some("waiting"));
        assert_eq!(notification("agent_completed"), None);
        assert_eq!(notification("auth_success"), None);
        assert_eq!(
            state(json!({"hook_event_name": "UserPromptSubmit"})),
            Some("working")
        );
        assert_eq!(
            state(json!({"hook_event_name": "PreToolUse"})),
            Some("working")
        );
        assert_eq!(
            state(json!({"hook_event_name": "PermissionRequest"})),
            Some("waiting")
        );
        assert_eq!(
            state(
                json!({"hook_event_name": "Notification", "notification_type": "permission_prompt"})
            ),
            Some("waiting")
        );
        assert_eq!(
            state(json!({"hook_event_name": "Notification", "notification_type": "idle_prompt"})),
            Some("idle")
        );
        assert_eq!(state(json!({"hook_event_name": "Stop"})), Some("idle"));
        assert_eq!(state(json!({"hook_event_name": "SomethingNew"})), None);
        let activity = |event: Value| interpret(&event, at).activity;
        for name in ["UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"] {
            assert_eq!(
                activity(json!({"hook_event_name": name})),
                Some(at),
                "{name}"
            );
        }
        for event in [
            json!({"hook_event_name": "Notification", "notification_type": "idle_prompt"}),
            json!({"hook_event_name": "Notification", "notification_type": "permission_prompt"}),
            json!({"hook_event_name": "PermissionRequest"}),
            json!({"hook_event_name": "SessionStart", "source": "resume"}),
            json!({"hook_event_name": "SessionEnd"}),
        ] {
            assert_eq!(activity(event.clone()), None, "{event}");
        }
        let tool = interpret(
            &json!({"hook_event_name": "PreToolUse", "session_id": "c1"}),
            at,
        );
        assert_eq!(
            (
                tool.tool_calls,
                tool.messages,
                tool.conversation_id.as_deref()
            ),
            (1, 0, Some("c1"))
        );
    }
}
