# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The normalised invocation record and the summary of a set of records.

One record stands for one target instance (and one step, where the vendor reports steps). Every
provider returns these plain dicts, so the waiter, the policy, the modules, the lookup and the
role never look at vendor shapes.
"""

from __future__ import annotations

import datetime
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import (
    FAILED,
    PARTIAL_FAILED,
    PENDING,
    CANCELLED,
    CANCELLING,
    RUNNING,
    SKIPPED,
    STATUSES,
    SUCCESS,
    TIMED_OUT,
    UNDELIVERABLE,
    is_terminal,
)

RECORD_FIELDS = (
    "provider",
    "command_id",
    "invocation_id",
    "instance_id",
    "instance_name",
    "step",
    "status",
    "terminal",
    "vendor_status",
    "vendor_status_details",
    "exit_code",
    "stdout",
    "stderr",
    "stdout_truncated",
    "stderr_truncated",
    "stdout_url",
    "stderr_url",
    "requested_at",
    "started_at",
    "ended_at",
    # Whether the target counts as a success for the verdict (null while it runs), and what
    # decided it: its status, or a success_when / failure_when condition.
    "accepted",
    "accepted_by",
    # Maintenance windows only: the window, execution, task and invocation ids, task type,
    # parameters, owner information, window target id, and the Run Command records of the task.
    "window",
    "raw",
)


def make_record(provider: str, status: str, **fields: t.Any) -> dict[str, t.Any]:
    """A record with every field present (``None`` where the vendor said nothing)."""
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown record fields: {sorted(unknown)}")
    record = {name: None for name in RECORD_FIELDS}
    record.update(fields)
    record["provider"] = provider
    record["status"] = status
    record["terminal"] = is_terminal(status)
    if record["terminal"] and record["accepted"] is None:
        record["accepted"] = status == SUCCESS
        record["accepted_by"] = "status"
    for flag in ("stdout_truncated", "stderr_truncated"):
        record[flag] = bool(record[flag])
    return record


def record_key(record: dict[str, t.Any]) -> tuple:
    """Identity of a record across poll rounds."""
    return (record["provider"], record["command_id"], record["invocation_id"], record["instance_id"], record["step"])


def iso8601(value: t.Any) -> str | None:
    """A vendor time (datetime, epoch seconds or ISO string) as ISO 8601 UTC, ``Z`` suffixed.

    Naive datetimes and naive strings are taken as UTC (moto sends those). Empty values give None.
    """
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        moment = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    elif isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            # Keep a value we cannot parse rather than lose it.
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    moment = moment.astimezone(datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: t.Any) -> datetime.datetime | None:
    """A vendor time (datetime or ISO 8601 string) as an aware UTC datetime; None if unreadable.

    Naive values are taken as UTC, as in :func:`iso8601`.
    """
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def aggregate_status(statuses: t.Iterable[str]) -> str | None:
    """The vendor-neutral aggregate of per-target statuses (vendor-apis.md section 7.1).

    Returns None for an empty set: nothing was seen, so nothing can be said.
    """
    statuses = list(statuses)
    if not statuses:
        return None
    open_statuses = [status for status in statuses if not is_terminal(status)]
    if open_statuses:
        if all(status == PENDING for status in open_statuses) and len(open_statuses) == len(statuses):
            return PENDING
        if CANCELLING in open_statuses and RUNNING not in open_statuses:
            return CANCELLING
        return RUNNING
    if all(status == SUCCESS for status in statuses):
        return SUCCESS
    if SUCCESS not in statuses:
        for uniform in (CANCELLED, TIMED_OUT, UNDELIVERABLE, SKIPPED):
            if all(status == uniform for status in statuses):
                return uniform
        return FAILED
    return PARTIAL_FAILED


def summarize(
    records: t.Sequence[dict[str, t.Any]],
    expected: int | None = None,
    vendor_aggregate: dict[str, t.Any] | None = None,
) -> dict[str, t.Any]:
    """Counts per status, the aggregate, and the vendor's own aggregate beside it.

    ``expected`` is how many targets the vendor says the commands have; when more are expected
    than were seen, ``not_visible`` tells how many are missing from the counts.
    """
    counts = {status: 0 for status in STATUSES}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    total = len(records)
    terminal = sum(1 for record in records if record["terminal"])
    expected_total = max(expected or 0, total)
    return {
        "total": total,
        "expected": expected_total,
        "not_visible": expected_total - total,
        "terminal": terminal,
        "open": total - terminal,
        "counts": counts,
        "aggregate": aggregate_status(record["status"] for record in records),
        "vendor_aggregate": vendor_aggregate or {},
    }


def progress_line(summary: dict[str, t.Any], elapsed: float, budget: float | None) -> str:
    """One calm line for the operator: done out of expected, non-zero counts, time used."""
    parts = [f"{summary['terminal']}/{summary['expected']} done"]
    parts.extend(f"{count} {status.replace('_', ' ')}" for status, count in summary["counts"].items() if count)
    if summary["not_visible"]:
        parts.append(f"{summary['not_visible']} not visible yet")
    used = f"{elapsed:.0f}s" if budget is None else f"{elapsed:.0f}s of {budget:.0f}s"
    return f"{', '.join(parts)} ({used})"


def failure_statuses() -> tuple[str, ...]:
    """Terminal statuses that are not success, in report order."""
    return (FAILED, TIMED_OUT, CANCELLED, UNDELIVERABLE, SKIPPED)
