//! Running Claude in a session: preparing the dir, deciding the command,
//! the session lock, recording a run's start and end, liveness, and
//! running Claude in the foreground of this terminal.

pub mod foreground;
pub mod liveness;
pub mod lock;
pub mod plan;
pub mod prepare;
pub mod record;
pub mod signals;
