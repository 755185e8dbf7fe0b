//! Turning what the user typed (a name, a full id, a unique id prefix) into
//! one session.

use crate::store::registry::Registry;
use crate::store::session::Session;
use anyhow::{Result, bail};
use uuid::Uuid;

/// The shortest id prefix accepted, so a typo does not silently pick a session.
const MIN_PREFIX: usize = 4;

/// A full id always wins over a name (a name that reads as an id, from an
/// older claude-session or a hand-edited registry, cannot take its place);
/// then a name; then an id prefix.
pub fn resolve(registry: &Registry, reference: &str) -> Result<Session> {
    let id = Uuid::parse_str(reference).ok();
    if let Some(id) = id
        && let Some(session) = registry.get(id)?
    {
        return Ok(session);
    }
    if let Some(session) = registry.by_name(reference)? {
        return Ok(session);
    }
    if let Some(id) = id {
        bail!("no session has the id {id} (see `claude-session list`)");
    }
    let prefix = reference.to_ascii_lowercase();
    let looks_like_id =
        prefix.len() >= MIN_PREFIX && prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if looks_like_id {
        let mut found = registry.by_id_prefix(&prefix)?;
        match found.len() {
            0 => {}
            1 => return Ok(found.remove(0)),
            _ => {
                let names: Vec<String> = found
                    .iter()
                    .map(|s| format!("{} ({})", s.short_id(), s.session_name))
                    .collect();
                bail!(
                    "{reference:?} matches several sessions: {}; type more of the id",
                    names.join(", ")
                );
            }
        }
    }
    bail!(
        "no session is named {reference:?} or has an id starting with it (see `claude-session list`)"
    )
}

/// The most recently active session.
pub fn last(registry: &Registry) -> Result<Session> {
    match registry.most_recent()? {
        Some(session) => Ok(session),
        None => bail!("there are no sessions yet; start one with `claude-session new NAME`"),
    }
}
