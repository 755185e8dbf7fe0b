#!/usr/bin/env python3
"""bench/dashboard_probe.py: the helpers behind bench/dashboard.sh. Subcommands:

  clone    make N session dirs in a store from templates made by `new --no-launch`
           (one template per working directory): metadata.json with a new id, name,
           status and times, the template's other files as they are; some with a short
           conversation. `claude-session rebuild` then indexes them, as it would after a
           lost registry: a store of 10,000 sessions in seconds instead of 10,000 `new`s.
  peer     the original script's layout for the sessions of `list --json` (stdin):
           HOME/.claude/sessions/.registry ({"sessions": {id: {...}}}, as its
           claude-session-new writes it) and one dir per session
  timings  median and p99 of the "WHAT <us>" lines of a CLAUDE_SESSION_UI_TIMINGS file
           between two line numbers
  cpu      CPU time (user + system, with waited-for children) of pids, in clock ticks
  time     run commands in turns, RUNS times each after WARMUP untimed runs, output to
           /dev/null; the wall time of each run in ms

Results are JSON on stdout; diagnostics on stderr.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid


def die(msg):
    print(f"dashboard_probe: {msg}", file=sys.stderr)
    sys.exit(1)


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(path):
    """Claude Code's project dir name for a working dir (ASCII paths)."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in path)


# What a resting session was left as, in turn: its status and exit code.
ENDS = [("stopped", 0), ("stopped", 0), ("stopped", 1), ("crashed", None), ("created", None)]


def clone(args):
    sessions = os.path.join(args.store, "sessions")
    templates = []
    for tid in args.templates:
        d = os.path.join(sessions, tid)
        with open(os.path.join(d, "metadata.json")) as f:
            templates.append((d, json.load(f)))
    if not templates:
        die("no templates")
    now = time.time()
    for i in range(args.count):
        tdir, meta = templates[i % len(templates)]
        sid = str(uuid.uuid4())
        d = os.path.join(sessions, sid)
        shutil.copytree(tdir, d, symlinks=True)
        status, code = ENDS[i % len(ENDS)]
        # Last active from a minute to 30 days ago: ages of every length.
        last = now - 60 - (i * 7919) % (30 * 86400)
        start = last - 600 - (i * 104729) % 7200
        m = dict(meta)
        m.update(
            sessionId=sid,
            sessionName=f"{args.prefix}{i + 1:05d}",
            startTime=iso(start),
            lastActivity=iso(last),
            status=status,
            exitCode=code,
            endTime=None if status == "created" else iso(last),
            messageCount=0 if status == "created" else 2 + i % 40,
            toolCallCount=0 if status == "created" else i % 17,
            conversationId=None,
        )
        if status != "created":
            # A short conversation: the preview of a session without a holder.
            conv = str(uuid.uuid4())
            m["conversationId"] = conv
            pdir = os.path.join(d, "projects", slug(m["workingDirectory"]))
            os.makedirs(pdir, mode=0o700)
            with open(os.path.join(pdir, conv + ".jsonl"), "w") as f:
                for turn in range(4):
                    f.write(json.dumps({"type": "user", "sessionId": conv, "message": {
                        "role": "user", "content": f"step {turn} of task {i}: run the tests"}}) + "\n")
                    f.write(json.dumps({"type": "assistant", "sessionId": conv, "message": {
                        "role": "assistant", "content": [{"type": "text", "text":
                            f"Done with step {turn}: 42 tests passed.\nNext I will look at the build."}]}}) + "\n")
        with open(os.path.join(d, "metadata.json"), "w") as f:
            json.dump(m, f, indent=2)
        os.chmod(os.path.join(d, "metadata.json"), 0o600)
        with open(os.path.join(d, "session.log"), "w") as f:
            f.write(f'{m["startTime"]} created name={m["sessionName"]} cwd="{m["workingDirectory"]}"\n')
    json.dump({"cloned": args.count}, sys.stdout)
    print()


def peer(args):
    listed = json.load(sys.stdin)
    sessions_dir = os.path.join(args.home, ".claude", "sessions")
    os.makedirs(sessions_dir, exist_ok=True)
    registry = {"sessions": {}}
    for s in listed:
        # The fields the original claude-session-new records, with its words for status.
        registry["sessions"][s["sessionId"]] = {
            "sessionName": s["sessionName"],
            "userId": s["userId"],
            "sshClient": s["sshClient"] or "local",
            "workingDirectory": s["workingDirectory"],
            "startTime": s["startTime"],
            "status": "active" if s["status"] == "active" else "stopped",
        }
        os.makedirs(os.path.join(sessions_dir, s["sessionId"]), exist_ok=True)
    with open(os.path.join(sessions_dir, ".registry"), "w") as f:
        json.dump(registry, f, indent=2)
    json.dump({"sessions": len(listed)}, sys.stdout)
    print()


def pick(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def timings(args):
    values = []
    with open(args.file) as f:
        for n, line in enumerate(f, 1):
            if n <= args.after or (args.until and n > args.until):
                continue
            parts = line.split()
            if len(parts) == 2 and parts[0] == args.what:
                values.append(int(parts[1]))
    out = {"n": len(values)}
    if values:
        out.update(median_ms=statistics.median(values) / 1000, p99_ms=pick(values, 0.99) / 1000,
                   max_ms=max(values) / 1000)
    json.dump(out, sys.stdout)
    print()


def cpu(args):
    total = 0
    for pid in args.pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            die(f"no process {pid}")
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the name.
        total += sum(int(v) for v in fields[11:15])
    print(total)


def time_runs(args):
    commands, cur = [], []
    for word in args.command:
        if word == ":::":
            commands.append(cur)
            cur = []
        else:
            cur.append(word)
    commands.append(cur)
    if any(not c for c in commands):
        die("an empty command")
    results = [[] for _ in commands]
    for run in range(args.warmup + args.runs):
        for i, argv in enumerate(commands):
            t0 = time.perf_counter()
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            ms = (time.perf_counter() - t0) * 1000
            if done.returncode != 0:
                die(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")
            if run >= args.warmup:
                results[i].append(round(ms, 2))
    json.dump([{"median_ms": statistics.median(r), "runs": r} for r in results], sys.stdout)
    print()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("clone")
    c.add_argument("--store", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--prefix", default="s-")
    c.add_argument("templates", nargs="+")
    c = sub.add_parser("peer")
    c.add_argument("--home", required=True)
    c = sub.add_parser("timings")
    c.add_argument("file")
    c.add_argument("what")
    c.add_argument("--after", type=int, default=0, help="skip the first AFTER lines")
    c.add_argument("--until", type=int, default=0, help="stop after line UNTIL (0: the end)")
    c = sub.add_parser("cpu")
    c.add_argument("pids", nargs="+", type=int)
    c = sub.add_parser("time")
    c.add_argument("--runs", type=int, default=10)
    c.add_argument("--warmup", type=int, default=1)
    c.add_argument("command", nargs=argparse.REMAINDER, help="CMD... [::: CMD...]")
    args = p.parse_args()
    if getattr(args, "command", None) and args.command[0] == "--":
        args.command = args.command[1:]
    {"clone": clone, "peer": peer, "timings": timings, "cpu": cpu, "time": time_runs}[args.cmd](args)


if __name__ == "__main__":
    main()
