# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS SSM adapter: pure helpers on realistic payloads, then the provider on a botocore Stubber."""

from __future__ import annotations

import datetime
import inspect
import http.server
import re
import threading
from unittest import mock

import boto3
import botocore.endpoint
import botocore.exceptions as botocore_exceptions
import botocore.stub as botocore_stub
import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    MissingDependency,
    NotFound,
    ProviderError,
    Throttled,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import aws_ssm
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider, classify_client_error
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import (
    command_budget,
    command_summary,
    get_invocation_record,
    invocation_records,
    plain,
    split_list_output,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_requests import (
    build_send_request,
    new_start_marker,
    validate_command_id,
    validate_instance_id,
    with_start_marker,
)

UTC = datetime.timezone.utc
CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
CID2 = "5c1d2e3f-4a5b-4c6d-8e7f-901234567890"
I1 = "i-0123456789abcdef0"
I2 = "i-0fedcba9876543210"
I3 = "i-0aaaaaaaaaaaaaaa3"
REQUESTED = datetime.datetime(2026, 11, 22, 13, 7, 9, 708000, tzinfo=UTC)
STARTED = datetime.datetime(2026, 11, 22, 13, 7, 10, 120000, tzinfo=UTC)
FINISHED = datetime.datetime(2026, 11, 22, 13, 7, 12, 5000, tzinfo=UTC)


# -- realistic payloads --------------------------------------------------------------------------


def plugin(status="Success", details=None, code=0, output="", name="aws:runShellScript", started=True, finished=True):
    item = {
        "Name": name,
        "Status": status,
        "StatusDetails": details or status,
        "ResponseCode": code,
        "Output": output,
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
        "OutputS3Region": "us-east-1",
        "OutputS3KeyPrefix": "",
    }
    if started:
        item["ResponseStartDateTime"] = STARTED
    if finished:
        item["ResponseFinishDateTime"] = FINISHED
    return item


def invocation(instance_id=I1, status="Success", details=None, plugins=None, command_id=CID):
    """A ListCommandInvocations item as boto3 returns it with Details=true."""
    return {
        "CommandId": command_id,
        "InstanceId": instance_id,
        "InstanceName": "",
        "Comment": "",
        "DocumentName": "AWS-RunShellScript",
        "DocumentVersion": "$DEFAULT",
        "RequestedDateTime": REQUESTED,
        "Status": status,
        "StatusDetails": details or status,
        "TraceOutput": "",
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
        "CommandPlugins": [plugin(status, details, output="ok\n")] if plugins is None else plugins,
        "ServiceRole": "",
        "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
        "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
    }


def running(instance_id=I1, command_id=CID):
    return invocation(instance_id, "InProgress", plugins=[plugin("InProgress", code=-1, output="", finished=False)], command_id=command_id)


def command(command_id=CID, status="InProgress", details=None, target_count=2, instance_ids=None, **extra):
    """A ListCommands / SendCommand Command as boto3 returns it."""
    item = {
        "CommandId": command_id,
        "DocumentName": "AWS-RunShellScript",
        "DocumentVersion": "$DEFAULT",
        "Comment": "",
        "ExpiresAfter": REQUESTED + datetime.timedelta(hours=2),
        "Parameters": {"commands": ["uptime"], "executionTimeout": ["900"]},
        "InstanceIds": list(instance_ids or []),
        "Targets": [],
        "RequestedDateTime": REQUESTED,
        "Status": status,
        "StatusDetails": details or status,
        "OutputS3Region": "us-east-1",
        "OutputS3KeyPrefix": "",
        "MaxConcurrency": "50",
        "MaxErrors": "0",
        "TargetCount": target_count,
        "CompletedCount": 0,
        "ErrorCount": 0,
        "DeliveryTimedOutCount": 0,
        "ServiceRole": "",
        "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
        "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
        "TimeoutSeconds": 600,
    }
    item.update(extra)
    return item


def plain_command(**kwargs):
    """A command as the provider keeps it (datetimes as ISO strings)."""
    item = command(**kwargs)
    item["RequestedDateTime"] = "2026-11-22T13:07:09.708Z"
    item["ExpiresAfter"] = "2026-11-22T15:07:09.708Z"
    return item


# -- validate_command_id / validate_instance_id -------------------------------------------------


@pytest.mark.parametrize("value", [CID, CID.upper(), "00000000-0000-0000-0000-000000000000"])
def test_validate_command_id_good(value):
    assert validate_command_id(value) == value


@pytest.mark.parametrize("value", ["", "0b6bd0d8", CID + "0", CID[:-1], CID.replace("-", ""), "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d1g", None, 42, " " + CID])
def test_validate_command_id_bad(value):
    with pytest.raises(InvalidInput) as caught:
        validate_command_id(value)
    assert caught.value.message == (
        f"command_id {value!r} is not an SSM command id: expected 36 characters such as "
        "'0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10', as returned by SendCommand"
    )


@pytest.mark.parametrize("value", [I1, "i-0123abcd", "mi-0123456789abcdef0"])
def test_validate_instance_id_good(value):
    assert validate_instance_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "i-", "i-0123abc", "i-0123456789ABCDEF0", "i-0123456789abcdef", "i-0123456789abcdef01", "mi-0123abcd", "web-1", "I-0123abcd", None, ["i-0123abcd"]],
)
def test_validate_instance_id_bad(value):
    with pytest.raises(InvalidInput) as caught:
        validate_instance_id(value)
    assert caught.value.message.startswith(f"instance id {value!r} is not an SSM managed node id: expected 'i-' and 8 or 17 hexadecimal characters")
    assert "'i-0123456789abcdef0'" in caught.value.message


# -- split_list_output ---------------------------------------------------------------------------


def test_split_list_output_plain():
    assert split_list_output("line 1\nline 2\n") == ("line 1\nline 2\n", "", False, False)


def test_split_list_output_with_stderr():
    assert split_list_output("out\n\n----------ERROR-------\nerr 1\nerr 2\n") == ("out", "err 1\nerr 2\n", False, False)


def test_split_list_output_only_stderr():
    assert split_list_output("\n----------ERROR-------\nfailed to run commands: exit status 1") == ("", "failed to run commands: exit status 1", False, False)


def test_split_list_output_none_and_empty():
    assert split_list_output(None) == (None, None, False, False)
    assert split_list_output("") == ("", "", False, False)


def test_split_list_output_at_the_cap_is_truncated():
    assert split_list_output("a" * 2500)[2] is True
    assert split_list_output("a" * 2499)[2] is False


def test_split_list_output_cut_falls_in_stderr_when_stderr_is_present():
    output = "out\n----------ERROR-------\n" + "e" * 2500
    stdout, stderr, stdout_cut, stderr_cut = split_list_output(output)
    assert stdout == "out" and stderr.startswith("eee")
    assert (stdout_cut, stderr_cut) == (False, True)


def test_split_list_output_truncation_marker():
    assert split_list_output("start\n---Output truncated---")[2] is True
    assert split_list_output("start\n--------- Output Truncated ---------\n")[2] is True


# -- invocation_records --------------------------------------------------------------------------


def test_invocation_records_success():
    (record,) = invocation_records(invocation(I1, "Success", plugins=[plugin("Success", output="hello\nworld\n")]))
    assert record["provider"] == "aws_ssm"
    assert record["command_id"] == CID
    assert record["instance_id"] == I1
    assert record["instance_name"] is None
    assert [step["name"] for step in record["steps"]] == ["aws:runShellScript"]
    assert record["steps"][0]["stdout"] == "hello\nworld\n" and record["steps"][0]["exit_code"] == 0
    assert record["status"] == "success"
    assert record["terminal"] is True
    assert record["vendor_status"] == "Success"
    assert record["vendor_status_details"] == "Success"
    assert record["exit_code"] == 0
    assert record["stdout"] == "hello\nworld\n"
    assert record["stderr"] == ""
    assert record["stdout_truncated"] is False and record["stderr_truncated"] is False
    assert record["stdout_url"] is None and record["stderr_url"] is None
    assert record["requested_at"] == "2026-11-22T13:07:09.708Z"
    assert record["started_at"] == "2026-11-22T13:07:10.120Z"
    assert record["ended_at"] == "2026-11-22T13:07:12.005Z"
    assert [item["Name"] for item in record["raw"]["CommandPlugins"]] == ["aws:runShellScript"]
    assert record["raw"]["RequestedDateTime"] == "2026-11-22T13:07:09.708Z"
    assert record["raw"]["InstanceId"] == I1


def test_invocation_records_failed_with_exit_code():
    output = "installing\n\n----------ERROR-------\nE: Unable to locate package nosuch\nfailed to run commands: exit status 100"
    (record,) = invocation_records(invocation(I2, "Failed", plugins=[plugin("Failed", code=100, output=output)]))
    assert record["status"] == "failed"
    assert record["terminal"] is True
    assert record["exit_code"] == 100
    assert record["stdout"] == "installing"
    assert record["stderr"] == "E: Unable to locate package nosuch\nfailed to run commands: exit status 100"
    assert record["vendor_status"] == "Failed"


def test_invocation_records_execution_timed_out():
    item = invocation(I1, "TimedOut", "ExecutionTimedOut", plugins=[plugin("TimedOut", "ExecutionTimedOut", code=124, output="slow")])
    (record,) = invocation_records(item)
    assert record["status"] == "timed_out"
    # The killed process's code is not the command's answer: null, and kept in raw.
    assert record["exit_code"] is None
    assert record["raw"]["CommandPlugins"][0]["ResponseCode"] == 124


@pytest.mark.parametrize(
    "status, details, expected",
    [
        ("TimedOut", "DeliveryTimedOut", "undeliverable"),
        ("Failed", "Undeliverable", "undeliverable"),
        ("Cancelled", "Terminated", "cancelled"),
        ("Failed", "InvalidPlatform", "undeliverable"),
    ],
)
def test_invocation_speaks_for_a_step_still_pending(status, details, expected):
    pending_step = plugin("Pending", code=-1, output="", started=False, finished=False)
    (record,) = invocation_records(invocation(I3, status, details, plugins=[pending_step]))
    assert record["status"] == expected
    assert record["terminal"] is True
    assert record["exit_code"] is None
    assert record["started_at"] is None
    assert record["ended_at"] is None
    assert [(step["name"], step["status"]) for step in record["steps"]] == [("aws:runShellScript", expected)]


def test_vendor_values_follow_the_invocation_that_decided_the_status():
    pending_step = plugin("Pending", code=-1, output="", started=False, finished=False)
    (record,) = invocation_records(invocation(I3, "TimedOut", "DeliveryTimedOut", plugins=[pending_step]))
    assert record["status"] == "undeliverable"
    assert record["vendor_status_details"] == "DeliveryTimedOut"
    assert record["vendor_status"] == "TimedOut"


def test_terminal_step_keeps_its_own_status_when_invocation_is_terminal():
    plugins = [plugin("Success", output="step 1", name="step1"), plugin("Failed", code=3, output="step 2", name="step2")]
    (record,) = invocation_records(invocation(I1, "Failed", plugins=plugins))
    assert [(step["name"], step["status"], step["exit_code"]) for step in record["steps"]] == [("step1", "success", 0), ("step2", "failed", 3)]


def test_two_steps_on_one_instance_are_one_record_decided_by_the_failed_step():
    plugins = [plugin("Success", output="deployed", name="deploy"), plugin("Failed", code=3, output="checking\n----------ERROR-------\nbad", name="verify")]
    records = invocation_records(invocation(I1, "Failed", plugins=plugins))
    assert len(records) == 1
    (record,) = records
    assert (record["status"], record["exit_code"], record["stdout"], record["stderr"]) == ("failed", 3, "checking", "bad")
    assert record["steps"][0]["stdout"] == "deployed"
    assert record["accepted"] is False


@pytest.mark.parametrize(
    "steps, status, exit_code",
    [
        ([("Success", 0), ("TimedOut", 124), ("Failed", 2)], "failed", 2),
        ([("TimedOut", 124), ("Success", 0)], "timed_out", None),
        ([("Success", 0), ("Cancelled", -1)], "cancelled", None),
        ([("Success", 0), ("InProgress", -1), ("Pending", -1)], "running", None),
        ([("Success", 0), ("Pending", -1)], "pending", None),
        ([("Success", 0), ("Success", 0)], "success", 0),
    ],
)
def test_instance_status_is_the_first_of_its_steps_statuses_in_precedence_order(steps, status, exit_code):
    plugins = [plugin(vendor, code=code, name=f"s{n}", finished=vendor not in ("InProgress", "Pending")) for n, (vendor, code) in enumerate(steps)]
    (record,) = invocation_records(invocation(I1, "InProgress", plugins=plugins))
    assert (record["status"], record["exit_code"]) == (status, exit_code)


def test_running_step_has_no_exit_code_and_no_end():
    (record,) = invocation_records(running(I1))
    assert record["status"] == "running"
    assert record["terminal"] is False
    assert record["exit_code"] is None
    assert record["ended_at"] is None
    assert record["started_at"] == "2026-11-22T13:07:10.120Z"


@pytest.mark.parametrize(
    "status, details, expected",
    [("InProgress", None, "running"), ("Pending", None, "pending"), ("Failed", "Undeliverable", "undeliverable"), ("Success", None, "success")],
)
def test_empty_command_plugins_give_one_record_from_the_invocation(status, details, expected):
    (record,) = invocation_records(invocation(I1, status, details, plugins=[]))
    assert record["status"] == expected
    assert record["steps"] == []
    assert record["stdout"] is None and record["stderr"] is None
    assert record["exit_code"] is None
    assert record["raw"]["CommandPlugins"] == []
    assert record["vendor_status"] == status


def test_output_truncated_at_2500_characters():
    output = "o" * 1000 + "\n----------ERROR-------\n" + "e" * (2500 - 1000 - 24)
    assert len(output) == 2500
    (record,) = invocation_records(invocation(I1, "Failed", plugins=[plugin("Failed", code=1, output=output)]))
    # The cut is at the end of the combined output, so stderr is what was cut.
    assert record["stderr_truncated"] is True
    assert record["stdout"] == "o" * 1000


def test_output_at_the_cap_without_stderr():
    (record,) = invocation_records(invocation(I1, plugins=[plugin(output="x" * 2500)]))
    assert record["stdout_truncated"] is True
    assert record["stderr_truncated"] is False


def test_include_output_false_drops_output_everywhere():
    (record,) = invocation_records(invocation(I1, plugins=[plugin(output="secret output")]), include_output=False)
    assert record["stdout"] is None and record["stderr"] is None
    assert "Output" not in record["raw"]["CommandPlugins"][0]
    assert "secret output" not in repr(record)


def test_raw_is_the_item_made_plain_not_a_copy():
    # A final read of 10,000 invocations must not hold each item twice: the record's raw is the
    # item botocore gave, its times made ISO 8601 in place.
    item = invocation(I1, plugins=[plugin(output="hello")])
    (record,) = invocation_records(item)
    assert record["raw"] is item
    assert record["raw"]["RequestedDateTime"] == "2026-11-22T13:07:09.708Z"
    assert isinstance(record["raw"]["CommandPlugins"][0]["ResponseStartDateTime"], str)
    assert record["raw"]["CommandPlugins"][0]["Output"] == "hello"


def test_raw_of_an_item_without_plugins_has_an_empty_list():
    item = invocation(I1, "Pending", plugins=None)
    item.pop("CommandPlugins", None)
    (record,) = invocation_records(item)
    assert record["raw"]["CommandPlugins"] == []


def test_s3_urls_and_instance_name():
    item = invocation(I1, plugins=[dict(plugin(), StandardOutputUrl="https://bucket.s3.amazonaws.com/p/stdout", StandardErrorUrl="")])
    item["InstanceName"] = "web-1.example.com"
    (record,) = invocation_records(item)
    assert record["stdout_url"] == "https://bucket.s3.amazonaws.com/p/stdout"
    assert record["stderr_url"] is None
    assert record["instance_name"] == "web-1.example.com"


# -- get_invocation_record -----------------------------------------------------------------------


def get_response(status="Success", details=None, code=0, stdout="", stderr="", end="2020-02-19T18:18:03.510Z"):
    return {
        "CommandId": CID,
        "InstanceId": I1,
        "Comment": "",
        "DocumentName": "AWS-RunShellScript",
        "DocumentVersion": "$DEFAULT",
        "PluginName": "aws:runShellScript",
        "ResponseCode": code,
        "ExecutionStartDateTime": "2020-02-19T18:18:03.419Z",
        "ExecutionElapsedTime": "PT0.091S",
        "ExecutionEndDateTime": end,
        "Status": status,
        "StatusDetails": details or status,
        "StandardOutputContent": stdout,
        "StandardOutputUrl": "",
        "StandardErrorContent": stderr,
        "StandardErrorUrl": "",
        "CloudWatchOutputConfig": {"CloudWatchOutputEnabled": False},
        "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200},
    }


def test_get_invocation_record_success():
    record = get_invocation_record(get_response(stdout="hello\n"))
    assert record["status"] == "success"
    assert record["exit_code"] == 0
    assert record["stdout"] == "hello\n"
    assert record["stderr"] == ""
    assert [(step["name"], step["exit_code"]) for step in record["steps"]] == [("aws:runShellScript", 0)]
    assert record["started_at"] == "2020-02-19T18:18:03.419Z"
    assert record["ended_at"] == "2020-02-19T18:18:03.510Z"
    assert record["stdout_truncated"] is False and record["stderr_truncated"] is False
    assert "ResponseMetadata" not in record["raw"]


@pytest.mark.parametrize(
    "stdout_len, stderr_len, stdout_truncated, stderr_truncated",
    [(24000, 0, True, False), (23999, 0, False, False), (0, 8000, False, True), (100, 7999, False, False), (24000, 8000, True, True)],
)
def test_get_invocation_record_caps(stdout_len, stderr_len, stdout_truncated, stderr_truncated):
    record = get_invocation_record(get_response("Failed", code=1, stdout="o" * stdout_len, stderr="e" * stderr_len))
    assert record["stdout_truncated"] is stdout_truncated
    assert record["stderr_truncated"] is stderr_truncated
    assert len(record["stdout"]) == stdout_len


def test_get_invocation_record_in_progress():
    response = get_response("InProgress", code=-1, end="")
    response["ExecutionStartDateTime"] = ""
    record = get_invocation_record(response)
    assert record["status"] == "running"
    assert record["exit_code"] is None
    assert record["started_at"] is None
    assert record["ended_at"] is None


def test_get_invocation_record_details_win():
    record = get_invocation_record(get_response("TimedOut", "DeliveryTimedOut", code=-1, end=""))
    assert record["status"] == "undeliverable"
    assert record["exit_code"] is None
    assert record["vendor_status"] == "TimedOut"
    assert record["vendor_status_details"] == "DeliveryTimedOut"


def test_get_invocation_record_without_output():
    record = get_invocation_record(get_response(stdout="o" * 24000, stderr="boom"), include_output=False)
    assert record["stdout"] is None and record["stderr"] is None
    assert record["stdout_truncated"] is False
    assert "StandardOutputContent" not in record["raw"] and "StandardErrorContent" not in record["raw"]


# -- command_budget and command_summary ----------------------------------------------------------


NOW = datetime.datetime(2026, 11, 22, 14, 0, 0, tzinfo=UTC)


def test_command_budget_counts_from_requested():
    requested = NOW - datetime.timedelta(seconds=100)
    budget = command_budget({"Parameters": {"executionTimeout": ["900"]}, "TimeoutSeconds": 600, "RequestedDateTime": requested}, now=NOW)
    assert budget == 600 + 900 + 60 - 100


def test_command_budget_defaults():
    assert command_budget({}) == 3600 + 3600 + 60
    assert command_budget({"Parameters": {"commands": ["x"]}, "TimeoutSeconds": None}) == 7260


@pytest.mark.parametrize(
    "requested",
    ["2026-11-22T13:58:20Z", "2026-11-22T13:58:20", "2026-11-22T13:58:20.000Z", datetime.datetime(2026, 11, 22, 13, 58, 20)],
    ids=["iso-z", "iso-naive", "iso-ms", "naive-datetime"],
)
def test_command_budget_requested_forms(requested):
    budget = command_budget({"Parameters": {"executionTimeout": ["300"]}, "TimeoutSeconds": 60, "RequestedDateTime": requested}, now=NOW)
    assert budget == pytest.approx(60 + 300 + 60 - 100)


def test_command_budget_floor_is_60():
    long_ago = NOW - datetime.timedelta(days=3)
    assert command_budget({"Parameters": {"executionTimeout": ["60"]}, "TimeoutSeconds": 30, "RequestedDateTime": long_ago}, now=NOW) == 60.0


def test_command_budget_future_request_is_not_added():
    soon = NOW + datetime.timedelta(seconds=500)
    assert command_budget({"TimeoutSeconds": 30, "Parameters": {"executionTimeout": ["10"]}, "RequestedDateTime": soon}, now=NOW) == 100.0


def test_command_budget_ignores_unreadable_values():
    assert command_budget({"Parameters": {"executionTimeout": ["soon"]}, "TimeoutSeconds": 30, "RequestedDateTime": "not a date"}, now=NOW) == 30 + 3600 + 60


def test_command_budget_uses_the_real_clock_by_default():
    requested = datetime.datetime.now(UTC) - datetime.timedelta(seconds=1000)
    assert command_budget({"TimeoutSeconds": 600, "Parameters": {"executionTimeout": ["900"]}, "RequestedDateTime": requested}) == pytest.approx(560, abs=5)


def test_command_summary():
    summary = command_summary(dict(command(status="Failed", details="Incomplete", target_count=5), CompletedCount=5, ErrorCount=1, DeliveryTimedOutCount=1))
    assert summary == {
        "status": "Failed",
        "status_details": "Incomplete",
        "normalised": "partial_failed",
        "target_count": 5,
        "completed_count": 5,
        "error_count": 1,
        "delivery_timed_out_count": 1,
    }


# -- build_send_request --------------------------------------------------------------------------


def send_options(**overrides):
    values = {
        "document_name": "AWS-RunShellScript",
        "commands": ["uptime"],
        "parameters": None,
        "execution_timeout": None,
        "working_directory": None,
        "instance_ids": [I1],
        "targets": None,
        "delivery_timeout": None,
        "max_concurrency": None,
        "max_errors": None,
        "comment": None,
        "output_s3_bucket_name": None,
        "output_s3_key_prefix": None,
    }
    values.update(overrides)
    return values


def test_build_send_request_minimal():
    assert build_send_request(send_options()) == {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["uptime"]}, "InstanceIds": [I1]}


def test_build_send_request_all_options():
    request = build_send_request(
        send_options(
            commands=["cd /opt/app", 42],
            parameters={"extra": "value", "many": [1, "two"]},
            execution_timeout=900,
            working_directory="/opt/app",
            instance_ids=[I1, I2],
            delivery_timeout=600,
            max_concurrency="25%",
            max_errors="1",
            comment="deploy 4.2.0",
            output_s3_bucket_name="my-bucket",
            output_s3_key_prefix="runs/",
        )
    )
    assert request == {
        "DocumentName": "AWS-RunShellScript",
        "Parameters": {
            "extra": ["value"],
            "many": ["1", "two"],
            "commands": ["cd /opt/app", "42"],
            "executionTimeout": ["900"],
            "workingDirectory": ["/opt/app"],
        },
        "InstanceIds": [I1, I2],
        "TimeoutSeconds": 600,
        "MaxConcurrency": "25%",
        "MaxErrors": "1",
        "Comment": "deploy 4.2.0",
        "OutputS3BucketName": "my-bucket",
        "OutputS3KeyPrefix": "runs/",
    }


def test_build_send_request_cloudwatch_output():
    request = build_send_request(send_options(cloudwatch_output_log_group="/ssm/run-command#1"))
    assert request["CloudWatchOutputConfig"] == {"CloudWatchLogGroupName": "/ssm/run-command#1", "CloudWatchOutputEnabled": True}
    assert "CloudWatchOutputConfig" not in build_send_request(send_options())


@pytest.mark.parametrize("group", ["", "my group", "logs:run", "g" * 513])
def test_build_send_request_refuses_a_log_group_ssm_would_refuse(group):
    with pytest.raises(InvalidInput, match="cloudwatch_output_log_group must be 1 to 512 letters, digits and the characters"):
        build_send_request(send_options(cloudwatch_output_log_group=group))


def test_build_send_request_targets():
    request = build_send_request(send_options(instance_ids=None, targets=[{"key": "tag:role", "values": ["web", 7]}, {"key": "tag-key", "values": ["app"]}]))
    assert request["Targets"] == [{"Key": "tag:role", "Values": ["web", "7"]}, {"Key": "tag-key", "Values": ["app"]}]
    assert "InstanceIds" not in request


def test_build_send_request_document_without_commands():
    assert build_send_request(send_options(document_name="AWS-UpdateSSMAgent", commands=None)) == {"DocumentName": "AWS-UpdateSSMAgent", "InstanceIds": [I1]}


def test_build_send_request_default_document():
    assert build_send_request(send_options(document_name=None))["DocumentName"] == "AWS-RunShellScript"


def test_build_send_request_commands_in_parameters_are_enough():
    request = build_send_request(send_options(commands=None, parameters={"commands": ["id"]}))
    assert request["Parameters"] == {"commands": ["id"]}


@pytest.mark.parametrize("value", ["1", "10", "5%", "99%", "100%", 3])
def test_build_send_request_good_concurrency(value):
    assert build_send_request(send_options(max_concurrency=value))["MaxConcurrency"] == str(value)


@pytest.mark.parametrize("value", ["0", "10", "0%", "9%", "100%", 0])
def test_build_send_request_good_max_errors(value):
    assert build_send_request(send_options(max_errors=value))["MaxErrors"] == str(value)


@pytest.mark.parametrize("value", [30, 2592000])
def test_build_send_request_delivery_timeout_bounds(value):
    assert build_send_request(send_options(delivery_timeout=value))["TimeoutSeconds"] == value


@pytest.mark.parametrize("value", [1, 172800])
def test_build_send_request_execution_timeout_bounds(value):
    assert build_send_request(send_options(execution_timeout=value))["Parameters"]["executionTimeout"] == [str(value)]


def test_build_send_request_comment_keeps_room_for_the_start_marker():
    request = build_send_request(send_options(comment="c" * 79))
    assert request["Comment"] == "c" * 79
    marked = with_start_marker(request, new_start_marker())
    assert len(marked["Comment"]) == 100 and re.fullmatch("c{79} mci-[0-9a-f]{16}", marked["Comment"])
    assert re.fullmatch("mci-[0-9a-f]{16}", with_start_marker(build_send_request(send_options()), new_start_marker())["Comment"])


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"instance_ids": [f"i-{index:017x}" for index in range(51)]},
            "SendCommand takes at most 50 instance_ids (51 given); for more, select them with targets",
        ),
        ({"targets": [{"key": "tag:role", "values": ["web"]}]}, "set exactly one of instance_ids or targets to say where the command runs"),
        ({"instance_ids": None}, "set exactly one of instance_ids or targets to say where the command runs"),
        ({"instance_ids": []}, "set exactly one of instance_ids or targets to say where the command runs"),
        ({"instance_ids": None, "targets": [{"key": "tag:n", "values": [str(n)]} for n in range(6)]}, "SendCommand takes at most 5 targets (6 given)"),
        ({"instance_ids": ["i-123"]}, "instance id 'i-123' is not an SSM managed node id"),
        (
            {"instance_ids": ["i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef0"]},
            "instance_ids lists i-0123456789abcdef0 more than once: list each instance once",
        ),
        ({"execution_timeout": 0}, "execution_timeout must be a whole number of seconds from 1 to 172800 (48 hours), got 0"),
        ({"execution_timeout": 172801}, "execution_timeout must be a whole number of seconds from 1 to 172800 (48 hours), got 172801"),
        ({"delivery_timeout": 29}, "delivery_timeout must be a whole number of seconds from 30 to 2592000 (30 days), got 29"),
        ({"delivery_timeout": 2592001}, "delivery_timeout must be a whole number of seconds from 30 to 2592000 (30 days), got 2592001"),
        ({"max_concurrency": "0"}, "max_concurrency must be a count such as '10' or a percentage such as '25%', got '0'"),
        ({"max_concurrency": "0%"}, "max_concurrency must be a count"),
        ({"max_concurrency": "101%"}, "max_concurrency must be a count"),
        ({"max_concurrency": "ten"}, "max_concurrency must be a count"),
        ({"max_concurrency": "-1"}, "max_concurrency must be a count"),
        ({"max_errors": "-1"}, "max_errors must be a count such as '0' or a percentage such as '10%', got '-1'"),
        ({"max_errors": "101%"}, "max_errors must be a count"),
        ({"max_errors": "some"}, "max_errors must be a count"),
        ({"commands": None}, "AWS-RunShellScript needs something to run: set commands (a list of shell lines)"),
        ({"commands": []}, "AWS-RunShellScript needs something to run"),
        ({"commands": None, "document_name": "AWS-RunPowerShellScript"}, "AWS-RunPowerShellScript needs something to run"),
        ({"comment": "c" * 80}, "comment may hold at most 79 characters, got 80: SSM keeps 100 and the collection adds a 21-character marker"),
        ({"parameters": {"env": {"A": "1"}}}, "parameters.env must be a string or a list of strings, not a dict"),
    ],
)
def test_build_send_request_validation(overrides, message):
    with pytest.raises(InvalidInput) as caught:
        build_send_request(send_options(**overrides))
    assert caught.value.message.startswith(message)


# -- classify_client_error -----------------------------------------------------------------------


def client_error(code, status=400, message="it went wrong", request_id="3f1c2b7a-req"):
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status}}
    return botocore_exceptions.ClientError(response, "ListCommandInvocations")


@pytest.mark.parametrize(
    "code, status, kind, retryable",
    [
        ("ThrottlingException", 400, Throttled, True),
        ("Throttling", 400, Throttled, True),
        ("TooManyRequestsException", 400, Throttled, True),
        ("SomethingNew", 429, Throttled, True),
        ("AccessDeniedException", 400, AccessDenied, False),
        ("UnrecognizedClientException", 400, AccessDenied, False),
        ("ExpiredTokenException", 400, AccessDenied, False),
        ("InvalidSignatureException", 400, AccessDenied, False),
        ("InvalidCommandId", 400, NotFound, False),
        ("InvocationDoesNotExist", 400, NotFound, False),
        ("InvalidInstanceId", 400, NotFound, False),
        ("ValidationException", 400, InvalidInput, False),
        ("InvalidNextToken", 400, InvalidInput, False),
        ("InvalidFilterKey", 400, InvalidInput, False),
        ("InternalServerError", 500, ProviderError, True),
        ("ServiceUnavailable", 503, ProviderError, True),
        ("BadGateway", 502, ProviderError, True),
        ("TooManyUpdates", 400, ProviderError, False),
    ],
)
def test_classify_client_error(code, status, kind, retryable):
    error = classify_client_error(client_error(code, status), "ListCommandInvocations")
    assert type(error) is kind  # pylint: disable=unidiomatic-typecheck
    assert error.retryable is retryable
    assert error.code == code
    assert error.request_id == "3f1c2b7a-req"
    assert error.http_status == status
    assert error.provider == "aws_ssm"
    assert error.message.startswith("SSM ListCommandInvocations failed: it went wrong")
    assert error.describe().endswith(f"(error code {code}, request id 3f1c2b7a-req, HTTP {status})")


def test_classify_access_denied_says_what_to_check():
    error = classify_client_error(client_error("AccessDeniedException", message="User is not authorized"), "ListCommands")
    assert error.message.startswith("SSM ListCommands failed: User is not authorized. Check the credentials")
    assert error.as_result() == {"error_code": "AccessDeniedException", "request_id": "3f1c2b7a-req", "error_kind": "access_denied"}


def test_classify_client_error_without_details():
    error = classify_client_error(botocore_exceptions.ClientError({}, "ListCommands"), "ListCommands")
    assert isinstance(error, ProviderError)
    assert error.code == "Unknown"
    assert error.retryable is False
    assert error.request_id is None


@pytest.mark.parametrize("code, status", [("RequestTimeoutException", 408), ("RequestTimeout", 400), ("PriorRequestNotComplete", 400)])
def test_classify_documented_transient_codes_are_retryable(code, status):
    assert classify_client_error(client_error(code, status), "ListCommandInvocations").retryable is True


# -- AwsSsmProvider on a botocore Stubber --------------------------------------------------------


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


def list_params(command_id=CID, token=None, instance_id=None, **extra):
    request = {"Details": True, "MaxResults": 50, **extra}
    if command_id:
        request["CommandId"] = command_id
    if instance_id:
        request["InstanceId"] = instance_id
    if token:
        request["NextToken"] = token
    return request


def test_list_command_invocations_follows_every_page(provider, ssm):
    stubber = ssm[1]
    instances = [f"i-{index:017x}" for index in range(120)]
    pages = [instances[0:50], instances[50:100], instances[100:]]
    tokens = [None, "token-page-2", "token-page-3"]
    for page, (token, next_token) in enumerate(zip(tokens, tokens[1:] + [None])):
        response = {"CommandInvocations": [invocation(instance_id) for instance_id in pages[page]]}
        if next_token:
            response["NextToken"] = next_token
        stubber.add_response("list_command_invocations", response, list_params(token=token))
    items = provider.list_command_invocations(command_id=CID)
    assert [item["InstanceId"] for item in items] == instances
    assert provider.api_calls == 3


def test_list_command_invocations_starts_again_when_a_token_expires(provider, ssm):
    # chaos (fleetsim --faults expire) found a wait ending on a NextToken that expired mid-walk.
    stubber = ssm[1]
    first = [f"i-{index:017x}" for index in range(50)]
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(i) for i in first], "NextToken": "t1"}, list_params())
    stubber.add_client_error("list_command_invocations", "InvalidNextToken", "The specified token is not valid.", 400,
                             expected_params=list_params(token="t1"))
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(i) for i in first], "NextToken": "t2"}, list_params())
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I2)]}, list_params(token="t2"))
    items = provider.list_command_invocations(command_id=CID)
    assert [item["InstanceId"] for item in items] == first + [I2]
    assert provider.api_calls == 4


def test_list_command_invocations_whose_token_keeps_expiring_is_a_transient_error(provider, ssm):
    for _round in range(3):
        ssm[1].add_response("list_command_invocations", {"CommandInvocations": [invocation(I1)], "NextToken": "t"}, list_params())
        ssm[1].add_client_error("list_command_invocations", "InvalidNextToken", "expired", 400, expected_params=list_params(token="t"))
    with pytest.raises(ProviderError, match="kept expiring") as caught:
        provider.list_command_invocations(command_id=CID)
    assert caught.value.retryable and caught.value.code == "InvalidNextToken"
    assert provider.api_calls == 6


def test_list_command_invocations_stops_at_the_limit(provider, ssm):
    ssm[1].add_response(
        "list_command_invocations",
        {"CommandInvocations": [invocation(I1, command_id=CID), invocation(I1, command_id=CID2), invocation(I1)], "NextToken": "more"},
        list_params(command_id=None, instance_id=I1),
    )
    items = provider.list_command_invocations(instance_id=I1, limit=2)
    assert len(items) == 2
    assert provider.api_calls == 1


def test_get_command(provider, ssm):
    ssm[1].add_response("list_commands", {"Commands": [command()]}, {"CommandId": CID})
    found = provider.get_command(CID)
    assert found["CommandId"] == CID
    assert found["RequestedDateTime"] == "2026-11-22T13:07:09.708Z"
    assert provider.api_calls == 1


@pytest.mark.parametrize("may_appear", [False, True])
def test_get_command_not_found(provider, ssm, may_appear):
    ssm[1].add_client_error(
        "list_commands", "InvalidCommandId", "", 400, expected_params={"CommandId": CID}, response_meta={"RequestId": "req-404"}
    )
    with pytest.raises(NotFound) as caught:
        provider.get_command(CID, may_appear=may_appear)
    assert caught.value.retryable is may_appear
    assert caught.value.code == "InvalidCommandId"
    assert caught.value.request_id == "req-404"
    assert caught.value.message.startswith(f"command {CID} does not exist in this account and region (SSM ListCommands failed")


@pytest.mark.parametrize("may_appear", [False, True])
def test_get_command_empty_list_is_not_found(provider, ssm, may_appear):
    ssm[1].add_response("list_commands", {"Commands": []}, {"CommandId": CID})
    with pytest.raises(NotFound) as caught:
        provider.get_command(CID, may_appear=may_appear)
    assert caught.value.retryable is may_appear


def test_describe_commands_validates_before_calling(provider):
    with pytest.raises(InvalidInput):
        provider.describe_commands(["not-a-command", CID])
    assert provider.api_calls == 0


def test_describe_commands_validates_every_id_before_the_first_call():
    client = mock.Mock()
    client.list_commands.return_value = {"Commands": [command()]}
    provider = AwsSsmProvider({}, client=client)
    with pytest.raises(InvalidInput):
        provider.describe_commands([CID, "not-a-command"])
    assert provider.api_calls == 0
    client.list_commands.assert_not_called()


@pytest.mark.parametrize(
    "code, status, kind",
    [("ThrottlingException", 400, Throttled), ("AccessDeniedException", 400, AccessDenied), ("InternalServerError", 500, ProviderError)],
)
def test_client_errors_become_typed_errors(provider, ssm, code, status, kind):
    ssm[1].add_client_error("list_command_invocations", code, "nope", status, response_meta={"RequestId": "req-9"})
    with pytest.raises(kind) as caught:
        provider.list_command_invocations(command_id=CID)
    assert caught.value.code == code
    assert caught.value.request_id == "req-9"
    assert provider.api_calls == 1


@pytest.mark.parametrize(
    "exception, kind, retryable, text",
    [
        (botocore_exceptions.NoCredentialsError(), AccessDenied, False, "no usable AWS credentials"),
        (botocore_exceptions.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), AccessDenied, False, "no usable AWS credentials"),
        (
            botocore_exceptions.EndpointConnectionError(endpoint_url="https://ssm.us-east-1.amazonaws.com/"),
            ProviderError,
            True,
            "cannot reach the SSM endpoint",
        ),
        (botocore_exceptions.SSLError(endpoint_url="https://localhost:4443/", error="self signed"), ProviderError, False, "TLS verification"),
        (botocore_exceptions.ParamValidationError(report="bad"), ProviderError, False, "SSM ListCommands failed"),
    ],
    ids=["no-credentials", "partial-credentials", "connection", "tls", "botocore"],
)
def test_transport_errors_become_typed_errors(exception, kind, retryable, text):
    client = mock.Mock()
    client.list_commands.side_effect = exception
    provider = AwsSsmProvider({}, client=client)
    with pytest.raises(kind) as caught:
        provider.get_command(CID)
    assert type(caught.value) is kind  # pylint: disable=unidiomatic-typecheck
    assert caught.value.retryable is retryable
    assert text in caught.value.message
    assert caught.value.provider == "aws_ssm"


def test_query_command_and_instance_uses_the_single_item_call(provider, ssm):
    response = get_response(stdout="full output")
    del response["ResponseMetadata"]
    ssm[1].add_response("get_command_invocation", response, {"CommandId": CID, "InstanceId": I1, "PluginName": "aws:runShellScript"})
    records, expected, aggregate = provider.query(CID, I1, "aws:runShellScript", True, 50)
    assert [record["stdout"] for record in records] == ["full output"]
    assert (expected, aggregate) == (1, {})


def test_query_command_reads_command_and_every_invocation(provider, ssm):
    ssm[1].add_response("list_commands", {"Commands": [command(target_count=3)]}, {"CommandId": CID})
    ssm[1].add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), running(I2)]}, list_params())
    records, expected, aggregate = provider.query(CID, None, None, False, 50)
    assert [(record["instance_id"], record["status"]) for record in records] == [(I1, "success"), (I2, "running")]
    assert all(record["stdout"] is None for record in records)
    assert expected == 3
    assert aggregate[CID]["status"] == "InProgress"
    assert aggregate[CID]["target_count"] == 3
    assert provider.api_calls == 2


def test_query_instance_alone_lists_recent_invocations(provider, ssm):
    ssm[1].add_response(
        "list_command_invocations",
        {
            "CommandInvocations": [invocation(I1, command_id=CID2), invocation(I1, "Failed", plugins=[plugin("Failed", code=1)]), invocation(I1)],
            "NextToken": "x",
        },
        list_params(command_id=None, instance_id=I1),
    )
    records, expected, aggregate = provider.query(None, I1, None, True, 2)
    assert [record["command_id"] for record in records] == [CID2, CID]
    assert expected == 2
    assert aggregate == {}


@pytest.mark.parametrize(
    "args, message",
    [
        ((CID, None, None, True, 0), "max_results must be 1 or more, got 0"),
        ((CID, None, "aws:runShellScript", True, 50), "plugin_name needs both command_id and instance_id"),
        ((None, I1, "aws:runShellScript", True, 50), "plugin_name needs both command_id and instance_id"),
        (("nope", None, None, True, 50), "command_id 'nope' is not an SSM command id"),
        ((CID, "i-1", None, True, 50), "instance id 'i-1' is not an SSM managed node id"),
    ],
)
def test_query_validation_before_any_call(provider, args, message):
    with pytest.raises(InvalidInput) as caught:
        provider.query(*args)
    assert caught.value.message.startswith(message)
    assert provider.api_calls == 0


# -- CommandWatch --------------------------------------------------------------------------------


def test_watch_settles_a_finished_command_and_stops_asking(provider, ssm):
    stubber = ssm[1]
    # One of two ended: the command's counters speak for it, no invocation is read.
    stubber.add_response("list_commands", {"Commands": [command(target_count=2, CompletedCount=1)]}, {"CommandId": CID})
    # Both ended: the invocations are read once, in full.
    stubber.add_response("list_commands", {"Commands": [command(status="Failed", target_count=2, CompletedCount=2, ErrorCount=1)]}, {"CommandId": CID})
    failed = invocation(I2, "Failed", plugins=[plugin("Failed", code=2)])
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), failed]}, list_params())
    watch = provider.watch([plain_command(target_count=2)], [], True)
    watch.follow_failures = False

    first = watch.poll()
    assert first.complete is False
    assert first.expected == 2
    assert first.missing == []
    assert first.records == []
    assert first.unread == {"success": 1, "failed": 0, "not_finished": 1}
    assert provider.api_calls == 1

    second = watch.poll()
    assert second.complete is True
    assert [record["status"] for record in second.records] == ["success", "failed"]
    assert second.unread == {}
    assert second.vendor_aggregate[CID]["status"] == "Failed"
    assert provider.api_calls == 3

    third = watch.poll()
    assert third.complete is True
    assert third.records == second.records
    assert third.expected == 2
    assert provider.api_calls == 3  # settled: no API call


def test_watch_counters_cost_one_call_a_round_whatever_the_fleet_size(provider, ssm):
    stubber = ssm[1]
    for done in (0, 400, 9000):
        stubber.add_response("list_commands", {"Commands": [command(target_count=10000, CompletedCount=done)]}, {"CommandId": CID})
    watch = provider.watch([plain_command(target_count=10000)], [], False)
    watch.follow_failures = False
    seen = [watch.poll() for _round in range(3)]
    assert provider.api_calls == 3
    assert [snapshot.summary()["terminal"] for snapshot in seen] == [0, 400, 9000]
    assert seen[-1].summary()["expected"] == 10000 and seen[-1].summary()["not_visible"] == 0


def test_watch_follows_failures_narrowed_by_status_when_asked(provider, ssm):
    stubber = ssm[1]
    failed = invocation(I2, "Failed", plugins=[plugin("Failed", code=2)])
    stubber.add_response("list_commands", {"Commands": [command(target_count=3, CompletedCount=2, ErrorCount=1)]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [failed]}, list_params(Filters=[{"key": "Status", "value": "Failed"}]))
    stubber.add_response("list_command_invocations", {"CommandInvocations": []}, list_params(Filters=[{"key": "Status", "value": "TimedOut"}]))
    # The failure count did not move: the failures are not read again.
    stubber.add_response("list_commands", {"Commands": [command(target_count=3, CompletedCount=2, ErrorCount=1)]}, {"CommandId": CID})
    watch = provider.watch([plain_command(target_count=3)], [], True)
    assert watch.follow_failures is True

    first = watch.poll()
    assert [(record["instance_id"], record["status"], record["exit_code"]) for record in first.records] == [(I2, "failed", 2)]
    assert first.unread == {"success": 1, "failed": 0, "not_finished": 1}
    summary = first.summary()
    assert (summary["terminal"], summary["open"], summary["counts"]["failed"], summary["counts"]["success"]) == (2, 1, 1, 1)
    second = watch.poll()
    assert [record["instance_id"] for record in second.records] == [I2]
    assert provider.api_calls == 4


def test_watch_reads_invocations_while_the_target_count_is_unknown(provider, ssm):
    stubber = ssm[1]
    # Tag targets just sent: no target count yet, so the invocations are read (none visible yet).
    stubber.add_response("list_commands", {"Commands": [command(target_count=0)]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": []}, list_params())
    # The count is known: the counters speak.
    stubber.add_response("list_commands", {"Commands": [command(target_count=3, CompletedCount=1)]}, {"CommandId": CID})
    # Every target counted as ended: read them all.
    stubber.add_response("list_commands", {"Commands": [command(status="Success", target_count=3, CompletedCount=3)]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), invocation(I2), invocation(I3)]}, list_params())
    watch = provider.watch([plain_command(target_count=0)], [], True)

    first = watch.poll()
    assert first.records == []
    assert first.missing == [f"the invocations of command {CID}"]
    assert first.complete is False
    second = watch.poll()
    assert (second.records, second.expected, second.missing, second.complete) == ([], 3, [], False)
    third = watch.poll()
    assert (len(third.records), third.expected, third.complete) == (3, 3, True)
    assert third.vendor_aggregate[CID]["status"] == "Success"
    assert provider.api_calls == 5


def test_watch_reads_again_when_the_invocations_lag_behind_the_counters(provider, ssm):
    stubber = ssm[1]
    done = command(status="Success", target_count=2, CompletedCount=2)
    stubber.add_response("list_commands", {"Commands": [done]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), running(I2)]}, list_params())
    stubber.add_response("list_commands", {"Commands": [done]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), invocation(I2)]}, list_params())
    watch = provider.watch([plain_command(target_count=2)], [], True)
    assert watch.poll().complete is False
    assert watch.poll().complete is True


def test_watch_first_round_uses_the_commands_just_read(provider, ssm):
    stubber = ssm[1]
    stubber.add_response("list_commands", {"Commands": [command(target_count=2)]}, {"CommandId": CID})
    # The next round reads the counters again.
    stubber.add_response("list_commands", {"Commands": [command(target_count=2, CompletedCount=1)]}, {"CommandId": CID})
    (described,) = provider.describe_commands([CID])
    watch = provider.watch([described], [], True)
    watch.follow_failures = False
    assert watch.poll().unread == {"success": 0, "failed": 0, "not_finished": 2}
    assert provider.api_calls == 1
    assert watch.poll().unread == {"success": 1, "failed": 0, "not_finished": 1}
    assert provider.api_calls == 2


def test_watch_read_all_reads_the_invocations_whatever_the_counters_say(provider, ssm):
    stubber = ssm[1]
    stubber.add_response("list_commands", {"Commands": [command(target_count=2, CompletedCount=1)]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), running(I2)]}, list_params())
    stubber.add_response("list_commands", {"Commands": [command(target_count=2, CompletedCount=1)]}, {"CommandId": CID})
    watch = provider.watch([plain_command(target_count=2)], [], True)
    watch.follow_failures = False
    assert watch.poll().records == []
    full = watch.read_all()
    assert [(record["instance_id"], record["status"]) for record in full.records] == [(I1, "success"), (I2, "running")]
    assert (full.unread, full.complete, full.expected) == ({}, False, 2)
    # Back to counters afterwards.
    assert watch.poll().records == []
    stubber.assert_no_pending_responses()


def test_watch_not_visible_yet_is_retryable_not_found(provider, ssm):
    ssm[1].add_client_error("list_commands", "InvalidCommandId", "", 400, expected_params={"CommandId": CID})
    watch = provider.watch([plain_command(target_count=0)], [], True)
    with pytest.raises(NotFound) as caught:
        watch.poll()
    assert caught.value.retryable is True


def test_watch_explicit_instances_not_listed_are_missing(provider, ssm):
    ssm[1].add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), invocation(I3)]}, list_params())
    watch = provider.watch([plain_command(target_count=3, instance_ids=[I1, I2, I3])], [I1, I2], True)
    snapshot = watch.poll()
    assert snapshot.missing == [f"instance {I2} in command {CID}"]
    assert snapshot.expected == 2
    assert [record["instance_id"] for record in snapshot.records] == [I1]
    assert snapshot.complete is False


def test_watch_explicit_instances_complete_when_all_listed(provider, ssm):
    ssm[1].add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), invocation(I2), running(I3)]}, list_params())
    ssm[1].add_response("list_commands", {"Commands": [command(target_count=3)]}, {"CommandId": CID})
    watch = provider.watch([plain_command(target_count=3)], [I1, I2], False)
    snapshot = watch.poll()
    assert snapshot.complete is True
    assert snapshot.missing == []
    assert {record["instance_id"] for record in snapshot.records} == {I1, I2}


def test_watch_validates_instance_ids(provider):
    with pytest.raises(InvalidInput):
        provider.watch([plain_command()], ["web-1"], True)


SINCE = [{"key": "InvokedAfter", "value": "2026-11-22T13:07:08Z"}]


def test_watch_several_commands_share_one_list_commands_call(provider, ssm):
    stubber = ssm[1]
    # Both commands' counters in one call (commands requested since the earliest, 50 a page).
    both = [command(status="Success", target_count=1, CompletedCount=1), command(command_id=CID2, target_count=1)]
    stubber.add_response("list_commands", {"Commands": both}, {"MaxResults": 50, "Filters": SINCE})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1)]}, list_params())
    # One command left: its own ListCommands call.
    stubber.add_response("list_commands", {"Commands": [command(command_id=CID2, status="Success", target_count=1, CompletedCount=1)]}, {"CommandId": CID2})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I2, command_id=CID2)]}, list_params(command_id=CID2))
    watch = provider.watch([plain_command(target_count=1), plain_command(command_id=CID2, target_count=1)], [], True)
    first = watch.poll()
    assert first.complete is False
    assert first.expected == 2
    assert set(first.vendor_aggregate) == {CID, CID2}
    second = watch.poll()
    assert second.complete is True
    assert [(record["command_id"], record["status"]) for record in second.records] == [(CID, "success"), (CID2, "success")]
    assert provider.api_calls == 4


def test_watch_asks_for_a_command_alone_when_the_shared_listing_misses_it(provider, ssm):
    stubber = ssm[1]
    # A busy account: the pages read hold other commands only.
    other = "11111111-2222-4333-8444-555555555555"
    stubber.add_response("list_commands", {"Commands": [command(command_id=CID2, target_count=1), command(command_id=other)], "NextToken": "t1"},
                         {"MaxResults": 50, "Filters": SINCE})
    stubber.add_response("list_commands", {"Commands": [command(command_id=other)], "NextToken": "t2"}, {"MaxResults": 50, "Filters": SINCE, "NextToken": "t1"})
    stubber.add_response("list_commands", {"Commands": [command(command_id=other)], "NextToken": "t3"}, {"MaxResults": 50, "Filters": SINCE, "NextToken": "t2"})
    stubber.add_response("list_commands", {"Commands": [command(target_count=1)]}, {"CommandId": CID})
    watch = provider.watch([plain_command(target_count=1), plain_command(command_id=CID2, target_count=1)], [], True)
    snapshot = watch.poll()
    assert snapshot.complete is False and snapshot.expected == 2
    assert provider.api_calls == 4
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("status, details", [("Failed", "Failed"), ("Cancelled", "Cancelled"), ("Failed", "Incomplete")])
def test_watch_finished_command_with_fewer_targets_visible_reports_the_rest_missing(provider, ssm, status, details):
    # The command reads done but one of its three invocations is not listed yet (eventual
    # consistency): that target is missing, subject to the not-found grace, never silently dropped.
    stubber = ssm[1]
    failed = invocation(I2, "Failed", plugins=[plugin("Failed", code=1)])
    stubber.add_response("list_commands", {"Commands": [command(status=status, details=details, target_count=3)]}, {"CommandId": CID})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [invocation(I1), failed]}, list_params())
    watch = provider.watch([plain_command(target_count=3)], [], True)
    snapshot = watch.poll()
    assert snapshot.complete is False
    assert snapshot.expected == 3
    assert snapshot.missing == [f"1 of 3 invocations of command {CID}"]


def test_watch_finished_command_without_invocations_completes(provider, ssm):
    ssm[1].add_response("list_commands", {"Commands": [command(status="Failed", details="NoInstancesInTag", target_count=0)]}, {"CommandId": CID})
    ssm[1].add_response("list_command_invocations", {"CommandInvocations": []}, list_params())
    watch = provider.watch([plain_command(target_count=0)], [], True)
    snapshot = watch.poll()
    assert snapshot.complete is True
    assert snapshot.records == [] and snapshot.missing == []


# -- starts, budget and pending records ----------------------------------------------------------


def test_send_command(provider, ssm):
    request = build_send_request(send_options(instance_ids=[I1, I2]))
    ssm[1].add_response("send_command", {"Command": command(status="Pending", target_count=2, instance_ids=[I1, I2])}, request)
    sent = provider.start(request)
    assert sent["CommandId"] == CID
    assert sent["RequestedDateTime"] == "2026-11-22T13:07:09.708Z"
    started = provider.started(sent)
    assert (started["command_id"], started["expected"]) == (CID, 2)
    records = started["invocations"]
    assert [(record["instance_id"], record["status"], record["terminal"]) for record in records] == [(I1, "pending", False), (I2, "pending", False)]
    assert records[0]["requested_at"] == "2026-11-22T13:07:09.708Z"
    assert records[0]["command_id"] == CID


def test_pending_records_for_targets_are_empty():
    started = AwsSsmProvider.started(plain_command(instance_ids=[], target_count=0))
    assert started["invocations"] == [] and started["expected"] == 0


@pytest.mark.parametrize("instance_ids, expected", [(None, {"CommandId": CID}), ([I1], {"CommandId": CID, "InstanceIds": [I1]})])
def test_cancel_command(provider, ssm, instance_ids, expected):
    ssm[1].add_response("cancel_command", {}, expected)
    provider.cancel_command(CID, instance_ids)
    assert provider.api_calls == 1


def test_default_timeout_is_the_longest_command_budget(provider):
    now = datetime.datetime.now(UTC)
    short = {"TimeoutSeconds": 30, "Parameters": {"executionTimeout": ["60"]}, "RequestedDateTime": now}
    long_ = {"TimeoutSeconds": 600, "Parameters": {"executionTimeout": ["900"]}, "RequestedDateTime": now}
    assert provider.default_timeout([short, long_]) == pytest.approx(1560, abs=5)


# -- building the client -------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    variables = [variable for names in aws_ssm.SPEC.environment.values() for variable in names]
    for name in variables + ["AWS_DEFAULT_REGION", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_client_from_options(clean_env):
    options = {
        "region": "eu-west-1",
        "access_key": "AKIAFAKE",
        "secret_key": "secret",
        "endpoint_url": "http://127.0.0.1:5000",
        "aws_config": {"connect_timeout": 7},
        "validate_certs": True,
    }
    provider = AwsSsmProvider(options)
    client = provider.client()
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:5000"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert client.meta.config.connect_timeout == 7
    assert "multicloud.invocations" in client.meta.config.user_agent_extra
    assert provider.client() is client
    assert client.meta.service_model.service_name == "ssm"


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION", "EC2_REGION"])
def test_client_region_from_environment(clean_env, monkeypatch, variable):
    monkeypatch.setenv(variable, "ap-southeast-2")
    assert AwsSsmProvider({"region": None}).client().meta.region_name == "ap-southeast-2"


def test_client_option_wins_over_environment(clean_env, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    assert AwsSsmProvider({"region": "us-west-2"}).client().meta.region_name == "us-west-2"


def test_client_without_region(clean_env):
    with pytest.raises(InvalidInput, match="no AWS region: set region"):
        AwsSsmProvider({}).client()


def test_client_bad_region(clean_env):
    with pytest.raises(InvalidInput, match="region 'moon-base' is not an AWS region name"):
        AwsSsmProvider({"region": "moon-base"}).client()


def test_client_unknown_profile(clean_env):
    with pytest.raises(InvalidInput, match="AWS profile 'nope' was not found"):
        AwsSsmProvider({"region": "us-east-1", "profile": "nope"}).client()


def test_client_without_boto3(monkeypatch):
    monkeypatch.setattr(aws_ssm, "HAS_BOTO3", False)
    monkeypatch.setattr(aws_ssm, "BOTO3_IMPORT_ERROR", "Traceback: no module named boto3")
    with pytest.raises(MissingDependency) as caught:
        AwsSsmProvider({"region": "us-east-1"}).client()
    assert caught.value.library == "boto3"
    assert caught.value.import_traceback == "Traceback: no module named boto3"


# -- an answer cut short on its way ---------------------------------------------------------------


class _CutShortHandler(http.server.BaseHTTPRequestHandler):
    """Answers every call with HTTP 200 and the first half of a JSON body."""

    body = b'{"Commands":[{"CommandId":"0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10","Status":"Succ'

    def do_POST(self):  # pylint: disable=invalid-name  # http.server naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        """Quiet."""


@pytest.fixture
def cut_short_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CutShortHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_cut_short_answer_is_a_transient_error_not_an_empty_one(cut_short_endpoint):
    # chaos (fleetsim --faults truncate) found botocore reading a cut ListCommands as "no commands":
    # the wait ended with "command ... does not exist".
    provider = AwsSsmProvider({"region": "us-east-1", "endpoint_url": cut_short_endpoint, "access_key": "AKIAFAKEFAKEFAKEFAKE",
                               "secret_key": "fake/secret/key", "aws_config": {"retries": {"total_max_attempts": 1}}})
    with pytest.raises(ProviderError, match="ListCommands answered HTTP 200 with a body that is not JSON") as caught:
        provider.get_command(CID)
    assert caught.value.retryable and not isinstance(caught.value, NotFound)
    assert '{"Commands":[{"CommandId"' in caught.value.message


@pytest.mark.parametrize("parsed", [{"ResponseMetadata": {}}, {"ResponseMetadata": {}, "message": "x"}, None])
def test_a_cut_body_is_refused_whatever_botocore_made_of_it(parsed):
    cut = mock.Mock(status_code=200, content=b'{"CommandInvocations": [{"CommandId": "0b6b')
    with pytest.raises(aws_ssm.CutShortAnswer, match="body that is not JSON"):
        aws_ssm.refuse_cut_short_answers(http_response=cut, model=mock.Mock(), parsed=parsed)


def test_an_answer_botocore_read_members_from_is_not_decoded_again():
    # botocore fills members only from a body it decoded: decoding a page again costs as much as parsing it.
    body = mock.Mock(status_code=200)
    type(body).content = mock.PropertyMock(side_effect=AssertionError("the body was decoded a second time"))
    aws_ssm.refuse_cut_short_answers(http_response=body, model=mock.Mock(), parsed={"CommandInvocations": [], "ResponseMetadata": {}})


def test_timestamps_are_read_as_utc_datetimes_of_the_same_moment():
    moment = aws_ssm.utc_timestamp(1767607200.5)
    assert moment == datetime.datetime(2026, 1, 5, 10, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    assert moment.utcoffset() == datetime.timedelta(0)
    # Text goes to botocore's own parser.
    assert aws_ssm.utc_timestamp("2026-01-05T10:00:00Z") == datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.timezone.utc)
    with pytest.raises(ValueError):
        aws_ssm.utc_timestamp("not a time")


def test_the_clients_parse_timestamps_with_utc_timestamp():
    session = aws_ssm.botocore_session()
    operation = session.get_service_model("ssm").operation_model("ListCommandInvocations")
    parser = session.get_component("response_parser_factory").create_parser("json")
    body = b'{"CommandInvocations": [{"CommandId": "c", "InstanceId": "i-0123456789abcdef0", "RequestedDateTime": 1767607200.0}]}'
    parsed = parser.parse({"status_code": 200, "headers": {}, "body": body}, operation.output_shape)
    requested = parsed["CommandInvocations"][0]["RequestedDateTime"]
    assert requested.tzinfo is datetime.timezone.utc
    assert requested == datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("status, content", [(200, b'{"Commands": []}'), (200, b""), (200, b"  "), (400, b"<html>"), (None, b"x")])
def test_answers_that_are_not_cut_short_pass(status, content):
    aws_ssm.refuse_cut_short_answers(http_response=mock.Mock(status_code=status, content=content), model=mock.Mock())


# botocore hands over the raw body of an answer through its before-parse event, which older
# releases (1.31, the oldest requirements.txt allows) do not emit.
EMITS_BEFORE_PARSE = "before-parse" in inspect.getsource(botocore.endpoint)
needs_raw_body = pytest.mark.skipif(not EMITS_BEFORE_PARSE, reason="this botocore does not emit before-parse")


class _WrongShapeHandler(http.server.BaseHTTPRequestHandler):
    """Answers every call with HTTP 200 and the JSON body the test chose (``server.body``)."""

    def do_POST(self):  # pylint: disable=invalid-name  # http.server naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        """Quiet."""


@pytest.fixture
def answering():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WrongShapeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def provider_answering(body):
        server.body = body
        return AwsSsmProvider({"region": "us-east-1", "endpoint_url": f"http://127.0.0.1:{server.server_address[1]}",
                               "access_key": "AKIAFAKEFAKEFAKEFAKE", "secret_key": "fake/secret/key"})

    yield provider_answering
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("body, problem", [
    # A list where the object belongs: botocore itself cannot read it.
    (b'[{"Commands": []}]', "botocore could not read it: AttributeError"),
    # A number where the list belongs.
    (b'{"Commands": 3}', "botocore could not read it: TypeError"),
    # An empty or unrelated object once read as "command does not exist".
    (b"{}", "the answer has no Commands"),
    (b'{"status": "UP", "service": "health-check"}', "the answer has no Commands"),
    # Fields of the wrong type inside an item.
    (b'{"Commands": [{"CommandId": 7, "Status": "Success"}]}', "Commands[0].CommandId is a number, not a string"),
    (b'{"Commands": [{"CommandId": "' + CID.encode() + b'", "TargetCount": "three"}]}', "Commands[0].TargetCount is a string, not a whole number"),
])
def test_an_answer_without_the_documented_shape_is_refused_at_once(answering, body, problem):
    provider = answering(body)
    with pytest.raises(ProviderError) as caught:
        provider.get_command(CID)
    assert not isinstance(caught.value, NotFound) and not caught.value.retryable
    assert caught.value.code == "UnexpectedAnswer" and provider.api_calls == 1
    message = caught.value.message
    assert f"the SSM ListCommands answer does not have the documented shape ({problem}" in message
    assert "endpoint_url" in message and "Traceback" not in message
    if not EMITS_BEFORE_PARSE and "botocore could not read it" in problem:
        assert aws_ssm.NO_RAW_BODY in message


@needs_raw_body
def test_the_excerpt_is_short_and_redacted(answering):
    body = b'{"Commands": {"url": "https://deploy:hunter2-secret@proxy.example/?X-Amz-Signature=abc123"}, "pad": "' + b"y" * 400 + b'"}'
    with pytest.raises(ProviderError) as caught:
        answering(body).get_command(CID)
    message = caught.value.message
    assert "hunter2-secret" not in message and "abc123" not in message
    assert "<credentials redacted>@proxy.example" in message and "y" * 200 not in message


class _HtmlErrorHandler(_WrongShapeHandler):
    def do_POST(self):  # pylint: disable=invalid-name  # http.server naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body><center>nginx</center></body>\r\n</html>\r\n"
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@needs_raw_body
def test_a_proxy_error_page_is_named_by_its_title():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlErrorHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = AwsSsmProvider({"region": "us-east-1", "endpoint_url": f"http://127.0.0.1:{server.server_address[1]}",
                                   "access_key": "AKIAFAKEFAKEFAKEFAKE", "secret_key": "fake/secret/key",
                                   "aws_config": {"retries": {"total_max_attempts": 1}}})
        with pytest.raises(ProviderError) as caught:
            provider.get_command(CID)
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.retryable and caught.value.http_status == 500
    assert caught.value.message.startswith("SSM ListCommands failed: the endpoint answered with an HTML page titled '500 Internal Server Error'")
    assert "<html>" not in caught.value.message


AWS_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
    "and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n"
    "'POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:ssm.us-east-1.amazonaws.com\nx-amz-date:20260101T000000Z\n"
    "x-amz-security-token:session-token-never-shown\n\ncontent-type;host;x-amz-date;x-amz-security-token\nabc'\n\n"
    "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/ssm/aws4_request\ndef'\n"
)


def test_a_signature_error_keeps_the_code_the_first_sentence_and_the_request_id():
    error = classify_client_error(client_error("InvalidSignatureException", message=AWS_SIGNATURE_MESSAGE), "ListCommands")
    assert error.describe() == (
        "SSM ListCommands failed: The request signature we calculated does not match the signature you provided. "
        "Check the credentials (access_key, secret_key, session_token or profile) and their IAM permissions "
        "(error code InvalidSignatureException, request id 3f1c2b7a-req, HTTP 400)"
    )
    assert "session-token-never-shown" not in error.describe()
    assert ".." not in error.describe()


# -- api_calls counts HTTP requests, botocore's retries included ---------------------------------


class _AlwaysFailingHandler(_WrongShapeHandler):
    """Answers every call with HTTP 500 and SSM's JSON error, and counts the requests."""

    requests = 0

    def do_POST(self):  # pylint: disable=invalid-name  # http.server naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).requests += 1
        body = b'{"__type": "InternalServerError", "message": "try again"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_api_calls_count_every_http_request_and_retries_beside_them():
    _AlwaysFailingHandler.requests = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysFailingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = AwsSsmProvider({"region": "us-east-1", "endpoint_url": f"http://127.0.0.1:{server.server_address[1]}",
                                   "access_key": "AKIAFAKEFAKEFAKEFAKE", "secret_key": "fake/secret/key",
                                   "aws_config": {"retries": {"mode": "standard", "total_max_attempts": 3}}})
        with pytest.raises(ProviderError) as caught:
            provider.get_command(CID)
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.code == "InternalServerError" and caught.value.retryable
    # One logical call, three HTTP requests (botocore retried twice), as on Alibaba Cloud and Zenlayer.
    assert _AlwaysFailingHandler.requests == 3
    assert (provider.api_calls, provider.retries) == (3, 2)


def test_plain_turns_every_datetime_into_text_and_drops_response_metadata_at_every_level():
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    response = {
        "ResponseMetadata": {"RequestId": "r-1"},
        "CommandInvocations": [
            {"InstanceId": "i-1", "RequestedDateTime": moment, "ResponseCode": 0, "Ratio": 0.5, "Done": True, "Comment": None,
             "CommandPlugins": [{"Name": "aws:runShellScript", "ResponseStartDateTime": moment, "ResponseMetadata": {}}],
             "Times": [moment, "2026-01-02T03:04:05.678Z", 3]},
        ],
        "NextToken": "token",
    }
    assert plain(response) == {
        "CommandInvocations": [
            {"InstanceId": "i-1", "RequestedDateTime": "2026-01-02T03:04:05.678Z", "ResponseCode": 0, "Ratio": 0.5, "Done": True,
             "Comment": None, "CommandPlugins": [{"Name": "aws:runShellScript", "ResponseStartDateTime": "2026-01-02T03:04:05.678Z"}],
             "Times": ["2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05.678Z", 3]},
        ],
        "NextToken": "token",
    }
