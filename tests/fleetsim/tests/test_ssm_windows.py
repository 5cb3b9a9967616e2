# Maintenance windows: registration, executions started by the control endpoint, task-level
# concurrency and error threshold, overlapping starts, paging and errors, through boto3.
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import control, ssm_client, wait_for

from fleetsim.engine import Instance

UNKNOWN_ID = "11111111-2222-3333-4444-555555555555"


def fleet(count: int) -> list[Instance]:
    return [Instance(id=f"i-{index:017x}", name=f"node-{index}", tags={"group": "web"}) for index in range(count)]


def window_with_task(ssm, commands, max_concurrency="10", max_errors="0", tag_values=("web",), owner="team-a"):
    window_id = ssm.create_maintenance_window(Name="patching", Schedule="cron(0 2 ? * SUN *)", Duration=2, Cutoff=1,
                                              AllowUnassociatedTargets=False)["WindowId"]
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Targets=[{"Key": "tag:group", "Values": list(tag_values)}],
        OwnerInformation=owner)["WindowTargetId"]
    task_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id, Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}], TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND", MaxConcurrency=max_concurrency, MaxErrors=max_errors,
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": list(commands)}, "TimeoutSeconds": 60}})["WindowTaskId"]
    return window_id, target_id, task_id


def start(url, window_id):
    return control(url, "window-executions", {"window_id": window_id})


def finished(ssm, execution_id):
    def check():
        execution = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)
        return execution if execution["Status"] not in ("PENDING", "IN_PROGRESS", "CANCELLING") else None
    return wait_for(check, timeout=30)


def invocations(ssm, execution_id, task_execution_id, page_size=10, **kwargs):
    items, calls, token = [], 0, None
    while True:
        request = {"WindowExecutionId": execution_id, "TaskId": task_execution_id, "MaxResults": page_size, **kwargs}
        if token:
            request["NextToken"] = token
        response = ssm.describe_maintenance_window_execution_task_invocations(**request)
        calls += 1
        items.extend(response["WindowExecutionTaskInvocationIdentities"])
        token = response.get("NextToken")
        if not token:
            return items, calls


def test_window_run_all_succeed(make_app):
    app = make_app(fleet(3))
    ssm = ssm_client(app.url)
    window_id, target_id, _task_id = window_with_task(ssm, ["echo hello $FLEETSIM_INSTANCE_NAME"])
    started = start(app.url, window_id)
    execution = finished(ssm, started["window_execution_id"])
    assert execution["Status"] == "SUCCESS" and execution["TaskIds"] == started["task_execution_ids"]
    listed = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
    assert [item["WindowExecutionId"] for item in listed] == [started["window_execution_id"]]
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=started["window_execution_id"])["WindowExecutionTaskIdentities"]
    assert [(task["TaskType"], task["Status"], task["TaskArn"]) for task in tasks] == [("RUN_COMMAND", "SUCCESS", "AWS-RunShellScript")]
    items, _calls = invocations(ssm, started["window_execution_id"], tasks[0]["TaskExecutionId"])
    assert len(items) == 3 and {item["Status"] for item in items} == {"SUCCESS"}
    assert {item["WindowTargetId"] for item in items} == {target_id} and {item["OwnerInformation"] for item in items} == {"team-a"}
    parameters = json.loads(items[0]["Parameters"])
    assert parameters["documentName"] == "AWS-RunShellScript" and len(parameters["instanceIds"]) == 1
    # ExecutionId is a real Run Command command on that one instance, with its output.
    command_invocations = ssm.list_command_invocations(CommandId=items[0]["ExecutionId"], Details=True)["CommandInvocations"]
    assert [inv["InstanceId"] for inv in command_invocations] == parameters["instanceIds"]
    assert command_invocations[0]["CommandPlugins"][0]["Output"].startswith("hello node-")
    single = ssm.get_maintenance_window_execution_task_invocation(
        WindowExecutionId=started["window_execution_id"], TaskId=tasks[0]["TaskExecutionId"], InvocationId=items[0]["InvocationId"])
    assert single["ExecutionId"] == items[0]["ExecutionId"]
    task = ssm.get_maintenance_window_execution_task(WindowExecutionId=started["window_execution_id"], TaskId=tasks[0]["TaskExecutionId"])
    assert task["Status"] == "SUCCESS" and task["Type"] == "RUN_COMMAND"


def test_error_threshold_stops_the_task(make_app):
    instances = fleet(4)
    instances[0].files = {"fail": "1"}
    app = make_app(instances)
    ssm = ssm_client(app.url)
    # One at a time, no error allowed: the first target fails, the other three are never dispatched.
    window_id, _target, _task = window_with_task(ssm, ["test ! -e fail"], max_concurrency="1", max_errors="0")
    started = start(app.url, window_id)
    execution = finished(ssm, started["window_execution_id"])
    assert execution["Status"] == "FAILED"
    task = ssm.get_maintenance_window_execution_task(WindowExecutionId=started["window_execution_id"], TaskId=started["task_execution_ids"][0])
    assert task["Status"] == "FAILED" and "maximum number of errors" in task["StatusDetails"]
    items, _calls = invocations(ssm, started["window_execution_id"], started["task_execution_ids"][0])
    assert [item["Status"] for item in items] == ["FAILED"]


def test_failure_within_threshold_runs_everything(make_app):
    instances = fleet(3)
    instances[1].files = {"fail": "1"}
    app = make_app(instances)
    ssm = ssm_client(app.url)
    window_id, _target, _task = window_with_task(ssm, ["test ! -e fail"], max_concurrency="3", max_errors="1")
    started = start(app.url, window_id)
    assert finished(ssm, started["window_execution_id"])["Status"] == "FAILED"
    items, _calls = invocations(ssm, started["window_execution_id"], started["task_execution_ids"][0])
    assert sorted(item["Status"] for item in items) == ["FAILED", "SUCCESS", "SUCCESS"]
    failed, _calls = invocations(ssm, started["window_execution_id"], started["task_execution_ids"][0],
                                 Filters=[{"Key": "STATUS", "Values": ["FAILED"]}])
    assert len(failed) == 1


def test_overlapping_start_is_skipped(make_app):
    app = make_app(fleet(2))
    ssm = ssm_client(app.url)
    window_id, _target, _task = window_with_task(ssm, ["sleep 1"])
    first = start(app.url, window_id)
    second = start(app.url, window_id)
    assert second["status"] == "SKIPPED_OVERLAPPING" and second["task_execution_ids"] == []
    skipped = ssm.get_maintenance_window_execution(WindowExecutionId=second["window_execution_id"])
    assert skipped["Status"] == "SKIPPED_OVERLAPPING" and skipped["TaskIds"] == [] and "EndTime" in skipped
    assert finished(ssm, first["window_execution_id"])["Status"] == "SUCCESS"
    third = start(app.url, window_id)
    assert third["status"] == "IN_PROGRESS"
    newest_first = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
    assert [item["WindowExecutionId"] for item in newest_first] == [third["window_execution_id"], second["window_execution_id"], first["window_execution_id"]]


def test_task_concurrency_is_respected(make_app):
    app = make_app(fleet(4))
    ssm = ssm_client(app.url)
    window_id, _target, _task = window_with_task(ssm, ["sleep 0.5"], max_concurrency="2")
    started = start(app.url, window_id)
    execution_id, task_id = started["window_execution_id"], started["task_execution_ids"][0]
    seen_open = []

    def sample():
        items, _calls = invocations(ssm, execution_id, task_id)
        seen_open.append(sum(1 for item in items if item["Status"] == "IN_PROGRESS"))
        return len(items) == 4 and all(item["Status"] == "SUCCESS" for item in items)

    wait_for(sample, timeout=30, interval=0.05)
    assert max(seen_open) == 2


def test_paging_over_many_invocations_virtual(make_app):
    app = make_app(fleet(130), mode="virtual")
    ssm = ssm_client(app.url)
    window_id, _target, _task = window_with_task(ssm, ["true"], max_concurrency="100%")
    started = start(app.url, window_id)
    finished(ssm, started["window_execution_id"])
    items, calls = invocations(ssm, started["window_execution_id"], started["task_execution_ids"][0], page_size=100)
    assert len(items) == 130 and calls == 2 and len({item["InvocationId"] for item in items}) == 130
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_maintenance_window_execution_task_invocations(
            WindowExecutionId=started["window_execution_id"], TaskId=started["task_execution_ids"][0], MaxResults=101)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_unknown_ids_and_bad_input(app):
    ssm = ssm_client(app.url)
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=UNKNOWN_ID)
    assert excinfo.value.response["Error"]["Code"] == "DoesNotExistException"
    assert UNKNOWN_ID in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_maintenance_window_executions(WindowId="mw-0123456789abcdef0")
    assert excinfo.value.response["Error"]["Code"] == "DoesNotExistException"
    with pytest.raises(ClientError) as excinfo:
        ssm.register_task_with_maintenance_window(WindowId="mw-0123456789abcdef0", Targets=[{"Key": "InstanceIds", "Values": ["i-1"]}],
                                                  TaskArn="x", TaskType="LAMBDA")
    assert excinfo.value.response["Error"]["Code"] in ("DoesNotExistException", "FeatureNotAvailableException")
    request = urllib.request.Request(f"{app.url}/_fleetsim/window-executions", data=b'{"window_id": "mw-0123456789abcdef0"}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(request, timeout=10)   # pylint: disable=consider-using-with
    assert http_error.value.code == 404


def test_reset_forgets_windows(app):
    ssm = ssm_client(app.url)
    window_id, _target, _task = window_with_task(ssm, ["true"], tag_values=("nothing",))
    control(app.url, "reset", {})
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_maintenance_window_executions(WindowId=window_id)
    assert excinfo.value.response["Error"]["Code"] == "DoesNotExistException"
