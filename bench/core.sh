#!/usr/bin/env bash
# bench/core.sh: time claude-session's core paths and print the figures side by side.
#
# Usage:
#   bench/core.sh                        # from any directory
#   N=500 SESSIONS=2000 bench/core.sh    # overrides (defaults below)
#
# Environment:
#   N=200            calls timed for each `new` figure and for the /bin/true peer
#   SESSIONS=10000   sessions put in the store before the `list` figures
#   LIST_RUNS=10     timed runs of each `list` figure (the median is reported; 1 warm-up first)
#   POP_JOBS=2       parallel creators (xargs -P) while populating the store
#   BENCH_TIMER=auto hyperfine | loop | auto (hyperfine if present, else a bash loop)
#   BENCH_NO_INSTALL=1  never run apt-get (by default, as root, a missing hyperfine
#                       or /usr/bin/time is installed with `apt-get install -y`)
#
# What it measures (wall time, ms):
#   1. `new NAME --no-launch`            mean / median of N calls
#   2. `new NAME --claude /bin/true`     mean / median of N calls, next to N bare
#      `/bin/true` spawns from the same timing loop; the difference is the launch overhead
#   3. `list` and `list --json` over SESSIONS sessions: median of LIST_RUNS runs,
#      plus how long populating took and the peak RSS of one `list` / `list --json`
#
# It builds the release binary first (cargo build --release), runs every command with a
# throwaway HOME, CLAUDE_SESSION_HOME and CLAUDE_SESSION_BASE under one temp dir (removed
# on exit), and never touches ~/.claude. The table goes to stdout; progress to stderr.
set -euo pipefail

N="${N:-200}"
SESSIONS="${SESSIONS:-10000}"
LIST_RUNS="${LIST_RUNS:-10}"
POP_JOBS="${POP_JOBS:-2}"
BENCH_TIMER="${BENCH_TIMER:-auto}"
BENCH_NO_INSTALL="${BENCH_NO_INSTALL:-}"
export LC_ALL=C # a '.' decimal separator in EPOCHREALTIME, awk and printf

for v in N SESSIONS LIST_RUNS POP_JOBS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/core.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
case "$BENCH_TIMER" in auto | hyperfine | loop) ;; *)
    echo "bench/core.sh: BENCH_TIMER must be auto, hyperfine or loop" >&2; exit 2 ;;
esac

say() { printf '%s\n' "$*" >&2; }
die() {
    say "bench/core.sh: $*"
    if [[ -s "${LOG:-}" ]]; then say "--- last lines of its log (removed on exit):"; tail -n 20 "$LOG" >&2; fi
    exit 1
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/claude-session-bench.XXXXXX")"
trap 'rm -rf -- "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
LOG="$TMP/log"
: >"$LOG"

say "building release binary..."
# Built before HOME is swapped: cargo and rustup find their toolchain through it.
cargo build --release --quiet 2>>"$LOG" || die "cargo build --release failed"
BIN="$REPO/target/release/claude-session"
[[ -x "$BIN" ]] || die "no binary at $BIN after the build"
TRUE_BIN=/bin/true
[[ -x "$TRUE_BIN" ]] || TRUE_BIN="$(type -P true)" || die "no true(1) binary found"

mkdir -p "$TMP/home" "$TMP/base" "$TMP/cwd"
export HOME="$TMP/home" CLAUDE_SESSION_BASE="$TMP/base"
unset CLAUDE_CONFIG_DIR CLAUDE_BIN XDG_DATA_HOME || true

# Sessions record their working dir; keep it inside the temp dir.
cd "$TMP/cwd"

can_install() { [[ -z "$BENCH_NO_INSTALL" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; }
install_pkg() { # package: quiet apt-get install; failure is fine (the caller falls back)
    can_install || return 1
    say "installing $1 with apt-get..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >>"$LOG" 2>&1
}

# ---- choose the timer ---------------------------------------------------------------
TIMER=loop
if [[ "$BENCH_TIMER" != loop ]]; then
    command -v hyperfine >/dev/null || install_pkg hyperfine || true
    # -N (no intermediate shell) needs hyperfine >= 1.13.
    if command -v hyperfine >/dev/null && hyperfine -N --runs 2 --style none "$TRUE_BIN" >/dev/null 2>&1; then
        TIMER=hyperfine
    elif [[ "$BENCH_TIMER" == hyperfine ]]; then
        die "BENCH_TIMER=hyperfine but no usable hyperfine (>= 1.13, for -N)"
    fi
fi
if [[ "$TIMER" == hyperfine ]]; then
    METHOD="hyperfine $(hyperfine --version | awk '{print $2}') -N (direct exec, no shell), output to /dev/null; one run per unique NAME"
elif [[ -n "${EPOCHREALTIME:-}" ]]; then
    METHOD="bash loop, \$EPOCHREALTIME (builtin, us) read around each call: no timer fork; includes bash's fork+exec"
else
    METHOD="bash loop, date +%s%N around each call: each sample includes one date(1) fork+exec (so does the /bin/true peer)"
fi

# stamp: sets STAMP to the wall clock in microseconds, with no subshell when bash has
# $EPOCHREALTIME (callers must not use $(...) around it, which would fork).
stamp() {
    if [[ -n "${EPOCHREALTIME:-}" ]]; then
        STAMP="${EPOCHREALTIME/./}"
    else
        STAMP=$(($(date +%s%N) / 1000))
    fi
}

# shell_word WORD: WORD quoted for hyperfine's command splitting, "{i}" left intact.
shell_word() {
    if [[ "$1" =~ ^[A-Za-z0-9_./{}=:,+-]+$ ]]; then printf '%s' "$1"; else printf '%q' "$1"; fi
}

# stats FILE: "mean median count" (ms, 2 decimals) of the ms values in FILE, one a line.
stats() {
    sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
        END { if (NR == 0) { print "- - 0"; exit }
              m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.2f %.2f %d\n", s / NR, m, NR }'
}

# hyperfine_csv_ms FILE COLUMN: the COLUMN (mean|median) of each row of a hyperfine CSV, in ms.
hyperfine_csv_ms() {
    awk -F, -v want="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i - NF; next }
        { printf "%.4f\n", $(NF + c) * 1000 }' "$1"
}

# time_each OUT CMD...: run CMD N times, "{i}" in it replaced by 1..N; one ms value a line to OUT.
time_each() {
    local out="$1"
    shift
    : >"$out"
    if [[ "$TIMER" == hyperfine ]]; then
        local cmd="" w
        for w in "$@"; do cmd+="$(shell_word "$w") "; done
        # One benchmark per value of i, one run each: every call gets a fresh NAME.
        hyperfine -N --style none --runs 1 --parameter-scan i 1 "$N" \
            --export-csv "$TMP/hf.csv" "$cmd" >>"$LOG" 2>&1 || die "hyperfine failed on: $cmd"
        hyperfine_csv_ms "$TMP/hf.csv" mean >"$out"
    else
        local i t0 t1
        for ((i = 1; i <= N; i++)); do
            local argv=("${@//\{i\}/$i}")
            stamp; t0=$STAMP
            "${argv[@]}" >/dev/null 2>>"$LOG" || die "failed: ${argv[*]}"
            stamp; t1=$STAMP
            echo "$(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000)))" >>"$out"
        done
    fi
    [[ "$(wc -l <"$out")" -eq "$N" ]] || die "expected $N samples in $out, got $(wc -l <"$out")"
}

# time_runs OUT CMD...: 1 warm-up + LIST_RUNS timed runs of CMD; "mean median count" to OUT.
time_runs() {
    local out="$1"
    shift
    if [[ "$TIMER" == hyperfine ]]; then
        local cmd="" w
        for w in "$@"; do cmd+="$(shell_word "$w") "; done
        hyperfine -N --style none --warmup 1 --runs "$LIST_RUNS" \
            --export-csv "$TMP/hf.csv" "$cmd" >>"$LOG" 2>&1 || die "hyperfine failed on: $cmd"
        printf '%.2f %.2f %d\n' "$(hyperfine_csv_ms "$TMP/hf.csv" mean)" \
            "$(hyperfine_csv_ms "$TMP/hf.csv" median)" "$LIST_RUNS" >"$out"
    else
        local i t0 t1
        "$@" >/dev/null 2>>"$LOG" || die "failed: $*"
        : >"$TMP/runs"
        for ((i = 1; i <= LIST_RUNS; i++)); do
            stamp; t0=$STAMP
            "$@" >/dev/null 2>>"$LOG" || die "failed: $*"
            stamp; t1=$STAMP
            echo "$(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000)))" >>"$TMP/runs"
        done
        stats "$TMP/runs" >"$out"
    fi
}

count_sessions() { # store: sessions in the registry, as `list` shows them (minus the header)
    local n
    n=$(CLAUDE_SESSION_HOME="$1" "$BIN" list 2>/dev/null | wc -l)
    echo $((n > 0 ? n - 1 : 0))
}

# ---- 1. new --no-launch ---------------------------------------------------------------
say "timing $N x new NAME --no-launch..."
export CLAUDE_SESSION_HOME="$TMP/store-new"
time_each "$TMP/new" "$BIN" new 'bench-{i}' --no-launch
[[ "$(count_sessions "$CLAUDE_SESSION_HOME")" -eq "$N" ]] ||
    die "after $N x new --no-launch the registry holds $(count_sessions "$CLAUDE_SESSION_HOME") sessions"

# ---- 2. new --claude /bin/true, and bare /bin/true --------------------------------------
say "timing $N x new NAME --claude $TRUE_BIN and $N x $TRUE_BIN..."
export CLAUDE_SESSION_HOME="$TMP/store-launch"
time_each "$TMP/launch" "$BIN" new 'bench-{i}' --claude "$TRUE_BIN"
[[ "$(count_sessions "$CLAUDE_SESSION_HOME")" -eq "$N" ]] ||
    die "after $N x new --claude the registry holds $(count_sessions "$CLAUDE_SESSION_HOME") sessions"
time_each "$TMP/true" "$TRUE_BIN" 'bench-{i}'

# ---- 3. list over SESSIONS sessions -------------------------------------------------------
say "populating $SESSIONS sessions (xargs -P $POP_JOBS)..."
export CLAUDE_SESSION_HOME="$TMP/store-list"
stamp; t0=$STAMP
seq -f 'pop-%06g' 1 "$SESSIONS" |
    xargs -P "$POP_JOBS" -I{} "$BIN" new {} --no-launch >/dev/null 2>>"$LOG" ||
    die "populating the store failed"
stamp; t1=$STAMP
POP_S=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.1f", us / 1e6 }')
POP_MS_EACH=$(awk -v us=$((t1 - t0)) -v n="$SESSIONS" 'BEGIN { printf "%.2f", us / 1000 / n }')
HAVE=$(count_sessions "$CLAUDE_SESSION_HOME")
[[ "$HAVE" -eq "$SESSIONS" ]] || die "populated $SESSIONS sessions but list shows $HAVE"

say "timing list and list --json ($LIST_RUNS runs each)..."
time_runs "$TMP/list" "$BIN" list
time_runs "$TMP/listjson" "$BIN" list --json

RSS_LIST="skipped" RSS_JSON="skipped" RSS_NOTE=""
[[ -x /usr/bin/time ]] || install_pkg time || true
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o "$TMP/rss" "$TRUE_BIN" 2>/dev/null; then
    /usr/bin/time -f %M -o "$TMP/rss" "$BIN" list >/dev/null 2>>"$LOG" || die "list failed under /usr/bin/time"
    RSS_LIST="$(tail -n 1 "$TMP/rss") KiB"
    /usr/bin/time -f %M -o "$TMP/rss" "$BIN" list --json >/dev/null 2>>"$LOG" || die "list --json failed under /usr/bin/time"
    RSS_JSON="$(tail -n 1 "$TMP/rss") KiB"
    RSS_NOTE="GNU time -f %M, max resident set size"
else
    RSS_NOTE="no GNU /usr/bin/time (apt-get install time)"
fi

# ---- report ----------------------------------------------------------------------------
read -r NEW_MEAN NEW_MED _ < <(stats "$TMP/new")
read -r L_MEAN L_MED _ < <(stats "$TMP/launch")
read -r T_MEAN T_MED _ < <(stats "$TMP/true")
read -r LS_MEAN LS_MED LS_N < "$TMP/list"
read -r LJ_MEAN LJ_MED LJ_N < "$TMP/listjson"
D_MEAN=$(awk -v a="$L_MEAN" -v b="$T_MEAN" 'BEGIN { printf "%.2f", a - b }')
D_MED=$(awk -v a="$L_MED" -v b="$T_MED" 'BEGIN { printf "%.2f", a - b }')

row() { printf '%-46s %6s %9s %10s\n' "$@"; }
echo "claude-session core benchmarks: $(nproc 2>/dev/null || echo '?') CPUs, $(uname -sr)"
echo "method: $METHOD"
echo
row "command" "runs" "mean ms" "median ms"
row "new NAME --no-launch" "$N" "$NEW_MEAN" "$NEW_MED"
row "new NAME --claude $TRUE_BIN" "$N" "$L_MEAN" "$L_MED"
row "$TRUE_BIN NAME (peer: bare spawn, same loop)" "$N" "$T_MEAN" "$T_MED"
row "  launch overhead (new --claude - peer)" "" "$D_MEAN" "$D_MED"
row "list            ($SESSIONS sessions)" "$LS_N" "$LS_MEAN" "$LS_MED"
row "list --json     ($SESSIONS sessions)" "$LJ_N" "$LJ_MEAN" "$LJ_MED"
echo
printf '%-46s %s\n' "populate $SESSIONS x new --no-launch (-P $POP_JOBS)" "$POP_S s total, $POP_MS_EACH ms/session wall"
printf '%-46s %s\n' "peak RSS, list      ($SESSIONS sessions)" "$RSS_LIST"
printf '%-46s %s\n' "peak RSS, list --json ($SESSIONS sessions)" "$RSS_JSON${RSS_NOTE:+  ($RSS_NOTE)}"
