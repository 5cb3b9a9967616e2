"""Load run: 20 ansible-playbook processes waiting at once on one fleetsim, on overlapping commands.

One fleetsim; tests/chaos/load_start.yml starts a long bulk command (60 instances) and a health
check (3 healthy, 1 broken, 1 terminated) on every provider; then 20 processes of
tests/chaos/load_wait.yml wait at the same time, process i on provider i mod 3 and on the bulk
command, the check command or both (so every command has several waiters). Checks: every process
ends by itself with exit status 0, none is killed (by the OOM killer or anything else), every
verdict and count is right. Prints one line per process with its peak memory (ru_maxrss).

Usage: load.py [--processes N] [--seconds S]. Exit status 1 when a check fails.
Needs ansible-playbook and fleetsim on PATH and ANSIBLE_COLLECTIONS_PATH set (the Makefile does it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from chaos import HERE, PROVIDERS, _control, _start_fleetsim

# What each command must end as, by the fleet in tests/chaos/fleet.yml.
EXPECTED = {
    ("bulk",): ("success", {"success": 60}),
    ("check",): ("failed", {"success": 3, "failed": 1, "undeliverable": 1}),
    ("bulk", "check"): ("failed", {"success": 63, "failed": 1, "undeliverable": 1}),
}
CHOICES = (("bulk",), ("check",), ("bulk", "check"))


def _ids(started: dict[str, list[dict[str, Any]]], provider: str, kinds: tuple[str, ...]) -> list[str]:
    ids = []
    for kind in kinds:
        result = next(r for r in started[kind] if r["item"] == provider)
        ids.append(result["command_id"] if provider == "aws_ssm" else result["invocation_id"])
    return ids


def _wait_all(processes: list[tuple[int, str, tuple[str, ...], subprocess.Popen, str]]) -> dict[int, tuple[int, int]]:
    """index -> (raw wait status, peak RSS in KiB) of every process, from wait4 (one process's own rusage)."""
    ended = {}
    for index, _provider, _kinds, process, _out in processes:
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)   # reaped here; Popen must not wait again
        ended[index] = (status, usage.ru_maxrss)
    return ended


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=50, help="how long the shared commands run (default 50: longer than 20 processes take to start)")
    args = parser.parse_args(argv)
    problems: list[str] = []
    started_at = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        server, url = _start_fleetsim("throttle=0", scratch)
        try:
            env = dict(os.environ, FLEETSIM_URL=url, ANSIBLE_NOCOLOR="1")
            start_out = os.path.join(scratch, "started.json")
            first = subprocess.run(["ansible-playbook", "-i", os.path.join(HERE, "inventory.ini"), os.path.join(HERE, "load_start.yml"),
                                    "-e", json.dumps({"load_out": start_out, "load_seconds": args.seconds})],
                                   env=env, capture_output=True, text=True, timeout=300, check=False)
            if first.returncode != 0:
                sys.stderr.write(f"starting the shared commands failed:\n{first.stdout[-3000:]}{first.stderr[-2000:]}\n")
                return 1
            with open(start_out, encoding="utf-8") as handle:
                started = json.load(handle)
            processes = []
            for index in range(args.processes):
                provider, kinds = PROVIDERS[index % len(PROVIDERS)], CHOICES[(index // len(PROVIDERS)) % len(CHOICES)]
                out = os.path.join(scratch, f"wait-{index}.json")
                command = ["ansible-playbook", "-i", os.path.join(HERE, "inventory.ini"), os.path.join(HERE, "load_wait.yml"),
                           "-e", json.dumps({"load_out": out, "load_provider": provider, "load_ids": _ids(started, provider, kinds)})]
                log = os.path.join(scratch, f"wait-{index}.log")
                with open(log, "w", encoding="utf-8") as handle:
                    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
                processes.append((index, provider, kinds, process, out))
            ended = _wait_all(processes)
            stats = _control(url, "stats")
        finally:
            server.terminate()
            server.wait(timeout=30)
        peak_total = 0
        for index, provider, kinds, _process, out in processes:
            status, peak_kib = ended[index]
            peak_total += peak_kib
            line = f"process {index:2d} {provider:12s} {'+'.join(kinds):10s} peak RSS {peak_kib / 1024:6.1f} MiB"   # its own or a reaped child's
            if os.WIFSIGNALED(status):
                name = signal.Signals(os.WTERMSIG(status)).name
                problems.append(f"process {index}: killed by {name}")
                print(f"{line}  KILLED by {name}")
                continue
            code = os.WEXITSTATUS(status)
            with open(os.path.join(scratch, f"wait-{index}.log"), encoding="utf-8") as handle:
                output = handle.read()
            if code != 0 or "Traceback" in output or not os.path.exists(out):
                problems.append(f"process {index}: exit status {code}\n{output[-1500:]}")
                print(f"{line}  FAILED (exit {code})")
                continue
            with open(out, encoding="utf-8") as handle:
                result = json.load(handle)
            verdict, counts = EXPECTED[kinds]
            seen = {name: value for name, value in (result.get("summary") or {}).get("counts", {}).items() if value}
            if result.get("verdict") != verdict or seen != counts:
                problems.append(f"process {index}: verdict {result.get('verdict')!r} counts {seen}, expected {verdict!r} {counts}")
                print(f"{line}  WRONG: {result.get('verdict')} {seen}")
                continue
            print(f"{line}  {verdict} {seen} in {result.get('elapsed')}s, {result.get('api_calls')} API calls")
    print(f"\n{args.processes} waiting processes on one fleetsim: {args.processes - len(problems)} right, {len(problems)} wrong; "
          f"summed peak RSS {peak_total / 1024:.0f} MiB; fleetsim served {stats.get('total')} vendor requests "
          f"({stats.get('throttled')} throttled); {time.monotonic() - started_at:.0f}s in all")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
