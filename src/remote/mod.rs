//! Sessions on other hosts, over OpenSSH: claude-session runs on each host
//! and is asked through `ssh`, with no server and no protocol of our own.
//! The hosts (`config`), running ssh on a kept connection with time limits
//! (`ssh`), words for the host's shell (`quote`), asking every host at once
//! (`fleet`), and a command run on a host with this terminal (`forward`).
//!
//! Only commands go to a host, and only their output comes back: nothing of
//! one host's store is copied to another.

pub mod config;
pub mod fleet;
pub mod forward;
pub mod quote;
pub mod ssh;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What a host's `claude-session __remote` speaks. Bumped only for a change
/// an older peer cannot ignore (a field removed or changed in meaning);
/// new fields are `#[serde(default)]`. Each side refuses another number in
/// one line.
pub const PROTOCOL: u32 = 1;

/// A word sent with every check, that the host's claude-session sends back:
/// if it comes back changed, the account's login shell does not read
/// quoted words as a POSIX shell does, and no argument could be trusted to
/// arrive as sent.
pub const PROBE: &str = "it's \"$HOME\" `id` \\ \n ~ *";

/// What `claude-session __remote` prints: who answers, and with `--list`
/// the host's sessions as `list --json` gives them.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello<S = serde_json::Value> {
    pub protocol: u32,
    /// claude-session's version on the host.
    pub version: String,
    /// `--echo`'s word, as it arrived.
    #[serde(default)]
    pub echo: String,
    /// The host's home, for `~` in its paths (with `--list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<PathBuf>,
    /// With `--list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<S>>,
}
