//! `metadata.json` in each session dir: the seed's fields, kept in step
//! with the registry so that the registry can be rebuilt from the dirs.

use crate::store::layout::Layout;
use crate::store::session::Session;
use anyhow::{Context, Result};
use std::path::Path;

pub const FILE: &str = "metadata.json";

pub fn write(layout: &Layout, session: &Session) -> Result<()> {
    let path = layout.session_dir(session.session_id).join(FILE);
    crate::util::fsutil::write_json(&path, session, crate::util::fsutil::Durability::Synced)
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn read(dir: &Path) -> Result<Session> {
    let path = dir.join(FILE);
    let bytes = crate::util::fsutil::read_bounded(&path, crate::util::fsutil::MAX_CONFIG)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not valid session metadata", path.display()))
}
