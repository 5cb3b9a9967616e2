# How engine phases read in AWS SSM words: invocation/plugin Status and StatusDetails, the
# command-level aggregation rules (the SSM API reference) and plugin output truncation.
#
# StatusDetails use the CamelCase spelling that awscli shows and that filters accept
# (`DeliveryTimedOut`, `ExecutionTimedOut`, `InProgress`).
from __future__ import annotations

import math
from typing import Any

from fleetsim import engine as e

# phase -> (invocation Status, StatusDetails).  Status is always a member of the
# CommandInvocationStatus enum; the values the enum lacks are carried by StatusDetails.
INVOCATION_STATUS = {
    e.PENDING: ("Pending", "Pending"),
    e.DELAYED: ("Delayed", "Delayed"),
    e.RUNNING: ("InProgress", "InProgress"),
    e.CANCELLING: ("Cancelling", "Cancelling"),
    e.SUCCESS: ("Success", "Success"),
    e.FAILED: ("Failed", "Failed"),
    e.EXECUTION_TIMED_OUT: ("TimedOut", "ExecutionTimedOut"),
    e.DELIVERY_TIMED_OUT: ("TimedOut", "DeliveryTimedOut"),
    e.UNDELIVERABLE: ("Failed", "Undeliverable"),
    e.INVALID_PLATFORM: ("Failed", "InvalidPlatform"),
    e.TERMINATED: ("Cancelled", "Terminated"),
    e.CANCELLED: ("Cancelled", "Cancelled"),
}

# The plugin Status enum has neither Delayed nor Cancelling.
PLUGIN_STATUS_OVERRIDE = {e.DELAYED: "Pending", e.CANCELLING: "InProgress"}

ERROR_SEPARATOR = "\n----------ERROR-------\n"
OUTPUT_TRUNCATED = "\n---Output truncated---"
ERROR_TRUNCATED = "\n---Error truncated----"


def invocation_status(phase: str) -> tuple[str, str]:
    return INVOCATION_STATUS[phase]


def plugin_status(phase: str) -> tuple[str, str]:
    status, details = INVOCATION_STATUS[phase]
    return PLUGIN_STATUS_OVERRIDE.get(phase, status), details


def command_status(counts: dict[str, int], max_errors: int, cancel_requested: bool) -> tuple[str, str]:
    """(Status, StatusDetails) of a whole command from its per-phase invocation counts."""
    total = sum(counts.values())
    if total == 0:
        return "Success", "NoInstancesInTag"
    still_open = sum(counts.get(p, 0) for p in e.OPEN_PHASES)
    if still_open:
        if cancel_requested and (counts.get(e.CANCELLING) or counts.get(e.CANCELLED)):
            return "Cancelling", "Cancelling"
        waiting = counts.get(e.PENDING, 0) + counts.get(e.DELAYED, 0)
        if waiting == total:
            return "Pending", "Delayed" if counts.get(e.DELAYED) == total else "Pending"
        return "InProgress", "InProgress"
    if cancel_requested and counts.get(e.CANCELLED):
        return "Cancelled", "Cancelled"
    errors = counts.get(e.FAILED, 0) + counts.get(e.EXECUTION_TIMED_OUT, 0)
    if errors > max_errors:
        if counts.get(e.FAILED, 0) == 0:
            return "TimedOut", "ExecutionTimedOut"
        return "Failed", "Failed"
    never_delivered = counts.get(e.UNDELIVERABLE, 0) + counts.get(e.INVALID_PLATFORM, 0)
    considered = total - never_delivered
    if considered == 0:
        return "Failed", "InvalidPlatform" if counts.get(e.INVALID_PLATFORM) == total else "Undeliverable"
    if counts.get(e.SUCCESS, 0) == considered:
        return "Success", "Success"
    if counts.get(e.DELIVERY_TIMED_OUT, 0) == considered:
        return "TimedOut", "DeliveryTimedOut"
    return "Failed", "Incomplete"


def command_counts(counts: dict[str, int]) -> dict[str, int]:
    total = sum(counts.values())
    return {
        "TargetCount": total,
        "CompletedCount": total - sum(counts.get(p, 0) for p in e.OPEN_PHASES),
        "ErrorCount": counts.get(e.FAILED, 0) + counts.get(e.EXECUTION_TIMED_OUT, 0),
        "DeliveryTimedOutCount": counts.get(e.DELIVERY_TIMED_OUT, 0),
    }


def resolve_rate(value: str, target_count: int, minimum: int) -> int:
    """MaxConcurrency / MaxErrors: a count, or a percentage of the targets rounded up."""
    if value.endswith("%"):
        return max(minimum, math.ceil(int(value[:-1]) * target_count / 100))
    return max(minimum, int(value))


def plugin_output(stdout: str, stderr: str, capacity: int = 2500) -> str:
    """The plugin `Output` of ListCommandInvocations(Details=true): stdout, then the error
    separator and stderr, cut to `capacity` characters with the agent's truncation markers.
    When both streams are too long, each gets half the room left after the separator."""
    full = stdout + (ERROR_SEPARATOR + stderr if stderr else "")
    if len(full) <= capacity:
        return full
    if not stderr:
        return _cut(stdout, capacity, OUTPUT_TRUNCATED)
    room = capacity - len(ERROR_SEPARATOR)
    if not stdout:
        return ERROR_SEPARATOR + _cut(stderr, room, ERROR_TRUNCATED)
    half = room // 2
    out_room = max(half, room - len(stderr)) if len(stderr) < half else half
    err_room = room - min(len(stdout), out_room) if len(stdout) <= out_room else room - out_room
    return _cut(stdout, out_room, OUTPUT_TRUNCATED) + ERROR_SEPARATOR + _cut(stderr, err_room, ERROR_TRUNCATED)


def _cut(text: str, room: int, marker: str) -> str:
    if len(text) <= room:
        return text
    return text[:max(0, room - len(marker))] + marker


def matches_status(value: str, status: Any, details: Any) -> bool:
    """Status filters accept either the coarse Status or the StatusDetails value."""
    wanted = value.replace(" ", "").lower()
    return wanted in (str(status).lower(), str(details).replace(" ", "").lower())
