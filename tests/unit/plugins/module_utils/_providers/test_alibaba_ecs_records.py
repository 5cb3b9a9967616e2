# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud Assistant records: the status tables of the Cloud Assistant API reference, the ErrorCode classes, and
records built from realistic DescribeInvocations / DescribeInvocationResults payloads."""

from __future__ import annotations

import base64
import datetime

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _statuses as s
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_records import (
    PROVIDER,
    decode_output,
    error_class,
    instance_records,
    instance_status,
    invocation_budget,
    invocation_summary,
    is_periodic,
    next_timeout_in,
    pending_records,
    result_record,
    status_details,
)

UTC = datetime.timezone.utc
INVOKE_ID = "t-hz0jdfwd9f1a2b3"
COMMAND_ID = "c-hz0jdfwcsr5c6d7"
I1 = "i-bp1i7gg30r52z2em1a2b"
I2 = "i-bp67acfmxazb4p0c3d4e"
I3 = "i-bp1aaaaaaaaaaaaaaaa3"
CREATED = "2026-01-01T00:00:00Z"
STARTED = "2026-01-01T00:00:02Z"
FINISHED = "2026-01-01T00:00:05Z"
CREATED_AT = datetime.datetime(2026, 1, 1, tzinfo=UTC)


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


# -- realistic payloads --------------------------------------------------------------------------


def invoke_instance(instance_id=I1, status="Success", exit_code=0, output="ok\n", error_code="", error_info="", started=True, finished=True, **extra):
    """A DescribeInvocations InvokeInstance (ContentEncoding left at its Base64 default)."""
    item = {
        "InstanceId": instance_id,
        "InvocationStatus": status,
        "InstanceInvokeStatus": "Finished" if status in ("Success", "Failed") else status,
        "ExitCode": exit_code,
        "ErrorCode": error_code,
        "ErrorInfo": error_info,
        "Output": b64(output),
        "Dropped": 0,
        "Repeats": 1,
        "CreationTime": CREATED,
        "StartTime": STARTED if started else "",
        "FinishTime": FINISHED if finished else "",
        "UpdateTime": FINISHED,
        "StopTime": "",
        "Timed": False,
        "OssOutputUri": "",
        "OssOutputStatus": "",
        "OssOutputErrorCode": "",
        "OssOutputErrorInfo": "",
    }
    item.update(extra)
    return item


def invocation(instances=None, status="Success", invoke_status="Finished", timeout=300, repeat_mode="Once", flat=False, **extra):
    """A DescribeInvocations Invocation with its instances nested XML style."""
    instances = [invoke_instance()] if instances is None else instances
    item = {
        "InvokeId": INVOKE_ID,
        "CommandId": COMMAND_ID,
        "CommandName": "multicloud-invocations",
        "CommandType": "RunShellScript",
        "CommandContent": b64("uptime"),
        "CommandDescription": "",
        "Parameters": "{}",
        "InvocationStatus": status,
        "InvokeStatus": invoke_status,
        "RepeatMode": repeat_mode,
        "Timed": False,
        "Frequency": "",
        "Timeout": timeout,
        "Username": "root",
        "WorkingDir": "/root",
        "CreationTime": CREATED,
        "ContainerId": "",
        "ContainerName": "",
        "Launcher": "",
        "TerminationMode": "Process",
        "OssOutputDelivery": "",
        "Tags": {"Tag": []},
        "InvokeInstances": instances if flat else {"InvokeInstance": instances},
    }
    item.update(extra)
    return item


def invocation_result(instance_id=I1, status="Success", exit_code=0, output="ok\n", error_code="", error_info="", started=True, finished=True, **extra):
    """A DescribeInvocationResults InvocationResult."""
    item = {
        "CommandId": COMMAND_ID,
        "InvokeId": INVOKE_ID,
        "InstanceId": instance_id,
        "InvocationStatus": status,
        "InvokeRecordStatus": "Finished" if status in ("Success", "Failed") else status,
        "ExitCode": exit_code,
        "ErrorCode": error_code,
        "ErrorInfo": error_info,
        "Output": b64(output),
        "Dropped": 0,
        "Repeats": 1,
        "StartTime": STARTED if started else "",
        "FinishedTime": FINISHED if finished else "",
        "StopTime": "",
        "Username": "root",
        "ContainerId": "",
        "ContainerName": "",
        "Launcher": "",
        "TerminationMode": "Process",
        "OssOutputStatus": "",
        "OssOutputUri": "",
        "OssOutputErrorCode": "",
        "OssOutputErrorInfo": "",
        "Tags": {"Tag": []},
    }
    item.update(extra)
    return item


def one(inv, instance=None, **kwargs):
    (record,) = instance_records(inv, instance if instance is not None else inv["InvokeInstances"]["InvokeInstance"][0], **kwargs)
    return record


# -- status tables (the Cloud Assistant API reference) ----------------------------------------------------------

INSTANCE_TABLE = [
    ("Pending", s.PENDING, False),
    ("Scheduled", s.PENDING, False),
    ("Running", s.RUNNING, False),
    ("Stopping", s.CANCELLING, False),
    ("Success", s.SUCCESS, True),
    ("Failed", s.FAILED, True),
    ("Error", s.FAILED, True),
    ("Invalid", s.FAILED, True),
    ("Timeout", s.TIMED_OUT, True),
    ("Aborted", s.UNDELIVERABLE, True),
    ("Cancelled", s.CANCELLED, True),
    ("Terminated", s.CANCELLED, True),
]

INVOCATION_TABLE = [
    ("Pending", s.PENDING, False),
    ("Scheduled", s.PENDING, False),
    ("Running", s.RUNNING, False),
    ("Stopping", s.CANCELLING, False),
    ("Success", s.SUCCESS, True),
    ("Failed", s.FAILED, True),
    ("PartialFailed", s.PARTIAL_FAILED, True),
    ("Stopped", s.CANCELLED, True),
]

# Every per-instance ErrorCode the Cloud Assistant API reference lists, with the class encoded for it.
ERROR_CODES = {
    "InstanceNotExists": s.UNDELIVERABLE,
    "InstanceReleased": s.UNDELIVERABLE,
    "InstanceNotRunning": s.UNDELIVERABLE,
    "CommandNotApplicable": s.FAILED,
    "AccountNotExists": s.FAILED,
    "DirectoryNotExists": s.FAILED,
    "BadCronExpression": s.FAILED,
    "ClientNotRunning": s.UNDELIVERABLE,
    "ClientNotResponse": s.UNDELIVERABLE,
    "ClientIsUpgrading": s.UNDELIVERABLE,
    "ClientNeedUpgrade": s.UNDELIVERABLE,
    "DeliveryTimeout": s.UNDELIVERABLE,
    "ExecutionTimeout": s.TIMED_OUT,
    "ExecutionException": s.FAILED,
    "ExecutionInterrupted": s.FAILED,
    "ExitCodeNonzero": s.FAILED,
    "SecurityGroupRuleDenied": s.UNDELIVERABLE,
    "TaskConcurrencyLimit": s.UNDELIVERABLE,
}


@pytest.mark.parametrize("value, normalised, terminal", INSTANCE_TABLE, ids=[row[0] for row in INSTANCE_TABLE])
def test_instance_table(value, normalised, terminal):
    for spelling in (value, value.upper(), value.lower(), f" {value} "):
        assert s.lookup(s.ALIBABA_ECS_INSTANCE, spelling) == normalised, spelling
    assert s.is_terminal(normalised) is terminal
    assert len(s.ALIBABA_ECS_INSTANCE) == len(INSTANCE_TABLE)


@pytest.mark.parametrize("value, normalised, terminal", INVOCATION_TABLE, ids=[row[0] for row in INVOCATION_TABLE])
def test_invocation_table(value, normalised, terminal):
    for spelling in (value, value.upper(), value.lower()):
        assert s.lookup(s.ALIBABA_ECS_INVOCATION, spelling) == normalised, spelling
    assert s.is_terminal(normalised) is terminal
    assert len(s.ALIBABA_ECS_INVOCATION) == len(INVOCATION_TABLE)


def test_legacy_finished_is_unknown_so_the_instances_decide():
    assert s.lookup(s.ALIBABA_ECS_INVOCATION, "Finished") == s.UNKNOWN
    assert s.lookup(s.ALIBABA_ECS_INVOCATION, None, "Finished") == s.UNKNOWN
    assert not s.is_terminal(s.UNKNOWN)


def test_stopped_and_partial_failed_are_invocation_level_only():
    assert s.lookup(s.ALIBABA_ECS_INSTANCE, "Stopped") == s.UNKNOWN
    assert s.lookup(s.ALIBABA_ECS_INSTANCE, "PartialFailed") == s.UNKNOWN


def test_error_code_classes_cover_the_reference_list_once():
    classes = (s.ALIBABA_ECS_UNDELIVERABLE_ERROR_CODES, s.ALIBABA_ECS_FAILED_ERROR_CODES, s.ALIBABA_ECS_TIMED_OUT_ERROR_CODES)
    assert set().union(*classes) == set(ERROR_CODES)
    assert sum(len(codes) for codes in classes) == len(ERROR_CODES)


@pytest.mark.parametrize("code, expected", sorted(ERROR_CODES.items()))
def test_error_class(code, expected):
    assert error_class(code) == expected


@pytest.mark.parametrize("code", ["", None, "SomethingNew"])
def test_error_class_unknown(code):
    assert error_class(code) is None


# -- instance_status: InvocationStatus refined by ErrorCode --------------------------------------


@pytest.mark.parametrize("value, normalised, terminal", INSTANCE_TABLE, ids=[row[0] for row in INSTANCE_TABLE])
def test_instance_status_without_error_code_follows_the_table(value, normalised, terminal):
    assert instance_status(value) == normalised
    assert instance_status(value, "") == normalised
    assert s.is_terminal(instance_status(value)) is terminal


@pytest.mark.parametrize("code", sorted(s.ALIBABA_ECS_UNDELIVERABLE_ERROR_CODES))
@pytest.mark.parametrize("status", ["Error", "Failed", "Aborted"])
def test_undeliverable_error_codes_make_error_failed_and_aborted_undeliverable(status, code):
    assert instance_status(status, code) == s.UNDELIVERABLE


@pytest.mark.parametrize("status", ["Error", "Failed"])
def test_execution_timeout_error_code_is_timed_out(status):
    assert instance_status(status, "ExecutionTimeout") == s.TIMED_OUT


@pytest.mark.parametrize("code", sorted(s.ALIBABA_ECS_FAILED_ERROR_CODES))
@pytest.mark.parametrize("status", ["Error", "Failed", "Invalid"])
def test_failed_class_error_codes_stay_failed(status, code):
    assert instance_status(status, code) == s.FAILED


@pytest.mark.parametrize("code", ["CommandNotApplicable", "ExitCodeNonzero", "SomethingNew", ""])
def test_aborted_is_undeliverable_whatever_the_code(code):
    assert instance_status("Aborted", code) == s.UNDELIVERABLE


@pytest.mark.parametrize(
    "status, code, expected",
    [
        # Only Error and Failed are refined; the table decides every other value.
        ("Invalid", "InstanceNotRunning", s.FAILED),
        ("Success", "InstanceNotRunning", s.SUCCESS),
        ("Running", "ClientNotResponse", s.RUNNING),
        ("Timeout", "DeliveryTimeout", s.TIMED_OUT),
        ("Cancelled", "InstanceReleased", s.CANCELLED),
        ("Error", "SomethingNew", s.FAILED),
        (None, "InstanceNotRunning", s.UNKNOWN),
        ("Exploded", "", s.UNKNOWN),
    ],
)
def test_instance_status_edges(status, code, expected):
    assert instance_status(status, code) == expected


# -- decode_output -------------------------------------------------------------------------------


def test_decode_base64_non_ascii():
    assert decode_output(b64("héllo 中文\nline 2\n"), "Base64") == "héllo 中文\nline 2\n"


def test_decode_is_base64_by_default():
    assert decode_output(b64("abc")) == "abc"


def test_decode_replaces_bytes_that_are_not_utf8():
    assert decode_output(base64.b64encode(b"ok \xff\xfe end").decode(), "Base64") == "ok \ufffd\ufffd end"


def test_decode_plain_text_passes_through():
    assert decode_output("aGVsbG8=", "PlainText") == "aGVsbG8="
    assert decode_output("plain text", "plaintext") == "plain text"


def test_decode_text_that_is_not_base64_is_kept():
    assert decode_output("not base64 at all!", "Base64") == "not base64 at all!"


def test_decode_empty_and_none():
    assert decode_output("", "Base64") == ""
    assert decode_output(None, "Base64") is None


# -- status_details ------------------------------------------------------------------------------


def test_status_details_forms():
    assert status_details({"ErrorCode": "InstanceNotRunning", "ErrorInfo": "the instance is not running when create task"}) == (
        "InstanceNotRunning: the instance is not running when create task"
    )
    assert status_details({"ErrorCode": "ExitCodeNonzero", "ErrorInfo": ""}) == "ExitCodeNonzero"
    assert status_details({"ErrorCode": "", "ErrorInfo": "the command execution got an exception"}) == "the command execution got an exception"
    assert status_details({"ErrorCode": "", "ErrorInfo": ""}) is None
    assert status_details({}) is None


# -- instance_records ----------------------------------------------------------------------------


def test_instance_record_success():
    inv = invocation([invoke_instance(I1, output="héllo 中文\n")])
    record = one(inv)
    assert record["provider"] == PROVIDER == "alibaba_ecs"
    assert record["command_id"] == COMMAND_ID
    assert record["invocation_id"] == INVOKE_ID
    assert record["instance_id"] == I1
    assert record["status"] == "success"
    assert record["terminal"] is True
    assert record["vendor_status"] == "Success"
    assert record["vendor_status_details"] is None
    assert record["exit_code"] == 0
    assert record["stdout"] == "héllo 中文\n"
    assert record["stderr"] == ""
    assert record["stdout_truncated"] is False
    assert record["stdout_url"] is None
    assert record["requested_at"] == "2026-01-01T00:00:00.000Z"
    assert record["started_at"] == "2026-01-01T00:00:02.000Z"
    assert record["ended_at"] == "2026-01-01T00:00:05.000Z"
    assert record["raw"]["InstanceId"] == I1
    assert record["raw"]["Output"] == b64("héllo 中文\n")
    assert record["raw"]["Invocation"]["InvokeId"] == INVOKE_ID
    assert "InvokeInstances" not in record["raw"]["Invocation"]
    assert "CommandContent" not in record["raw"]["Invocation"]


def test_instance_record_failed_with_exit_code_and_details():
    inv = invocation([invoke_instance(I2, "Failed", exit_code=100, output="E: Unable to locate package nosuch\n", error_code="ExitCodeNonzero")], "Failed")
    record = one(inv)
    assert record["status"] == "failed"
    assert record["exit_code"] == 100
    assert record["vendor_status"] == "Failed"
    assert record["vendor_status_details"] == "ExitCodeNonzero"
    assert record["stdout"] == "E: Unable to locate package nosuch\n"


def test_instance_record_plain_text_output():
    inv = invocation([invoke_instance(I1, Output="plain output")])
    assert one(inv, encoding="PlainText")["stdout"] == "plain output"


def test_instance_record_dropped_output_is_truncated():
    inv = invocation([invoke_instance(I1, output="x" * 100, Dropped=5120)])
    record = one(inv)
    assert record["stdout_truncated"] is True
    assert record["stdout"] == "x" * 100


def test_instance_record_oss_output_uri():
    inv = invocation([invoke_instance(I1, OssOutputUri="oss://bucket/prefix/t-hz0jdfwd9f1a2b3/i-bp1.txt", OssOutputStatus="Finished")])
    assert one(inv)["stdout_url"] == "oss://bucket/prefix/t-hz0jdfwd9f1a2b3/i-bp1.txt"


def test_include_output_false_drops_output_everywhere():
    inv = invocation([invoke_instance(I1, output="secret output", Dropped=9)])
    record = one(inv, include_output=False)
    assert record["stdout"] is None and record["stderr"] is None
    assert record["stdout_truncated"] is False
    assert "Output" not in record["raw"]
    assert b64("secret output") not in repr(record)
    assert "secret output" not in repr(record)


def test_running_instance_has_no_exit_code_and_no_end():
    inv = invocation([invoke_instance(I1, "Running", exit_code=0, output="half", finished=False)], "Running", "Running")
    record = one(inv)
    assert record["status"] == "running"
    assert record["terminal"] is False
    assert record["exit_code"] is None
    assert record["ended_at"] is None
    assert record["started_at"] == "2026-01-01T00:00:02.000Z"
    assert record["stdout"] == "half"


def test_pending_instance():
    inv = invocation([invoke_instance(I1, "Pending", exit_code=None, output="", started=False, finished=False)], "Pending", "Running")
    record = one(inv)
    assert record["status"] == "pending"
    assert record["started_at"] is None and record["ended_at"] is None
    assert record["exit_code"] is None
    assert record["stdout"] == ""


@pytest.mark.parametrize(
    "status, code, info, expected",
    [
        ("Error", "ClientNotRunning", "the aliyun service is not running on the instance", "undeliverable"),
        ("Failed", "InstanceNotRunning", "the instance is not running when create task", "undeliverable"),
        ("Aborted", "DeliveryTimeout", "the command delivery has been timeout", "undeliverable"),
        ("Error", "ClientNeedUpgrade", "the aliyun service in the instance need upgrade", "undeliverable"),
        ("Invalid", "AccountNotExists", "the specified account does not exists", "failed"),
        ("Cancelled", "", "", "cancelled"),
    ],
)
def test_instances_that_never_ran_have_no_exit_code(status, code, info, expected):
    # The service reports ExitCode 0 for these; it must not read as a successful run.
    inv = invocation([invoke_instance(I3, status, exit_code=0, output="", error_code=code, error_info=info, started=False, finished=False)], "Failed")
    record = one(inv)
    assert record["status"] == expected
    assert record["terminal"] is True
    assert record["exit_code"] is None
    assert record["started_at"] is None
    assert record["vendor_status"] == status
    if code:
        assert record["vendor_status_details"] == f"{code}: {info}"


@pytest.mark.parametrize("exit_code", [137, 0])
def test_an_error_that_interrupted_the_run_has_no_exit_code(exit_code):
    # Error: an exception stopped the task; the process did not end by itself (issue 14.4).
    inv = invocation(
        [invoke_instance(I1, "Error", exit_code=exit_code, error_code="ExecutionInterrupted", error_info="the command execution has been interrupted")]
    )
    record = one(inv)
    assert record["status"] == "failed"
    assert record["exit_code"] is None
    assert record["raw"]["ExitCode"] == exit_code


@pytest.mark.parametrize("exit_code", [-1, 0, 137])
@pytest.mark.parametrize("status, expected", [("Timeout", "timed_out"), ("Terminated", "cancelled"), ("Cancelled", "cancelled")])
def test_runs_stopped_or_timed_out_have_no_exit_code(status, expected, exit_code):
    # The records carry an ExitCode, 0 included; it is not the exit code of a process that ended
    # by itself, so it stays only in raw (issue 14.4).
    inv = invocation([invoke_instance(I1, status, exit_code=exit_code, finished=False, StopTime="2026-01-01T00:05:02Z")], "Failed")
    record = one(inv)
    assert record["status"] == expected
    assert record["exit_code"] is None
    assert record["raw"]["ExitCode"] == exit_code
    # No FinishTime: the stop time ends the run.
    assert record["ended_at"] == "2026-01-01T00:05:02.000Z"


@pytest.mark.parametrize("status", ["Timeout", "Terminated", "Cancelled"])
def test_results_stopped_or_timed_out_have_no_exit_code(status):
    record = result_record(invocation_result(I1, status, exit_code=0, InvokeRecordStatus="Stopped"))
    assert record["exit_code"] is None
    assert record["raw"]["ExitCode"] == 0


def test_error_with_execution_timeout_is_timed_out():
    inv = invocation([invoke_instance(I1, "Error", exit_code=0, error_code="ExecutionTimeout", error_info="the command execution has been timeout")])
    assert one(inv)["status"] == "timed_out"


@pytest.mark.parametrize("value, normalised, terminal", INSTANCE_TABLE, ids=[row[0] for row in INSTANCE_TABLE])
def test_every_instance_status_value_through_a_record(value, normalised, terminal):
    record = one(invocation([invoke_instance(I1, value)]))
    assert record["status"] == normalised
    assert record["terminal"] is terminal
    assert record["vendor_status"] == value


def test_missing_fields():
    inv = {"InvokeId": INVOKE_ID, "InvokeInstances": {"InvokeInstance": [{"InstanceId": I1, "InvocationStatus": "Success"}]}}
    record = one(inv)
    assert record["status"] == "success"
    assert record["command_id"] is None
    assert record["exit_code"] is None
    assert record["stdout"] == ""
    assert record["stdout_truncated"] is False
    assert record["requested_at"] is None and record["started_at"] is None and record["ended_at"] is None
    assert record["vendor_status_details"] is None


def test_unknown_status_is_not_terminal():
    record = one(invocation([invoke_instance(I1, "Exploded")]))
    assert record["status"] == "unknown"
    assert record["terminal"] is False
    assert record["exit_code"] is None
    assert record["ended_at"] is None


def test_all_instances_when_no_instance_is_given():
    instances = [invoke_instance(I1), invoke_instance(I2, "Running", finished=False), invoke_instance(I3, "Aborted", started=False, finished=False)]
    inv = invocation(instances, "Running")
    records = instance_records(inv)
    assert [(record["instance_id"], record["status"]) for record in records] == [(I1, "success"), (I2, "running"), (I3, "undeliverable")]
    # Each record has its own copy of the invocation fields.
    records[0]["raw"]["Invocation"]["InvokeId"] = "changed"
    assert records[1]["raw"]["Invocation"]["InvokeId"] == INVOKE_ID


def test_flat_instance_list_and_empty_invocation():
    assert [record["instance_id"] for record in instance_records(invocation([invoke_instance(I1), invoke_instance(I2)], flat=True))] == [I1, I2]
    assert instance_records(invocation([])) == []
    assert instance_records({"InvokeId": INVOKE_ID}) == []


def test_requested_at_falls_back_to_the_invocation():
    inv = invocation([invoke_instance(I1, CreationTime="")], CreationTime="2026-01-01T00:00:01Z")
    assert one(inv)["requested_at"] == "2026-01-01T00:00:01.000Z"


# -- result_record -------------------------------------------------------------------------------


def test_result_record_success():
    record = result_record(invocation_result(I1, output="done ✓\n"))
    assert record["provider"] == "alibaba_ecs"
    assert record["command_id"] == COMMAND_ID
    assert record["invocation_id"] == INVOKE_ID
    assert record["instance_id"] == I1
    assert record["status"] == "success"
    assert record["exit_code"] == 0
    assert record["stdout"] == "done ✓\n"
    assert record["stderr"] == ""
    assert record["requested_at"] is None
    assert record["started_at"] == "2026-01-01T00:00:02.000Z"
    # DescribeInvocationResults spells it FinishedTime.
    assert record["ended_at"] == "2026-01-01T00:00:05.000Z"
    assert record["raw"]["InvokeRecordStatus"] == "Finished"
    assert "Invocation" not in record["raw"]


def test_result_record_ignores_a_finish_time_spelled_like_describe_invocations():
    record = result_record(invocation_result(I1, finished=False, FinishTime=FINISHED))
    assert record["ended_at"] is None


def test_result_record_undeliverable():
    result = invocation_result(
        I2, "Failed", exit_code=0, output="", error_code="InstanceNotExists", error_info="the specified instance does not exists", started=False
    )
    record = result_record(result)
    assert record["status"] == "undeliverable"
    assert record["exit_code"] is None
    assert record["vendor_status_details"] == "InstanceNotExists: the specified instance does not exists"


def test_result_record_dropped_and_plain_text():
    record = result_record(invocation_result(I1, "Failed", exit_code=2, Output="tail of the log", Dropped=1), encoding="PlainText")
    assert record["stdout"] == "tail of the log"
    assert record["stdout_truncated"] is True
    assert record["exit_code"] == 2


def test_result_record_without_output():
    record = result_record(invocation_result(I1, output="secret"), include_output=False)
    assert record["stdout"] is None
    assert "Output" not in record["raw"]
    assert b64("secret") not in repr(record)


# -- invocation_summary / is_periodic ------------------------------------------------------------


def test_invocation_summary():
    inv = invocation([invoke_instance(I1), invoke_instance(I2, "Failed", exit_code=1)], "PartialFailed", "PartialFailed", timeout=600)
    assert invocation_summary(inv) == {
        "status": "PartialFailed",
        "invoke_status": "PartialFailed",
        "normalised": "partial_failed",
        "repeat_mode": "Once",
        "timeout": 600,
        "instance_count": 2,
    }


def test_invocation_summary_legacy_finished_is_unknown():
    summary = invocation_summary(invocation(status=None, invoke_status="Finished"))
    assert summary["normalised"] == "unknown"
    assert summary["status"] is None
    assert summary["invoke_status"] == "Finished"


def test_invocation_summary_invocation_status_wins_over_legacy():
    assert invocation_summary(invocation(status="Success", invoke_status="Finished"))["normalised"] == "success"
    assert invocation_summary(invocation(status="Stopped", invoke_status="Stopped"))["normalised"] == "cancelled"
    assert invocation_summary(invocation(status="", invoke_status="Failed"))["normalised"] == "failed"


def test_invocation_summary_missing_fields():
    assert invocation_summary({}) == {
        "status": None,
        "invoke_status": None,
        "normalised": "unknown",
        "repeat_mode": None,
        "timeout": None,
        "instance_count": 0,
    }


@pytest.mark.parametrize(
    "mode, periodic", [("Period", True), ("EveryReboot", True), ("Once", False), ("NextRebootOnly", False), ("DryRun", False), (None, False)]
)
def test_is_periodic(mode, periodic):
    assert is_periodic(invocation(repeat_mode=mode)) is periodic


# -- invocation_budget / next_timeout_in ---------------------------------------------------------


def test_budget_is_delivery_window_plus_timeout_plus_margin():
    assert invocation_budget(invocation(timeout=300), now=CREATED_AT) == 60 + 300 + 60


def test_budget_default_timeout():
    assert invocation_budget(invocation(timeout=None), now=CREATED_AT) == 60 + 60 + 60
    assert invocation_budget(invocation(timeout=""), now=CREATED_AT) == 180
    assert invocation_budget(invocation(timeout=0), now=CREATED_AT) == 180


def test_budget_counts_from_creation():
    now = CREATED_AT + datetime.timedelta(seconds=100)
    assert invocation_budget(invocation(timeout=300), now=now) == 320


def test_budget_never_below_the_margin():
    now = CREATED_AT + datetime.timedelta(hours=5)
    assert invocation_budget(invocation(timeout=300), now=now) == 60


def test_budget_without_creation_time_is_whole():
    assert invocation_budget(invocation(timeout="120", CreationTime="")) == 240


def test_budget_uses_the_clock_when_now_is_not_given():
    # Created long ago: only the margin is left.
    assert invocation_budget(invocation(timeout=300, CreationTime="2020-01-01T00:00:00Z")) == 60


def records_of(*instances, timeout=300):
    inv = invocation(list(instances), "Running", "Running", timeout=timeout)
    return inv, instance_records(inv)


def test_next_timeout_pending_is_the_delivery_window():
    inv, records = records_of(invoke_instance(I1, "Pending", started=False, finished=False))
    now = CREATED_AT + datetime.timedelta(seconds=10)
    assert next_timeout_in(inv, records, now) == 60 - 10 + 1.0


def test_next_timeout_running_is_start_plus_timeout():
    inv, records = records_of(invoke_instance(I1, "Running", finished=False), timeout=300)
    now = CREATED_AT + datetime.timedelta(seconds=62)
    assert next_timeout_in(inv, records, now) == 2 + 300 - 62 + 1.0


def test_next_timeout_is_the_soonest_and_skips_terminal_and_scheduled():
    inv, records = records_of(
        invoke_instance(I1, "Running", finished=False),
        invoke_instance(I2, "Pending", started=False, finished=False),
        invoke_instance(I3, "Success"),
        invoke_instance("i-bp1scheduled00000", "Scheduled", started=False, finished=False),
        timeout=30,
    )
    now = CREATED_AT + datetime.timedelta(seconds=20)
    # Running: 2 + 30 - 20 = 12; pending: 60 - 20 = 40.
    assert next_timeout_in(inv, records, now) == 13.0


def test_next_timeout_none_when_nothing_is_open_or_due():
    inv, records = records_of(invoke_instance(I1, "Success"))
    assert next_timeout_in(inv, records, CREATED_AT) is None
    inv, records = records_of(invoke_instance(I1, "Pending", started=False, finished=False))
    assert next_timeout_in(inv, records, CREATED_AT + datetime.timedelta(minutes=5)) is None
    inv, records = records_of(invoke_instance(I1, "Scheduled", started=False, finished=False))
    assert next_timeout_in(inv, records, CREATED_AT) is None


def test_next_timeout_pending_record_without_time_uses_the_invocation():
    inv = invocation([], "Pending", "Running")
    records = pending_records(INVOKE_ID, COMMAND_ID, [I1])
    assert next_timeout_in(inv, records, CREATED_AT) == 61.0


# -- pending_records -----------------------------------------------------------------------------


def test_pending_records():
    records = pending_records(INVOKE_ID, COMMAND_ID, [I1, I2], requested_at=CREATED)
    assert [record["instance_id"] for record in records] == [I1, I2]
    for record in records:
        assert record["provider"] == "alibaba_ecs"
        assert record["status"] == "pending"
        assert record["terminal"] is False
        assert record["invocation_id"] == INVOKE_ID
        assert record["command_id"] == COMMAND_ID
        assert record["vendor_status"] == "Pending"
        assert record["requested_at"] == "2026-01-01T00:00:00.000Z"
        assert record["exit_code"] is None


def test_pending_records_empty():
    assert pending_records(INVOKE_ID, None, []) == []


@pytest.mark.parametrize("status", ["Cancelled", "Invalid", "Aborted"])
def test_values_that_never_run_have_no_exit_code_even_with_a_start_time(status):
    record = one(invocation([invoke_instance(I1, status, exit_code=0, started=True)]))
    assert record["terminal"] is True
    assert record["exit_code"] is None
