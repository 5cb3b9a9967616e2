#!/usr/bin/env python
"""`make test`: run its steps side by side as far as the cores allow, then print a table of their times.

Usage: run-steps.py [--jobs N] [--cores N] [--lanes N] [--only STEP ...] [--list]

Every step is one make command (so `make STEP` runs it alone, see README "Running one step or one target") and writes its
output to build/test-logs/STEP.log. A step starts when the steps it needs have passed and its CPU
weight fits: the weights of the running steps add up to at most OVERCOMMIT x CORES (default: 2 x
this machine's count), where a step that mostly waits on I/O (an integration lane) weighs a quarter
core and one that keeps every core busy (pylint --jobs 0, pytest -n auto, 20 playbooks at once)
weighs CORES. Twice the cores: no step keeps its cores busy all the time (they start processes,
wait on fleetsim and pip), so two heavy steps side by side finish sooner than one after the other.
Steps start in the order of their critical path (their measured time plus the longest chain of
steps waiting for them), and a step that does not fit yet holds back the ones after it, so that a
heavy step is not starved by a stream of light ones. A failed step
does not stop the others (its dependants are skipped, not run); its log end is printed at once and
its name again at the end, and the exit status is 1. Standard library only: it runs before .venv
exists. Needs: GNU make on PATH. Stdout shows a line per step start and end, then the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOGS = os.path.join(ROOT, "build", "test-logs")
TAIL_LINES = 150


@dataclasses.dataclass
class Step:
    name: str
    make: list[str]                 # make arguments: the target and any variables
    needs: tuple[str, ...] = ()
    weight: float = 1.0             # cores it keeps busy while it runs (rough)
    seconds: float = 60.0           # measured wall time alone on 2 idle cores (for the order only)
    status: str = "waiting"
    started: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0
    process: subprocess.Popen | None = None
    log: object = None


def steps(lanes: int, cores: float) -> list[Step]:
    """The steps of `make test`. `seconds`: the serial run's wall times on 2 busy cores (load about
    10), used only to order the steps; a new step without a measurement just gets the default."""
    table = [
        Step("setup", ["setup"], weight=1, seconds=72),
        Step("setup-oldest", [".venvs/ansible-core-2.17/.installed"], weight=1, seconds=39),
        Step("sanity-pylint", ["sanity-pylint"], ("setup",), weight=cores, seconds=340),
        Step("sanity-other", ["sanity-other"], ("setup",), weight=1, seconds=150),
        Step("units", ["units"], ("setup",), weight=cores, seconds=222),
        Step("units-oldest", ["units-oldest"], ("setup-oldest",), weight=cores, seconds=222),
        Step("fleetsim-test", ["fleetsim-test"], ("setup",), weight=1, seconds=60),
        Step("lint", ["lint"], ("setup",), weight=1, seconds=115),
        # Every example of the README, the guides and EXAMPLES, each against its own fleetsim.
        Step("examples", ["examples"], ("setup",), weight=1, seconds=300),
        # The same on ansible-core 2.17, one example at a time (it mostly waits on its fleetsims).
        Step("examples-oldest", ["examples-oldest"], ("setup-oldest", "setup"), weight=0.5, seconds=300),
        Step("release-checks", ["release-checks"], ("setup",), weight=1, seconds=60),
        Step("release-installed", ["release-installed"], ("release-checks",), weight=0.5, seconds=40),
        Step("release-installed-oldest", ["release-installed-oldest"], ("release-checks", "setup-oldest"), weight=0.5, seconds=40),
        Step("release-ee", ["release-ee"], ("release-checks",), weight=0.5, seconds=15),
        Step("release-docs", ["release-docs"], ("release-checks",), weight=1, seconds=90),
        Step("bench-quick", ["bench-quick"], ("setup",), weight=1, seconds=60),
        # ansible-rulebook in its own venv, with a Java runtime (installed from the Debian packages if missing).
        Step("setup-eda", [".venvs/eda/.installed"], weight=1, seconds=90),
        # The example rulebook with the event source, on ansible-core 2.19 and 2.17 (tests/eda).
        Step("eda", ["eda"], ("setup-eda", "setup-oldest"), weight=0.5, seconds=30),
        Step("chaos-quick", ["chaos-quick"], ("setup",), weight=cores, seconds=45),
        Step("load-quick", ["load-quick"], ("setup",), weight=cores, seconds=50),
    ]
    # Integration: about 1,300 s one target after another (the serial run), in `lanes` equal lanes.
    # A lane waits on fleetsim's clock most of the time: 106-188 s of CPU in 730-938 s of wall in
    # the make test of 2026-12-03, so a quarter core, and pylint or the units run beside the lanes.
    for lane in range(1, lanes + 1):
        table.append(Step(f"integration-lane-{lane}", ["integration", f"LANE={lane}", f"INTEGRATION_LANES={lanes}"],
                          ("setup",), weight=0.25, seconds=1300 / lanes))
        table.append(Step(f"integration-oldest-lane-{lane}", ["integration-oldest", f"LANE={lane}", f"INTEGRATION_LANES={lanes}"],
                          ("setup-oldest",), weight=0.25, seconds=1100 / lanes))
    return table


def loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def tail(path: str, lines: int = TAIL_LINES) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return "".join(handle.readlines()[-lines:])


class Runner:
    def __init__(self, table: list[Step], cores: float, overcommit: float, jobs: int | None):
        self.table = {step.name: step for step in table}
        self.cores = cores
        self.capacity = cores * overcommit
        self.jobs = jobs
        self.make = os.environ.get("MAKE", "make")
        self.path = {name: self.critical_path(name) for name in self.table}

    def critical_path(self, name: str) -> float:
        """Seconds from this step's start to the end of the longest chain of steps that need it."""
        after = [self.critical_path(other.name) for other in self.table.values() if name in other.needs]
        return self.table[name].seconds + max(after, default=0.0)

    def running(self) -> list[Step]:
        return [step for step in self.table.values() if step.status == "running"]

    def ready(self) -> list[Step]:
        ready = []
        for step in self.table.values():
            if step.status != "waiting":
                continue
            needs = [self.table[need] for need in step.needs if need in self.table]
            if any(need.status in ("FAILED", "skipped") for need in needs):
                step.status = "skipped"
                print(f"[{self.clock()}] skipped {step.name}: it needs {', '.join(n.name for n in needs if n.status != 'ok')}", flush=True)
                continue
            if all(need.status == "ok" for need in needs):
                ready.append(step)
        return sorted(ready, key=lambda step: -self.path[step.name])

    def clock(self) -> str:
        return f"{time.monotonic() - self.began:6.0f}s"

    def start(self, step: Step) -> None:
        path = os.path.join(LOGS, f"{step.name}.log")
        step.log = open(path, "w", encoding="utf-8")   # closed in finish()
        # -s: the log holds the commands' output; MAKEFLAGS cleared so no jobserver is inherited.
        argv = [self.make, "--no-print-directory", "-C", ROOT] + step.make
        env = dict(os.environ)
        env.pop("MAKEFLAGS", None)
        env.pop("MFLAGS", None)
        step.log.write(f"$ {' '.join(argv)}\n")
        step.log.flush()
        step.started = time.monotonic()
        step.process = subprocess.Popen(argv, stdout=step.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=env, start_new_session=True)
        step.status = "running"
        print(f"[{self.clock()}] start   {step.name} (load {loadavg()})", flush=True)

    def finish(self, step: Step, wait_status: int, usage) -> None:
        step.wall = time.monotonic() - step.started
        step.cpu = usage.ru_utime + usage.ru_stime
        step.log.close()
        code = os.waitstatus_to_exitcode(wait_status)
        step.process.returncode = code
        step.status = "ok" if code == 0 else "FAILED"
        log = os.path.relpath(os.path.join(LOGS, f"{step.name}.log"), ROOT)
        print(f"[{self.clock()}] {step.status:7s} {step.name} in {step.wall:.0f} s (cpu {step.cpu:.0f} s, load {loadavg()})", flush=True)
        if code != 0:
            sys.stdout.write(f"\n===== step {step.name} failed (make {' '.join(step.make)}: status {code}); "
                             f"the last {TAIL_LINES} lines of {log}:\n{tail(os.path.join(LOGS, f'{step.name}.log'))}"
                             f"===== end of {log}\n\n")
            sys.stdout.flush()

    def fits(self, step: Step) -> bool:
        running = self.running()
        if not running:
            return True
        if self.jobs is not None:
            return len(running) < self.jobs
        return sum(s.weight for s in running) + min(step.weight, self.capacity) <= self.capacity + 1e-9

    def run(self) -> int:
        os.makedirs(LOGS, exist_ok=True)
        self.began = time.monotonic()
        self.began_wall = time.time()
        self.load_start = loadavg()
        print(f"make test: {len(self.table)} steps, logs in {os.path.relpath(LOGS, ROOT)}/ (load {self.load_start})", flush=True)
        while True:
            for step in self.ready():
                if not self.fits(step):
                    break
                self.start(step)
            running = self.running()
            if not running:
                break
            pid, wait_status, usage = os.wait4(-1, 0)
            for step in running:
                if step.process.pid == pid:
                    self.finish(step, wait_status, usage)
        self.total = time.monotonic() - self.began
        return self.report()

    def report(self) -> int:
        print(f"\nmake test: steps (wall and CPU seconds; {self.cores:g} cores, weight {self.capacity:g} at once;"
              f" load average at start {self.load_start}, at end {loadavg()})")
        print(f"  {'step':32s} {'status':8s} {'start':>7s} {'wall':>7s} {'cpu':>7s}")
        for step in sorted(self.table.values(), key=lambda s: (s.started or float("inf"))):
            start = f"{step.started - self.began:7.0f}" if step.started else "      -"
            print(f"  {step.name:32s} {step.status:8s} {start} {step.wall:7.0f} {step.cpu:7.0f}")
        print(f"  {'total':32s} {'':8s} {'':7s} {self.total:7.0f} {sum(s.cpu for s in self.table.values()):7.0f}")
        per_target = []
        for path in sorted(glob.glob(os.path.join(ROOT, "tests", "output", "lanes", "*", "lane-*-times.txt"))):
            if os.path.getmtime(path) < self.began_wall:   # from an earlier run
                continue
            lane = os.path.relpath(path, os.path.join(ROOT, "tests", "output", "lanes")).replace("-times.txt", "")
            with open(path, encoding="utf-8") as handle:
                per_target += [f"{lane}: {line.strip()} s" for line in handle if line.strip()]
        if per_target:
            print("integration targets (ansible-test's seconds per target, by lane):")
            print("".join(f"  {line}\n" for line in per_target), end="")
        failed = [step.name for step in self.table.values() if step.status == "FAILED"]
        skipped = [step.name for step in self.table.values() if step.status == "skipped"]
        if failed:
            print(f"make test FAILED: {', '.join(failed)}" + (f" (skipped: {', '.join(skipped)})" if skipped else "")
                  + f"; logs in {os.path.relpath(LOGS, ROOT)}/")
            return 1
        print(f"make test passed in {self.total:.0f} s")
        return 0

    def stop(self, signum, _frame) -> None:
        for step in self.running():
            try:
                os.killpg(step.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        print(f"\nmake test interrupted (signal {signum}); stopped: {', '.join(s.name for s in self.running()) or 'nothing'}", flush=True)
        sys.exit(130)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=float, default=float(os.cpu_count() or 2), help="CPU weight that may run at once (default: the core count)")
    parser.add_argument("--overcommit", type=float, default=2.0, help="weight that may run at once, in cores (default 2)")
    parser.add_argument("--jobs", type=int, help="run at most this many steps at once, whatever their weight (1: one after the other)")
    parser.add_argument("--lanes", type=int, default=3, help="integration lanes per ansible-core version (default 3)")
    parser.add_argument("--only", nargs="+", metavar="STEP", help="run only these steps (and nothing they need: those must be done)")
    parser.add_argument("--list", action="store_true", help="print the steps and what they need, run nothing")
    args = parser.parse_args(argv)
    table = steps(args.lanes, args.cores)
    if args.list:
        for step in table:
            print(f"{step.name:32s} make {' '.join(step.make):45s} needs: {', '.join(step.needs) or '-'}")
        return 0
    if args.only:
        unknown = set(args.only) - {step.name for step in table}
        if unknown:
            parser.error(f"unknown step(s): {', '.join(sorted(unknown))} (--list names them)")
        table = [dataclasses.replace(step, needs=()) for step in table if step.name in args.only]
    runner = Runner(table, args.cores, args.overcommit, args.jobs)
    signal.signal(signal.SIGTERM, runner.stop)
    signal.signal(signal.SIGINT, runner.stop)
    return runner.run()


if __name__ == "__main__":
    sys.exit(main())
