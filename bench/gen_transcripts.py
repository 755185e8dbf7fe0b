#!/usr/bin/env python3
"""bench/gen_transcripts.py: synthetic Claude Code transcripts for bench/stats.sh.

Writes files shaped like Claude Code's (`<session dir>/projects/<slug>/<conversation>.jsonl`,
sub-agents in `<slug>/<conversation>/subagents/agent-*.jsonl`): user prompts, assistant records
(thinking / text / tool_use blocks, one record per block, each carrying the response's full usage, as
Claude Code writes them), tool results as `user` records with `tool_result` content plus
`toolUseResult`, `file-history-snapshot` and `system`/`turn_duration` records. Lines are a few hundred
bytes to several KB. Lines come from pre-built %-templates and slices of one text pool, not
json.dumps per line, so 1 GB takes seconds.

Usage:
  gen_transcripts.py gen --total-mb 100 --files-per-session 20 [--seed 1] [--jobs 2] SESSION_DIR...
  gen_transcripts.py append --bytes 1000000 --files 10 --tag T [--ledger FILE] SESSION_DIR...
  gen_transcripts.py probe SESSION_DIR

Each prints one JSON object to stdout: what it wrote and the totals a correct reader must find
(usage counted once per message.id + requestId, over all files): files, bytes, lines, input, output,
cacheCreation, cacheRead, assistantMessages, userMessages, toolCalls. `append --ledger` also appends
that object as a line to FILE.

`probe` writes a tiny set of edge cases into one session dir (see probe() below): a conversation
forked with --fork-session (its history copied, same message and request ids, under a new session id),
and a record replayed later in the same file.
"""

import argparse
import datetime
import json
import os
import random
import sys
from multiprocessing import Pool

VERSION = "2.1.197"
MODELS_MAIN = ("claude-sonnet-4-5-20250929",) * 6 + ("claude-opus-4-1-20250805",)
MODEL_AGENT = "claude-haiku-4-5-20251001"
TOOLS = ("Read", "Read", "Read", "Bash", "Bash", "Edit", "Grep", "Glob", "Write", "TodoWrite")

WORDS = (
    "the a of to and in is that for it with as on be this are by fn let mut impl struct enum "
    "match Result Option Some None Ok Err self Vec String HashMap async await return where use "
    "crate mod pub test assert_eq unwrap expect error file path line bytes offset cache session "
    "transcript token usage model request response stream parse record field value index commit "
    "branch merge rebase build release cargo clippy fmt check run bench time wall ms MB/s "
    "naïve café → ✓ — “quoted” résumé 日本語 données"
).split()

# Fixed per-line fields. @SID@, @CWD@ and @SIDE@ are replaced once per file; %s per line.
HEAD = '{"parentUuid":%s,"isSidechain":@SIDE@,"userType":"external","cwd":"@CWD@","sessionId":"@SID@","version":"' + VERSION + '","gitBranch":"main",'
T_SNAPSHOT = '{"type":"file-history-snapshot","messageId":"%s","snapshot":{"messageId":"%s","trackedFileBackups":{},"timestamp":"%s"},"isSnapshotUpdate":false}\n'
T_PROMPT = HEAD + '"type":"user","message":{"role":"user","content":"%s"},"uuid":"%s","timestamp":"%s"}\n'
T_ASSISTANT = (
    HEAD + '"message":{"id":"%s","type":"message","role":"assistant","model":"%s","content":[%s],'
    '"stop_reason":%s,"stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":%d,'
    '"cache_read_input_tokens":%d,"cache_creation":{"ephemeral_5m_input_tokens":%d,'
    '"ephemeral_1h_input_tokens":0},"output_tokens":%d,"service_tier":"standard"}},'
    '"requestId":"%s","type":"assistant","uuid":"%s","timestamp":"%s"}\n'
)
B_THINKING = '{"type":"thinking","thinking":"%s","signature":"%s"}'
B_TEXT = '{"type":"text","text":"%s"}'
B_TOOL = '{"type":"tool_use","id":"%s","name":"%s","input":%s}'
T_RESULT_FILE = (
    HEAD + '"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result",'
    '"content":"%s"}]},"uuid":"%s","timestamp":"%s","toolUseResult":{"type":"text","file":{"filePath":"%s",'
    '"content":"%s","numLines":%d,"startLine":1,"totalLines":%d}}}\n'
)
T_RESULT_BASH = (
    HEAD + '"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result",'
    '"content":"%s","is_error":false}]},"uuid":"%s","timestamp":"%s","toolUseResult":{"stdout":"%s",'
    '"stderr":"","interrupted":false,"isImage":false}}\n'
)
T_RESULT_SHORT = (
    HEAD + '"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result",'
    '"content":"%s"}]},"uuid":"%s","timestamp":"%s"}\n'
)
T_DURATION = HEAD + '"type":"system","subtype":"turn_duration","durationMs":%d,"isMeta":false,"uuid":"%s","timestamp":"%s"}\n'

POOL = ""
POOL_BYTES_PER_CHAR = 1.0
EPOCH = datetime.date(2026, 1, 1).toordinal()


def init_pool(seed):
    """A few MB of JSON-string-safe text: words, `\\n` escapes, some non-ASCII; no `\\"`."""
    global POOL, POOL_BYTES_PER_CHAR
    r = random.Random(seed)
    parts = []
    for _ in range(60000):
        parts.append(" ".join(r.choices(WORDS, k=r.randint(4, 14))))
        parts.append("\\n" if r.random() < 0.6 else ". ")
    POOL = "".join(parts)
    POOL_BYTES_PER_CHAR = len(POOL.encode()) / len(POOL)


def text(r, lo, hi):
    n = r.randint(lo, hi)
    o = r.randint(0, len(POOL) - n - 1)
    # A slice may end inside a `\n` escape: drop the lone backslash.
    return POOL[o:o + n].rstrip("\\")


def stamp(ms):
    d = datetime.date.fromordinal(EPOCH + ms // 86400000)
    s = (ms // 1000) % 86400
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        d.year, d.month, d.day, s // 3600, (s // 60) % 60, s % 60, ms % 1000)


class Writer:
    """Turns appended to one file; tallies what a correct reader must count."""

    def __init__(self, path, sid, cwd, idp, r, t0_ms, agent=None):
        self.r = r
        self.idp = idp  # makes ids unique across files and runs
        self.n = 0
        self.t = t0_ms
        self.parent = "null"
        side = "false" if agent is None else 'true,"agentId":"%s"' % agent
        self.model_pick = (MODEL_AGENT,) if agent else MODELS_MAIN
        sub = lambda t: t.replace("@SID@", sid).replace("@CWD@", cwd).replace("@SIDE@", side)
        self.t_prompt, self.t_assistant, self.t_file, self.t_bash, self.t_short, self.t_dur = map(
            sub, (T_PROMPT, T_ASSISTANT, T_RESULT_FILE, T_RESULT_BASH, T_RESULT_SHORT, T_DURATION))
        self.cwd = cwd
        self.out = []
        self.stats = dict(lines=0, input=0, output=0, cacheCreation=0, cacheRead=0,
                          assistantMessages=0, userMessages=0, toolCalls=0)

    def nid(self):
        self.n += 1
        return "%s%08x" % (self.idp, self.n)

    def uuid(self):
        h = self.nid()[-32:].rjust(32, "0")
        return "%s-%s-4%s-8%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:])

    def tick(self, lo, hi):
        self.t += self.r.randint(lo, hi)
        return stamp(self.t)

    def emit(self, line, uid):
        self.out.append(line)
        self.stats["lines"] += 1
        self.parent = '"%s"' % uid

    def turn(self, snapshot=True):
        r, st = self.r, self.stats
        if snapshot:
            m = self.uuid()
            self.out.append(T_SNAPSHOT % (m, m, self.tick(100, 900)))
            st["lines"] += 1
        u = self.uuid()
        self.emit(self.t_prompt % (self.parent, text(r, 150, 2000), u, self.tick(5000, 120000)), u)
        st["userMessages"] += 1
        model = r.choice(self.model_pick)
        cache_read = r.randint(8000, 40000)
        for step in range(r.randint(1, 5)):
            last = step > 0 and r.random() < 0.25
            msg, req = "msg_01" + self.nid(), "req_011C" + self.nid()
            cc = r.randint(0, 6000)
            usage = (r.randint(1, 60), cc, cache_read, cc, r.randint(20, 2500))
            cache_read += cc + r.randint(200, 4000)
            st["assistantMessages"] += 1
            st["input"] += usage[0]
            st["output"] += usage[4]
            st["cacheCreation"] += usage[1]
            st["cacheRead"] += usage[2]
            blocks = []
            if r.random() < 0.25:
                blocks.append(B_THINKING % (text(r, 200, 2500), self.nid() * 4))
            if last or r.random() < 0.7:
                blocks.append(B_TEXT % text(r, 80, 3000 if last else 900))
            names = [] if last else [r.choice(TOOLS) for _ in range(r.choice((1, 1, 1, 2, 3)))]
            tools = []
            for name in names:
                tid = "toolu_01" + self.nid()
                tools.append((name, tid))
                path = "%s/src/%s.rs" % (self.cwd, self.nid()[-6:])
                if name == "Bash":
                    inp = '{"command":"cargo test -p core %s","description":"%s"}' % (
                        self.nid()[-4:], text(r, 20, 80))
                elif name in ("Edit", "Write"):
                    inp = '{"file_path":"%s","old_string":"%s","new_string":"%s"}' % (
                        path, text(r, 40, 600), text(r, 40, 900))
                elif name == "TodoWrite":
                    inp = '{"todos":[{"content":"%s","status":"in_progress","activeForm":"%s"}]}' % (
                        text(r, 20, 120), text(r, 20, 120))
                else:
                    inp = '{"file_path":"%s"}' % path
                blocks.append(B_TOOL % (tid, name, inp))
                st["toolCalls"] += 1
            stop = '"end_turn"' if last else ("null" if tools else '"end_turn"')
            ts = self.tick(800, 20000)
            for block in blocks:  # one record per content block, full usage on each
                u = self.uuid()
                self.emit(self.t_assistant % ((self.parent, msg, model, block, stop) + usage
                                              + (req, u, ts)), u)
            for name, tid in tools:
                u = self.uuid()
                ts = self.tick(50, 3000)
                if name == "Read":
                    body = text(r, 500, 7000)
                    n = body.count("\\n") + 1
                    line = self.t_file % (self.parent, tid, body, u, ts, self.cwd + "/src/x.rs",
                                          body, n, n + r.randint(0, 400))
                elif name == "Bash":
                    body = text(r, 100, 4000)
                    line = self.t_bash % (self.parent, tid, body, u, ts, body)
                else:
                    line = self.t_short % (self.parent, tid, text(r, 30, 200), u, ts)
                self.emit(line, u)
            if last:
                break
        if r.random() < 0.6:
            u = self.uuid()
            self.emit(self.t_dur % (self.parent, r.randint(2000, 600000), u, self.tick(1, 50)), u)

    def fill(self, target):
        # Stop when the next turn would overshoot by more than half of it: files land on their
        # target on average, rather than half a turn (~10-20 KB) past it.
        size = turns = 0
        while turns == 0 or size + size / turns / 2 < target:
            start = len(self.out)
            self.turn()
            turns += 1
            # Chars to bytes: the templates are ASCII, the pool text is not all.
            size += sum(len(l) for l in self.out[start:]) * POOL_BYTES_PER_CHAR
        return "".join(self.out)


def gen_file(job):
    path, target, seed, sid, cwd, idp, t0, agent = job
    r = random.Random(seed)
    w = Writer(path, sid, cwd, idp, r, t0, agent)
    data = w.fill(target).encode()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    w.stats["bytes"] = len(data)
    w.stats["files"] = 1
    return w.stats


def add(total, s):
    for k, v in s.items():
        total[k] = total.get(k, 0) + v
    return total


def hexid(r, n):
    return "%0*x" % (n, r.getrandbits(4 * n))


def cmd_gen(a):
    r = random.Random(a.seed)
    total_bytes = int(a.total_mb * 1_000_000)
    nfiles = len(a.dirs) * a.files_per_session
    per = total_bytes / nfiles
    agents_per = max(1, a.files_per_session // 10) if a.files_per_session > 2 else 0
    jobs = []
    k = 0
    for si, d in enumerate(a.dirs):
        cwd = "/home/dev/work/project-%02d" % si
        slug = cwd.replace("/", "-")
        convs = []
        for fi in range(a.files_per_session - agents_per):
            sid = "%s-%s-4%s-a%s-%s" % (hexid(r, 8), hexid(r, 4), hexid(r, 3), hexid(r, 3), hexid(r, 12))
            convs.append(sid)
            path = os.path.join(d, "projects", slug, sid + ".jsonl")
            jobs.append((path, per * r.uniform(0.3, 1.7), r.getrandbits(64), sid, cwd,
                         "%04x%04x" % (k, a.seed & 0xFFFF), (k % 300) * 3_600_000, None))
            k += 1
        for ai in range(agents_per):
            sid = convs[ai % len(convs)]
            agent = hexid(r, 8)
            path = os.path.join(d, "projects", slug, sid, "subagents", "agent-%s.jsonl" % agent)
            jobs.append((path, per * r.uniform(0.3, 1.7), r.getrandbits(64), sid, cwd,
                         "%04x%04x" % (k, a.seed & 0xFFFF), (k % 300) * 3_600_000, agent))
            k += 1
    # Scale the random sizes so the corpus lands on the requested total.
    scale = total_bytes / sum(j[1] for j in jobs)
    jobs = [j[:1] + (j[1] * scale,) + j[2:] for j in jobs]
    with Pool(a.jobs, initializer=init_pool, initargs=(a.seed,)) as pool:
        total = {}
        for s in pool.imap_unordered(gen_file, jobs, chunksize=4):
            add(total, s)
    print(json.dumps(total, sort_keys=True))


def conversation_files(dirs):
    out = []
    for d in dirs:
        pdir = os.path.join(d, "projects")
        for slug in sorted(os.listdir(pdir)):
            for name in sorted(os.listdir(os.path.join(pdir, slug))):
                if name.endswith(".jsonl"):
                    out.append((os.path.join(pdir, slug, name), slug, name[:-6]))
    return out


def cmd_append(a):
    init_pool(a.seed)
    files = conversation_files(a.dirs)
    step = max(1, len(files) // a.files)
    picked = files[::step][:a.files]
    total = {}
    r = random.Random(a.tag)
    for i, (path, slug, sid) in enumerate(picked):
        w = Writer(path, sid, slug.replace("-", "/"), "%s%02x" % (a.tag, i), r,
                   400 * 3_600_000 + i * 60_000)
        data = w.fill(a.bytes / len(picked)).encode()
        with open(path, "ab") as f:
            f.write(data)
        w.stats["bytes"] = len(data)
        w.stats["files"] = 1
        add(total, w.stats)
    line = json.dumps(total, sort_keys=True)
    if a.ledger:
        with open(a.ledger, "a") as f:
            f.write(line + "\n")
    print(line)


def cmd_probe(a):
    """Edge cases that real transcripts contain, in one session dir:
    A: an ordinary conversation;
    B: `claude --resume A --fork-session`: A's records copied verbatim (same message.id and
       requestId) under B's session id, then B's own turns;
    C: a conversation where one assistant record is written again later in the file (same uuid,
       message.id and requestId), after the tool result that followed it.
    The expected totals count each message.id + requestId once over all files."""
    init_pool(7)
    r = random.Random(7)
    cwd = "/home/dev/work/probe"
    slug = cwd.replace("/", "-")
    pdir = os.path.join(a.dirs[0], "projects", slug)
    os.makedirs(pdir, exist_ok=True)
    ids = ["%08x-0000-4000-8000-%012x" % (i, i) for i in (0xA, 0xB, 0xC)]
    total = {}
    # A
    wa = Writer("", ids[0], cwd, "a0a0", r, 0)
    for _ in range(3):
        wa.turn()
    a_lines = "".join(wa.out)
    add(total, wa.stats)
    # B: fork of A, then two turns of its own
    wb = Writer("", ids[1], cwd, "b0b0", r, 10_000_000)
    wb.turn()
    wb.turn()
    b_lines = a_lines.replace('"sessionId":"%s"' % ids[0], '"sessionId":"%s"' % ids[1]) + "".join(wb.out)
    add(total, wb.stats)
    # C: the first assistant record carrying a tool_use is replayed after its tool result
    wc = Writer("", ids[2], cwd, "c0c0", r, 20_000_000)
    for _ in range(2):
        wc.turn()
    lines = wc.out
    i = next(i for i, l in enumerate(lines) if '"type":"assistant"' in l and '"tool_use"' in l)
    j = next(j for j in range(i + 1, len(lines)) if '"tool_result"' in lines[j])
    lines.insert(j + 1, lines[i])
    add(total, wc.stats)
    for sid, data in zip(ids, (a_lines, b_lines, "".join(lines))):
        with open(os.path.join(pdir, sid + ".jsonl"), "w") as f:
            f.write(data)
    total["files"] = 3
    print(json.dumps(total, sort_keys=True))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--total-mb", type=float, required=True)
    g.add_argument("--files-per-session", type=int, default=20)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    g.add_argument("dirs", nargs="+")
    ap = sub.add_parser("append")
    ap.add_argument("--bytes", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--tag", required=True, help="hex, makes the appended ids unique")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ledger")
    ap.add_argument("dirs", nargs="+")
    pr = sub.add_parser("probe")
    pr.add_argument("dirs", nargs=1)
    a = p.parse_args()
    {"gen": cmd_gen, "append": cmd_append, "probe": cmd_probe}[a.cmd](a)


if __name__ == "__main__":
    main()
