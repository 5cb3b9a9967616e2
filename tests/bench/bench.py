"""`make bench`: every scenario once per contender against fleetsim, then the table, CSV and chart.

Usage: python tests/bench/bench.py --out DIR [--quick] [--only SCENARIO ...]
BENCH_QUICK=1 (or --quick) runs the small CI smoke set; its outputs go where --out says.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import shutil
import sys
import time

import contenders
import measure
import queues
import report
from fleet import Scenario

ALL_PEERS = ("invocation_wait", "ssm_counters", "boto3_waiter", "aws_cli_wait", "until_loop")

FULL = (
    Scenario("one-10", 10, contenders=ALL_PEERS, title="1 command, 10 instances (real processes)"),
    Scenario("one-100", 100, contenders=("invocation_wait", "ssm_counters", "boto3_waiter", "aws_cli_wait"),
             title="1 command, 100 instances (real processes)"),
    Scenario("one-1000", 1000, contenders=("invocation_wait", "ssm_counters", "boto3_waiter"), title="1 command, 1,000 instances (virtual)"),
    Scenario("one-10000", 10000, contenders=("invocation_wait", "ssm_counters", "boto3_waiter"), title="1 command, 10,000 instances (virtual)"),
    Scenario("twenty-x-50", 1000, commands=20, per_command=50, contenders=("invocation_wait", "boto3_waiter"),
             title="20 commands of 50 instances waited on together (virtual)"),
    Scenario("limited-1000", 1000, rate_limit=20, contenders=("invocation_wait", "boto3_waiter"),
             title="1 command, 1,000 instances behind a 20 requests/s limit (virtual)"),
    Scenario("limited-10000", 10000, rate_limit=20, contenders=("invocation_wait",),
             title="1 command, 10,000 instances behind a 20 requests/s limit (virtual)"),
    # Pacer tuning: the same 1,000-instance wait with a shorter and a longer base interval than the
    # default 2 s (one-1000 above is the default's row).
    Scenario("tuning-1000", 1000, contenders=("invocation_wait@1/15", "invocation_wait@4/15"),
             title="Pacer tuning: 1,000 instances, base interval 1 s and 4 s (max 15 s)"),
    # Alibaba: one invocation by tag over the fleet (the per-call instance quota raised past its
    # default 100); Zenlayer: one invocation per 200 instances, its API's limit.
    Scenario("alibaba-1000", 1000, provider="alibaba_ecs", contenders=("invocation_wait", "alibaba_aggregate"),
             title="Alibaba Cloud Assistant: 1 invocation, 1,000 instances (virtual)"),
    Scenario("alibaba-10000", 10000, provider="alibaba_ecs", contenders=("invocation_wait", "alibaba_aggregate"),
             title="Alibaba Cloud Assistant: 1 invocation, 10,000 instances (virtual)"),
    Scenario("zenlayer-1000", 1000, provider="zenlayer_zos", commands=5, contenders=("invocation_wait", "zenlayer_pending"),
             title="Zenlayer ZOS: 5 invocations of 200 instances, 1,000 in all (virtual)"),
    Scenario("zenlayer-10000", 10000, provider="zenlayer_zos", commands=50, contenders=("invocation_wait", "zenlayer_pending"),
             title="Zenlayer ZOS: 50 invocations of 200 instances, 10,000 in all (virtual)"),
    # Issue 20: the same wait woken by EventBridge status events read from SQS, against the polling
    # wait; 20 runs of each, because its target is a 95th percentile of the lag.
    Scenario("events-1000", 1000, contenders=("invocation_wait", "invocation_wait_events"), repeat=20,
             title="1 command, 1,000 instances, polling against waking on status events from SQS (virtual)"),
    Scenario("ansible-own-cost", 1, contenders=("ansible_debug",), title="Ansible's own cost: `ansible-playbook` running one `debug` task"),
    Scenario("ansible-idle-cost", 1, contenders=("ansible_idle",),
             title="Ansible's own cost while a task waits: `ansible-playbook` running one 20 s `pause` task"),
)

QUICK = (
    Scenario("quick-10", 10, durations=(1.0, 5.0), contenders=("invocation_wait", "ssm_counters", "boto3_waiter"), title="quick: 1 command, 10 instances"),
    Scenario("quick-5-x-40", 200, commands=5, per_command=40, durations=(1.0, 5.0), contenders=("invocation_wait", "boto3_waiter"),
             title="quick: 5 commands of 40 instances"),
    Scenario("quick-limited-500", 500, rate_limit=20, durations=(1.0, 5.0), contenders=("invocation_wait",),
             title="quick: 500 instances behind 20 requests/s"),
    Scenario("quick-alibaba-200", 200, provider="alibaba_ecs", durations=(1.0, 5.0), contenders=("invocation_wait", "alibaba_aggregate"),
             title="quick: Alibaba, 1 invocation, 200 instances"),
    Scenario("quick-zenlayer-400", 400, provider="zenlayer_zos", commands=2, durations=(1.0, 5.0),
             contenders=("invocation_wait", "zenlayer_pending"), title="quick: Zenlayer, 2 invocations of 200 instances"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="folder for performance.md, performance.csv, performance.png")
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    parser.add_argument("--report-only", metavar="CSV", help="rewrite performance.md and the chart from an earlier run's CSV")
    parser.add_argument("--run-seconds", type=float, default=0.0, help="with --report-only: how long that run took")
    parser.add_argument("--load-start", type=float, default=0.0, help="with --report-only: the load average when that run began")
    parser.add_argument("--load-end", type=float, default=None, help="with --report-only: the load average when that run ended")
    parser.add_argument("--awscli-bin", default="", help="folder holding the `aws` command (needed by aws_cli_wait and until_loop)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each contender, for every scenario (default: the scenario's own, else 3, quick 1); the doc shows medians")
    args = parser.parse_args()
    scenarios = QUICK if args.quick else FULL
    if args.only:
        scenarios = tuple(s for s in scenarios if s.name in args.only)
    if args.report_only:
        report.LOAD_AT_START, report.LOAD_AT_END = args.load_start, args.load_end
        return _report_only(args.report_only, args.out, scenarios, args.quick, args.run_seconds)
    tools = {"fleetsim": shutil.which("fleetsim") or os.path.join(os.path.dirname(sys.executable), "fleetsim"), "awscli_bin": args.awscli_bin}
    needs_cli = any(c in ("aws_cli_wait", "until_loop") for s in scenarios for c in s.contenders)
    if needs_cli and not os.path.exists(os.path.join(args.awscli_bin, "aws")):
        parser.error("aws_cli_wait and until_loop need the AWS CLI: give its folder with --awscli-bin (make bench builds .venvs/bench-awscli)")
    default_repeat = 1 if args.quick else 3
    load_at_start = os.getloadavg()[0]
    if _is_committed_doc(args.out) and load_at_start > (os.cpu_count() or 1):
        print(f"bench: the load average is {load_at_start:.1f} on {os.cpu_count()} cores before the first contender: the figures "
              f"would carry other work's noise, so {args.out}/performance.md is left as it is. Run it on an idle machine, or "
              "give --out another folder.", file=sys.stderr)
        return 3
    os.makedirs(args.out, exist_ok=True)
    logs = os.path.join(args.out, "bench-logs") if args.quick else measure.scratch_dir()
    os.makedirs(logs, exist_ok=True)
    started = time.monotonic()
    report.LOAD_AT_START = load_at_start
    rows = []
    if any(c in contenders.EVENT_CONTENDERS for s in scenarios for c in s.contenders):
        # One SQS server for the whole bench (a fresh queue per run), stopped whatever happens.
        tools["moto"] = queues.MotoServer(os.path.join(logs, "moto_server.log"))
    try:
        for scenario in scenarios:
            repeat = args.repeat or scenario.repeat or default_repeat
            # Runs of one scenario interleave the contenders, so a slow spell of the machine hits them alike.
            for number in range(1, repeat + 1):
                for contender in scenario.contenders:
                    figures = measure.run(scenario, contender, tools, logs, number)
                    rows.append(figures)
                    sqs = "" if figures.sqs_calls is None else f" (+{figures.sqs_calls} SQS)"
                    print(f"{scenario.name:>16} {contender:>16} #{number}: {figures.api_calls:>6} calls{sqs}, lag {figures.lag_fleet} s "
                          f"(p95 {figures.lag_p95}), cpu {figures.cpu_seconds} s, {figures.peak_mb} MB, wall {figures.wall_seconds} s, "
                          f"right={figures.verdict_right} {figures.notes}", flush=True)
    finally:
        if "moto" in tools:
            tools["moto"].stop()
    total = time.monotonic() - started
    csv_path = os.path.join(args.out, "performance.csv")
    with open(csv_path, "w", encoding="utf-8", newline="") as handle:
        # lineterminator: the csv default is "\r\n", which the line-endings sanity test refuses.
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in dataclasses.fields(measure.Figures)], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(dataclasses.asdict(row))
    report.write(args.out, scenarios, rows, total, quick=args.quick)
    print(f"bench: {len(rows)} runs in {total:.0f} s; wrote {args.out}/performance.md, performance.csv"
          + ("" if not report.HAS_MATPLOTLIB else ", performance.png"))
    # The peers may get it wrong (that is a finding); our own waiter may not.
    wrong = [f"{row.scenario} ({row.contender}): {row.notes}" for row in rows if row.contender.startswith("invocation_wait") and not row.verdict_right]
    if wrong:
        print("bench: invocation_wait judged wrong or failed in: " + "; ".join(wrong), file=sys.stderr)
        return 1
    return 0


def _is_committed_doc(out: str) -> bool:
    """True when --out is the repository's docs/ folder, where the committed figures live."""
    docs = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs")
    return os.path.realpath(out) == os.path.realpath(docs)


def _report_only(csv_path: str, out: str, scenarios, quick: bool, run_seconds: float) -> int:
    types = {f.name: f.type for f in dataclasses.fields(measure.Figures)}
    rows = []
    with open(csv_path, encoding="utf-8", newline="") as handle:
        for raw in csv.DictReader(handle):
            values = {}
            for name, text in raw.items():
                kind = str(types[name])
                if text == "" and "None" in kind:
                    values[name] = None
                elif kind.startswith("bool"):
                    values[name] = text == "True"
                elif kind.startswith("int"):
                    values[name] = int(float(text))
                elif kind.startswith("float"):
                    values[name] = float(text)
                else:
                    values[name] = text
            rows.append(measure.Figures(**values))
    os.makedirs(out, exist_ok=True)
    report.write(out, scenarios, rows, run_seconds, quick=quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
