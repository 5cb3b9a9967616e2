# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Maintenance windows: the status table, the records, the selectors, and resolving a window id to
its latest execution on a botocore Stubber (the SSM API reference)."""

from __future__ import annotations

import datetime
import json

import boto3
import botocore.stub as botocore_stub
import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _statuses as s
from ansible_collections.multicloud.invocations.plugins.module_utils._conditions import Conditions
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, NotFound
from ansible_collections.multicloud.invocations.plugins.module_utils._policy import FailurePolicy, judge
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_output import fetch_complete_output
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_window_records import (
    latest_execution,
    run_level_record,
    status_filter,
    task_invocation_record,
    validate_window_selectors,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._record import aggregate_status
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import lookup_targets

UTC = datetime.timezone.utc
WINDOW = "mw-0123456789abcdef0"
EXEC_OLD = "11111111-1111-4111-8111-111111111111"
EXEC_NEW = "22222222-2222-4222-8222-222222222222"
TASK = "33333333-3333-4333-8333-333333333333"
INV1 = "44444444-4444-4444-8444-444444444441"
INV2 = "44444444-4444-4444-8444-444444444442"
CMD1 = "55555555-5555-4555-8555-555555555551"
CMD2 = "55555555-5555-4555-8555-555555555552"
I1 = "i-0123456789abcdef0"
I2 = "i-0fedcba9876543210"
T0 = datetime.datetime(2026, 11, 22, 2, 0, 0, tzinfo=UTC)
TASKS_REQUEST = {"WindowExecutionId": EXEC_NEW, "MaxResults": 100}

# the SSM API reference: MaintenanceWindowExecutionStatus -> (normalised, terminal).
WINDOW_TABLE = [
    ("PENDING", s.PENDING, False),
    ("IN_PROGRESS", s.RUNNING, False),
    ("CANCELLING", s.CANCELLING, False),
    ("SUCCESS", s.SUCCESS, True),
    ("FAILED", s.FAILED, True),
    ("TIMED_OUT", s.TIMED_OUT, True),
    ("CANCELLED", s.CANCELLED, True),
    ("SKIPPED_OVERLAPPING", s.SKIPPED, True),
]


@pytest.mark.parametrize("value, normalised, terminal", WINDOW_TABLE)
def test_window_status_table(value, normalised, terminal):
    assert s.lookup(s.AWS_SSM_WINDOW, value) == normalised
    assert s.is_terminal(normalised) is terminal


def test_window_table_covers_the_enum_and_nothing_else():
    assert sorted(s.AWS_SSM_WINDOW) == sorted(s.vendor_key(value) for value, _n, _t in WINDOW_TABLE)
    assert s.lookup(s.AWS_SSM_WINDOW, "EXPLODED") == s.UNKNOWN


def test_skipped_is_in_the_vocabulary_and_never_a_success():
    assert s.SKIPPED in s.STATUSES and s.SKIPPED in s.FILTERABLE_STATUSES and s.is_terminal(s.SKIPPED)
    record = run_level_record(WINDOW, {"WindowExecutionId": EXEC_NEW, "Status": "SKIPPED_OVERLAPPING", "StartTime": T0, "EndTime": T0})
    assert record["status"] == s.SKIPPED and record["accepted"] is False
    # A condition cannot turn a run that did not happen into a success.
    Conditions(success_when="`true`").apply([record])
    assert record["accepted"] is False and record["accepted_by"] == "status"
    verdict = judge([record], FailurePolicy())
    assert verdict.verdict == "failed" and verdict.failed == 1
    assert judge([record], FailurePolicy(max_failures=1)).verdict == "success"
    assert aggregate_status([s.SKIPPED, s.SKIPPED]) == s.SKIPPED


def test_status_filter_maps_normalised_statuses_to_the_service_values():
    assert status_filter(["failed", "timed_out"]) == [{"Key": "STATUS", "Values": ["FAILED", "TIMED_OUT"]}]
    assert status_filter(["running", "skipped"]) == [{"Key": "STATUS", "Values": ["IN_PROGRESS", "SKIPPED_OVERLAPPING"]}]
    # No service value for undeliverable: no filter, the records are filtered after the read.
    assert not status_filter(["undeliverable"])
    assert not status_filter(None)


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"window_id": "mw-123"}, "is not a maintenance window id"),
        ({"window_execution_id": "not-a-uuid"}, "window_execution_id 'not-a-uuid'"),
        ({"window_id": WINDOW, "window_task_id": TASK}, "give window_execution_id with it"),
        ({"window_execution_id": EXEC_NEW, "executed_after": "2026-11-22T00:00:00Z"}, "give window_id with them"),
        ({"window_id": WINDOW, "window_execution_id": EXEC_NEW}, "not both"),
        ({"window_id": WINDOW, "executed_before": "yesterday"}, "not an ISO 8601"),
        ({"window_id": WINDOW, "command_id": CMD1}, "do not combine"),
    ],
)
def test_bad_selectors_are_refused_with_what_to_do(params, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        validate_window_selectors(params)
    assert fragment in str(excinfo.value)


def test_latest_execution_by_start_time_not_by_order():
    executions = [
        {"WindowExecutionId": EXEC_OLD, "StartTime": T0},
        {"WindowExecutionId": EXEC_NEW, "StartTime": T0 + datetime.timedelta(days=7)},
        {"WindowExecutionId": "x", "StartTime": None},
    ]
    assert latest_execution(executions)["WindowExecutionId"] == EXEC_NEW
    assert latest_execution([]) is None


def invocation_item(invocation_id=INV1, command_id=CMD1, instance_id=I1, status="SUCCESS", task_type="RUN_COMMAND"):
    return {
        "WindowExecutionId": EXEC_NEW,
        "TaskExecutionId": TASK,
        "InvocationId": invocation_id,
        "ExecutionId": command_id,
        "TaskType": task_type,
        "Parameters": json.dumps({"documentName": "AWS-RunShellScript", "instanceIds": [instance_id], "parameters": {"commands": ["uptime"]}}),
        "Status": status,
        "StatusDetails": status.title(),
        "StartTime": T0,
        "EndTime": T0 + datetime.timedelta(seconds=5),
        "OwnerInformation": "team-a",
        "WindowTargetId": "66666666-6666-4666-8666-666666666666",
    }


def test_task_invocation_record_keeps_the_window_facts():
    command_record = {
        "instance_id": I1, "instance_name": "web-1", "steps": [{"name": "aws:runShellScript", "status": "failed", "exit_code": 3}],
        "exit_code": 3, "stdout": "out", "stderr": "err",
        "stdout_truncated": False, "stderr_truncated": False, "stdout_url": None, "stderr_url": None, "terminal": True,
    }
    record = task_invocation_record(invocation_item(status="FAILED"), WINDOW, {"TaskArn": "AWS-RunShellScript"}, [command_record])
    assert record["status"] == s.FAILED and record["vendor_status"] == "FAILED" and record["terminal"]
    assert record["command_id"] == CMD1 and record["invocation_id"] == INV1 and record["instance_id"] == I1
    assert (record["exit_code"], record["stdout"], record["stderr"]) == (3, "out", "err")
    assert record["steps"] == command_record["steps"]
    window = record["window"]
    assert window["parameters"]["parameters"] == {"commands": ["uptime"]}
    assert (window["window_id"], window["window_execution_id"], window["task_execution_id"]) == (WINDOW, EXEC_NEW, TASK)
    assert (window["owner_information"], window["task_type"], window["task_arn"]) == ("team-a", "RUN_COMMAND", "AWS-RunShellScript")
    assert window["window_target_id"] and window["command_invocations"] == [command_record]
    assert record["started_at"] == "2026-11-22T02:00:00.000Z" and record["ended_at"] == "2026-11-22T02:00:05.000Z"


def test_a_task_invocation_record_reads_its_cut_output_from_the_commands_log_group():
    step = {"name": "aws:runShellScript", "status": "success", "exit_code": 0, "stdout": "o" * 2_500, "stderr": "",
            "stdout_truncated": True, "stderr_truncated": False, "stdout_url": None, "stderr_url": None}
    command_record = {
        "instance_id": I1, "instance_name": "web-1", "steps": [step], "exit_code": 0, "stdout": step["stdout"], "stderr": "",
        "stdout_truncated": True, "stderr_truncated": False, "stdout_url": None, "stderr_url": None, "terminal": True,
        "output_log_group": "/ssm/window-output",
    }
    record = task_invocation_record(invocation_item(), WINDOW, {"TaskArn": "AWS-RunShellScript"}, [command_record])
    assert record["output_log_group"] == "/ssm/window-output"
    reads = []

    def get_log_events(group, stream):
        reads.append((group, stream))
        return ["o" * 3_000]

    fetch_complete_output([record], lambda bucket, key: "", get_log_events)
    assert reads == [("/ssm/window-output", f"{CMD1}/{I1}/aws-runShellScript/stdout")]
    assert record["stdout"] == "o" * 3_000 + "\n" and record["stdout_truncated"] is False


def test_other_task_types_are_reported_by_status_only():
    item = invocation_item(task_type="LAMBDA", status="IN_PROGRESS")
    item["Parameters"] = "not json"
    record = task_invocation_record(item, WINDOW, None, None)
    assert record["status"] == s.RUNNING and not record["terminal"] and record["ended_at"] is None
    assert record["command_id"] is None and record["window"]["execution_id"] == CMD1
    assert record["window"]["parameters"] == "not json" and record["window"]["command_invocations"] is None


# -- on a botocore Stubber ------------------------------------------------------------------------


@pytest.fixture
def ssm():
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="AKIAFAKEFAKEFAKEFAKE", aws_secret_access_key="fake/secret/key")
    stubber = botocore_stub.Stubber(client)
    with stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def provider(ssm):
    return AwsSsmProvider({"region": "us-east-1"}, client=ssm[0])


def command_item(command_id, instance_id, code=0):
    return {
        "CommandId": command_id, "InstanceId": instance_id, "Status": "Success" if code == 0 else "Failed",
        "StatusDetails": "Success" if code == 0 else "Failed", "RequestedDateTime": T0,
        "CommandPlugins": [{"Name": "aws:runShellScript", "Status": "Success" if code == 0 else "Failed",
                            "StatusDetails": "Success" if code == 0 else "Failed", "ResponseCode": code, "Output": f"exit {code}"}],
    }


def test_window_id_resolves_to_the_latest_execution_and_its_tasks(provider, ssm):
    stubber = ssm[1]
    filters = [{"Key": "ExecutedAfter", "Values": ["2026-11-01T00:00:00Z"]}]
    stubber.add_response(
        "describe_maintenance_window_executions",
        {"WindowExecutions": [{"WindowId": WINDOW, "WindowExecutionId": EXEC_OLD, "Status": "SUCCESS", "StartTime": T0}], "NextToken": "page-2"},
        {"WindowId": WINDOW, "Filters": filters, "MaxResults": 100},
    )
    stubber.add_response(
        "describe_maintenance_window_executions",
        {"WindowExecutions": [{"WindowId": WINDOW, "WindowExecutionId": EXEC_NEW, "Status": "FAILED", "StartTime": T0 + datetime.timedelta(days=7)}],
         "NextToken": ""},
        {"WindowId": WINDOW, "Filters": filters, "MaxResults": 100, "NextToken": "page-2"},
    )
    stubber.add_response(
        "describe_maintenance_window_execution_tasks",
        {"WindowExecutionTaskIdentities": [{"WindowExecutionId": EXEC_NEW, "TaskExecutionId": TASK, "Status": "FAILED", "TaskType": "RUN_COMMAND",
                                            "TaskArn": "AWS-RunShellScript"}]},
        {"WindowExecutionId": EXEC_NEW, "MaxResults": 100},
    )
    stubber.add_response(
        "describe_maintenance_window_execution_task_invocations",
        {"WindowExecutionTaskInvocationIdentities": [invocation_item(), invocation_item(INV2, CMD2, I2, "FAILED")]},
        {"WindowExecutionId": EXEC_NEW, "TaskId": TASK, "MaxResults": 100},
    )
    # Both commands in one time-range list, not one call per command.
    stubber.add_response(
        "list_command_invocations",
        {"CommandInvocations": [command_item(CMD1, I1), command_item(CMD2, I2, code=2), command_item("77777777-7777-4777-8777-777777777777", I1)]},
        {"Details": True, "MaxResults": 50, "Filters": [{"key": "InvokedAfter", "value": "2026-11-22T01:59:00Z"}]},
    )
    records, expected, aggregate = provider.read({"window_id": WINDOW, "executed_after": "2026-11-01T00:00:00Z"})
    assert [(record["instance_id"], record["status"], record["exit_code"]) for record in records] == [(I1, s.SUCCESS, 0), (I2, s.FAILED, 2)]
    assert expected == 2 and aggregate[EXEC_NEW]["status"] == "FAILED" and aggregate[EXEC_NEW]["tasks"][TASK]["normalised"] == s.FAILED
    assert provider.api_calls == 5


def test_a_window_without_executions_is_a_clear_not_found(provider, ssm):
    ssm[1].add_response("describe_maintenance_window_executions", {"WindowExecutions": []}, {"WindowId": WINDOW, "MaxResults": 100})
    with pytest.raises(NotFound) as excinfo:
        provider.read({"window_id": WINDOW})
    assert "has no execution yet" in str(excinfo.value)


def test_an_unknown_execution_keeps_the_vendor_code(provider, ssm):
    ssm[1].add_client_error(
        "get_maintenance_window_execution", service_error_code="DoesNotExistException", service_message="Window execution does not exist",
        http_status_code=400, expected_params={"WindowExecutionId": EXEC_NEW},
    )
    with pytest.raises(NotFound) as excinfo:
        provider.read({"window_execution_id": EXEC_NEW})
    assert excinfo.value.code == "DoesNotExistException"
    assert f"maintenance window execution {EXEC_NEW} does not exist" in excinfo.value.message


def test_a_skipped_execution_is_one_skipped_record_and_the_wait_ends(provider, ssm):
    stubber = ssm[1]
    skipped = {"WindowExecutionId": EXEC_NEW, "Status": "SKIPPED_OVERLAPPING", "StatusDetails": "previous still running", "StartTime": T0, "EndTime": T0,
               "TaskIds": []}
    stubber.add_response("get_maintenance_window_execution", skipped, {"WindowExecutionId": EXEC_NEW})
    stubber.add_response("describe_maintenance_window_execution_tasks", {"WindowExecutionTaskIdentities": []}, TASKS_REQUEST)
    handles = provider.wait_targets({"window_execution_id": EXEC_NEW})
    snapshot = provider.watch(handles, [], True).poll()
    assert snapshot.complete and [record["status"] for record in snapshot.records] == [s.SKIPPED]
    assert snapshot.records[0]["vendor_status_details"] == "previous still running"


@pytest.mark.parametrize("option, value, message", [
    ("cancel_on_timeout", True, "cancel_on_timeout does not apply to maintenance window runs: stop a window execution in SSM itself"),
    ("instance_ids", [I1], "instance_ids narrows command waits; a maintenance window wait covers every target of the execution"),
])
def test_options_a_window_wait_does_not_take_are_refused_before_any_call(provider, ssm, option, value, message):
    # The stubber holds no response: any call would fail with another error than this refusal.
    with pytest.raises(InvalidInput) as excinfo:
        lookup_targets(provider, {"window_execution_id": EXEC_NEW, option: value})
    assert excinfo.value.message == message
    ssm[1].assert_no_pending_responses()


def test_the_wait_goes_on_until_the_commands_are_final_too(provider, ssm):
    stubber = ssm[1]
    execution = {"WindowExecutionId": EXEC_NEW, "Status": "SUCCESS", "StartTime": T0, "EndTime": T0, "TaskIds": [TASK]}
    task = {"WindowExecutionId": EXEC_NEW, "TaskExecutionId": TASK, "Status": "SUCCESS", "TaskType": "RUN_COMMAND", "TaskArn": "AWS-RunShellScript"}
    running = command_item(CMD1, I1)
    running["Status"] = running["StatusDetails"] = running["CommandPlugins"][0]["Status"] = running["CommandPlugins"][0]["StatusDetails"] = "InProgress"
    stubber.add_response("get_maintenance_window_execution", execution, {"WindowExecutionId": EXEC_NEW})
    # Round 1: the window already reads SUCCESS, its command is still in progress.
    stubber.add_response("describe_maintenance_window_execution_tasks", {"WindowExecutionTaskIdentities": [task]}, TASKS_REQUEST)
    stubber.add_response("describe_maintenance_window_execution_task_invocations", {"WindowExecutionTaskInvocationIdentities": [invocation_item()]},
                         {"WindowExecutionId": EXEC_NEW, "TaskId": TASK, "MaxResults": 100})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [running]}, {"Details": True, "MaxResults": 50, "CommandId": CMD1})
    # Round 2: the command is final; the task is settled and not read again after that.
    stubber.add_response("describe_maintenance_window_execution_tasks", {"WindowExecutionTaskIdentities": [task]}, TASKS_REQUEST)
    stubber.add_response("describe_maintenance_window_execution_task_invocations", {"WindowExecutionTaskInvocationIdentities": [invocation_item()]},
                         {"WindowExecutionId": EXEC_NEW, "TaskId": TASK, "MaxResults": 100})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [command_item(CMD1, I1)]}, {"Details": True, "MaxResults": 50, "CommandId": CMD1})
    handles = provider.wait_targets({"window_execution_id": EXEC_NEW})
    watch = provider.watch(handles, [], True)
    first = watch.poll()
    assert not first.complete and first.records[0]["window"]["command_invocations"][0]["status"] == s.RUNNING
    second = watch.poll()
    assert second.complete and second.records[0]["exit_code"] == 0
    third = watch.poll()
    assert third.complete and third.records == second.records
    assert provider.api_calls == 7


def test_raw_read_of_one_task_with_the_status_filter(provider, ssm):
    stubber = ssm[1]
    stubber.add_response("get_maintenance_window_execution", {"WindowExecutionId": EXEC_NEW, "Status": "FAILED", "StartTime": T0, "TaskIds": [TASK]},
                         {"WindowExecutionId": EXEC_NEW})
    stubber.add_response("get_maintenance_window_execution_task",
                         {"WindowExecutionId": EXEC_NEW, "TaskExecutionId": TASK, "Status": "FAILED", "Type": "RUN_COMMAND", "TaskArn": "AWS-RunShellScript"},
                         {"WindowExecutionId": EXEC_NEW, "TaskId": TASK})
    stubber.add_response("describe_maintenance_window_execution_task_invocations",
                         {"WindowExecutionTaskInvocationIdentities": [invocation_item(INV2, CMD2, I2, "FAILED")]},
                         {"WindowExecutionId": EXEC_NEW, "TaskId": TASK, "MaxResults": 100, "Filters": [{"Key": "STATUS", "Values": ["FAILED"]}]})
    raw = provider.read_raw({"window_execution_id": EXEC_NEW, "window_task_id": TASK, "statuses": ["failed"]})
    assert raw["WindowExecution"]["Status"] == "FAILED"
    assert raw["WindowExecutionTaskIdentities"] == [
        {"WindowExecutionId": EXEC_NEW, "TaskExecutionId": TASK, "Status": "FAILED", "TaskArn": "AWS-RunShellScript", "TaskType": "RUN_COMMAND"}
    ]
    assert [item["InvocationId"] for item in raw["WindowExecutionTaskInvocationIdentities"]] == [INV2]
    # The vendor's Parameters stay the JSON string it sent.
    assert isinstance(raw["WindowExecutionTaskInvocationIdentities"][0]["Parameters"], str)
