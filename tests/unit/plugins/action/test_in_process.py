# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On the controller, the waiting modules run inside the action plugin: one process per wait."""

from __future__ import annotations

import sys
import types
from unittest.mock import MagicMock

import pytest

from ansible_collections.multicloud.invocations.plugins.action import invocation_run, invocation_wait
from ansible_collections.multicloud.invocations.plugins.module_utils import _output, _run_module, _wait_module
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import TASK_ENVIRONMENT_OPTION, setting
from ansible_collections.multicloud.invocations.plugins.plugin_utils import _in_process, _progress_action

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def make_action(cls, args, environment=None, action="multicloud.invocations.invocation_wait", async_val=0):
    task = MagicMock()
    task.args = dict(args)
    task.async_val = async_val
    task.check_mode = False
    task.diff = False
    task.action = action
    task.resolved_action = action
    task.delegate_to = None
    task.environment = None
    task.get_name.return_value = "wait for deploy"
    connection = MagicMock()
    connection.transport = "local"
    connection.has_native_async = False
    templar = MagicMock()
    templar.template.side_effect = lambda value: value
    plugin = cls(task, connection, MagicMock(), loader=MagicMock(), templar=templar, shared_loader_obj=MagicMock())
    # The task's environment: as ActionBase computes it from `environment:`.
    plugin._compute_environment_string = lambda out=None: out.update(environment or {}) if out is not None else ""
    return plugin


@pytest.fixture
def lines(monkeypatch):
    shown = []
    monkeypatch.setattr(_progress_action.display, "display", lambda message, *args, **kwargs: shown.append(message))
    return shown


def scripted_task(progress_at, result):
    """A stand-in for _wait_module: its run() reports progress at the given moments, then exits."""

    def run(module):
        for moment, line in progress_at:
            module.on_progress.clock = lambda moment=moment: moment
            module.on_progress(line)
        module.exit(**result)

    return types.SimpleNamespace(module_spec=_wait_module.module_spec, run=run)


def test_a_wait_on_the_controller_starts_no_module_and_prints_while_it_waits(lines):
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID], "region": "us-east-1"})
    action.clock = lambda: 0.0
    action.task_code = lambda: scripted_task(
        [(10.0, "0/2 done, 2 running (10s of 600s)"), (31.0, "1/2 done, 1 running (31s of 600s)"),
         (35.0, "1/2 done, 1 running (35s of 600s)"), (40.0, "2/2 done (40s of 600s)")],
        {"verdict": "success", "invocations": []},
    )
    action._execute_module = MagicMock(side_effect=AssertionError("no module start on the controller"))
    result = action.run(task_vars={})
    # Nothing in the first 30 s; then a line; the same counts are not repeated within 30 s; a
    # change is shown once 15 s have passed since the last line (not at 40 s).
    assert lines == ["wait for deploy: 1/2 done, 1 running (31s of 600s)"]
    assert result["verdict"] == "success"
    assert result["invocation"]["module_args"]["command_ids"] == [CID]
    assert "checkpoint" not in result


def test_calm_progress_paces_lines_as_the_sliced_path_did():
    shown = []
    now = [0.0]
    progress = _progress_action.CalmProgress(shown.append, lambda: now[0], 0.0)
    for moment, line in ((5, "a (5s)"), (30, "a (30s)"), (40, "b (40s)"), (46, "b (46s)"), (50, "c (50s)"), (61, "c (61s)"),
                         (76, "c (76s)"), (91, "c (91s)")):
        now[0] = float(moment)
        progress(line)
    # 5: nothing in the first 30 s; 30: the first line; 40: changed, but under 15 s since it;
    # 46: changed since the line shown, 16 s on; 50: under 15 s; 61: changed, 15 s on;
    # 76: unchanged, under 30 s; 91: 30 s since the last line.
    assert shown == ["a (30s)", "b (46s)", "c (61s)", "c (91s)"]


def test_bad_options_fail_with_the_message_the_module_gives(lines):
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID], "colour": "red"})
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert "Unsupported parameters for (multicloud.invocations.invocation_wait) module: colour" in result["msg"]
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID], "timeout": "soon"})
    result = action.run(task_vars={})
    assert result["failed"] is True and "timeout" in result["msg"] and "float" in result["msg"]


def test_secrets_never_come_back_from_options_or_the_task_environment(lines):
    args = {
        "command_ids": ["not-a-command-id"],
        "provider": "aws_ssm",
        "region": "us-east-1",
        "secret_key": SECRET,
        "access_key": "AKIAEXAMPLE",
        "endpoint_url": f"https://user:{SECRET}x@ssm.example.test",
    }
    action = make_action(invocation_wait.ActionModule, args)
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert SECRET not in repr(result)
    env_secret = "envsecretvalue-1234567890"
    action = make_action(invocation_wait.ActionModule, {"command_ids": ["not-a-command-id"], "region": "us-east-1"},
                         environment={"AWS_SECRET_ACCESS_KEY": env_secret, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"})
    captured = {}

    def run(module):
        captured["environment"] = module.params[TASK_ENVIRONMENT_OPTION]
        module.fail_json(msg=f"the secret {env_secret} would show here")

    action.task_code = lambda: types.SimpleNamespace(module_spec=_wait_module.module_spec, run=run)
    result = action.run(task_vars={})
    assert captured["environment"]["AWS_SECRET_ACCESS_KEY"] == env_secret
    assert env_secret not in repr(result)
    assert TASK_ENVIRONMENT_OPTION not in result["invocation"]["module_args"]


def test_the_task_environment_reaches_the_provider_before_the_controllers(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    table = {"region": ("AWS_REGION", "AWS_DEFAULT_REGION")}
    assert setting({}, "region", table) == "eu-west-1"
    assert setting({TASK_ENVIRONMENT_OPTION: {"AWS_REGION": "ap-south-1"}}, "region", table) == "ap-south-1"
    # Set empty by the task: the module process would see it empty, and read the next variable.
    assert setting({TASK_ENVIRONMENT_OPTION: {"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"}}, "region", table) == "us-west-2"
    assert setting({"region": "us-east-1", TASK_ENVIRONMENT_OPTION: {"AWS_REGION": "ap-south-1"}}, "region", table) == "us-east-1"


@pytest.mark.parametrize("change, reason", [
    ({"local": False}, "another host"),
    ({"asynchronous": True}, "async"),
    ({"interpreter": "/opt/other/bin/python3"}, "names the Python"),
    ({"task_environment": {"HTTPS_PROXY": "http://proxy:3128"}}, "HTTPS_PROXY"),
])
def test_the_module_path_is_taken_when_this_process_cannot_stand_in(change, reason):
    where = dict(local=True, interpreter=None, asynchronous=False, task_environment={})
    assert _in_process.refusal(**where) is None
    assert _in_process.refusal(**{**where, "interpreter": sys.executable}) is None
    assert _in_process.refusal(**{**where, "interpreter": "auto_silent"}) is None
    assert _in_process.refusal(**{**where, "task_environment": {"AWS_REGION": "eu-west-1"}}) is None
    assert reason in _in_process.refusal(**{**where, **change})


def test_a_missing_library_sends_the_task_to_the_module_path(monkeypatch):
    monkeypatch.setattr(_in_process, "RUNTIME_LIBRARIES", ("boto3", "a_library_nobody_installed"))
    assert "a_library_nobody_installed" in _in_process.refusal(local=True, interpreter=None, asynchronous=False, task_environment={})


def test_an_environment_variable_only_a_library_reads_runs_the_module(lines):
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID]}, environment={"HTTPS_PROXY": "http://proxy:3128"})
    action._execute_module = MagicMock(return_value={"verdict": "success", "invocations": []})
    action.run(task_vars={})
    assert action._execute_module.call_count == 1


def test_async_runs_the_module_once_without_slices(lines):
    action = make_action(invocation_run.ActionModule, {"commands": ["true"], "instance_ids": ["i-0123456789abcdef0"], "wait": True},
                         action="multicloud.invocations.invocation_run", async_val=600)
    action._execute_module = MagicMock(return_value={"started": 1, "ansible_job_id": "j1"})
    action._remove_tmp_path = MagicMock()
    result = action.run(task_vars={})
    assert action._execute_module.call_count == 1
    call = action._execute_module.call_args.kwargs
    assert call["wrap_async"] is True and "checkpoint_after" not in call["module_args"]
    assert result["ansible_job_id"] == "j1"


def test_invocation_run_in_process_sends_through_its_own_code(lines):
    action = make_action(invocation_run.ActionModule, {"commands": ["true"], "instance_ids": ["i-0123456789abcdef0"], "provider": "zenlayer_zos",
                                                       "max_errors": "1"}, action="multicloud.invocations.invocation_run")
    assert action.task_code() is _run_module
    result = action.run(task_vars={})
    # Refused before anything is sent, by invocation_run's own check, in this process.
    assert result["failed"] is True and "max_errors" in result["msg"] and result["api_calls"] == 0


def test_invocation_info_runs_in_process_too(lines):
    from ansible_collections.multicloud.invocations.plugins.action import invocation_info
    from ansible_collections.multicloud.invocations.plugins.module_utils import _info_module

    action = make_action(invocation_info.ActionModule, {"command_id": CID, "not_found_grace": -1}, action="multicloud.invocations.invocation_info")
    assert action.task_code() is _info_module
    action._execute_module = MagicMock(side_effect=AssertionError("no module start on the controller"))
    result = action.run(task_vars={})
    assert result["failed"] is True and "not_found_grace must be 0 or more seconds" in result["msg"]
    assert lines == []


def test_the_connections_are_closed_when_the_task_ends(lines):
    # The items of a loop run in one process: a connection left open by one item could hold a
    # one-connection endpoint until the next item's request timed out.
    provider = MagicMock(api_calls=3, retries=0, warnings=[])

    def run(module):
        module.use_provider(provider)
        module.exit(verdict="success", invocations=[])

    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID]})
    action.task_code = lambda: types.SimpleNamespace(module_spec=_wait_module.module_spec, run=run)
    result = action.run(task_vars={})
    assert result["verdict"] == "success"
    provider.close.assert_called_once_with()


def test_library_warnings_are_recorded_and_shown_at_debug_verbosity(monkeypatch, lines):
    import warnings

    debug = []
    monkeypatch.setattr(_progress_action.display, "vvvv", lambda message, *args, **kwargs: debug.append(message))

    def run(module):
        warnings.warn("Unverified HTTPS request is being made to host '127.0.0.1'", UserWarning)
        module.exit(verdict="success", invocations=[])

    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID]})
    action.task_code = lambda: types.SimpleNamespace(module_spec=_wait_module.module_spec, run=run)
    result = action.run(task_vars={})
    assert result["verdict"] == "success" and "warnings" not in result
    assert debug == ["wait for deploy: Unverified HTTPS request is being made to host '127.0.0.1'"]


def in_process_exit(monkeypatch, result):
    """The result an in-process invocation_wait task returns when its code exits with ``result``
    (its secret_key is SECRET), and the values remove_values walked on the way."""
    walked = []
    remove_values = _output.remove_values

    def counting(value, secrets):
        walked.append(value)
        return remove_values(value, secrets)

    monkeypatch.setattr(_output, "remove_values", counting)
    action = make_action(invocation_wait.ActionModule, {"command_ids": [CID], "region": "us-east-1", "secret_key": SECRET,
                                                        "access_key": "AKIAEXAMPLE"})
    action.task_code = lambda: types.SimpleNamespace(module_spec=_wait_module.module_spec, run=lambda module: module.exit(**result))
    return action.run(task_vars={}), walked


def test_the_records_and_options_that_show_a_secret_are_masked(monkeypatch, lines):
    records = [{"instance_id": f"i-{number}", "stdout": "ok\n", "exit_code": 0, "accepted": True} for number in range(20)]
    records[3]["stdout"] = f"key={SECRET}\n"
    records[7]["stderr"] = SECRET
    leaking = (records[3], records[7])
    result, walked = in_process_exit(monkeypatch, {"invocations": records, "verdict": "success"})
    assert SECRET not in repr(result)
    assert result["invocations"][3]["stdout"] == "key=********\n"
    assert result["invocations"][7]["stderr"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["invocation"]["module_args"]["secret_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["invocations"][0] == {"instance_id": "i-0", "stdout": "ok\n", "exit_code": 0, "accepted": True}
    # The options (invocation) and the two records that show it, not the 18 others.
    assert len(walked) == 3 and all(any(value is record for value in walked) for record in leaking)
    assert not any(value is record for value in walked for record in records if record not in leaking)
