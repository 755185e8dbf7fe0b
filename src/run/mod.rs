//! Running Claude in a session: preparing the dir, deciding the command,
//! the session lock, recording a run's start and end, liveness.

pub mod launch;
pub mod liveness;
pub mod runner;
