#!/bin/bash
rec="$FAKE_AGENT_LOG/$$"
mkdir -p "$rec"
printf '%s\n' "$@" > "$rec/argv.tmp" && mv "$rec/argv.tmp" "$rec/argv"
pwd -P > "$rec/cwd"
env -0 > "$rec/env"
conv=""
while [ $# -gt 0 ]; do
  case "$1" in
    --session-id|--resume) conv="$2"; shift ;;
  esac
  shift
done
slug=$(pwd -P | sed 's/[^A-Za-z0-9]/-/g')
mkdir -p "$CLAUDE_CONFIG_DIR/projects/$slug"
printf '{"type":"user","sessionId":"%s"}\n' "$conv" >> "$CLAUDE_CONFIG_DIR/projects/$slug/$conv.jsonl"
# FAKE_AGENT_LEAVE: what a killed Claude Code leaves behind: its live
# registry entry and key, its messaging socket (bound, never removed).
if [ -n "${FAKE_AGENT_LEAVE:-}" ]; then
  mkdir -p "$CLAUDE_CONFIG_DIR/sessions" "$XDG_RUNTIME_DIR/cc-socks"
  echo '{}' > "$CLAUDE_CONFIG_DIR/sessions/$$.json"
  : > "$CLAUDE_CONFIG_DIR/sessions/$$.0123abcd.key"
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$XDG_RUNTIME_DIR/cc-socks/$$.sock"
fi
# FAKE_AGENT_SAY: a line to print first (what a failing Claude would say).
[ -n "${FAKE_AGENT_SAY:-}" ] && printf '%s\n' "$FAKE_AGENT_SAY"
mode="${FAKE_AGENT_MODE:-exit0}"
case "$mode" in
  exit*) touch "$rec/done"; exit "${mode#exit}" ;;
  hang) touch "$rec/ready"; exec sleep 600 ;;
  interactive)
    export FAKE_CONV="$conv"
    # Python runs a signal handler at once, even inside a blocking read
    # (bash defers traps until `read` returns), so a resize shows at once.
    # os.write, not print: a handler that prints while a print (or another
    # handler) is half done raises "reentrant call" and ends the agent.
    exec python3 -c '
import json, os, signal, sys
def say(text):
    os.write(1, (text + "\n").encode())
def size(*_):
    cols, rows = os.get_terminal_size(0)
    say(f"SIZE {rows} {cols}")
signal.signal(signal.SIGWINCH, size)
# FAKE_AGENT_FULLSCREEN: draw as Claude Code 2.1.332 does, in the
# alternate screen with mouse reporting, bracketed paste, focus events and
# the kitty and xterm keyboard protocols on; leave it all at exit.
full = os.environ.get("FAKE_AGENT_FULLSCREEN")
if full:
    os.write(1, b"\x1b[?2004h\x1b[?1004h\x1b[?1049h\x1b[2J\x1b[H"
                b"\x1b[?1000h\x1b[?1002h\x1b[?1006h\x1b[>1u\x1b[>4;2m")
# FAKE_AGENT_STATUS: say what it does in $CLAUDE_CONFIG_DIR/sessions/<pid>.json
# as Claude Code does (idle, busy, waiting, shell), and exit on SIGTERM as it
# does (code 143, the file removed); the lines "busy", "idle", "ask" and "bg"
# (a background shell) change it; "spawn" starts a process of its own in a
# session of its own, saying nothing.
status = os.environ.get("FAKE_AGENT_STATUS")
conv = os.environ.get("FAKE_CONV", "")
live = os.path.join(os.environ["CLAUDE_CONFIG_DIR"], "sessions", f"{os.getpid()}.json")
def report(state, waiting=None):
    if status:
        os.makedirs(os.path.dirname(live), exist_ok=True)
        with open(live + ".tmp", "w") as f:
            f.write(json.dumps({"status": state, "waitingFor": waiting, "sessionId": conv}))
        os.rename(live + ".tmp", live)
def term(*_):
    if os.environ.get("FAKE_AGENT_IGNORE_TERM"):
        return
    if os.path.exists(live):
        os.remove(live)
    os._exit(143)
if status:
    signal.signal(signal.SIGTERM, term)
    say(f"conversation:{conv}")
say("AGENT-READY")
report("idle")
for line in sys.stdin:
    line = line.rstrip("\n")
    if line in ("busy", "idle"):
        report(line)
    elif line == "ask":
        report("waiting", "permission prompt")
    elif line in ("bg", "spawn"):
        import subprocess
        subprocess.Popen(["setsid", "sleep", "300"])
        if line == "bg":
            report("shell")
    # Said once what it stands for is done.
    say(f"got:{line}")
    if line == "quit":
        if full:
            os.write(1, b"\x1b[?1006l\x1b[?1002l\x1b[?1000l\x1b[<u\x1b[>4m"
                        b"\x1b[?1049l\x1b[?2004l\x1b[?1004lResume with: fake\r\n")
        sys.exit(3)
' ;;
  killself) touch "$rec/done"; kill -9 $$ ;;
  flood)
    # FAKE_AGENT_FLOOD_MB of numbered lines, then FLOOD-END, then idle.
    python3 -c '
import os, sys
line = b"%08d the quick brown fox jumps over the lazy dog again and again\n"
for i in range(int(os.environ["FAKE_AGENT_FLOOD_MB"]) * 1024 * 1024 // 70):
    os.write(1, line % i)
os.write(1, b"FLOOD-END\n")
'
    touch "$rec/flooded"; exec sleep 600 ;;
esac
