//! Per-session MCP servers: a template (the base's `session-mcp.json` and
//! the session's own `--mcp-config` files) rendered into the session dir at
//! every launch and passed to Claude with `--mcp-config`.
//!
//! Server names are checked where a template is read (`read_template`): a
//! name becomes a dir of the session, `mcp-state/<name>/`.
//!
//! Placeholders: `${CLAUDE_SESSION_DIR}`, `${CLAUDE_SESSION_ID}`,
//! `${CLAUDE_SESSION_NAME}`, `${MCP_STATE_DIR}` (`<session>/mcp-state/<server>/`,
//! made 0700) and `${PORT:<label>}` (a free TCP port for this session and
//! label, kept in `ports.json`, so it stays the same on resume, and never
//! handed to another session). `$${` is a literal `${`. Anything else in
//! `${...}` is an error naming it.

use anyhow::{Context, Result, bail};
use nix::fcntl::{Flock, FlockArg};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The default template in the base, read at every launch.
pub const BASE_TEMPLATE: &str = "session-mcp.json";
pub const RENDERED: &str = "mcp.json";
const PORTS: &str = "ports.json";

pub struct RenderContext<'a> {
    pub session_dir: &'a Path,
    pub session_id: String,
    pub session_name: &'a str,
}

/// Reads a template file (see `parse_template`).
pub fn read_template(path: &Path) -> Result<Map<String, Value>> {
    let bytes = crate::util::fsutil::read_bounded(path, crate::util::fsutil::MAX_CONFIG)
        .with_context(|| format!("cannot read the MCP config {}", path.display()))?;
    parse_template(&bytes).with_context(|| format!("the MCP config {}", path.display()))
}

/// A template: a JSON object with `mcpServers`, whose names are checked
/// (`check_server_name`).
pub fn parse_template(bytes: &[u8]) -> Result<Map<String, Value>> {
    let map = match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) if map.get("mcpServers").is_some_and(Value::is_object) => map,
        Ok(_) => bail!("it must be a JSON object with an \"mcpServers\" object"),
        Err(e) => bail!("it is not valid JSON: {e}"),
    };
    for name in map["mcpServers"]
        .as_object()
        .into_iter()
        .flat_map(Map::keys)
    {
        check_server_name(name)?;
    }
    Ok(map)
}

/// The longest MCP server name: Claude Code names tools
/// `mcp__<server>__<tool>`, and the API takes tool names up to 64 characters.
pub const MAX_SERVER_NAME: usize = 64;

/// An MCP server name is what `claude mcp add` accepts (letters, digits,
/// `-`, `_`), and short: it names the dir `mcp-state/<name>/`, so a `/` or
/// `..` would lead outside the session.
pub fn check_server_name(name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() || name.len() > MAX_SERVER_NAME || !name.chars().all(allowed) {
        bail!(
            "the MCP server name {name:?} is not allowed: a name is 1 to {MAX_SERVER_NAME} letters, digits, '-' or '_'"
        );
    }
    Ok(())
}

/// Merges templates: later servers of the same name win.
pub fn merge_templates(templates: &[Map<String, Value>]) -> Map<String, Value> {
    let mut servers = Map::new();
    for t in templates {
        if let Some(Value::Object(s)) = t.get("mcpServers") {
            servers.extend(s.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let mut out = Map::new();
    out.insert("mcpServers".into(), Value::Object(servers));
    out
}

/// Renders `template` for the session; allocates ports under `ports_lock`
/// against those recorded by every session in `sessions_dir`.
pub fn render(
    template: &Map<String, Value>,
    ctx: &RenderContext,
    sessions_dir: &Path,
    ports_lock: &Path,
) -> Result<Value> {
    let labels = port_labels(template)?;
    let servers = template
        .get("mcpServers")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let ports = if labels.is_empty() {
        BTreeMap::new()
    } else {
        allocate_ports(ctx.session_dir, sessions_dir, ports_lock, &labels)?
    };
    let mut rendered = Map::new();
    for (name, server) in servers {
        let state_dir =
            crate::util::fsutil::create_private_dirs_in(ctx.session_dir, &["mcp-state", &name])
                .with_context(|| format!("cannot make the state dir of the MCP server {name:?}"))?;
        let values = |p: &str| -> String {
            match p {
                "CLAUDE_SESSION_DIR" => ctx.session_dir.display().to_string(),
                "CLAUDE_SESSION_ID" => ctx.session_id.clone(),
                "CLAUDE_SESSION_NAME" => ctx.session_name.to_string(),
                "MCP_STATE_DIR" => state_dir.display().to_string(),
                _ => p
                    .strip_prefix("PORT:")
                    .and_then(|l| ports.get(l))
                    .map(u16::to_string)
                    .unwrap_or_default(),
            }
        };
        rendered.insert(name, map_strings(server, &|s| substitute(s, &values)));
    }
    let mut out = Map::new();
    out.insert("mcpServers".into(), Value::Object(rendered));
    Ok(Value::Object(out))
}

/// Checks the placeholders of a template; returns the port labels it asks for.
pub fn port_labels(template: &Map<String, Value>) -> Result<BTreeSet<String>> {
    let mut unknown = BTreeSet::new();
    let mut labels = BTreeSet::new();
    let servers = template
        .get("mcpServers")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, server) in &servers {
        visit_strings(server, &mut |s| {
            for p in placeholders(s) {
                match p.strip_prefix("PORT:") {
                    Some(label) if !label.is_empty() => {
                        labels.insert(label.to_string());
                    }
                    _ if KNOWN.contains(&p.as_str()) => {}
                    _ => {
                        unknown.insert(format!("${{{p}}} (server {name})"));
                    }
                }
            }
        });
    }
    if !unknown.is_empty() {
        bail!(
            "unknown placeholders in the MCP config: {}; known are ${{CLAUDE_SESSION_DIR}}, ${{CLAUDE_SESSION_ID}}, ${{CLAUDE_SESSION_NAME}}, ${{MCP_STATE_DIR}}, ${{PORT:<label>}} ($${{ for a literal ${{)",
            unknown.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(labels)
}

const KNOWN: &[&str] = &[
    "CLAUDE_SESSION_DIR",
    "CLAUDE_SESSION_ID",
    "CLAUDE_SESSION_NAME",
    "MCP_STATE_DIR",
];

/// The names inside `${...}` in `s`, skipping the escaped `$${`.
fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            rest = &rest[i + 2..];
            continue;
        }
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => {
                out.push(after.to_string());
                break;
            }
        }
    }
    out
}

fn substitute(s: &str, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            // `$${` -> a literal `${`
            out.push_str(&rest[..i - 1]);
            out.push_str("${");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}').unwrap_or(after.len());
        out.push_str(&value(&after[..end]));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn visit_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| visit_strings(x, f)),
        Value::Object(o) => o.values().for_each(|x| visit_strings(x, f)),
        _ => {}
    }
}

fn map_strings(v: Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| map_strings(x, f)).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, x)| (k, map_strings(x, f))).collect())
        }
        other => other,
    }
}

/// Ports for `labels`: the session's recorded ones if still free, else new
/// ones that no session has recorded. Serialised by a lock so two sessions
/// starting at once never pick the same port.
fn allocate_ports(
    session_dir: &Path,
    sessions_dir: &Path,
    lock: &Path,
    labels: &BTreeSet<String>,
) -> Result<BTreeMap<String, u16>> {
    let file = crate::util::fsutil::open_lock_file(lock)?;
    let _guard = Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .context("cannot lock the port book")?;
    let own_path = session_dir.join(PORTS);
    let mut own: BTreeMap<String, u16> = read_ports(&own_path);
    let mut taken = BTreeSet::new();
    for entry in std::fs::read_dir(sessions_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.path() != session_dir {
            taken.extend(read_ports(&entry.path().join(PORTS)).into_values());
        }
    }
    for label in labels {
        let keep = own
            .get(label)
            .is_some_and(|p| !taken.contains(p) && bindable(*p));
        if !keep {
            let port = free_port(&taken, &own)?;
            own.insert(label.clone(), port);
        }
    }
    let bytes = serde_json::to_vec_pretty(&own)?;
    crate::util::fsutil::write_private_atomic(
        &own_path,
        &bytes,
        crate::util::fsutil::Durability::Synced,
    )?;
    Ok(own)
}

fn read_ports(path: &Path) -> BTreeMap<String, u16> {
    crate::util::fsutil::read_bounded(path, crate::util::fsutil::MAX_CONFIG)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A port the kernel says is free now and no session has recorded.
fn free_port(taken: &BTreeSet<u16>, own: &BTreeMap<String, u16>) -> Result<u16> {
    for _ in 0..200 {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))?
            .local_addr()?
            .port();
        if !taken.contains(&port) && !own.values().any(|p| *p == port) {
            return Ok(port);
        }
    }
    bail!("no free TCP port found for the MCP servers after 200 tries")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_every_placeholder() {
        let tmp = tempfile::tempdir().unwrap();
        let sessions = tmp.path().join("sessions");
        let dir = sessions.join("s1");
        std::fs::create_dir_all(&dir).unwrap();
        let template = json!({"mcpServers": {"mem": {
            "command": "mem-server",
            "args": ["--state", "${MCP_STATE_DIR}", "--port", "${PORT:http}", "--literal", "$${HOME}"],
            "env": {"SID": "${CLAUDE_SESSION_ID}", "NAME": "${CLAUDE_SESSION_NAME}", "DIR": "${CLAUDE_SESSION_DIR}"}
        }}});
        let ctx = RenderContext {
            session_dir: &dir,
            session_id: "id-1".into(),
            session_name: "alpha",
        };
        let out = render(
            template.as_object().unwrap(),
            &ctx,
            &sessions,
            &tmp.path().join("lock"),
        )
        .unwrap();
        let server = &out["mcpServers"]["mem"];
        let state = dir.join("mcp-state/mem");
        assert_eq!(server["args"][1], state.to_str().unwrap());
        assert!(state.is_dir());
        let port: u16 = server["args"][3].as_str().unwrap().parse().unwrap();
        assert!(port > 0);
        assert_eq!(server["args"][5], "${HOME}");
        assert_eq!(
            server["env"],
            json!({"SID": "id-1", "NAME": "alpha", "DIR": dir.to_str().unwrap()})
        );
        // The same port again on the next launch.
        let again = render(
            template.as_object().unwrap(),
            &ctx,
            &sessions,
            &tmp.path().join("lock"),
        )
        .unwrap();
        assert_eq!(again["mcpServers"]["mem"]["args"][3], server["args"][3]);
    }

    #[test]
    fn server_names_cannot_lead_out_of_the_session() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        for name in [
            victim.to_str().unwrap(),
            "../../victim",
            "..",
            "a/b",
            "",
            "a b",
            "x\u{1b}]52;c;eA==\u{7}",
            &"x".repeat(65),
        ] {
            let file = tmp.path().join("t.json");
            std::fs::write(
                &file,
                json!({"mcpServers": {name: {"command": "x"}}}).to_string(),
            )
            .unwrap();
            let err = format!("{:#}", read_template(&file).unwrap_err());
            assert_eq!(
                err,
                format!(
                    "the MCP config {}: the MCP server name {name:?} is not allowed: a name is 1 to 64 letters, digits, '-' or '_'",
                    file.display()
                )
            );
        }
        for name in ["memory", "web-2", "A_b", &"x".repeat(64)] {
            check_server_name(name).unwrap();
        }

        // A state dir is never made through a link.
        let dir = tmp.path().join("s1");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("mcp-state")).unwrap();
        let ctx = RenderContext {
            session_dir: &dir,
            session_id: "x".into(),
            session_name: "a",
        };
        let template = json!({"mcpServers": {"mem": {"command": "x"}}});
        let err = render(
            template.as_object().unwrap(),
            &ctx,
            tmp.path(),
            &tmp.path().join("l"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("is not a dir"), "{err:#}");
        assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    }

    #[test]
    fn unknown_placeholders_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = RenderContext {
            session_dir: tmp.path(),
            session_id: "x".into(),
            session_name: "a",
        };
        let template = json!({"mcpServers": {"s": {"command": "${HOME}/bin/x", "args": ["${PORT:}", "${OOPS"]}}});
        let err = render(
            template.as_object().unwrap(),
            &ctx,
            tmp.path(),
            &tmp.path().join("l"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("${HOME} (server s)")
                && err.contains("${PORT:} (server s)")
                && err.contains("${OOPS}"),
            "{err}"
        );
    }
}
