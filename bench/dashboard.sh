#!/usr/bin/env bash
# bench/dashboard.sh: the dashboard (`claude-session ui`) over a fleet of sessions, and `list`
# against the original script's claude-session-list, in one run. Figures, not pass/fail.
#
# Usage:
#   bench/dashboard.sh                                   # from any directory (~4 minutes)
#   CPU_SECONDS=20 LIST_SESSIONS=2000 bench/dashboard.sh # a quicker, smaller run
#
# Environment (defaults in brackets):
#   SESSIONS [1000]        sessions in the dashboard's store
#   LIVE [100]             of them, live detached holders of a fake agent
#   EVERY [3]              seconds between an agent's lines while agents print
#   CPU_SECONDS [60]       each CPU window (nothing changes; agents printing)
#   KEYS [60]              Down keys sent at each terminal size, 0.1 s apart
#   CHANGES [20]           registry commits (pin, unpin) while reads of changes are timed
#   LIST_SESSIONS [10000]  sessions in the store `list` and claude-session-list read
#   LIST_RUNS [10]         timed runs of each (the median is reported; 1 warm-up first)
#   BENCH_DIR [/tmp]       where the temp dir is made (holder socket paths must fit)
#   BENCH_NO_INSTALL=1     never run apt-get (by default, as root, a missing tmux, git or
#                          procps (watch) is installed from Debian)
#
# What it measures, and how (also printed under the table):
#   dashboard  SESSIONS sessions: LIVE started by `new --detached` with a fake agent as
#              --claude (a shell script that prints a line every EVERY s while a flag file
#              exists), the rest made from templates and indexed by `rebuild` (see
#              dashboard_probe.py clone), stopped, crashed or never started, some with a
#              conversation. `ui` runs in tmux at 120x40 with CLAUDE_SESSION_UI_TIMINGS,
#              which notes each frame drawn ("draw") and each read of changes that changed
#              something ("tick"), in microseconds. Windows, in order:
#                1. nothing changes, CPU_SECONDS: the agents silent; CPU (utime+stime, from
#                   /proc/PID/stat) of `ui`, and over the same seconds of `list --watch` and
#                   of `watch -n1 claude-session list` (the two ways to watch the fleet
#                   without the dashboard) at the same size; the registry's files' mtime and
#                   size before and after say whether anything committed.
#                2. agents printing, CPU_SECONDS: the same three, the same check (does a
#                   printing agent make its holder write the registry?).
#                3. CHANGES commits (`pin`, `unpin` of a stopped session, 0.5 s apart): the
#                   "tick"s that read them (every session again, reconciled, made rows).
#                4. KEYS Down keys at 120x40, then at 80x24 (tmux resize-window): the frames
#                   drawn after them.
#   list       LIST_SESSIONS sessions (templates + rebuild, as above, in a store of their
#              own); the original script's layout for the same sessions (its JSON registry
#              and a dir each; bench/peers/claude-session-list, the seed's script as it is);
#              both run in turns, output to /dev/null, LIST_RUNS times after a warm-up.
#
# It builds the release binary (and runs a copy of it), runs everything under one temp dir with
# a throwaway HOME, store, base and XDG_RUNTIME_DIR, and on exit stops every session, holder
# and tmux server it started and removes the temp dir. The table goes to stdout, progress to
# stderr.
set -euo pipefail

SESSIONS="${SESSIONS:-1000}"
LIVE="${LIVE:-100}"
EVERY="${EVERY:-3}"
CPU_SECONDS="${CPU_SECONDS:-60}"
KEYS="${KEYS:-60}"
CHANGES="${CHANGES:-20}"
LIST_SESSIONS="${LIST_SESSIONS:-10000}"
LIST_RUNS="${LIST_RUNS:-10}"
BENCH_NO_INSTALL="${BENCH_NO_INSTALL:-}"
BENCH_DIR="${BENCH_DIR:-/tmp}"
export LC_ALL=C

for v in SESSIONS LIVE EVERY CPU_SECONDS KEYS CHANGES LIST_SESSIONS LIST_RUNS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/dashboard.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
((LIVE < SESSIONS)) || { echo "bench/dashboard.sh: LIVE must be less than SESSIONS" >&2; exit 2; }
((SESSIONS - LIVE >= 20 && LIST_SESSIONS >= 20)) ||
    { echo "bench/dashboard.sh: at least 20 sessions without a holder, in both stores" >&2; exit 2; }

say() { printf '[dashboard.sh %3ds] %s\n' "$SECONDS" "$*" >&2; }
die() {
    say "error: $*"
    if [[ -s "${LOG:-}" ]]; then say "--- last lines of its log:"; tail -n 20 "$LOG" >&2; fi
    exit 1
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROBE="$REPO/bench/dashboard_probe.py"
PEER="$REPO/bench/peers/claude-session-list"
[[ -f "$PROBE" && -x "$PEER" ]] || die "missing $PROBE or $PEER"
# The real interpreter, found before HOME changes (a pyenv shim looks in ~/.pyenv).
PY="$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)" || die "python3 is needed"

# ---- tools ----------------------------------------------------------------------------
can_install() { [[ -z "$BENCH_NO_INSTALL" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; }
APT_UPDATED=""
install_pkg() { # package: apt-get install, with one `apt-get update` first if that fails
    can_install || return 1
    say "installing $1 with apt-get..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 && return 0
    if [[ -z "$APT_UPDATED" ]]; then
        APT_UPDATED=1
        say "apt-get update..."
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 && return 0
    fi
    return 1
}
for tool in tmux:tmux git:git watch:procps; do
    command -v "${tool%%:*}" >/dev/null || install_pkg "${tool#*:}" ||
        die "${tool%%:*} is needed (apt-get install ${tool#*:})"
done

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
[[ -d "$BENCH_DIR" ]] || { echo "bench/dashboard.sh: BENCH_DIR $BENCH_DIR is not a directory" >&2; exit 2; }
TMP="$(mktemp -d "$BENCH_DIR/csh-ui.XXXXXX")" # short: socket paths must fit in 107 bytes
((${#TMP} <= 40)) || { rm -rf -- "$TMP"; echo "bench/dashboard.sh: BENCH_DIR $BENCH_DIR is too long for socket paths" >&2; exit 2; }
trap 'rm -rf -- "$TMP"' EXIT # until the full cleanup below is in place
LOG="$TMP/log"
: >"$LOG"

# The binary under test is a copy: a rebuild of target/ during the run cannot mix two builds.
BIN="$TMP/bin/claude-session"
CALLER_HOME="$HOME"
mkdir -p "$TMP/bin" "$TMP/home" "$TMP/base" "$TMP/run" "$TMP/proj"
chmod 700 "$TMP/run"
export HOME="$TMP/home" CLAUDE_SESSION_HOME="$TMP/store" CLAUDE_SESSION_BASE="$TMP/base"
export XDG_RUNTIME_DIR="$TMP/run" TERM=xterm-256color
unset CLAUDE_CONFIG_DIR CLAUDE_BIN CLAUDE_SESSION_DETACH_KEYS CLAUDE_SESSION_HIBERNATE_AFTER \
    CLAUDE_SESSION_WORKTREES XDG_DATA_HOME TMUX TMUX_TMPDIR NO_COLOR COLUMNS || true
cd "$TMP/proj"

probe() { "$PY" "$PROBE" "$@"; }
jget() { # JSON KEY [INDEX]: one field of a JSON object (of a list's INDEXth object)
    "$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
if len(sys.argv) > 3: d = d[int(sys.argv[3])]
v = d.get(sys.argv[2])
print("" if v is None else (f"{v:.2f}" if isinstance(v, float) else v))' "$@"
}
TMUX_CMD=(tmux -S "$TMP/tmux.sock" -f "$TMP/tmux.conf")
# No status line: the pane is the whole terminal. Nothing else is set.
echo 'set -g status off' >"$TMP/tmux.conf"

# ---- cleanup --------------------------------------------------------------------------
stop_live() { # every session a holder keeps, in both stores
    local store names
    for store in "$TMP/store" "$TMP/store-list"; do
        [[ -f "$store/registry.db" ]] || continue
        mapfile -t names < <(CLAUDE_SESSION_HOME="$store" "$BIN" list --json 2>/dev/null | "$PY" -c 'import json, sys
for s in json.load(sys.stdin):
    if s.get("holderPid") and s.get("status") in ("active", "hibernated"):
        print(s["sessionId"])' || true)
        ((${#names[@]} == 0)) || CLAUDE_SESSION_HOME="$store" "$BIN" kill --timeout 2 "${names[@]}" >>"$LOG" 2>&1 || true
    done
}
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    say "cleaning up..."
    "${TMUX_CMD[@]}" kill-server >/dev/null 2>&1 || true
    stop_live
    sleep 0.3
    # Anything of ours still there (its command line names our temp dir) is a leak.
    for p in $(pgrep -f -- "$TMP/" 2>/dev/null || true); do
        [[ "$p" == "$$" ]] && continue
        say "still running after cleanup: pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
        kill -9 "$p" 2>/dev/null || true
    done
    cd /
    rm -rf -- "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building release binary..."
# With the caller's HOME: rustup and cargo find their toolchain through it.
(cd "$REPO" && HOME="$CALLER_HOME" cargo build --release --quiet) 2>>"$LOG" || die "cargo build --release failed"
cp "$REPO/target/release/claude-session" "$BIN" || die "no binary at $REPO/target/release/claude-session"

# ---- the stores -----------------------------------------------------------------------
# Twenty project dirs, half of them git repositories (the dashboard shows their branch).
PROJECTS=()
for ((p = 0; p < 20; p++)); do
    dir="$TMP/proj/project-$p"
    mkdir -p "$dir"
    ((p % 2)) || git -C "$dir" init -q -b "feature-$p" >>"$LOG" 2>&1 || die "git init failed"
    PROJECTS+=("$dir")
done

# populate STORE COUNT PREFIX: COUNT sessions without a holder (templates + clone + rebuild)
populate() {
    local store="$1" count="$2" prefix="$3" dir ids=()
    for dir in "${PROJECTS[@]}"; do
        ids+=("$(CLAUDE_SESSION_HOME="$store" "$BIN" new "tmpl-${dir##*-}" --no-launch --cwd "$dir" 2>>"$LOG")") ||
            die "new --no-launch failed"
    done
    probe clone --store "$store" --count "$count" --prefix "$prefix" "${ids[@]}" >>"$LOG" || die "cloning sessions failed"
    for id in "${ids[@]}"; do rm -rf -- "${store:?}/sessions/$id"; done
    CLAUDE_SESSION_HOME="$store" "$BIN" rebuild >>"$LOG" 2>&1 || die "rebuild failed"
}
count_sessions() { # STORE
    CLAUDE_SESSION_HOME="$1" "$BIN" list --json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

say "making $((SESSIONS - LIVE)) sessions without a holder..."
populate "$TMP/store" $((SESSIONS - LIVE)) s-

# The fake agent: claude-session starts its "claude" as `AGENT --session-id UUID`. It prints
# a line every EVERY s while the flag file exists, and nothing otherwise; its first line
# comes at a different moment for each agent.
FLAG="$TMP/printing"
AGENT="$TMP/agent"
cat >"$AGENT" <<EOF
#!/bin/sh
case "\$1" in --session-id | --resume) shift 2 ;; esac
n=0
sleep \$((\$\$ % $EVERY)).\$((\$\$ % 10))
while :; do
    if [ -e "$FLAG" ]; then
        n=\$((n + 1))
        echo "agent \$\$: step \$n done, 42 tests passed, looking at the next one"
    fi
    sleep $EVERY
done
EOF
chmod +x "$AGENT"

say "starting $LIVE live detached sessions (new --detached, the fake agent)..."
# No second of watching each agent start (CLAUDE_SESSION_START_CHECK): they are counted below.
for ((i = 1; i <= LIVE; i++)); do
    CLAUDE_SESSION_START_CHECK=0 "$BIN" new "$(printf 'live-%03d' "$i")" --detached --cwd "${PROJECTS[i % 20]}" --claude "$AGENT" \
        >>"$LOG" 2>&1 || die "new --detached failed"
done
HAVE="$(count_sessions "$TMP/store")"
[[ "$HAVE" == "$SESSIONS" ]] || die "the store holds $HAVE sessions, wanted $SESSIONS"
LIVE_NOW="$("$BIN" list --json | "$PY" -c 'import json, sys
print(sum(1 for s in json.load(sys.stdin) if s["status"] == "active" and s.get("holderPid")))')"
[[ "$LIVE_NOW" == "$LIVE" ]] || die "$LIVE_NOW sessions are live, wanted $LIVE"

# ---- the dashboard ----------------------------------------------------------------------
T="$TMP/timings"
: >"$T"
wait_for() { # SECONDS WHAT CMD...: until CMD succeeds
    local until=$((SECONDS + $1)) what="$2"
    shift 2
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < until)) || die "timed out waiting for $what"
        sleep 0.1
    done
}
screen_has() { "${TMUX_CMD[@]}" capture-pane -p -t "$1" | grep -qF -- "$2"; }
pane_pid() { "${TMUX_CMD[@]}" display-message -p -t "$1" '#{pane_pid}'; }
lines_of() { wc -l <"$T"; }
registry_stamp() { stat -c '%.9Y:%s' "$TMP/store/registry.db" "$TMP/store/registry.db-wal" 2>/dev/null | tr '\n' ' '; }

say "starting the dashboard in tmux at 120x40..."
"${TMUX_CMD[@]}" new-session -d -s ui -x 120 -y 40 \
    "exec env CLAUDE_SESSION_UI_TIMINGS='$T' '$BIN' ui 2>>'$LOG'"
wait_for 30 "the dashboard's first frame with every session" screen_has ui "$LIVE idle · $((SESSIONS - LIVE)) other"
UI_PID="$(pane_pid ui)"
[[ "$(readlink "/proc/$UI_PID/exe")" == "$BIN" ]] || die "pid $UI_PID is not the dashboard"
FIRST_DRAW="$(head -n 1 "$T")"

# The peers, at the same size: `list --watch` (redraws every second) and procps
# `watch -n1` running `list` every second.
"${TMUX_CMD[@]}" new-session -d -s lw -x 120 -y 40 "exec '$BIN' list --watch 2>>'$LOG'"
"${TMUX_CMD[@]}" new-session -d -s wl -x 120 -y 40 "exec watch -n1 '$BIN' list 2>>'$LOG'"
wait_for 30 "list --watch's first table" screen_has lw " ago "
wait_for 30 "watch's first table" screen_has wl " ago "
LW_PID="$(pane_pid lw)" WL_PID="$(pane_pid wl)"

declare -A R
# cpu_window KEY: CPU_SECONDS of CPU of the dashboard and the two peers, as % of one core
cpu_window() {
    local key="$1" hz t0 t1 before after reg0 reg1 a b c
    hz="$(getconf CLK_TCK)"
    reg0="$(registry_stamp)"
    read -r a b c < <(echo "$(probe cpu "$UI_PID") $(probe cpu "$LW_PID") $(probe cpu "$WL_PID")")
    before=("$a" "$b" "$c")
    t0="$EPOCHREALTIME"
    sleep "$CPU_SECONDS"
    read -r a b c < <(echo "$(probe cpu "$UI_PID") $(probe cpu "$LW_PID") $(probe cpu "$WL_PID")")
    t1="$EPOCHREALTIME"
    after=("$a" "$b" "$c")
    reg1="$(registry_stamp)"
    local i=0 who
    for who in ui lw wl; do
        R[cpu$key,$who]="$(awk -v d=$((after[i] - before[i])) -v hz="$hz" -v t0="$t0" -v t1="$t1" \
            'BEGIN { printf "%.2f %%", 100 * d / hz / (t1 - t0) }')"
        i=$((i + 1))
    done
    if [[ "$reg0" == "$reg1" ]]; then R[written$key]=no; else R[written$key]=yes; fi
}

# Settle: the first sweep, the first preview, the peers' first runs.
sleep 3
say "window 1: nothing changes (agents silent), ${CPU_SECONDS} s of CPU..."
M0="$(lines_of)"
cpu_window idle
M1="$(lines_of)"

say "window 2: the $LIVE agents print a line every $EVERY s, ${CPU_SECONDS} s of CPU..."
touch "$FLAG"
sleep "$EVERY"
M2="$(lines_of)"
cpu_window print
M3="$(lines_of)"
rm -f "$FLAG"
"${TMUX_CMD[@]}" kill-session -t lw
"${TMUX_CMD[@]}" kill-session -t wl
sleep $((EVERY + 1)) # the last lines printed, the preview read once more

say "window 3: $CHANGES registry commits (pin/unpin), 0.5 s apart..."
PINNED="$("$BIN" list --json | "$PY" -c 'import json, sys
print(next(s["sessionName"] for s in json.load(sys.stdin) if s["status"] == "stopped"))')"
M4="$(lines_of)"
for ((i = 1; i <= CHANGES; i++)); do
    if ((i % 2)); then "$BIN" pin "$PINNED" >>"$LOG" 2>&1; else "$BIN" unpin "$PINNED" >>"$LOG" 2>&1; fi ||
        die "pin/unpin failed"
    sleep 0.5
done
sleep 0.5
M5="$(lines_of)"

send_keys() { # N: Down keys, 0.1 s apart
    local i
    for ((i = 0; i < $1; i++)); do
        "${TMUX_CMD[@]}" send-keys -t ui Down
        sleep 0.1
    done
    sleep 0.5
}
say "window 4: $KEYS Down keys at 120x40, then $KEYS at 80x24..."
send_keys "$KEYS"
M6="$(lines_of)"
"${TMUX_CMD[@]}" resize-window -t ui -x 80 -y 24
sleep 1
M7="$(lines_of)"
send_keys "$KEYS"
M8="$(lines_of)"
kill -0 "$UI_PID" 2>/dev/null || die "the dashboard is gone"
"${TMUX_CMD[@]}" send-keys -t ui q
wait_for 10 "the dashboard to quit" bash -c "! kill -0 $UI_PID"

fig() { # WHAT FROM TO: "median / p99 (n)" in ms
    local out
    out="$(probe timings "$T" "$1" --after "$2" --until "$3")"
    if [[ "$(jget "$out" n)" == 0 ]]; then echo "- (n=0)"; return; fi
    echo "$(jget "$out" median_ms) / $(jget "$out" p99_ms) (n=$(jget "$out" n))"
}
R[first]="$(awk '{ printf "%.2f", $2 / 1000 }' <<<"$FIRST_DRAW")"
R[drawidle]="$(fig draw "$M0" "$M1")"
R[drawprint]="$(fig draw "$M2" "$M3")"
R[tickprint]="$(fig tick "$M2" "$M3")"
R[tickchange]="$(fig tick "$M4" "$M5")"
R[drawchange]="$(fig draw "$M4" "$M5")"
R[drawkeys]="$(fig draw "$M5" "$M6")"
R[drawkeys80]="$(fig draw "$M7" "$M8")"
R[draws]="$(grep -c '^draw' "$T" || true)"

# ---- list against the original script ------------------------------------------------------
say "stopping the live sessions..."
stop_live
say "making $LIST_SESSIONS sessions for list, and the original script's layout of them..."
export CLAUDE_SESSION_HOME="$TMP/store-list"
populate "$CLAUDE_SESSION_HOME" "$LIST_SESSIONS" l-
HAVE="$(count_sessions "$CLAUDE_SESSION_HOME")"
[[ "$HAVE" == "$LIST_SESSIONS" ]] || die "the list store holds $HAVE sessions, wanted $LIST_SESSIONS"
"$BIN" list --json | probe peer --home "$HOME" >>"$LOG" || die "writing the original layout failed"
[[ "$("$BIN" list | wc -l)" == $((LIST_SESSIONS + 1)) ]] || die "list does not show $LIST_SESSIONS rows"
"$PEER" >"$TMP/peer.out" 2>>"$LOG" || die "claude-session-list failed"
grep -qx "Total sessions: $LIST_SESSIONS" "$TMP/peer.out" || die "claude-session-list does not count $LIST_SESSIONS sessions"

say "timing list and claude-session-list, $LIST_RUNS runs each, in turns..."
OUT="$(probe time --runs "$LIST_RUNS" --warmup 1 -- "$BIN" list ::: "$PEER")" || die "timing list failed"
R[list]="$(jget "$OUT" median_ms 0)"
R[peer]="$(jget "$OUT" median_ms 1)"
R[ratio]="$(awk -v a="${R[list]}" -v b="${R[peer]}" 'BEGIN { printf "%.1fx", b / a }')"
echo "list runs: $OUT" >>"$LOG"

# ---- report ---------------------------------------------------------------------------------
if [[ "${R[writtenprint]}" == no ]]; then
    PRINT_NOTE="Measured: agents printing made no commit. A holder writes its row when Claude starts
    or ends, hibernates, and when a terminal attaches or detaches, not on output;
    lastActivity moves with Claude's hooks, which a fake agent does not run."
else
    PRINT_NOTE="Measured: the registry was written while the agents printed (see the row above)."
fi
row() { printf '%-58s %-22s %-44s %s\n' "$@"; }
echo "claude-session dashboard: $(nproc 2>/dev/null || echo '?') CPUs, $(uname -sr), load average at start" \
    "$LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "versions: claude-session $("$BIN" --version | awk '{print $2}'), tmux $(tmux -V | awk '{print $2}')," \
    "$(watch -v 2>&1 | head -n 1), $("$PY" --version)"
echo "dashboard store: $SESSIONS sessions, $LIVE of them live detached holders (fake agent; a line every $EVERY s" \
    "while printing), the rest stopped, crashed or never started; list store: $LIST_SESSIONS sessions, none running"
echo
row "measure" "claude-session" "peer" "goal"
row "first frame, 120x40 (ms)" "${R[first]}" "" ""
row "frame drawn, 120x40, nothing changes: median / p99 ms" "${R[drawidle]}" "" "< 5 ms"
row "frame drawn, 120x40, agents printing" "${R[drawprint]}" "" "< 5 ms"
row "frame drawn after a Down key, 120x40" "${R[drawkeys]}" "" "< 5 ms"
row "frame drawn after a Down key, 80x24" "${R[drawkeys80]}" "" "< 5 ms"
row "frame drawn after a registry commit, 120x40" "${R[drawchange]}" "" "< 5 ms"
row "change read: a commit (every row again), median / p99 ms" "${R[tickchange]}" "" ""
row "change read: the preview moved (agents printing)" "${R[tickprint]}" "" ""
row "CPU over ${CPU_SECONDS} s, nothing changes, % of one core" "ui ${R[cpuidle,ui]}" \
    "list --watch ${R[cpuidle,lw]}; watch -n1 list ${R[cpuidle,wl]}" "< 1 %"
row "  registry written in that window" "${R[writtenidle]}" "" "no"
row "CPU over ${CPU_SECONDS} s, $LIVE agents printing" "ui ${R[cpuprint,ui]}" \
    "list --watch ${R[cpuprint,lw]}; watch -n1 list ${R[cpuprint,wl]}" ""
row "  registry written in that window" "${R[writtenprint]}" "" ""
row "list, $LIST_SESSIONS sessions, median ms (n=$LIST_RUNS)" "list ${R[list]}" "claude-session-list ${R[peer]}" ""
row "  claude-session-list / list" "${R[ratio]}" "" ">= 20x"
cat <<EOF

method:
  frames: CLAUDE_SESSION_UI_TIMINGS=FILE makes \`ui\` note after each frame drawn "draw <us>"
    (ratatui's draw of the model, with the terminal output) and after each read of changes
    that changed something "tick <us>"; the bench splits the file by window. A frame is drawn
    at least once a second (ages move), after every key, and after every change read.
    Windows: nothing changes (the agents silent; only the periodic redraw, a look at
    data_version every 250 ms, the sweep of running sessions every 2 s and the preview read
    every second); agents printing (the selected session's preview moves every $EVERY s: a
    "tick" and a frame); $CHANGES commits (\`pin\`/\`unpin\`, 0.5 s apart: each moves
    data_version, and the dashboard reads every session again); $KEYS Down keys at 120x40
    and at 80x24 (tmux resize-window), 0.1 s apart (each moves the selection, reads that
    session's preview, draws). ${R[draws]} frames in all.
  CPU: utime+stime (+ waited-for children) from /proc/PID/stat at the start and end of each
    window, over the wall time between, as % of one core; the peers run over the same
    seconds in tmux at 120x40: \`list --watch\` (claude-session's own watch, the table of
    every session each second) and \`watch -n1 claude-session list\` (procps watch running
    list each second; its CPU includes each list it ran). tmux's own CPU is not counted.
    "registry written": registry.db and its -wal (mtime, size) differ after the window.
    $PRINT_NOTE
  list: \`claude-session list\` (table to /dev/null: no colour, no width) and
    bench/peers/claude-session-list (the original script, verbatim: bash + python3 reading
    ~/.claude/sessions/.registry and stat-ing each session dir) over the same $LIST_SESSIONS
    sessions, run in turns from Python, 1 warm-up + $LIST_RUNS runs each, wall time.
  stores: the sessions without a holder are made by cloning \`new --no-launch\` sessions
    (one per project dir; new id, name, status, times, some with a conversation) and
    indexed by \`rebuild\`: 10,000 \`new\`s would take minutes here.
EOF
