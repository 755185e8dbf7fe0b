#!/usr/bin/env bash
# bench/stats.sh: how fast `claude-session stats --json` reads transcripts, next to `cat` (the
# floor) and `ccusage session --json`, on 100 MB and 1 GB corpora; and whether the token totals agree.
#
# Usage:
#   bench/stats.sh                          # from any directory; about 3-5 minutes on 2 cores
#   SIZES_MB="100" bench/stats.sh           # only the 100 MB corpus
#
# Environment:
#   SIZES_MB="100 1000"    corpora, in MB (10^6 bytes); each is spread over SESSIONS x FILES_PER_SESSION files
#   SESSIONS=50            sessions made with `claude-session new NAME --no-launch`
#   FILES_PER_SESSION=20   transcript files per session (a tenth of them sub-agents' files)
#   RUNS=5 / RUNS_LARGE=3  timed runs of cat and claude-session (LARGE: corpora of 500 MB and more)
#   CC_RUNS=3 / CC_RUNS_LARGE=2   timed runs of ccusage
#   APPEND_BYTES=1000000 APPEND_FILES=10   what is appended before each "incremental, appended" run
#   PROBE=1                a tiny extra store of edge cases (forked conversation, replayed record):
#                          token totals of both tools against what a correct reader finds
#   CCUSAGE=path           a ccusage to use; by default the one in CCUSAGE_DIR, installed there with
#   CCUSAGE_DIR=~/.cache/claude-session-bench/ccusage   `npm install --prefix` if missing
#   GEN_JOBS=$(nproc)      generator processes
#
# What it does, for each corpus: creates SESSIONS sessions in a throwaway store, writes transcripts
# into their dirs with bench/gen_transcripts.py (untimed; it also tells the totals a correct reader
# must find), syncs, then times with hyperfine (wall time, mean ± sd):
#   1. cat of every transcript to /dev/null, 1 warm-up run: the I/O floor (run as `bash cat.sh`,
#      which execs cat: 1,000 paths are too long for one hyperfine command line)
#   2. claude-session stats --json, cold: every stats-cache.json deleted before each run, nothing else
#   3. claude-session stats --json, incremental, nothing appended
#   4. claude-session stats --json, incremental, after APPEND_BYTES appended over APPEND_FILES files
#      (a fresh append before each run)
#   5. ccusage session --json --offline, CLAUDE_CONFIG_DIR = `claude-session config-dirs`
# then checks the totals: claude-session incremental, claude-session cold, ccusage, expected.
# Page cache: nothing is dropped; the corpus is written just before, so every run reads it from
# memory (the table shows how much of it was resident). That is the fair comparison: all warm.
# Throwaway HOME, CLAUDE_SESSION_HOME and CLAUDE_SESSION_BASE under one temp dir (removed on exit);
# ~/.claude is never read. The table goes to stdout, progress to stderr.
set -euo pipefail

SIZES_MB="${SIZES_MB:-100 1000}"
SESSIONS="${SESSIONS:-50}"
FILES_PER_SESSION="${FILES_PER_SESSION:-20}"
RUNS="${RUNS:-5}"
RUNS_LARGE="${RUNS_LARGE:-3}"
CC_RUNS="${CC_RUNS:-3}"
CC_RUNS_LARGE="${CC_RUNS_LARGE:-2}"
APPEND_BYTES="${APPEND_BYTES:-1000000}"
APPEND_FILES="${APPEND_FILES:-10}"
PROBE="${PROBE:-1}"
GEN_JOBS="${GEN_JOBS:-$(nproc 2>/dev/null || echo 2)}"
CCUSAGE_DIR="${CCUSAGE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/claude-session-bench/ccusage}"
CCUSAGE="${CCUSAGE:-}"
export LC_ALL=C

for v in SESSIONS FILES_PER_SESSION RUNS RUNS_LARGE CC_RUNS CC_RUNS_LARGE APPEND_BYTES APPEND_FILES GEN_JOBS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/stats.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
for s in $SIZES_MB; do
    [[ "$s" =~ ^[1-9][0-9]*$ ]] || { echo "bench/stats.sh: SIZES_MB holds '$s', not a positive integer" >&2; exit 2; }
done

say() { printf '[%4ds] %s\n' "$SECONDS" "$*" >&2; }
die() {
    say "bench/stats.sh: $*"
    if [[ -s "${LOG:-}" ]]; then say "--- last lines of its log (removed on exit):"; tail -n 20 "$LOG" >&2; fi
    exit 1
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GEN="$REPO/bench/gen_transcripts.py"
BIN="$REPO/target/release/claude-session"
cd "$REPO"
command -v hyperfine >/dev/null || die "hyperfine is needed (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 is needed (for the generator)"
[[ -f "$GEN" ]] || die "missing $GEN"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/claude-session-stats-bench.XXXXXX")"
trap 'rm -rf -- "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
LOG="$TMP/log"
: >"$LOG"

say "building the release binary"
cargo build --release --quiet >>"$LOG" 2>&1 || die "cargo build --release failed"
BUILD_S=$SECONDS
# A copy: the tree may be rebuilt by someone else while this runs.
cp "$BIN" "$TMP/claude-session"
BIN="$TMP/claude-session"

# --- ccusage ---------------------------------------------------------------------------------
cc_works() { [[ -n "$1" ]] && "$1" --version >>"$LOG" 2>&1; }
if [[ -z "$CCUSAGE" ]]; then
    CCUSAGE="$CCUSAGE_DIR/node_modules/.bin/ccusage"
    if ! cc_works "$CCUSAGE" && command -v npm >/dev/null; then
        mkdir -p "$CCUSAGE_DIR"
        say "installing ccusage into $CCUSAGE_DIR"
        npm install --prefix "$CCUSAGE_DIR" ccusage >>"$LOG" 2>&1 || true
        if ! cc_works "$CCUSAGE"; then
            # 20.x runs a native binary from an optional package; 19.x wants Node >= 22. 18.x is
            # the last pure-JavaScript release, and reads transcripts the same way (dedup by
            # message.id + requestId over all files).
            say "the latest ccusage does not run here ($(tail -n 1 "$LOG")): installing ccusage@18"
            npm install --prefix "$CCUSAGE_DIR" ccusage@18 >>"$LOG" 2>&1 || true
        fi
    fi
fi
if cc_works "$CCUSAGE"; then
    CC_VERSION="$("$CCUSAGE" --version 2>/dev/null | tail -n 1)"
else
    say "no working ccusage: its rows stay empty"
    CCUSAGE="" CC_VERSION="none"
fi

# Every command below runs with a throwaway HOME and store; nothing reads ~/.claude.
export HOME="$TMP/home"
mkdir -p "$HOME"
unset CLAUDE_CONFIG_DIR

cat >"$TMP/drop-caches.sh" <<'EOF'
# Deletes every session's stats-cache.json, nothing else: the next stats run is cold.
rm -f -- "$1"/sessions/*/stats-cache.json
EOF
cat >"$TMP/cat.sh" <<'EOF'
# cat of every transcript (the list is too long for one command line).
mapfile -t files <"$1/files"
exec cat -- "${files[@]}"
EOF
cat >"$TMP/append.sh" <<EOF
# Appends APPEND_BYTES over APPEND_FILES transcripts; the totals added go to the ledger.
c="\$1"
mapfile -t dirs <"\$c/dirs"
tag="\$(printf '%x' "\$(date +%s%N)")"
python3 "$GEN" append --bytes "$APPEND_BYTES" --files "$APPEND_FILES" --tag "\$tag" --ledger "\$c/ledger" "\${dirs[@]}" >/dev/null
EOF

hf() { # hf NAME CORPUS_DIR HYPERFINE_ARGS...
    local name="$1" c="$2"
    shift 2
    hyperfine -N --style basic --export-json "$c/$name.json" "$@" >>"$LOG" 2>&1 ||
        die "hyperfine failed for $name"
}

resident_pct() { # share of the corpus in the page cache
    xargs -a "$1" fincore --bytes --noheadings --output RES,SIZE 2>/dev/null |
        awk '{r += $1; s += $2} END {if (s > 0) printf "%.0f", (r > s ? 100 : 100 * r / s); else print "?"}'
}

CORPORA=()
for mb in $SIZES_MB; do
    c="$TMP/c$mb"
    mkdir -p "$c"
    CORPORA+=("$c")
    export CLAUDE_SESSION_HOME="$c/store" CLAUDE_SESSION_BASE="$c/base"
    runs=$RUNS cc_runs=$CC_RUNS
    if ((mb >= 500)); then runs=$RUNS_LARGE cc_runs=$CC_RUNS_LARGE; fi

    say "$mb MB: creating $SESSIONS sessions"
    for ((i = 1; i <= SESSIONS; i++)); do
        "$BIN" new "bench-$i" --no-launch >>"$LOG" 2>&1 || die "claude-session new failed"
    done
    config_dirs="$("$BIN" config-dirs)"
    tr ',' '\n' <<<"$config_dirs" >"$c/dirs"
    mapfile -t dirs <"$c/dirs"
    ((${#dirs[@]} == SESSIONS)) || die "config-dirs lists ${#dirs[@]} dirs, not $SESSIONS"

    say "$mb MB: generating $((SESSIONS * FILES_PER_SESSION)) files (untimed)"
    t0=$EPOCHREALTIME
    python3 "$GEN" gen --total-mb "$mb" --files-per-session "$FILES_PER_SESSION" --jobs "$GEN_JOBS" \
        "${dirs[@]}" >"$c/expected.json" || die "the generator failed"
    gen_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
    : >"$c/ledger"
    find "$c/store/sessions" -name '*.jsonl' | sort >"$c/files"
    sync
    res_before=$(resident_pct "$c/files")
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    say "$mb MB: generated in ${gen_s}s, $(wc -l <"$c/files") files, ${res_before}% in the page cache"

    say "$mb MB: cat floor ($runs runs)"
    hf cat "$c" --warmup 1 --runs "$runs" "bash $TMP/cat.sh $c"
    say "$mb MB: claude-session stats --json, cold ($runs runs)"
    hf cold "$c" --warmup 1 --runs "$runs" --prepare "bash $TMP/drop-caches.sh $c/store" "$BIN stats --json"
    say "$mb MB: claude-session stats --json, incremental, nothing appended ($runs runs)"
    hf incr "$c" --warmup 1 --runs "$runs" "$BIN stats --json"
    say "$mb MB: claude-session stats --json, incremental, after $APPEND_BYTES bytes appended over $APPEND_FILES files ($runs runs)"
    hf append "$c" --runs "$runs" --prepare "bash $TMP/append.sh $c" "$BIN stats --json"

    say "$mb MB: totals: claude-session incremental, then cold"
    "$BIN" stats --json >"$c/cs-incr.out" || die "stats failed"
    bash "$TMP/drop-caches.sh" "$c/store"
    if [[ -x /usr/bin/time ]]; then # GNU time: peak RSS too
        /usr/bin/time -f '%e %M' -o "$c/cs-cold.time" "$BIN" stats --json >"$c/cs-cold.out" || die "stats failed"
    else
        "$BIN" stats --json >"$c/cs-cold.out" || die "stats failed"
    fi
    if [[ -n "$CCUSAGE" ]]; then
        say "$mb MB: ccusage session --json ($cc_runs runs)"
        hf ccusage "$c" --runs "$cc_runs" --output="$c/ccusage.out" \
            "env CLAUDE_CONFIG_DIR=$config_dirs $CCUSAGE session --json --offline"
    fi
    res_after=$(resident_pct "$c/files")
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    printf '{"mb": %s, "genSeconds": %s, "residentBefore": "%s", "residentAfter": "%s", "loadBefore": "%s", "loadAfter": "%s"}\n' \
        "$mb" "$gen_s" "$res_before" "$res_after" "$load_before" "$load_after" >"$c/meta.json"
    # Keep the numbers, free the disk before the next corpus.
    rm -rf -- "$c/store" "$c/base"
done

if [[ "$PROBE" == 1 ]]; then
    say "probe: edge cases (a forked conversation, a replayed record)"
    p="$TMP/probe"
    mkdir -p "$p"
    export CLAUDE_SESSION_HOME="$p/store" CLAUDE_SESSION_BASE="$p/base"
    "$BIN" new probe --no-launch >>"$LOG" 2>&1 || die "claude-session new failed"
    python3 "$GEN" probe "$("$BIN" config-dirs)" >"$p/expected.json"
    "$BIN" stats --json >"$p/cs.out"
    if [[ -n "$CCUSAGE" ]]; then
        CLAUDE_CONFIG_DIR="$("$BIN" config-dirs)" "$CCUSAGE" session --json --offline >"$p/ccusage.out" 2>>"$LOG" || true
    fi
fi

say "done; the table follows"
python3 - "$TMP" "$CC_VERSION" "$(hyperfine --version)" "$(node --version 2>/dev/null || echo no-node)" \
    "$APPEND_BYTES" "$APPEND_FILES" "$SESSIONS" "$FILES_PER_SESSION" "$((SECONDS - BUILD_S))" "$BUILD_S" "${CORPORA[@]}" <<'PY'
import json, os, sys

tmp, cc_version, hf_version, node, append_bytes, append_files, sessions, fps, elapsed, build = sys.argv[1:11]
corpora = sys.argv[11:]
append_bytes, append_files = int(append_bytes), int(append_files)
KEYS = ("input", "output", "cacheCreation", "cacheRead")

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def hf(c, name):
    j = load(os.path.join(c, name + ".json"))
    return j["results"][0] if j else None

def ledger(c):
    out = {}
    with open(os.path.join(c, "ledger")) as f:
        for line in f:
            for k, v in json.loads(line).items():
                out[k] = out.get(k, 0) + v
    return out

def cs_totals(path):
    j = load(path)
    if not j:
        return None
    t = j["total"]
    tok = {k: sum(m[k] for m in t["tokens"].values()) for k in KEYS}
    tok["assistantMessages"] = t["assistantMessages"]
    tok["userMessages"] = t["userMessages"]
    tok["toolCalls"] = sum(t["toolCalls"].values())
    tok["skippedLines"] = t["skippedLines"]
    return tok

def cc_totals(path):
    j = load(path)
    if not j:
        return None
    t = j["totals"]
    return {"input": t["inputTokens"], "output": t["outputTokens"],
            "cacheCreation": t["cacheCreationTokens"], "cacheRead": t["cacheReadTokens"]}

def fmt_time(r):
    if not r:
        return "n/a"
    m, sd = r["mean"], r.get("stddev") or 0.0
    n = len(r["times"])
    if m < 1:
        return "%.1f ± %.1f ms (%d)" % (m * 1e3, sd * 1e3, n)
    return "%.2f ± %.2f s (%d)" % (m, sd, n)

def fmt_cpu(r):
    if not r:
        return "n/a"
    cpu = r["user"] + r["system"]
    return "%.0f ms" % (cpu * 1e3) if cpu < 1 else "%.2f s" % cpu

def fmt_rate(mb, r):
    return "%.0f" % (mb / r["mean"]) if r and mb else "-"

rows = [("cat of every file > /dev/null (floor)", "cat", "corpus"),
        ("claude-session stats --json: cold", "cold", "corpus"),
        ("  incremental, nothing appended", "incr", None),
        ("  incremental, +%.1f MB over %d files" % (append_bytes / 1e6, append_files), "append", "append"),
        ("ccusage session --json --offline", "ccusage", "corpus")]

cols = []
for c in corpora:
    meta = load(os.path.join(c, "meta.json"))
    exp = load(os.path.join(c, "expected.json"))
    lab = "%d MB" % meta["mb"] if meta["mb"] < 1000 else "%g GB" % (meta["mb"] / 1000)
    cols.append(dict(c=c, meta=meta, exp=exp, label=lab, mb=exp["bytes"] / 1e6,
                     res={name: hf(c, name) for _, name, _ in rows}))

W0 = 50
def line(cells, widths):
    return "  ".join(s.ljust(w) if i == 0 else s.rjust(w) for i, (s, w) in enumerate(zip(cells, widths)))

print("claude-session stats vs cat vs ccusage  (%s cores; hyperfine %s; ccusage %s on node %s)"
      % (os.cpu_count(), hf_version.split()[-1], cc_version, node))
print()
widths = [W0] + [20, 8, 6] * len(cols)
print(line(["corpus"] + sum([[k["label"], "", ""] for k in cols], []), widths))
for label, f in [("files (%s sessions x %s)" % (sessions, fps), lambda k: "%d" % k["exp"]["files"]),
                 ("bytes", lambda k: "%.1f MB" % k["mb"]),
                 ("lines", lambda k: "%d" % k["exp"]["lines"]),
                 ("generated in (untimed)", lambda k: "%.1f s" % k["meta"]["genSeconds"]),
                 ("load average (1 min) before / after the runs",
                  lambda k: "%s / %s" % (k["meta"]["loadBefore"], k["meta"]["loadAfter"])),
                 ("page cache: resident before / after the runs",
                  lambda k: "%s%% / %s%%" % (k["meta"]["residentBefore"], k["meta"]["residentAfter"]))]:
    print(line([label] + sum([[f(k), "", ""] for k in cols], []), widths))
print()
print(line(["wall time, mean ± sd (runs); CPU = user + sys"] + sum([[k["label"], "CPU", "MB/s"] for k in cols], []), widths))
for label, name, rate in rows:
    cells = [label]
    for k in cols:
        r = k["res"][name]
        mb = k["mb"] if rate == "corpus" else (append_bytes / 1e6 if rate == "append" else None)
        cells += [fmt_time(r), fmt_cpu(r), fmt_rate(mb, r)]
    print(line(cells, widths))
print()
def ratio(k, a, b):
    ra, rb = k["res"][a], k["res"][b]
    return "%.1fx" % (ra["mean"] / rb["mean"]) if ra and rb else "n/a"
for label, a, b in [("ccusage / claude-session cold", "ccusage", "cold"),
                    ("ccusage / claude-session incremental (no change)", "ccusage", "incr"),
                    ("claude-session cold / cat", "cold", "cat")]:
    print(line([label] + sum([[ratio(k, a, b), "", ""] for k in cols], []), widths))
print()
print("Every run read a warm page cache: the corpus was written just before and nothing was dropped.")
print("A load average above the core count means other work shared the CPUs: trust CPU over wall then.")
print("MB/s = bytes read by that run / mean wall time (the incremental-with-append row: the appended bytes only).")

print()
print("Token totals after the appends (usage counted once per message.id + requestId):")
tw = [46, 10, 10, 12, 12, 9, 9, 10, 7]
COUNTS = ("assistantMessages", "userMessages", "toolCalls", "skippedLines")
def count_cells(t):
    return ["%d" % t[k] if k in t else "-" for k in COUNTS]
disagree = counts_off = False
for k in cols:
    c = k["c"]
    exp = dict(k["exp"])
    for key, v in ledger(c).items():
        exp[key] = exp.get(key, 0) + v
    srcs = [("expected (generator)", exp), ("claude-session, incremental", cs_totals(os.path.join(c, "cs-incr.out"))),
            ("claude-session, cold", cs_totals(os.path.join(c, "cs-cold.out"))),
            ("ccusage", cc_totals(os.path.join(c, "ccusage.out")))]
    print(line(["  " + k["label"], "input", "output", "cache write", "cache read", "asst msgs", "user msgs", "tool calls", "skipped"], tw))
    for name, t in srcs:
        if not t:
            print(line(["    " + name, "n/a"], tw[:2]))
            continue
        print(line(["    " + name] + ["%d" % t[key] for key in KEYS]
                   + count_cells(t), tw))
        if any(t[key] != exp[key] for key in ("input", "output")):
            disagree = True
        if any(key in t and key != "skippedLines" and t[key] != exp[key] for key in COUNTS):
            counts_off = True
    ct = os.path.join(c, "cs-cold.time")
    if os.path.exists(ct):
        try:
            secs, rss = open(ct).read().split()[-2:]
            print("    (claude-session cold, one more run: %s s, peak RSS %.0f MB)" % (secs, int(rss) / 1024))
        except ValueError:
            pass
print("  input/output tokens: " + ("DISAGREE: see above" if disagree
                                   else "claude-session, ccusage and the generator agree"))
print("  claude-session's message and tool-call counts: " + ("DIFFER from the generator's" if counts_off
                                                            else "as the generator wrote them"))

p = os.path.join(tmp, "probe")
if os.path.isdir(p):
    print()
    print("Probe: one session with a conversation, its --fork-session copy (same message and request ids,")
    print("new session id) and a conversation where one assistant record is written twice:")
    exp = load(os.path.join(p, "expected.json"))
    print(line(["", "input", "output", "cache write", "cache read", "asst msgs", "user msgs", "tool calls", "skipped"], tw))
    for name, t in [("  expected (once per message.id + requestId)", exp),
                    ("  claude-session", cs_totals(os.path.join(p, "cs.out"))),
                    ("  ccusage", cc_totals(os.path.join(p, "ccusage.out")))]:
        if not t:
            print(line([name, "n/a"], tw[:2]))
            continue
        print(line([name] + ["%d" % t[key] for key in KEYS]
                   + count_cells(t), tw))
print()
print("whole run: %s s after the build (cargo build --release: %s s)" % (elapsed, build))
PY
