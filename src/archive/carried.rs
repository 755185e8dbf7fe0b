//! What an archive carries besides the conversation that decides how Claude
//! runs: the session's `overrides.json` (a model, a permission mode such as
//! `bypassPermissions`, a system prompt, settings whose hooks and helpers
//! are commands) and `mcp-template.json` (commands started as MCP servers).
//! Archives pass between people and machines, so `import` applies these
//! only when told to (`--trust-settings`); otherwise it leaves them out and
//! says what they were.

use crate::claude::mcp;
use crate::claude::overrides::{self, Overrides};
use anyhow::{Context, Result, anyhow};
use serde_json::{Map, Value};
use std::io;
use std::path::Path;

/// One file of carried settings.
#[derive(Debug)]
pub enum Part<T> {
    Absent,
    Read(T),
    /// Unreadable or not valid; why, in one line.
    Invalid(String),
}

impl<T> Part<T> {
    pub fn read(&self) -> Option<&T> {
        match self {
            Part::Read(value) => Some(value),
            _ => None,
        }
    }
}

/// The settings in an unpacked session dir, as the archive has them.
#[derive(Debug)]
pub struct Carried {
    pub overrides: Part<Overrides>,
    /// The template's `mcpServers`.
    pub mcp_servers: Part<Map<String, Value>>,
}

impl Carried {
    pub fn read(dir: &Path) -> Self {
        let overrides = part(dir, overrides::FILE, |bytes| {
            let read = Overrides::parse(bytes)?;
            // A file of nothing (`{}`) carries nothing.
            Ok((!read.is_empty()).then_some(read))
        });
        let mcp_servers = part(dir, overrides::MCP_TEMPLATE, |bytes| {
            let servers = match mcp::parse_template(bytes)?.remove("mcpServers") {
                Some(Value::Object(servers)) => servers,
                _ => Map::new(),
            };
            Ok((!servers.is_empty()).then_some(servers))
        });
        Self {
            overrides,
            mcp_servers,
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(
            (&self.overrides, &self.mcp_servers),
            (Part::Absent, Part::Absent)
        )
    }

    /// Whether the settings can be applied as they are (`--trust-settings`):
    /// both files valid, a known permission mode, known placeholders.
    pub fn check(&self) -> Result<()> {
        let what = |file: &str| format!("the archive's {file}");
        match &self.overrides {
            Part::Invalid(why) => return Err(anyhow!("{}: {why}", what(overrides::FILE))),
            Part::Read(o) => o.check().with_context(|| what(overrides::FILE))?,
            Part::Absent => {}
        }
        match &self.mcp_servers {
            Part::Invalid(why) => Err(anyhow!("{}: {why}", what(overrides::MCP_TEMPLATE))),
            Part::Read(servers) => {
                let mut template = Map::new();
                template.insert("mcpServers".into(), Value::Object(servers.clone()));
                mcp::port_labels(&template)
                    .map(drop)
                    .with_context(|| what(overrides::MCP_TEMPLATE))
            }
            Part::Absent => Ok(()),
        }
    }

    /// Takes the settings out of the session dir `dir`, so they never apply.
    pub fn remove(dir: &Path) -> io::Result<()> {
        for file in [overrides::FILE, overrides::MCP_TEMPLATE] {
            match std::fs::remove_file(dir.join(file)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads `dir/file` and makes it a part; `parse` says None for a file that
/// holds nothing.
fn part<T>(dir: &Path, file: &str, parse: impl Fn(&[u8]) -> Result<Option<T>>) -> Part<T> {
    let bytes =
        match crate::util::fsutil::read_bounded(&dir.join(file), crate::util::fsutil::MAX_CONFIG) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Part::Absent,
            Err(e) => return Part::Invalid(format!("cannot read it: {e}")),
        };
    match parse(&bytes) {
        Ok(Some(value)) => Part::Read(value),
        Ok(None) => Part::Absent,
        Err(e) => Part::Invalid(format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn what_an_archive_carries_is_read_checked_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Carried::read(dir.path()).is_empty());
        fs::write(dir.path().join(overrides::FILE), "{}").unwrap();
        fs::write(
            dir.path().join(overrides::MCP_TEMPLATE),
            r#"{"mcpServers":{}}"#,
        )
        .unwrap();
        assert!(
            Carried::read(dir.path()).is_empty(),
            "empty files carry nothing"
        );

        fs::write(
            dir.path().join(overrides::FILE),
            r#"{"permissionMode":"bypassPermissions","appendSystemPrompt":"obey"}"#,
        )
        .unwrap();
        fs::write(
            dir.path().join(overrides::MCP_TEMPLATE),
            r#"{"mcpServers":{"x":{"command":"sh","args":["${PORT:a}"]}}}"#,
        )
        .unwrap();
        let carried = Carried::read(dir.path());
        assert_eq!(
            carried.overrides.read().unwrap().permission_mode.as_deref(),
            Some("bypassPermissions")
        );
        assert_eq!(carried.mcp_servers.read().unwrap()["x"]["command"], "sh");
        carried.check().unwrap();

        fs::write(
            dir.path().join(overrides::FILE),
            r#"{"permissionMode":"yolo"}"#,
        )
        .unwrap();
        fs::write(
            dir.path().join(overrides::MCP_TEMPLATE),
            r#"{"mcpServers":{"../x":{"command":"sh"}}}"#,
        )
        .unwrap();
        let carried = Carried::read(dir.path());
        let err = format!("{:#}", carried.check().unwrap_err());
        assert!(
            err.starts_with("the archive's overrides.json: permission mode \"yolo\""),
            "{err}"
        );
        match &carried.mcp_servers {
            Part::Invalid(why) => assert!(why.contains("\"../x\" is not allowed"), "{why}"),
            other => panic!("{other:?}"),
        }

        Carried::remove(dir.path()).unwrap();
        Carried::remove(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
