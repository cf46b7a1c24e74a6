"""Run one command and measure it from outside (any runtime: node, python):
   python3 bench/measure.py [--timeout SECONDS] -- <command> [args...]
Prints one JSON line: {"wallMs", "maxRssBytes", "exitCode", "signal", "timedOut", "stdout", "stderr"}.
maxRssBytes is the child's peak resident set size from wait4()'s rusage (Linux reports ru_maxrss in KiB), i.e. the
process's own high-water mark, not a sample. stdout/stderr are the child's last 64 KiB of each."""
import json, os, subprocess, sys, tempfile, threading, time

args = sys.argv[1:]
timeout = None
if args[:1] == ["--timeout"]:
    timeout = float(args[1])
    args = args[2:]
if args[:1] == ["--"]:
    args = args[1:]

with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    timed_out = []
    timer = threading.Timer(timeout, lambda: (timed_out.append(1), p.kill())) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(p.pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    if timer:
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)

    def tail(f):
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 65536))
        return f.read().decode("utf8", "replace")

    print(json.dumps({
        "wallMs": wall,
        "maxRssBytes": usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
        "exitCode": p.returncode if p.returncode >= 0 else None,
        "signal": -p.returncode if p.returncode < 0 else None,
        "timedOut": bool(timed_out),
        "stdout": tail(out),
        "stderr": tail(err),
    }))
