"""Time one command as a child process: ``python -m benchmarks.launch LOG TIMEOUT -- CMD...``.

Prints one JSON line: wall seconds (start to exit), the child's peak RSS (``ru_maxrss`` from
``os.wait4``), user and system CPU seconds, exit status. It imports nothing but the standard
library's basics on purpose: Linux carries the spawning process's peak RSS over into the
child's ``ru_maxrss`` at ``exec``, so the process that spawns the measured one must stay
small (a benchmark harness that has pandas loaded would add its own ~150 MB to every figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

__all__ = ["main", "run"]


def run(command: list[str], log: str, timeout: float | None) -> dict[str, float | int]:
    """Run ``command`` with output to ``log``; kill it after ``timeout`` seconds (if given)."""
    with open(log, "w") as output:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = None if timeout is None else start + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(child.pid, 0 if deadline is None else os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                child.kill()
                timed_out = True
            time.sleep(0.02)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "user_s": round(usage.ru_utime, 2),
        "sys_s": round(usage.ru_stime, 2),
        "exit": child.returncode,
        "timed_out": timed_out,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 4 or args[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    log, timeout, command = args[0], float(args[1]), args[3:]
    print(json.dumps(run(command, log, timeout if timeout > 0 else None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
