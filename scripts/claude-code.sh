#!/usr/bin/env bash
# The Claude Code CLI the end-to-end tests and benchmarks run: installed once
# (npm, into a cache dir, not globally), its path printed.
#
#   scripts/claude-code.sh newest     # the newest release supported (pinned here)
#   scripts/claude-code.sh oldest     # the oldest one still supported
#   scripts/claude-code.sh 2.1.250    # any version
set -euo pipefail

# The supported range (README, "Claude Code versions"): bump NEWEST when
# working here; raise OLDEST only with a note in the README.
NEWEST=2.1.332
OLDEST=2.1.197

case "${1:-}" in
  newest) version=$NEWEST ;;
  oldest) version=$OLDEST ;;
  [0-9]*) version=$1 ;;
  *) echo "usage: scripts/claude-code.sh newest|oldest|VERSION" >&2; exit 2 ;;
esac
prefix="${XDG_CACHE_HOME:-$HOME/.cache}/claude-session-tests/claude-code-$version"
claude="$prefix/node_modules/.bin/claude"
if ! "$claude" --version >/dev/null 2>&1; then
  echo "claude-code.sh: installing @anthropic-ai/claude-code@$version into $prefix" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$version" >&2
fi
echo "$claude"
