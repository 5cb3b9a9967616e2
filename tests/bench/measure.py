"""One measured run: start fleetsim, send, run a contender as a process tree, collect the figures."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

import contenders
import fleet as fleetsim_run

# A contender still running after this long is stopped and its run marked wrong.
RUN_LIMIT = 420


@dataclasses.dataclass
class Figures:
    scenario: str
    instances: int
    commands: int
    rate_limit: float
    contender: str
    run: int  # 1, 2, 3...: the bench runs every contender several times and reports medians
    api_calls: int
    throttled: int
    calls_by_operation: str
    polls: int | None  # poll rounds, where the contender says
    sqs_calls: int | None  # SQS requests (ReceiveMessage, DeleteMessageBatch), counted apart: the events contender only
    events_woke: int | None  # poll rounds an event started early (its result's events.woke_rounds)
    lag_fleet: float | None  # the contender's return minus the last instance's end
    lag_p50: float | None  # per instance, where the contender reports per instance
    lag_p95: float | None
    cpu_seconds: float
    peak_mb: float
    wall_seconds: float
    verdict_right: bool | None  # None for a baseline, which judges nothing
    errors: int
    notes: str


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def _run_process(argv: list[str], env: dict[str, str], log_path: str) -> tuple[int, float, float, float, float | None]:
    """(exit status, CPU seconds of the whole tree, peak RSS in MB, wall seconds, exit moment), through launch.py."""
    usage_path = log_path + ".usage"
    launcher = [sys.executable, "-S", os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py"), usage_path] + argv
    started = time.monotonic()
    actions = [(os.POSIX_SPAWN_OPEN, 1, log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), (os.POSIX_SPAWN_DUP2, 1, 2),
               (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
    pid = os.posix_spawn(launcher[0], launcher, env, file_actions=actions, setsid=True)
    deadline = started + RUN_LIMIT
    while True:
        done, status, _usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.05)
    wall = time.monotonic() - started
    try:
        with open(usage_path, encoding="utf-8") as handle:
            usage = json.load(handle)
    except (OSError, ValueError):
        return os.waitstatus_to_exitcode(status) or -1, 0.0, 0.0, wall, None
    # ru_maxrss is in KiB on Linux: the largest single process of the tree.
    return usage["exit"], usage["cpu"], usage["maxrss_kib"] / 1024.0, wall, usage["exited_at"]


# The pause between sending the commands and starting the contender, per repeat: the same for every
# contender of a repeat, spread over one poll interval (2 s, the default of invocation_wait and the
# peers' fixed interval) across repeats. A large fleet's last instance ends at the same moment after
# the send whatever the seed (the largest of many uniform draws is the range's end), so without it a
# peer that polls at fixed moments would meet the last end at the same point of its interval in
# every repeat, and its lag would be that one point's rather than its typical one.
START_SPREAD_SECONDS = 2.0
GOLDEN_FRACTION = 0.6180339887


def start_offset(number: int) -> float:
    """Seconds to wait before starting the contender of repeat ``number`` (1 for the first): 0, then
    points that fill the interval evenly (the golden-ratio sequence), the same for every contender."""
    return round(((number - 1) * GOLDEN_FRACTION) % 1.0 * START_SPREAD_SECONDS, 3)


def run(scenario: fleetsim_run.Scenario, contender: str, tools: dict, keep_logs: str, number: int = 1) -> Figures:
    """One measured run; tools["moto"] (a queues.MotoServer) is needed by the events contenders."""
    fleet = fleetsim_run.start(scenario, tools["fleetsim"])
    event_queue = None
    try:
        if contender in contenders.EVENT_CONTENDERS:
            # A fresh queue, and fleetsim told to fill it by the guide's rules before the command goes out.
            event_queue = (tools["moto"].fresh_queue(), tools["moto"].url)
            fleet.control("events", {"queue_url": event_queue[0], "endpoint_url": event_queue[1], "patterns": contenders.GUIDE_EVENT_PATTERNS})
        if contender not in contenders.BASELINES:
            fleetsim_run.send_commands(fleet, scenario)
            time.sleep(start_offset(number))
        before = fleet.control("stats")
        argv, env, result_path = contenders.command_line(contender, fleet.url, fleet.command_targets, fleet.scratch, tools,
                                                         scenario.provider, event_queue)
        log_path = os.path.join(keep_logs, f"{scenario.name}-{contender.replace('/', '-')}-{number}.log")
        code, cpu, peak, wall, exited_at = _run_process(argv, env, log_path)
        after = fleet.control("stats")
        emitted = fleet.control("events") if event_queue else {}
        timeline = fleet.control("timeline")
        reported = contenders.parse(contender, result_path, fleet.command_targets, log_path)
        # Every contender's return is the moment its process ended, taken by the launcher outside the
        # measured tree; per-instance moments stay the contender's own.
        reported.returned_at = exited_at
        vendor_ids = fleet.vendor_ids
        if event_queue:
            # Read at once after the wait returned: how far fleetsim's delivery had got by then.
            reported.notes.append(f"fleetsim had put {emitted.get('sent')} of {emitted.get('emitted')} status events in the queue "
                                  f"when the wait returned")
            if emitted.get("send_failures"):
                reported.notes.append(f"fleetsim failed to deliver {emitted['send_failures']} events")
    finally:
        fleet.stop()
        shutil.rmtree(fleet.scratch, ignore_errors=True)
        if event_queue:
            tools["moto"].delete_queue(event_queue[0])
    return _figures(scenario, contender, number, (before, after, timeline, vendor_ids), reported, code, cpu, peak, wall)


def _figures(scenario, contender, number, fleetsim_view, reported, code, cpu, peak, wall) -> Figures:  # pylint: disable=too-many-arguments
    before, after, timeline, vendor_ids = fleetsim_view
    ops_before = before["requests"].get(scenario.provider, {})
    ops_after = after["requests"].get(scenario.provider, {})
    by_operation = {op: count - ops_before.get(op, 0) for op, count in ops_after.items() if count - ops_before.get(op, 0)}
    ended = {}
    truth = {}
    for command in timeline["commands"]:
        for item in command["invocations"]:
            # The timeline names instances by fleetsim's own id; contenders by the vendor's.
            key = (command["command_id"], vendor_ids.get(item["instance_id"], item["instance_id"]))
            ended[key] = item["ended_at"]
            truth[key] = "success" if item["phase"] == "success" else ("open" if item["ended_at"] is None else "failed")
    notes = list(reported.notes)
    all_ended = all(value is not None for value in ended.values())
    if not all_ended:
        notes.append(f"{sum(1 for v in ended.values() if v is None)} invocations had not ended when the contender returned")
    last_end = max((value for value in ended.values() if value is not None), default=None)
    lag_fleet = None
    if reported.returned_at is not None and last_end is not None and all_ended:
        lag_fleet = reported.returned_at - last_end
    per_instance = [at - ended[key] for key, at in reported.per_instance_at.items() if ended.get(key) is not None]
    errors = sum(1 for outcome in reported.outcomes.values() if outcome == "error")
    verdict_right = code == 0 and all_ended and reported.outcomes == truth
    if contender in contenders.BASELINES:
        verdict_right, notes = None, ([f"exit status {code}"] if code else [])
    elif code != 0:
        notes.append(f"exit status {code}")
    if verdict_right is False and reported.outcomes != truth and all_ended:
        wrong = [key[1] for key in truth if reported.outcomes.get(key) != truth[key]]
        notes.append(f"{len(wrong)} instances judged wrong or missing (e.g. {', '.join(wrong[:3])})")
    return Figures(
        scenario=scenario.name,
        instances=scenario.waited,
        commands=scenario.commands,
        rate_limit=scenario.rate_limit,
        contender=contender,
        run=number,
        api_calls=after["total"] - before["total"],
        throttled=after["throttled"] - before["throttled"],
        polls=reported.polls,
        sqs_calls=None if not reported.events else reported.events.get("sqs_calls"),
        events_woke=None if not reported.events else reported.events.get("woke_rounds"),
        calls_by_operation=" ".join(f"{op}={count}" for op, count in sorted(by_operation.items())),
        lag_fleet=None if lag_fleet is None else round(lag_fleet, 2),
        lag_p50=None if not per_instance else round(percentile(per_instance, 0.50), 2),
        lag_p95=None if not per_instance else round(percentile(per_instance, 0.95), 2),
        cpu_seconds=round(cpu, 2),
        peak_mb=round(peak, 1),
        wall_seconds=round(wall, 1),
        verdict_right=verdict_right,
        errors=errors,
        notes="; ".join(notes),
    )


def scratch_dir() -> str:
    return tempfile.mkdtemp(prefix="bench-")
