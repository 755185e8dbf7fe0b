#!/usr/bin/env python3
"""bench/holder_probe.py: the PTY driver behind bench/holder.sh.

It runs a command on a fresh pseudo-terminal of a fixed size (as a session
leader with that terminal as its controlling tty, the way a terminal emulator
would) and reads the master side as fast as it can. Subcommands:

  run      time a command from spawn until its terminal closes (throughput);
           with --until-file, wait for that file instead, then type --keys
           (the detach keys) and wait for the client to leave
  echo     keystroke echo latency: wait for READY on the screen, then send one
           byte at a time and wait for it to come back (escape sequences are
           skipped, so a redraw around the byte does not count)
  create   time each of N commands ("{i}" replaced by the index), in ms
  pss      sum of Pss / Private_Dirty (kB) of the given pids (/proc/PID/smaps_rollup),
           and the CPU time they have used
  pids     pids whose argv[0] ends in NAME and whose command line holds TEXT
  mkfile   median time to make an empty file in DIR, in us (then removes them)

Results are JSON on stdout; diagnostics on stderr.
"""

import argparse
import collections
import fcntl
import json
import os
import resource
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time


TAIL_KEEP = 64 * 1024


def die(msg):
    print(f"holder_probe: {msg}", file=sys.stderr)
    sys.exit(1)


def spawn(argv, rows, cols):
    """argv on a new PTY of rows x cols; returns (master fd, Popen)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def child_setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = dict(os.environ)
    env.setdefault("TERM", "xterm-256color")
    if not env["TERM"]:
        env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=child_setup,
        close_fds=True,
        env=env,
    )
    os.close(slave)
    return master, proc


def reap(proc, timeout):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        return None


def read_chunk(master, size=1 << 16):
    """One read of the master; b"" once every holder of the slave is gone."""
    try:
        return os.read(master, size)
    except OSError:  # EIO: the slave side is closed
        return b""


def cmd_run(a):
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    master, proc = spawn(a.cmd, a.rows, a.cols)
    t0 = time.perf_counter()
    deadline = t0 + a.timeout
    total = 0
    t_end = None
    phase = "output"
    detach_sent_at = None
    poller = select.poll()
    poller.register(master, select.POLLIN)
    tail = collections.deque()
    tail_len = 0
    timed_out = False
    while True:
        now = time.perf_counter()
        if now > deadline:
            timed_out = True
            break
        if a.until_file and phase == "output" and os.path.exists(a.until_file):
            t_end = now
            phase = "settle"
            settle_until = now + a.settle
        if phase == "settle" and now >= settle_until:
            os.write(master, bytes.fromhex(a.keys))
            detach_sent_at = now
            phase = "detach"
        if not poller.poll(50 if a.until_file else 1000):
            if proc.poll() is not None and not a.until_file:
                # Child gone but the slave still open somewhere (a daemon kept it):
                # stop when nothing comes for a moment.
                if not poller.poll(200):
                    break
            continue
        chunk = read_chunk(master)
        if not chunk:
            break
        total += len(chunk)
        tail.append(chunk)
        tail_len += len(chunk)
        while tail_len - len(tail[0]) >= TAIL_KEEP:
            tail_len -= len(tail.popleft())
    t_close = time.perf_counter()
    if t_end is None:
        t_end = t_close
    os.close(master)
    code = reap(proc, 5)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tail = b"".join(tail)
    res = {
        "seconds": round(t_end - t0, 4),
        "bytes_read": total,
        "exit": code,
        "timed_out": timed_out,
        # CPU of the command we started (the client; a daemon it forked is not counted)
        "client_cpu_s": round(ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime, 3),
        "tail": tail[-200:].decode("utf-8", "replace"),
    }
    if a.expect_tail:
        # Did the payload's last line reach this terminal? Escape sequences and
        # line breaks are dropped first: a screen redraw may split it.
        want = a.expect_tail.encode()
        res["complete"] = want in TextFilter().feed(tail)
    if a.until_file:
        res["detached"] = detach_sent_at is not None and not timed_out
        res["detach_seconds"] = (
            round(t_close - detach_sent_at, 4) if detach_sent_at is not None else None
        )
    if a.bytes:
        res["mb_per_s"] = round(a.bytes / 1e6 / (t_end - t0), 2)
    json.dump(res, sys.stdout)
    print()


class TextFilter:
    """Drops escape sequences and control bytes, keeping the printed text."""

    def __init__(self):
        self.state = "text"

    def feed(self, data):
        out = bytearray()
        for b in data:
            s = self.state
            if s == "text":
                if b == 0x1B:
                    self.state = "esc"
                elif b >= 0x20 and b != 0x7F:
                    out.append(b)
            elif s == "esc":
                if b == 0x5B:  # [
                    self.state = "csi"
                elif b in (0x5D, 0x50, 0x5F, 0x5E):  # ] P _ ^
                    self.state = "str"
                elif 0x20 <= b <= 0x2F:  # ( ) * + # % ...: one more byte
                    self.state = "esc1"
                else:
                    self.state = "text"
            elif s == "esc1":
                self.state = "text"
            elif s == "csi":
                if 0x40 <= b <= 0x7E:
                    self.state = "text"
            elif s == "str":
                if b == 0x07:
                    self.state = "text"
                elif b == 0x1B:
                    self.state = "str_esc"
            elif s == "str_esc":
                self.state = "text" if b == 0x5C else "str"
        return bytes(out)


def cmd_echo(a):
    master, proc = spawn(a.cmd, a.rows, a.cols)
    filt = TextFilter()
    poller = select.poll()
    poller.register(master, select.POLLIN)

    def wait_for(pred, timeout):
        end = time.perf_counter() + timeout
        while True:
            left = end - time.perf_counter()
            if left <= 0 or not poller.poll(int(left * 1000) + 1):
                if time.perf_counter() >= end:
                    return False
                continue
            chunk = read_chunk(master)
            if not chunk:
                return False
            if pred(filt.feed(chunk)):
                return True

    seen = bytearray()

    def ready(text):
        seen.extend(text)
        return b"READY" in seen

    ok = wait_for(ready, a.timeout)
    if not ok:
        tail = bytes(seen[-200:]).decode("utf-8", "replace")
        os.close(master)
        reap(proc, 3)
        die(f"echo: no READY from {a.cmd} within {a.timeout}s; screen text seen: {tail!r}")
    # Let attach-time work (redraws, resize nudges) pass before timing.
    wait_for(lambda t: False, a.warmup)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    samples = []
    lost = 0
    for i in range(-a.warmup_keys, a.samples):
        c = letters[i % len(letters)]
        t0 = time.perf_counter_ns()
        os.write(master, bytes([c]))
        if not wait_for(lambda t, c=c: c in t, 5.0):
            lost += 1
            if lost > 3:
                break
            continue
        if i >= 0:  # the first --warmup-keys are not timed
            samples.append((time.perf_counter_ns() - t0) / 1000.0)
        if i % 100 == 99:
            # Back to column 0 now and then (raw cat echoes \r as is): keeps the
            # echoes on one line, no scrolling.
            os.write(master, b"\r")
            wait_for(lambda t: False, 0.005)
    os.close(master)
    reap(proc, 3)
    if not samples:
        die(f"echo: no byte came back from {a.cmd}")
    if a.dump:
        with open(a.dump, "w") as f:
            f.write("".join(f"{v:.1f}\n" for v in samples))
    s = sorted(samples)
    med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
    p99 = s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]
    json.dump(
        {
            "samples": len(s),
            "lost": lost,
            "median_us": round(med, 1),
            "p99_us": round(p99, 1),
            "min_us": round(s[0], 1),
            "max_us": round(s[-1], 1),
        },
        sys.stdout,
    )
    print()


def cmd_create(a):
    times = []
    for i in range(a.first, a.first + a.count):
        argv = [w.replace("{i}", str(i)) for w in a.cmd]
        t0 = time.perf_counter()
        r = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        dt = (time.perf_counter() - t0) * 1000
        if r.returncode != 0:
            die(
                f"create: {' '.join(argv)} exited {r.returncode}: "
                f"{r.stderr.decode(errors='replace').strip()[-300:]}"
            )
        times.append(round(dt, 3))
    json.dump(times, sys.stdout)
    print()


def cmd_mkfile(a):
    os.makedirs(a.dir, exist_ok=True)
    times = []
    for i in range(a.count):
        t0 = time.perf_counter()
        fd = os.open(os.path.join(a.dir, f"f{i}"), os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        times.append((time.perf_counter() - t0) * 1e6)
        os.close(fd)
    for i in range(a.count):
        os.unlink(os.path.join(a.dir, f"f{i}"))
    os.rmdir(a.dir)
    json.dump(round(statistics.median(times), 1), sys.stdout)
    print()


def smaps(pid):
    vals = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                vals[parts[0].rstrip(":")] = int(parts[1])
    return vals


def cmd_pss(a):
    pss = dirty = rss = ticks = 0
    for pid in a.pids:
        try:
            v = smaps(pid)
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError as e:
            die(f"pss: cannot read /proc/{pid}: {e}")
        pss += v.get("Pss", 0)
        dirty += v.get("Private_Dirty", 0)
        rss += v.get("Rss", 0)
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    cpu = round(ticks / os.sysconf("SC_CLK_TCK"), 2)
    json.dump(
        {"pids": len(a.pids), "pss_kb": pss, "private_dirty_kb": dirty, "rss_kb": rss, "cpu_s": cpu},
        sys.stdout,
    )
    print()


def cmd_pids(a):
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if not argv or not argv[0]:
            continue
        if a.name and not os.path.basename(argv[0]).decode(errors="replace") == a.name:
            continue
        if a.text.encode() in b"\0".join(argv):
            found.append(int(d))
    print(" ".join(str(p) for p in sorted(found)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)

    r = sub.add_parser("run")
    r.add_argument("--rows", type=int, default=40)
    r.add_argument("--cols", type=int, default=120)
    r.add_argument("--timeout", type=float, default=120)
    r.add_argument("--bytes", type=int, default=0, help="payload size, for mb_per_s")
    r.add_argument("--expect-tail", help="text the output must end with (checked on the last 64 kB)")
    r.add_argument("--until-file")
    r.add_argument("--settle", type=float, default=0.5)
    r.add_argument("--keys", default="1c64", help="hex bytes typed after --until-file appears")
    r.add_argument("cmd", nargs=argparse.REMAINDER)

    e = sub.add_parser("echo")
    e.add_argument("--rows", type=int, default=40)
    e.add_argument("--cols", type=int, default=120)
    e.add_argument("--samples", type=int, default=1000)
    e.add_argument("--timeout", type=float, default=20)
    e.add_argument("--warmup", type=float, default=0.3, help="seconds to let attach-time work pass")
    e.add_argument("--warmup-keys", type=int, default=100, help="keystrokes sent first, untimed")
    e.add_argument("--dump", help="write every sample (us, in order) to this file")
    e.add_argument("cmd", nargs=argparse.REMAINDER)

    c = sub.add_parser("create")
    c.add_argument("--first", type=int, default=1)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("cmd", nargs=argparse.REMAINDER)

    m = sub.add_parser("mkfile")
    m.add_argument("--count", type=int, default=200)
    m.add_argument("dir")

    s = sub.add_parser("pss")
    s.add_argument("pids", nargs="+", type=int)

    q = sub.add_parser("pids")
    q.add_argument("--name", default="")
    q.add_argument("text")

    a = p.parse_args()
    if hasattr(a, "cmd"):
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        if not a.cmd:
            die(f"{a.what}: no command given")
    {
        "run": cmd_run,
        "echo": cmd_echo,
        "create": cmd_create,
        "pss": cmd_pss,
        "pids": cmd_pids,
        "mkfile": cmd_mkfile,
    }[a.what](a)


if __name__ == "__main__":
    main()
