//! The store: where sessions live on disk, the session model, the registry
//! that indexes them, and the safe ways to make, find and delete them.

pub mod create;
pub mod journal;
pub mod layout;
pub mod leftovers;
pub mod metadata;
pub mod rebuild;
pub mod registry;
pub mod removal;
pub mod resolve;
pub mod session;

use anyhow::{Context, Result};
use layout::Layout;
use registry::Registry;

/// The store, opened: its layout and registry. A registry that had to be
/// created while session dirs exist (it was deleted) is rebuilt from them.
pub struct Store {
    pub layout: Layout,
    pub registry: Registry,
}

impl Store {
    pub fn open(layout: Layout) -> Result<Self> {
        layout.ensure_store()?;
        let path = layout.registry_path();
        let mut registry = Registry::open(&path).map_err(|e| match e {
            registry::RegistryError::TooNew { .. } => anyhow::Error::new(e),
            e => anyhow::Error::new(e).context(
                "the registry cannot be opened; `claude-session rebuild` makes a new one from the session dirs",
            ),
        })?;
        if registry.was_created() {
            let rebuilt = rebuild::register_missing(&mut registry, &layout)
                .context("cannot rebuild the registry from the session dirs")?;
            if rebuilt.count > 0 {
                crate::util::output::say(&format!(
                    "the registry was missing; rebuilt it from {} session dirs",
                    rebuilt.count
                ));
            }
        }
        Ok(Self { layout, registry })
    }
}
