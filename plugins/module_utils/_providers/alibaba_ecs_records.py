# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Cloud Assistant responses as normalised records, and the timeouts a wait can count on.

Pure functions over DescribeInvocations / DescribeInvocationResults data: no client, no I/O.
Field names, statuses, caps and defaults are from the ECS API reference
(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations and its neighbours).

Choices made here:

- Cloud Assistant returns one ``Output`` with stdout and stderr merged, so ``stdout`` holds all of
  it and ``stderr`` is ``""`` (None when output was not asked for).
- ``vendor_status`` is the instance's ``InvocationStatus``; ``vendor_status_details`` is
  ``"<ErrorCode>: <ErrorInfo>"`` (or whichever of the two is present), so the readable reason
  stays next to the code a playbook can match on.
- An ``Error`` or ``Failed`` instance whose ``ErrorCode`` says the command never reached it is
  ``undeliverable``; with ``ExecutionTimeout`` it is ``timed_out`` (the ErrorCode classes are in
  ``_statuses``).
- ``exit_code`` is set only where the process ended by itself (``Success``, ``Failed``): the
  ``ExitCode`` of a stopped, terminated, timed-out or errored instance is not an exit code (it may
  be 0), so it stays only in ``raw``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._record import pending_records as pending_records_of
from ansible_collections.multicloud.invocations.plugins.module_utils._record import iso8601, make_record, parse_time
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import (
    ALIBABA_ECS_FAILED_ERROR_CODES,
    ALIBABA_ECS_INSTANCE,
    ALIBABA_ECS_INVOCATION,
    ALIBABA_ECS_REFINED_BY_ERROR_CODE,
    ALIBABA_ECS_TIMED_OUT_ERROR_CODES,
    ALIBABA_ECS_UNDELIVERABLE_ERROR_CODES,
    FAILED,
    TIMED_OUT,
    UNDELIVERABLE,
    is_terminal,
    lookup,
    vendor_key,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import NUMBER, OneOf, vendor_payload
from ansible_collections.multicloud.invocations.plugins.module_utils import _timeouts

PROVIDER = "alibaba_ecs"
# The describe calls answer Base64 unless ContentEncoding=PlainText was asked for.
DEFAULT_CONTENT_ENCODING = "Base64"

# RunCommand's default Timeout, and the minute an instance has to take delivery before the run
# is Aborted (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-runcommand).
DEFAULT_TIMEOUT = 60
DELIVERY_WINDOW = 60
WAIT_MARGIN = 60

# RepeatMode values that never finish by themselves: the invocation stays Running or Scheduled
# until it is stopped, so waiting on it for completion cannot end.
PERIODIC_REPEAT_MODES = frozenset(("period", "everyreboot"))
# Per-instance InvocationStatus values that say the script's process ended by itself, so that its
# ExitCode is an exit code. Every per-instance record carries an ExitCode field (a long, documented
# for DescribeInvocations and DescribeInvocationResults), also where the process was stopped
# (Cancelled, Terminated), killed at its Timeout or broken by an exception (Error), and it may
# be 0 there: read as an exit code, it would turn a stopped instance into a success.
ENDED_BY_ITSELF = frozenset(("success", "failed"))


def _blank_to_none(value: t.Any) -> t.Any:
    return None if value in ("", None) else value


def decode_output(output: str | None, encoding: str | None = DEFAULT_CONTENT_ENCODING) -> str | None:
    """Output or CommandContent as text: Base64 decoded (UTF-8, bad bytes replaced), PlainText as is.

    A value that is not valid Base64 although Base64 was expected is returned as it is: it can
    only be text the service did not encode.
    """
    if output is None:
        return None
    if vendor_key(encoding) == "plaintext":
        return output
    try:
        data = base64.b64decode(output, validate=True)
    except (binascii.Error, ValueError):
        return output
    return data.decode("utf-8", errors="replace")


def error_class(error_code: str | None) -> str | None:
    """The normalised status a per-instance ErrorCode stands for, or None (empty or unknown)."""
    if error_code in ALIBABA_ECS_UNDELIVERABLE_ERROR_CODES:
        return UNDELIVERABLE
    if error_code in ALIBABA_ECS_TIMED_OUT_ERROR_CODES:
        return TIMED_OUT
    if error_code in ALIBABA_ECS_FAILED_ERROR_CODES:
        return FAILED
    return None


def instance_status(invocation_status: str | None, error_code: str | None = None) -> str:
    """One instance's normalised status: its InvocationStatus, refined by its ErrorCode.

    ``Error`` or ``Failed`` with an undeliverable-class ErrorCode becomes ``undeliverable``, and
    with ``ExecutionTimeout`` ``timed_out``; ``Aborted`` is undeliverable whatever the code. An
    unknown ErrorCode never changes the status.
    """
    status = lookup(ALIBABA_ECS_INSTANCE, invocation_status)
    if vendor_key(invocation_status) in ALIBABA_ECS_REFINED_BY_ERROR_CODE:
        refined = error_class(error_code)
        if refined in (UNDELIVERABLE, TIMED_OUT):
            return refined
    return status


@functools.lru_cache(maxsize=256)
def _status_of(invocation_status: str | None, error_code: str | None) -> str:
    # A fleet's rows share a handful of (InvocationStatus, ErrorCode) pairs: each is looked up once.
    return instance_status(invocation_status, error_code)


@vendor_payload(PROVIDER, "DescribeInvocations instance")
def row_status(item: dict[str, t.Any]) -> str:
    """An instance's normalised status from its row alone, without building its record (what a poll
    round counts: the fields of a record are read when the wait needs them)."""
    return _status_of(item.get("InvocationStatus"), _blank_to_none(item.get("ErrorCode")))


def status_details(item: dict[str, t.Any]) -> str | None:
    """``"<ErrorCode>: <ErrorInfo>"``, or whichever is present, or None."""
    code = _blank_to_none(item.get("ErrorCode"))
    info = _blank_to_none(item.get("ErrorInfo"))
    if code and info:
        return f"{code}: {info}"
    return code or info


def _ended_by_itself(item: dict[str, t.Any], status: str) -> bool:
    """Whether the script ran on the instance and ended by itself (so its ExitCode means something)."""
    if status == UNDELIVERABLE:
        return False
    return vendor_key(item.get("InvocationStatus")) in ENDED_BY_ITSELF


def _exit_code(item: dict[str, t.Any], status: str) -> int | None:
    """The exit code of a process that ran to its own end; None otherwise (the vendor's value stays in raw)."""
    code = item.get("ExitCode")
    if code in (None, "") or not is_terminal(status) or not _ended_by_itself(item, status):
        return None
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


def _dropped(item: dict[str, t.Any]) -> int:
    try:
        return int(item.get("Dropped") or 0)
    except (TypeError, ValueError):
        return 0


# The documented shape of every answer this provider reads (the ECS API reference of each action; Alibaba Cloud
# ECS API reference), refused by _payload.check_answer before any parser reads it. Cloud Assistant
# nests lists XML style ({"Invocation": [...]}); the flat form is read as well.
_INSTANCE = {
    "InstanceId": str, "InvocationStatus?": str, "ExitCode?": NUMBER, "ErrorCode?": str, "ErrorInfo?": str, "Output?": str,
    "Dropped?": NUMBER, "Repeats?": NUMBER, "CreationTime?": str, "StartTime?": str, "FinishTime?": str, "FinishedTime?": str,
    "StopTime?": str, "OssOutputUri?": str,
}
_INVOCATION = {
    "InvokeId": str, "CommandId?": str, "InvocationStatus?": str, "InvokeStatus?": str, "RepeatMode?": str, "Timeout?": NUMBER,
    "CreationTime?": str, "InvokeInstances?": OneOf({"InvokeInstance": [_INSTANCE]}, [_INSTANCE]),
}
_RESULT = dict(_INSTANCE, **{"InvokeId?": str, "CommandId?": str})
ANSWERS: dict[str, t.Any] = {
    "RunCommand": {"InvokeId": str, "CommandId?": str},
    "InvokeCommand": {"InvokeId": str},
    "DescribeInvocations": {"Invocations": OneOf({"Invocation": [_INVOCATION]}, [_INVOCATION]), "NextToken?": str},
    "DescribeInvocationResults": {
        "Invocation": {"InvocationResults": OneOf({"InvocationResult": [_RESULT]}, [_RESULT]), "NextToken?": str},
    },
    "StopInvocation": dict,
    "DescribeCloudAssistantStatus": {
        "InstanceCloudAssistantStatusSet": OneOf({"InstanceCloudAssistantStatus": [{"InstanceId": str, "CloudAssistantStatus": str}]},
                                                 [{"InstanceId": str, "CloudAssistantStatus": str}]),
        "NextToken?": str,
    },
}


def _record(
    item: dict[str, t.Any],
    command_id: str | None,
    invoke_id: str | None,
    requested_at: t.Any,
    ended: t.Any,
    raw: dict[str, t.Any],
    include_output: bool,
    encoding: str | None,
) -> dict[str, t.Any]:
    status = instance_status(item.get("InvocationStatus"), _blank_to_none(item.get("ErrorCode")))
    terminal = is_terminal(status)
    return make_record(
        PROVIDER,
        status,
        command_id=command_id,
        invocation_id=invoke_id,
        instance_id=item.get("InstanceId"),
        vendor_status=item.get("InvocationStatus"),
        vendor_status_details=status_details(item),
        exit_code=_exit_code(item, status),
        # Cloud Assistant merges stdout and stderr into one Output.
        stdout=decode_output(item.get("Output") or "", encoding) if include_output else None,
        stderr="" if include_output else None,
        # Output holds at most 24 KB; Dropped counts what was cut beyond that.
        stdout_truncated=include_output and _dropped(item) > 0,
        stdout_url=_blank_to_none(item.get("OssOutputUri")),
        requested_at=iso8601(requested_at),
        started_at=iso8601(_blank_to_none(item.get("StartTime"))),
        ended_at=iso8601(_blank_to_none(ended) or _blank_to_none(item.get("StopTime"))) if terminal else None,
        raw=raw,
    )


def _without_output(item: dict[str, t.Any], include_output: bool) -> dict[str, t.Any]:
    return {key: value for key, value in item.items() if include_output or key != "Output"}


def instance_rows(invocation: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The InvokeInstance list, whether nested XML style (``{"InvokeInstance": [...]}``) or flat."""
    instances = invocation.get("InvokeInstances") or []
    if isinstance(instances, dict):
        instances = instances.get("InvokeInstance") or []
    return list(instances)


@vendor_payload(PROVIDER, "DescribeInvocations item")
def instance_records(
    invocation: dict[str, t.Any],
    instance: dict[str, t.Any] | None = None,
    include_output: bool = True,
    encoding: str | None = DEFAULT_CONTENT_ENCODING,
) -> list[dict[str, t.Any]]:
    """Records from a DescribeInvocations ``Invocation``: for ``instance`` (one of its
    ``InvokeInstances.InvokeInstance``), or for every instance when ``instance`` is None.

    ``raw`` is the instance item (without ``Output`` unless output is included) and, under
    ``Invocation``, the invocation's own fields except its instance list and its
    ``CommandContent`` (the script, repeated for every instance otherwise).
    """
    instances = instance_rows(invocation) if instance is None else [instance]
    fields = invocation_fields(invocation)
    return [instance_record(fields, item, include_output, encoding) for item in instances]


def invocation_fields(invocation: dict[str, t.Any]) -> dict[str, t.Any]:
    """What every record of an invocation takes from the invocation itself: its own fields, without
    its instance list and its ``CommandContent``."""
    return {key: value for key, value in invocation.items() if key not in ("InvokeInstances", "CommandContent")}


@vendor_payload(PROVIDER, "DescribeInvocations item")
def instance_record(fields: dict[str, t.Any], item: dict[str, t.Any], include_output: bool = True,
                    encoding: str | None = DEFAULT_CONTENT_ENCODING) -> dict[str, t.Any]:
    """The record of one ``InvokeInstance`` of the invocation whose ``invocation_fields`` are ``fields``."""
    raw = _without_output(item, include_output)
    raw["Invocation"] = dict(fields)
    return _record(
        item,
        command_id=fields.get("CommandId"),
        invoke_id=fields.get("InvokeId"),
        requested_at=_blank_to_none(item.get("CreationTime")) or fields.get("CreationTime"),
        ended=item.get("FinishTime"),
        raw=raw,
        include_output=include_output,
        encoding=encoding,
    )


@vendor_payload(PROVIDER, "DescribeInvocationResults item")
def result_record(result: dict[str, t.Any], include_output: bool = True, encoding: str | None = DEFAULT_CONTENT_ENCODING) -> dict[str, t.Any]:
    """The record of one DescribeInvocationResults ``InvocationResult``.

    Results carry no CreationTime, so ``requested_at`` is None there; they spell the end
    ``FinishedTime``.
    """
    return _record(
        result,
        command_id=result.get("CommandId"),
        invoke_id=result.get("InvokeId"),
        requested_at=None,
        ended=result.get("FinishedTime"),
        raw=_without_output(result, include_output),
        include_output=include_output,
        encoding=encoding,
    )


@vendor_payload(PROVIDER, "DescribeInvocations item")
def invocation_summary(invocation: dict[str, t.Any]) -> dict[str, t.Any]:
    """The vendor's own aggregate for one invocation, kept beside ours.

    ``normalised`` reads InvocationStatus, then the legacy InvokeStatus; the legacy ``Finished``
    stays ``unknown`` so that the instances decide.
    """
    timeout = invocation.get("Timeout")
    return {
        "status": invocation.get("InvocationStatus"),
        "invoke_status": invocation.get("InvokeStatus"),
        "normalised": lookup(ALIBABA_ECS_INVOCATION, invocation.get("InvocationStatus"), invocation.get("InvokeStatus")),
        "repeat_mode": invocation.get("RepeatMode"),
        "timeout": timeout if timeout not in (None, "") else None,
        "instance_count": len(instance_rows(invocation)),
    }


def is_periodic(invocation: dict[str, t.Any]) -> bool:
    """Whether the invocation repeats (Period, EveryReboot) and so never completes by itself."""
    return vendor_key(invocation.get("RepeatMode")) in PERIODIC_REPEAT_MODES


def _timeout(invocation: dict[str, t.Any]) -> int:
    try:
        timeout = int(invocation.get("Timeout"))
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    return timeout if timeout > 0 else DEFAULT_TIMEOUT


@vendor_payload(PROVIDER, "DescribeInvocations item")
def invocation_budget(invocation: dict[str, t.Any], now: datetime.datetime | None = None) -> float:
    """Seconds a wait on this invocation may need: delivery window + Timeout + margin, from its creation.

    The budget counts from CreationTime so that a wait resumed later does not start afresh.
    """
    total = float(DELIVERY_WINDOW + _timeout(invocation) + WAIT_MARGIN)
    return _timeouts.budget_left(total, parse_time(invocation.get("CreationTime")), WAIT_MARGIN, now)


# A pending instance ends Aborted when the delivery window (from its creation) closes, unless it is
# Scheduled (it waits for its time or a reboot); a running one ends Timeout when Timeout (from its
# start) runs out (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-runcommand).
TIMEOUTS = _timeouts.TimeoutSpec(
    execution_timeout=_timeout,
    delivery_window=lambda invocation: DELIVERY_WINDOW,
    requested_field="CreationTime",
    unwindowed_vendor_statuses=frozenset(("scheduled",)),
)


@vendor_payload(PROVIDER, "DescribeInvocations item")
def next_timeout_in(invocation: dict[str, t.Any], records: list[dict[str, t.Any]], now: datetime.datetime) -> float | None:
    """Seconds until the soonest delivery or execution timeout of an open instance, if any is known."""
    return _timeouts.next_timeout_in(TIMEOUTS, invocation, records, now)


@vendor_payload(PROVIDER, "DescribeInvocations item")
def rows_next_timeout_in(invocation: dict[str, t.Any], rows: t.Iterable[tuple[dict[str, t.Any], str]], now: datetime.datetime) -> float | None:
    """:func:`next_timeout_in` from ``(InvokeInstance row, row_status)`` pairs, without their records."""
    return _timeouts.soonest_timeout_in(TIMEOUTS, invocation, (
        (status, _blank_to_none(row.get("StartTime")), _blank_to_none(row.get("CreationTime")), row.get("InvocationStatus"))
        for row, status in rows
    ), now)


def pending_records(invoke_id: str, command_id: str | None, instance_ids: t.Iterable[str], requested_at: t.Any = None) -> list[dict[str, t.Any]]:
    """Records for an invocation just started on explicit instances, without another API call."""
    return pending_records_of(PROVIDER, invoke_id, command_id, instance_ids, iso8601(requested_at))
