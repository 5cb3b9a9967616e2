# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The normalised invocation record and the summary of a set of records.

One record stands for one target instance of one run, its steps nested (``RECORD_SCHEMA``). Every
provider returns these plain dicts, so the waiter, the policy, the modules, the lookup and the
role never look at vendor shapes.
"""

from __future__ import annotations

import datetime
import re
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
    UNKNOWN,
    is_terminal,
)

# The record schema, as data: the status-model page (docs/docsite/rst/status_model.rst) is
# generated from these tables, so the documented shape is the shape the code builds. Each entry is
# (field, type, meaning). One record is one target instance of one run.
RECORD_SCHEMA = (
    ("provider", "str", "The provider that read the record (aws_ssm, alibaba_ecs, zenlayer_zos)."),
    ("command_id", "str", "The vendor's command id (SSM CommandId, Alibaba CommandId, Zenlayer commandId)."),
    ("invocation_id", "str", "The vendor's run id where it has one apart from the command (Alibaba InvokeId, Zenlayer invocationId)."),
    ("instance_id", "str", "The target instance, in the vendor's own id format."),
    ("instance_name", "str", "The instance's name, where the vendor reports one."),
    ("status", "str", "The instance's normalised status. With steps: the first status of its counted steps in the order "
     "failed, timed_out, cancelled, undeliverable, running, pending, success (skipped steps do not count)."),
    ("terminal", "bool", "Whether status is final."),
    ("vendor_status", "str", "The vendor's own status of the instance's run, unchanged."),
    ("vendor_status_details", "str", "The vendor's detail status or error code of the instance's run, unchanged. For an instance "
     "invocation_run did not send to (left out by the agent pre-flight, or in a batch of resolve_targets not sent), why, starting "
     "'not sent: '; for one whose batch may have started unconfirmed, starting 'may have started: '."),
    ("exit_code", "int", "The exit code of the step that decided status (of the run where the vendor has no steps); "
     "null unless that process ended by itself (success, failed): a vendor's code for a run it stopped, "
     "timed out or never started stays in raw."),
    ("stdout", "str", "Standard output of the step that decided status (of the run without steps), as far as the vendor keeps it."),
    ("stderr", "str", "Standard error, like stdout (SSM's list view joins the streams; they are split again)."),
    ("stdout_truncated", "bool", "The vendor cut stdout (SSM: 2,500 characters in the list view, 24,000 in GetCommandInvocation; "
     "Cloud Assistant: 24 KB, Dropped above 0) and no complete copy replaced it (fetch_complete_output)."),
    ("stderr_truncated", "bool", "The vendor cut stderr (SSM GetCommandInvocation: 8,000 characters), like stdout_truncated."),
    ("stdout_url", "str", "Where the vendor delivered the complete stdout (SSM OutputS3BucketName; Cloud Assistant's OssOutputUri, "
     "for a run started with OssOutputDelivery, with stderr merged as in its Output), if it did."),
    ("stderr_url", "str", "Where the vendor delivered the complete stderr, if it did."),
    ("output_log_group", "str", "aws_ssm: the CloudWatch Logs log group the command sent its complete output to "
     "(CloudWatchOutputConfig; /aws/ssm/<document> when enabled without a name), if it did."),
    ("stdout_file", "str", "With output_dir: the path of the file holding the deciding step's stdout (the run's, without "
     "steps) as complete as the task read it; null otherwise."),
    ("stderr_file", "str", "With output_dir: the path of the file holding stderr, like stdout_file."),
    ("stdout_omitted", "int", "Characters output_limit left out of stdout (its first and last halves are kept, joined by a "
     "line that gives this count); 0 when nothing was left out."),
    ("stderr_omitted", "int", "Characters output_limit left out of stderr; 0 when nothing was left out."),
    ("output_warnings", "list", "What went wrong with this record's output apart from the run (a file that could not be "
     "written, a complete copy that could not be fetched: NoSuchKey, AccessDenied, NotDelivered, PageLimitReached, "
     "ObjectTooLarge...), each a dict with code, message and, for a fetch, stream, step and the vendor's request_id; the "
     "verdict never depends on them."),
    ("requested_at", "str", "When the run was requested (ISO 8601 UTC)."),
    ("started_at", "str", "When the first step (or the run) started."),
    ("ended_at", "str", "When the last step (or the run) ended; null while open."),
    ("accepted", "bool", "Whether the instance counts as a success for the verdict; null while open."),
    ("accepted_by", "str", "What decided accepted: its status, success_when or failure_when."),
    ("outcome", "str", "What the failure policy made of the instance in a wait: passed, failed, not_finished (open when the wait "
     "ended) or ignored (undeliverable, with undeliverable: ignore); null outside a wait."),
    ("steps", "list", "The vendor's steps on this instance, in document order, each with the step fields below. "
     "aws_ssm: one per CommandPlugin (a one-step document gives one). alibaba_ecs and zenlayer_zos run one script "
     "per instance and report no steps: the list is empty and the record's own fields are the run's."),
    ("agent", "dict", "invocation_run with agent_check only: the target's agent when it was not online (instance_id, state "
     "lost or not_registered, ready, vendor_status, last_seen); null otherwise. A target left out by the pre-flight is an "
     "undeliverable record of its own with this field set."),
    ("window", "dict", "Maintenance windows only: window, execution, task and invocation ids, task type, parameters, owner "
     "information, window target id, and the Run Command records of the task."),
    ("raw", "dict", "The vendor's payload for this instance (for aws_ssm the invocation, plugins under CommandPlugins). "
     "Returned only with include_vendor_payload: records are compact by default. The conditions of a wait (success_when, "
     "failure_when) read it whatever that option says."),
)

# The fields of one entry of a record's ``steps``.
STEP_SCHEMA = (
    ("name", "str", "The step's name in the document (SSM CommandPlugin Name, such as aws:runShellScript or the step's name)."),
    ("status", "str", "The step's normalised status (the instance's when the vendor left the step pending on an instance that ended)."),
    ("vendor_status", "str", "The vendor's status of the step, unchanged."),
    ("vendor_status_details", "str", "The vendor's detail status of the step, unchanged."),
    ("exit_code", "int", "The step's exit code; null unless the step ended by itself (success, failed)."),
    ("stdout", "str", "The step's standard output."),
    ("stderr", "str", "The step's standard error."),
    ("stdout_truncated", "bool", "The vendor cut the step's stdout."),
    ("stderr_truncated", "bool", "The vendor cut the step's stderr."),
    ("stdout_url", "str", "Where the vendor delivered the step's complete stdout, if it did."),
    ("stderr_url", "str", "Where the vendor delivered the step's complete stderr, if it did."),
    ("stdout_file", "str", "With output_dir: the path of the file holding the step's stdout; null otherwise."),
    ("stderr_file", "str", "With output_dir: the path of the file holding the step's stderr; null otherwise."),
    ("stdout_omitted", "int", "Characters output_limit left out of the step's stdout; 0 when nothing was left out."),
    ("stderr_omitted", "int", "Characters output_limit left out of the step's stderr; 0 when nothing was left out."),
    ("started_at", "str", "When the step started."),
    ("ended_at", "str", "When the step ended; null while open."),
)

# Fields planned by later changes, written down before the option that fills them, so that the
# shape changes once; none changes a field above. Empty: ``raw`` became include_vendor_payload.
PLANNED_RECORD_FIELDS: tuple[tuple[str, str, str], ...] = ()

# The count, in a summary's ``counts``, of targets announced or asked for that are not visible.
NOT_VISIBLE = "not_visible"
# The count, in a progress summary's ``counts``, of targets a vendor's counters say have not ended
# but whose records are not read yet: pending or running, the counters do not say which, so they
# are not called by either status (an offline instance is pending, not running).
NOT_FINISHED = "not_finished"

RECORD_FIELDS = tuple(name for name, _type, _meaning in RECORD_SCHEMA)
STEP_FIELDS = tuple(name for name, _type, _meaning in STEP_SCHEMA)
# Which step statuses decide an instance's status, first match wins. Skipped steps do not count;
# an unknown or cancelling step keeps the instance open like a running one.
STEP_PRECEDENCE = (FAILED, TIMED_OUT, CANCELLED, UNDELIVERABLE, RUNNING, CANCELLING, UNKNOWN, PENDING, SUCCESS)


def make_record(provider: str, status: str, **fields: t.Any) -> dict[str, t.Any]:
    """A record with every field present (``None`` where the vendor said nothing, ``[]`` for steps)."""
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown record fields: {sorted(unknown)}")
    record: dict[str, t.Any] = {name: None for name in RECORD_FIELDS}
    record.update(steps=[], output_warnings=[], stdout_omitted=0, stderr_omitted=0)
    record.update(fields)
    record["provider"] = provider
    record["status"] = status
    record["terminal"] = is_terminal(status)
    record["exit_code"] = own_exit_code(status, record["exit_code"])
    if record["terminal"] and record["accepted"] is None:
        record["accepted"] = status == SUCCESS
        record["accepted_by"] = "status"
    for flag in ("stdout_truncated", "stderr_truncated"):
        record[flag] = bool(record[flag])
    return record


# The statuses of a process that ended by itself. A vendor may report an exit code for a run it
# stopped, killed at its timeout or never started (Alibaba reports ExitCode 0 for those, SSM the
# killed process's code): that is not the command's answer, so the record's exit_code is null there
# and the vendor's value stays in raw.
ENDED_BY_ITSELF = frozenset((SUCCESS, FAILED))


def own_exit_code(status: str, exit_code: t.Any) -> t.Any:
    """``exit_code`` where the process ended by itself (success, failed), else None."""
    return exit_code if status in ENDED_BY_ITSELF else None


def make_step(name: str | None, status: str, **fields: t.Any) -> dict[str, t.Any]:
    """One entry of a record's ``steps`` with every step field present."""
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"unknown step fields: {sorted(unknown)}")
    step: dict[str, t.Any] = {field: None for field in STEP_FIELDS}
    step.update(stdout_omitted=0, stderr_omitted=0)
    step.update(fields)
    step["name"] = name
    step["status"] = status
    step["exit_code"] = own_exit_code(status, step["exit_code"])
    for flag in ("stdout_truncated", "stderr_truncated"):
        step[flag] = bool(step[flag])
    return step


def deciding_step(steps: t.Sequence[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    """The step whose status is the instance's: the first, in document order, with the first status
    of ``STEP_PRECEDENCE`` any counted step has. None when no step counts (none, or all skipped)."""
    counted = [step for step in steps if step["status"] != SKIPPED]
    for status in STEP_PRECEDENCE:
        for step in counted:
            if step["status"] == status:
                return step
    return counted[0] if counted else None


def instance_fields(steps: t.Sequence[dict[str, t.Any]], fallback_status: str) -> tuple[str, dict[str, t.Any]]:
    """(status, record fields) of an instance from its steps: the deciding step's status, exit code
    and output, the first start and the last end. Without a counted step, ``fallback_status`` (the
    vendor's status of the instance's run) decides and the fields are empty."""
    step = deciding_step(steps)
    if step is None:
        return fallback_status, {"steps": list(steps)}
    status = step["status"]
    started = [s["started_at"] for s in steps if s["started_at"]]
    ended = [s["ended_at"] for s in steps if s["ended_at"]]
    fields = {name: step[name] for name in ("exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "stdout_url", "stderr_url")}
    fields["started_at"] = min(started) if started else None
    fields["ended_at"] = max(ended) if ended and is_terminal(status) else None
    fields["steps"] = list(steps)
    return status, fields


# What iso8601 writes: UTC to the millisecond, Z suffixed (ASCII digits only).
_ISO8601_UTC_MILLIS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")


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
        if _ISO8601_UTC_MILLIS.match(text):
            # Already what this gives (a record's time read again, a payload made plain before):
            # parsing and writing it again would give it back, or keep it when it is no real date.
            return text
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
    """The vendor-neutral aggregate of per-target statuses (docs/design.md, "Status model").

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

    ``expected`` is how many targets the vendor announced (SSM TargetCount) or the task knows were
    asked for (instance ids given to it, or sent by its own start). Those not visible count as
    ``counts.not_visible`` (and ``not_visible``, as before), and the aggregate takes them as still
    pending: with any of them missing it is never ``success``.
    """
    counts = {status: 0 for status in STATUSES}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    total = len(records)
    terminal = sum(1 for record in records if record["terminal"])
    expected_total = max(expected or 0, total)
    not_visible = expected_total - total
    counts[NOT_VISIBLE] = not_visible
    return {
        "total": total,
        "expected": expected_total,
        "not_visible": not_visible,
        "terminal": terminal,
        "open": total - terminal,
        "counts": counts,
        "aggregate": aggregate_status([record["status"] for record in records] + [PENDING] * not_visible),
        "vendor_aggregate": vendor_aggregate or {},
    }


def progress_line(summary: dict[str, t.Any], elapsed: float, budget: float | None) -> str:
    """One calm line for the operator: done out of expected, non-zero counts, time used."""
    parts = [f"{summary['terminal']}/{summary['expected']} done"]
    parts.extend(f"{count} {status.replace('_', ' ')}" for status, count in summary["counts"].items() if count and status != NOT_VISIBLE)
    if summary["not_visible"]:
        parts.append(f"{summary['not_visible']} not visible yet")
    used = f"{elapsed:.0f}s" if budget is None else f"{elapsed:.0f}s of {budget:.0f}s"
    return f"{', '.join(parts)} ({used})"


def pending_records(provider: str, run_id: str, command_id: str | None, instance_ids: t.Iterable[str], requested_at: str | None) -> list[dict[str, t.Any]]:
    """Records for a run just started on explicit instances (named by its own id), without another API call."""
    return [
        make_record(provider, PENDING, command_id=command_id, invocation_id=run_id, instance_id=instance_id, vendor_status="Pending",
                    requested_at=requested_at)
        for instance_id in instance_ids
    ]
