# Zenlayer ZOS front-end (API version 2025-10-10, Zenlayer's SDK).
#
# Requests are `POST /api/v2/zos` (or `POST /` with an X-ZC-Action header) with a JSON body,
# the action in X-ZC-Action and the version in X-ZC-Version, authenticated with ZC2-HMAC-SHA256
# (zc2_sign) or `Authorization: Bearer <token>`.  Answers `{"requestId", "response": {...}}` or the
# error envelope `{"requestId", "code", "message"}`.  Knows nothing about other vendors.
from __future__ import annotations

import datetime
import hmac
import json
import secrets
import traceback
import uuid
from typing import Any, Callable

from fleetsim import engine as e
from fleetsim import zc2_sign
from fleetsim.wire import Request, Response, VendorError, json_response

VERSION = "2025-10-10"
PATH = "/api/v2/zos"
DEFAULT_TOKEN = "fleetsim-zenlayer-token-000000000000"
TYPES = {"SHELL": "Linux", "POWERSHELL": "Windows", "BAT": "Windows"}
MAX_INSTANCES = 200
MAX_NAME = 64
MAX_CONTENT = 16_384        # CLI metadata; the documentation says 4,096 (not confirmed by the vendor)
MAX_DESCRIPTION = 255
MAX_COMMAND_IDS = 100
MAX_TAGS = 20
TIMEOUT_RANGE = (1, 60)
DEFAULT_TIMEOUT = 30
DEFAULT_PAGE_SIZE = 20
MAX_INVOCATION_PAGE = 10_000
MAX_COMMAND_PAGE = 1_000
ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
MISSING_PREFIX = "zos-missing:"     # engine id of a placeholder for an instance id that does not exist

OPEN_STATUSES = frozenset({"Pending", "Running"})

# engine phase -> (taskStatus, errorCode) for the phases that need no more context
_SIMPLE: dict[str, tuple[str, str | None]] = {
    e.PENDING: ("Pending", None),
    e.DELAYED: ("Pending", None),
    e.RUNNING: ("Running", None),
    e.SUCCESS: ("Success", None),
    e.FAILED: ("Failed", "ExecutionExitNoneZero"),
    e.EXECUTION_TIMED_OUT: ("Timeout", "ExecutionTimeout"),
    e.DELIVERY_TIMED_OUT: ("Error", "SystemError"),        # offline guest agent (fleetsim's choice)
    e.UNDELIVERABLE: ("Error", "InstanceInstanceState"),
    e.INVALID_PLATFORM: ("Error", "CommandPlatformInvalid"),
    e.TERMINATED: ("Error", "SystemError"),                # never happens: no error threshold in ZOS
    e.CANCELLED: ("Error", "SystemError"),                 # never happens: ZOS has no cancel
    e.CANCELLING: ("Running", None),
}


class ZosError(VendorError):
    """A ZOS error, answered in the Zenlayer envelope."""


def _invalid(name: str, detail: str) -> ZosError:
    return ZosError("INVALID_PARAMETER", f"Parameter {name} is invalid: {detail}")


def _missing(name: str) -> ZosError:
    return ZosError("MISSING_PARAMETER", f"Parameter {name} is required.")


def zos_time(ts: float | None) -> str | None:
    """`yyyy-MM-dd HH:mm:ss` in UTC (Zenlayer's SDK; the zone is fleetsim's choice)."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ID_ALPHABET) for _position in range(20))


def task_status(inv: e.Invocation, now: float) -> tuple[str, str | None]:
    """(taskStatus, errorCode) of one instance at `now`."""
    phase = inv.phase_at(now)
    if inv.instance.id.startswith(MISSING_PREFIX):
        return ("Pending", None) if phase in e.OPEN_PHASES else ("Error", "InstanceNotExists")
    return _SIMPLE.get(phase, ("Error", "SystemError"))


def aggregate(statuses: list[str]) -> str:
    """invocationStatus from the taskStatus values (Zenlayer's SDK).  Mixed open states are
    undocumented; fleetsim answers Pending only when every task is Pending, else Running while any
    task is open.  All terminal: all Success -> Success, none -> Failed, else PartialFailed."""
    present = set(statuses)
    if present & OPEN_STATUSES:
        return "Pending" if present == {"Pending"} else "Running"
    if present == {"Success"}:
        return "Success"
    return "PartialFailed" if "Success" in present else "Failed"


class Body:
    """The JSON request body with typed, validating accessors."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def string(self, name: str, required: bool = False, limit: int = 0) -> str:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise _missing(name)
            return ""
        if not isinstance(value, str):
            raise _invalid(name, "expected a string")
        if limit and len(value) > limit:
            raise _invalid(name, f"at most {limit} characters")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid(name, "expected an integer")
        if not low <= value <= high:
            raise _invalid(name, f"expected a value between {low} and {high}")
        return value

    def strings(self, name: str, limit: int = 0, required: bool = False) -> list[str]:
        value = self.values.get(name)
        if value is None or value == []:
            if required:
                raise _missing(name)
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _invalid(name, "expected a list of non-empty strings")
        if limit and len(value) > limit:
            raise _invalid(name, f"at most {limit} items")
        return list(value)

    def tags(self, name: str) -> list[dict[str, str]]:
        """`[{"key", "value"}]` (DescribeCommands `tags`) or `{"tags": [...]}` (CreateCommand)."""
        value = self.values.get(name)
        if isinstance(value, dict):
            value = value.get("tags")
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(t, dict) and isinstance(t.get("key"), str) and t["key"]
                                                  and isinstance(t.get("value", ""), (str, type(None))) for t in value):
            raise _invalid(name, "expected a list of {key, value}")
        if len(value) > MAX_TAGS:
            raise _invalid(name, f"at most {MAX_TAGS} tags")
        return [{"key": t["key"], "value": t.get("value") or ""} for t in value]


class ZosFrontEnd:
    """One vendor front-end: `matches` claims a request, `handle` answers it."""

    vendor = "zenlayer_zos"

    def __init__(self, engine: e.Engine, settings: Any, secrets_by_key: dict[str, str]) -> None:
        self.engine = engine
        self.settings = settings
        self.secrets = secrets_by_key
        self.by_zenlayer_id = {inst.zenlayer_id: inst for inst in engine.instances}
        self.saved: dict[str, dict[str, Any]] = {}      # commandId -> saved command, insertion order
        self.operations: dict[str, Callable[[Body], dict[str, Any]]] = {
            "CreateCommand": self.create_command,
            "ModifyCommand": self.modify_command,
            "DeleteCommand": self.delete_command,
            "DescribeCommands": self.describe_commands,
            "InvokeCommand": self.invoke_command,
            "DescribeCommandInvocations": self.describe_command_invocations,
        }

    def reset(self) -> None:
        with self.engine.lock:
            self.saved.clear()

    # -- routing ----------------------------------------------------------------------------

    @staticmethod
    def matches(request: Request) -> bool:
        path = request.path.split("?", 1)[0]
        if path.rstrip("/") == PATH:
            return True
        return path == "/" and bool(request.header("X-ZC-Action")) and not request.header("X-Amz-Target")

    @staticmethod
    def operation(request: Request) -> str:
        return request.header("X-ZC-Action") or "-"

    def error_response(self, request: Request, code: str, message: str, status: int) -> Response:
        """A Zenlayer-shaped error for `request` (used by the fault injector)."""
        return self._error(ZosError(code, message, status), self.operation(request), str(uuid.uuid4()))

    @staticmethod
    def page_token(_request: Request) -> str:
        """ZOS pages by number (pageNum): there is no token to expire."""
        return ""

    def throttled(self, request: Request) -> Response:
        return self._error(ZosError("REQUEST_LIMIT_EXCEEDED", "Request limit exceeded, please try again later.", 429),
                           self.operation(request), str(uuid.uuid4()))

    def handle(self, request: Request) -> Response:
        op = self.operation(request)
        request_id = str(uuid.uuid4())
        try:
            self._authenticate(request)
        except zc2_sign.SignatureError as exc:
            response = self._error(ZosError(exc.code, exc.message, exc.status), op, request_id)
            response.signature_failed = True
            return response
        try:
            if request.method != "POST":
                raise ZosError("METHOD_NOT_ALLOWED", "Only POST is supported.", 405)
            handler = self.operations.get(op)
            if handler is None:
                raise ZosError("INVALID_ACTION", f"The action {op!r} is not supported by ZOS {VERSION}.")
            if request.header("X-ZC-Version") != VERSION:
                raise ZosError("INVALID_VERSION", f"The X-ZC-Version header must be {VERSION}.")
            try:
                values = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError) as exc:
                raise ZosError("INVALID_PARAMETER", "The request body is not valid JSON.") from exc
            if not isinstance(values, dict):
                raise ZosError("INVALID_PARAMETER", "The request body must be a JSON object.")
            with self.engine.lock:   # one consistent view of the engine per request
                result = handler(Body(values))
        except ZosError as exc:
            return self._error(exc, op, request_id)
        except Exception:  # pylint: disable=broad-except  # the wire must get a Zenlayer-shaped 500
            traceback.print_exc()
            return self._error(ZosError("INTERNAL_SERVER_ERROR", "Internal server error.", 500), op, request_id)
        result["requestId"] = request_id
        return json_response(200, {"requestId": request_id, "response": result}, operation=op, request_id=request_id)

    def _authenticate(self, request: Request) -> None:
        auth = request.header("Authorization").strip()
        if not auth:
            raise zc2_sign.SignatureError("INVALID_AUTHORIZATION", "The Authorization header is missing.")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer "):].strip()
            expected = str(getattr(self.settings, "zenlayer_token", DEFAULT_TOKEN))
            if not token or not hmac.compare_digest(token.encode(), expected.encode()):
                raise zc2_sign.SignatureError("INVALID_TOKEN", "The access token is invalid.")
            return
        zc2_sign.verify(request.method, request.headers, request.body, self.secrets, self.settings.signing_now().timestamp())

    @staticmethod
    def _error(exc: ZosError, op: str, request_id: str) -> Response:
        return json_response(exc.status, {"requestId": request_id, "code": exc.code, "message": exc.message},
                             operation=op, request_id=request_id)

    # -- commands ---------------------------------------------------------------------------

    def _saved_command(self, body: Body) -> dict[str, Any]:
        command_id = body.string("commandId", required=True)
        saved = self.saved.get(command_id)
        if saved is None:
            raise ZosError("INVALID_COMMAND_NOT_FOUND", f"The command {command_id} does not exist.", 404)
        return saved

    def create_command(self, body: Body) -> dict[str, Any]:
        name = body.string("name", required=True, limit=MAX_NAME)
        cmd_type = body.string("type", required=True)
        if cmd_type not in TYPES:
            raise _invalid("type", f"expected one of {', '.join(TYPES)}")
        content = body.string("content", required=True, limit=MAX_CONTENT)
        saved = {
            "commandId": _new_id("cmd-"), "name": name, "type": cmd_type, "content": content,
            "description": body.string("description", limit=MAX_DESCRIPTION),
            "resourceGroupId": body.string("resourceGroupId"), "tags": body.tags("tags"),
            "createTime": self.engine.now(), "latestInvocationTime": None,
        }
        self.saved[saved["commandId"]] = saved
        return {"commandId": saved["commandId"]}

    def modify_command(self, body: Body) -> dict[str, Any]:
        saved = self._saved_command(body)
        changes = {"name": body.string("name", limit=MAX_NAME), "content": body.string("content", limit=MAX_CONTENT)}
        saved.update({k: v for k, v in changes.items() if v})
        if "description" in body.values:
            saved["description"] = body.string("description", limit=MAX_DESCRIPTION)
        return {}

    def delete_command(self, body: Body) -> dict[str, Any]:
        saved = self._saved_command(body)
        del self.saved[saved["commandId"]]
        return {}

    def describe_commands(self, body: Body) -> dict[str, Any]:
        ids = set(body.strings("commandIds", MAX_COMMAND_IDS))
        name = body.string("name").lower()
        types = set(body.strings("types"))
        tag_keys = set(body.strings("tagKeys", MAX_TAGS))
        tags = body.tags("tags")
        size = body.integer("pageSize", DEFAULT_PAGE_SIZE, 1, MAX_COMMAND_PAGE)
        number = body.integer("pageNum", 1, 1, 10 ** 9)
        selected = []
        for saved in reversed(list(self.saved.values())):      # newest first
            own = {t["key"]: t["value"] for t in saved["tags"]}
            if ids and saved["commandId"] not in ids:
                continue
            if name and name not in saved["name"].lower():
                continue
            if types and saved["type"] not in types:
                continue
            if tag_keys and not tag_keys & set(own):
                continue
            if tags and not all(t["key"] in own and (not t["value"] or own[t["key"]] == t["value"]) for t in tags):
                continue
            selected.append(saved)
        page = selected[(number - 1) * size:number * size]
        return {"totalCount": len(selected), "dataSet": [self._render_command(c) for c in page]}

    @staticmethod
    def _render_command(saved: dict[str, Any]) -> dict[str, Any]:
        group = saved["resourceGroupId"]
        return {
            "commandId": saved["commandId"], "name": saved["name"], "description": saved["description"],
            "content": saved["content"], "type": saved["type"], "createTime": zos_time(saved["createTime"]),
            "latestInvocationTime": zos_time(saved["latestInvocationTime"]),
            "tags": {"tags": [dict(t) for t in saved["tags"]]},
            "resourceGroup": {"resourceGroupId": group, "resourceGroupName": group} if group else None,
        }

    # -- InvokeCommand ----------------------------------------------------------------------

    def invoke_command(self, body: Body) -> dict[str, Any]:
        saved = self._saved_command(body)
        wanted = list(dict.fromkeys(body.strings("instanceIds", required=True)))     # duplicates dropped
        if len(body.strings("instanceIds")) > MAX_INSTANCES:
            raise _invalid("instanceIds", f"at most {MAX_INSTANCES} instances")
        timeout = body.integer("timeout", DEFAULT_TIMEOUT, *TIMEOUT_RANGE)
        if not any(i in self.by_zenlayer_id for i in wanted):
            raise ZosError("INVALID_INSTANCE_NOT_FOUND", f"The instances do not exist: {', '.join(wanted)}.", 404)
        targets = []
        for zid in wanted:
            inst = self.by_zenlayer_id.get(zid)
            if inst is None:
                # a placeholder the engine never runs: it ends at dispatch time, rendered InstanceNotExists
                inst = e.Instance(id=MISSING_PREFIX + zid, name="", state="terminated", zenlayer_id=zid,
                                  undeliverable_after=self.engine.dispatch_delay)
            targets.append(inst)
        invocation_id = _new_id("inv-")
        now = self.engine.now()
        saved["latestInvocationTime"] = now
        meta = {"commandId": saved["commandId"], "commandName": saved["name"], "commandType": saved["type"],
                "content": saved["content"], "timeout": timeout, "instanceIds": wanted}
        spec = e.CommandSpec(
            script=[saved["content"]], platform=TYPES[saved["type"]], execution_timeout=float(timeout),
            delivery_timeout=float(timeout), max_concurrency=len(targets), max_errors=len(targets),
            meta=meta, vendor=self.vendor)
        self.engine.send(invocation_id, spec, targets)
        return {"invocationId": invocation_id}

    # -- DescribeCommandInvocations ---------------------------------------------------------

    def describe_command_invocations(self, body: Body) -> dict[str, Any]:
        invocation_ids = set(body.strings("invocationIds"))
        command_ids = set(body.strings("commandIds"))
        instance_ids = set(body.strings("instanceIds"))
        statuses = {s.lower() for s in body.strings("invocationStatuses")}
        size = body.integer("pageSize", DEFAULT_PAGE_SIZE, 1, MAX_INVOCATION_PAGE)
        number = body.integer("pageNum", 1, 1, 10 ** 9)
        now = self.engine.now()
        selected = []
        for command in reversed(self.engine.snapshot_commands(self.vendor)):     # newest first
            meta = command.meta
            if now < command.requested_at + self.settings.visibility_for(command.id):
                continue
            if invocation_ids and command.id not in invocation_ids:
                continue
            if command_ids and meta["commandId"] not in command_ids:
                continue
            if instance_ids and not instance_ids & set(meta["instanceIds"]):
                continue
            if statuses and self._status(command, now).lower() not in statuses:
                continue
            selected.append(command)
        page = selected[(number - 1) * size:number * size]
        return {"totalCount": len(selected), "dataSet": [self._render_invocation(c, now) for c in page]}

    @staticmethod
    def _status(command: e.Command, now: float) -> str:
        return aggregate([task_status(inv, now)[0] for inv in command.invocations])

    def _render_invocation(self, command: e.Command, now: float) -> dict[str, Any]:
        meta = command.meta
        # An unlisted instance (fleet file) is one the invocation was sent to but never lists.
        instances = [self._render_instance(inv, now) for inv in command.invocations if not inv.instance.unlisted]
        return {
            "invocationId": command.id, "commandId": meta["commandId"], "commandName": meta["commandName"],
            "commandType": meta["commandType"], "content": meta["content"], "timeout": meta["timeout"],
            "createTime": zos_time(command.requested_at),
            # The aggregate still covers every instance the invocation was sent to, unlisted ones too.
            "invocationStatus": self._status(command, now),
            "invocationInstances": instances,
        }

    @staticmethod
    def _render_instance(inv: e.Invocation, now: float) -> dict[str, Any]:
        status, code = task_status(inv, now)
        terminal = status not in OPEN_STATUSES
        started = inv.started_by(now)
        exists = not inv.instance.id.startswith(MISSING_PREFIX)
        return {
            "instanceId": inv.instance.zenlayer_id,
            "instanceName": inv.instance.name if exists else None,
            "instanceExist": exists,
            "taskStatus": status,
            "exitCode": inv.exit_code if terminal and started else None,
            "errorCode": code,
            "output": inv.stdout if terminal and started else "",
            "outputError": inv.stderr if terminal and started else "",
            "execStartTime": zos_time(inv.started_at) if started else None,
            "execEndTime": zos_time(inv.ended_at) if terminal and started else None,
        }
