# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""ZOS responses as normalised records, and the timeouts a wait can count on.

Pure functions over DescribeCommandInvocations data: no client, no I/O. Field names, statuses,
caps and defaults are from Zenlayer's SDK (https://github.com/zenlayer/zenlayercloud-sdk-python).

Choices made here:

- One DescribeCommandInvocations ``dataSet`` item is a ``CommandInvocation`` with its instances
  nested under ``invocationInstances``; each instance becomes one record.
- ZOS keeps stdout and stderr apart: ``stdout`` is ``output`` and ``stderr`` is ``outputError``
  (None when output was not asked for). Output size limits are not documented, so nothing is
  ever reported as truncated.
- ``vendor_status`` is the instance's ``taskStatus``; ``vendor_status_details`` its ``errorCode``
  (ZOS gives no readable reason beside the code).
- An ``Error`` instance whose ``errorCode`` says the command never reached it is
  ``undeliverable``; any other ``Error`` is ``failed`` (the classes are in ``_statuses``).
- Times: ZOS writes ``2025-10-17 14:31:25`` (``yyyy-MM-dd HH:mm:ss``) with no zone, and the zone
  is not documented. They are taken as **UTC**, as other Zenlayer services document UTC ISO 8601
  times (the SDK's examples; not confirmed by the vendor). Should the service turn out to write local time, the
  times in the records are off by that zone's offset and the wait budget counted from
  ``createTime`` is shorter or longer by as much (never below its margin).
"""

from __future__ import annotations

import datetime
import functools
import re
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._record import pending_records as pending_records_of
from ansible_collections.multicloud.invocations.plugins.module_utils._record import iso8601, make_record
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import (
    FAILED,
    UNDELIVERABLE,
    ZENLAYER_ZOS_INSTANCE,
    ZENLAYER_ZOS_INVOCATION,
    ZENLAYER_ZOS_REFINED_BY_ERROR_CODE,
    ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES,
    is_terminal,
    lookup,
    vendor_key,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import NUMBER, OneOf, vendor_payload
from ansible_collections.multicloud.invocations.plugins.module_utils import _timeouts

PROVIDER = "zenlayer_zos"

# The documented shape of every answer this provider reads (https://github.com/zenlayer/zenlayercloud-sdk-python; Zenlayer ZOS
# API reference): the envelope, then the ``response`` object of each action. An answer without it is
# refused by _payload.check_answer before any parser reads it.
ENVELOPE = {"requestId?": str, "response": dict}
_INSTANCE = {
    "instanceId": str, "instanceName?": str, "instanceExist?": bool, "taskStatus?": str, "exitCode?": NUMBER, "errorCode?": str,
    "output?": str, "outputError?": str, "execStartTime?": str, "execEndTime?": str,
}
_INVOCATION = {
    "invocationId": str, "commandId?": str, "invocationStatus?": str, "timeout?": NUMBER, "createTime?": str,
    "invocationInstances?": [_INSTANCE],
}
ANSWERS: dict[str, t.Any] = {
    "CreateCommand": {"commandId": str},
    "InvokeCommand": {"invocationId": str},
    # An empty result may come as totalCount 0 without a dataSet; one of the two is always there.
    "DescribeCommandInvocations": OneOf({"dataSet": [_INVOCATION], "totalCount?": NUMBER}, {"totalCount": NUMBER, "dataSet?": [_INVOCATION]}),
}

# InvokeCommand's timeout: 1 to 60 seconds, 30 when not given (https://github.com/zenlayer/zenlayercloud-sdk-python).
DEFAULT_TIMEOUT = 30
# ZOS documents no delivery window; allow this long for the guest agent to pick a task up,
# and this much again before a wait gives up (timeout + 60 s in all, as 6.3 suggests).
DELIVERY_MARGIN = 30
WAIT_MARGIN = 30

# taskStatus values that say the script ran to an end of its own; Error needs an execStartTime.
RAN = frozenset(("success", "failed", "timeout"))

# yyyy-MM-dd HH:mm[:ss[.fff]] with a space or a T, then an optional zone (Z, UTC, +08:00, +0800).
_TIME_PATTERN = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
# Epoch numbers above this are milliseconds (this is the year 5138 in seconds).
_EPOCH_MILLIS_ABOVE = 10 ** 11


def _blank_to_none(value: t.Any) -> t.Any:
    return None if value in ("", None) else value


def parse_time(value: t.Any) -> datetime.datetime | None:
    """A ZOS time as an aware UTC datetime, or None when empty or not a time.

    Takes ``2025-10-17 14:31:25`` (ZOS; no zone, taken as UTC), ISO 8601 with ``T``, fractions,
    ``Z`` or an offset, datetimes (naive is UTC) and epoch seconds or milliseconds.
    """
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, (int, float)):
        seconds = value / 1000.0 if abs(value) > _EPOCH_MILLIS_ABOVE else value
        try:
            return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        match = _TIME_PATTERN.match(value.strip())
        if not match:
            return None
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        try:
            moment = datetime.datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0), int((fraction or "0")[:6].ljust(6, "0"))
            )
        except ValueError:
            return None
        moment = moment.replace(tzinfo=_zone(zone))
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _zone(zone: str | None) -> datetime.tzinfo:
    if not zone or zone.upper() in ("Z", "UTC", "GMT"):
        return datetime.timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return datetime.timezone(sign * offset)


def zos_time(value: t.Any) -> str | None:
    """A ZOS time as ISO 8601 UTC (``2025-10-17T14:31:25.000Z``); see :func:`parse_time`.

    A value that is not a time is kept as it is rather than lost; an empty one gives None.
    """
    if isinstance(value, str):
        return _zos_time_text(value.strip())
    if value is None:
        return None
    moment = parse_time(value)
    if moment is None:
        return str(value)
    return iso8601(moment)


@functools.lru_cache(maxsize=1024)
def _zos_time_text(value: str) -> str | None:
    # A fleet's times repeat (ZOS writes whole seconds): each distinct one is converted once.
    if not value:
        return None
    moment = parse_time(value)
    return value if moment is None else iso8601(moment)


def error_class(error_code: str | None) -> str | None:
    """The normalised status an ``Error`` instance's errorCode stands for, or None when empty.

    The three codes that say the command never reached the instance are undeliverable; every
    other code, known or not, is failed.
    """
    if not error_code:
        return None
    if error_code in ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES:
        return UNDELIVERABLE
    return FAILED


def instance_status(task_status: str | None, error_code: str | None = None) -> str:
    """One instance's normalised status: its taskStatus, refined by its errorCode when it is ``Error``.

    Only ``Error`` is refined: with InstanceNotExists, InstanceInstanceState or
    CommandPlatformInvalid it is undeliverable, otherwise failed. An unknown taskStatus is
    ``unknown`` whatever the code.
    """
    status = lookup(ZENLAYER_ZOS_INSTANCE, task_status)
    if vendor_key(task_status) in ZENLAYER_ZOS_REFINED_BY_ERROR_CODE and error_class(error_code) == UNDELIVERABLE:
        return UNDELIVERABLE
    return status


def _ran(item: dict[str, t.Any], status: str) -> bool:
    """Whether the script actually ran on the instance (so its exit code means something)."""
    if status == UNDELIVERABLE:
        return False
    value = vendor_key(item.get("taskStatus"))
    return value in RAN or bool(_blank_to_none(item.get("execStartTime")))


def _exit_code(item: dict[str, t.Any], status: str) -> int | None:
    """The exit code once the instance finished a run it actually started."""
    code = item.get("exitCode")
    if code in (None, "") or isinstance(code, bool) or not is_terminal(status) or not _ran(item, status):
        return None
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


def instance_rows(invocation: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The invocation's ``invocationInstances`` entries, one row per instance."""
    instances = invocation.get("invocationInstances") or []
    return [item for item in instances if isinstance(item, dict)]


def _without_output(item: dict[str, t.Any], include_output: bool) -> dict[str, t.Any]:
    return {key: value for key, value in item.items() if include_output or key not in ("output", "outputError")}


def _text(value: t.Any) -> str:
    return "" if value is None else str(value)


@vendor_payload(PROVIDER, "DescribeCommandInvocations item")
def invocation_records(invocation: dict[str, t.Any], include_output: bool = True) -> list[dict[str, t.Any]]:
    """Records from one DescribeCommandInvocations ``dataSet`` item, one per ``invocationInstances`` entry.

    ``raw`` is the instance item (without ``output`` and ``outputError`` unless output is
    included) and, under ``invocation``, the invocation's own fields except its instance list
    and its ``content`` (the script, repeated for every instance otherwise).
    """
    fields = invocation_fields(invocation)
    return [instance_record(fields, item, include_output) for item in instance_rows(invocation)]


def invocation_fields(invocation: dict[str, t.Any]) -> dict[str, t.Any]:
    """What every record of an invocation takes from the invocation itself: its own fields, without
    its instance list and its ``content``. A wait rebuilds an invocation's records when they change."""
    return {key: value for key, value in invocation.items() if key not in ("invocationInstances", "content")}


def _from_invocation(fields: dict[str, t.Any]) -> dict[str, t.Any]:
    """The record fields an invocation gives each of its records (besides ``raw.invocation``)."""
    return {
        "command_id": _blank_to_none(fields.get("commandId")),
        "invocation_id": _blank_to_none(fields.get("invocationId")),
        "requested_at": zos_time(fields.get("createTime")),
    }


@vendor_payload(PROVIDER, "DescribeCommandInvocations item")
def instance_record(fields: dict[str, t.Any], item: dict[str, t.Any], include_output: bool = True) -> dict[str, t.Any]:
    """The record of one ``invocationInstances`` entry of the invocation whose ``invocation_fields`` are ``fields``."""
    error_code = _blank_to_none(item.get("errorCode"))
    status = instance_status(item.get("taskStatus"), error_code)
    raw = _without_output(item, include_output)
    raw["invocation"] = dict(fields)
    return make_record(
        PROVIDER,
        status,
        **_from_invocation(fields),
        instance_id=item.get("instanceId"),
        instance_name=_blank_to_none(item.get("instanceName")),
        vendor_status=item.get("taskStatus"),
        vendor_status_details=error_code,
        exit_code=_exit_code(item, status),
        stdout=_text(item.get("output")) if include_output else None,
        stderr=_text(item.get("outputError")) if include_output else None,
        started_at=zos_time(item.get("execStartTime")),
        ended_at=zos_time(item.get("execEndTime")) if is_terminal(status) else None,
        raw=raw,
    )


@vendor_payload(PROVIDER, "DescribeCommandInvocations item")
def with_invocation(fields: dict[str, t.Any]) -> t.Callable[[dict[str, t.Any]], None]:
    """What brings a record built under other ``invocation_fields`` up to ``fields`` (the invocation's
    status moved on): exactly what :func:`instance_record` takes from the invocation."""
    from_invocation = _from_invocation(fields)

    def update(record: dict[str, t.Any]) -> None:
        record.update(from_invocation)
        record["raw"]["invocation"] = dict(fields)

    return update


@vendor_payload(PROVIDER, "DescribeCommandInvocations item")
def invocation_summary(invocation: dict[str, t.Any]) -> dict[str, t.Any]:
    """The vendor's own aggregate for one invocation, kept beside ours."""
    timeout = invocation.get("timeout")
    return {
        "status": invocation.get("invocationStatus"),
        "normalised": lookup(ZENLAYER_ZOS_INVOCATION, invocation.get("invocationStatus")),
        "command_name": invocation.get("commandName"),
        "command_type": invocation.get("commandType"),
        "timeout": timeout if timeout not in (None, "") else None,
        "instance_count": len(instance_rows(invocation)),
    }


def _timeout(invocation: dict[str, t.Any]) -> int:
    """The invocation's timeout as the service reports it, or the service default when it is missing."""
    timeout = invocation.get("timeout")
    if isinstance(timeout, bool):
        return DEFAULT_TIMEOUT
    try:
        timeout = int(timeout)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    return timeout if timeout > 0 else DEFAULT_TIMEOUT


@vendor_payload(PROVIDER, "DescribeCommandInvocations item")
def invocation_budget(invocation: dict[str, t.Any], now: datetime.datetime | None = None) -> float:
    """Seconds a wait on this invocation may need: timeout + delivery margin + margin, from its creation.

    The budget counts from ``createTime`` so that a wait resumed later does not start afresh; it
    never drops below the margin, so that a last look is always possible.
    """
    total = float(_timeout(invocation) + DELIVERY_MARGIN + WAIT_MARGIN)
    return _timeouts.budget_left(total, parse_time(invocation.get("createTime")), WAIT_MARGIN, now)


# A running instance ends Timeout when the invocation's timeout (from its execStartTime) runs out.
# ZOS documents no delivery window, so a pending instance has no due time.
TIMEOUTS = _timeouts.TimeoutSpec(execution_timeout=_timeout, parse_time=parse_time)


@vendor_payload(PROVIDER, "DescribeCommandInvocations item")
def next_timeout_in(invocation: dict[str, t.Any], records: list[dict[str, t.Any]], now: datetime.datetime) -> float | None:
    """Seconds until the soonest execution timeout of a running instance, if any is known."""
    return _timeouts.next_timeout_in(TIMEOUTS, invocation, records, now)


def pending_records(invocation_id: str, command_id: str | None, instance_ids: t.Iterable[str], requested_at: t.Any = None) -> list[dict[str, t.Any]]:
    """Records for an invocation just started on explicit instances, without another API call."""
    return pending_records_of(PROVIDER, invocation_id, command_id, instance_ids, zos_time(requested_at))
