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

# The Claude Code CLI of a version, installed once into a cache (the
# supported range is pinned there); prints its path.
claude_code() { scripts/claude-code.sh "$1"; }

if [ -n "${CLAUDE_SESSION_SKIP_E2E:-}" ]; then
  cargo test --locked -- "$@"
  exit
fi
command -v tmux >/dev/null 2>&1 || install_debian tmux
# Claude Code is installed with npm (Debian's Node.js is recent enough).
command -v npm >/dev/null 2>&1 || install_debian nodejs npm
export CLAUDE_SESSION_REQUIRE_E2E=1
if [ -n "${CLAUDE_CODE_VERSION:-}" ]; then
  CLAUDE_SESSION_E2E_CLAUDE="$(claude_code "$CLAUDE_CODE_VERSION")" cargo test --locked -- "$@"
  exit
fi
newest="$(claude_code newest)"
oldest="$(claude_code oldest)"
echo "test.sh: every test, the end-to-end ones with Claude Code $("$newest" --version)" >&2
CLAUDE_SESSION_E2E_CLAUDE="$newest" cargo test --locked -- "$@"
echo "test.sh: the end-to-end tests again with Claude Code $("$oldest" --version)" >&2
CLAUDE_SESSION_E2E_CLAUDE="$oldest" cargo test --locked --test cli -- e2e "$@"
