# AWS Systems Manager Maintenance Windows on top of the SSM front-end (the SSM API reference).
#
# Windows, their targets and RUN_COMMAND tasks are registered through the API; an execution is
# started by the control endpoint POST /_fleetsim/window-executions (AWS starts them on a
# schedule). Each task invocation is one real Run Command command to one instance, sent through
# the SSM front-end's SendCommand, so it runs exactly as any other command. The window applies
# the task's own MaxConcurrency / MaxErrors across its invocations: an invocation is created when
# the window dispatches it, and after too many errors the rest of the task is never dispatched.
# A start while an execution of the same window is still open is SKIPPED_OVERLAPPING.
from __future__ import annotations

import datetime
import json
import re
import threading
import uuid
from typing import Any, Callable

from fleetsim import engine as e
from fleetsim import paging, ssm_status
from fleetsim.wire import VendorError

WINDOW_ID_RE = re.compile(r"^mw-[0-9a-f]{17}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TASK_TYPES = ("RUN_COMMAND", "AUTOMATION", "STEP_FUNCTIONS", "LAMBDA")
OPEN = ("PENDING", "IN_PROGRESS", "CANCELLING")
STATUS_VALUES = ("PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "TIMED_OUT", "CANCELLING", "CANCELLED", "SKIPPED_OVERLAPPING")
ERROR_STATUSES = ("FAILED", "TIMED_OUT")
TICK = 0.05

# Engine phase of the task invocation's one command -> (window Status, StatusDetails).
PHASE_STATUS = {
    e.PENDING: ("IN_PROGRESS", "Pending"),
    e.DELAYED: ("IN_PROGRESS", "Delayed"),
    e.RUNNING: ("IN_PROGRESS", "InProgress"),
    e.CANCELLING: ("CANCELLING", "Cancelling"),
    e.SUCCESS: ("SUCCESS", "Success"),
    e.FAILED: ("FAILED", "Failed"),
    e.EXECUTION_TIMED_OUT: ("TIMED_OUT", "ExecutionTimedOut"),
    e.DELIVERY_TIMED_OUT: ("FAILED", "DeliveryTimedOut"),
    e.UNDELIVERABLE: ("FAILED", "Undeliverable"),
    e.INVALID_PLATFORM: ("FAILED", "InvalidPlatform"),
    e.TERMINATED: ("CANCELLED", "Terminated"),
    e.CANCELLED: ("CANCELLED", "Cancelled"),
}


class WindowError(VendorError):
    """Raised to the SSM front-end, which renders it as an AWS error (code, message)."""


def _validation(field: str, value: Any, constraint: str) -> WindowError:
    return WindowError("ValidationException",
                       f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}")


def _epoch(ts: float | None) -> float | None:
    return None if ts is None else round(ts, 3)


def _parse_iso(value: str) -> float:
    stamp = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


class Window:
    def __init__(self, window_id: str, name: str, schedule: str, duration: int, cutoff: int) -> None:
        self.id = window_id
        self.name = name
        self.schedule = schedule
        self.duration = duration
        self.cutoff = cutoff
        self.targets: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}


class TaskInvocation:
    def __init__(self, task: "TaskExecution", instance: e.Instance, window_target_id: str, owner: str, started: float) -> None:
        self.id = str(uuid.uuid4())
        self.task = task
        self.instance = instance
        self.window_target_id = window_target_id
        self.owner_information = owner
        self.start_time = started
        self.command: e.Command | None = None
        self.parameters = ""
        self.error = ""   # SendCommand refused the task's command: the invocation failed at once

    def status(self, now: float) -> tuple[str, str, float | None]:
        """(Status, StatusDetails, EndTime) from the phase of its command."""
        if self.error:
            return "FAILED", self.error[:250], self.start_time
        inv = self.command.invocations[0] if self.command and self.command.invocations else None
        if inv is None:
            return "PENDING", "Pending", None
        phase = inv.phase_at(now)
        status, details = PHASE_STATUS[phase]
        return status, details, inv.ended_at if phase not in e.OPEN_PHASES else None


class TaskExecution:
    def __init__(self, execution: "WindowExecution", task: dict[str, Any]) -> None:
        self.id = str(uuid.uuid4())
        self.execution = execution
        self.task = task
        self.targets: list[tuple[e.Instance, str, str]] = []   # (instance, window target id, owner information)
        self.invocations: list[TaskInvocation] = []
        self.status = "PENDING"
        self.status_details = ""
        self.start_time: float | None = None
        self.end_time: float | None = None
        self.max_concurrency = 1
        self.max_errors = 0


class WindowExecution:
    def __init__(self, window: Window, now: float) -> None:
        self.id = str(uuid.uuid4())
        self.window = window
        self.start_time = now
        self.end_time: float | None = None
        self.status = "IN_PROGRESS"
        self.status_details = ""
        self.tasks: list[TaskExecution] = []


class MaintenanceWindows:
    """Window state and the Maintenance Window operations of the SSM front-end.

    ``send`` is the SSM front-end's SendCommand (params, identity) -> response, so a task
    invocation's command is validated, stored and run like any other command.
    """

    def __init__(self, engine: e.Engine, send: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
        self.engine = engine
        self._send = send
        self.windows: dict[str, Window] = {}
        self.executions: list[WindowExecution] = []
        self.execution_by_id: dict[str, WindowExecution] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def operations(self) -> dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]]:
        return {
            "CreateMaintenanceWindow": self.create_window,
            "RegisterTargetWithMaintenanceWindow": self.register_target,
            "RegisterTaskWithMaintenanceWindow": self.register_task,
            "DescribeMaintenanceWindowExecutions": self.describe_executions,
            "GetMaintenanceWindowExecution": self.get_execution,
            "DescribeMaintenanceWindowExecutionTasks": self.describe_tasks,
            "GetMaintenanceWindowExecutionTask": self.get_task,
            "DescribeMaintenanceWindowExecutionTaskInvocations": self.describe_invocations,
            "GetMaintenanceWindowExecutionTaskInvocation": self.get_invocation,
        }

    def reset(self) -> None:
        with self.engine.lock:
            self.windows.clear()
            self.executions.clear()
            self.execution_by_id.clear()

    # -- registration -----------------------------------------------------------------------

    def create_window(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        name = params.get("Name")
        if not isinstance(name, str) or not 3 <= len(name) <= 128:
            raise _validation("name", name, "Member must have length between 3 and 128")
        schedule = params.get("Schedule")
        if not isinstance(schedule, str) or not schedule:
            raise _validation("schedule", schedule, "Member must not be null")
        duration, cutoff = params.get("Duration"), params.get("Cutoff")
        if not isinstance(duration, int) or not 1 <= duration <= 24:
            raise _validation("duration", duration, "Member must have value between 1 and 24")
        if not isinstance(cutoff, int) or not 0 <= cutoff <= 23 or cutoff >= duration:
            raise _validation("cutoff", cutoff, "Member must have value between 0 and 23, less than Duration")
        if not isinstance(params.get("AllowUnassociatedTargets"), bool):
            raise _validation("allowUnassociatedTargets", params.get("AllowUnassociatedTargets"), "Member must not be null")
        window = Window("mw-" + uuid.uuid4().hex[:17], name, schedule, duration, cutoff)
        self.windows[window.id] = window
        return {"WindowId": window.id}

    def _window(self, params: dict[str, Any]) -> Window:
        window_id = params.get("WindowId")
        if not isinstance(window_id, str) or not WINDOW_ID_RE.match(window_id):
            raise _validation("windowId", window_id, "Member must satisfy regular expression pattern: ^mw-[0-9a-f]{17}$")
        window = self.windows.get(window_id)
        if window is None:
            raise WindowError("DoesNotExistException", f"Maintenance window {window_id} does not exist")
        return window

    def _instances_for(self, targets: Any) -> list[e.Instance]:
        if not isinstance(targets, list) or not 1 <= len(targets) <= 5:
            raise _validation("targets", targets, "Member must have length between 1 and 5")
        selected = list(self.engine.instances)
        for target in targets:
            if not isinstance(target, dict) or not isinstance(target.get("Key"), str) or not isinstance(target.get("Values"), list):
                raise _validation("targets", target, "Member must have Key and Values")
            key, values = target["Key"], [str(v) for v in target["Values"]]
            if key.startswith("tag:") and len(key) > 4:
                selected = [inst for inst in selected if inst.tags.get(key[4:]) in values]
            elif key == "InstanceIds":
                unknown = [v for v in values if v not in self.engine.instance_by_id]
                if unknown:
                    raise WindowError("InvalidParameters", f"Instances {unknown} are not managed nodes of this account.")
                selected = [inst for inst in selected if inst.id in values]
            else:
                raise WindowError("InvalidParameters", f"Target key {key} is not supported (use tag:<key> or InstanceIds).")
        return selected

    def register_target(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        window = self._window(params)
        if params.get("ResourceType") != "INSTANCE":
            raise _validation("resourceType", params.get("ResourceType"), "fleetsim supports ResourceType INSTANCE only")
        targets = params.get("Targets")
        self._instances_for(targets)   # validated now, resolved again when an execution starts
        owner = params.get("OwnerInformation", "")
        if not isinstance(owner, str) or len(owner) > 128:
            raise _validation("ownerInformation", owner, "Member must have length less than or equal to 128")
        target_id = str(uuid.uuid4())
        window.targets[target_id] = {"Targets": targets, "OwnerInformation": owner, "Name": params.get("Name", "")}
        return {"WindowTargetId": target_id}

    def register_task(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        window = self._window(params)
        task_type = params.get("TaskType")
        if task_type not in TASK_TYPES:
            raise _validation("taskType", task_type, f"Member must satisfy enum value set: {list(TASK_TYPES)}")
        if task_type != "RUN_COMMAND":
            raise WindowError("FeatureNotAvailableException", f"fleetsim runs RUN_COMMAND tasks only, not {task_type}")
        task_arn = params.get("TaskArn")
        if not isinstance(task_arn, str) or not task_arn:
            raise _validation("taskArn", task_arn, "Member must not be null")
        targets = params.get("Targets")
        if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], dict):
            raise _validation("targets", targets, "Member must have length 1 (WindowTargetIds or InstanceIds)")
        key, values = targets[0].get("Key"), targets[0].get("Values") or []
        if key == "WindowTargetIds":
            unknown = [v for v in values if v not in window.targets]
            if unknown:
                raise WindowError("DoesNotExistException", f"Window targets {unknown} do not exist in window {window.id}")
        elif key == "InstanceIds":
            self._instances_for(targets)
        else:
            raise WindowError("InvalidParameters", "Task targets must be WindowTargetIds or InstanceIds")
        max_concurrency = params.get("MaxConcurrency", "1")
        max_errors = params.get("MaxErrors", "0")
        if not isinstance(max_concurrency, str) or not re.match(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$", max_concurrency):
            raise _validation("maxConcurrency", max_concurrency, "Member must be a count or a percentage")
        if not isinstance(max_errors, str) or not re.match(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$", max_errors):
            raise _validation("maxErrors", max_errors, "Member must be a count or a percentage")
        run_command = ((params.get("TaskInvocationParameters") or {}).get("RunCommand") or {})
        command = {"DocumentName": task_arn, "Parameters": run_command.get("Parameters") or {},
                   "TimeoutSeconds": run_command.get("TimeoutSeconds", 3600), "Comment": run_command.get("Comment", "")}
        task_id = str(uuid.uuid4())
        window.tasks[task_id] = {
            "WindowTaskId": task_id, "TaskArn": task_arn, "TaskType": task_type, "Targets": targets,
            "MaxConcurrency": max_concurrency, "MaxErrors": max_errors, "Priority": int(params.get("Priority", 1)),
            "Command": command, "Identity": identity, "Order": len(window.tasks),
        }
        return {"WindowTaskId": task_id}

    # -- executions -------------------------------------------------------------------------

    def start_execution(self, window_id: str) -> dict[str, Any]:
        """The control endpoint: start an execution of the window now."""
        with self.engine.lock:
            window = self._window({"WindowId": window_id})
            now = self.engine.now()
            self.advance(now)
            execution = WindowExecution(window, now)
            if any(other.window is window and other.status in OPEN for other in self.executions):
                execution.status = "SKIPPED_OVERLAPPING"
                execution.status_details = "The previous execution of this maintenance window is still running"
                execution.end_time = now
            else:
                for task in sorted(window.tasks.values(), key=lambda item: (item["Priority"], item["Order"])):
                    task_execution = TaskExecution(execution, task)
                    task_execution.targets = self._task_targets(window, task)
                    count = len(task_execution.targets)
                    task_execution.max_concurrency = ssm_status.resolve_rate(task["MaxConcurrency"], count, 1)
                    task_execution.max_errors = ssm_status.resolve_rate(task["MaxErrors"], count, 0)
                    execution.tasks.append(task_execution)
            self.executions.append(execution)
            self.execution_by_id[execution.id] = execution
            self.advance(now)
            self._ensure_thread()
            return {"window_execution_id": execution.id, "status": execution.status,
                    "task_execution_ids": [task.id for task in execution.tasks]}

    def _task_targets(self, window: Window, task: dict[str, Any]) -> list[tuple[e.Instance, str, str]]:
        key, values = task["Targets"][0]["Key"], task["Targets"][0]["Values"]
        if key == "InstanceIds":
            return [(inst, "", "") for inst in self._instances_for(task["Targets"])]
        chosen: list[tuple[e.Instance, str, str]] = []
        seen: set[str] = set()
        for target_id in values:
            target = window.targets[target_id]
            for inst in self._instances_for(target["Targets"]):
                if inst.id not in seen:
                    seen.add(inst.id)
                    chosen.append((inst, target_id, target["OwnerInformation"]))
        return chosen

    def _ensure_thread(self) -> None:
        """Executions move on by themselves (a wait that only reads commands must see progress)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="fleetsim-windows", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(TICK):
            with self.engine.lock:
                self.advance(self.engine.now())
                if not any(execution.status in OPEN for execution in self.executions):
                    return

    def close(self) -> None:
        self._stop.set()

    def advance(self, now: float) -> None:
        """Dispatch, settle and end tasks of every open execution, tasks one after another by priority."""
        for execution in self.executions:
            if execution.status not in OPEN:
                continue
            for task in execution.tasks:
                if task.status not in OPEN:
                    continue
                self._advance_task(task, now)
                if task.status in OPEN:
                    break
            if all(task.status not in OPEN for task in execution.tasks):
                failed = [task for task in execution.tasks if task.status != "SUCCESS"]
                execution.status = failed[0].status if failed else "SUCCESS"
                execution.status_details = f"{len(failed)} of {len(execution.tasks)} tasks did not succeed" if failed else ""
                execution.end_time = max([task.end_time or now for task in execution.tasks] or [now])

    def _advance_task(self, task: TaskExecution, now: float) -> None:
        if task.start_time is None:
            task.start_time = now
            task.status = "IN_PROGRESS"
        states = [invocation.status(now) for invocation in task.invocations]
        running = sum(1 for status, _details, _end in states if status in OPEN)
        errors = sum(1 for status, _details, _end in states if status in ERROR_STATUSES)
        aborted = errors > task.max_errors
        if not aborted:
            while len(task.invocations) < len(task.targets) and running < task.max_concurrency:
                self._dispatch(task, now)
                running += 1
        if running:
            return
        states = [invocation.status(now) for invocation in task.invocations]
        undispatched = len(task.targets) - len(task.invocations)
        if aborted or undispatched:
            task.status = "FAILED"
            task.status_details = f"The maximum number of errors ({task.max_errors}) was exceeded; {undispatched} targets were not run"
        elif all(status == "SUCCESS" for status, _details, _end in states):
            task.status, task.status_details = "SUCCESS", ""
        elif states and all(status == "TIMED_OUT" for status, _details, _end in states):
            task.status, task.status_details = "TIMED_OUT", ""
        else:
            task.status = "FAILED"
            task.status_details = f"{sum(1 for status, _d, _e in states if status != 'SUCCESS')} of {len(states)} invocations did not succeed"
        task.end_time = max([end or now for _status, _details, end in states] or [now])

    def _dispatch(self, task: TaskExecution, now: float) -> None:
        instance, target_id, owner = task.targets[len(task.invocations)]
        invocation = TaskInvocation(task, instance, target_id, owner, now)
        definition = task.task["Command"]
        request = {
            "DocumentName": definition["DocumentName"],
            "InstanceIds": [instance.id],
            "Parameters": definition["Parameters"],
            "TimeoutSeconds": definition["TimeoutSeconds"],
            "Comment": (definition["Comment"] or f"{task.execution.window.id} {task.id}")[:100],
        }
        invocation.parameters = json.dumps({
            "documentName": request["DocumentName"], "instanceIds": request["InstanceIds"],
            "parameters": request["Parameters"], "timeoutSeconds": request["TimeoutSeconds"],
            "maxConcurrency": "1", "maxErrors": "0", "comment": request["Comment"],
        }, separators=(",", ":"))
        task.invocations.append(invocation)
        try:
            command_id = self._send(request, task.task["Identity"])["Command"]["CommandId"]
        except Exception as exc:  # pylint: disable=broad-except  # a refused command is a failed invocation
            invocation.error = f"{getattr(exc, 'code', type(exc).__name__)}: {getattr(exc, 'message', str(exc))}"
            return
        invocation.command = self.engine.get_command(command_id)

    # -- reads ------------------------------------------------------------------------------

    @staticmethod
    def _max_results(params: dict[str, Any]) -> int:
        value = params.get("MaxResults", 10)
        if not isinstance(value, int) or isinstance(value, bool) or not 10 <= value <= 100:
            raise _validation("maxResults", value, "Member must have value between 10 and 100")
        return value

    @staticmethod
    def _filters(params: dict[str, Any], allowed: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        filters = params.get("Filters")
        if filters is None:
            return []
        if not isinstance(filters, list) or len(filters) > 5:
            raise _validation("filters", filters, "Member must have length less than or equal to 5")
        result = []
        for item in filters:
            if not isinstance(item, dict) or not isinstance(item.get("Key"), str) or not isinstance(item.get("Values"), list):
                raise _validation("filters", item, "Member must contain Key and Values")
            if item["Key"] not in allowed:
                raise _validation("filters.member.key", item["Key"], f"Member must be one of {list(allowed)}")
            values = [str(value) for value in item["Values"]]
            if item["Key"] == "STATUS":
                bad = [value for value in values if value not in STATUS_VALUES]
                if bad:
                    raise _validation("filters.member.values", bad, f"Member must be one of {list(STATUS_VALUES)}")
            else:
                try:
                    [_parse_iso(value) for value in values]
                except ValueError as exc:
                    raise _validation("filters.member.values", values, "Member must be an ISO 8601 date-time") from exc
            result.append((item["Key"], values))
        return result

    @staticmethod
    def _page(items: list[dict[str, Any]], params: dict[str, Any], query: Any, key: str) -> dict[str, Any]:
        limit = MaintenanceWindows._max_results(params)
        try:
            offset = paging.read_token(params.get("NextToken"), query)
        except paging.BadToken as exc:
            raise WindowError("ValidationException", "The specified NextToken is not valid.") from exc
        result: dict[str, Any] = {key: items[offset:offset + limit]}
        if offset + limit < len(items):
            result["NextToken"] = paging.make_token(offset + limit, query)
        return result

    def _execution(self, params: dict[str, Any]) -> WindowExecution:
        execution_id = params.get("WindowExecutionId")
        if not isinstance(execution_id, str) or not UUID_RE.match(execution_id):
            raise _validation("windowExecutionId", execution_id, "Member must have length equal to 36")
        execution = self.execution_by_id.get(execution_id)
        if execution is None:
            raise WindowError("DoesNotExistException", f"Maintenance window execution {execution_id} does not exist")
        return execution

    @staticmethod
    def _task(execution: WindowExecution, params: dict[str, Any]) -> TaskExecution:
        task_id = params.get("TaskId")
        if not isinstance(task_id, str) or not UUID_RE.match(task_id):
            raise _validation("taskId", task_id, "Member must have length equal to 36")
        for task in execution.tasks:
            if task.id == task_id:
                return task
        raise WindowError("DoesNotExistException", f"Task {task_id} does not exist in maintenance window execution {execution.id}")

    @staticmethod
    def _render_execution(execution: WindowExecution) -> dict[str, Any]:
        item = {"WindowId": execution.window.id, "WindowExecutionId": execution.id, "Status": execution.status,
                "StartTime": _epoch(execution.start_time)}
        if execution.status_details:
            item["StatusDetails"] = execution.status_details
        if execution.end_time is not None:
            item["EndTime"] = _epoch(execution.end_time)
        return item

    def describe_executions(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        window = self._window(params)
        filters = self._filters(params, ("ExecutedBefore", "ExecutedAfter"))
        self.advance(self.engine.now())
        chosen = [execution for execution in self.executions if execution.window is window]
        for key, values in filters:
            moment = _parse_iso(values[0])
            chosen = [x for x in chosen if (x.start_time >= moment if key == "ExecutedAfter" else x.start_time <= moment)]
        # Newest first, as the service lists them.
        items = [self._render_execution(execution) for execution in reversed(chosen)]
        return self._page(items, params, {"op": "executions", "w": window.id, "f": filters}, "WindowExecutions")

    def get_execution(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        execution = self._execution(params)
        self.advance(self.engine.now())
        item = self._render_execution(execution)
        del item["WindowId"]
        item["TaskIds"] = [task.id for task in execution.tasks]
        return item

    @staticmethod
    def _render_task(task: TaskExecution) -> dict[str, Any]:
        item = {"WindowExecutionId": task.execution.id, "TaskExecutionId": task.id, "Status": task.status,
                "TaskArn": task.task["TaskArn"], "TaskType": task.task["TaskType"]}
        if task.status_details:
            item["StatusDetails"] = task.status_details
        if task.start_time is not None:
            item["StartTime"] = _epoch(task.start_time)
        if task.end_time is not None:
            item["EndTime"] = _epoch(task.end_time)
        return item

    def describe_tasks(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        execution = self._execution(params)
        filters = self._filters(params, ("STATUS",))
        self.advance(self.engine.now())
        items = [self._render_task(task) for task in execution.tasks]
        for _key, values in filters:
            items = [item for item in items if item["Status"] in values]
        return self._page(items, params, {"op": "tasks", "x": execution.id, "f": filters}, "WindowExecutionTaskIdentities")

    def get_task(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        execution = self._execution(params)
        task = self._task(execution, params)
        self.advance(self.engine.now())
        item = self._render_task(task)
        item["Type"] = item.pop("TaskType")
        item.update({"ServiceRole": "", "Priority": task.task["Priority"], "MaxConcurrency": task.task["MaxConcurrency"],
                     "MaxErrors": task.task["MaxErrors"], "TaskParameters": []})
        return item

    def _render_invocation(self, invocation: TaskInvocation, now: float) -> dict[str, Any]:
        status, details, end = invocation.status(now)
        item = {
            "WindowExecutionId": invocation.task.execution.id,
            "TaskExecutionId": invocation.task.id,
            "InvocationId": invocation.id,
            "ExecutionId": invocation.command.id if invocation.command else "",
            "TaskType": invocation.task.task["TaskType"],
            "Parameters": invocation.parameters,
            "Status": status,
            "StatusDetails": details,
            "StartTime": _epoch(invocation.start_time),
            "OwnerInformation": invocation.owner_information,
            "WindowTargetId": invocation.window_target_id,
        }
        if end is not None:
            item["EndTime"] = _epoch(end)
        if not invocation.owner_information:
            del item["OwnerInformation"]
        return item

    def describe_invocations(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        execution = self._execution(params)
        task = self._task(execution, params)
        filters = self._filters(params, ("STATUS",))
        now = self.engine.now()
        self.advance(now)
        items = [self._render_invocation(invocation, now) for invocation in task.invocations]
        for _key, values in filters:
            items = [item for item in items if item["Status"] in values]
        query = {"op": "invocations", "x": execution.id, "t": task.id, "f": filters}
        return self._page(items, params, query, "WindowExecutionTaskInvocationIdentities")

    def get_invocation(self, params: dict[str, Any], identity: Any) -> dict[str, Any]:
        del identity
        execution = self._execution(params)
        task = self._task(execution, params)
        invocation_id = params.get("InvocationId")
        now = self.engine.now()
        self.advance(now)
        for invocation in task.invocations:
            if invocation.id == invocation_id:
                return self._render_invocation(invocation, now)
        raise WindowError("DoesNotExistException", f"Invocation {invocation_id} does not exist in task {task.id}")
