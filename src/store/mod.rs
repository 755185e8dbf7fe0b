//! The store: where sessions live on disk, the session model, the registry
//! that indexes them, and the safe ways to make, find and delete them.

pub mod journal;
pub mod layout;
pub mod metadata;
pub mod rebuild;
pub mod registry;
pub mod removal;
pub mod resolve;
pub mod session;
