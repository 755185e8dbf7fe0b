#!/usr/bin/env python3
"""bench/create_ab.py: the time of `new NAME --detached` for several claude-session binaries,
interleaved, so that a change of a millisecond is seen through this VM's drift (its disk's cost
of a file or an fsync moves several-fold within an hour, which two runs one after the other of
bench/holder.sh cannot tell from the change).

Usage:
  bench/create_ab.py ROUNDS PER_ROUND NAME=BINARY [NAME=BINARY ...]
  bench/create_ab.py 8 10 before=/tmp/cs-before after=target/release/claude-session

Each round runs PER_ROUND creates of each binary, the binaries in a new random order each round;
after each binary's turn its sessions are killed (so every create meets the same number of live
sessions). Each binary has its own HOME, store and runtime dir in a temp dir (removed at the
end); the held program is `sleep` through a wrapper that drops claude's arguments. The start
watch is off (CLAUDE_SESSION_START_CHECK=0), as in bench/holder.sh. Prints median, mean and p90
of each binary's wall time per create, in ms."""
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def kill_all(home):
    """Every process whose environment has HOME=home (holders and their sleeps)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            env = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        if f"HOME={home}".encode() in env.split(b"\0"):
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def main():
    if len(sys.argv) < 4 or not all("=" in a for a in sys.argv[3:]):
        sys.exit(__doc__.split("\n\n")[1])
    rounds, per = int(sys.argv[1]), int(sys.argv[2])
    if not (0 < rounds <= 1000 and 0 < per <= 1000):
        sys.exit("create_ab.py: ROUNDS and PER_ROUND are 1 to 1000")
    bins = dict(a.split("=", 1) for a in sys.argv[3:])
    root = tempfile.mkdtemp(prefix="cs-ab.", dir="/tmp")  # short: socket paths must fit
    try:
        run(root, rounds, per, bins)
    finally:
        for name in bins:
            kill_all(os.path.join(root, name, "home"))
        shutil.rmtree(root, ignore_errors=True)


def run(root, rounds, per, bins):
    wrap = os.path.join(root, "wrap")
    with open(wrap, "w") as f:
        f.write('#!/bin/sh\ncase "$1" in --session-id | --resume) shift 2 ;; esac\nexec "$@"\n')
    os.chmod(wrap, 0o755)
    envs = {}
    for name in bins:
        d = os.path.join(root, name)
        os.makedirs(os.path.join(d, "home"))
        os.makedirs(os.path.join(d, "xdg"), mode=0o700)
        env = dict(os.environ)
        env.update(HOME=os.path.join(d, "home"), XDG_RUNTIME_DIR=os.path.join(d, "xdg"),
                   CLAUDE_SESSION_HOME=os.path.join(d, "store"),
                   CLAUDE_SESSION_BASE=os.path.join(d, "base"),
                   CLAUDE_SESSION_START_CHECK="0")
        env.pop("XDG_DATA_HOME", None)
        envs[name] = env
    times = {name: [] for name in bins}
    count = 0
    for _ in range(rounds):
        order = list(bins)
        random.shuffle(order)
        for name in order:
            for _ in range(per):
                count += 1
                start = time.perf_counter()
                p = subprocess.run(
                    [bins[name], "new", f"s{count}", "--detached", "--claude", wrap, "--",
                     "sleep", "900"],
                    env=envs[name], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                elapsed = (time.perf_counter() - start) * 1000
                if p.returncode != 0:
                    sys.exit(f"create_ab.py: {name}: {p.stderr.decode().strip()}")
                times[name].append(elapsed)
            time.sleep(0.3)
            kill_all(envs[name]["HOME"])
            time.sleep(0.2)
    for name, ts in times.items():
        p90 = sorted(ts)[int(len(ts) * 0.9)]
        print(f"{name:20s} median {statistics.median(ts):6.2f} ms  mean {statistics.mean(ts):6.2f}"
              f"  p90 {p90:6.2f}  n={len(ts)}")


if __name__ == "__main__":
    main()
