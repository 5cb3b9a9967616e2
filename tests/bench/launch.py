"""Run a command and write its process tree's CPU seconds and peak memory as JSON.

Usage: python -S launch.py OUT_JSON COMMAND [ARGS...]

Why a separate small process: Linux keeps a process's peak RSS across exec, including the memory
it had as a fresh copy (or vfork sibling) of its parent. Started straight from the harness, every
contender would be charged with the harness's own memory. This launcher is small, so what it
starts begins small. rusage covers the command and every descendant it reaped. The moment the
command exited is the contender's return, noted here so that nothing inside the measured tree
records it.
"""

import json
import os
import sys
import time


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _pid, status, usage = os.wait4(pid, 0)
    # The moment the contender returned, taken outside its process tree (fleetsim's timeline uses the same clock).
    exited_at = time.time()
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"exit": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss,
                   "exited_at": exited_at}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
