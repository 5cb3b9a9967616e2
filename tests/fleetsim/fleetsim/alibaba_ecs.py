# Alibaba Cloud ECS Cloud Assistant front-end (RPC style, API version 2014-05-26).
#
# Requests are `POST /` (or GET) with every parameter in the query string (a form body is also
# read), signed with ACS3-HMAC-SHA256 or the legacy RPC v1 HMAC-SHA1.  Parses and validates
# parameters, asks the engine to run/stop, and renders engine state in Alibaba's response and
# error shapes.  Knows nothing about other vendors.
from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import secrets
import traceback
import uuid
from typing import Any, Callable

from fleetsim import acs_sign, ecs_status, oss, paging
from fleetsim import engine as e
from fleetsim.wire import Request, Response, VendorError, json_response

VERSION = "2014-05-26"
PATH_PREFIX = "/alibaba"
CONTENT_TYPE = "application/json;charset=utf-8"
TYPES = {"RunShellScript": "Linux", "RunPowerShellScript": "Windows", "RunBatScript": "Windows"}
REPEAT_MODES = ("Once", "Period", "NextRebootOnly", "EveryReboot", "DryRun")
SCHEDULED_MODES = ("Period", "NextRebootOnly", "EveryReboot")
MAX_INSTANCES = 100
MAX_CONTENT = 24 * 1024          # Base64 form of CommandContent
MAX_PARAMETERS = 10
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z0-9_\-]+)\s*\}\}")
ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
RESULT_KEY_BASE = 1_000_000      # page cursor of a result: invocation seq * base + instance index
# DescribeCloudAssistantStatus (its API reference): InstanceId.N 1 to 50 ids, OSType one of these.
MAX_STATUS_INSTANCES = 50
OS_TYPES = ("Windows", "Linux", "FreeBSD")
AGENT_VERSION = "2.2.3.857"
# A lost agent loaded from the fleet file last sent a heartbeat this long before the server started.
LOST_BEFORE_START = 900.0
# OssOutputDelivery: oss://<bucket>/<prefix>; bucket names are 3 to 63 lower-case letters, digits and hyphens (OSS naming rules).
OSS_DELIVERY_RE = re.compile(r"^oss://[a-z0-9][a-z0-9-]{1,61}[a-z0-9](/.*)?$")


class EcsError(VendorError):
    """An ECS (Cloud Assistant) error, answered in the RPC envelope."""


def _missing(name: str) -> EcsError:
    return EcsError("MissingParameter", f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def _invalid(name: str, detail: str = "") -> EcsError:
    return EcsError("InvalidParameter", f'The specified parameter "{name}" is not valid.' + (f" {detail}" if detail else ""))


def _time(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ID_ALPHABET) for _position in range(20))


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def _split(request: Request) -> tuple[str, str]:
    path, _sep, query = request.path.partition("?")
    return path, query


def _form_pairs(request: Request) -> list[tuple[str, str]]:
    if request.body and request.header("Content-Type").lower().startswith("application/x-www-form-urlencoded"):
        return acs_sign.parse_query(request.body.decode("utf-8", errors="replace"))
    return []


# What a retry changes by design (rpc_v1 signs in the query string), so a token's parameters are
# compared without them.
SIGNING_PARAMS = frozenset(("Signature", "SignatureNonce", "Timestamp", "SignatureMethod", "SignatureVersion",
                            "AccessKeyId", "SecurityToken", "Format", "Version", "Action"))


def _fingerprint(params: "Params") -> tuple[tuple[str, str], ...]:
    return tuple(sorted((key, value) for key, value in params.values.items() if key not in SIGNING_PARAMS))


class Params:
    """Flattened RPC parameters (`InstanceId.1`, `ResourceTag.1.Key`) with typed accessors."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, str] = {}
        for key, value in pairs:
            self.values[key] = value

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def has(self, name: str) -> bool:
        return self.values.get(name, "") != ""

    def required(self, name: str) -> str:
        value = self.values.get(name, "")
        if value == "":
            raise _missing(name)
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name, "")
        if value == "":
            return default
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _invalid(name, "Expected true or false.")

    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        value = self.values.get(name, "")
        if value == "":
            return default
        try:
            number = int(value)
        except ValueError as exc:
            raise _invalid(name, "Expected an integer.") from exc
        if not low <= number <= high:
            raise _invalid(name, f"Expected a value between {low} and {high}.")
        return number

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.values.get(name, "") or default
        if value not in allowed:
            raise _invalid(name, f"Expected one of {', '.join(allowed)}.")
        return value

    def listed(self, name: str) -> list[str]:
        """`Name.1`, `Name.2`, ... in numeric order."""
        found = []
        prefix = name + "."
        for key, value in self.values.items():
            rest = key[len(prefix):]
            if key.startswith(prefix) and rest.isdigit() and value != "":
                found.append((int(rest), value))
        return [value for _number, value in sorted(found)]

    def tags(self, name: str) -> list[tuple[str, str]]:
        """`Name.N.Key` / `Name.N.Value` pairs in numeric order."""
        found: dict[int, dict[str, str]] = {}
        prefix = name + "."
        for key, value in self.values.items():
            parts = key[len(prefix):].split(".")
            if key.startswith(prefix) and len(parts) == 2 and parts[0].isdigit() and parts[1] in ("Key", "Value"):
                found.setdefault(int(parts[0]), {})[parts[1]] = value
        return [(item.get("Key", ""), item.get("Value", "")) for _number, item in sorted(found.items()) if item.get("Key")]


class EcsFrontEnd:
    """One vendor front-end: `matches` claims a request, `handle` answers it."""

    vendor = "alibaba_ecs"

    def __init__(self, engine: e.Engine, settings: Any, secrets_by_key: dict[str, str]) -> None:
        self.engine = engine
        self.settings = settings
        self.secrets = secrets_by_key
        self.nonces = acs_sign.NonceCache()
        self.by_alibaba_id = {inst.alibaba_id: inst for inst in engine.instances}
        self._started_at = engine.now()
        self.saved: dict[str, dict[str, Any]] = {}        # CommandId -> saved command, insertion order
        self._saved_seq = 0
        self.client_tokens: dict[tuple[str, str], tuple[tuple[tuple[str, str], ...], dict[str, Any]]] = {}
        # Where runs with OssOutputDelivery write their complete output (the server's OSS front-end);
        # None: delivery is reported Failed, as when Cloud Assistant cannot reach the bucket.
        self.oss_store: oss.OssStore | None = None
        self.operations: dict[str, Callable[[Params], dict[str, Any]]] = {
            "RunCommand": self.run_command,
            "InvokeCommand": self.invoke_command,
            "CreateCommand": self.create_command,
            "DescribeCommands": self.describe_commands,
            "DeleteCommand": self.delete_command,
            "DescribeInvocations": self.describe_invocations,
            "DescribeCloudAssistantStatus": self.describe_cloud_assistant_status,
            "DescribeInvocationResults": self.describe_invocation_results,
            "StopInvocation": self.stop_invocation,
        }

    def reset(self) -> None:
        with self.engine.lock:
            self.saved.clear()
            self.client_tokens.clear()
            self._saved_seq = 0
        self.nonces.clear()

    # -- routing ----------------------------------------------------------------------------

    @staticmethod
    def matches(request: Request) -> bool:
        path, query = _split(request)
        if path == PATH_PREFIX or path.startswith(PATH_PREFIX + "/"):
            return True
        if path != "/" or request.header("X-Amz-Target"):
            return False
        if request.header("x-acs-action"):
            return True
        return any(k == "Action" for k, _value in acs_sign.parse_query(query)) or any(k == "Action" for k, _value in _form_pairs(request))

    @staticmethod
    def operation(request: Request) -> str:
        action = request.header("x-acs-action")
        if action:
            return action
        query = _split(request)[1]
        for key, value in acs_sign.parse_query(query) + _form_pairs(request):
            if key == "Action":
                return value
        return "-"

    def throttled(self, request: Request) -> Response:
        return self._error(EcsError("Throttling.User", "Request was denied due to user flow control."),
                           self.operation(request), _request_id(), request)

    def error_response(self, request: Request, code: str, message: str, status: int) -> Response:
        """An Alibaba-shaped error for `request` (used by the fault injector)."""
        return self._error(EcsError(code, message, status), self.operation(request), _request_id(), request)

    @staticmethod
    def page_token(request: Request) -> str:
        pairs = acs_sign.parse_query(_split(request)[1]) + _form_pairs(request)
        return next((value for key, value in pairs if key == "NextToken" and value), "")

    def handle(self, request: Request) -> Response:
        op = self.operation(request)
        request_id = _request_id()
        path, query = _split(request)
        query_pairs = acs_sign.parse_query(query)
        all_pairs = query_pairs + _form_pairs(request)
        params = Params(all_pairs)
        try:
            handler = self.operations.get(op)
            if handler is None:
                raise EcsError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404)
            version = request.header("x-acs-version") or params.get("Version")
            if version != VERSION:
                raise EcsError("InvalidVersion", f"Specified parameter Version is not valid (fleetsim serves {VERSION}).")
        except EcsError as exc:
            return self._error(exc, op, request_id, request)
        try:
            now = self.settings.signing_now()
            auth = request.header("Authorization")
            if auth.startswith("ACS3-"):
                acs_sign.verify_acs3(request.method, path, query_pairs, request.headers, request.body, self.secrets, self.nonces, now)
            else:
                acs_sign.verify_rpc(request.method, all_pairs, self.secrets, self.nonces, now)
        except acs_sign.SignatureError as exc:
            response = self._error(EcsError(exc.code, exc.message, exc.status), op, request_id, request)
            response.signature_failed = True
            return response
        try:
            with self.engine.lock:   # one consistent view of the engine per request
                result = handler(params)
        except EcsError as exc:
            return self._error(exc, op, request_id, request)
        except Exception:  # pylint: disable=broad-except  # the wire must get an Alibaba-shaped 500
            traceback.print_exc()
            return self._error(EcsError("InternalError", "The request processing has failed due to some unknown error.", 500),
                               op, request_id, request)
        result["RequestId"] = request_id
        response = json_response(200, result, CONTENT_TYPE, operation=op, request_id=request_id)
        response.headers["x-acs-request-id"] = request_id
        return response

    @staticmethod
    def _error(exc: EcsError, op: str, request_id: str, request: Request) -> Response:
        host = request.header("Host") or "ecs.aliyuncs.com"
        payload = {"RequestId": request_id, "HostId": host, "Code": exc.code, "Message": exc.message,
                   "Recommend": f"https://api.aliyun.com/troubleshoot?q={exc.code}&product=Ecs&requestId={request_id}"}
        response = json_response(exc.status, payload, CONTENT_TYPE, operation=op, request_id=request_id)
        response.headers["x-acs-request-id"] = request_id
        return response

    # -- shared -----------------------------------------------------------------------------

    def _visible(self, command: e.Command, now: float) -> bool:
        return now >= command.requested_at + self.settings.visibility_for(command.id)

    def _invocations(self, region: str) -> list[e.Command]:
        """This vendor's invocations in the region, newest first."""
        commands = self.engine.snapshot_commands(self.vendor)
        return [c for c in reversed(commands) if c.meta["RegionId"] == region]

    def _targets(self, params: Params) -> list[e.Instance]:
        ids = params.listed("InstanceId")
        tags = params.tags("ResourceTag")
        if ids and tags:
            raise _invalid("InstanceId", "InstanceId and ResourceTag are mutually exclusive.")
        if tags:
            selected = [inst for inst in self.engine.instances
                        if all(key in inst.tags and (not value or inst.tags[key] == value) for key, value in tags)]
            if not selected:
                raise EcsError("InvalidInstanceId.NotFound", "No instance matches the specified ResourceTag.", 404)
            return selected
        if not ids:
            raise _missing("InstanceId")
        if len(ids) > MAX_INSTANCES:
            raise EcsError("InstanceIds.ExceedLimit", f"The number of instances exceeds the upper limit ({MAX_INSTANCES}).")
        unique = list(dict.fromkeys(ids))
        unknown = [i for i in unique if i not in self.by_alibaba_id]
        if unknown:
            raise EcsError("InvalidInstanceId.NotFound", f"The specified InstanceId does not exist: {', '.join(unknown)}.", 404)
        return [self.by_alibaba_id[i] for i in unique]

    @staticmethod
    def _content(params: Params, name: str, default_encoding: str) -> str:
        raw = params.required(name)
        encoding = params.choice("ContentEncoding", ("PlainText", "Base64"), default_encoding)
        if encoding == "Base64":
            try:
                text = base64.b64decode(raw.encode("ascii"), validate=True).decode("utf-8")
            except (ValueError, binascii.Error, UnicodeError) as exc:
                raise _invalid(name, "It is not valid Base64 of UTF-8 text.") from exc
        else:
            text = raw
        if len(base64.b64encode(text.encode("utf-8"))) > MAX_CONTENT:
            raise EcsError("CmdContent.ExceedLimit", "The Base64-encoded command content exceeds 24 KB.")
        return text

    @staticmethod
    def _parameters(params: Params) -> dict[str, str]:
        raw = params.get("Parameters")
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _invalid("Parameters", "Expected a JSON object.") from exc
        if not isinstance(value, dict) or len(value) > MAX_PARAMETERS:
            raise _invalid("Parameters", f"Expected a JSON object with at most {MAX_PARAMETERS} entries.")
        return {str(k): "" if v is None else str(v) for k, v in value.items()}

    @staticmethod
    def _substitute(content: str, enabled: bool, values: dict[str, str]) -> str:
        if not enabled:
            return content
        missing = sorted({name for name in PLACEHOLDER_RE.findall(content) if name not in values})
        if missing:
            raise _invalid("Parameters", f"No value for {', '.join(missing)}.")
        return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], content)

    def _page(self, params: Params, query: Any, rows: list[tuple[int, Any]],
              after: Callable[[int, int], bool]) -> tuple[list[Any], dict[str, Any]]:
        """One page of `rows` (sort key, item).  NextToken/MaxResults mode: the token holds the
        key of the last item returned, so items added meanwhile never shift a page; legacy
        PageNumber/PageSize mode (used when neither MaxResults nor NextToken is given) slices."""
        legacy = (params.has("PageNumber") or params.has("PageSize")) and not (params.has("MaxResults") or params.has("NextToken"))
        total = len(rows)
        if legacy:
            size = params.integer("PageSize", 10, 1, 50) or 10
            number = params.integer("PageNumber", 1, 1, 1_000_000) or 1
            page = rows[(number - 1) * size:number * size]
            return [item for _key, item in page], {"TotalCount": total, "PageNumber": number, "PageSize": size, "NextToken": ""}
        size = params.integer("MaxResults", 10, 1, 50) or 10
        if params.has("NextToken"):
            try:
                cursor = paging.read_token(params.get("NextToken"), query)
            except paging.BadToken as exc:
                raise EcsError("InvalidParam.NextToken", 'The specified parameter "NextToken" is not valid.') from exc
            rows = [row for row in rows if after(row[0], cursor)]
        page = rows[:size]
        token = paging.make_token(page[-1][0], query) if len(rows) > size else ""
        return [item for _key, item in page], {"TotalCount": total, "PageNumber": 1, "PageSize": size, "NextToken": token}

    # -- records ----------------------------------------------------------------------------

    def _records(self, command: e.Command, now: float) -> list[dict[str, Any]]:
        """Per-instance state in vendor words; scheduled (periodic) tasks have no engine invocations."""
        meta = command.meta
        if meta["Scheduled"]:
            stopped = meta["StoppedAt"]
            status = "Cancelled" if stopped is not None and now >= stopped else "Scheduled"
            return [{"InstanceId": iid, "status": status, "code": "", "exit": 0, "stdout": "", "stderr": "",
                     "start": None, "finish": None, "stop": stopped if status == "Cancelled" else None, "index": n}
                    for n, iid in enumerate(meta["InstanceIds"])]
        records = []
        for inv in command.invocations:
            records.append(self._record(inv, now))
        return records

    def _record(self, inv: e.Invocation, now: float) -> dict[str, Any]:
        status, code = ecs_status.instance_status(inv, now)
        terminal = status not in ecs_status.OPEN_STATUSES
        started = inv.started_by(now)
        exit_code = inv.exit_code if terminal and inv.exit_code is not None else 0
        if status in ecs_status.INTERRUPTED and self.settings.alibaba_interrupted_exit_code is not None:
            # ExitCode is a documented field of every record, also where the process never ended by itself.
            exit_code = self.settings.alibaba_interrupted_exit_code
        return {"InstanceId": inv.instance.alibaba_id, "status": status, "code": code,
                "exit": exit_code,
                "stdout": inv.stdout if terminal else "", "stderr": inv.stderr if terminal else "",
                "start": inv.started_at if started else None,
                "finish": inv.ended_at if terminal and started else None,
                "stop": inv.cancelling_at if inv.cancelling_at is not None and now >= inv.cancelling_at else None,
                "index": inv.index}

    @staticmethod
    def _instance_fields(record: dict[str, Any], encoding: str, include_output: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "InstanceId": record["InstanceId"],
            "InvocationStatus": record["status"],
            "ExitCode": record["exit"],
            "ErrorCode": record["code"],
            "ErrorInfo": ecs_status.ERROR_INFO.get(record["code"], ""),
            "Repeats": 1 if record["start"] is not None else 0,
            "OssOutputUri": "",
            "OssOutputStatus": "",
            "OssOutputErrorCode": "",
            "OssOutputErrorInfo": "",
        }
        if include_output:
            item["Output"], item["Dropped"] = ecs_status.render_output(record["stdout"], record["stderr"], encoding)
        if record["start"] is not None:
            item["StartTime"] = _time(record["start"])
        if record["stop"] is not None:
            item["StopTime"] = _time(record["stop"])
        return item

    def _oss_delivery(self, command: e.Command, record: dict[str, Any]) -> dict[str, Any]:
        """The OssOutput* fields of an instance's record, delivering its complete output the first time
        an ended run is read (fleetsim's runs end on the clock, without an event to hook).

        Cloud Assistant writes the whole output (stdout then stderr, as in Output, but never cut) to the
        bucket of OssOutputDelivery and names the object in OssOutputUri; Output keeps its 24 KB and
        Dropped as without delivery. The object key here is <prefix>/<InvokeId>/<InstanceId>; clients
        must read the key OssOutputUri names, not build it. A run that never started has nothing to deliver.
        """
        target = command.meta.get("OssOutputDelivery")
        if not target or command.meta["Scheduled"] or record["start"] is None:
            return {}
        if record["status"] in ecs_status.OPEN_STATUSES:
            return {"OssOutputStatus": "InProgress"}
        bucket, prefix = oss.split_uri(target)
        key = "/".join(part for part in (prefix.strip("/"), command.id, record["InstanceId"]) if part)
        if self.oss_store is None or bucket in self.oss_store.failing_buckets:
            return {"OssOutputStatus": "Failed", "OssOutputErrorCode": "NoSuchBucket",
                    "OssOutputErrorInfo": "The specified bucket does not exist."}
        uri = f"oss://{bucket}/{key}"
        delivered = command.meta.setdefault("OssDelivered", set())
        if record["InstanceId"] not in delivered:
            delivered.add(record["InstanceId"])
            self.oss_store.put(bucket, key, (record["stdout"] + record["stderr"]).encode("utf-8"))
        return {"OssOutputUri": uri, "OssOutputStatus": "Finished"}

    # -- RunCommand / InvokeCommand / CreateCommand -----------------------------------------

    def run_command(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        cmd_type = params.required("Type")
        if cmd_type not in TYPES:
            raise _invalid("Type", f"Expected one of {', '.join(TYPES)}.")
        content = self._content(params, "CommandContent", "PlainText")
        replay = self._replay(params, region)
        if replay is not None:
            return replay
        saved = {
            "CommandId": _new_id("c-hz0"), "RegionId": region, "Name": params.get("Name"), "Type": cmd_type,
            "Content": content, "Description": params.get("Description"), "WorkingDir": params.get("WorkingDir"),
            "Timeout": params.integer("Timeout", 60, 10, 86400), "EnableParameter": params.boolean("EnableParameter"),
            "Launcher": params.get("Launcher"), "CreationTime": self.engine.now(), "InvokeTimes": 0,
        }
        invoke_id = self._start(params, region, saved)
        if params.boolean("KeepCommand"):
            self._save(saved)
        result = {"CommandId": saved["CommandId"], "InvokeId": invoke_id}
        self._remember(params, region, result)
        return result

    def invoke_command(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        saved = self._saved(params.required("CommandId"), region)
        replay = self._replay(params, region)
        if replay is not None:
            return replay
        result = {"InvokeId": self._start(params, region, saved)}
        self._remember(params, region, result)
        return result

    def _replay(self, params: Params, region: str) -> dict[str, Any] | None:
        """The first answer again for a ClientToken already used with the same parameters; a token
        used with other parameters is refused (IdempotentParameterMismatch). Per Alibaba's "How to
        ensure idempotence": a retry with the same token and parameters gets the first result and
        changes nothing; the signature parameters (nonce, timestamp) differ on every retry."""
        token = params.get("ClientToken")
        if len(token) > 64:
            raise _invalid("ClientToken", "At most 64 characters.")
        if not token or (region, token) not in self.client_tokens:
            return None
        fingerprint, result = self.client_tokens[(region, token)]
        if fingerprint != _fingerprint(params):
            raise EcsError("IdempotentParameterMismatch",
                           "The specified parameter ClientToken is already in use with different request parameters.", 400)
        return dict(result)

    def _remember(self, params: Params, region: str, result: dict[str, Any]) -> None:
        token = params.get("ClientToken")
        if token:
            self.client_tokens[(region, token)] = (_fingerprint(params), dict(result))

    def _save(self, saved: dict[str, Any]) -> None:
        self._saved_seq += 1
        saved["Seq"] = self._saved_seq
        self.saved[saved["CommandId"]] = saved

    def _saved(self, command_id: str, region: str) -> dict[str, Any]:
        saved = self.saved.get(command_id)
        if saved is None or saved["RegionId"] != region:
            raise EcsError("InvalidCommandId.NotFound", "The specified command ID does not exist.", 404)
        return saved

    def _start(self, params: Params, region: str, saved: dict[str, Any]) -> str:
        """Validate the per-run parameters of RunCommand/InvokeCommand and send to the engine."""
        targets = self._targets(params)
        values = self._parameters(params)
        script = self._substitute(saved["Content"], saved["EnableParameter"], values)
        timeout = params.integer("Timeout", saved["Timeout"], 10, 86400)
        repeat = params.choice("RepeatMode", REPEAT_MODES, "Once")
        if repeat == "Period" and not params.has("Frequency"):
            raise _missing("Frequency")
        if repeat == "DryRun":
            raise EcsError("DryRunOperation", "Request validation has been passed with DryRun flag set.")
        delivery = params.get("OssOutputDelivery")
        if delivery and not OSS_DELIVERY_RE.match(delivery):
            raise _invalid("OssOutputDelivery", "Expected oss://<bucket>/<prefix>.")
        working_dir = saved["WorkingDir"]
        relative_dir = working_dir.strip().lstrip("/")
        invoke_id = _new_id("t-hz0")
        scheduled = repeat in SCHEDULED_MODES
        saved["InvokeTimes"] += 1
        meta = {
            "RegionId": region, "CommandId": saved["CommandId"], "CommandName": saved["Name"],
            "CommandType": saved["Type"], "CommandContent": saved["Content"], "CommandDescription": saved["Description"],
            "Parameters": values, "RepeatMode": repeat, "Frequency": params.get("Frequency"), "Timeout": timeout,
            "Username": params.get("Username"), "WorkingDir": working_dir,
            "ContainerId": params.get("ContainerId"), "ContainerName": params.get("ContainerName"),
            "Launcher": params.get("Launcher") or saved["Launcher"], "TerminationMode": params.get("TerminationMode"),
            "OssOutputDelivery": params.get("OssOutputDelivery"),
            "Tags": [{"TagKey": k, "TagValue": v} for k, v in params.tags("Tag")],
            "InstanceIds": [inst.alibaba_id for inst in targets], "Scheduled": scheduled, "StoppedAt": None,
        }
        spec = e.CommandSpec(
            script=[script], platform=TYPES[saved["Type"]], execution_timeout=float(timeout),
            delivery_timeout=float(self.settings.alibaba_delivery_window), max_concurrency=max(1, len(targets)),
            max_errors=len(targets), working_directory=relative_dir, meta=meta, vendor=self.vendor)
        self.engine.send(invoke_id, spec, [] if scheduled else targets)
        return invoke_id

    def create_command(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        name = params.required("Name")
        cmd_type = params.required("Type")
        if cmd_type not in TYPES:
            raise _invalid("Type", f"Expected one of {', '.join(TYPES)}.")
        content = self._content(params, "CommandContent", "Base64")
        saved = {
            "CommandId": _new_id("c-hz0"), "RegionId": region, "Name": name, "Type": cmd_type, "Content": content,
            "Description": params.get("Description"), "WorkingDir": params.get("WorkingDir"),
            "Timeout": params.integer("Timeout", 60, 10, 86400), "EnableParameter": params.boolean("EnableParameter"),
            "Launcher": params.get("Launcher"), "CreationTime": self.engine.now(), "InvokeTimes": 0,
        }
        self._save(saved)
        return {"CommandId": saved["CommandId"]}

    def delete_command(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        saved = self._saved(params.required("CommandId"), region)
        del self.saved[saved["CommandId"]]
        return {}

    def describe_commands(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        encoding = params.choice("ContentEncoding", ("PlainText", "Base64"), "Base64")
        wanted = {k: params.get(k) for k in ("CommandId", "Name", "Type") if params.has(k)}
        items = [c for c in self.saved.values() if c["RegionId"] == region and all(c[k] == v for k, v in wanted.items())]
        query = {"op": "DescribeCommands", "r": region, "f": wanted}
        page, info = self._page(params, query, [(c["Seq"], c) for c in items], lambda key, cursor: key > cursor)
        rendered = [{
            "CommandId": c["CommandId"], "Name": c["Name"], "Type": c["Type"], "Description": c["Description"],
            "CommandContent": ecs_status.encode_text(c["Content"], encoding), "WorkingDir": c["WorkingDir"],
            "Timeout": c["Timeout"], "CreationTime": _time(c["CreationTime"]), "EnableParameter": c["EnableParameter"],
            "ParameterNames": {"ParameterName": sorted(set(PLACEHOLDER_RE.findall(c["Content"]))) if c["EnableParameter"] else []},
            "InvokeTimes": c["InvokeTimes"], "Version": 1, "Latest": True, "Provider": "", "Category": "",
            "Launcher": c["Launcher"], "Tags": {"Tag": []},
        } for c in page]
        return dict(info, Commands={"Command": rendered})

    # -- DescribeCloudAssistantStatus ------------------------------------------------------

    def describe_cloud_assistant_status(self, params: Params) -> dict[str, Any]:
        """Whether each instance's Cloud Assistant agent is up ("true" / "false", strings). An agent
        never installed reads "false" with no version; a terminated instance no longer exists and an
        id fleetsim does not know is left out (the reference does not say what the service does)."""
        region = params.required("RegionId")
        ids = params.listed("InstanceId")
        if len(ids) > MAX_STATUS_INSTANCES:
            raise _invalid("InstanceId", f"At most {MAX_STATUS_INSTANCES} instance ids.")
        os_type = params.get("OSType")
        if os_type and os_type not in OS_TYPES:
            raise _invalid("OSType", f"Expected one of {', '.join(OS_TYPES)}.")
        wanted = set(ids)
        instances = [inst for inst in self.engine.instances
                     if inst.state != "terminated" and (not wanted or inst.alibaba_id in wanted) and (not os_type or inst.platform == os_type)]
        query = {"op": "DescribeCloudAssistantStatus", "r": region, "i": ids, "o": os_type}
        now = self.engine.now()
        page, info = self._page(params, query, [(inst.index, inst) for inst in instances], lambda key, cursor: key > cursor)
        return dict(info, InstanceCloudAssistantStatusSet={"InstanceCloudAssistantStatus": [self._agent_status(inst, now) for inst in page]})

    def _agent_status(self, inst: e.Instance, now: float) -> dict[str, Any]:
        up = inst.agent == e.AGENT_ONLINE and inst.state == "running"
        installed = inst.agent != e.AGENT_UNREGISTERED
        if up:
            heartbeat: float | None = now
        elif installed:
            heartbeat = inst.agent_changed_at if inst.agent_changed_at is not None else self._started_at - LOST_BEFORE_START
        else:
            heartbeat = None
        invocations = [c.by_instance[inst.id] for c in self.engine.snapshot_commands(self.vendor) if inst.id in c.by_instance]
        active = sum(1 for inv in invocations if inv.phase_at(now) in e.OPEN_PHASES)
        last_invoked = max((inv.command.requested_at for inv in invocations), default=None)
        return {
            "InstanceId": inst.alibaba_id, "CloudAssistantStatus": "true" if up else "false",
            "CloudAssistantVersion": AGENT_VERSION if installed else "", "OSType": inst.platform,
            "LastHeartbeatTime": _time(heartbeat), "ActiveTaskCount": active, "InvocationCount": len(invocations),
            "LastInvokedTime": _time(last_invoked), "SupportSessionManager": installed,
        }

    # -- DescribeInvocations ----------------------------------------------------------------

    def _matching_invocations(self, params: Params, region: str, now: float) -> list[e.Command]:
        invoke_id = params.get("InvokeId")
        command_id = params.get("CommandId")
        name = params.get("CommandName")
        cmd_type = params.get("CommandType")
        instance_id = params.get("InstanceId")
        repeat = params.get("RepeatMode")
        selected = []
        for command in self._invocations(region):
            meta = command.meta
            if not self._visible(command, now):
                continue
            if invoke_id and command.id != invoke_id:
                continue
            if command_id and meta["CommandId"] != command_id:
                continue
            if name and meta["CommandName"] != name:
                continue
            if cmd_type and meta["CommandType"] != cmd_type:
                continue
            if instance_id and instance_id not in meta["InstanceIds"]:
                continue
            if repeat and meta["RepeatMode"] != repeat:
                continue
            selected.append(command)
        return selected

    def describe_invocations(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        encoding = params.choice("ContentEncoding", ("PlainText", "Base64"), "Base64")
        include_output = params.boolean("IncludeOutput")
        status_filter = params.get("InvokeStatus").lower()
        now = self.engine.now()
        filters = ("InvokeId", "CommandId", "CommandName", "CommandType", "InstanceId", "RepeatMode", "InvokeStatus")
        query = {"op": "DescribeInvocations", "r": region, "f": {k: params.get(k) for k in filters}}
        rows = []
        for command in self._matching_invocations(params, region, now):
            if status_filter:
                status = ecs_status.aggregate([r["status"] for r in self._records(command, now)])
                if status_filter not in (status.lower(), ecs_status.legacy_invocation_status(status).lower()):
                    continue
            rows.append((command.seq, command))
        page, info = self._page(params, query, rows, lambda key, cursor: key < cursor)
        rendered = [self._render_invocation(c, now, encoding, include_output, params.get("InstanceId")) for c in page]
        return dict(info, Invocations={"Invocation": rendered})

    def _render_invocation(self, command: e.Command, now: float, encoding: str, include_output: bool,
                           only_instance: str) -> dict[str, Any]:
        meta = command.meta
        records = self._records(command, now)
        status = ecs_status.aggregate([r["status"] for r in records])
        instances = []
        for record in records:
            if only_instance and record["InstanceId"] != only_instance:
                continue
            item = self._instance_fields(record, encoding, include_output)
            item.update(self._oss_delivery(command, record))
            item["InstanceInvokeStatus"] = ecs_status.legacy_instance_status(record["status"])
            item["CreationTime"] = _time(command.requested_at)
            item["UpdateTime"] = _time(max(t for t in (command.requested_at, record["start"], record["finish"], record["stop"]) if t is not None))
            item["Timed"] = meta["RepeatMode"] != "Once"
            if record["finish"] is not None:
                item["FinishTime"] = _time(record["finish"])
            instances.append(item)
        return {
            "InvokeId": command.id, "CommandId": meta["CommandId"], "CommandName": meta["CommandName"],
            "CommandType": meta["CommandType"], "CommandContent": ecs_status.encode_text(meta["CommandContent"], encoding),
            "CommandDescription": meta["CommandDescription"],
            "Parameters": json.dumps(meta["Parameters"]) if meta["Parameters"] else "",
            "InvocationStatus": status, "InvokeStatus": ecs_status.legacy_invocation_status(status),
            "RepeatMode": meta["RepeatMode"], "Timed": meta["RepeatMode"] != "Once", "Frequency": meta["Frequency"],
            "Timeout": meta["Timeout"], "Username": meta["Username"], "WorkingDir": meta["WorkingDir"],
            "CreationTime": _time(command.requested_at), "ContainerId": meta["ContainerId"],
            "ContainerName": meta["ContainerName"], "Launcher": meta["Launcher"], "TerminationMode": meta["TerminationMode"],
            "OssOutputDelivery": meta["OssOutputDelivery"], "Tags": {"Tag": list(meta["Tags"])},
            "InvokeInstances": {"InvokeInstance": instances},
        }

    # -- DescribeInvocationResults ----------------------------------------------------------

    def describe_invocation_results(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        encoding = params.choice("ContentEncoding", ("PlainText", "Base64"), "Base64")
        status_filter = params.get("InvokeRecordStatus").lower()
        instance_id = params.get("InstanceId")
        now = self.engine.now()
        query = {"op": "DescribeInvocationResults", "r": region,
                 "f": {k: params.get(k) for k in ("InvokeId", "CommandId", "InstanceId", "InvokeRecordStatus")}}
        lookup = Params([(k, params.get(k)) for k in ("InvokeId", "CommandId", "InstanceId")])
        rows: list[tuple[int, tuple[Any, e.Command]]] = []
        for command in self._matching_invocations(lookup, region, now):
            if not (status_filter or instance_id or command.meta["Scheduled"]):
                # the common case pages by key alone; only the page's records get rendered
                rows.extend((command.seq * RESULT_KEY_BASE + inv.index, (inv, command)) for inv in command.invocations
                            if not inv.instance.unlisted)
                continue
            unlisted = {inv.instance.alibaba_id for inv in command.invocations if inv.instance.unlisted}
            for record in self._records(command, now):
                if instance_id and record["InstanceId"] != instance_id:
                    continue
                if record["InstanceId"] in unlisted:
                    # The invocation names the instance (InvokeInstances), but no result is ever written for it.
                    continue
                legacy = ecs_status.legacy_instance_status(record["status"])
                if status_filter and status_filter not in (record["status"].lower(), legacy.lower()):
                    continue
                rows.append((command.seq * RESULT_KEY_BASE + record["index"], (record, command)))
        page, info = self._page(params, query, rows, self._after)
        results = []
        for entry, command in page:
            record = self._record(entry, now) if isinstance(entry, e.Invocation) else entry
            meta = command.meta
            item = self._instance_fields(record, encoding, True)
            item.update(self._oss_delivery(command, record))
            item.update({
                "CommandId": meta["CommandId"], "InvokeId": command.id,
                "InvokeRecordStatus": ecs_status.legacy_instance_status(record["status"]),
                "Username": meta["Username"], "ContainerId": meta["ContainerId"], "ContainerName": meta["ContainerName"],
                "Launcher": meta["Launcher"], "TerminationMode": meta["TerminationMode"],
                "OssOutputDelivery": meta["OssOutputDelivery"], "Tags": {"Tag": list(meta["Tags"])},
            })
            if record["finish"] is not None:
                item["FinishedTime"] = _time(record["finish"])
            results.append(item)
        return {"Invocation": dict(info, InvocationResults={"InvocationResult": results})}

    @staticmethod
    def _after(key: int, cursor: int) -> bool:
        """Results are ordered newest invocation first, then by instance; is `key` past `cursor`?"""
        seq, index = divmod(key, RESULT_KEY_BASE)
        cursor_seq, cursor_index = divmod(cursor, RESULT_KEY_BASE)
        return seq < cursor_seq or (seq == cursor_seq and index > cursor_index)

    # -- StopInvocation ---------------------------------------------------------------------

    def stop_invocation(self, params: Params) -> dict[str, Any]:
        region = params.required("RegionId")
        invoke_id = params.required("InvokeId")
        command = self.engine.get_command(invoke_id)
        if command is None or command.spec.vendor != self.vendor or command.meta["RegionId"] != region:
            raise EcsError("InvalidInvokeId.NotFound", "The specified invoke ID does not exist.", 404)
        wanted = params.listed("InstanceId")
        if len(wanted) > 50:
            raise EcsError("InstanceIds.ExceedLimit", "At most 50 instances can be stopped at once.")
        unknown = [i for i in wanted if i not in command.meta["InstanceIds"]]
        if unknown:
            raise EcsError("InvalidInstanceId.NotFound", f"The instances are not part of invocation {invoke_id}: {', '.join(unknown)}.", 404)
        if command.meta["Scheduled"]:
            if command.meta["StoppedAt"] is None:
                command.meta["StoppedAt"] = self.engine.now()
            return {}
        engine_ids = [self.by_alibaba_id[i].id for i in wanted] if wanted else None
        self.engine.cancel(command, engine_ids)
        return {}
