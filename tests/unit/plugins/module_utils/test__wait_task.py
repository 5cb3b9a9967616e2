# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait, then judge: settings and policy from options, verdicts and failure messages."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied, InvalidInput, NotFound, ProviderError, Throttled
from ansible_collections.multicloud.invocations.plugins.module_utils._policy import UNDELIVERABLE_IGNORED
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Watch
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import (
    FAILURES_NAMED,
    STDERR_TAIL,
    LOOKUP_ATTEMPTS,
    delay_note,
    delay_warning,
    describe_failures,
    lookup_targets,
    policy_from,
    settings_from,
    wait_and_judge,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

COMMAND = {"CommandId": "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10", "TargetCount": 2}


def params(**overrides):
    """The options as AnsibleModule fills them from wait_argument_spec()."""
    values = {
        "timeout": None,
        "delay": 0.0,
        "interval": 2.0,
        "max_interval": 15.0,
        "not_found_grace": 30.0,
        "max_failures": None,
        "min_success_percent": None,
        "fail_fast": False,
        "undeliverable": "failure",
        "fail_on_timeout": True,
        "fail_on_failure": True,
        "instance_ids": None,
        "include_output": True,
    }
    values.update(overrides)
    return values


class FakeWatch(Watch):
    def __init__(self, steps):
        self.steps = list(steps)
        self.polls = 0

    def poll(self):
        self.polls += 1
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


class FakeProvider:
    def __init__(self, *steps, default_timeout=120.0):
        self._default_timeout = default_timeout
        self.api_calls = 17
        self.retries = 2
        self.watch_calls = []
        self.timeout_calls = []
        self.request_limits = []
        self.watcher = FakeWatch(steps)

    def limit_requests_to(self, seconds):
        self.request_limits.append(seconds)

    def default_timeout(self, commands):
        self.timeout_calls.append(commands)
        return self._default_timeout

    def watch(self, commands, instance_ids, include_output):
        self.watch_calls.append((commands, instance_ids, include_output))
        return self.watcher


def snapshot(records, expected=None, complete=None, missing=None):
    if complete is None:
        complete = bool(records) and all(record["terminal"] for record in records)
    return Snapshot(records=list(records), expected=len(records) if expected is None else expected, complete=complete, missing=list(missing or []))


def test_success(fake_clock, recs):
    final = snapshot(recs("success", "success"))
    provider = FakeProvider(snapshot(recs("running", "pending")), final)
    result, error, failure = wait_and_judge(provider, [COMMAND], params(), **fake_clock.hooks())
    assert error is None
    assert failure is None
    assert result["verdict"] == "success"
    assert result["passed"] is True
    assert result["invocations"] == final.records
    assert result["summary"]["counts"]["success"] == 2
    assert result["summary"]["aggregate"] == "success"
    assert result["ended_because"] == "finished"
    assert result["timed_out"] is False
    assert result["timeout"] == 120.0
    assert result["polls"] == 2
    assert result["throttled_polls"] == 0
    assert result["elapsed"] == pytest.approx(2.0)
    assert result["api_calls"] == 17
    assert result["policy"] == "all targets must succeed, undeliverable targets count as failures"
    assert provider.timeout_calls == [[COMMAND]]
    assert provider.watch_calls == [([COMMAND], [], True)]


def test_watch_gets_instance_ids_and_include_output(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("success")))
    wait_and_judge(provider, [COMMAND], params(instance_ids=["i-0123456789abcdef0"], include_output=False), **fake_clock.hooks())
    assert provider.watch_calls == [([COMMAND], ["i-0123456789abcdef0"], False)]


def test_timeout_option_overrides_the_derived_budget(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("running")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(timeout=30), **fake_clock.hooks())
    assert result["timeout"] == 30.0
    assert result["elapsed"] == pytest.approx(30.0)
    assert error is None
    assert failure is not None


def test_failure_message_names_instance_exit_code_and_stderr_tail(fake_clock, rec):
    stderr = "x" * 500 + "\nE: package foo has no installation candidate\n"
    records = [
        rec("success", "i-0123456789abcdef0", exit_code=0),
        rec("failed", "i-0fedcba9876543210", exit_code=100, stderr=stderr, vendor_status_details="Failed"),
    ]
    provider = FakeProvider(snapshot(records))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(), **fake_clock.hooks())
    assert error is None
    assert result["verdict"] == "failed"
    assert result["passed"] is False
    assert failure.startswith("the invocations failed: 1 of 2 targets failed; policy: all targets must succeed")
    assert "i-0fedcba9876543210: failed (Failed), exit code 100, stderr: " in failure
    tail = stderr.strip()[-STDERR_TAIL:]
    assert len(tail) == STDERR_TAIL
    assert failure.endswith(f"exit code 100, stderr: {tail}")
    assert "x" * (STDERR_TAIL - 44) not in failure
    assert "i-0123456789abcdef0" not in failure


def test_describe_failures_names_the_first_few(recs):
    records = recs(*(["failed"] * (FAILURES_NAMED + 2)), "success", "running")
    text = describe_failures(records)
    assert text.count(": failed") == FAILURES_NAMED
    assert text.endswith("and 2 more (see invocations)")
    assert records[0]["instance_id"] in text
    assert records[FAILURES_NAMED]["instance_id"] not in text


def test_describe_failures_without_exit_code_or_stderr(rec):
    assert describe_failures([rec("undeliverable", "i-0123456789abcdef0", vendor_status_details="Undeliverable")]) == (
        "i-0123456789abcdef0: undeliverable (Undeliverable)"
    )


def test_fail_on_failure_false_gives_no_failure_message(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("success", "failed")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(fail_on_failure=False), **fake_clock.hooks())
    assert (error, failure) == (None, None)
    assert result["verdict"] == "failed"


def test_timed_out(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("pending", "pending")), snapshot(recs("success", "running")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(timeout=60), **fake_clock.hooks())
    assert error is None
    assert result["verdict"] == "timed_out"
    assert result["timed_out"] is True
    assert result["ended_because"] == "timeout"
    assert result["elapsed"] == pytest.approx(60.0)
    assert [record["status"] for record in result["invocations"]] == ["success", "running"]
    assert failure == (
        "timed out after 60s (budget 60s): 1 of 2 targets had not finished; policy: all targets must succeed, undeliverable targets count as failures"
    )


def test_fail_on_timeout_false_gives_no_failure_message(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("running")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(timeout=10, fail_on_timeout=False), **fake_clock.hooks())
    assert (error, failure) == (None, None)
    assert result["verdict"] == "timed_out"
    assert result["timed_out"] is True


def test_timeout_that_is_already_lost_is_a_failure(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("failed", "running")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(timeout=10, fail_on_timeout=False), **fake_clock.hooks())
    assert error is None
    assert result["timed_out"] is True
    assert result["verdict"] == "failed"
    assert failure.startswith("the invocations failed")


def test_fail_fast_stops_at_the_first_failure(fake_clock, recs):
    provider = FakeProvider(
        snapshot(recs("running", "running", "running")),
        snapshot(recs("failed", "running", "running")),
        snapshot(recs("failed", "success", "success")),
    )
    result, error, failure = wait_and_judge(provider, [COMMAND], params(fail_fast=True), **fake_clock.hooks())
    assert error is None
    assert result["ended_because"] == "fail_fast"
    assert result["polls"] == 2
    assert result["verdict"] == "failed"
    assert failure.startswith("the invocations failed")
    assert "fail fast" in result["policy"]


def test_without_fail_fast_the_wait_goes_on_after_a_failure(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("running", "running")), snapshot(recs("failed", "running")), snapshot(recs("failed", "success")))
    result, dummy, dummy2 = wait_and_judge(provider, [COMMAND], params(), **fake_clock.hooks())
    assert result["ended_because"] == "finished"
    assert result["polls"] == 3


def test_a_threshold_stops_the_wait_once_it_cannot_pass(fake_clock, recs):
    # The gate in small: one failure allowed, two failed, an offline instance pending for ever.
    provider = FakeProvider(
        snapshot(recs("running", "running", "pending")),
        snapshot(recs("failed", "failed", "pending")),
        snapshot(recs("failed", "failed", "pending")),
    )
    result, error, failure = wait_and_judge(provider, [COMMAND], params(max_failures=1, timeout=600), **fake_clock.hooks())
    assert error is None
    assert result["ended_because"] == "fail_fast"
    assert result["stop_early"] == "failed"
    assert result["polls"] == 2
    assert result["verdict"] == "failed"
    assert result["timed_out"] is False
    assert [record["status"] for record in result["invocations"]] == ["failed", "failed", "pending"]
    assert "1 had not finished" in result["reason"]
    assert failure.startswith("the invocations failed")


def test_stop_early_never_waits_out_a_lost_verdict(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("failed", "failed", "running")), snapshot(recs("failed", "failed", "success")))
    result, dummy, dummy2 = wait_and_judge(provider, [COMMAND], params(max_failures=1, stop_early="never"), **fake_clock.hooks())
    assert result["ended_because"] == "finished"
    assert result["polls"] == 2
    assert result["stop_early"] == "never"


def test_stop_early_decided_stops_on_a_pass_that_can_no_longer_be_lost(fake_clock, recs):
    provider = FakeProvider(
        snapshot(recs("running", "running", "pending")),
        snapshot(recs("success", "success", "pending")),
        snapshot(recs("success", "success", "pending")),
    )
    result, error, failure = wait_and_judge(provider, [COMMAND], params(max_failures=1, stop_early="decided", timeout=600), **fake_clock.hooks())
    assert (error, failure) == (None, None)
    assert result["ended_because"] == "decided"
    assert result["polls"] == 2
    assert result["verdict"] == "success"
    assert result["passed"] is True
    assert result["invocations"][2]["status"] == "pending"


def test_a_pass_is_not_decided_by_default(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("success", "success", "pending")))
    result, dummy, dummy2 = wait_and_judge(provider, [COMMAND], params(max_failures=1, timeout=30, fail_on_timeout=False), **fake_clock.hooks())
    assert result["ended_because"] == "timeout"
    assert result["verdict"] == "timed_out"


def test_fail_fast_and_stop_early_never_contradict(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("success")))
    with pytest.raises(InvalidInput, match="fail_fast .* stop_early: never"):
        wait_and_judge(provider, [COMMAND], params(fail_fast=True, stop_early="never"), **fake_clock.hooks())


def test_fail_fast_waits_while_nothing_is_visible_yet(fake_clock, recs):
    not_yet = Snapshot(records=[], expected=0, complete=False, missing=["invocations of command 0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"])
    provider = FakeProvider(not_yet, snapshot(recs("running", "running")), snapshot(recs("success", "success")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(fail_fast=True), **fake_clock.hooks())
    assert (error, failure) == (None, None)
    assert result["ended_because"] == "finished"
    assert result["verdict"] == "success"


def test_undeliverable_ignored_passes(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("success", "undeliverable")))
    result, error, failure = wait_and_judge(provider, [COMMAND], params(undeliverable=UNDELIVERABLE_IGNORED), **fake_clock.hooks())
    assert (error, failure) == (None, None)
    assert result["verdict"] == "success"


def test_error_keeps_the_records_and_gives_no_failure_message(fake_clock, recs):
    first = snapshot(recs("success", "running"))
    denied = AccessDenied("not authorized", code="AccessDeniedException", request_id="req-1")
    provider = FakeProvider(first, denied)
    result, error, failure = wait_and_judge(provider, [COMMAND], params(), **fake_clock.hooks())
    assert error is denied
    assert failure is None
    assert result["ended_because"] == "error"
    assert result["invocations"] == first.records
    # No verdict about the targets from a wait that could not read them (it once said timed_out or failed).
    assert result["verdict"] == "error" and result["passed"] is False
    assert result["reason"] == "the wait ended on an error before the targets could be judged: not authorized"


def test_progress_lines_reach_the_caller(fake_clock, recs):
    lines = []
    provider = FakeProvider(snapshot(recs("running")), snapshot(recs("success")))
    wait_and_judge(provider, [COMMAND], params(), on_progress=lines.append, **fake_clock.hooks())
    assert lines == ["0/1 done, 1 running (0s of 120s)", "1/1 done, 1 success (2s of 120s)"]


# -- settings_from and policy_from --------------------------------------------------------------


def test_settings_from_uses_the_options():
    settings = settings_from(params(timeout=90, delay=5, interval=3, max_interval=20, not_found_grace=45), 1000)
    assert (settings.timeout, settings.delay, settings.interval, settings.max_interval, settings.not_found_grace) == (90.0, 5.0, 3.0, 20.0, 45.0)


def test_settings_from_derives_the_timeout_when_not_set():
    assert settings_from(params(), 3720.0).timeout == 3720.0


@pytest.mark.parametrize(
    "resume, delay",
    [
        # The slice before polled at 20 s; this one starts 1.2 s later: 0.8 s left of the 2 s interval.
        ({"elapsed": 21.2, "polled_at": 20.0, "timeout": 100}, 0.8),
        # A slow start (or a long gap) ate the whole interval: poll at once.
        ({"elapsed": 23.0, "polled_at": 20.0, "timeout": 100}, 0.0),
        # A checkpoint from before polled_at existed: poll at once, as before.
        ({"elapsed": 21.2, "timeout": 100}, 0.0),
    ],
)
def test_a_resumed_slice_first_polls_when_the_next_poll_is_due(resume, delay):
    settings = settings_from(params(interval=2, delay=30, resume=resume), 100)
    assert settings.delay == pytest.approx(delay)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"timeout": 0}, "timeout must be more than 0 seconds, got 0"),
        ({"timeout": -5}, "timeout must be more than 0 seconds, got -5"),
        ({"delay": -1}, "delay must be 0 or more seconds, got -1"),
        ({"interval": 0}, "interval must be more than 0 seconds, got 0"),
        ({"interval": 10, "max_interval": 5}, "max_interval (5) must be at least interval (10)"),
        ({"not_found_grace": -0.5}, "not_found_grace must be 0 or more seconds, got -0.5"),
    ],
)
def test_settings_from_validation(overrides, message):
    with pytest.raises(InvalidInput) as caught:
        settings_from(params(**overrides), 100)
    assert caught.value.message == message


def test_settings_from_rejects_a_derived_timeout_of_zero():
    with pytest.raises(InvalidInput, match="timeout must be more than 0 seconds"):
        settings_from(params(), 0)


def test_policy_from():
    policy = policy_from(params(max_failures=2, min_success_percent=80.0, fail_fast=True, undeliverable="ignore"))
    assert (policy.max_failures, policy.min_success_percent, policy.fail_fast, policy.undeliverable) == (2, 80.0, True, "ignore")
    default = policy_from(params())
    assert (default.max_failures, default.min_success_percent, default.fail_fast, default.undeliverable) == (None, None, False, "failure")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"max_failures": -1}, "max_failures must be 0 or more, got -1"),
        ({"min_success_percent": 100.5}, "min_success_percent must be between 0 and 100, got 100.5"),
        ({"min_success_percent": -1}, "min_success_percent must be between 0 and 100, got -1"),
    ],
)
def test_policy_from_validation(overrides, message):
    with pytest.raises(InvalidInput) as caught:
        policy_from(params(**overrides))
    assert caught.value.message == message


@pytest.mark.parametrize("overrides", [{"max_failures": 0}, {"min_success_percent": 0}, {"min_success_percent": 100}])
def test_policy_from_accepts_the_bounds(overrides):
    policy_from(params(**overrides))


@pytest.mark.parametrize(
    "options, follows",
    [
        ({"fail_fast": True}, True),
        ({}, False),
        # A threshold stops a lost wait by default, so failures are read as they happen.
        ({"max_failures": 1}, True),
        ({"min_success_percent": 90.0, "stop_early": "never"}, False),
        ({"stop_early": "decided"}, True),
    ],
)
def test_the_watch_follows_failures_only_when_the_policy_may_stop_at_one(fake_clock, recs, options, follows):
    provider = FakeProvider(snapshot(recs("success", "success")))
    provider.watcher.follow_failures = True
    wait_and_judge(provider, [COMMAND], params(**options), **fake_clock.hooks())
    assert provider.watcher.follow_failures is follows


def test_progress_lines_are_few_because_each_costs_a_module_start():
    first = settings_from(params(checkpoint_after=30.0), 1000)
    resumed = settings_from(params(checkpoint_after=30.0, resume={"elapsed": 31.0, "timeout": 1000}), 1000)
    # The first slice shows no line before 30 s; later ones at most every 15 s when the counts change.
    assert (first.checkpoint_after, first.checkpoint_min) == (30.0, 30.0)
    assert (resumed.checkpoint_min, resumed.already_waited) == (15.0, 31.0)


# -- the lookup before the first poll ------------------------------------------------------------


class LookupProvider:
    """wait_targets answers the scripted errors first, then the targets."""

    name = "aws_ssm"

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def limit_requests_to(self, seconds):
        pass

    def wait_targets(self, _params):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return [COMMAND]


def lookup(provider, timeout=None, grace=0.0):
    sleeps = []
    now = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    targets = lookup_targets(provider, {"timeout": timeout, "not_found_grace": grace}, sleep=sleep, clock=lambda: now[0], rand=lambda: 1.0)
    return targets, sleeps


def test_lookup_rides_out_throttling_and_server_errors():
    # chaos (fleetsim --faults throttle) found a wait ending on a lookup throttled 4 times in a row.
    provider = LookupProvider(Throttled("slow down", code="REQUEST_LIMIT_EXCEEDED"), ProviderError("503", retryable=True),
                              Throttled("slow down"), Throttled("slow down"))
    targets, sleeps = lookup(provider)
    assert targets == [COMMAND] and provider.calls == 5
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


def test_lookup_gives_up_after_its_attempts():
    provider = LookupProvider(*[Throttled("slow down") for index in range(LOOKUP_ATTEMPTS)])
    with pytest.raises(Throttled):
        lookup(provider)
    assert provider.calls == LOOKUP_ATTEMPTS


def test_lookup_never_sleeps_past_the_timeout():
    provider = LookupProvider(Throttled("slow down"), Throttled("slow down"), Throttled("slow down"))
    with pytest.raises(Throttled):
        lookup(provider, timeout=2.5)
    assert provider.calls == 2


@pytest.mark.parametrize("error", [AccessDenied("bad key"), InvalidInput("bad id"), ProviderError("boom")])
def test_lookup_fails_at_once_on_what_waiting_cannot_cure(error):
    provider = LookupProvider(error)
    with pytest.raises(error.__class__):
        lookup(provider, grace=30)
    assert provider.calls == 1


@pytest.mark.parametrize("delay, timeout, warned", [(0, 60, False), (59.5, 60, False), (60, 60, True), (90, 60, True), ("90", "60", True),
                                                    (None, 60, False), (90, None, False)])
def test_a_delay_at_or_past_the_timeout_is_warned_about(delay, timeout, warned):
    assert (delay_warning(delay, timeout) is not None) is warned
    assert bool(delay_note(delay, timeout)) is warned


def test_a_wait_whose_delay_is_past_its_timeout_reads_once_and_warns(fake_clock, recs):
    # It once ran silently: the whole budget slept away, then one read at the deadline.
    provider = FakeProvider(snapshot(recs("running", "running")))
    result, error, _failure = wait_and_judge(provider, [COMMAND], params(timeout=60, delay=90), **fake_clock.hooks())
    assert error is None and result["polls"] == 1 and result["ended_because"] == "timeout"
    assert result["wait_warnings"] == [
        "delay (90s) is at or past timeout (60s): the wait reads nothing before its deadline and then reads once; "
        "set a delay shorter than the timeout, or a longer timeout"
    ]


def test_no_warning_for_a_delay_inside_the_budget(fake_clock, recs):
    provider = FakeProvider(snapshot(recs("success")))
    result, _error, _failure = wait_and_judge(provider, [COMMAND], params(timeout=60, delay=10), **fake_clock.hooks())
    assert result["wait_warnings"] == []


def test_a_sliced_wait_whose_delay_is_past_its_timeout_reads_once_in_its_first_slice_and_warns(fake_clock, recs):
    # After such a delay the deadline has come: the slice runs to the end (no checkpoint, no second
    # module start) and the action plugin has said so before the slice (test_progress_action.py).
    provider = FakeProvider(snapshot(recs("running")))
    result, _error, _failure = wait_and_judge(provider, [COMMAND], params(timeout=60, delay=60, checkpoint_after=30.0), **fake_clock.hooks())
    assert "checkpoint" not in result and result["ended_because"] == "timeout" and result["polls"] == 1
    assert result["wait_warnings"] and "delay (60s) is at or past timeout (60s)" in result["wait_warnings"][0]


def test_lookup_reads_an_id_not_visible_yet_again_within_the_grace():
    # A command another task or tool has just sent: the vendor reads as if it did not exist yet.
    provider = LookupProvider(NotFound("no such command"), NotFound("no such command"))
    targets, sleeps = lookup(provider, grace=30)
    assert targets == [COMMAND] and provider.calls == 3
    assert sleeps == [0.625, 1.25]


def test_lookup_says_never_visible_when_the_grace_ends():
    provider = LookupProvider(*[NotFound("command c1 does not exist", code="InvalidCommandId", request_id="r-9") for index in range(20)])
    with pytest.raises(NotFound) as caught:
        lookup(provider, grace=5)
    assert caught.value.message == ("command c1 does not exist; it never became visible within 5s (not_found_grace); "
                                    "check the id, the region and the account")
    assert (caught.value.code, caught.value.request_id) == ("InvalidCommandId", "r-9")
    assert provider.calls == 5


def test_lookup_grace_never_runs_past_the_timeout():
    provider = LookupProvider(*[NotFound("no such command") for index in range(20)])
    with pytest.raises(NotFound) as caught:
        lookup(provider, timeout=2, grace=30)
    assert "never became visible within 2s" in caught.value.message


def test_lookup_without_a_grace_fails_at_once_on_an_unknown_id():
    provider = LookupProvider(NotFound("no such command"))
    with pytest.raises(NotFound) as caught:
        lookup(provider, grace=0)
    assert caught.value.message == "no such command" and provider.calls == 1


def test_targets_left_out_by_the_agent_pre_flight_count_in_every_slice_of_the_wait(fake_clock, recs, rec):
    # invocation_run's skip: the left-out record and the agents travel in the checkpoint, so the
    # slice that ends the wait (invocation_wait with resume) still judges and reports them.
    left_out = rec("undeliverable", "i-0bbbbbbbbbbbbbbb4", command_id=None,
                   agent={"instance_id": "i-0bbbbbbbbbbbbbbb4", "state": "lost", "ready": False, "vendor_status": "ConnectionLost", "last_seen": None})
    sent_anyway = {"instance_id": "i-00000000000000000", "state": "lost", "ready": False, "vendor_status": "ConnectionLost", "last_seen": None}
    provider = FakeProvider(snapshot(recs("running"), complete=False))
    first, _error, _failure = wait_and_judge(provider, [COMMAND], params(checkpoint_after=30.0, known_records=[left_out], agents=[sent_anyway]),
                                             **fake_clock.hooks())
    checkpoint = first["checkpoint"]
    assert checkpoint["known_records"] == [left_out] and checkpoint["agents"] == [sent_anyway]
    assert first["summary"]["counts"]["undeliverable"] == 1 and first["summary"]["total"] == 2
    provider = FakeProvider(snapshot(recs("success")))
    final, error, failure = wait_and_judge(provider, [COMMAND], params(resume=checkpoint), **fake_clock.hooks())
    assert error is None and final["verdict"] == "failed" and "i-0bbbbbbbbbbbbbbb4: undeliverable" in failure
    assert [record["instance_id"] for record in final["invocations"]] == ["i-0bbbbbbbbbbbbbbb4", "i-00000000000000000"]
    assert final["invocations"][1]["agent"]["state"] == "lost"
    lenient, _error, failure = wait_and_judge(FakeProvider(snapshot(recs("success"))), [COMMAND],
                                              params(resume=checkpoint, undeliverable=UNDELIVERABLE_IGNORED), **fake_clock.hooks())
    assert lenient["verdict"] == "success" and failure is None and lenient["summary"]["counts"]["undeliverable"] == 1


def test_a_resumed_slice_does_not_poll_again_before_the_interval_is_up(fake_clock, recs):
    # The checkpoint comes right after a poll; the controller resumes 1.2 s later (a module start).
    provider = FakeProvider(snapshot(recs("running"), complete=False))
    first, _error, _failure = wait_and_judge(provider, [COMMAND], params(checkpoint_after=30.0), **fake_clock.hooks())
    checkpoint = first["checkpoint"]
    assert checkpoint["polled_at"] == checkpoint["elapsed"]
    slept = len(fake_clock.sleeps)
    resumed = dict(checkpoint, elapsed=checkpoint["elapsed"] + 1.2)
    wait_and_judge(FakeProvider(snapshot(recs("success"))), [COMMAND], params(resume=resumed), **fake_clock.hooks())
    # Its first poll waits out the rest of the 2 s base interval, as a wait in one go would.
    assert fake_clock.sleeps[slept] == pytest.approx(0.8)
