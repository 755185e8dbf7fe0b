//! Integration tests: one binary (faster to build) driving the real
//! claude-session executable. `e2e` runs the real Claude Code CLI against a
//! mock of the Messages API when CLAUDE_SESSION_E2E_CLAUDE names it.

mod archive;
mod bench_hibernate;
mod cleanup;
mod concurrency;
mod crash;
mod create;
mod credentials;
mod dashboard;
mod doctor;
mod e2e;
mod e2e_dashboard;
mod e2e_hibernate;
mod e2e_login;
mod e2e_mcp;
mod e2e_search;
mod e2e_worktree;
mod hibernate;
mod holder;
mod holder_start;
mod hostile_input;
mod hosts;
mod import_trust;
mod launch;
mod lifecycle;
mod man;
mod migrate;
mod overrides;
mod peek;
mod picker;
mod removal;
mod search;
mod shell;
mod shell_complete;
mod status;
mod store_repair;
mod support;
mod terminal;
mod usage;
mod worktree;
