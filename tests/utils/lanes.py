#!/usr/bin/env python
"""Run the integration targets in lanes side by side, each lane in its own world.

Usage: lanes.py --name NAME [--lanes N] [--lane I] [--targets "T1 T2"] [--list] -- COMMAND...

The targets are the ones `ansible-test integration --list-targets` names (so a new target under
tests/integration/targets joins a lane by itself), split into N lanes of about equal length by the
measured seconds in tests/utils/integration-times.txt; a target missing there counts with the
`time=` of its aliases file, or DEFAULT_SECONDS. Each lane runs COMMAND with its targets appended,
its own ansible-test scratch tree ($TMPDIR/mci-ansible-test-<checkout>-NAME-lane-I) and "{lane}" in
COMMAND replaced by lane-I, so the caller gives each lane its own fleetsim, output folder and secret
scan. Every lane writes to its own log (tests/output/lanes/NAME/lane-I.log); a failed lane's log end
is printed, and the exit status is 1 when any lane failed. The seconds ansible-test measured for
each target go to tests/output/lanes/NAME/lane-I-times.txt, in the format of integration-times.txt.

--lane I runs lane I alone (`make test` runs every lane as a step of its own); --targets runs just
those targets in one lane (to run one target alone); --list prints the split and runs nothing.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMES = os.path.join(HERE, "integration-times.txt")
TARGETS = os.path.join(ROOT, "tests", "integration", "targets")
DEFAULT_SECONDS = 60.0
TAIL_LINES = 150


def measured_times(path: str = TIMES) -> dict[str, float]:
    """target -> seconds, from lines 'target seconds' (# comments allowed)."""
    if not os.path.exists(path):
        return {}
    return {fields[0]: float(fields[1]) for fields in uncommented_fields(path) if len(fields) == 2}


def uncommented_fields(path: str) -> list[list[str]]:
    """The words of every line of PATH that has any once its comment ('#' to the end) is cut."""
    with open(path, encoding="utf-8") as handle:
        return [fields for fields in (line.split("#", 1)[0].split() for line in handle) if fields]


def alias_seconds(target: str) -> float | None:
    """The time=Ns (or Nm) hint of a target's aliases file, if it has one."""
    try:
        with open(os.path.join(TARGETS, target, "aliases"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    match = re.search(r"^time=(\d+)([sm]?)\s*$", text, re.MULTILINE)
    if not match:
        return None
    return float(match.group(1)) * (60 if match.group(2) == "m" else 1)


def estimate(target: str, times: dict[str, float]) -> float:
    if target in times:
        return times[target]
    hint = alias_seconds(target)
    return hint if hint is not None else DEFAULT_SECONDS


def split(targets: list[str], lanes: int, times: dict[str, float]) -> list[list[str]]:
    """Longest target first into the lane that is shortest so far (ties: the lower lane)."""
    buckets: list[list[str]] = [[] for _lane in range(lanes)]
    loads = [0.0] * lanes
    for target in sorted(targets, key=lambda t: (-estimate(t, times), t)):
        lane = min(range(lanes), key=lambda i: (loads[i], i))
        buckets[lane].append(target)
        loads[lane] += estimate(target, times)
    return [sorted(bucket) for bucket in buckets]


def list_targets(name: str) -> list[str]:
    """The targets ansible-test would run, asked in a scratch tree of their own."""
    env = dict(os.environ, ANSIBLE_TEST_TREE=tree(name, "list"))
    result = subprocess.run([os.path.join(ROOT, "tests", "run-ansible-test.sh"), "integration", "--list-targets"],
                            env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("ansible-test integration --list-targets failed")
    return [line.strip() for line in result.stdout.splitlines() if re.fullmatch(r"[A-Za-z0-9_.-]+", line.strip())]


def left_after(path: str, targets: list[str]) -> list[str]:
    """TARGETS without the ones the file at PATH lists; a listed name that is not a target is an error
    (a renamed target would otherwise run where the list meant to leave it out, or the list would rot)."""
    listed = {fields[0] for fields in uncommented_fields(path)}
    unknown = sorted(listed - set(targets))
    if unknown:
        raise SystemExit(f"{path} lists targets that do not exist: {', '.join(unknown)}; remove or rename them there")
    print(f"left out ({os.path.relpath(path, ROOT)}): {' '.join(sorted(listed))}", flush=True)
    return [target for target in targets if target not in listed]


def tree(name: str, label: str) -> str:
    """The lane's ansible-test scratch tree (tests/run-ansible-test.sh names its default ones so too)."""
    checkout = hashlib.sha1(ROOT.encode()).hexdigest()[:10]
    return os.path.join(os.environ.get("TMPDIR", "/tmp"), f"mci-ansible-test-{checkout}-{name}-{label}")


def write_times(tree_root: str, out: str) -> list[str]:
    """Copy the run time of each target from ansible-test's last result file to OUT; return the lines."""
    found = sorted(glob.glob(os.path.join(tree_root, "ansible_collections", "*", "*", "tests", "output", "data", "integration-*.json")))
    if not found:
        return []
    with open(found[-1], encoding="utf-8") as handle:
        targets = json.load(handle).get("targets", {})
    lines = [f"{target} {result['run_time_seconds']}" for target, result in sorted(targets.items())]
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))
    return lines


def run_lanes(name: str, plan: dict[int, list[str]], command: list[str]) -> int:
    logs = os.path.join(ROOT, "tests", "output", "lanes", name)
    os.makedirs(logs, exist_ok=True)
    running = []
    for lane, targets in plan.items():
        label = f"lane-{lane}"
        log_path = os.path.join(logs, f"{label}.log")
        argv = [part.replace("{lane}", label) for part in command] + targets
        env = dict(os.environ, ANSIBLE_TEST_TREE=tree(name, label))   # one tree per lane, never a shared one
        log = open(log_path, "w", encoding="utf-8")   # closed below, after the lane ends
        print(f"{name} {label}: {' '.join(targets)} (log: {os.path.relpath(log_path, ROOT)})", flush=True)
        running.append((lane, log_path, log, time.monotonic(), subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)))
    failed = []
    for lane, log_path, log, started, process in running:
        status = process.wait()
        log.close()
        seconds = time.monotonic() - started
        times = write_times(tree(name, f"lane-{lane}"), os.path.join(logs, f"lane-{lane}-times.txt"))
        print(f"{name} lane-{lane}: {'ok' if status == 0 else f'FAILED (status {status})'} in {seconds:.0f} s"
              f" ({', '.join(times) or 'no target times'})", flush=True)
        if status != 0:
            failed.append((lane, log_path))
    for lane, log_path in failed:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            tail = handle.readlines()[-TAIL_LINES:]
        sys.stderr.write(f"\n===== {name} lane-{lane} failed; the last {len(tail)} lines of {os.path.relpath(log_path, ROOT)}:\n")
        sys.stderr.writelines(tail)
    if failed:
        sys.stderr.write(f"{name}: lane(s) {', '.join(str(lane) for lane, _log in failed)} failed; logs in {os.path.relpath(logs, ROOT)}\n")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        raise SystemExit("usage: lanes.py --name NAME [--lanes N] [--lane I] [--targets T...] [--list] -- COMMAND...")
    cut = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="names the lanes' logs and scratch trees (integration, integration-oldest)")
    parser.add_argument("--lanes", type=int, default=3)
    parser.add_argument("--lane", type=int, help="run only this lane (1..N)")
    parser.add_argument("--targets", default="", help="run only these targets (space or comma separated), in one lane")
    parser.add_argument("--list", action="store_true", help="print the split, run nothing")
    parser.add_argument("--skip-listed", metavar="FILE", help="leave out the targets FILE lists (one a line, '# why' after it)")
    args = parser.parse_args(argv[:cut])
    command = argv[cut + 1:]
    if not command:
        parser.error("no command after --")
    if args.lanes < 1 or (args.lane is not None and not 1 <= args.lane <= args.lanes):
        parser.error(f"--lane must be between 1 and --lanes ({args.lanes})")

    wanted = [t for t in re.split(r"[\s,]+", args.targets) if t]
    if wanted:
        plan = {1: wanted}
    else:
        times = measured_times()
        targets = list_targets(args.name)
        if args.skip_listed:
            targets = left_after(args.skip_listed, targets)
        lanes = split(targets, args.lanes, times)
        plan = {i + 1: lanes[i] for i in range(args.lanes) if args.lane in (None, i + 1)}
        for lane, targets in plan.items():
            if not targets:
                print(f"{args.name} lane-{lane}: no targets (more lanes than targets)")
        plan = {lane: targets for lane, targets in plan.items() if targets}
        if args.list:
            for lane, targets in plan.items():
                total = sum(estimate(t, times) for t in targets)
                print(f"lane-{lane} ~{total:.0f} s: {' '.join(targets)}")
            return 0
    return run_lanes(args.name, plan, command)


if __name__ == "__main__":
    sys.exit(main())
