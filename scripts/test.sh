#!/usr/bin/env bash
# Runs every test: the hermetic suite (a fake `claude`) and the end-to-end
# suite (the real Claude Code CLI against a local mock of the Anthropic API
# on 127.0.0.1), the latter against the newest Claude Code release pinned
# here and again against the oldest one still supported. Installs bash, zsh
# and fish for the shell tests, OpenSSH's server for the host tests, and
# what the end-to-end suite needs: tmux (Debian) and Claude Code (npm, into
# a cache dir, not globally).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh e2e::           # extra arguments go to `cargo test`
#   CLAUDE_CODE_VERSION=2.1.250 scripts/test.sh   # one Claude Code version only
#   CLAUDE_SESSION_SKIP_E2E=1 scripts/test.sh     # hermetic tests only
set -euo pipefail
cd "$(dirname "$0")/.."

# The supported range (README, "Claude Code versions"): bump NEWEST when
# working here; raise OLDEST only with a note in the README.
NEWEST=2.1.332
OLDEST=2.1.197

install_debian() { # PACKAGES...
  echo "test.sh: installing $*" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null; fi
}

# bash, zsh and fish run the generated shell-init and completion code in
# the hermetic suite (tests/cli/shell*.rs); with them installed a missing
# shell is a failure, not a skip.
missing=""
for sh in bash zsh fish; do command -v "$sh" >/dev/null 2>&1 || missing="$missing $sh"; done
[ -z "$missing" ] || install_debian $missing
export CLAUDE_SESSION_REQUIRE_SHELLS=1

# The host tests (tests/cli/hosts.rs) run real sshd servers on 127.0.0.1;
# with it installed its absence is a failure, not a skip.
[ -x /usr/sbin/sshd ] || install_debian openssh-server
export CLAUDE_SESSION_REQUIRE_SSHD=1

# The Claude Code CLI of VERSION, installed once into the cache; prints its path.
claude_code() {
  local prefix="${XDG_CACHE_HOME:-$HOME/.cache}/claude-session-tests/claude-code-$1"
  local claude="$prefix/node_modules/.bin/claude"
  if ! "$claude" --version >/dev/null 2>&1; then
    echo "test.sh: installing @anthropic-ai/claude-code@$1 into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
      "@anthropic-ai/claude-code@$1" >&2
  fi
  echo "$claude"
}

if [ -n "${CLAUDE_SESSION_SKIP_E2E:-}" ]; then
  cargo test --locked -- "$@"
  exit
fi
command -v tmux >/dev/null 2>&1 || install_debian tmux
export CLAUDE_SESSION_REQUIRE_E2E=1
if [ -n "${CLAUDE_CODE_VERSION:-}" ]; then
  CLAUDE_SESSION_E2E_CLAUDE="$(claude_code "$CLAUDE_CODE_VERSION")" cargo test --locked -- "$@"
  exit
fi
echo "test.sh: every test, the end-to-end ones with Claude Code $NEWEST" >&2
CLAUDE_SESSION_E2E_CLAUDE="$(claude_code "$NEWEST")" cargo test --locked -- "$@"
echo "test.sh: the end-to-end tests again with Claude Code $OLDEST" >&2
CLAUDE_SESSION_E2E_CLAUDE="$(claude_code "$OLDEST")" cargo test --locked --test cli -- e2e "$@"
