#!/usr/bin/env bash
# bench/holder.sh: claude-session's holder side by side with tmux, dtach and abduco,
# each holding the same program, in one run. Figures, not pass/fail.
#
# Usage:
#   bench/holder.sh                               # from any directory
#   PAYLOAD_MB=50 SESSIONS=20 bench/holder.sh     # a quicker, smaller run
#
# Environment (defaults in brackets):
#   PAYLOAD_MB [200]     output printed by the held program in the throughput runs
#   TP_RUNS [3]          throughput runs per column (the median is reported)
#   SESSIONS [50]        idle detached sessions held at once for the memory figures
#                        (timing their creation gives the create-time figure)
#   ECHO_SAMPLES [1000]  keystrokes sent for the echo latency figures
#   ROWS, COLS [40, 120] the terminal size everywhere
#   BENCH_DIR [/tmp]     where the temp dir (store, sockets, payload) is made; the
#                        create figure depends on its file system's cost of making a
#                        file (printed in the header): a `new` makes about 8 files
#                        (dir, metadata, logs, settings, .claude.json, lock, socket),
#                        `dtach -n` 1 (its socket)
#   BENCH_NO_INSTALL=1   never run apt-get (by default, as root, missing tmux, dtach
#                        and abduco are installed from Debian; a peer that cannot be
#                        installed gets an n/a column)
#
# What it measures, and how (also printed under the table):
#   throughput  the held program is `cat FILE`, FILE being PAYLOAD_MB of base64 text made
#               before any timing; the client (`claude-session new`, `dtach -c`, `tmux
#               new-session`, `abduco -c`) runs on a ROWSxCOLS PTY whose master
#               bench/holder_probe.py reads as fast as it can; time from spawn until the
#               client has left and the PTY closed. "bare PTY" is `cat FILE` on that PTY.
#   latency     the held program puts its tty in raw mode, prints READY and runs `cat`;
#               the probe writes one byte, waits until it is back on the screen (escape
#               sequences skipped), ECHO_SAMPLES times; median and p99.
#   create      wall time of each detached create (`new --detached`, `dtach -n`, `tmux
#               new-session -d`, `abduco -n`) holding `sleep`, SESSIONS of them.
#   memory      PSS (/proc/PID/smaps_rollup) of the process that holds the session
#               (claude-session's holder, the dtach/abduco master, the tmux server; never
#               the held program): with 1 and with SESSIONS idle sessions, then for one
#               session after PAYLOAD_MB went through an attached client that then detached.
#
# It builds the release binary (and runs a copy of it), runs everything under one temp dir with a throwaway HOME,
# store, base and XDG_RUNTIME_DIR, and on exit stops every session and server it started
# and removes the temp dir. The table goes to stdout, progress to stderr.
set -euo pipefail

PAYLOAD_MB="${PAYLOAD_MB:-200}"
TP_RUNS="${TP_RUNS:-3}"
SESSIONS="${SESSIONS:-50}"
ECHO_SAMPLES="${ECHO_SAMPLES:-1000}"
ROWS="${ROWS:-40}"
COLS="${COLS:-120}"
BENCH_NO_INSTALL="${BENCH_NO_INSTALL:-}"
BENCH_DIR="${BENCH_DIR:-/tmp}"
export LC_ALL=C

for v in PAYLOAD_MB TP_RUNS SESSIONS ECHO_SAMPLES ROWS COLS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/holder.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
((SESSIONS >= 2 && ECHO_SAMPLES >= 2)) || { echo "bench/holder.sh: SESSIONS and ECHO_SAMPLES must be at least 2" >&2; exit 2; }

say() { printf '[holder.sh %3ds] %s\n' "$SECONDS" "$*" >&2; }
die() {
    say "error: $*"
    if [[ -s "${LOG:-}" ]]; then say "--- last lines of its log:"; tail -n 20 "$LOG" >&2; fi
    exit 1
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROBE="$REPO/bench/holder_probe.py"
[[ -f "$PROBE" ]] || die "missing $PROBE"
# The real interpreter, found before HOME changes (a pyenv shim looks in ~/.pyenv).
PY="$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)" || die "python3 is needed"

# ---- peers --------------------------------------------------------------------------
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
    say "cannot install $1 (not packaged here?); its column will be n/a"
    return 1
}
HAVE_dtach="" HAVE_tmux="" HAVE_abduco=""
for p in tmux dtach abduco; do
    if command -v "$p" >/dev/null || install_pkg "$p"; then
        command -v "$p" >/dev/null && printf -v "HAVE_$p" 1
    fi
done

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
[[ -d "$BENCH_DIR" ]] || { echo "bench/holder.sh: BENCH_DIR $BENCH_DIR is not a directory" >&2; exit 2; }
TMP="$(mktemp -d "$BENCH_DIR/csh-bench.XXXXXX")" # short: socket paths must fit in 107 bytes
((${#TMP} <= 40)) || { rm -rf -- "$TMP"; echo "bench/holder.sh: BENCH_DIR $BENCH_DIR is too long for socket paths" >&2; exit 2; }
trap 'rm -rf -- "$TMP"' EXIT            # until the full cleanup below is in place
LOG="$TMP/log"
: >"$LOG"

# The binary under test is a copy in the temp dir: a rebuild of target/ during the run
# cannot mix two builds, and every holder maps the same file.
BIN="$TMP/bin/claude-session"

CALLER_HOME="$HOME"
mkdir -p "$TMP/bin" "$TMP/home" "$TMP/base" "$TMP/run" "$TMP/tmux" "$TMP/dtach" "$TMP/abduco" "$TMP/cwd"
chmod 700 "$TMP/run" "$TMP/tmux" "$TMP/dtach" "$TMP/abduco"
export HOME="$TMP/home" CLAUDE_SESSION_HOME="$TMP/store" CLAUDE_SESSION_BASE="$TMP/base"
export XDG_RUNTIME_DIR="$TMP/run" ABDUCO_SOCKET_DIR="$TMP/abduco" TERM=xterm-256color
# A detached `new` watches Claude's first second by default, to report a
# Claude that exits at once; the peers have no such check, and the held
# program here is no Claude: the create figure is the holder's alone.
export CLAUDE_SESSION_START_CHECK=0
unset CLAUDE_CONFIG_DIR CLAUDE_BIN CLAUDE_SESSION_DETACH_KEYS XDG_DATA_HOME TMUX TMUX_TMPDIR || true
cd "$TMP/cwd"

probe() { "$PY" "$PROBE" "$@"; }
# jget JSON KEY: one field of a JSON object (a list: the median of its numbers).
jget() {
    "$PY" -c 'import json, statistics, sys
d = json.loads(sys.argv[1])
v = statistics.median(d) if isinstance(d, list) else d.get(sys.argv[2])
print("" if v is None else (round(v, 2) if isinstance(v, float) else v))' "$1" "$2"
}

# ---- cleanup ------------------------------------------------------------------------
cs_names() { # [NAME-PREFIX]: running claude-session sessions (held by a live holder)
    "$BIN" list --json 2>/dev/null | "$PY" -c 'import json, sys
for s in json.load(sys.stdin):
    if s.get("holderPid") and s.get("status") == "active" and s["sessionName"].startswith(sys.argv[1]):
        print(s["sessionName"])' "${1:-}" || true
}
cs_holders() { # NAME-PREFIX: their holder pids
    "$BIN" list --json 2>/dev/null | "$PY" -c 'import json, sys
for s in json.load(sys.stdin):
    if s.get("holderPid") and s.get("status") == "active" and s["sessionName"].startswith(sys.argv[1]):
        print(s["holderPid"])' "$1"
}
stop_cs() { # [NAME-PREFIX]
    local names
    mapfile -t names < <(cs_names "${1:-}")
    ((${#names[@]} == 0)) || "$BIN" kill --timeout 2 "${names[@]}" >>"$LOG" 2>&1 || true
}
stop_tmux() { # [SOCKET]: one tmux server of ours, or all of them
    local s socks
    if (($# > 0)); then socks=("$1"); else socks=("$TMP"/tmux/*); fi
    for s in "${socks[@]}"; do
        [[ -S "$s" ]] && tmux -S "$s" kill-server >/dev/null 2>&1 || true
    done
}
stop_pids() { # NAME TEXT: end our processes named NAME whose command line holds TEXT
    local p
    for p in $(probe pids --name "$1" "$2"); do kill "$p" 2>/dev/null || true; done
}
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    say "cleaning up..."
    stop_cs
    stop_tmux
    [[ -n "$HAVE_dtach" ]] && stop_pids dtach "$TMP/"
    [[ -n "$HAVE_abduco" ]] && stop_pids abduco "$TMP/"
    sleep 0.3
    # Anything of ours still there (its command line names our temp dir) is a leak.
    for p in $(probe pids "$TMP/" 2>/dev/null); do
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
# A just-written file's page-cache pages count as dirty in every holder's smaps until
# written back: flush them, or Private_Dirty and PSS would drift while we measure.
sync "$BIN" 2>/dev/null || sync

# ---- the held programs ----------------------------------------------------------------
# claude-session starts its "claude" as `PROG --session-id UUID ARGS...`: drop the first two.
cat >"$TMP/wrap" <<'EOF'
#!/bin/sh
case "$1" in --session-id | --resume) shift 2 ;; esac
exec "$@"
EOF
cat >"$TMP/idle" <<'EOF'
#!/bin/sh
exec sleep 900
EOF
cat >"$TMP/echoer" <<'EOF'
#!/bin/sh
stty raw -echo
printf 'READY\r\n'
exec cat
EOF
cat >"$TMP/outidle" <<'EOF'
#!/bin/sh
# FILE MARKER: print FILE, say so with MARKER, then stay idle.
cat "$1"
: >"$2"
exec sleep 900
EOF
chmod +x "$TMP/wrap" "$TMP/idle" "$TMP/echoer" "$TMP/outidle"
# tmux without the status line: the same 40 rows of program output as the others, and
# no clock redraws in the latency samples. Nothing else is set.
echo 'set -g status off' >"$TMP/tmux.conf"
TMUX_OPTS=(-f "$TMP/tmux.conf")

say "writing the ${PAYLOAD_MB} MB payload (base64 of /dev/urandom)..."
PAYLOAD="$TMP/payload"
PAYLOAD_BYTES=$((PAYLOAD_MB * 1000000))
{ head -c $((PAYLOAD_BYTES * 3 / 4 + 4096)) /dev/urandom | base64 | head -c "$PAYLOAD_BYTES" >"$PAYLOAD"; } 2>/dev/null || true
[[ "$(stat -c %s "$PAYLOAD")" == "$PAYLOAD_BYTES" ]] || die "payload is $(stat -c %s "$PAYLOAD") bytes, wanted $PAYLOAD_BYTES"
EXPECT_TAIL="$(tail -c 40 "$PAYLOAD" | tr -d '\n')"
# The same text as coloured output prints it (compilers, grep --color, ls): each line
# with a colour, an erase-to-end-of-line and a reset; the last two lines plain, so the
# same tail shows. claude-session's screen parses escape sequences; this is its hard case.
PAYLOAD_COLOUR="$TMP/payload-colour"
"$PY" - "$PAYLOAD" "$PAYLOAD_COLOUR" <<'EOF'
import sys
with open(sys.argv[1], "rb") as f:
    lines = f.read().split(b"\n")
head, tail = lines[:-2], lines[-2:]
with open(sys.argv[2], "wb") as out:
    out.write(b"".join(b"\x1b[3%dm\x1b[K%s\x1b[0m\n" % (1 + i % 7, l) for i, l in enumerate(head)))
    out.write(b"\n".join(tail))
EOF
PAYLOAD_COLOUR_BYTES="$(stat -c %s "$PAYLOAD_COLOUR")"
cat "$PAYLOAD" "$PAYLOAD_COLOUR" >/dev/null # in the page cache for every run
# Written back now, not during the timed creates: the kernel writing back 400 MB of dirty
# pages slowed each file a create makes (and its fsync) several times over.
sync "$PAYLOAD" "$PAYLOAD_COLOUR" 2>/dev/null || sync

TOOLS=(bare cs dtach tmux abduco)
have() { # tool
    case "$1" in bare | cs) return 0 ;; *) local v="HAVE_$1"; [[ -n "${!v}" ]] ;; esac
}
declare -A R # R[row,tool] = figure

# attached_cmd TOOL TAG PROGRAM...: the command that starts PROGRAM held by TOOL with
# this terminal attached (TAG names the session / socket).
attached_cmd() {
    local tool="$1" tag="$2"
    shift 2
    case "$tool" in
        bare) CMD=("$@") ;;
        cs) CMD=("$BIN" new "$tag" --claude "$TMP/wrap" -- "$@") ;;
        dtach) CMD=(dtach -c "$TMP/dtach/$tag" "$@") ;;
        tmux) CMD=(tmux -S "$TMP/tmux/$tag" "${TMUX_OPTS[@]}" new-session "$@") ;;
        abduco) CMD=(abduco -c "$tag" "$@") ;;
    esac
}
# stop_session TOOL TAG: end that session (and its server)
stop_session() {
    case "$1" in
        cs) stop_cs "$2" ;;
        dtach) stop_pids dtach "$TMP/dtach/$2" ;;
        tmux) stop_tmux "$TMP/tmux/$2" ;;
        abduco) stop_pids abduco "$TMP/" ;;
    esac
}
# holder_pids TOOL TAG: the processes holding TAG's sessions (prefix for cs / dtach)
holder_pids() {
    case "$1" in
        cs) cs_holders "$2" ;;
        dtach) probe pids --name dtach "$TMP/dtach/$2" ;;
        tmux) tmux -S "$TMP/tmux/$2" display-message -p '#{pid}' 2>/dev/null ;;
        abduco) probe pids --name abduco "$3" ;; # abduco: by the held program's path
    esac
}
count_words() { echo $#; }

# ---- 1. create time and idle memory ----------------------------------------------------
create_cmd() { # TOOL: the detached-create command, {i} for the index
    case "$1" in
        cs) CMD=("$BIN" new 'idle-{i}' --detached --claude "$TMP/wrap" -- "$TMP/idle") ;;
        dtach) CMD=(dtach -n "$TMP/dtach/idle-{i}" "$TMP/idle") ;;
        tmux) CMD=(tmux -S "$TMP/tmux/idle" "${TMUX_OPTS[@]}" new-session -d -x "$COLS" -y "$ROWS" "$TMP/idle") ;;
        abduco) CMD=(abduco -n 'idle-{i}' "$TMP/idle") ;;
    esac
}
idle_pids() { # TOOL
    case "$1" in
        cs) cs_holders idle- ;;
        dtach) probe pids --name dtach "$TMP/dtach/idle-" ;;
        tmux) tmux -S "$TMP/tmux/idle" display-message -p '#{pid}' 2>/dev/null ;;
        abduco) probe pids --name abduco "$TMP/idle" ;;
    esac
}
pss_of() { # PIDS...: JSON with pss_kb, private_dirty_kb
    (($# > 0)) || { echo '{}'; return 1; }
    probe pss "$@"
}
measure_idle() { # TOOL
    local tool="$1" t1 tn pids pss1 pssn n
    create_cmd "$tool"
    t1="$(probe create --first 1 --count 1 -- "${CMD[@]}" 2>>"$LOG")" || { say "$(tail -n 1 "$LOG")"; return 1; }
    sleep 1
    pids="$(idle_pids "$tool" | tr '\n' ' ')"
    [[ "$(count_words $pids)" == 1 ]] || { say "$tool: expected 1 holder process, found '$pids'"; return 1; }
    pss1="$(pss_of $pids)" || return 1
    tn="$(probe create --first 2 --count $((SESSIONS - 1)) -- "${CMD[@]}" 2>>"$LOG")" || { say "$(tail -n 1 "$LOG")"; return 1; }
    sleep 1
    pids="$(idle_pids "$tool" | tr '\n' ' ')"
    n="$(count_words $pids)"
    if [[ "$tool" == tmux ]]; then
        local live
        live="$(tmux -S "$TMP/tmux/idle" list-sessions 2>/dev/null | wc -l)"
        [[ "$live" == "$SESSIONS" ]] || { say "tmux: $live sessions alive, wanted $SESSIONS"; return 1; }
    elif [[ "$n" != "$SESSIONS" ]]; then
        say "$tool: $n holder processes alive, wanted $SESSIONS"
        return 1
    fi
    pssn="$(pss_of $pids)" || return 1
    local all
    all="$("$PY" -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]) + json.loads(sys.argv[2])))' "$t1" "$tn")"
    R[create,$tool]="$(jget "$all" x)"
    local p1 pn d1 dn
    p1="$(jget "$pss1" pss_kb)" pn="$(jget "$pssn" pss_kb)"
    d1="$(jget "$pss1" private_dirty_kb)" dn="$(jget "$pssn" private_dirty_kb)"
    R[pss1,$tool]="$p1"
    R[pssavg,$tool]=$((pn / SESSIONS))
    R[pssadd,$tool]=$(((pn - p1) / (SESSIONS - 1)))
    R[dirty1,$tool]="$d1"
    R[dirtyadd,$tool]=$(((dn - d1) / (SESSIONS - 1)))
}
MKFILE_US="$(probe mkfile "$TMP/mkfile" 2>>"$LOG")" || MKFILE_US="?"
for tool in cs dtach tmux abduco; do
    have "$tool" || continue
    say "$tool: creating $SESSIONS detached idle sessions (timed), PSS at 1 and at $SESSIONS..."
    measure_idle "$tool" || { say "$tool: the idle-session measure failed (see above)"; R[create,$tool]=fail; }
    case "$tool" in
        cs) stop_cs idle- ;;
        dtach) stop_pids dtach "$TMP/dtach/idle-" ;;
        tmux) stop_tmux "$TMP/tmux/idle" ;;
        abduco) stop_pids abduco "$TMP/idle" ;;
    esac
done

# ---- 2. throughput ----------------------------------------------------------------------
# throughput KEY FILE BYTES WHAT: TP_RUNS runs of each tool printing FILE; results in R[tpKEY,*]
throughput() {
    local key="$1" file="$2" bytes="$3" what="$4" run tool out
    local -A all ok cpu
    for ((run = 1; run <= TP_RUNS; run++)); do
        for tool in "${TOOLS[@]}"; do
            have "$tool" || continue
            say "throughput run $run/$TP_RUNS: $tool, $what through the attached client..."
            attached_cmd "$tool" "tp$key-$run" cat "$file"
            out="$(probe run --rows "$ROWS" --cols "$COLS" --timeout 300 --bytes "$bytes" \
                --expect-tail "$EXPECT_TAIL" -- "${CMD[@]}" 2>>"$LOG")" || { say "$tool: run failed"; continue; }
            echo "throughput$key $tool run $run: $out" >>"$LOG"
            [[ "$(jget "$out" timed_out)" == True ]] && say "$tool: timed out (tail: $(jget "$out" tail))"
            all[$tool]+=" $(jget "$out" mb_per_s)"
            cpu[$tool]+=" $(jget "$out" client_cpu_s)"
            [[ "$(jget "$out" complete)" == True ]] && ok[$tool]=$((${ok[$tool]:-0} + 1))
            if [[ "$(jget "$out" complete)" != True ]]; then
                say "$tool: the payload's last line never reached the terminal ($(jget "$out" bytes_read) bytes read)"
                echo "  tail: $(jget "$out" tail)" >>"$LOG"
            fi
            stop_session "$tool" "tp$key-$run"
        done
    done
    for tool in "${TOOLS[@]}"; do
        [[ -n "${all[$tool]:-}" ]] || continue
        R[tp$key,$tool]="$(jget "[$(echo ${all[$tool]} | tr ' ' ,)]" x)"
        R[tp${key}all,$tool]="$(printf '%.1f/' ${all[$tool]})"
        R[tp${key}all,$tool]="${R[tp${key}all,$tool]%/}"
        R[tp${key}ok,$tool]="${ok[$tool]:-0}/$(count_words ${all[$tool]})"
        R[tp${key}cpu,$tool]="$(jget "[$(echo ${cpu[$tool]} | tr ' ' ,)]" x)"
    done
}
throughput "" "$PAYLOAD" "$PAYLOAD_BYTES" "${PAYLOAD_MB} MB"
throughput c "$PAYLOAD_COLOUR" "$PAYLOAD_COLOUR_BYTES" "${PAYLOAD_MB} MB coloured"

# ---- 3. memory after the output ----------------------------------------------------------
# The held program prints the payload, touches a marker, then idles; the probe waits for
# the marker (and 0.5 s more), types the detach keys and waits for the client to leave.
detach_keys() {
    case "$1" in cs) echo 1c64 ;; dtach | abduco) echo 1c ;; tmux) echo 0264 ;; esac
}
for tool in cs dtach tmux abduco; do
    have "$tool" || continue
    say "$tool: ${PAYLOAD_MB} MB through an attached client, detach, PSS of the holder..."
    attached_cmd "$tool" ao "$TMP/outidle" "$PAYLOAD" "$TMP/ao-$tool.done"
    out="$(probe run --rows "$ROWS" --cols "$COLS" --timeout 300 --until-file "$TMP/ao-$tool.done" \
        --keys "$(detach_keys "$tool")" -- "${CMD[@]}" 2>>"$LOG")" || { say "$tool: run failed"; continue; }
    echo "after-output $tool: $out" >>"$LOG"
    if [[ "$(jget "$out" detached)" != True ]]; then
        say "$tool: the client did not detach (tail: $(jget "$out" tail))"
        R[pssout,$tool]=fail
    else
        sleep 1
        pids="$(holder_pids "$tool" ao "$TMP/outidle" | tr '\n' ' ')"
        if [[ "$(count_words $pids)" != 1 ]]; then
            say "$tool: expected one holder after detaching, found '$pids'"
            R[pssout,$tool]=fail
        else
            pss="$(pss_of $pids)"
            R[pssout,$tool]="$(jget "$pss" pss_kb)"
            R[dirtyout,$tool]="$(jget "$pss" private_dirty_kb)"
            R[holdcpu,$tool]="$(jget "$pss" cpu_s)"
        fi
    fi
    stop_session "$tool" ao
done

# ---- 4. keystroke echo latency -----------------------------------------------------------
# LAT_ROUNDS rounds, the tools taking turns, samples pooled: a burst of load on this machine
# then falls on every column alike instead of on whichever ran at the time.
LAT_ROUNDS=2
for ((round = 1; round <= LAT_ROUNDS; round++)); do
    for tool in "${TOOLS[@]}"; do
        have "$tool" || continue
        say "echo latency round $round/$LAT_ROUNDS: $tool, $((ECHO_SAMPLES / LAT_ROUNDS)) keystrokes..."
        attached_cmd "$tool" "lat-$round" "$TMP/echoer"
        out="$(probe echo --rows "$ROWS" --cols "$COLS" --samples $((ECHO_SAMPLES / LAT_ROUNDS)) \
            --dump "$TMP/lat-$tool-$round" -- "${CMD[@]}" 2>>"$LOG")" ||
            { say "$tool: echo run failed: $(tail -n 1 "$LOG")"; stop_session "$tool" "lat-$round"; continue; }
        echo "echo $tool round $round: $out" >>"$LOG"
        [[ "$(jget "$out" lost)" == 0 ]] || say "$tool: $(jget "$out" lost) keystrokes never came back"
        stop_session "$tool" "lat-$round"
    done
done
for tool in "${TOOLS[@]}"; do
    compgen -G "$TMP/lat-$tool-*" >/dev/null || continue
    read -r "R[latmed,$tool]" "R[latp99,$tool]" "R[latslow,$tool]" < <(cat "$TMP/lat-$tool-"* | "$PY" -c 'import sys
s = sorted(float(l) for l in sys.stdin if l.strip())
n = len(s)
med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
slow = sum(v > 1000 for v in s)
print(f"{med:.1f} {s[min(n - 1, round(0.99 * (n - 1)))]:.1f} {slow}")')
done

# ---- report -------------------------------------------------------------------------------
cell() { # row tool
    if ! have "$2"; then echo "n/a"; else echo "${R[$1,$2]:--}"; fi
}
# derived: memory added per held session after the output = the marginal idle cost
# (1 -> SESSIONS) + the private memory the output added to that one holder (its
# Private_Dirty growth: code pages first touched by the output are shared by all holders)
for tool in cs dtach tmux abduco; do
    [[ "${R[dirtyout,$tool]:-}" =~ ^[0-9]+$ && "${R[dirty1,$tool]:-}" =~ ^[0-9]+$ && "${R[pssadd,$tool]:-}" =~ ^-?[0-9]+$ ]] || continue
    R[pssheld,$tool]=$((R[pssadd,$tool] + R[dirtyout,$tool] - R[dirty1,$tool]))
done
for key in "" c; do
    [[ -n "${R[tp$key,bare]:-}" ]] || continue
    for tool in cs dtach tmux abduco; do
        [[ -n "${R[tp$key,$tool]:-}" ]] || continue
        R[tp${key}pct,$tool]="$("$PY" -c 'import sys; print(f"{100 * float(sys.argv[1]) / float(sys.argv[2]):.0f} %")' "${R[tp$key,$tool]}" "${R[tp$key,bare]}")"
    done
    R[tp${key}pct,bare]="100 %"
done
R[create,bare]="" R[pss1,bare]="" R[pssavg,bare]="" R[pssadd,bare]="" R[pssout,bare]="" R[pssheld,bare]=""
R[dirty1,bare]="" R[dirtyadd,bare]="" R[dirtyout,bare]="" R[holdcpu,bare]=""

row() { printf '%-52s %15s %15s %15s %15s %15s\n' "$@"; }
line() { # label row-key
    row "$1" "$(cell "$2" bare)" "$(cell "$2" cs)" "$(cell "$2" dtach)" "$(cell "$2" tmux)" "$(cell "$2" abduco)"
}
echo "claude-session holder vs. peers: $(nproc 2>/dev/null || echo '?') CPUs, $(uname -sr), terminal ${ROWS}x${COLS}," \
    "load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "versions: claude-session $("$BIN" --version | awk '{print $2}'), tmux $(tmux -V 2>/dev/null | awk '{print $2}' || echo -)," \
    "dtach $(dpkg-query -W -f '${Version}' dtach 2>/dev/null || echo -)," \
    "abduco $(dpkg-query -W -f '${Version}' abduco 2>/dev/null || { [[ -n "$HAVE_abduco" ]] && abduco -v 2>&1 | head -n 1; } || echo n/a)"
echo "bench dir: $BENCH_DIR ($(stat -f -c %T "$BENCH_DIR" 2>/dev/null || echo '?')), making a file there: $MKFILE_US us (median of 200)"
echo
row "measure" "bare PTY" "claude-session" "dtach" "tmux" "abduco"
line "output ${PAYLOAD_MB} MB via attached client, MB/s (median)" tp
line "  of the bare PTY" tppct
line "  each run, MB/s" tpall
line "  runs whose last line reached the terminal" tpok
line "  CPU s, attached client, per run (median)" tpcpu
line "output ${PAYLOAD_MB} MB coloured, MB/s (median)" tpc
line "  of the bare PTY" tpcpct
line "  each run, MB/s" tpcall
line "  runs whose last line reached the terminal" tpcok
line "  CPU s, holder, for the output once (see CPU)" holdcpu
line "keystroke echo latency, median us (n=$ECHO_SAMPLES)" latmed
line "keystroke echo latency, p99 us" latp99
line "  keystrokes slower than 1 ms" latslow
line "create a detached session, median ms (n=$SESSIONS)" create
line "PSS, 1 idle session, kB" pss1
line "PSS per session, $SESSIONS idle sessions (total/$SESSIONS), kB" pssavg
line "PSS added per idle session (1 -> $SESSIONS), kB" pssadd
line "PSS, 1 session after ${PAYLOAD_MB} MB + detach, kB" pssout
line "PSS added per held session after the output, kB" pssheld
line "  Private_Dirty, 1 idle session, kB" dirty1
line "  Private_Dirty added per idle session, kB" dirtyadd
line "  Private_Dirty, 1 session after the output, kB" dirtyout
echo
goal() { printf '  %-58s %s\n' "$1" "$2"; }
echo "issue 3 goals, claude-session:"
if [[ -n "${R[tp,cs]:-}" && -n "${R[tp,bare]:-}" ]]; then
    goal "throughput >= 90 % of the bare PTY" "${R[tppct,cs]} ($(awk -v a="${R[tp,cs]}" -v b="${R[tp,bare]}" 'BEGIN { print (a >= 0.9 * b) ? "met" : "NOT met" }'))"
fi
if [[ "${R[pssheld,cs]:-}" =~ ^-?[0-9]+$ ]]; then
    goal "<= 600 kB per held session (screen kept)" "${R[pssheld,cs]} kB ($( ((R[pssheld,cs] <= 600)) && echo met || echo "NOT met"))"
fi
if [[ -n "$HAVE_dtach" && "${R[create,cs]:-}" =~ ^[0-9.]+$ && "${R[create,dtach]:-}" =~ ^[0-9.]+$ ]]; then
    goal "create detached within 2x of dtach" "$(awk -v a="${R[create,cs]}" -v b="${R[create,dtach]}" 'BEGIN { printf "%.1fx (%s)", a / b, (a <= 2 * b) ? "met" : "NOT met" }')"
fi
if [[ -n "${R[latmed,cs]:-}" && -n "${R[latmed,bare]:-}" ]]; then
    goal "keystroke latency within 1 ms of the bare PTY (median, p99)" "$(awk -v a="${R[latmed,cs]}" -v b="${R[latmed,bare]}" -v c="${R[latp99,cs]}" -v d="${R[latp99,bare]}" \
        'BEGIN { printf "+%.0f us, +%.0f us (%s)", a - b, c - d, (a - b <= 1000 && c - d <= 1000) ? "met" : "NOT met" }')"
fi
cat <<EOF

method:
  throughput: the held program is \`cat FILE\` (${PAYLOAD_MB} MB of base64 text, 76-char lines, made
    and cached before timing). Each client runs on a ${ROWS}x${COLS} PTY whose master a Python driver
    (bench/holder_probe.py) reads as fast as it can: \`claude-session new\` (holder + attach),
    \`dtach -c\`, \`tmux new-session\` (private -S socket, a config with only \`status off\`),
    \`abduco -c\`; bare PTY = \`cat FILE\` on that PTY. Time from spawn to the PTY closing after
    the client left (the session's start is included). tmux renders the screen rather than
    forwarding every byte, and ends its client with the pane, so it may never draw the last
    screen. "last line reached": the payload's last 40 bytes are in the (escape-stripped) last
    64 kB the terminal got. "coloured": the same lines as coloured output prints them, each as
    ESC[3Nm ESC[K line ESC[0m (a colour, erase to end of line, reset); the screen claude-session
    keeps must parse escape sequences, where plain text is mostly scrolled past unparsed.
    Median of $TP_RUNS runs, the tools taking turns.
  latency: the held program sets its tty raw, prints READY and runs \`cat\`; the driver writes one
    letter and waits until it comes back as text (escape sequences skipped), $ECHO_SAMPLES times in
    $LAT_ROUNDS rounds, the tools taking turns, samples pooled; each round starts with 100 untimed
    keystrokes. p99 is sensitive to other load on the machine (see the load average above).
  CPU: the attached client's (and, for the bare PTY, cat's) user+sys time per throughput run,
    from getrusage of the probe's children; the holder's (for tmux the server's) from /proc at
    the after-output PSS sample, i.e. for printing the output once plus the attach and detach.
  create: wall time of \`new NAME --detached\` (CLAUDE_SESSION_START_CHECK=0: without the 1 s watch of Claude's start), \`dtach -n\`, \`tmux new-session -d\` (one server,
    started by the first), \`abduco -n\`, each holding \`sleep\`, run from Python; median of $SESSIONS.
    A \`new\` makes about 8 files in the bench dir (session dir, metadata, logs, settings,
    .claude.json, lock, socket) and fsyncs one; \`dtach -n\` makes its socket: where making a
    file is slow (see the header), that weighs on claude-session's figure (BENCH_DIR moves it).
  memory: PSS from /proc/PID/smaps_rollup of the holding process only (claude-session's holder,
    dtach/abduco master, tmux server), never the held program; with 1 and with $SESSIONS idle
    sessions; then one session whose program printed the ${PAYLOAD_MB} MB through an attached client
    that then detached (sampled 1 s later). "added per held session after the output" = PSS
    added per idle session + what the output added to that holder's Private_Dirty.
EOF
