#!/usr/bin/env bash
# bench/search.sh: `claude-session search` on the transcript corpus of bench/stats.sh (1 GB by
# default): the index built from nothing, brought up to date after 1 MB appended, and query latency
# (the median of 100 queries of common words, and of 100 of rare ones), next to `rg` over the same
# files (the floor of a search without an index); and the index's size beside the corpus's.
#
# Usage:
#   bench/search.sh                  # from any directory; about 10 minutes on 2 cores for 1 GB
#   SIZE_MB=100 bench/search.sh      # a smaller corpus
#
# Environment:
#   SIZE_MB=1000           the corpus, in MB (10^6 bytes), spread over SESSIONS x FILES_PER_SESSION files
#   SESSIONS=50            sessions made with `claude-session new NAME --no-launch`
#   FILES_PER_SESSION=20   transcript files per session (a tenth of them sub-agents' files)
#   BUILD_RUNS=2           timed builds from nothing (`search --rebuild`)
#   RUNS=10                timed runs of each of 10 common and 10 rare queries (10 x 10 = 100 each)
#   APPEND_BYTES=1000000 APPEND_FILES=10 APPEND_RUNS=10   what is appended before each update run
#   RG_RUNS=3              timed runs of rg, for one common and one rare word
#   GEN_JOBS=$(nproc)      generator processes
#
# What it does: creates SESSIONS sessions in a throwaway store, writes transcripts into their dirs
# with bench/gen_transcripts.py, and puts 10 rare words in prompts of 10 of them (untimed); syncs;
# then times with hyperfine (wall time; the table also gives CPU = user + sys):
#   1. claude-session search --rebuild: the index from nothing (every transcript read and indexed)
#   2. claude-session search WORD --limit 20, nothing changed, for 10 common words (in most
#      messages: ranked among their newest 2000 matches) and 10 rare ones (in one prompt each):
#      each a new process that opens the registry and the index, stats every transcript, queries,
#      and reads each result's line again for its snippet
#   3. the same rare query after APPEND_BYTES appended over APPEND_FILES transcripts (a fresh
#      append before each run): the update, then the query
#   4. rg -i -F -c WORD over every transcript: one common and one rare word
# Page cache: nothing is dropped, every run reads a warm cache (as in bench/stats.sh).
# Throwaway HOME, CLAUDE_SESSION_HOME and CLAUDE_SESSION_BASE under one temp dir (removed on exit);
# ~/.claude is never read. The table goes to stdout, progress to stderr.
set -euo pipefail

SIZE_MB="${SIZE_MB:-1000}"
SESSIONS="${SESSIONS:-50}"
FILES_PER_SESSION="${FILES_PER_SESSION:-20}"
BUILD_RUNS="${BUILD_RUNS:-2}"
RUNS="${RUNS:-10}"
APPEND_BYTES="${APPEND_BYTES:-1000000}"
APPEND_FILES="${APPEND_FILES:-10}"
APPEND_RUNS="${APPEND_RUNS:-10}"
RG_RUNS="${RG_RUNS:-3}"
GEN_JOBS="${GEN_JOBS:-$(nproc 2>/dev/null || echo 2)}"
export LC_ALL=C

for v in SIZE_MB SESSIONS FILES_PER_SESSION BUILD_RUNS RUNS APPEND_BYTES APPEND_FILES APPEND_RUNS RG_RUNS GEN_JOBS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "bench/search.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done

say() { printf '[%4ds] %s\n' "$SECONDS" "$*" >&2; }
die() {
    say "bench/search.sh: $*"
    if [[ -s "${LOG:-}" ]]; then say "--- last lines of its log (removed on exit):"; tail -n 20 "$LOG" >&2; fi
    exit 1
}

install_debian() { # PACKAGES...
    say "installing $*"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null; fi
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GEN="$REPO/bench/gen_transcripts.py"
BIN="$REPO/target/release/claude-session"
cd "$REPO"
command -v hyperfine >/dev/null || install_debian hyperfine
command -v rg >/dev/null || install_debian ripgrep
command -v python3 >/dev/null || die "python3 is needed (for the generator)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/claude-session-search-bench.XXXXXX")"
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

export HOME="$TMP/home" CLAUDE_SESSION_HOME="$TMP/store" CLAUDE_SESSION_BASE="$TMP/base"
mkdir -p "$HOME"
unset CLAUDE_CONFIG_DIR

hf() { # hf NAME HYPERFINE_ARGS...
    local name="$1"
    shift
    hyperfine -N --style basic --export-json "$TMP/$name.json" "$@" >>"$LOG" 2>&1 ||
        die "hyperfine failed for $name"
}

say "creating $SESSIONS sessions"
for ((i = 1; i <= SESSIONS; i++)); do
    "$BIN" new "bench-$i" --no-launch >>"$LOG" 2>&1 || die "claude-session new failed"
done
"$BIN" config-dirs | tr ',' '\n' >"$TMP/dirs"
mapfile -t dirs <"$TMP/dirs"

say "$SIZE_MB MB: generating $((SESSIONS * FILES_PER_SESSION)) files (untimed)"
python3 "$GEN" gen --total-mb "$SIZE_MB" --files-per-session "$FILES_PER_SESSION" --jobs "$GEN_JOBS" \
    "${dirs[@]}" >"$TMP/expected.json" || die "the generator failed"
# The generator's words are all common: 10 rare ones, each in one prompt of one transcript.
RARE=(zebrafish quokka narwhal axolotl pangolin wombat okapi tapir dugong kakapo)
python3 - "$TMP/dirs" "${RARE[@]}" <<'PY'
import json, os, random, sys
dirs = open(sys.argv[1]).read().split()
files = sorted(os.path.join(root, f) for d in dirs for root, _, fs in os.walk(os.path.join(d, "projects"))
               for f in fs if f.endswith(".jsonl") and "subagents" not in root)
r = random.Random(7)
for word in sys.argv[2:]:
    record = {"type": "user", "timestamp": "2026-02-01T12:00:00.000Z",
              "message": {"role": "user", "content": "where did the %s go in the tests" % word}}
    with open(r.choice(files), "a") as f:
        f.write(json.dumps(record) + "\n")
PY
find "$TMP/store/sessions" -name '*.jsonl' | sort >"$TMP/files"
CORPUS_BYTES=$(xargs -a "$TMP/files" cat | wc -c)
sync

cat >"$TMP/append.sh" <<EOF
# Appends APPEND_BYTES over APPEND_FILES transcripts.
mapfile -t dirs <"$TMP/dirs"
tag="\$(printf '%x' "\$(date +%s%N)")"
python3 "$GEN" append --bytes "$APPEND_BYTES" --files "$APPEND_FILES" --tag "\$tag" "\${dirs[@]}" >/dev/null
EOF
cat >"$TMP/rg.sh" <<'EOF'
# rg over every transcript (the list is too long for one command line).
mapfile -t files <"$1"
exec rg -i -F -c -- "$2" "${files[@]}"
EOF

say "building the index from nothing ($BUILD_RUNS runs)"
hf build --runs "$BUILD_RUNS" "$BIN search --rebuild"
/usr/bin/time -f '%e %M' -o "$TMP/build.time" "$BIN" search --rebuild >>"$LOG" 2>&1 || die "search --rebuild failed"
INDEX_BYTES=$(cat "$TMP"/store/search.db* | wc -c)

COMMON="session,cache,token,transcript,model,offset,branch,commit,release,index"
RARE_LIST="$(IFS=,; echo "${RARE[*]}")"
say "queries: 10 common words x $RUNS runs"
hf common --warmup 2 --runs "$RUNS" -L word "$COMMON" "$BIN search --limit 20 {word}"
say "queries: 10 rare words x $RUNS runs"
hf rare --warmup 2 --runs "$RUNS" -L word "$RARE_LIST" "$BIN search --limit 20 {word}"
say "queries: two common words x $RUNS runs, and with --tools"
hf pair --warmup 2 --runs "$RUNS" "$BIN search --limit 20 cache session"
hf tools --warmup 2 --runs "$RUNS" "$BIN search --tools --limit 20 session"
for word in quokka session; do
    "$BIN" search --limit 20 "$word" >"$TMP/out-$word" 2>>"$LOG" || die "search $word failed"
done
grep -q quokka "$TMP/out-quokka" || die "search quokka did not find it"

say "update after $APPEND_BYTES bytes appended over $APPEND_FILES files ($APPEND_RUNS runs)"
hf append --runs "$APPEND_RUNS" --prepare "bash $TMP/append.sh" "$BIN search --limit 20 quokka"

say "rg floor ($RG_RUNS runs each)"
hf rg_common --warmup 1 --runs "$RG_RUNS" -i "bash $TMP/rg.sh $TMP/files session"
hf rg_rare --warmup 1 --runs "$RG_RUNS" -i "bash $TMP/rg.sh $TMP/files quokka"

say "done; the table follows"
python3 - "$TMP" "$CORPUS_BYTES" "$INDEX_BYTES" "$(wc -l <"$TMP/files")" "$APPEND_BYTES" "$APPEND_FILES" \
    "$(hyperfine --version)" "$(rg --version | sed -n 1p)" "$((SECONDS - BUILD_S))" <<'PY'
import json, os, statistics, sys

tmp, corpus, index, files, append_bytes, append_files, hf_version, rg_version, elapsed = sys.argv[1:10]
corpus, index, append_bytes = int(corpus), int(index), int(append_bytes)

def runs(name):
    with open(os.path.join(tmp, name + ".json")) as f:
        results = json.load(f)["results"]
    times = [t for r in results for t in r["times"]]
    # hyperfine gives CPU time as a mean per command: weighted by its runs.
    cpu = sum((r["user"] + r["system"]) * len(r["times"]) for r in results) / len(times)
    return times, cpu

def ms(x):
    return "%.1f ms" % (x * 1e3) if x < 1 else "%.2f s" % x

def row(label, name, note=""):
    times, cpu = runs(name)
    print("%-58s %10s %10s %10s %10s %5d  %s" % (label, ms(statistics.median(times)), ms(min(times)),
          ms(max(times)), ms(cpu), len(times), note))

load = open("/proc/loadavg").read().split()[0]
print("claude-session search  (%s cores; %s; %s; load average %s at the end)"
      % (os.cpu_count(), hf_version, rg_version, load))
print()
print("corpus: %.1f MB in %s transcripts; index: %.1f MB (%.0f%% of the corpus)"
      % (corpus / 1e6, files, index / 1e6, 100 * index / corpus))
bt = open(os.path.join(tmp, "build.time")).read().split()
print("one more build: %s s, peak RSS %.0f MB" % (bt[-2], int(bt[-1]) / 1024))
print()
print("%-58s %10s %10s %10s %10s %5s" % ("wall time", "median", "min", "max", "CPU (mean)", "runs"))
row("search --rebuild: the index from nothing", "build",
    "%.0f MB/s" % (corpus / 1e6 / statistics.median(runs("build")[0])))
row("search WORD, nothing changed: 10 common words", "common")
row("search WORD, nothing changed: 10 rare words", "rare")
row("search 'cache session' (two common words)", "pair")
row("search --tools session (common, every role)", "tools")
row("search quokka after +%.1f MB over %s files (update + query)" % (append_bytes / 1e6, append_files), "append")
row("rg -i -F -c session over every transcript (floor)", "rg_common")
row("rg -i -F -c quokka over every transcript (floor)", "rg_rare")
print()
print("Each search is a new process: it opens the registry and the index, stats every transcript, runs")
print("the query, and reads each result's line again for its snippet. A load average above the core")
print("count means other work shared the CPUs: trust CPU over wall then.")
print("whole run: %s s after the build" % elapsed)
PY
