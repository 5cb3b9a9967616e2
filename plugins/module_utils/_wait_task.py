# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Wait, then judge: what invocation_wait does, and invocation_run with ``wait: true``.

Builds the settings and the policy from the options, runs the waiter over a provider's watch,
and shapes one result that keeps every record seen however the wait ended. The caller decides
whether to fail, from ``failure`` in what :func:`wait_and_judge` returns.
"""

from __future__ import annotations

import dataclasses
import random
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._conditions import ConditionError, Conditions
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError, NotFound
from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import refuse_for_wait_kind
from ansible_collections.multicloud.invocations.plugins.module_utils._event_wake import EventWake
from ansible_collections.multicloud.invocations.plugins.module_utils._policy import (
    VERDICT_FAILED,
    VERDICT_TIMED_OUT,
    FailurePolicy,
    STOP_CHOICES,
    count_outcomes,
    STOP_NEVER,
    VERDICT_SUCCESS,
    judge,
    outcome as record_outcome,
    should_stop,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._agents import attach as attach_agents
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Provider, Watch
from ansible_collections.multicloud.invocations.plugins.module_utils._record import progress_line
from ansible_collections.multicloud.invocations.plugins.module_utils._visibility import read_when_visible
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import (
    ENDED_CHECKPOINT,
    ENDED_DECIDED,
    ENDED_ERROR,
    ENDED_FAIL_FAST,
    Snapshot,
    WaitSettings,
    wait_for,
)

# When the action plugin shows progress, each line costs one module start on the controller (about
# 1.3 s of CPU, measured by `make bench`). So a wait that ends within 30 s runs as one module call
# and shows no line, and later lines come when the counts change but at most every 15 s (and every
# 30 s at the latest, the plugin's checkpoint_after). A line every 5 s made a 20 s wait cost five
# module starts, more CPU than the `until:` loop it replaces costs per instance.
FIRST_LINE_AFTER = 30.0
LATER_LINES_MIN = 15.0

# The lookup of what to wait on, before the first poll, rides out this many transient errors in a
# row (throttling, 5xx, resets) with jittered, capped backoff, as the poll rounds do; it never
# sleeps past the wait's timeout.
LOOKUP_ATTEMPTS = 5
LOOKUP_PAUSE_CAP = 8.0

# The verdict of a wait that ended on an error: not a judgement of the targets.
VERDICT_ERROR = "error"

# The time the cancel of a timed-out wait (cancel_on_timeout) may take beyond the budget.
CANCEL_SECONDS = 10.0

# How many failed targets a failure message names; the rest are in the result.
FAILURES_NAMED = 5
STDERR_TAIL = 300


def settings_from(params: dict[str, t.Any], default_timeout: float) -> WaitSettings:
    timeout = params.get("timeout")
    if timeout is None:
        timeout = default_timeout
    resume = params.get("resume") or {}
    if resume:
        # A resumed wait keeps the budget it started with, less the time already spent.
        timeout = float(resume.get("timeout", timeout))
    checks = (
        (timeout > 0, f"timeout must be more than 0 seconds, got {timeout:g}"),
        (params["delay"] >= 0, f"delay must be 0 or more seconds, got {params['delay']:g}"),
        (params["interval"] > 0, f"interval must be more than 0 seconds, got {params['interval']:g}"),
        (params["max_interval"] >= params["interval"], f"max_interval ({params['max_interval']:g}) must be at least interval ({params['interval']:g})"),
        (params["not_found_grace"] >= 0, f"not_found_grace must be 0 or more seconds, got {params['not_found_grace']:g}"),
    )
    for ok, message in checks:
        if not ok:
            raise InvalidInput(message)
    spent = float(resume.get("elapsed", 0.0))
    return WaitSettings(
        timeout=float(timeout),
        delay=resume_pause(resume, float(params["interval"])) if resume else float(params["delay"]),
        interval=float(params["interval"]),
        max_interval=float(params["max_interval"]),
        not_found_grace=float(params["not_found_grace"]),
        already_waited=spent,
        checkpoint_after=params.get("checkpoint_after"),
        checkpoint_min=LATER_LINES_MIN if resume else FIRST_LINE_AFTER,
    )


def resume_pause(resume: dict[str, t.Any], interval: float) -> float:
    """Seconds a resumed slice waits before its first poll: what is left of the base interval since
    the last poll of the slice before (its checkpoint came right after that poll, ``polled_at``).

    Without it a slice polls as soon as it starts, a module start after the last poll: one poll more
    per slice than a wait that runs in one go. ``elapsed`` is what the controller charged up to this
    slice, the time between the slices included.
    """
    if resume.get("polled_at") is None:
        return 0.0
    since_last_poll = float(resume.get("elapsed", 0.0)) - float(resume["polled_at"])
    return max(interval - since_last_poll, 0.0)


def delay_warning(delay: t.Any, timeout: t.Any) -> str | None:
    """What to tell an operator whose delay is at or past the timeout: the waiter sleeps out the
    whole budget and then reads once, at its deadline, so the wait cannot end early."""
    try:
        delay, timeout = float(delay or 0), float(timeout)
    except (TypeError, ValueError):
        return None
    if delay <= 0 or delay < timeout:
        return None
    return (f"delay ({delay:g}s) is at or past timeout ({timeout:g}s): the wait reads nothing before its deadline and then reads once; "
            "set a delay shorter than the timeout, or a longer timeout")


def delay_note(delay: t.Any, timeout: t.Any) -> str:
    """The same, short, for the progress line ('' when the delay is fine)."""
    if delay_warning(delay, timeout) is None:
        return ""
    return f" - delay {float(delay):g}s >= timeout {float(timeout):g}s: one read, at the deadline"


def policy_from(params: dict[str, t.Any]) -> FailurePolicy:
    if params.get("max_failures") is not None and params["max_failures"] < 0:
        raise InvalidInput(f"max_failures must be 0 or more, got {params['max_failures']}")
    percent = params.get("min_success_percent")
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidInput(f"min_success_percent must be between 0 and 100, got {percent:g}")
    return FailurePolicy(
        max_failures=params.get("max_failures"),
        min_success_percent=percent,
        fail_fast=params["fail_fast"],
        stop_early=stop_early_from(params),
        undeliverable=params["undeliverable"],
    )


def stop_early_from(params: dict[str, t.Any]) -> str | None:
    stop_early = params.get("stop_early")
    if stop_early is not None and stop_early not in STOP_CHOICES:
        raise InvalidInput(f"stop_early must be one of {', '.join(STOP_CHOICES)}, got {stop_early}")
    if stop_early == STOP_NEVER and params.get("fail_fast"):
        raise InvalidInput("fail_fast stops the wait once it cannot pass, and stop_early: never says never to stop early: set one of them")
    return stop_early


def conditions_from(params: dict[str, t.Any]) -> Conditions:
    return Conditions(params.get("success_when"), params.get("failure_when"))


def validate_wait_options(params: dict[str, t.Any]) -> None:
    """Check the wait options before any API call (the budget may still be derived later)."""
    if params.get("instance_ids") is not None and not params["instance_ids"]:
        # An empty list would otherwise read as "no filter" and wait on every instance.
        raise InvalidInput("instance_ids is empty: list the instances to wait on, or leave instance_ids out to wait on every target of the commands")
    if params.get("event_queue") and params.get("waits") is not None:
        # Each item of waits is read at its own pace, by its own provider; one queue wakes one wait.
        raise InvalidInput("event_queue wakes a wait on one provider's runs, not a wait over several (waits): leave event_queue out, "
                           "or wait on the aws_ssm runs in a task of their own with event_queue")
    settings_from(params, default_timeout=1.0)
    policy_from(params)
    conditions_from(params)


def describe_failures(records: t.Sequence[dict[str, t.Any]]) -> str:
    """The first failed targets, with what an operator needs to act: status, exit code, stderr tail."""
    failed = [record for record in records if record["terminal"] and not record.get("accepted")]
    lines = []
    for record in failed[:FAILURES_NAMED]:
        # A maintenance window run that never reached an instance (skipped) is named by its execution.
        window = record.get("window") or {}
        who = record["instance_id"] or (window.get("window_execution_id") and f"window execution {window['window_execution_id']}")
        text = f"{who or 'a target'}: {record['status']}"
        if record.get("accepted_by") not in (None, "status"):
            # "success (by success_when)" read as if the condition had passed it.
            text += f" (not accepted by {record['accepted_by']})"
        if record["vendor_status_details"]:
            text += f" ({record['vendor_status_details']})"
        if record["exit_code"] is not None:
            text += f", exit code {record['exit_code']}"
        tail = (record.get("stderr") or "").strip()[-STDERR_TAIL:]
        if tail:
            text += f", stderr: {tail}"
        lines.append(text)
    if len(failed) > FAILURES_NAMED:
        lines.append(f"and {len(failed) - FAILURES_NAMED} more (see invocations)")
    return "; ".join(lines)


def lookup_targets(
    provider: Provider,
    params: dict[str, t.Any],
    sleep: t.Callable[[float], None] = time.sleep,
    clock: t.Callable[[], float] = time.monotonic,
    rand: t.Callable[[], float] = random.random,
) -> list[dict[str, t.Any]]:
    """``provider.wait_targets(params)``, asked again while what it names is not visible yet.

    An id the vendor does not show yet (a command another task or tool just sent) is read again
    for ``not_found_grace`` seconds, within the timeout; a transient error (throttling, 5xx) up to
    LOOKUP_ATTEMPTS times in a row. Bad options and refused credentials fail at once.
    """
    # Every wait, alone or an item of several, resolves its targets here first: the options its
    # kind of wait does not take are refused before any call.
    refuse_for_wait_kind(provider.name, params)
    start = clock()
    budget = params.get("timeout")
    if budget is not None:
        provider.limit_requests_to(float(budget))

    def read_riding_out_transient_errors() -> list[dict[str, t.Any]]:
        for attempt in range(1, LOOKUP_ATTEMPTS + 1):
            try:
                return provider.wait_targets(params)
            except InvocationError as error:
                pause = min(LOOKUP_PAUSE_CAP, 2.0 ** (attempt - 1)) * (0.5 + rand() / 2)
                out_of_time = budget is not None and clock() - start + pause > float(budget)
                if not error.retryable or isinstance(error, NotFound) or attempt == LOOKUP_ATTEMPTS or out_of_time:
                    raise
                sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    grace = float(params.get("not_found_grace") or 0.0)
    return read_when_visible(read_riding_out_transient_errors, grace, budget=budget, sleep=sleep, clock=clock, rand=rand)


def look_up_and_wait(
    provider: Provider,
    params: dict[str, t.Any],
    on_progress: t.Callable[[str], None] | None = None,
    **hooks: t.Any,
) -> tuple[dict[str, t.Any], InvocationError | None, str | None]:
    """What invocation_wait does: look the ids up, then :func:`wait_and_judge`.

    A resumed slice has its handles already. Otherwise the lookup may read a command again while
    it is not visible yet; the time that takes is charged to the budget and to the grace.
    """
    before = spent_since_the_task_started(params)
    resumed = (params.get("resume") or {}).get("handles")
    if resumed:
        return wait_and_judge(provider, resumed, params, on_progress, already_spent=before, **hooks)
    clocks = dict(TASK_CLOCKS, **hooks)
    clocks.pop("wall")
    started = clocks["clock"]()
    targets = lookup_targets(provider, params, **clocks)
    return wait_and_judge(provider, targets, params, on_progress, already_spent=(before or 0.0) + clocks["clock"]() - started, **hooks)


def spent_since_the_task_started(params: dict[str, t.Any]) -> float | None:
    """Seconds since the action plugin started the task, when it runs on this very host and says
    when (``budget_started_at``, the same wall clock): the module's own start is then charged too."""
    started_at = params.get("budget_started_at")
    if started_at is None:
        return None
    return max(TASK_CLOCKS["wall"]() - float(started_at), 0.0)


# The clock, sleep and random source of the lookup (unit tests give their fake clock here).
TASK_CLOCKS: dict[str, t.Any] = {"clock": time.monotonic, "sleep": time.sleep, "rand": random.random, "wall": time.time}


class WithKnownRecords(Watch):
    """A watch whose every round also carries records known before the wait began (targets the
    agent pre-flight did not send to): they count for the policy, the summary and the verdict."""

    def __init__(self, inner: Watch, records: list[dict[str, t.Any]]) -> None:
        self._inner = inner
        self._records = records

    @property  # type: ignore[override]
    def follow_failures(self) -> bool:  # pylint: disable=invalid-overridden-method
        return self._inner.follow_failures

    @follow_failures.setter
    def follow_failures(self, value: bool) -> None:
        self._inner.follow_failures = value

    def poll(self) -> Snapshot:
        return self._with_known(self._inner.poll())

    def read_all(self) -> Snapshot:
        return self._with_known(self._inner.read_all())

    def _with_known(self, snapshot: Snapshot) -> Snapshot:
        # A copy: a watch may hand out the same snapshot again (a settled run is not read twice).
        return dataclasses.replace(snapshot, records=[dict(record) for record in self._records] + list(snapshot.records),
                                   expected=snapshot.expected + len(self._records))


def events_warning(counters: dict[str, t.Any]) -> str | None:
    """One warning for a wait whose event queue could not be read (in any of its slices)."""
    unreadable = (counters.get("events") or {}).get("unreadable")
    if not unreadable:
        return None
    return f"the event queue cannot be read, so this wait polled without it: {unreadable}"


def event_wake_from(
    provider: Provider,
    watch: Watch,
    commands: list[dict[str, t.Any]],
    params: dict[str, t.Any],
    policy: FailurePolicy,
    waiter_hooks: dict[str, t.Any],
) -> EventWake | None:
    """The pause that listens to ``event_queue`` between rounds, or None without one.

    A queue that cannot even be set up (a client the provider cannot build) is unreadable, like one
    that cannot be read: the wait goes on with plain sleeps, and its result warns once.
    """
    queue_url = params.get("event_queue")
    if not queue_url:
        return None
    # Refused before any call for a provider that lacks the capability (_capabilities.OPTION_NEEDS,
    # and validate_wait_options for ``waits``); checked here too for a caller that skipped that check.
    if not callable(getattr(provider, "event_queue", None)):
        raise InvalidInput(f"{getattr(provider, 'name', 'this provider')} cannot wake on status events, so event_queue cannot be honoured; leave it out")
    run_key = getattr(watch, "run_key", None)
    # A queue an earlier slice of this wait could not read is not tried again.
    unreadable = ((params.get("resume") or {}).get("events") or {}).get("unreadable") or None
    queue = None
    if unreadable is None:
        try:
            queue = provider.event_queue(queue_url)  # type: ignore[attr-defined]
        except InvocationError as error:
            unreadable = error.describe()
    return EventWake(
        queue,
        [handle.get(run_key) for handle in commands if run_key and handle.get(run_key)],
        params.get("instance_ids") or [],
        follow_failures=policy.stop_mode != STOP_NEVER,
        longest_poll=provider.longest_long_poll,  # type: ignore[attr-defined]
        sleep=waiter_hooks.get("sleep", time.sleep),
        clock=waiter_hooks.get("clock", time.monotonic),
        unreadable=unreadable,
    )


def wait_and_judge(
    provider: Provider,
    commands: list[dict[str, t.Any]],
    params: dict[str, t.Any],
    on_progress: t.Callable[[str], None] | None = None,
    already_spent: float | None = None,
    **waiter_hooks: t.Any,
) -> tuple[dict[str, t.Any], InvocationError | None, str | None]:
    """(result, error, failure message). ``error`` is set when the wait could not finish.

    ``already_spent`` is the time the task spent before the wait (its start, looking its ids up):
    it is charged to the timeout and to the not-found grace, which both count from the task's start.
    A resumed wait already knows what earlier slices spent; the larger figure counts.

    With ``checkpoint_after`` set, the result may instead carry ``checkpoint``: the wait handed
    control back (so the controller can show progress) and resumes when called again with
    ``resume`` set to that checkpoint.
    """
    resume = params.get("resume") or {}
    settings = settings_from(params, provider.default_timeout(commands))
    if already_spent is not None and already_spent > settings.already_waited:
        settings = dataclasses.replace(settings, already_waited=already_spent)
    budget = settings.timeout
    spent = settings.already_waited
    policy = policy_from(params)
    conditions = conditions_from(params)
    watch = provider.watch(commands, params.get("instance_ids") or [], params.get("include_output", True))
    wake = event_wake_from(provider, watch, commands, params, policy, waiter_hooks)
    # Targets the agent pre-flight left out (their records) and the agents it read travel with
    # every slice of the wait, so the verdict and the final records include them.
    known_records = list(resume.get("known_records") or params.get("known_records") or [])
    agents = list(resume.get("agents") or params.get("agents") or [])
    if known_records:
        watch = WithKnownRecords(watch, known_records)
    # A watch that can read failures early (at a cost) only does so when the policy may stop at one.
    watch.follow_failures = policy.stop_mode != STOP_NEVER

    # A condition that cannot judge a record ends the wait with a clear error, and the result still
    # carries every record seen.
    condition_errors: list[ConditionError] = []

    def apply_conditions(records: list[dict[str, t.Any]]) -> bool:
        try:
            conditions.apply(records)
        except ConditionError as error:
            condition_errors.append(error)
            return False
        return True

    def stop_early(snapshot: t.Any) -> bool | str | None:
        if not apply_conditions(snapshot.records):
            return True
        # The decision is the policy's (_policy.should_stop); the waiter confirms one made on counters.
        stop = should_stop(snapshot.records, policy, snapshot.expected, (snapshot.unread or {}).get("success", 0))
        if stop == VERDICT_FAILED:
            return ENDED_FAIL_FAST
        if stop == VERDICT_SUCCESS:
            return ENDED_DECIDED
        return None

    # No request may carry the wait past its budget (a stuck or trickling endpoint included).
    provider.limit_requests_to(budget - spent)
    waiter_hooks.setdefault("resume_interval", resume.get("interval"))
    waiter_hooks.setdefault("read_all", watch.read_all)
    if wake is not None:
        waiter_hooks["pause_with"] = wake
    outcome = wait_for(watch.poll, settings, stop_early=stop_early, on_progress=on_progress, **waiter_hooks)
    snapshot = outcome.snapshot
    apply_conditions(snapshot.records)
    condition_error = condition_errors[-1] if condition_errors else None
    elapsed = spent + outcome.elapsed
    counters = {
        "polls": int(resume.get("polls", 0)) + outcome.polls,
        "throttled_polls": int(resume.get("throttled_polls", 0)) + outcome.throttled,
        "api_calls": int(resume.get("api_calls", 0)) + provider.api_calls,
        "api_retries": int(resume.get("api_retries", 0)) + provider.retries,
    }
    if wake is not None:
        counters["events"] = wake.report(resume.get("events"))
    summary = snapshot.summary()
    if outcome.ended_because == ENDED_CHECKPOINT and condition_error is None:
        # ``polled_at`` stays as it is when the controller updates ``elapsed`` (resume_pause).
        checkpoint = dict(counters, timeout=budget, elapsed=round(elapsed, 3), polled_at=round(elapsed, 3), interval=outcome.interval)
        # The runs travel with the checkpoint, so a resumed slice need not read them again (a run
        # just started may not be readable yet, and it saves a call per run and slice).
        checkpoint["handles"] = commands
        if known_records:
            checkpoint["known_records"] = known_records
        if agents:
            checkpoint["agents"] = agents
        checkpoint["progress"] = progress_line(summary, elapsed, budget) + delay_note(params.get("delay"), budget)
        slice_result = {"checkpoint": checkpoint, "summary": summary, "invocations": [], "api_calls": counters["api_calls"]}
        return dict(slice_result, api_retries=counters["api_retries"]), None, None
    verdict = judge(snapshot.records, policy, snapshot.expected, pass_when_decided=outcome.ended_because == ENDED_DECIDED)
    for record in snapshot.records:
        record["outcome"] = record_outcome(record, policy)
    if outcome.timed_out and not (snapshot.records or snapshot.expected or snapshot.unread):
        # Nothing could be read before the budget ran out: that says nothing about the targets
        # ("no target ran" would be a verdict on what was never seen).
        verdict = dataclasses.replace(verdict, verdict=VERDICT_TIMED_OUT, passed=False,
                                      reason=f"the budget ran out before any target could be read; policy: {policy.describe()}")
    attach_agents(snapshot.records, agents)
    cancelled = False
    if outcome.timed_out and params.get("cancel_on_timeout"):
        # Only on request: stopping commands is not read-only, and a later task may resume the wait.
        # The budget is spent by now; the cancel gets a short time of its own.
        provider.limit_requests_to(CANCEL_SECONDS)
        provider.cancel(commands)
        cancelled = True
    result = {
        "invocations": snapshot.records,
        "summary": summary,
        "verdict": verdict.verdict,
        "passed": verdict.passed,
        "reason": verdict.reason,
        "policy": policy.describe(),
        # Records per outcome (what reports count); targets not visible yet are in summary.not_visible.
        "outcomes": count_outcomes(snapshot.records, policy),
        "stop_early": policy.stop_mode,
        "elapsed": round(elapsed, 3),
        "timeout": budget,
        "timed_out": outcome.timed_out,
        "ended_because": ENDED_ERROR if condition_error is not None else outcome.ended_because,
        "cancelled": cancelled,
    }
    result.update(counters)
    # Shown as task warnings by the module (_module.py), and kept in the result: ansible-core 2.19
    # keeps warnings out of a registered result, so a playbook could not see them otherwise.
    result["wait_warnings"] = [warning for warning in (delay_warning(params.get("delay"), budget), events_warning(counters)) if warning]
    error = condition_error if condition_error is not None else (outcome.error if outcome.ended_because == ENDED_ERROR else None)
    if error is None:
        # Part of a wait over several providers failed while the others went on: their records are kept.
        error = watch.failure()
        if error is not None:
            result["ended_because"] = ENDED_ERROR
    if error is not None or outcome.ended_because == ENDED_ERROR:
        # The reads or a condition failed: the records seen are kept, but no verdict is drawn about the targets.
        message = error.message if error is not None else "an error"
        result.update(verdict=VERDICT_ERROR, passed=False, reason=f"the wait ended on an error before the targets could be judged: {message}")
        return result, error, None
    failure = None
    if verdict.verdict == VERDICT_FAILED and params["fail_on_failure"]:
        failure = f"the invocations failed: {verdict.reason}. {describe_failures(snapshot.records)}"
    elif verdict.verdict == VERDICT_TIMED_OUT and params["fail_on_timeout"]:
        failure = f"timed out after {elapsed:.0f}s (budget {budget:g}s): {verdict.reason}"
    return result, None, failure
