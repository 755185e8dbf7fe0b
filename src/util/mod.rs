//! Small helpers with no knowledge of sessions: private files, timestamps,
//! writing to stdout.

pub mod fsutil;
pub mod output;
pub mod parallel;
pub mod process;
pub mod socket;
pub mod timestamp;
pub mod user;
