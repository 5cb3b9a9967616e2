"""docs/performance.md and the chart, from the figures of one run (nothing here is typed by hand)."""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import platform
import statistics

import contenders
import measure

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    HAS_MATPLOTLIB = False
else:
    HAS_MATPLOTLIB = True

US = "invocation_wait"
# Set by bench.py: how busy the machine was when the run began (wall times and lags depend on it).
LOAD_AT_START = 0.0
LOAD_AT_END: float | None = None  # None: read it when the doc is written
PAGE = 50


# Figures shown as "median (min-max)" when a contender ran more than once.
SPREAD_FIELDS = ("api_calls", "sqs_calls", "lag_fleet", "cpu_seconds", "peak_mb", "wall_seconds")
# The events scenario (issue 20) and its contender: the polling wait against the one woken by events.
EVENTS_SCENARIO = "events-1000"
EVENTS = "invocation_wait_events"


@dataclasses.dataclass
class Summary(measure.Figures):
    """The medians of a contender's runs in one scenario, and the spread of the figures that vary."""

    runs: int = 1
    spread: dict = dataclasses.field(default_factory=dict)


def _median(values):
    values = [value for value in values if value is not None]
    if not values:
        return None
    middle = statistics.median(values)
    return type(values[0])(middle) if isinstance(values[0], int) and float(middle).is_integer() else middle


def summarise(rows) -> list[Summary]:
    """One row per (scenario, contender), in the order first seen: medians of every numeric figure."""
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row.scenario, row.contender), []).append(row)
    summaries = []
    for runs in groups.values():
        first = runs[0]
        values = dataclasses.asdict(first)
        for field in dataclasses.fields(measure.Figures):
            if field.name in ("scenario", "contender", "calls_by_operation", "notes", "verdict_right", "run"):
                continue
            values[field.name] = _median([getattr(run, field.name) for run in runs])
        verdicts = [run.verdict_right for run in runs]
        values["verdict_right"] = None if all(v is None for v in verdicts) else all(v is True for v in verdicts)
        values["calls_by_operation"] = runs[len(runs) // 2].calls_by_operation
        values["notes"] = "; ".join(dict.fromkeys(run.notes for run in runs if run.notes))
        values["run"] = 0
        spread = {}
        for name in SPREAD_FIELDS:
            numbers = [getattr(run, name) for run in runs if getattr(run, name) is not None]
            if len(runs) > 1 and numbers:
                spread[name] = (min(numbers), max(numbers))
        summaries.append(Summary(**values, runs=len(runs), spread=spread))
    return summaries


def _cell(row, name: str, digits: int = 2) -> str:
    """A figure as "median (min-max)" when the contender ran more than once."""
    value = getattr(row, name)
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else _fmt(value, digits)
    low_high = getattr(row, "spread", {}).get(name)
    if not low_high:
        return text
    low, high = (_fmt(value, digits) for value in low_high)
    return text if low == high else f"{text} ({low}-{high})"


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or ours <= 0:
        return "-"
    return f"1/{theirs / ours:.1f}" if theirs >= ours else f"{theirs / ours:.2f}x"


def _by(rows, scenario: str, contender: str):
    for row in rows:
        if row.scenario == scenario and row.contender == contender:
            return row
    return None


def targets(rows, runs=()) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each figure the issue asks for; None = not measured in this run.
    ``rows`` are the medians (summarise), ``runs`` every single run (for percentiles across runs)."""
    results = _events_targets(rows, runs)
    ours, boto = _by(rows, "one-100", US), _by(rows, "one-100", "boto3_waiter")
    if ours and boto:
        results.append(("API requests at N = 100: at most 1/10 of the boto3 waiter's",
                        f"{ours.api_calls} vs {boto.api_calls} ({_ratio(ours.api_calls, boto.api_calls)})", ours.api_calls * 10 <= boto.api_calls))
    for name in ("one-1000", "one-10000"):
        ours, boto = _by(rows, name, US), _by(rows, name, "boto3_waiter")
        if not ours:
            continue
        floor = math.ceil(ours.instances / PAGE) * (ours.polls or 1)
        results.append((f"API requests at N = {ours.instances:,}: within 2x of one list call per 50 instances per poll round",
                        f"{ours.api_calls} calls over {ours.polls} rounds; floor {floor} ({ours.api_calls / floor:.2f}x)", ours.api_calls <= 2 * floor))
        if boto:
            results.append((f"API requests at N = {ours.instances:,}: at most 1/25 of the boto3 waiter's",
                            f"{ours.api_calls} vs {boto.api_calls} ({_ratio(ours.api_calls, boto.api_calls)})", ours.api_calls * 25 <= boto.api_calls))
    for row in rows:
        if row.contender != US:
            continue
        boto = _by(rows, row.scenario, "boto3_waiter")
        if boto and boto.lag_p95 is not None and row.lag_fleet is not None:
            results.append((f"{row.scenario}: detection lag no worse than the boto3 waiter's p95, with fewer calls",
                            f"{row.lag_fleet:.2f} s vs p95 {boto.lag_p95:.2f} s; {row.api_calls} vs {boto.api_calls} calls",
                            row.lag_fleet <= boto.lag_p95 and row.api_calls < boto.api_calls))
    results += _competent_peer_targets(rows)
    ours, until = _by(rows, "one-10", US), _by(rows, "one-10", "until_loop")
    if ours and until:
        results.append(("Controller CPU at N = 10: at most 1/5 of the `until:` loop's",
                        f"{ours.cpu_seconds:.2f} s vs {until.cpu_seconds:.2f} s ({_ratio(ours.cpu_seconds, until.cpu_seconds)})",
                        ours.cpu_seconds * 5 <= until.cpu_seconds))
    ours = _by(rows, "limited-10000", US)
    if ours:
        results.append(("N = 10,000 behind 20 requests/s: right verdict, no failed wait, no throttling error surfacing, peak memory < 200 MB",
                        f"verdict right: {_fmt(ours.verdict_right)}; {ours.throttled} requests throttled by fleetsim and absorbed; "
                        f"peak {ours.peak_mb:.0f} MB; wall {ours.wall_seconds:.0f} s",
                        ours.verdict_right and ours.errors == 0 and ours.peak_mb < 200))
    return results


def events_lags(runs, contender: str) -> list[float]:
    """The lag after the last end of every run of one contender in the events scenario."""
    return [run.lag_fleet for run in runs if run.scenario == EVENTS_SCENARIO and run.contender == contender and run.lag_fleet is not None]


def _events_targets(rows, runs) -> list[tuple[str, str, bool]]:
    """Issue 20's goal: with events, the p95 (across runs) of the lag after the last end under 1 s,
    and the median SSM requests at most half of the polling wait's (SQS requests counted apart)."""
    polling, events = _by(rows, EVENTS_SCENARIO, US), _by(rows, EVENTS_SCENARIO, EVENTS)
    if not polling or not events:
        return []
    results = []
    lags = events_lags(runs, EVENTS)
    polling_lags = events_lags(runs, US)
    if lags:
        p95 = measure.percentile(lags, 0.95)
        polled = "-" if not polling_lags else f"{measure.percentile(polling_lags, 0.95):.2f} s"
        results.append(("Events at N = 1,000: p95 of the lag after the last end under 1 s",
                        f"{p95:.2f} s over {len(lags)} runs (polling: {polled})", p95 < 1.0))
    sqs = "" if events.sqs_calls is None else f", plus {events.sqs_calls:,} SQS requests"
    results.append(("Events at N = 1,000: median SSM API requests at most half of the polling wait's",
                    f"{events.api_calls:,} vs {polling.api_calls:,} ({_ratio(events.api_calls, polling.api_calls)}){sqs}",
                    events.api_calls * 2 <= polling.api_calls))
    return results


def _calls(row, operation: str) -> int:
    """How many requests of one operation a run made (from its "Op=count ..." column)."""
    for item in (row.calls_by_operation or "").split():
        name, _equals, count = item.partition("=")
        if name == operation:
            return int(count)
    return 0


# Per provider: the name in the targets, its competent peer's scenarios, the request target (text,
# and the most requests it allows for a floor), and how the floor is counted from the peer's own
# requests: the operation it makes each round, plus the pages of one full read (PAGE records a
# page). Zenlayer's page size is None: each of the peer's requests is one DescribeCommandInvocations,
# a round's one-row count or a page of the final read (100 invocations a page, instances nested), so
# the peer's count of that operation is the floor itself.
COMPETENT = (
    ("aws_ssm", "SSM", ("one-1000", "one-10000"), ("the floor + 2", lambda floor: floor + 2), ("ListCommands", PAGE)),
    ("alibaba_ecs", "Alibaba", ("alibaba-1000", "alibaba-10000"), ("1.1x the floor", lambda floor: 1.1 * floor),
     ("DescribeInvocations", PAGE)),
    ("zenlayer_zos", "Zenlayer", ("zenlayer-1000", "zenlayer-10000"), ("1.1x the floor", lambda floor: 1.1 * floor),
     ("DescribeCommandInvocations", None)),
)


def floor_of(counting: tuple[str, int | None], peer, instances: int) -> int:
    """The fewest requests a wait can make on this timeline: the peer's rounds plus one full read."""
    operation, page = counting
    return _calls(peer, operation) + (math.ceil(instances / page) if page else 0)


def _competent_peer_targets(rows) -> list[tuple[str, str, bool]]:
    """The targets against the peer a skilled engineer writes (the cheapest aggregate read each round,
    every page once at the end). Ansible's own cost is measured in the same run: `ansible-playbook`
    running one task that waits 20 s (`pause`), as long as a 10,000-instance timeline, where the run
    has it, else one `debug` task. A task that waits costs ansible-playbook more than one that returns
    at once (its main process checks the workers every millisecond while a task runs), and the peer,
    a plain script, pays neither; the `debug` figure is shown beside it.
    """
    results = []
    debug = _by(rows, "ansible-own-cost", "ansible_debug")
    own = _by(rows, "ansible-idle-cost", "ansible_idle") or debug
    for provider, label, names, (threshold, allowed_calls), counting in COMPETENT:
        for name in names:
            ours, peer = _by(rows, name, US), _by(rows, name, contenders.PEERS[provider])
            if not ours or not peer:
                continue
            size = f"{ours.instances:,}"
            floor = floor_of(counting, peer, ours.instances)
            results.append((f"{label} at N = {size}: API requests at most {threshold} (the competent peer's rounds + one full read)",
                            f"{ours.api_calls:,} vs floor {floor:,} (peer {peer.api_calls:,}; {ours.api_calls / max(floor, 1):.2f}x)",
                            ours.api_calls <= allowed_calls(floor)))
            if ours.lag_fleet is not None and peer.lag_fleet is not None:
                results.append((f"{label} at N = {size}: returns at most 1.5 s after the competent peer",
                                f"{ours.lag_fleet:.2f} s vs {peer.lag_fleet:.2f} s after the last end", ours.lag_fleet <= peer.lag_fleet + 1.5))
            if own:
                allowed = 2 * peer.cpu_seconds + own.cpu_seconds
                said = f"Ansible's own {own.cpu_seconds:.2f} while a task waits 20 s" if own is not debug else f"Ansible's own {own.cpu_seconds:.2f}"
                if debug and own is not debug:
                    said += f", {debug.cpu_seconds:.2f} for one `debug` task"
                results.append((f"{label} at N = {size}: CPU at most 2x the competent peer's plus Ansible's own cost",
                                f"{ours.cpu_seconds:.2f} s vs {allowed:.2f} s (peer {peer.cpu_seconds:.2f}, {said})",
                                ours.cpu_seconds <= allowed))
            results.append((f"{label} at N = {size}: peak memory of the largest process at most 120 MB",
                            f"{ours.peak_mb:.0f} MB (peer {peer.peak_mb:.0f} MB)", ours.peak_mb <= 120))
    return results


def _behind(rows) -> list[str]:
    """Every figure where a peer did better than invocation_wait, so the doc never hides one."""
    lines = []
    for ours in (row for row in rows if row.contender == US):
        for peer in (row for row in rows if row.scenario == ours.scenario and not row.contender.startswith(US)
                     and row.contender not in contenders.BASELINES):
            if peer.cpu_seconds < ours.cpu_seconds:
                lines.append(f"- {ours.scenario}: CPU {ours.cpu_seconds:.2f} s against {peer.cpu_seconds:.2f} s for {peer.contender} "
                             "(Ansible start-up and a module start; see the limits below).")
            if peer.lag_fleet is not None and ours.lag_fleet is not None and peer.lag_fleet < ours.lag_fleet and peer.verdict_right:
                lines.append(f"- {ours.scenario}: lag after the last end {ours.lag_fleet:.2f} s against {peer.lag_fleet:.2f} s for "
                             f"{peer.contender}'s last return (its per-instance p95 is {_fmt(peer.lag_p95)} s).")
    return lines


def _table(rows, scenario, runs=()) -> list[str]:
    # The events scenario also shows SQS requests (apart from the API requests), the woken rounds and the lag's p95 across runs.
    events = any(row.sqs_calls is not None for row in rows if row.scenario == scenario.name)
    extra_head, extra_rule = (" SQS requests | rounds woken by an event | lag p95 across runs (s) |", "---:|---:|---:|") if events else ("", "")
    lines = ["| contender | API requests | vs invocation_wait | throttled |" + extra_head + " lag after last end (s) "
             "| per-instance lag p50 / p95 (s) | CPU (s) | peak MB | wall (s) | verdict right |",
             "|---|---:|---:|---:|" + extra_rule + "---:|---:|---:|---:|---:|---|"]
    ours = _by(rows, scenario.name, US)
    for row in rows:
        if row.scenario != scenario.name:
            continue
        versus = "-" if row.contender == US or not ours else f"{row.api_calls / max(ours.api_calls, 1):.1f}x"
        per_instance = "-" if row.lag_p50 is None else f"{row.lag_p50:.2f} / {row.lag_p95:.2f}"
        extra = ""
        if events:
            lags = [run.lag_fleet for run in runs if run.scenario == row.scenario and run.contender == row.contender and run.lag_fleet is not None]
            extra = f" {_cell(row, 'sqs_calls')} | {_fmt(row.events_woke)} | {_fmt(measure.percentile(lags, 0.95))} |"
        lines.append(f"| {row.contender} | {_cell(row, 'api_calls')} | {versus} | {row.throttled} |{extra} {_cell(row, 'lag_fleet')} | {per_instance} "
                     f"| {_cell(row, 'cpu_seconds')} | {_cell(row, 'peak_mb', 0)} | {_cell(row, 'wall_seconds', 1)} | {_fmt(row.verdict_right)} |")
    notes = [f"{row.contender}: {row.notes}" for row in rows if row.scenario == scenario.name and row.notes]
    calls = [f"{row.contender}: {row.calls_by_operation}" for row in rows if row.scenario == scenario.name]
    lines.append("")
    lines.append("Requests by operation: " + "; ".join(calls) + ".")
    if notes:
        lines.append("")
        lines.append("Notes: " + "; ".join(notes) + ".")
    return lines


def chart(path: str, rows) -> bool:
    if not HAS_MATPLOTLIB:
        return False
    single = [row for row in rows if row.scenario.startswith("one-") and row.commands == 1]
    figure, (calls_axis, lag_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for contender in contenders.DESCRIPTIONS:
        points = sorted((row.instances, row.api_calls, row.lag_fleet) for row in single if row.contender == contender)
        if not points:
            continue
        sizes = [p[0] for p in points]
        calls_axis.plot(sizes, [p[1] for p in points], marker="o", label=contender)
        lags = [(p[0], p[2]) for p in points if p[2] is not None]
        if lags:
            lag_axis.plot([p[0] for p in lags], [max(p[1], 0.01) for p in lags], marker="o", label=contender)
    for axis, title, unit in ((calls_axis, "API requests for one wait", "requests"), (lag_axis, "Detection lag after the last instance ended", "seconds")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("instances")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def _repeats_said(rows) -> str:
    """How many times each contender ran, as the header says it: "3 times", or "3 times (events-1000: 20)"
    when a scenario repeats more; empty when every contender ran once (no medians to speak of)."""
    runs = {row.scenario: row.runs for row in rows}
    if not runs or max(runs.values()) <= 1:
        return ""
    usual = max(set(runs.values()), key=list(runs.values()).count)
    others = ", ".join(f"{name}: {count}" for name, count in runs.items() if count != usual)
    return f"{usual} times" + (f" ({others})" if others else "")


def write(out: str, scenarios, rows, total_seconds: float, quick: bool) -> None:
    every_run = rows
    runs = len(rows)
    rows = summarise(rows)
    repeats = _repeats_said(rows)
    has_chart = chart(os.path.join(out, "performance.png"), rows)
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "# Performance: waiting on fleets, side by side with the peers",
        "",
        f"Generated by `make bench{' BENCH_QUICK=1' if quick else ''}` on {today} ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {LOAD_AT_START:.1f} at the start and "
        f"{os.getloadavg()[0] if LOAD_AT_END is None else LOAD_AT_END:.1f} at the end), {runs} runs in "
        f"{total_seconds:.0f} s" + (f", each contender {repeats}: figures are medians, with min-max in brackets" if repeats else "")
        + ". Every figure below comes from that one run: "
        "rerun `make bench` to reproduce it. Raw figures: [performance.csv](performance.csv).",
        "",
    ]
    if has_chart:
        lines += ["![API requests and detection lag against fleet size, log scale](performance.png)", ""]
    lines += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for target, measured, met in targets(rows, every_run):
        lines.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")
    behind = _behind(rows)
    if behind:
        lines += ["", "Where `invocation_wait` is behind a peer in this run:", ""] + behind
    lines += ["", "## Results", ""]
    for scenario in scenarios:
        lines += [f"### {scenario.title}", ""] + _table(rows, scenario, every_run) + [""]
    lines += _tuning(rows)
    lines += LIMITS
    lines += METHOD
    with open(os.path.join(out, "performance.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _tuning(rows) -> list[str]:
    default = _by(rows, "one-1000", US)
    variants = [row for row in rows if row.scenario == "tuning-1000"]
    lines = ["## Pacer defaults, and why", ""]
    if default and variants:
        lines += ["The same 1,000-instance wait (durations 2 to 20 s) with three base intervals; `max_interval` 15 s in each:", "",
                  "| base interval | API requests | poll rounds | lag after last end (s) | CPU (s) |", "|---:|---:|---:|---:|---:|"]
        for row in sorted([default] + variants, key=lambda r: r.contender):
            interval = "2 s (default)" if row is default else row.contender.split("@")[1].split("/")[0] + " s"
            lines.append(f"| {interval} | {row.api_calls} | {row.polls} | {_fmt(row.lag_fleet)} | {row.cpu_seconds:.2f} |")
        lines.append("")
    lines += PACER
    return lines


PACER = [
    "- **`interval` 2 s (kept).** A poll round of an SSM wait now costs one `ListCommands` call per 50 open commands, whatever the "
    "fleet size, so the base interval sets the request rate: in the table, halving it to 1 s about triples the rounds, while 4 s "
    "saves only a round or two over 2 s, because the final read (`N / 50` pages) is the same for all three. The lag figures of "
    "one run on a shared machine are noisy (a longer pause cannot by itself be faster, yet it can be in the table); what a "
    "pause adds is at most the pause itself, on average half of it. 2 s keeps a 20 s wait on any fleet to about a dozen "
    "rounds, under one request a second, with at most about 2.4 s added to the lag; set `interval: 1` where a second "
    "matters more than the calls.",
    "- **Backoff 1.5x, reset when the counts change (kept).** The counters change whenever any target ends, so while a fleet is "
    "finishing the pause stays at the base interval, and it only grows through quiet stretches (a long-running command). That is "
    "the adaptive part: the pause is short when ends are arriving, which is when the last one is near.",
    "- **`max_interval` 15 s (kept).** A command that runs for an hour costs about 240 rounds (240 calls for up to 50 commands) and is "
    "noticed at most 15 s (plus 20% jitter) after it ends; the boto3 waiter spends 720 calls an hour per instance at its 5 s delay. "
    "A longer cap saves calls that no longer matter at one call per round, and makes the worst-case lag worse.",
    "- **Jitter 20% (kept)**: spreads many waits that started together, so they do not poll in step against one account's limit.",
    "- **Progress lines (changed).** Each progress line is a module start on the controller (about 1.3 s of CPU). The first line "
    "now comes after 30 s (a wait that ends sooner runs as one module call and prints none), later ones when the counts change but "
    "at most every 15 s, and every 30 s otherwise. Before, a line at once and then up to one every 5 s made a 20 s wait cost five "
    "module starts.",
    "",
]

LIMITS = [
    "## What limits the figures",
    "",
    "- **The final read.** Once the counters say every target ended, the invocations are read once, 50 a page, with their output: "
    "`ceil(N / 50)` calls (200 at 10,000 instances), which behind a 20 requests/s limit cannot take less than 10 s. That read, and "
    "Ansible carrying the result (about 1.5 KB a record, 15 MB at 10,000 instances) back to the controller, is most of the lag at "
    "large N and sets the peak memory (the controller holds the result).",
    "- **Ansible itself.** `ansible-playbook` start-up and one module start cost about 2.5 s of CPU however small the fleet; the "
    "boto3 script pays no such cost, so at N = 10 it uses less CPU than `invocation_wait` while making five times the calls.",
    "- **Per-instance peers queue.** The boto3 waiter and the CLI look at one instance per thread at a time; an instance that ends "
    "while its thread waits on another is noticed late, which is why their per-instance p95 grows with N.",
    "- **Run time.** `make bench` runs each contender three times (`events-1000` twenty), about 50 minutes on an idle 2-core "
    "machine; the AWS CLI peer at 100 instances (100 CLI processes of about 0.7 s of CPU each) is the slowest part and stretches "
    "most when the machine is busy (see the load average above).",
    "- **The event path.** `events-1000` carries its events through `moto_server`, a Python stand-in for SQS on the same cores: "
    "every status change of 1,000 instances is a message fleetsim sends and the wait receives and deletes, ten a request. Where "
    "that pipe falls behind, the notes say how many events fleetsim had put in the queue when the wait returned and how many "
    "the wait received; a late event only costs the usual pacer's lag, never a verdict.",
    "- **The machine.** The runs share 2 cores with fleetsim (and, on a developer machine, whatever else runs): wall times and "
    "lags carry that noise; API requests, CPU seconds and memory do not depend on it.",
    "",
]

CONTENDER_LINES = [f"- `{name}`: {text}." for name, text in contenders.DESCRIPTIONS.items()]

METHOD = [
    "## How it is measured",
    "",
    "Harness: `tests/bench/` (run by `make bench`; `make bench-quick`, the same as `make bench BENCH_QUICK=1`, is the CI smoke "
    "run in `make test`: small fleets, and it only fails when `invocation_wait` itself judges wrong).",
    "",
    "- Each (scenario, contender) pair gets a fresh fleetsim with the same seed, so every contender waits on the same instance ids "
    "with the same durations (2 to 20 s, uniform) and the same failures (about 3%: every 17th instance in real mode, a 3% draw in "
    "virtual mode). Fleets of up to 100 instances run real processes (`sleep`); larger ones use virtual outcomes. Commands go out "
    "with `MaxConcurrency: 100%` and `MaxErrors: 100%` so every instance runs and reports.",
    "- Instances per start, as modelled: SSM (except `twenty-x-50`, 20 commands of 50 instance ids) and Alibaba send one "
    "command by tag over the whole fleet. Alibaba's `RunCommand` reaches 1 to 100 instances by default, by ids or by tag, a "
    "quota that can be raised: the bench models it raised. Zenlayer's `InvokeCommand` takes at most 200 instance ids, so its "
    "fleets are one invocation per 200 instances (50 at 10,000).",
    "- The harness sends the command(s), then starts the contender after a pause that is the same for every contender of a repeat "
    "and differs between repeats (0 s, then spread evenly over 2 s, one poll interval): a large fleet's last instance ends at the "
    "same moment after the send whatever the seed, so without it a peer that polls at fixed moments would meet the last end at "
    "the same point of its interval in every repeat, and its lag would be that point's, not its typical one.",
    "- **API requests**: fleetsim's own counters (`/_fleetsim/stats`) for the contender's run only, throttled requests included.",
    "- **Detection lag**: fleetsim's `/_fleetsim/timeline` gives the moment each invocation ended. *Lag after last end* is the "
    "contender's return minus the last instance's end, where the return is the moment the contender's process ended, noted by "
    "the launcher outside the measured process tree (the Ansible contenders end with a `debug` task that prints each target's "
    "status, which the bench reads from the log, as a playbook would use the result). *Per-instance* p50/p95 is each "
    "instance's own return minus its end, for contenders that report per instance (the `until:` loop's come from a callback "
    "in `tests/bench/callback_plugins`, inside its own process).",
    "- **Repeats**: every contender runs 3 times per scenario (interleaved), 20 times in `events-1000`, whose target is a 95th "
    "percentile across runs; the tables show medians with min-max. "
    "`ansible-own-cost` is `ansible-playbook` running one `debug` task; `ansible-idle-cost` is `ansible-playbook` running one "
    "20 s `pause` task (as long as a 10,000-instance timeline). A task that waits costs Ansible more than one that returns at "
    "once: while any task runs, `ansible-playbook`'s main process checks its workers every millisecond "
    "(`internal_poll_interval`, which the bench leaves at its default). The CPU targets against the competent peers add the "
    "second, Ansible's own cost of a waiting task, and show the first beside it; nothing is subtracted by hand.",
    "- **Load**: `make bench` refuses to overwrite `docs/performance.md` when the load average before the first contender is "
    "above the core count.",
    "- **CPU** and **peak memory**: `wait4()` on the contender's process tree (user + system CPU of the process and every child it "
    "reaped; peak resident set of its largest process). For Ansible contenders this includes `ansible-playbook` start-up.",
    "- **Verdict right**: the contender's per-instance outcome matches fleetsim's truth for every instance, and it exited cleanly.",
    "- **Events** (`events-1000`): the bench starts one `moto_server` on loopback as the SQS server and makes a fresh queue for "
    "each run of `invocation_wait_events`; fleetsim, playing EventBridge, puts every Run Command status change in it (the "
    "event shape of \"Amazon EventBridge event examples for Systems Manager\", one SQS message an event). *API requests* stay "
    "the SSM requests fleetsim counted; *SQS requests* are the wait's own count (`events.sqs_calls`: `ReceiveMessage` and "
    "`DeleteMessageBatch`), never added to them. The CPU is the wait's, including its SQS reads; fleetsim's sending is not.",
    "",
    "Contenders and the settings they ran with (each peer's documented defaults):",
    "",
] + CONTENDER_LINES + [
    "",
    "Where a peer is missing from a scenario: the AWS CLI per instance runs up to 100 instances (one CLI process per instance), "
    "the `until:` loop only at 10 (it polls one instance after the other), and the boto3 waiter is left out at 10,000 behind "
    "20 requests/s, because one call per instance cannot take less than 10,000 / 20 = 500 s there.",
    "",
]
