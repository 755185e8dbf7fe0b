//! What claude-session knows of Claude Code: the files it reads and writes
//! in a config dir, and how a session dir is made ready for it.

pub mod binary;
pub mod claude_json;
pub mod credentials;
pub mod hooks;
pub mod live;
pub mod mcp;
pub mod outside;
pub mod overrides;
pub mod said;
pub mod share;
pub mod stats;
pub mod transcript;
