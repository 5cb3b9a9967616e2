# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins run a wait in slices and print one progress line between slices."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible_collections.multicloud.invocations.plugins.action import invocation_run, invocation_wait
from ansible_collections.multicloud.invocations.plugins.plugin_utils import _progress_action

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"


def make_action(cls, args, check_mode=False, action="multicloud.invocations.invocation_wait"):
    task = MagicMock()
    task.args = dict(args)
    task.async_val = 0
    task.check_mode = check_mode
    task.diff = False
    task.action = action
    task.resolved_action = action
    task.get_name.return_value = "wait for deploy"
    task.environment = None
    task.delegate_to = None
    templar = MagicMock()
    templar.template.side_effect = lambda value: value
    return cls(task, MagicMock(), MagicMock(), loader=MagicMock(), templar=templar, shared_loader_obj=MagicMock())


# A task that names another Python than the controller's runs the module, in slices.
ELSEWHERE = {"ansible_python_interpreter": "/opt/other/bin/python3"}


def checkpoint(progress, elapsed):
    return {"checkpoint": {"progress": progress, "elapsed": elapsed, "timeout": 60.0, "polls": 1, "api_calls": 1}, "invocations": []}


@pytest.fixture
def lines(monkeypatch):
    shown = []
    monkeypatch.setattr(_progress_action.display, "display", lambda message, *args, **kwargs: shown.append(message))
    return shown


class ControllerClock:
    """The controller's clock; each module slice moves it by what the slice is scripted to take."""

    def __init__(self):
        self.now = 500.0

    def __call__(self):
        return self.now


def test_wait_resumes_from_each_checkpoint_and_prints_one_line_per_slice(lines):
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID], "region": "us-east-1"})
    action.clock = ControllerClock()
    final = {"verdict": "success", "invocations": [{"instance_id": "i-1"}], "changed": False}
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append((module_name, dict(module_args)))
        # Module starts that cost nothing: the controller's clock moves by what the module counted.
        action.clock.now += (1.0, 30.0, 0.0)[len(calls) - 1]
        return [checkpoint("0/2 done, 2 running (1s of 60s)", 1.0), checkpoint("1/2 done (31s of 60s)", 31.0), final][len(calls) - 1]

    action._execute_module = execute
    result = action.run(task_vars={})

    assert lines == ["wait for deploy: 0/2 done, 2 running (1s of 60s)", "wait for deploy: 1/2 done (31s of 60s)"]
    assert result["verdict"] == "success" and "checkpoint" not in result
    assert [args.get("checkpoint_after") for _module, args in calls] == [30.0, 30.0, 30.0]
    assert "resume" not in calls[0][1]
    assert calls[1][1]["resume"]["elapsed"] == 1.0
    assert calls[2][1]["resume"]["elapsed"] == 31.0
    assert all(args["command_ids"] == [CID] and args["region"] == "us-east-1" for _module, args in calls)


def test_the_time_between_slices_is_charged_to_the_budget(lines):
    # Each module start costs 2 s on the controller before the module's own clock starts (and its
    # answer 0.5 s after it stops): a 95 s budget must not take 95 s plus every start.
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID], "timeout": 95})
    action.clock = ControllerClock()
    own = [30.0, 30.0, 25.0]  # what each slice's module counted itself
    answers = [checkpoint("first", 30.0), None, {"verdict": "timed_out", "elapsed": 0.0, "invocations": []}]
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append(dict(module_args))
        action.clock.now += 2.0 + own[len(calls) - 1] + 0.5
        if len(calls) == 2:
            spent = module_args["resume"]["elapsed"]
            return checkpoint("second", spent + own[1])
        return answers[len(calls) - 1]

    action._execute_module = execute
    result = action.run(task_vars={})

    # Slice 1 took 32.5 s on the controller, 30 of them counted by the module: 2.5 s are start-up,
    # paid again by slice 2 before its clock starts, so slice 2 hears 32.5 + 2.5 = 35 s are gone.
    assert calls[1]["resume"]["elapsed"] == 35.0
    # Slice 2 took 32.5 s more (65 s on the controller) and hears 65 + 2.5 = 67.5.
    assert calls[2]["resume"]["elapsed"] == 67.5
    # The result's elapsed is the controller's, from before the first slice to the last answer.
    assert result["elapsed"] == 92.5


def test_check_mode_runs_the_module_once_without_slices(lines):
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID]}, check_mode=True)
    action._execute_module = MagicMock(return_value={"verdict": "success"})
    action.run(task_vars={})
    assert action._execute_module.call_count == 1
    assert "checkpoint_after" not in action._execute_module.call_args.kwargs["module_args"]
    assert lines == []


def test_run_without_wait_sends_once(lines):
    args = {"commands": ["true"], "instance_ids": ["i-0123456789abcdef0"]}
    action = make_action(invocation_run.ActionModule, args, action="multicloud.invocations.invocation_run")
    action._execute_module = MagicMock(return_value={"command_id": CID, "changed": True})
    result = action.run(task_vars={})
    assert action._execute_module.call_count == 1
    assert result["command_id"] == CID
    assert lines == []


def test_run_with_wait_continues_with_invocation_wait_on_the_new_command(lines):
    args = {
        "commands": ["deploy"],
        "targets": [{"key": "tag:role", "values": ["web"]}],
        "wait": True,
        "max_failures": 1,
        "region": "eu-west-1",
        "agent_check": True,
        "offline_targets": "send",
    }
    action = make_action(invocation_run.ActionModule, args, action="multicloud.invocations.invocation_run")
    sent = {"command_id": CID, "command": {"CommandId": CID}, "request": {"DocumentName": "AWS-RunShellScript"}, "changed": True}
    first = dict(checkpoint("0/3 done (0s of 60s)", 0.2), **sent)
    final = {"verdict": "failed", "failed": True, "msg": "the invocations failed", "changed": False}
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append((module_name, dict(module_args)))
        return [first, final][len(calls) - 1]

    action._execute_module = execute
    result = action.run(task_vars={})

    assert calls[0][0] == "multicloud.invocations.invocation_run"
    assert calls[1][0] == "multicloud.invocations.invocation_wait"
    follow_up = calls[1][1]
    assert follow_up["command_ids"] == [CID]
    assert follow_up["max_failures"] == 1 and follow_up["region"] == "eu-west-1"
    # Every option invocation_wait does not take stays with the send (it would refuse them after the command was sent).
    assert not {"commands", "targets", "wait", "agent_check", "offline_targets"} & set(follow_up)
    # The final result keeps what the send returned, and says the command was sent.
    assert result["command_id"] == CID and result["request"] == {"DocumentName": "AWS-RunShellScript"}
    assert result["changed"] is True and result["failed"] is True
    assert result["msg"].startswith(f"command {CID} was sent; ")
    assert lines == ["wait for deploy: 0/3 done (0s of 60s)"]


def test_run_in_batches_continues_with_one_wait_on_every_batch(lines):
    """resolve_targets sent one command per batch: the rest of the wait follows all of them, and the result keeps the batches."""
    args = {"commands": ["deploy"], "targets": [{"key": "tag:role", "values": ["web"]}], "wait": True, "agent_check": True,
            "offline_targets": "skip", "resolve_targets": True}
    action = make_action(invocation_run.ActionModule, args, action="multicloud.invocations.invocation_run")
    ids = [CID, CID.replace("0b6b", "1b6b"), CID.replace("0b6b", "2b6b")]
    batches = [{"batch": number, "state": "sent", "command_id": command_id} for number, command_id in enumerate(ids, start=1)]
    first = dict(checkpoint("0/118 done (0s of 60s)", 0.2), command_id=ids[0], command_ids=ids, batches=batches, changed=True)
    final = {"verdict": "failed", "failed": True, "msg": "the invocations failed", "changed": False}
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append((module_name, dict(module_args)))
        return [first, final][len(calls) - 1]

    action._execute_module = execute
    result = action.run(task_vars={})
    assert calls[1][1]["command_ids"] == ids
    assert not {"resolve_targets", "targets"} & set(calls[1][1])
    assert result["command_ids"] == ids and result["batches"] == batches and result["command_id"] == ids[0]
    assert result["msg"].startswith(f"commands {', '.join(ids)} were sent; ")


def test_a_failed_slice_ends_the_loop(lines):
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID]})
    failed = dict(checkpoint("0/1 done", 0.0), failed=True, msg="boom")
    action._execute_module = MagicMock(return_value=failed)
    result = action.run(task_vars={})
    assert action._execute_module.call_count == 1
    assert result["failed"] and "checkpoint" not in result


@pytest.mark.parametrize("args, shown", [
    ({"delay": 90, "timeout": 60}, ["wait for deploy: 0s of 60s - delay 90s >= timeout 60s: one read, at the deadline"]),
    ({"delay": "60", "timeout": "60"}, ["wait for deploy: 0s of 60s - delay 60s >= timeout 60s: one read, at the deadline"]),
    ({"delay": 10, "timeout": 60}, []),
    ({"delay": 90}, []),   # the budget is derived from the runs later: the module warns if need be
])
def test_a_delay_at_or_past_the_timeout_is_said_before_the_first_slice(lines, args, shown):
    # With such a delay the first slice sleeps out the whole budget: nothing else is shown until the end.
    action = make_action(invocation_wait.ActionModule, dict(args, command_ids=[CID]))
    action._execute_module = MagicMock(return_value={"verdict": "timed_out", "invocations": []})
    action.run(task_vars={})
    assert lines == shown


@pytest.mark.parametrize("transport, anchored", [("local", True), ("ssh", False)])
def test_a_module_on_the_controller_hears_when_the_task_started(lines, transport, anchored):
    # Same host, same wall clock: the module charges its own start too. Elsewhere only durations cross.
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID]})
    action._connection.transport = transport
    action.clock = ControllerClock()
    action.wall_clock = lambda: 1_800_000_000.0
    answers = [checkpoint("first", 30.0), {"verdict": "success", "elapsed": 40.0, "invocations": []}]
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append(dict(module_args))
        return answers[len(calls) - 1]

    action._execute_module = execute
    action.run(task_vars=ELSEWHERE)
    assert [call.get("budget_started_at") for call in calls] == ([1_800_000_000.0] * 2 if anchored else [None, None])
