# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""invocation_wait's waits: several providers in one loop with one deadline, judged once."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied, InvalidInput, NotFound, ProviderError, Throttled
from ansible_collections.multicloud.invocations.plugins.module_utils._multi_wait import drop_runs_not_started, items_from, look_up_and_wait_all
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Watch
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

AWS_COMMAND = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
ALI_INVOKE = "t-hz0abcdef012345"
ZOS_INVOCATION = "inv-0123456789"


def params(waits, **overrides):
    """The task's options as AnsibleModule fills them (the wait options and a task-level region)."""
    values = {
        "waits": waits,
        "provider": "aws_ssm",
        "region": "us-east-1",
        "endpoint_url": None,
        "access_key": None,
        "secret_key": None,
        "timeout": None,
        "delay": 0.0,
        "interval": 2.0,
        "max_interval": 15.0,
        "not_found_grace": 30.0,
        "max_failures": None,
        "min_success_percent": None,
        "fail_fast": False,
        "stop_early": None,
        "undeliverable": "failure",
        "fail_on_timeout": True,
        "fail_on_failure": True,
        "cancel_on_timeout": False,
        "success_when": None,
        "failure_when": None,
        "include_output": True,
        "command_ids": None,
        "invocation_ids": None,
        "instance_ids": None,
    }
    values.update(overrides)
    return values


WINDOW = "mw-0123456789abcdef0"
WINDOW_EXECUTION = "22222222-2222-4222-8222-222222222222"
WINDOW_TASK = "33333333-3333-4333-8333-333333333333"
AWS_ITEM = {"provider": "aws_ssm", "region": "eu-west-1", "command_ids": [AWS_COMMAND]}
ALI_ITEM = {"provider": "alibaba_ecs", "region": "cn-hangzhou", "invocation_ids": [ALI_INVOKE]}
ZOS_ITEM = {"provider": "zenlayer_zos", "invocation_ids": [ZOS_INVOCATION]}


def records(provider, *statuses):
    return [make_record(provider, status, instance_id=f"i-{provider[:3]}{index:014x}") for index, status in enumerate(statuses)]


def snap(provider, *statuses):
    seen = records(provider, *statuses)
    return Snapshot(records=seen, expected=len(seen), complete=all(record["terminal"] for record in seen))


class ScriptedWatch(Watch):
    """Answers each poll with the next step (the last one repeats); an exception step is raised."""

    def __init__(self, steps, clock):
        self.steps = list(steps)
        self.poll_times = []
        self.clock = clock

    def poll(self):
        self.poll_times.append(self.clock())
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


class ItemProvider:
    """One item's provider: its lookup answer, its scripted rounds, its own budget and counters."""

    def __init__(self, name, options, steps, clock, lookup_error=None, budget=60.0):
        self.name = name
        self.options = options
        self.api_calls = 3
        self.retries = 0
        self.warnings = []
        self.limits = []
        self.cancelled = []
        self.lookup_error = lookup_error
        self.budget = budget
        self.watcher = ScriptedWatch(steps, clock)

    def limit_requests_to(self, seconds):
        self.limits.append(seconds)

    def wait_targets(self, options):
        if self.lookup_error is not None:
            raise self.lookup_error
        ids = options.get("command_ids") or options.get("invocation_ids")
        return [{"run": run_id} for run_id in ids]

    def default_timeout(self, targets):
        return self.budget

    def watch(self, targets, instance_ids, include_output):
        return self.watcher

    def cancel(self, targets):
        self.cancelled.append(targets)


class Builder:
    """Builds each item's provider from a script keyed by provider name, and keeps them."""

    def __init__(self, fake_clock, scripts, lookup_errors=None, budgets=None):
        self.fake_clock = fake_clock
        self.scripts = scripts
        self.lookup_errors = lookup_errors or {}
        self.budgets = budgets or {}
        self.built = {}

    def __call__(self, name, options):
        provider = ItemProvider(name, options, self.scripts[name], self.fake_clock.clock, self.lookup_errors.get(name), self.budgets.get(name, 60.0))
        self.built[name] = provider
        return provider


def wait(fake_clock, builder, task):
    items = items_from(task)
    return look_up_and_wait_all(items, task, build=builder, **fake_clock.hooks())


def test_three_providers_one_verdict_every_record_with_its_provider(fake_clock):
    builder = Builder(fake_clock, {
        "aws_ssm": [snap("aws_ssm", "success")],
        "alibaba_ecs": [snap("alibaba_ecs", "running"), snap("alibaba_ecs", "success")],
        "zenlayer_zos": [snap("zenlayer_zos", "running")] * 3 + [snap("zenlayer_zos", "success")],
    })
    result, error, failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ALI_ITEM, ZOS_ITEM]))
    assert error is None and failure is None
    assert result["verdict"] == "success"
    assert [record["provider"] for record in result["invocations"]] == ["aws_ssm", "alibaba_ecs", "zenlayer_zos"]
    assert [entry["ended"] for entry in result["waits"]] == ["finished"] * 3
    # Each item was read until it ended, no longer; the loop made as many rounds as the slowest needed.
    assert [entry["polls"] for entry in result["waits"]] == [1, 2, 4]
    assert result["polls"] == 4
    assert result["api_calls"] == 9


def test_each_item_is_built_from_its_own_options_over_the_task_ones(fake_clock):
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")], "zenlayer_zos": [snap("zenlayer_zos", "success")]})
    task = params([AWS_ITEM, ZOS_ITEM, {"provider": "aws_ssm", "command_ids": [AWS_COMMAND]}], endpoint_url="https://proxy.example")
    result, *_rest = wait(fake_clock, builder, task)
    assert [entry["region"] for entry in result["waits"]] == ["eu-west-1", "us-east-1", "us-east-1"]
    zos = builder.built["zenlayer_zos"].options
    assert zos["provider"] == "zenlayer_zos"
    assert zos["invocation_ids"] == [ZOS_INVOCATION]
    assert zos["command_ids"] is None
    assert zos["endpoint_url"] == "https://proxy.example"
    assert "waits" not in zos


def test_one_deadline_for_every_item(fake_clock):
    builder = Builder(fake_clock, {
        "aws_ssm": [snap("aws_ssm", "success")],
        "alibaba_ecs": [snap("alibaba_ecs", "running")],
        "zenlayer_zos": [snap("zenlayer_zos", "pending")],
    }, budgets={"aws_ssm": 10.0, "alibaba_ecs": 40.0, "zenlayer_zos": 25.0})
    result, error, failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ALI_ITEM, ZOS_ITEM], fail_on_timeout=False))
    assert error is None and failure is None
    # Without a timeout the budget is the longest item's own; it is the whole wait's, not each item's in turn.
    assert result["timeout"] == 40.0
    assert result["timed_out"] is True
    assert fake_clock.elapsed <= 40.0
    assert result["verdict"] == "timed_out"
    assert len(result["invocations"]) == 3
    assert [entry["ended"] for entry in result["waits"]] == ["finished", "not_finished", "not_finished"]
    # Every provider's requests are bounded by the one budget, set once for all at the start.
    for provider in builder.built.values():
        assert provider.limits and provider.limits[-1] == pytest.approx(40.0)


def test_a_failing_provider_keeps_its_error_and_the_others_records(fake_clock):
    denied = AccessDenied("the key was refused", provider="alibaba_ecs", code="Forbidden.RAM", request_id="req-1")
    builder = Builder(fake_clock, {
        "aws_ssm": [snap("aws_ssm", "running"), snap("aws_ssm", "success")],
        "alibaba_ecs": [snap("alibaba_ecs", "running"), denied],
        "zenlayer_zos": [snap("zenlayer_zos", "running")] * 2 + [snap("zenlayer_zos", "failed")],
    })
    result, error, failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ALI_ITEM, ZOS_ITEM]))
    assert failure is None
    assert error is not None
    assert error.code == "Forbidden.RAM" and error.request_id == "req-1"
    assert "waits[1] (alibaba_ecs)" in error.message and "the key was refused" in error.message
    assert result["verdict"] == "error"
    assert result["ended_because"] == "error"
    # The others were waited on to their end; the failed item keeps what it saw before its error.
    assert [entry["ended"] for entry in result["waits"]] == ["finished", "error", "finished"]
    assert result["waits"][1]["error_code"] == "Forbidden.RAM"
    assert [record["status"] for record in result["invocations"]] == ["success", "running", "failed"]
    # Its reads stopped at the error.
    assert len(builder.built["alibaba_ecs"].watcher.poll_times) == 2


def test_an_item_whose_lookup_fails_is_reported_and_the_others_are_waited_on(fake_clock):
    missing = NotFound("invocation t-hz0abcdef012345 does not exist in this region", provider="alibaba_ecs", code="InvalidInvokeId.NotFound")
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")], "alibaba_ecs": [snap("alibaba_ecs", "success")]},
                      lookup_errors={"alibaba_ecs": missing})
    result, error, _failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ALI_ITEM], not_found_grace=0.0))
    assert error is not None and error.code == "InvalidInvokeId.NotFound"
    assert [record["provider"] for record in result["invocations"]] == ["aws_ssm"]
    assert [entry["ended"] for entry in result["waits"]] == ["finished", "error"]
    assert builder.built["alibaba_ecs"].watcher.poll_times == []


def test_every_lookup_failing_is_an_error_with_nothing_seen(fake_clock):
    missing = NotFound("no such command", provider="aws_ssm", code="InvalidCommandId")
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")]}, lookup_errors={"aws_ssm": missing})
    result, error, _failure, _group = wait(fake_clock, builder, params([AWS_ITEM], not_found_grace=0.0))
    assert error.code == "InvalidCommandId"
    assert result["invocations"] == [] and result["verdict"] == "error"
    assert result["waits"][0]["error_code"] == "InvalidCommandId"


def test_bad_options_found_at_lookup_fail_at_once_naming_the_item(fake_clock):
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")], "alibaba_ecs": [snap("alibaba_ecs", "success")]},
                      lookup_errors={"aws_ssm": InvalidInput("command id 'x' is not a command id")})
    result, error, _failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ALI_ITEM]))
    assert isinstance(error, InvalidInput) and error.message.startswith("waits[0] (aws_ssm): command id 'x'")
    assert result["verdict"] == "error" and result["invocations"] == []
    # At once: the items after it are not looked up, nothing is read.
    assert builder.built["alibaba_ecs"].watcher.poll_times == [] and builder.built["aws_ssm"].watcher.poll_times == []


def test_a_throttled_provider_slows_down_alone(fake_clock):
    throttled = Throttled("slow down", provider="zenlayer_zos")
    builder = Builder(fake_clock, {
        # AWS's counts change every round (targets moving on), so it keeps polling at the base interval.
        "aws_ssm": [snap("aws_ssm", "pending", "running"), snap("aws_ssm", "running", "running")] * 4 + [snap("aws_ssm", "success", "success")],
        "zenlayer_zos": [throttled] * 3 + [snap("zenlayer_zos", "success")],
    })
    result, error, _failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ZOS_ITEM], interval=1.0, max_interval=8.0))
    assert error is None and result["verdict"] == "success"
    aws_times = builder.built["aws_ssm"].watcher.poll_times
    zos_times = builder.built["zenlayer_zos"].watcher.poll_times
    zos_gaps = [later - earlier for earlier, later in zip(zos_times, zos_times[1:])]
    aws_gaps = [later - earlier for earlier, later in zip(aws_times, aws_times[1:])]
    # Zenlayer backs off on each throttled round; AWS keeps its own pace meanwhile.
    # (read in AWS's rounds when due within half its own pause, so its gaps are whole seconds here).
    assert zos_gaps == sorted(zos_gaps) and zos_gaps[0] < zos_gaps[-1]
    assert min(zos_gaps) > 1.0
    assert max(aws_gaps[:4]) <= 1.0  # never slowed by the other vendor's throttling
    assert len(zos_times) < len(aws_times)
    assert result["waits"][1]["throttled_polls"] == 3
    assert result["waits"][0]["throttled_polls"] == 0


def test_a_failure_anywhere_stops_the_whole_wait_under_the_policy(fake_clock):
    builder = Builder(fake_clock, {
        "aws_ssm": [snap("aws_ssm", "running")],
        "zenlayer_zos": [snap("zenlayer_zos", "failed", "failed")],
    })
    result, error, failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ZOS_ITEM], max_failures=1, timeout=600))
    assert error is None
    # Two failures over all items together break "at most 1 failed": the wait stops in its first round.
    assert result["verdict"] == "failed"
    assert result["ended_because"] == "fail_fast"
    assert result["polls"] == 1
    assert "the invocations failed" in failure


def test_cancel_on_timeout_goes_to_each_items_own_provider(fake_clock):
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "running")], "alibaba_ecs": [snap("alibaba_ecs", "running")]})
    result, *_rest = wait(fake_clock, builder, params([AWS_ITEM, ALI_ITEM], timeout=20, cancel_on_timeout=True))
    assert result["cancelled"] is True
    assert builder.built["aws_ssm"].cancelled == [[{"run": AWS_COMMAND}]]
    assert builder.built["alibaba_ecs"].cancelled == [[{"run": ALI_INVOKE}]]


def test_a_checkpoint_carries_each_items_runs_and_a_resumed_slice_reads_none_again(fake_clock):
    scripts = {"aws_ssm": [snap("aws_ssm", "running")] * 40 + [snap("aws_ssm", "success")], "alibaba_ecs": [snap("alibaba_ecs", "success")]}
    builder = Builder(fake_clock, scripts)
    task = params([AWS_ITEM, ALI_ITEM], timeout=600, checkpoint_after=30.0)
    result, *_rest = wait(fake_clock, builder, task)
    checkpoint = result["checkpoint"]
    assert checkpoint["handles"] == [{"wait": 0, "runs": [{"run": AWS_COMMAND}]}, {"wait": 1, "runs": [{"run": ALI_INVOKE}]}]
    resumed_builder = Builder(fake_clock, dict(scripts, aws_ssm=[snap("aws_ssm", "success")]),
                              lookup_errors={"aws_ssm": AssertionError("looked up again"), "alibaba_ecs": AssertionError("looked up again")})
    final, error, failure, _group = wait(fake_clock, resumed_builder, dict(task, checkpoint_after=None, resume=checkpoint))
    assert error is None and failure is None
    assert final["verdict"] == "success"
    assert [entry["ended"] for entry in final["waits"]] == ["finished", "finished"]


@pytest.mark.parametrize("task, message", [
    (params([AWS_ITEM], command_ids=[AWS_COMMAND]), "command_ids cannot be set beside it"),
    (params([AWS_ITEM], window_id="mw-0c50858d01e5f0a1b"), "window_id cannot be set beside it"),
    (params([]), "waits is empty"),
    (params([{"provider": "alibaba_ecs", "region": "cn-hangzhou"}]), r"waits\[0\] \(alibaba_ecs\) names no run: give invocation_ids"),
    (params([AWS_ITEM, {"provider": "alibaba_ecs", "command_ids": [AWS_COMMAND]}]),
     r"waits\[1\] \(alibaba_ecs\): alibaba_ecs waits on runs by their invoke id"),
    (params([{"provider": "aws_ssm", "invocation_ids": [ALI_INVOKE]}]), r"waits\[0\] \(aws_ssm\): aws_ssm identifies runs by command id"),
    (params([dict(ZOS_ITEM, region="eu-west-1")]), r"waits\[0\] \(zenlayer_zos\): zenlayer_zos does not use region"),
    (params([dict(ZOS_ITEM, instance_ids=[])]), r"waits\[0\] \(zenlayer_zos\): instance_ids is empty"),
    (params([ZOS_ITEM], cancel_on_timeout=True), r"waits\[0\] \(zenlayer_zos\): ZOS has no call to stop an invocation"),
    # Maintenance window items: one window run, nothing else in the item, selectors well-formed, SSM only.
    (params([dict(AWS_ITEM, window_execution_id=WINDOW_EXECUTION)]),
     r"waits\[0\] \(aws_ssm\) names a maintenance window run and command_ids: .* split them into two items"),
    (params([{"provider": "aws_ssm", "window_id": WINDOW, "instance_ids": ["i-0123456789abcdef0"]}]),
     r"waits\[0\] \(aws_ssm\) names a maintenance window run and instance_ids"),
    (params([{"provider": "aws_ssm", "window_id": "mw-123"}]), r"waits\[0\] \(aws_ssm\): window_id 'mw-123' is not a maintenance window id"),
    (params([{"provider": "aws_ssm", "window_task_id": WINDOW_TASK}]),
     r"waits\[0\] \(aws_ssm\): window_task_id is the task execution id .* give window_execution_id"),
    (params([{"provider": "aws_ssm", "window_execution_id": WINDOW_EXECUTION, "executed_after": "2026-11-22T00:00:00Z"}]),
     r"waits\[0\] \(aws_ssm\): executed_after / executed_before choose among the executions of a window: give window_id"),
    (params([{"provider": "aws_ssm", "window_id": WINDOW, "window_execution_id": WINDOW_EXECUTION}]), r"waits\[0\] \(aws_ssm\): give either window_id"),
    (params([{"provider": "aws_ssm", "window_execution_id": WINDOW_EXECUTION}], cancel_on_timeout=True),
     r"waits\[0\] \(aws_ssm\): cancel_on_timeout does not apply to maintenance window runs"),
    (params([AWS_ITEM, dict(ALI_ITEM, invocation_ids=None, window_execution_id=WINDOW_EXECUTION)]),
     r"waits\[1\] \(alibaba_ecs\): Cloud Assistant has no maintenance windows .* so window_execution_id cannot be honoured"),
    (params([{"provider": "aws_ssm", "region": "eu-west-1"}]), r"waits\[0\] \(aws_ssm\) names no run: give command_ids .* or window_execution_id / window_id"),
])
def test_bad_items_are_refused_before_any_call(task, message):
    with pytest.raises(InvalidInput, match=message):
        items_from(task)


def test_a_region_inherited_from_the_task_is_not_refused_on_an_item_that_does_not_use_it():
    items = items_from(params([ZOS_ITEM], region="us-east-1"))
    assert items[0].params["region"] == "us-east-1"


def test_check_mode_placeholders_are_dropped_per_item():
    items = items_from(params([
        dict(AWS_ITEM, command_ids=["not-started-in-check-mode"]),
        dict(ZOS_ITEM, invocation_ids=[ZOS_INVOCATION, "not-started-in-check-mode"]),
    ]))
    kept, skipped = drop_runs_not_started(items)
    assert skipped == 2
    assert [item.provider_name for item in kept] == ["zenlayer_zos"]
    assert kept[0].params["invocation_ids"] == [ZOS_INVOCATION]


def test_persistent_server_errors_end_only_that_item(fake_clock):
    broken = ProviderError("HTTP 503", provider="zenlayer_zos", retryable=True)
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "running")] * 30 + [snap("aws_ssm", "success")], "zenlayer_zos": [broken]})
    result, error, _failure, _group = wait(fake_clock, builder, params([AWS_ITEM, ZOS_ITEM], interval=1.0, max_interval=2.0, timeout=600))
    assert "poll rounds failed in a row" in error.message
    assert [entry["ended"] for entry in result["waits"]] == ["finished", "error"]
    assert [record["status"] for record in result["invocations"]] == ["success"]


def test_an_item_that_failed_its_lookup_is_still_reported_after_a_checkpoint(fake_clock):
    missing = NotFound("no such invocation", provider="alibaba_ecs", code="InvalidInvokeId.NotFound", request_id="req-9")
    scripts = {"aws_ssm": [snap("aws_ssm", "running")] * 40 + [snap("aws_ssm", "success")], "alibaba_ecs": [snap("alibaba_ecs", "success")]}
    builder = Builder(fake_clock, scripts, lookup_errors={"alibaba_ecs": missing})
    task = params([AWS_ITEM, ALI_ITEM], timeout=600, not_found_grace=0.0, checkpoint_after=30.0)
    result, *_rest = wait(fake_clock, builder, task)
    checkpoint = result["checkpoint"]
    final, error, _failure, _group = wait(fake_clock, Builder(fake_clock, dict(scripts, aws_ssm=[snap("aws_ssm", "success")])),
                                          dict(task, checkpoint_after=None, resume=checkpoint))
    assert [entry["ended"] for entry in final["waits"]] == ["finished", "error"]
    assert error.code == "InvalidInvokeId.NotFound" and error.request_id == "req-9"
    assert final["verdict"] == "error"


class WindowItemProvider(ItemProvider):
    """An SSM item's provider that answers a window selector with the execution it resolves to."""

    def wait_targets(self, options):
        self.asked = {name: options.get(name) for name in ("window_id", "window_execution_id", "window_task_id", "executed_after", "command_ids")}
        if options.get("window_id") or options.get("window_execution_id"):
            return [{"WindowExecutionId": WINDOW_EXECUTION, "Execution": {}}]
        return super().wait_targets(options)


def test_a_window_item_is_waited_on_and_judged_with_a_command_item(fake_clock):
    window_run = Snapshot(records=records("aws_ssm", "success", "failed", "success"), expected=3, complete=True)
    built = []

    def build(name, options):
        steps = [window_run] if options.get("window_id") else [snap(name, "running"), snap(name, "success")]
        provider = WindowItemProvider(name, options, steps, fake_clock.clock)
        built.append(provider)
        return provider

    task = params([AWS_ITEM, {"provider": "aws_ssm", "window_id": WINDOW, "executed_after": "2026-11-22T00:00:00Z"}], max_failures=1)
    items = items_from(task)
    assert [item.window for item in items] == [False, True]
    result, error, failure, _group = look_up_and_wait_all(items, task, build=build, **fake_clock.hooks())
    assert error is None and failure is None
    # The window's selectors reached its own provider, and nothing of the command item's.
    assert built[1].asked == {"window_id": WINDOW, "window_execution_id": None, "window_task_id": None,
                              "executed_after": "2026-11-22T00:00:00Z", "command_ids": None}
    assert built[0].asked["window_id"] is None and built[0].asked["command_ids"] == [AWS_COMMAND]
    # One verdict over the command's instance and the window's three task invocations.
    assert result["verdict"] == "success"
    assert result["outcomes"]["targets"] == 4 and result["outcomes"]["failed"] == 1
    assert [entry["ids"] for entry in result["waits"]] == [[AWS_COMMAND], [WINDOW_EXECUTION]]
    assert [entry["records"] for entry in result["waits"]] == [1, 3]


def test_check_mode_keeps_window_items():
    items = items_from(params([dict(AWS_ITEM, command_ids=["not-started-in-check-mode"]), {"provider": "aws_ssm", "window_execution_id": WINDOW_EXECUTION}]))
    kept, skipped = drop_runs_not_started(items)
    assert skipped == 1
    assert [item.ids for item in kept] == [[WINDOW_EXECUTION]]


def test_an_item_whose_rounds_hide_progress_keeps_its_base_interval(fake_clock):
    # ZOS rounds that only ask which invocations ended: unchanged counts are no reason to back off.
    hidden = Snapshot(unread={"running": 2}, expected=2, progress_hidden=True)
    builder = Builder(fake_clock, {"zenlayer_zos": [hidden] * 5 + [snap("zenlayer_zos", "success", "success")]})
    result, error, _failure, _group = wait(fake_clock, builder, params([ZOS_ITEM], interval=2))
    times = builder.built["zenlayer_zos"].watcher.poll_times
    assert error is None and result["verdict"] == "success" and len(times) == 6
    assert [round(later - earlier, 6) for earlier, later in zip(times, times[1:])] == [2.0] * 5


# waits[].run: a registered invocation_run result whose agent pre-flight left a target out.
LOST = "i-0lost000000000001"


def run_result(provider="aws_ssm", **overrides):
    """What invocation_run returns after it left LOST out (offline_targets: skip), without waiting."""
    left_out = make_record(provider, "undeliverable", instance_id=LOST, vendor_status_details="not sent: the agent is ConnectionLost",
                           agent={"state": "lost", "vendor_status": "ConnectionLost"})
    sent = make_record(provider, "pending", instance_id="i-0sent000000000001", command_id=AWS_COMMAND)
    result = {
        "changed": True, "provider": provider, "region": "eu-west-1", "request": {"InstanceIds": ["i-0sent000000000001"]},
        "command_id": AWS_COMMAND, "command_ids": [AWS_COMMAND], "invocations": [left_out, sent],
        "summary": {"total": 2, "counts": {"undeliverable": 1, "pending": 1}}, "records_left_out": 0,
    }
    result.update(overrides)
    return result


def test_a_run_adds_the_targets_it_left_out_to_the_verdict(fake_clock):
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "running"), snap("aws_ssm", "success")]})
    result, error, failure, _group = wait(fake_clock, builder, params([{"run": run_result()}], max_failures=0))
    assert error is None
    # The command itself succeeded; the target never sent to makes the verdict.
    assert result["verdict"] == "failed"
    assert failure is not None and LOST in failure
    lost = [record for record in result["invocations"] if record["instance_id"] == LOST]
    assert len(lost) == 1 and lost[0]["status"] == "undeliverable" and lost[0]["agent"]["state"] == "lost"
    assert lost[0]["outcome"] == "failed"
    assert result["summary"]["total"] == 2 and result["summary"]["counts"]["undeliverable"] == 1
    assert result["waits"][0]["left_out"] == 1 and result["waits"][0]["records"] == 2
    # Provider, ids and region came from the run; the watch looks for no instance (the lost one is in no command).
    options = builder.built["aws_ssm"].options
    assert options["command_ids"] == [AWS_COMMAND] and options["region"] == "eu-west-1"
    assert not options.get("instance_ids")


def test_a_run_left_out_target_is_ignored_when_undeliverable_is_ignored(fake_clock):
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")]})
    result, error, failure, _group = wait(fake_clock, builder, params([{"run": run_result()}], undeliverable="ignore"))
    assert error is None and failure is None
    assert result["verdict"] == "success"
    assert [record["outcome"] for record in result["invocations"]] == ["ignored", "passed"]


# Issue 19: a wait must not lose what it saw. The targets a run left out are known before any call,
# so they are in the result whatever becomes of the item's lookup or reads.
def lost_records(result):
    return [record for record in result["invocations"] if record["instance_id"] == LOST]


def test_a_run_whose_lookup_fails_still_reports_the_targets_it_left_out(fake_clock):
    missing = NotFound("no such command", provider="aws_ssm", code="InvalidCommandId", request_id="req-1")
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")], "alibaba_ecs": [snap("alibaba_ecs", "success")]},
                      lookup_errors={"aws_ssm": missing})
    result, error, _failure, _group = wait(fake_clock, builder, params([{"run": run_result()}, ALI_ITEM], not_found_grace=0.0))
    assert error.code == "InvalidCommandId" and error.request_id == "req-1"
    seen = [(record["provider"], record["status"]) for record in result["invocations"]]
    assert seen == [("aws_ssm", "undeliverable"), ("alibaba_ecs", "success")]
    assert lost_records(result)[0]["agent"]["state"] == "lost"
    assert result["summary"]["total"] == 2 and result["summary"]["counts"]["undeliverable"] == 1
    assert [(entry["ended"], entry["left_out"], entry["records"]) for entry in result["waits"]] == [("error", 1, 1), ("finished", 0, 1)]


def test_a_run_whose_lookup_fails_alone_still_reports_the_targets_it_left_out(fake_clock):
    missing = NotFound("no such command", provider="aws_ssm", code="InvalidCommandId")
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")]}, lookup_errors={"aws_ssm": missing})
    result, error, _failure, _group = wait(fake_clock, builder, params([{"run": run_result()}], not_found_grace=0.0))
    assert error.code == "InvalidCommandId" and result["verdict"] == "error"
    assert len(lost_records(result)) == 1
    assert result["summary"]["total"] == 1 and result["summary"]["counts"]["undeliverable"] == 1
    assert result["waits"][0]["records"] == 1


def test_a_run_whose_lookup_is_refused_still_reports_the_targets_it_left_out(fake_clock):
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")]},
                      lookup_errors={"aws_ssm": InvalidInput("command id 'x' is not a command id")})
    result, error, _failure, _group = wait(fake_clock, builder, params([{"run": run_result()}]))
    assert isinstance(error, InvalidInput) and error.message.startswith("waits[0] (aws_ssm): command id 'x'")
    assert len(lost_records(result)) == 1 and result["verdict"] == "error"


def test_a_run_whose_first_read_fails_still_reports_the_targets_it_left_out(fake_clock):
    revoked = ProviderError("access revoked", provider="aws_ssm", code="AccessDeniedException", request_id="req-2")
    builder = Builder(fake_clock, {"aws_ssm": [revoked]})
    result, error, _failure, _group = wait(fake_clock, builder, params([{"run": run_result()}]))
    assert error.code == "AccessDeniedException" and error.request_id == "req-2"
    assert len(lost_records(result)) == 1 and result["waits"][0]["ended"] == "error"
    assert result["summary"]["counts"]["undeliverable"] == 1


def test_a_run_follows_every_command_it_started_and_the_items_region_wins(fake_clock):
    second = "1c2d3e4f-0000-4000-8000-000000000002"
    builder = Builder(fake_clock, {"aws_ssm": [snap("aws_ssm", "success")]})
    run = run_result(command_ids=[AWS_COMMAND, second])
    wait(fake_clock, builder, params([{"run": run, "region": "ap-south-1", "command_ids": [second, AWS_COMMAND]}]))
    options = builder.built["aws_ssm"].options
    assert options["command_ids"] == [AWS_COMMAND, second]
    assert options["region"] == "ap-south-1"


@pytest.mark.parametrize("entry, said", [
    ({"run": {"changed": True, "msg": "hello"}}, "must be the registered result of multicloud.invocations.invocation_run"),
    ({"run": {"skipped": True, "changed": False}}, "skipped"),
    ({"run": run_result(), "provider": "alibaba_ecs"}, "the run was started on aws_ssm"),
    ({"run": run_result(), "command_ids": ["5e5e5e5e-0000-4000-8000-000000000009"]}, "is not what the run started"),
    ({"run": run_result(), "instance_ids": [LOST]}, "instance_ids cannot be set beside run"),
    ({"run": run_result(), "window_id": WINDOW}, "not a maintenance window run"),
    ({"run": run_result(command_id=None, command_ids=None, msg="nothing was sent: the agents are offline")}, "started no command id"),
    ({"run": run_result(invocations=[], records_left_out=2)}, "does not hold all its undeliverable records"),
    ({"command_ids": [AWS_COMMAND]}, "names no provider"),
])
def test_a_bad_run_is_refused_with_the_item_named(entry, said):
    with pytest.raises(InvalidInput) as raised:
        items_from(params([entry]))
    assert said in raised.value.message
    assert "waits[0]" in raised.value.message


def test_a_run_in_check_mode_is_skipped_like_its_ids():
    run = run_result(command_id="not-started-in-check-mode", command_ids=["not-started-in-check-mode"])
    kept, skipped = drop_runs_not_started(items_from(params([{"run": run}])))
    assert kept == [] and skipped == 1


def test_a_run_never_carries_anything_but_its_facts_into_the_item():
    # A registered result holds no credentials; whatever else it holds stays out of the provider's options.
    run = run_result(secret_key="should-never-be-read", access_key="AKIA-NOT-READ", endpoint_url="https://not-read.example")
    item = items_from(params([{"run": run}], endpoint_url="https://task.example"))[0]
    assert item.params["secret_key"] is None and item.params["access_key"] is None
    assert item.params["endpoint_url"] == "https://task.example"
