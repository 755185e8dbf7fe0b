//! Talking to a holder: the wire protocol and where its socket is.

pub mod endpoint;
pub mod protocol;
pub mod stale;
