# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SSM Maintenance Window task invocations as normalised records; the window selectors, checked.

Pure functions over boto3 response data: no client, no I/O. The chain window -> execution ->
task -> invocation, the status enum and the filters are in the SSM API reference
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeMaintenanceWindowExecutionTaskInvocations.html).
"""

from __future__ import annotations

import datetime
import json
import re
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import WAIT_KINDS
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._record import iso8601, make_record, parse_time
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import PROVIDER, plain
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import AWS_SSM_WINDOW, is_terminal, lookup, vendor_key

WINDOW_ID_PATTERN = re.compile(r"^mw-[0-9a-f]{17}$")
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# DescribeMaintenanceWindow* take MaxResults 10 to 100; we always ask for the most.
WINDOW_PAGE_SIZE = 100
RUN_COMMAND = "RUN_COMMAND"
# The options that select maintenance window runs instead of commands.
WINDOW_SELECTORS = WAIT_KINDS["window"].selectors
# The STATUS filter of DescribeMaintenanceWindowExecutionTaskInvocations, in the service's spelling.
WINDOW_STATUS_VALUES = ("PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "TIMED_OUT", "CANCELLING", "CANCELLED", "SKIPPED_OVERLAPPING")


def selects_window(params: dict[str, t.Any]) -> bool:
    return any(params.get(name) for name in WINDOW_SELECTORS)


def validate_window_selectors(params: dict[str, t.Any]) -> None:
    """Check the window options before any call: formats, and which combinations make sense."""
    if params.get("command_id") or params.get("command_ids") or params.get("instance_id"):
        raise InvalidInput("window_id / window_execution_id select maintenance window runs: do not combine them with command_id(s) or instance_id")
    window_id = params.get("window_id")
    execution_id = params.get("window_execution_id")
    task_id = params.get("window_task_id")
    if window_id and not WINDOW_ID_PATTERN.match(str(window_id)):
        raise InvalidInput(
            f"window_id {window_id!r} is not a maintenance window id: expected 'mw-' and 17 hexadecimal characters, such as 'mw-0c50858d01EXAMPLE'"
        )
    for name, value in (("window_execution_id", execution_id), ("window_task_id", task_id)):
        if value and not UUID_PATTERN.match(str(value)):
            raise InvalidInput(f"{name} {value!r} is not a maintenance window id of 36 characters such as '14bea65d-5ccc-462d-a2f3-e99c8EXAMPLE'")
    if task_id and not execution_id:
        raise InvalidInput("window_task_id is the task execution id of one window execution: give window_execution_id with it")
    if (params.get("executed_after") or params.get("executed_before")) and not window_id:
        raise InvalidInput("executed_after / executed_before choose among the executions of a window: give window_id with them")
    if window_id and execution_id:
        raise InvalidInput("give either window_id (its latest execution) or window_execution_id (one execution), not both")
    for name in ("executed_after", "executed_before"):
        if params.get(name) and parse_time(str(params[name])) is None:
            raise InvalidInput(f"{name} {params[name]!r} is not an ISO 8601 date and time such as '2026-11-22T02:00:00Z'")


def filter_time(moment: datetime.datetime) -> str:
    """A time as the SSM filters document it: ISO 8601 UTC to the second, such as 2026-11-22T02:00:00Z."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def execution_filters(params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """DescribeMaintenanceWindowExecutions filters for executed_after / executed_before."""
    filters = []
    for name, key in (("executed_after", "ExecutedAfter"), ("executed_before", "ExecutedBefore")):
        if params.get(name):
            filters.append({"Key": key, "Values": [filter_time(parse_time(str(params[name])))]})
    return filters


def status_filter(statuses: t.Sequence[str] | None) -> list[dict[str, t.Any]]:
    """The STATUS filter for the normalised ``statuses`` option ([] when it selects no vendor value)."""
    if not statuses:
        return []
    values = [value for value in WINDOW_STATUS_VALUES if AWS_SSM_WINDOW[vendor_key(value)] in statuses]
    return [{"Key": "STATUS", "Values": values}] if values else []


def latest_execution(executions: t.Sequence[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    """The execution that started last (the service lists newest first, but do not rely on it)."""
    best = None
    best_start = None
    for execution in executions:
        start = parse_time(plain(execution).get("StartTime"))
        if best is None or (start is not None and (best_start is None or start > best_start)):
            best, best_start = execution, start
    return best


def window_status(item: dict[str, t.Any]) -> str:
    return lookup(AWS_SSM_WINDOW, item.get("Status"))


def parse_parameters(value: t.Any) -> t.Any:
    """Parameters arrive as a JSON string; a string that is not JSON is kept as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def single_instance(parameters: t.Any) -> str | None:
    """The instance of a Run Command task invocation, when its parameters name exactly one."""
    if isinstance(parameters, dict):
        instance_ids = parameters.get("instanceIds") or parameters.get("InstanceIds") or []
        if isinstance(instance_ids, list) and len(instance_ids) == 1:
            return str(instance_ids[0])
    return None


def task_invocation_record(
    item: dict[str, t.Any], window_id: str | None, task: dict[str, t.Any] | None, command_records: list[dict[str, t.Any]] | None
) -> dict[str, t.Any]:
    """One record per task invocation; ``command_records`` are its Run Command records, if read."""
    item = plain(item)
    task = plain(task or {})
    status = window_status(item)
    parameters = parse_parameters(item.get("Parameters"))
    task_type = item.get("TaskType") or task.get("TaskType")
    is_command = task_type == RUN_COMMAND
    instance_id = single_instance(parameters)
    fields: dict[str, t.Any] = {}
    if command_records:
        instance_ids = {record["instance_id"] for record in command_records}
        if len(instance_ids) == 1:
            instance_id = instance_id or next(iter(instance_ids))
        if len(command_records) == 1:
            # One instance: its steps, exit code and output are the invocation's.
            only = command_records[0]
            for name in ("instance_name", "steps", "exit_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "stdout_url", "stderr_url"):
                fields[name] = only[name]
            # Where the command sent its complete output in CloudWatch Logs (fetch_complete_output reads it).
            fields["output_log_group"] = only.get("output_log_group")
    window = {
        "window_id": window_id,
        "window_execution_id": item.get("WindowExecutionId"),
        "task_execution_id": item.get("TaskExecutionId"),
        "invocation_id": item.get("InvocationId"),
        "execution_id": item.get("ExecutionId") or None,
        "task_type": task_type,
        "task_arn": task.get("TaskArn"),
        "parameters": parameters,
        "owner_information": item.get("OwnerInformation"),
        "window_target_id": item.get("WindowTargetId") or None,
        "command_invocations": command_records if is_command and command_records is not None else None,
    }
    return make_record(
        PROVIDER,
        status,
        command_id=(item.get("ExecutionId") or None) if is_command else None,
        invocation_id=item.get("InvocationId"),
        instance_id=instance_id,
        vendor_status=item.get("Status"),
        vendor_status_details=item.get("StatusDetails"),
        started_at=iso8601(item.get("StartTime")),
        ended_at=iso8601(item.get("EndTime")) if is_terminal(status) else None,
        window=window,
        raw=item,
        **fields,
    )


def run_level_record(window_id: str | None, execution: dict[str, t.Any], task: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    """A record for an execution or a task that ended with no task invocation at all.

    A skipped execution (SKIPPED_OVERLAPPING) has no tasks: without this record it would read as
    "nothing to see" instead of "did not run".
    """
    execution = plain(execution)
    level = plain(task) if task else execution
    status = window_status(level)
    window = {
        "window_id": window_id or execution.get("WindowId"),
        "window_execution_id": execution.get("WindowExecutionId"),
        "task_execution_id": level.get("TaskExecutionId") if task else None,
        "invocation_id": None,
        "execution_id": None,
        "task_type": level.get("TaskType") or level.get("Type") if task else None,
        "task_arn": level.get("TaskArn") if task else None,
        "parameters": None,
        "owner_information": None,
        "window_target_id": None,
        "command_invocations": None,
    }
    return make_record(
        PROVIDER,
        status,
        vendor_status=level.get("Status"),
        vendor_status_details=level.get("StatusDetails"),
        started_at=iso8601(level.get("StartTime")),
        ended_at=iso8601(level.get("EndTime")) if is_terminal(status) else None,
        window=window,
        raw=level,
    )


def execution_summary(window_id: str | None, execution: dict[str, t.Any], tasks: t.Sequence[dict[str, t.Any]]) -> dict[str, t.Any]:
    """The service's own statuses of the execution and its tasks, kept beside our aggregate."""
    execution = plain(execution)
    return {
        "window_id": window_id or execution.get("WindowId"),
        "status": execution.get("Status"),
        "status_details": execution.get("StatusDetails"),
        "normalised": window_status(execution),
        "start_time": execution.get("StartTime"),
        "end_time": execution.get("EndTime"),
        "tasks": {
            task.get("TaskExecutionId"): {
                "status": task.get("Status"),
                "status_details": task.get("StatusDetails"),
                "normalised": window_status(task),
                "task_type": task.get("TaskType"),
                "task_arn": task.get("TaskArn"),
            }
            for task in (plain(item) for item in tasks)
        },
    }


def task_identity(task: dict[str, t.Any]) -> dict[str, t.Any]:
    """GetMaintenanceWindowExecutionTask's answer in the shape DescribeMaintenanceWindowExecutionTasks lists."""
    task = plain(task)
    keys = ("WindowExecutionId", "TaskExecutionId", "Status", "StatusDetails", "StartTime", "EndTime", "TaskArn")
    identity = {key: task[key] for key in keys if key in task}
    identity["TaskType"] = task.get("TaskType") or task.get("Type")
    return identity
