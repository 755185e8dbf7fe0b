#!/usr/bin/env bash
# Runs every test: the hermetic suite (a fake `claude`) and the end-to-end
# suite (the real Claude Code CLI, pinned below, against a local mock of the
# Anthropic API on 127.0.0.1). Installs bash, zsh and fish for the shell
# tests, and what the end-to-end suite needs:
# tmux (Debian) and Claude Code (npm, into a cache dir, not globally).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh e2e::           # extra arguments go to `cargo test`
#   CLAUDE_SESSION_SKIP_E2E=1 scripts/test.sh   # hermetic tests only
set -euo pipefail
cd "$(dirname "$0")/.."

CLAUDE_CODE_VERSION=2.1.197 # the version CLAUDE-CODE-FACTS.md was measured with

# bash, zsh and fish (Debian) run the generated shell-init and completion
# code in the hermetic suite (tests/cli/shell*.rs); with them installed a
# missing shell is a failure, not a skip.
shells=""
for sh in bash zsh fish; do command -v "$sh" >/dev/null 2>&1 || shells="$shells $sh"; done
if [ -n "$shells" ]; then
  echo "test.sh: installing$shells" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $shells >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq $shells >/dev/null; fi
fi
export CLAUDE_SESSION_REQUIRE_SHELLS=1

if [ -z "${CLAUDE_SESSION_SKIP_E2E:-}" ]; then
  if ! command -v tmux >/dev/null 2>&1; then
    echo "test.sh: installing tmux" >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq tmux >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq tmux >/dev/null; fi
  fi
  prefix="${XDG_CACHE_HOME:-$HOME/.cache}/claude-session-tests/claude-code-$CLAUDE_CODE_VERSION"
  claude="$prefix/node_modules/.bin/claude"
  if ! "$claude" --version >/dev/null 2>&1; then
    echo "test.sh: installing @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
      "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" >&2
  fi
  export CLAUDE_SESSION_E2E_CLAUDE="$claude"
  export CLAUDE_SESSION_REQUIRE_E2E=1
fi

cargo test --locked -- "$@"
