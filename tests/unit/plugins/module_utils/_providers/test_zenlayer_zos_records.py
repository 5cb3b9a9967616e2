# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZOS records: the status tables of Zenlayer's SDK, the errorCode classes, ZOS times, and
records built from realistic DescribeCommandInvocations payloads."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _statuses as s
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_records import (
    PROVIDER,
    error_class,
    instance_status,
    invocation_budget,
    invocation_records,
    invocation_summary,
    next_timeout_in,
    parse_time,
    pending_records,
    zos_time,
)

UTC = datetime.timezone.utc
INVOCATION_ID = "inv-2f9a1c7e5b"
COMMAND_ID = "cmd-8d3e0b6a41"
I1 = "ins-7c1d9e2f30"
I2 = "ins-4a6b8c0d12"
I3 = "ins-9e8f7a6b54"
CREATED = "2026-01-01 00:00:00"
STARTED = "2026-01-01 00:00:02"
FINISHED = "2026-01-01 00:00:05"
CREATED_AT = datetime.datetime(2026, 1, 1, tzinfo=UTC)


# -- realistic payloads (field lists of Zenlayer's SDK) ---------------------------------------


def instance(instance_id=I1, status="Success", exit_code=0, output="ok\n", output_error="", error_code=None, started=True, finished=True, **extra):
    """A DescribeCommandInvocations InvocationInstance."""
    item = {
        "instanceId": instance_id,
        "instanceName": f"web-{instance_id[-2:]}",
        "instanceExist": True,
        "taskStatus": status,
        "exitCode": exit_code,
        "errorCode": error_code,
        "output": output,
        "outputError": output_error,
        "execStartTime": STARTED if started else None,
        "execEndTime": FINISHED if finished else None,
    }
    item.update(extra)
    return item


def invocation(instances=None, status="Success", timeout=30, **extra):
    """A DescribeCommandInvocations dataSet item (CommandInvocation) with its instances nested."""
    item = {
        "invocationId": INVOCATION_ID,
        "commandId": COMMAND_ID,
        "commandName": "multicloud-invocations",
        "commandType": "SHELL",
        "content": "uptime",
        "timeout": timeout,
        "createTime": CREATED,
        "invocationStatus": status,
        "invocationInstances": [instance()] if instances is None else instances,
    }
    item.update(extra)
    return item


def one(inv, **kwargs):
    (record,) = invocation_records(inv, **kwargs)
    return record


# -- status tables (Zenlayer's SDK) ----------------------------------------------------------

INSTANCE_TABLE = [
    ("Pending", s.PENDING, False),
    ("Running", s.RUNNING, False),
    ("Success", s.SUCCESS, True),
    ("Failed", s.FAILED, True),
    ("Timeout", s.TIMED_OUT, True),
    ("Error", s.FAILED, True),
]

INVOCATION_TABLE = [
    ("Pending", s.PENDING, False),
    ("Running", s.RUNNING, False),
    ("Success", s.SUCCESS, True),
    ("Failed", s.FAILED, True),
    ("PartialFailed", s.PARTIAL_FAILED, True),
]

# Every per-instance errorCode Zenlayer's SDK lists, with the class an Error instance gets.
ERROR_CODES = {
    "InstanceNotExists": s.UNDELIVERABLE,
    "InstanceInstanceState": s.UNDELIVERABLE,
    "CommandPlatformInvalid": s.UNDELIVERABLE,
    "SystemError": s.FAILED,
    "ExecutionTimeout": s.FAILED,
    "ExecutionExitNoneZero": s.FAILED,
}


@pytest.mark.parametrize("value, normalised, terminal", INSTANCE_TABLE, ids=[row[0] for row in INSTANCE_TABLE])
def test_instance_table(value, normalised, terminal):
    for spelling in (value, value.upper(), value.lower(), f" {value} "):
        assert s.lookup(s.ZENLAYER_ZOS_INSTANCE, spelling) == normalised, spelling
    assert s.is_terminal(normalised) is terminal
    assert len(s.ZENLAYER_ZOS_INSTANCE) == len(INSTANCE_TABLE)


@pytest.mark.parametrize("value, normalised, terminal", INVOCATION_TABLE, ids=[row[0] for row in INVOCATION_TABLE])
def test_invocation_table(value, normalised, terminal):
    for spelling in (value, value.upper(), value.lower(), "Partial_Failed" if value == "PartialFailed" else value):
        assert s.lookup(s.ZENLAYER_ZOS_INVOCATION, spelling) == normalised, spelling
    assert s.is_terminal(normalised) is terminal
    assert len(s.ZENLAYER_ZOS_INVOCATION) == len(INVOCATION_TABLE)


def test_no_cancel_states_exist_in_zos():
    assert s.CANCELLED not in s.ZENLAYER_ZOS_INSTANCE.values()
    assert s.CANCELLING not in s.ZENLAYER_ZOS_INSTANCE.values()
    for value in ("Cancelled", "Stopped", "Terminated", "Aborted"):
        assert s.lookup(s.ZENLAYER_ZOS_INSTANCE, value) == s.UNKNOWN


def test_partial_failed_is_invocation_level_only():
    assert s.lookup(s.ZENLAYER_ZOS_INSTANCE, "PartialFailed") == s.UNKNOWN
    assert s.lookup(s.ZENLAYER_ZOS_INVOCATION, "Error") == s.UNKNOWN
    assert s.lookup(s.ZENLAYER_ZOS_INVOCATION, "Timeout") == s.UNKNOWN


def test_error_code_classes_cover_the_reference_list_once():
    classes = (s.ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES, s.ZENLAYER_ZOS_FAILED_ERROR_CODES)
    assert set().union(*classes) == set(ERROR_CODES)
    assert sum(len(codes) for codes in classes) == len(ERROR_CODES)
    # Spelled as the vendor spells them.
    assert "InstanceInstanceState" in s.ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES
    assert "ExecutionExitNoneZero" in s.ZENLAYER_ZOS_FAILED_ERROR_CODES
    assert s.ZENLAYER_ZOS_REFINED_BY_ERROR_CODE == frozenset(("error",))


@pytest.mark.parametrize("code, expected", sorted(ERROR_CODES.items()))
def test_error_class(code, expected):
    assert error_class(code) == expected


def test_error_class_unknown_and_empty():
    assert error_class("SomethingNew") == s.FAILED
    assert error_class("") is None
    assert error_class(None) is None
    # Matching is exact: a different spelling is not an undeliverable code.
    assert error_class("instancenotexists") == s.FAILED


# -- instance_status -----------------------------------------------------------------------------


@pytest.mark.parametrize("value, normalised, terminal", INSTANCE_TABLE, ids=[row[0] for row in INSTANCE_TABLE])
def test_instance_status_without_error_code_follows_the_table(value, normalised, terminal):
    assert instance_status(value) == normalised
    assert instance_status(value, None) == normalised
    assert s.is_terminal(instance_status(value)) is terminal


@pytest.mark.parametrize("code", sorted(s.ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES))
def test_error_with_an_undeliverable_code_is_undeliverable(code):
    assert instance_status("Error", code) == s.UNDELIVERABLE
    assert instance_status("ERROR", code) == s.UNDELIVERABLE


@pytest.mark.parametrize("code", sorted(s.ZENLAYER_ZOS_FAILED_ERROR_CODES) + ["SomethingNew", "", None])
def test_error_with_any_other_code_is_failed(code):
    assert instance_status("Error", code) == s.FAILED


@pytest.mark.parametrize(
    "status, code, expected",
    [
        # Only Error is refined; the table decides every other value.
        ("Failed", "InstanceNotExists", s.FAILED),
        ("Failed", "ExecutionExitNoneZero", s.FAILED),
        ("Timeout", "ExecutionTimeout", s.TIMED_OUT),
        ("Success", "InstanceInstanceState", s.SUCCESS),
        ("Running", "InstanceInstanceState", s.RUNNING),
        ("Pending", "CommandPlatformInvalid", s.PENDING),
        (None, "InstanceNotExists", s.UNKNOWN),
        ("Exploded", "", s.UNKNOWN),
    ],
)
def test_instance_status_edges(status, code, expected):
    assert instance_status(status, code) == expected


# -- times (Zenlayer's SDK: no zone written, taken as UTC) -----------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-10-17 14:31:25", "2025-10-17T14:31:25.000Z"),
        (" 2025-10-17 14:31:25 ", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17T14:31:25", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17T14:31:25Z", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17T14:31:25z", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17 14:31:25 UTC", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17T22:31:25+08:00", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17T22:31:25+0800", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17T09:31:25-05", "2025-10-17T14:31:25.000Z"),
        ("2025-10-17 14:31:25.5", "2025-10-17T14:31:25.500Z"),
        ("2025-10-17 14:31:25,123456789", "2025-10-17T14:31:25.123Z"),
        ("2025-10-17 14:31", "2025-10-17T14:31:00.000Z"),
        ("2025-1-7 4:31:25", "2025-01-07T04:31:25.000Z"),
        (1760711485, "2025-10-17T14:31:25.000Z"),
        (1760711485.25, "2025-10-17T14:31:25.250Z"),
        (1760711485250, "2025-10-17T14:31:25.250Z"),
        (datetime.datetime(2025, 10, 17, 14, 31, 25), "2025-10-17T14:31:25.000Z"),
        (datetime.datetime(2025, 10, 17, 22, 31, 25, tzinfo=datetime.timezone(datetime.timedelta(hours=8))), "2025-10-17T14:31:25.000Z"),
    ],
)
def test_zos_time(value, expected):
    assert zos_time(value) == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_zos_time_empty(value):
    assert zos_time(value) is None


@pytest.mark.parametrize("value", ["yesterday", "17/10/2025 14:31:25", "2025-13-01 00:00:00", "2025-02-30 00:00:00", "2025-10-17"])
def test_zos_time_that_is_not_a_time_is_kept(value):
    assert zos_time(value) == value
    assert parse_time(value) is None


@pytest.mark.parametrize("value", [None, "", True, [], {}, "nonsense"])
def test_parse_time_not_a_time(value):
    assert parse_time(value) is None


def test_parse_time_is_aware_utc():
    moment = parse_time("2026-01-01 00:00:00")
    assert moment == CREATED_AT
    assert moment.utcoffset() == datetime.timedelta(0)


# -- invocation_records --------------------------------------------------------------------------


def test_record_success():
    record = one(invocation([instance(I1, output="héllo 中文\n", output_error="warning: x\n")]))
    assert record["provider"] == PROVIDER == "zenlayer_zos"
    assert record["command_id"] == COMMAND_ID
    assert record["invocation_id"] == INVOCATION_ID
    assert record["instance_id"] == I1
    assert record["instance_name"] == "web-30"
    assert record["status"] == "success"
    assert record["terminal"] is True
    assert record["accepted"] is True
    assert record["vendor_status"] == "Success"
    assert record["vendor_status_details"] is None
    assert record["exit_code"] == 0
    assert record["stdout"] == "héllo 中文\n"
    assert record["stderr"] == "warning: x\n"
    assert record["stdout_truncated"] is False and record["stderr_truncated"] is False
    assert record["stdout_url"] is None and record["stderr_url"] is None
    assert record["requested_at"] == "2026-01-01T00:00:00.000Z"
    assert record["started_at"] == "2026-01-01T00:00:02.000Z"
    assert record["ended_at"] == "2026-01-01T00:00:05.000Z"
    assert record["steps"] == []  # Zenlayer runs one script per instance: no steps
    assert record["raw"]["instanceId"] == I1
    assert record["raw"]["output"] == "héllo 中文\n"
    assert record["raw"]["outputError"] == "warning: x\n"
    assert record["raw"]["invocation"]["invocationId"] == INVOCATION_ID
    assert record["raw"]["invocation"]["invocationStatus"] == "Success"
    assert "invocationInstances" not in record["raw"]["invocation"]
    assert "content" not in record["raw"]["invocation"]


def test_record_failed_with_exit_code_and_error_code():
    item = instance(I2, "Failed", exit_code=100, output="", output_error="E: Unable to locate package nosuch\n", error_code="ExecutionExitNoneZero")
    inv = invocation([item], "Failed")
    record = one(inv)
    assert record["status"] == "failed"
    assert record["accepted"] is False
    assert record["exit_code"] == 100
    assert record["vendor_status"] == "Failed"
    assert record["vendor_status_details"] == "ExecutionExitNoneZero"
    assert record["stdout"] == ""
    assert record["stderr"] == "E: Unable to locate package nosuch\n"


def test_record_timeout_has_no_exit_code_the_vendor_value_stays_in_raw():
    inv = invocation([instance(I1, "Timeout", exit_code=-1, output="half", error_code="ExecutionTimeout", finished=False)], "Failed", timeout=5)
    record = one(inv)
    assert record["status"] == "timed_out"
    assert record["exit_code"] is None and record["raw"]["exitCode"] == -1
    assert record["vendor_status_details"] == "ExecutionTimeout"
    # No execEndTime reported: the end stays unknown.
    assert record["ended_at"] is None


@pytest.mark.parametrize("code", sorted(s.ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES))
def test_error_instances_that_never_ran_are_undeliverable_without_exit_code(code):
    item = instance(I3, "Error", exit_code=0, output="", error_code=code, started=False, finished=False)
    if code == "InstanceNotExists":
        item["instanceExist"] = False
        item["instanceName"] = None
    record = one(invocation([item], "Failed"))
    assert record["status"] == "undeliverable"
    assert record["terminal"] is True
    # The service may report exitCode 0: it must not read as a successful run.
    assert record["exit_code"] is None
    assert record["started_at"] is None and record["ended_at"] is None
    assert record["vendor_status"] == "Error"
    assert record["vendor_status_details"] == code


def test_error_with_system_error_is_failed():
    record = one(invocation([instance(I1, "Error", exit_code=None, output="", error_code="SystemError", started=False, finished=False)], "Failed"))
    assert record["status"] == "failed"
    assert record["exit_code"] is None
    assert record["vendor_status_details"] == "SystemError"


def test_error_that_started_keeps_its_exit_code():
    record = one(invocation([instance(I1, "Error", exit_code=137, error_code="SystemError")], "Failed"))
    assert record["status"] == "failed"
    assert record["exit_code"] == 137
    assert record["ended_at"] == "2026-01-01T00:00:05.000Z"


def test_running_instance_has_no_exit_code_and_no_end():
    record = one(invocation([instance(I1, "Running", exit_code=None, output="half", finished=False)], "Running"))
    assert record["status"] == "running"
    assert record["terminal"] is False
    assert record["accepted"] is None
    assert record["exit_code"] is None
    assert record["ended_at"] is None
    assert record["started_at"] == "2026-01-01T00:00:02.000Z"
    assert record["stdout"] == "half"


def test_running_instance_ignores_an_end_time_and_exit_code_it_should_not_have():
    record = one(invocation([instance(I1, "Running", exit_code=0, finished=True)], "Running"))
    assert record["exit_code"] is None
    assert record["ended_at"] is None


def test_pending_instance():
    record = one(invocation([instance(I1, "Pending", exit_code=None, output=None, output_error=None, started=False, finished=False)], "Pending"))
    assert record["status"] == "pending"
    assert record["started_at"] is None and record["ended_at"] is None
    assert record["exit_code"] is None
    assert record["stdout"] == "" and record["stderr"] == ""


@pytest.mark.parametrize("value, normalised, terminal", INSTANCE_TABLE, ids=[row[0] for row in INSTANCE_TABLE])
def test_every_task_status_through_a_record(value, normalised, terminal):
    record = one(invocation([instance(I1, value)]))
    assert record["status"] == normalised
    assert record["terminal"] is terminal
    assert record["vendor_status"] == value


def test_include_output_false_drops_output_everywhere():
    record = one(invocation([instance(I1, output="secret output", output_error="secret error")]), include_output=False)
    assert record["stdout"] is None and record["stderr"] is None
    assert "output" not in record["raw"] and "outputError" not in record["raw"]
    assert "secret" not in repr(record)


def test_the_script_is_not_repeated_in_raw():
    record = one(invocation([instance(I1)], content="echo top-secret-token"))
    assert "top-secret-token" not in repr(record)


def test_missing_fields():
    inv = {"invocationId": INVOCATION_ID, "invocationInstances": [{"instanceId": I1, "taskStatus": "Success"}]}
    record = one(inv)
    assert record["status"] == "success"
    assert record["command_id"] is None
    assert record["instance_name"] is None
    assert record["exit_code"] is None
    assert record["stdout"] == "" and record["stderr"] == ""
    assert record["requested_at"] is None and record["started_at"] is None and record["ended_at"] is None
    assert record["vendor_status_details"] is None
    assert record["raw"]["invocation"] == {"invocationId": INVOCATION_ID}


@pytest.mark.parametrize("exit_code, expected", [("2", 2), ("", None), ("n/a", None), (True, None), (None, None)])
def test_exit_code_forms(exit_code, expected):
    assert one(invocation([instance(I1, "Failed", exit_code=exit_code)]))["exit_code"] == expected


def test_unknown_status_is_not_terminal():
    record = one(invocation([instance(I1, "Exploded")]))
    assert record["status"] == "unknown"
    assert record["terminal"] is False
    assert record["exit_code"] is None
    assert record["ended_at"] is None


def test_odd_times_in_records():
    inv = invocation(
        [instance(I1, execStartTime="2026-01-01T08:00:02+08:00", execEndTime="not a time")],
        createTime="2026-01-01T00:00:00Z",
    )
    record = one(inv)
    assert record["requested_at"] == "2026-01-01T00:00:00.000Z"
    assert record["started_at"] == "2026-01-01T00:00:02.000Z"
    assert record["ended_at"] == "not a time"


def test_every_instance_of_an_invocation():
    instances = [
        instance(I1),
        instance(I2, "Running", exit_code=None, finished=False),
        instance(I3, "Error", exit_code=None, error_code="InstanceInstanceState", started=False, finished=False),
    ]
    records = invocation_records(invocation(instances, "Running"))
    assert [(record["instance_id"], record["status"]) for record in records] == [(I1, "success"), (I2, "running"), (I3, "undeliverable")]
    # Each record has its own copy of the invocation fields.
    records[0]["raw"]["invocation"]["invocationId"] = "changed"
    assert records[1]["raw"]["invocation"]["invocationId"] == INVOCATION_ID


def test_empty_and_odd_instance_lists():
    assert invocation_records(invocation([])) == []
    assert invocation_records({"invocationId": INVOCATION_ID}) == []
    assert invocation_records(invocation(None, invocationInstances=None)) == []
    assert [record["instance_id"] for record in invocation_records(invocation([instance(I1), "junk", None]))] == [I1]


# -- invocation_summary --------------------------------------------------------------------------


def test_invocation_summary():
    inv = invocation([instance(I1), instance(I2, "Failed", exit_code=1)], "PartialFailed", timeout=45)
    assert invocation_summary(inv) == {
        "status": "PartialFailed",
        "normalised": "partial_failed",
        "command_name": "multicloud-invocations",
        "command_type": "SHELL",
        "timeout": 45,
        "instance_count": 2,
    }


@pytest.mark.parametrize("value, normalised, terminal", INVOCATION_TABLE, ids=[row[0] for row in INVOCATION_TABLE])
def test_invocation_summary_every_status(value, normalised, terminal):
    assert invocation_summary(invocation(status=value))["normalised"] == normalised


def test_invocation_summary_missing_fields():
    assert invocation_summary({}) == {
        "status": None,
        "normalised": "unknown",
        "command_name": None,
        "command_type": None,
        "timeout": None,
        "instance_count": 0,
    }


# -- invocation_budget / next_timeout_in ---------------------------------------------------------


def test_budget_is_timeout_plus_delivery_margin_plus_margin():
    assert invocation_budget(invocation(timeout=60), now=CREATED_AT) == 60 + 30 + 30
    assert invocation_budget(invocation(timeout=1), now=CREATED_AT) == 1 + 60


@pytest.mark.parametrize("timeout", [None, "", 0, -5, "abc", True])
def test_budget_default_timeout(timeout):
    assert invocation_budget(invocation(timeout=timeout), now=CREATED_AT) == 30 + 60


def test_budget_takes_the_timeout_the_service_reports():
    assert invocation_budget(invocation(timeout="45"), now=CREATED_AT) == 105
    # Beyond today's cap: the service's word wins over our input limit.
    assert invocation_budget(invocation(timeout=120), now=CREATED_AT) == 180


def test_budget_counts_from_creation():
    assert invocation_budget(invocation(timeout=30), now=CREATED_AT + datetime.timedelta(seconds=20)) == 70


def test_budget_never_below_the_margin():
    assert invocation_budget(invocation(timeout=30), now=CREATED_AT + datetime.timedelta(hours=1)) == 30


def test_budget_creation_in_the_future_does_not_add_time():
    # A createTime read in the wrong zone can lie ahead of now: the budget stays whole.
    assert invocation_budget(invocation(timeout=30), now=CREATED_AT - datetime.timedelta(hours=8)) == 90


def test_budget_without_creation_time_is_whole():
    assert invocation_budget(invocation(timeout=30, createTime=None)) == 90
    assert invocation_budget(invocation(timeout=30, createTime="garbage")) == 90


def test_budget_uses_the_clock_when_now_is_not_given():
    assert invocation_budget(invocation(timeout=30, createTime="2020-01-01 00:00:00")) == 30


def records_of(*instances, timeout=30):
    inv = invocation(list(instances), "Running", timeout=timeout)
    return inv, invocation_records(inv)


def test_next_timeout_running_is_start_plus_timeout():
    inv, records = records_of(instance(I1, "Running", exit_code=None, finished=False), timeout=30)
    now = CREATED_AT + datetime.timedelta(seconds=12)
    assert next_timeout_in(inv, records, now) == 2 + 30 - 12 + 1.0


def test_next_timeout_is_the_soonest_running_one():
    inv, records = records_of(
        instance(I1, "Running", exit_code=None, finished=False, execStartTime="2026-01-01 00:00:10"),
        instance(I2, "Running", exit_code=None, finished=False),
        instance(I3, "Success"),
        timeout=20,
    )
    now = CREATED_AT + datetime.timedelta(seconds=5)
    # I2 started at 2 s: 2 + 20 - 5 = 17; I1 at 10 s: 25.
    assert next_timeout_in(inv, records, now) == 18.0


def test_next_timeout_none_for_pending_terminal_past_or_unstarted():
    inv, records = records_of(instance(I1, "Pending", exit_code=None, started=False, finished=False))
    assert next_timeout_in(inv, records, CREATED_AT) is None
    inv, records = records_of(instance(I1, "Success"))
    assert next_timeout_in(inv, records, CREATED_AT) is None
    inv, records = records_of(instance(I1, "Running", exit_code=None, finished=False))
    assert next_timeout_in(inv, records, CREATED_AT + datetime.timedelta(minutes=5)) is None
    inv, records = records_of(instance(I1, "Running", exit_code=None, started=False, finished=False))
    assert next_timeout_in(inv, records, CREATED_AT) is None


def test_next_timeout_uses_the_default_timeout_when_missing():
    inv, records = records_of(instance(I1, "Running", exit_code=None, finished=False), timeout=None)
    assert next_timeout_in(inv, records, CREATED_AT) == 2 + 30 + 1.0


# -- pending_records -----------------------------------------------------------------------------


def test_pending_records():
    records = pending_records(INVOCATION_ID, COMMAND_ID, [I1, I2], requested_at="2026-01-01 00:00:00")
    assert [record["instance_id"] for record in records] == [I1, I2]
    for record in records:
        assert record["provider"] == "zenlayer_zos"
        assert record["status"] == "pending"
        assert record["terminal"] is False
        assert record["invocation_id"] == INVOCATION_ID
        assert record["command_id"] == COMMAND_ID
        assert record["vendor_status"] == "Pending"
        assert record["requested_at"] == "2026-01-01T00:00:00.000Z"
        assert record["exit_code"] is None


def test_pending_records_accept_a_datetime_and_nothing():
    assert pending_records(INVOCATION_ID, None, [I1], requested_at=CREATED_AT)[0]["requested_at"] == "2026-01-01T00:00:00.000Z"
    assert pending_records(INVOCATION_ID, None, [I1])[0]["requested_at"] is None
    assert pending_records(INVOCATION_ID, None, []) == []
