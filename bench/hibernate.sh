#!/usr/bin/env bash
# bench/hibernate.sh: what hibernation gives back and what a wake costs, with
# the real Claude Code CLI (installed on demand, see scripts/claude-code.sh)
# against the tests' mock of the Messages API on 127.0.0.1.
#
# Usage:
#   bench/hibernate.sh                           # from any directory
#   BENCH_SESSIONS=5 BENCH_WAKES=3 bench/hibernate.sh
#
# Environment (defaults in brackets):
#   BENCH_SESSIONS [20]   idle sessions started (1-200)
#   BENCH_WAKES [5]       sessions woken by an attach, one after another
#   CLAUDE_CODE [newest]  the Claude Code version: newest, oldest or a number
#
# What it measures (tests/cli/bench_hibernate.rs does the work, in a temp HOME):
#   memory   PSS (/proc/PID/smaps_rollup) of each session's holder and every
#            process under it (Claude, its node children, MCP servers), summed, with
#            all sessions idle at their prompt, then after `hibernate --idle`.
#   wake     from `attach` until the kept screen shows, and until the woken Claude
#            takes keys (text typed at once shows on its prompt); next to a cold
#            `new --detached` until its prompt shows, as the floor.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
claude="$(scripts/claude-code.sh "${CLAUDE_CODE:-newest}")"
echo "bench/hibernate.sh: building, then $((${BENCH_SESSIONS:-20})) sessions of $("$claude" --version)" >&2
CLAUDE_SESSION_E2E_CLAUDE="$claude" cargo test --release --locked --test cli bench_hibernate \
  -- --ignored --nocapture --test-threads 1 2>&1 | sed -n 's/^BENCH //p' | column -t -s '|'
