# How engine phases read in Alibaba Cloud Assistant words (the Cloud Assistant API reference): per-instance
# InvocationStatus with ErrorCode/ErrorInfo, the invocation-level aggregation rules, the legacy
# status fields, and Output encoding with the 24 KB cap and `Dropped`.
from __future__ import annotations

import base64
from fleetsim import engine as e

OUTPUT_CAP = 24 * 1024   # bytes of UTF-8 output kept in `Output`

FAILED_CLASS = frozenset({"Invalid", "Aborted", "Failed", "Timeout", "Error"})
STOPPED_CLASS = frozenset({"Cancelled", "Terminated"})
OPEN_STATUSES = frozenset({"Pending", "Scheduled", "Running", "Stopping"})
# Terminal per-instance values of a process that did not end by itself: stopped before it started,
# stopped while it ran, or killed at its Timeout.
INTERRUPTED = frozenset({"Cancelled", "Terminated", "Timeout"})

ERROR_INFO = {
    "InstanceNotRunning": "the instance is not running when create task",
    "CommandNotApplicable": "the command is not applicable",
    "DirectoryNotExists": "the specified directory does not exists",
    "ClientNotRunning": "the aliyun service is not running on the instance",
    "DeliveryTimeout": "the command delivery has been timeout",
    "ExecutionTimeout": "the command execution has been timeout",
    "ExitCodeNonzero": "the command execution exit code is not zero",
    "ExecutionInterrupted": "the command execution has been interrupted",
}

# engine phase -> per-instance InvocationStatus for the phases that need no more context
_SIMPLE = {
    e.PENDING: "Pending",
    e.DELAYED: "Pending",
    e.RUNNING: "Running",
    e.CANCELLING: "Stopping",
    e.SUCCESS: "Success",
    e.FAILED: "Failed",
    e.EXECUTION_TIMED_OUT: "Timeout",
    e.DELIVERY_TIMED_OUT: "Aborted",
    e.UNDELIVERABLE: "Aborted",
    e.INVALID_PLATFORM: "Invalid",
    e.TERMINATED: "Cancelled",
}

LEGACY_INSTANCE = {"Pending": "Running", "Scheduled": "Running", "Running": "Running", "Stopping": "Stopping",
                   "Success": "Finished", "Cancelled": "Stopped", "Terminated": "Stopped"}
LEGACY_INVOCATION = {"Pending": "Running", "Scheduled": "Running", "Running": "Running", "Stopping": "Stopping",
                     "Success": "Finished", "Failed": "Failed", "PartialFailed": "PartialFailed", "Stopped": "Stopped"}


def instance_status(inv: e.Invocation, now: float) -> tuple[str, str]:
    """(InvocationStatus, ErrorCode) of one instance at `now`."""
    phase = inv.phase_at(now)
    if phase == e.CANCELLED:
        # StopInvocation: Cancelled if it never started, Terminated if it was running
        return ("Terminated", "ExecutionInterrupted") if inv.started_at is not None else ("Cancelled", "")
    status = _SIMPLE[phase]
    code = ""
    if phase == e.FAILED:
        code = "DirectoryNotExists" if inv.stderr.startswith("Invalid workingDirectory") else "ExitCodeNonzero"
    elif phase == e.EXECUTION_TIMED_OUT:
        code = "ExecutionTimeout"
    elif phase == e.DELIVERY_TIMED_OUT:
        code = "ClientNotRunning" if inv.kind == "offline" else "DeliveryTimeout"
    elif phase == e.UNDELIVERABLE:
        code = "InstanceNotRunning"
    elif phase == e.INVALID_PLATFORM:
        code = "CommandNotApplicable"
    return status, code


def legacy_instance_status(status: str) -> str:
    return LEGACY_INSTANCE.get(status, "Failed")


def aggregate(statuses: list[str]) -> str:
    """Invocation-level InvocationStatus from the per-instance values.

    Open instances first (precedence undocumented; fleetsim's order): Stopping, then Running
    (also when some instances are finished while others still wait), then Scheduled, then
    Pending.  Terminal: all Stopped-class -> Stopped; Success (Stopped-class folded in) ->
    Success; Failed-class (Stopped-class folded in) -> Failed; both -> PartialFailed."""
    present = set(statuses)
    if present & OPEN_STATUSES:
        if "Stopping" in present:
            return "Stopping"
        if "Running" in present or present - OPEN_STATUSES:
            return "Running"
        return "Scheduled" if "Scheduled" in present else "Pending"
    if not present or present <= STOPPED_CLASS:
        return "Stopped"
    success = "Success" in present
    failed = bool(present & FAILED_CLASS)
    if success and failed:
        return "PartialFailed"
    return "Success" if success else "Failed"


def legacy_invocation_status(status: str) -> str:
    return LEGACY_INVOCATION.get(status, status)


def render_output(stdout: str, stderr: str, encoding: str) -> tuple[str, int]:
    """(`Output`, `Dropped`): stdout then stderr, cut to 24 KB of UTF-8 at a character
    boundary; Dropped is the number of bytes cut off.  Base64 unless encoding is PlainText."""
    raw = (stdout + stderr).encode("utf-8")
    kept = raw[:OUTPUT_CAP]
    if len(raw) > OUTPUT_CAP:
        kept = kept.decode("utf-8", errors="ignore").encode("utf-8")
    dropped = len(raw) - len(kept)
    if encoding == "PlainText":
        return kept.decode("utf-8"), dropped
    return base64.b64encode(kept).decode("ascii"), dropped


def encode_text(text: str, encoding: str) -> str:
    if encoding == "PlainText":
        return text
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
