#!/usr/bin/env bash
# bench/hosts.sh: time `list --all-hosts` over real OpenSSH, next to `ssh HOST true`.
#
# Usage:
#   bench/hosts.sh                       # from any directory
#   HOSTS=5 SESSIONS=300 bench/hosts.sh  # overrides (defaults below)
#
# Environment:
#   HOSTS=3          sshd servers on 127.0.0.1, each a "host" with its own HOME and store
#   SESSIONS=100     sessions made in each host's store (`new --no-launch`)
#   RUNS=20          timed runs of each figure (median and p90 reported; 1 warm-up first
#                    for the "kept connection" figures)
#   BENCH_NO_INSTALL=1  never run apt-get (by default, as root, a missing sshd is installed
#                    with `apt-get install -y openssh-server`)
#
# What it measures (wall time, ms):
#   1. `ssh HOST true`, a new connection each time: the floor of any first call
#   2. `ssh HOST true` over a kept connection (ControlMaster): the floor of later calls
#   3. `list --all-hosts`, every connection new (the kept ones closed before each run)
#   4. `list --all-hosts` over kept connections (what every call after the first costs)
#   5. `list --json` of one host run on it directly, no ssh: what each host does per call
#
# Each server runs as the current user with its own host key, takes a key made for the run,
# and gives its commands the host's HOME, store and PATH (sshd_config SetEnv); the client
# reads only the run's ssh config (known hosts, key), so ~/.ssh is untouched. Everything
# lives in one temp dir, removed on exit with the servers.
set -euo pipefail

HOSTS="${HOSTS:-3}"
SESSIONS="${SESSIONS:-100}"
RUNS="${RUNS:-20}"
BENCH_NO_INSTALL="${BENCH_NO_INSTALL:-}"
export LC_ALL=C

for v in HOSTS SESSIONS RUNS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/hosts.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/hosts.sh: $*"; exit 1; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SSHD=/usr/sbin/sshd

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cs-hosts.XXXXXX")"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        # The server and the connection processes under it (each in a session of its own).
        for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
        kill "$pid" 2>/dev/null || true
    done
    rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ! -x "$SSHD" ]]; then
    [[ -z "$BENCH_NO_INSTALL" && "$(id -u)" == 0 ]] || die "$SSHD is missing (apt-get install openssh-server)"
    say "installing openssh-server with apt-get..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
fi
[[ "$(id -u)" != 0 ]] || mkdir -p /run/sshd

say "building release binary..."
cargo build --release --quiet || die "cargo build --release failed"
BIN="$REPO/target/release/claude-session"

USER_NAME="$(id -un)"
SSHDIR="$TMP/ssh"
mkdir -p -m 700 "$SSHDIR" "$TMP/bin" "$TMP/run" "$TMP/home"
ssh-keygen -q -t ed25519 -N '' -f "$SSHDIR/client_key"
ln -s "$BIN" "$TMP/bin/claude-session"
: >"$SSHDIR/known_hosts"
: >"$SSHDIR/config"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for i in $(seq 1 "$HOSTS"); do
    h="$TMP/host$i"
    mkdir -p "$h/home" "$h/run"
    ssh-keygen -q -t ed25519 -N '' -f "$h/host_key"
    cp "$SSHDIR/client_key.pub" "$h/authorized_keys"
    port="$(free_port)"
    cat >"$h/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $h/host_key
AuthorizedKeysFile $h/authorized_keys
PidFile none
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
SetEnv HOME=$h/home PATH=$TMP/bin:/usr/bin:/bin XDG_RUNTIME_DIR=$h/run
EOF
    "$SSHD" -D -e -f "$h/sshd_config" 2>"$h/sshd.log" &
    PIDS+=("$!")
    echo "[127.0.0.1]:$port $(cat "$h/host_key.pub")" >>"$SSHDIR/known_hosts"
    printf 'Host host%s\n  HostName 127.0.0.1\n  Port %s\n  User %s\n' "$i" "$port" "$USER_NAME" >>"$SSHDIR/config"
    say "host$i: $SESSIONS sessions, sshd on port $port"
    for n in $(seq 1 "$SESSIONS"); do
        HOME="$h/home" "$BIN" new "s$n" --no-launch --cwd "$h/home" >/dev/null
    done
done
cat >>"$SSHDIR/config" <<EOF
Host *
  IdentityFile $SSHDIR/client_key
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $SSHDIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
EOF
# Every ssh of this run, claude-session's too, reads only this config.
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$SSHDIR/config" >"$TMP/bin/ssh"
chmod +x "$TMP/bin/ssh"
export PATH="$TMP/bin:$PATH" HOME="$TMP/home" XDG_RUNTIME_DIR="$TMP/run"
unset XDG_CONFIG_HOME CLAUDE_SESSION_HOME XDG_DATA_HOME || true

for i in $(seq 1 "$HOSTS"); do
    for _ in $(seq 1 100); do ssh -o BatchMode=yes "host$i" true 2>/dev/null && break; sleep 0.05; done
    claude-session host add "h$i" "host$i" >&2
done

CONTROL="$XDG_RUNTIME_DIR/claude-session-ssh"
close_all() { # the kept connections, so the next call makes new ones
    for i in $(seq 1 "$HOSTS"); do
        ssh -o ControlPath="$CONTROL/%C" -O exit "host$i" 2>/dev/null || true
    done
    while compgen -G "$CONTROL/*" >/dev/null; do sleep 0.01; done
}

# time_runs OUT BEFORE CMD...: RUNS timed runs of CMD (BEFORE, untimed, ahead of each); ms a line.
time_runs() {
    local out="$1" before="$2"
    shift 2
    : >"$out"
    for _ in $(seq 1 "$RUNS"); do
        $before
        local t0="${EPOCHREALTIME/./}"
        "$@" >/dev/null
        local t1="${EPOCHREALTIME/./}"
        echo "$(((t1 - t0) / 10))" | awk '{ printf "%.2f\n", $1 / 100 }' >>"$out"
    done
}
nothing() { :; }
# stats FILE: "median p90" of the ms values in FILE.
stats() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)] }'
}

say "timing ($RUNS runs each)..."
close_all
time_runs "$TMP/ssh_new" nothing ssh -o ControlPath=none host1 true
ssh -o ControlMaster=yes -o ControlPath="$TMP/run/floor-%C" -o ControlPersist=60 -fN host1
time_runs "$TMP/ssh_kept" nothing ssh -o ControlPath="$TMP/run/floor-%C" host1 true
ssh -o ControlPath="$TMP/run/floor-%C" -O exit host1 2>/dev/null
time_runs "$TMP/list_new" close_all claude-session list --all-hosts
claude-session list --all-hosts >/dev/null
time_runs "$TMP/list_kept" nothing claude-session list --all-hosts
time_runs "$TMP/list_local" nothing env HOME="$TMP/host1/home" claude-session list --json
rows="$(claude-session list --all-hosts | tail -n +2 | wc -l)"
[[ "$rows" == "$((HOSTS * SESSIONS))" ]] || die "list --all-hosts showed $rows sessions, not $((HOSTS * SESSIONS))"

printf '%s, %s hosts of %s sessions each on 127.0.0.1, %s runs (ms)\n' \
    "$(ssh -V 2>&1)" "$HOSTS" "$SESSIONS" "$RUNS"
printf '%-52s %8s %8s\n' "" median p90
printf '%-52s %8s %8s\n' "ssh HOST true, new connection" $(stats "$TMP/ssh_new")
printf '%-52s %8s %8s\n' "ssh HOST true, kept connection" $(stats "$TMP/ssh_kept")
printf '%-52s %8s %8s\n' "list --all-hosts, new connections (first call)" $(stats "$TMP/list_new")
printf '%-52s %8s %8s\n' "list --all-hosts, kept connections (later calls)" $(stats "$TMP/list_kept")
printf '%-52s %8s %8s\n' "list --json of one host, on the host (no ssh)" $(stats "$TMP/list_local")
