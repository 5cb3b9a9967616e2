# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SSM Maintenance Window task invocations: reads and waits, through the SSM provider's client.

The chain window -> execution -> task -> invocation is walked here so a user gives a window id
and gets records
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeMaintenanceWindowExecutionTaskInvocations.html).
For RUN_COMMAND tasks each invocation's ExecutionId is a
Run Command command id; the per-instance command records are read with ListCommandInvocations
over the execution's time range (50 a page, every command at once), not one call per command.
"""

from __future__ import annotations

import datetime
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, NotFound
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Watch
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import PROVIDER, invocation_records, plain
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_window_records import (
    RUN_COMMAND,
    WINDOW_PAGE_SIZE,
    execution_filters,
    execution_summary,
    filter_time,
    latest_execution,
    run_level_record,
    status_filter,
    task_identity,
    task_invocation_record,
    validate_window_selectors,
    window_status,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._record import parse_time
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import is_terminal
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

COMMAND_PAGE_SIZE = 50
# Commands are listed from a little before the earliest open invocation started: the window
# service and Run Command stamp times separately.
CLOCK_SLACK = datetime.timedelta(seconds=60)
# A window execution's default wait budget: Run Command's defaults (an hour to deliver, an hour to
# run) plus a margin, counted from the execution's start.
DEFAULT_BUDGET = 7260.0
MIN_BUDGET = 60.0


class WindowReader:
    """The window calls, every page, on the SSM provider's client (its errors and its counter)."""

    def __init__(self, provider: t.Any) -> None:
        self._provider = provider

    def _call(self, operation: str, **request: t.Any) -> dict[str, t.Any]:
        # The provider's own call: its client, its error classification and its api_calls count.
        return self._provider._call(operation, **request)  # pylint: disable=protected-access

    def _pages(self, operation: str, key: str, **request: t.Any) -> list[dict[str, t.Any]]:
        request["MaxResults"] = WINDOW_PAGE_SIZE
        items: list[dict[str, t.Any]] = []
        while True:
            response = self._call(operation, **request)
            items.extend(response.get(key) or [])
            token = response.get("NextToken")
            if not token:
                return items
            request["NextToken"] = token

    def executions(self, window_id: str, filters: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        request: dict[str, t.Any] = {"WindowId": window_id}
        if filters:
            request["Filters"] = filters
        return self._pages("describe_maintenance_window_executions", "WindowExecutions", **request)

    def execution(self, execution_id: str) -> dict[str, t.Any]:
        return plain(self._call("get_maintenance_window_execution", WindowExecutionId=execution_id))

    def tasks(self, execution_id: str) -> list[dict[str, t.Any]]:
        return plain(self._pages("describe_maintenance_window_execution_tasks", "WindowExecutionTaskIdentities", WindowExecutionId=execution_id))

    def task(self, execution_id: str, task_id: str) -> dict[str, t.Any]:
        response = self._call("get_maintenance_window_execution_task", WindowExecutionId=execution_id, TaskId=task_id)
        return task_identity(response)

    def invocations(self, execution_id: str, task_id: str, filters: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        request: dict[str, t.Any] = {"WindowExecutionId": execution_id, "TaskId": task_id}
        if filters:
            request["Filters"] = filters
        return plain(self._pages("describe_maintenance_window_execution_task_invocations", "WindowExecutionTaskInvocationIdentities", **request))

    def command_invocations(self, command_ids: list[str], since: datetime.datetime | None) -> dict[str, list[dict[str, t.Any]]]:
        """ListCommandInvocations items per command id, for every command in ``command_ids``.

        One command: its own list. Several: one list over the time they were sent (every page),
        then a per-command call only for any the time range missed.
        """
        wanted = set(command_ids)
        found: dict[str, list[dict[str, t.Any]]] = {command_id: [] for command_id in command_ids}
        if len(wanted) > 1 and since is not None:
            request: dict[str, t.Any] = {
                "Details": True,
                "MaxResults": COMMAND_PAGE_SIZE,
                "Filters": [{"key": "InvokedAfter", "value": filter_time(since - CLOCK_SLACK)}],
            }
            for item in self._command_pages(request):
                if item.get("CommandId") in wanted:
                    found[item["CommandId"]].append(item)
        for command_id in command_ids:
            if not found[command_id]:
                found[command_id] = self._command_pages({"Details": True, "MaxResults": COMMAND_PAGE_SIZE, "CommandId": command_id})
        return found

    def _command_pages(self, request: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        items: list[dict[str, t.Any]] = []
        while True:
            response = self._call("list_command_invocations", **request)
            items.extend(response.get("CommandInvocations") or [])
            token = response.get("NextToken")
            if not token:
                return items
            request["NextToken"] = token


def resolve(reader: WindowReader, params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The execution (and task ids) the selectors name: a handle, JSON-ready for checkpoints."""
    validate_window_selectors(params)
    window_id = params.get("window_id")
    execution_id = params.get("window_execution_id")
    if execution_id:
        try:
            execution = reader.execution(execution_id)
        except NotFound as error:
            error.message = f"maintenance window execution {execution_id} does not exist in this account and region ({error.message})"
            raise
    else:
        try:
            executions = reader.executions(window_id, execution_filters(params))
        except NotFound as error:
            error.message = f"maintenance window {window_id} does not exist in this account and region ({error.message})"
            raise
        chosen = latest_execution(executions)
        if chosen is None:
            bounds = " ".join(f"{name} {params[name]}" for name in ("executed_after", "executed_before") if params.get(name))
            raise NotFound(f"maintenance window {window_id} has no execution{' ' + bounds if bounds else ''} yet", provider=PROVIDER)
        execution = plain(chosen)
        execution_id = execution["WindowExecutionId"]
    execution.setdefault("WindowExecutionId", execution_id)
    return {
        "WindowId": window_id or execution.get("WindowId"),
        "WindowExecutionId": execution_id,
        "Execution": {key: value for key, value in execution.items() if key != "TaskIds"},
        "TaskIds": [params["window_task_id"]] if params.get("window_task_id") else None,
        "IncludeCommandDetails": params.get("include_command_details", True),
    }


def is_window_handle(handle: t.Any) -> bool:
    return isinstance(handle, dict) and "WindowExecutionId" in handle


class WindowWatch(Watch):
    """Reads of one window execution: every task, every invocation, their commands.

    A task whose invocations (and their commands) are all terminal, and which is terminal itself,
    is not asked for again. ``poll`` is the waiter's round; ``read`` is invocation_info's one look.
    """

    def __init__(self, provider: t.Any, handle: dict[str, t.Any], include_output: bool, statuses: t.Sequence[str] | None = None) -> None:
        self._reader = WindowReader(provider)
        self._handle = handle
        self._execution = dict(handle["Execution"])
        self._include_output = include_output
        self._filters = status_filter(statuses)
        self._details = handle.get("IncludeCommandDetails", True)
        self._settled: dict[str, tuple[dict[str, t.Any], list[dict[str, t.Any]]]] = {}
        # Commands whose records are all terminal are read once; open ones every round.
        self._command_cache: dict[str, list[dict[str, t.Any]]] = {}
        self._open_commands: dict[str, list[dict[str, t.Any]]] = {}
        self._task_ids: list[str] = []

    def _tasks(self) -> list[dict[str, t.Any]]:
        execution_id = self._handle["WindowExecutionId"]
        task_ids = self._handle.get("TaskIds")
        if task_ids:
            return [self._settled[task_id][0] if task_id in self._settled else self._reader.task(execution_id, task_id) for task_id in task_ids]
        if is_terminal(window_status(self._execution)) and self._task_ids and all(task_id in self._settled for task_id in self._task_ids):
            return [self._settled[task_id][0] for task_id in self._task_ids]
        tasks = self._reader.tasks(execution_id)
        self._task_ids = [task.get("TaskExecutionId") for task in tasks]
        return tasks

    def _commands(self, invocations: list[dict[str, t.Any]]) -> dict[str, list[dict[str, t.Any]]]:
        """Command records per command id, for the Run Command invocations not settled yet."""
        wanted = [item["ExecutionId"] for item in invocations if item.get("TaskType") == RUN_COMMAND and item.get("ExecutionId")]
        open_ids = [command_id for command_id in dict.fromkeys(wanted) if command_id not in self._command_cache]
        if open_ids:
            starts = [parse_time(item.get("StartTime")) for item in invocations if item.get("ExecutionId") in open_ids]
            known = [start for start in starts if start is not None]
            since = min(known) if known else parse_time(self._execution.get("StartTime"))
            listed = self._reader.command_invocations(open_ids, since)
            for command_id, items in listed.items():
                records = [record for item in items for record in invocation_records(item, self._include_output)]
                if records and all(record["terminal"] for record in records):
                    self._command_cache[command_id] = records
                else:
                    self._command_cache.pop(command_id, None)
                    self._open_commands[command_id] = records
        return {command_id: self._command_cache.get(command_id) or self._open_commands.get(command_id, []) for command_id in wanted}

    def snapshot(self) -> Snapshot:
        snapshot = Snapshot()
        execution_id = self._handle["WindowExecutionId"]
        if not is_terminal(window_status(self._execution)):
            fresh = self._reader.execution(execution_id)
            fresh.pop("TaskIds", None)
            self._execution.update(fresh)
        window_id = self._handle.get("WindowId")
        tasks = self._tasks()
        self._open_commands = {}
        complete = is_terminal(window_status(self._execution))
        for task in tasks:
            task_id = task.get("TaskExecutionId")
            if task_id in self._settled:
                snapshot.records.extend(self._settled[task_id][1])
                continue
            invocations = self._reader.invocations(execution_id, task_id, self._filters)
            commands = self._commands(invocations) if self._details else {}
            records = [task_invocation_record(item, window_id, task, commands.get(item.get("ExecutionId")) if self._details else None) for item in invocations]
            if not invocations and is_terminal(window_status(task)) and not self._filters:
                records = [run_level_record(window_id, self._execution, task)]
            snapshot.records.extend(records)
            done = is_terminal(window_status(task)) and all(record["terminal"] for record in records)
            if done and self._details:
                done = all(all(inner["terminal"] for inner in (record["window"]["command_invocations"] or [])) for record in records)
                done = done and all(
                    record["window"]["command_invocations"] for record in records if record["window"]["task_type"] == RUN_COMMAND and record["command_id"]
                )
            if done:
                self._settled[task_id] = (task, records)
            complete = complete and done
        if not tasks and is_terminal(window_status(self._execution)) and not self._filters:
            # A skipped execution has no tasks: one record says it did not run.
            snapshot.records.append(run_level_record(window_id, self._execution))
        snapshot.expected = len(snapshot.records)
        snapshot.vendor_aggregate[execution_id] = execution_summary(window_id, self._execution, tasks)
        snapshot.complete = complete
        return snapshot

    poll = snapshot


def window_budget(handle: dict[str, t.Any], now: datetime.datetime | None = None) -> float:
    """The default budget of a wait on a window execution, counted from its start."""
    started = parse_time(handle["Execution"].get("StartTime"))
    total = DEFAULT_BUDGET
    if started is not None:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        total -= max((now - started).total_seconds(), 0.0)
    return max(total, MIN_BUDGET)


# -- what the SSM provider's protocol methods call for window selectors ------------------------


def read(provider: t.Any, params: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], int, dict[str, t.Any]]:
    handle = resolve(WindowReader(provider), params)
    snapshot = WindowWatch(provider, handle, params.get("include_output", True), params.get("statuses")).snapshot()
    return snapshot.records, snapshot.expected, snapshot.vendor_aggregate


def read_raw(provider: t.Any, params: dict[str, t.Any]) -> dict[str, t.Any]:
    reader = WindowReader(provider)
    handle = resolve(reader, params)
    execution_id = handle["WindowExecutionId"]
    tasks = [reader.task(execution_id, task_id) for task_id in handle["TaskIds"]] if handle["TaskIds"] else reader.tasks(execution_id)
    filters = status_filter(params.get("statuses"))
    return {
        "WindowExecution": handle["Execution"],
        "WindowExecutionTaskIdentities": tasks,
        "WindowExecutionTaskInvocationIdentities": [
            item for task in tasks for item in reader.invocations(handle["WindowExecutionId"], task["TaskExecutionId"], filters)
        ],
    }


def wait_targets(provider: t.Any, params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    # The options a window wait does not take were refused before (_capabilities.WAIT_KINDS).
    return [resolve(WindowReader(provider), params)]


def watch(provider: t.Any, handles: list[dict[str, t.Any]], include_output: bool) -> WindowWatch:
    if len(handles) != 1:
        raise InvalidInput("a maintenance window wait covers one window execution", provider=PROVIDER)
    return WindowWatch(provider, handles[0], include_output)
