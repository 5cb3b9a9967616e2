# AWS Systems Manager Run Command front-end (AWS JSON 1.1 over POST /).
#
# Parses and validates requests, checks SigV4, asks the engine to send/cancel, and renders
# engine state in SSM's response and error shapes.  Knows nothing about other vendors.
from __future__ import annotations

import datetime
import re
import traceback
import uuid
from typing import Any, Callable

from fleetsim import engine as e
from fleetsim import paging, sigv4, ssm_status, ssm_steps
from fleetsim.ssm_cwlogs import LogsDelivery, default_group
from fleetsim.ssm_s3 import OutputDelivery, key_of
from fleetsim.ssm_windows import MaintenanceWindows, WindowError
from fleetsim.faults import json_body_token
from fleetsim.wire import AmzTargetRouting, Request, Response, VendorError, json_object_body, json_response

TARGET_PREFIX = "AmazonSSM."
CONTENT_TYPE = "application/x-amz-json-1.1"
INSTANCE_ID_RE = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")
MAX_CONCURRENCY_RE = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS_RE = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
DOCUMENTS = {
    # document name -> (platform it runs on, plugin/step name)
    "AWS-RunShellScript": ("Linux", "aws:runShellScript"),
    "AWS-RunPowerShellScript": ("Windows", "aws:runPowerShellScript"),
}
DOCUMENT_PARAMETERS = {"commands", "workingDirectory", "executionTimeout"}
STDOUT_CAP = 24_000
STDERR_CAP = 8_000
OUTPUT_CAP = 2_500
LIST_FILTER_KEYS = {"InvokedAfter", "InvokedBefore", "Status", "DocumentName"}
COMMAND_FILTER_KEYS = LIST_FILTER_KEYS | {"ExecutionStage"}
NO_NOTIFICATION = {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""}
NO_CLOUDWATCH = {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}
# CloudWatchOutputConfig.CloudWatchLogGroupName (SSM API reference): 1 to 512 characters of these.
LOG_GROUP_RE = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
# DescribeInstanceInformation (its API reference and botocore's model): MaxResults 5 to 50, 10 by
# default; each filter 1 to 100 values; tag filters cannot be combined with other filter types.
INFO_PAGE_DEFAULT, INFO_PAGE_MIN, INFO_PAGE_MAX = 10, 5, 50
INFO_FILTER_KEYS = {"ActivationIds", "AgentVersion", "AssociationStatus", "IamRole", "InstanceIds", "PingStatus", "PlatformTypes",
                    "ResourceType", "SourceIds", "SourceTypes"}
LEGACY_INFO_FILTER_KEYS = {"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType",
                           "AssociationStatus"}
PING_STATUS = {e.AGENT_ONLINE: "Online", e.AGENT_LOST: "ConnectionLost"}
PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
AGENT_VERSION = "3.3.1611.0"
# A lost agent loaded from the fleet file last pinged this long before the server started.
LOST_BEFORE_START = 900.0


class SsmError(VendorError):
    """An SSM error, answered in the AWS JSON protocol's shape."""


def _cloudwatch_config(value: Any) -> dict[str, Any]:
    """SendCommand's CloudWatchOutputConfig, checked as SSM does; the command reports it as sent."""
    if value is None:
        return dict(NO_CLOUDWATCH)
    if not isinstance(value, dict):
        raise _validation("cloudWatchOutputConfig", value, "Member must be a structure")
    group = value.get("CloudWatchLogGroupName", "")
    if not isinstance(group, str) or (group and not LOG_GROUP_RE.match(group)):
        raise _validation("cloudWatchOutputConfig.cloudWatchLogGroupName", group,
                          f"Member must satisfy regular expression pattern: {LOG_GROUP_RE.pattern}")
    enabled = value.get("CloudWatchOutputEnabled", False)
    if not isinstance(enabled, bool):
        raise _validation("cloudWatchOutputConfig.cloudWatchOutputEnabled", enabled, "Member must be a boolean")
    return {"CloudWatchLogGroupName": group, "CloudWatchOutputEnabled": enabled}


def _validation(field: str, value: Any, constraint: str) -> SsmError:
    return SsmError("ValidationException",
                    f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}")


def _iso(ts: float) -> str:
    stamp = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _epoch(ts: float) -> float:
    return round(ts, 3)


def _parse_iso(value: str) -> float:
    text = value.strip().replace("Z", "+00:00")
    stamp = datetime.datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp()


class SsmFrontEnd(AmzTargetRouting):
    """One vendor front-end: `matches` claims a request, `handle` answers it."""

    vendor = "aws_ssm"
    service = "ssm"
    target_prefix = TARGET_PREFIX

    def __init__(self, engine: e.Engine, settings: Any, secrets: dict[str, str]) -> None:
        self.engine = engine
        self.settings = settings
        self.secrets = secrets
        self.operations: dict[str, Callable[[dict[str, Any], sigv4.SignedIdentity], dict[str, Any]]] = {
            "SendCommand": self.send_command,
            "CancelCommand": self.cancel_command,
            "ListCommands": self.list_commands,
            "ListCommandInvocations": self.list_command_invocations,
            "GetCommandInvocation": self.get_command_invocation,
            "DescribeInstanceInformation": self.describe_instance_information,
        }
        # Maintenance windows live in their own module; their task invocations send commands here.
        self.windows = MaintenanceWindows(engine, self.send_command)
        self._started_at = engine.now()
        self.operations.update(self.windows.operations())
        # The agent's upload of the complete output to OutputS3BucketName (ssm_s3.py).
        self.delivery = OutputDelivery(settings, secrets)
        # The agent's delivery to CloudWatch Logs with CloudWatchOutputConfig (ssm_cwlogs.py).
        self.logs_delivery = LogsDelivery(settings, secrets)

    def reset(self) -> None:
        self.windows.reset()
        self.delivery.reset()
        self.logs_delivery.reset()

    def _deliver_output(self, inv: e.Invocation, phase: str) -> None:
        """Send an ended invocation's complete output to S3 and CloudWatch Logs when the command asked for it."""
        if phase in e.OPEN_PHASES:
            return
        meta = inv.command.meta
        if meta.get("OutputS3BucketName"):
            self.delivery.deliver_once(inv.command.id, inv.instance.id, meta, lambda: self._plugin_outputs(inv))
        cloudwatch = meta.get("CloudWatchOutputConfig") or NO_CLOUDWATCH
        if cloudwatch["CloudWatchOutputEnabled"]:
            group = cloudwatch["CloudWatchLogGroupName"] or default_group(meta["DocumentName"])
            self.logs_delivery.deliver_once(inv.command.id, inv.instance.id, group, meta["Region"], lambda: self._plugin_streams(inv))

    def _plugin_streams(self, inv: e.Invocation) -> list[tuple[str, str, str]]:
        """(plugin id, stdout, stderr) of each plugin, whole: what the agent sends to CloudWatch Logs.
        The plugin id is the CommandPlugin's Name (the step's name; the plugin's for a one-step document)."""
        names = self._plugin_names(inv.command)
        if len(names) > 1:
            streams = [(outcome.stdout, outcome.stderr) for outcome in self._step_outcomes(inv)]
        else:
            streams = [(inv.stdout, inv.stderr)]
        return [(name, stdout or "", stderr or "") for name, (stdout, stderr) in zip(names, streams)]

    def _plugin_outputs(self, inv: e.Invocation) -> list[tuple[str, str, str, str]]:
        """(stdout key, stdout, stderr key, stderr) of each plugin, whole: what the agent uploads."""
        bucket = inv.command.meta["OutputS3BucketName"]
        names = self._plugin_names(inv.command)
        if len(names) > 1:
            streams = [(outcome.stdout, outcome.stderr) for outcome in self._step_outcomes(inv)]
        else:
            streams = [(inv.stdout, inv.stderr)]
        outputs = []
        for name, (stdout, stderr) in zip(names, streams):
            _prefix, out_url, err_url = self._output_urls(inv, name)
            outputs.append((key_of(out_url, bucket), stdout or "", key_of(err_url, bucket), stderr or ""))
        return outputs

    # -- routing (matches and operation: AmzTargetRouting) -----------------------------------

    def throttled(self, request: Request) -> Response:
        return self._error(SsmError("ThrottlingException", "Rate exceeded"), self.operation(request), str(uuid.uuid4()))

    def error_response(self, request: Request, code: str, message: str, status: int) -> Response:
        """An SSM-shaped error for `request` (used by the fault injector)."""
        return self._error(SsmError(code, message, status), self.operation(request), str(uuid.uuid4()))

    @staticmethod
    def page_token(request: Request) -> str:
        return json_body_token(request)

    def handle(self, request: Request) -> Response:
        op = self.operation(request)
        request_id = str(uuid.uuid4())
        try:
            identity = sigv4.verify(request.method, request.path, request.headers, request.body, self.secrets,
                                    self.settings.signing_now(), self.service)
        except sigv4.SignatureError as exc:
            response = self._error(SsmError(exc.code, exc.message), op, request_id)
            response.signature_failed = True
            return response
        try:
            handler = self.operations.get(op)
            if handler is None:
                raise SsmError("UnknownOperationException", "")
            params = self._parse_body(request.body)
            with self.engine.lock:   # one consistent view of the engine per request
                result = handler(params, identity)
        except SsmError as exc:
            return self._error(exc, op, request_id)
        except WindowError as exc:
            return self._error(SsmError(exc.code, exc.message), op, request_id)
        except Exception:  # pylint: disable=broad-except  # the wire must get an AWS-shaped 500
            traceback.print_exc()
            return self._error(SsmError("InternalServerError", "Internal error", 500), op, request_id)
        response = json_response(200, result, CONTENT_TYPE, operation=op, request_id=request_id)
        response.headers["x-amzn-RequestId"] = request_id
        return response

    @staticmethod
    def _parse_body(body: bytes) -> dict[str, Any]:
        return json_object_body(body, lambda message: SsmError("ValidationException", message))

    @staticmethod
    def _error(exc: SsmError, op: str, request_id: str) -> Response:
        response = json_response(exc.status, {"__type": exc.code, "message": exc.message}, CONTENT_TYPE,
                                 operation=op, request_id=request_id)
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["X-Amzn-ErrorType"] = exc.code
        return response

    # -- shared validation ------------------------------------------------------------------

    @staticmethod
    def _max_results(params: dict[str, Any]) -> int:
        value = params.get("MaxResults", 50)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _validation("maxResults", value, "Member must be an integer")
        if value < 1:
            raise _validation("maxResults", value, "Member must have value greater than or equal to 1")
        if value > 50:
            raise _validation("maxResults", value, "Member must have value less than or equal to 50")
        return value

    def _command(self, params: dict[str, Any], required: bool, region: str | None = None) -> e.Command | None:
        """The command named in the request. Run Command is a regional service: a command exists
        only in the region it was sent to (the region of the request's SigV4 credential scope), and
        a request signed for another region is answered as if the id were unknown."""
        command_id = params.get("CommandId")
        if command_id is None:
            if required:
                raise _validation("commandId", "null", "Member must not be null")
            return None
        if not isinstance(command_id, str) or len(command_id) != 36:
            raise _validation("commandId", command_id, "Member must have length equal to 36")
        command = self.engine.get_command(command_id)
        if command is None or command.spec.vendor != self.vendor or not self._in_region(command, region):
            raise SsmError("InvalidCommandId", "")
        return command

    @staticmethod
    def _in_region(command: e.Command, region: str | None) -> bool:
        return region is None or command.meta.get("Region", region) == region

    def _region_commands(self, region: str) -> list[e.Command]:
        return [c for c in self.engine.snapshot_commands(self.vendor) if self._in_region(c, region)]

    @staticmethod
    def _instance_id(params: dict[str, Any], required: bool) -> str | None:
        value = params.get("InstanceId")
        if value is None:
            if required:
                raise _validation("instanceId", "null", "Member must not be null")
            return None
        if not isinstance(value, str) or not INSTANCE_ID_RE.match(value):
            raise SsmError("InvalidInstanceId", f"Invalid instance id {value!r}")
        return value

    @staticmethod
    def _filters(params: dict[str, Any], allowed: set[str]) -> list[tuple[str, str]]:
        filters = params.get("Filters")
        if filters is None:
            return []
        if not isinstance(filters, list) or not 1 <= len(filters) <= 5:
            raise _validation("filters", filters, "Member must have length between 1 and 5")
        result = []
        for item in filters:
            if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not isinstance(item.get("value"), str):
                raise _validation("filters", item, "Member must contain 'key' and 'value' strings")
            if item["key"] not in allowed:
                raise SsmError("InvalidFilterKey", f"Invalid filter key {item['key']}")
            if item["key"] in ("InvokedAfter", "InvokedBefore"):
                try:
                    _parse_iso(item["value"])
                except ValueError as exc:
                    raise _validation("filters", item["value"], "Member must be an ISO 8601 date-time") from exc
            result.append((item["key"], item["value"]))
        return result

    def _visible(self, command: e.Command, now: float) -> bool:
        """A command and its invocations appear only after the visibility delay, to every read:
        the Run Command API is documented as eventually consistent (GetCommandInvocation's reference)."""
        return now >= command.requested_at + self.settings.visibility_for(command.id)

    @staticmethod
    def _command_passes(command: e.Command, filters: list[tuple[str, str]]) -> bool:
        for key, value in filters:
            if key == "InvokedAfter" and command.requested_at < _parse_iso(value):
                return False
            if key == "InvokedBefore" and command.requested_at > _parse_iso(value):
                return False
            if key == "DocumentName" and command.meta["DocumentName"] != value:
                return False
        return True

    # -- SendCommand ------------------------------------------------------------------------

    def send_command(self, params: dict[str, Any], identity: sigv4.SignedIdentity) -> dict[str, Any]:
        document = params.get("DocumentName")
        if not isinstance(document, str) or not document:
            raise _validation("documentName", "null", "Member must not be null")
        if document not in DOCUMENTS and document not in ssm_steps.MULTI_STEP_DOCUMENTS:
            raise SsmError("InvalidDocument", f"Document with name {document} does not exist.")
        doc_params = params.get("Parameters") or {}
        if document in ssm_steps.MULTI_STEP_DOCUMENTS:
            platform = ssm_steps.MULTI_STEP_DOCUMENTS[document][0]
            _first, execution_timeout, working_dir = self._document_parameters(doc_params, frozenset(ssm_steps.MULTI_STEP_PARAMETERS))
            script = ssm_steps.script(document, doc_params)
        else:
            platform = DOCUMENTS[document][0]
            script, execution_timeout, working_dir = self._document_parameters(doc_params)
        targets = self._resolve_targets(params)
        timeout = params.get("TimeoutSeconds", 3600)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or not 30 <= timeout <= 2592000:
            raise _validation("timeoutSeconds", timeout, "Member must have value between 30 and 2592000")
        max_concurrency = params.get("MaxConcurrency", "50")
        if not isinstance(max_concurrency, str) or not MAX_CONCURRENCY_RE.match(max_concurrency):
            raise _validation("maxConcurrency", max_concurrency, f"Member must satisfy regular expression pattern: {MAX_CONCURRENCY_RE.pattern}")
        max_errors = params.get("MaxErrors", "0")
        if not isinstance(max_errors, str) or not MAX_ERRORS_RE.match(max_errors):
            raise _validation("maxErrors", max_errors, f"Member must satisfy regular expression pattern: {MAX_ERRORS_RE.pattern}")
        comment = params.get("Comment", "")
        if not isinstance(comment, str) or len(comment) > 100:
            raise _validation("comment", comment, "Member must have length less than or equal to 100")
        bucket = params.get("OutputS3BucketName", "")
        if not isinstance(bucket, str) or (bucket and not 3 <= len(bucket) <= 63):
            raise _validation("outputS3BucketName", bucket, "Member must have length between 3 and 63")
        prefix = params.get("OutputS3KeyPrefix", "")
        if not isinstance(prefix, str) or len(prefix) > 500:
            raise _validation("outputS3KeyPrefix", prefix, "Member must have length less than or equal to 500")
        cloudwatch = _cloudwatch_config(params.get("CloudWatchOutputConfig"))
        meta = {
            "DocumentName": document,
            "Comment": comment,
            "Parameters": doc_params,
            "InstanceIds": list(params.get("InstanceIds") or []),
            "Targets": list(params.get("Targets") or []),
            "OutputS3Region": identity.region,
            # Not rendered: the region the command lives in (read requests signed for another miss it).
            "Region": identity.region,
            "OutputS3BucketName": bucket,
            "OutputS3KeyPrefix": prefix,
            "CloudWatchOutputConfig": cloudwatch,
            "MaxConcurrency": max_concurrency,
            "MaxErrors": max_errors,
            "TimeoutSeconds": timeout,
            "ServiceRole": params.get("ServiceRoleArn", "") or "",
            # Not rendered: whether some targets never appear in the list calls (fleet `unlisted`).
            "_has_unlisted": any(inst.unlisted for inst in targets),
        }
        spec = e.CommandSpec(
            script=script, platform=platform, execution_timeout=execution_timeout, delivery_timeout=float(timeout),
            max_concurrency=ssm_status.resolve_rate(max_concurrency, len(targets), 1),
            max_errors=ssm_status.resolve_rate(max_errors, len(targets), 0),
            working_directory=working_dir, meta=meta, vendor=self.vendor)
        command = self.engine.send(str(uuid.uuid4()), spec, targets)
        return {"Command": self._render_command(command, self.engine.now())}

    @staticmethod
    def _document_parameters(doc_params: Any, allowed: frozenset[str] = frozenset(DOCUMENT_PARAMETERS)) -> tuple[list[str], float, str]:
        if not isinstance(doc_params, dict):
            raise SsmError("InvalidParameters", "Parameters must be a map of parameter name to list of strings.")
        unknown = sorted(set(doc_params) - allowed)
        if unknown:
            raise SsmError("InvalidParameters", f"Parameter \"{unknown[0]}\" is not defined in the document.")
        for name, values in doc_params.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise SsmError("InvalidParameters", f"Parameter \"{name}\" must be a list of strings.")
        script = doc_params.get("commands")
        if not script:
            raise SsmError("InvalidParameters", "Parameter \"commands\" is required.")
        timeout_values = doc_params.get("executionTimeout", ["3600"])
        if len(timeout_values) != 1 or not timeout_values[0].isdigit() or not 1 <= int(timeout_values[0]) <= 172800:
            raise SsmError("InvalidParameters", "Parameter \"executionTimeout\" must be one whole number between 1 and 172800.")
        working = doc_params.get("workingDirectory", [""])
        if len(working) != 1:
            raise SsmError("InvalidParameters", "Parameter \"workingDirectory\" takes one value.")
        return list(script), float(timeout_values[0]), working[0].strip()

    def _resolve_targets(self, params: dict[str, Any]) -> list[e.Instance]:
        instance_ids = params.get("InstanceIds")
        targets = params.get("Targets")
        if instance_ids and targets:
            raise SsmError("InvalidParameters", "Specify either InstanceIds or Targets, not both.")
        if not instance_ids and not targets:
            raise SsmError("InvalidParameters", "Specify InstanceIds or Targets.")
        fleet = self.engine.instance_by_id
        if instance_ids:
            if not isinstance(instance_ids, list) or not all(isinstance(i, str) for i in instance_ids):
                raise _validation("instanceIds", instance_ids, "Member must be a list of strings")
            if len(instance_ids) > 50:
                raise _validation("instanceIds", instance_ids, "Member must have length less than or equal to 50")
            if len(set(instance_ids)) != len(instance_ids):
                raise SsmError("DuplicateInstanceId", "Instance Id list contains duplicates.")
            # InvalidInstanceId's reference: an instance whose agent is not registered is refused too.
            unknown = [i for i in instance_ids if i not in fleet or fleet[i].agent == e.AGENT_UNREGISTERED]
            if unknown:
                raise SsmError("InvalidInstanceId", f"Instances [{unknown}] not in a valid state for account.")
            return [fleet[i] for i in instance_ids]
        if not isinstance(targets, list) or len(targets) > 5:
            raise _validation("targets", targets, "Member must have length less than or equal to 5")
        # Targets reach managed instances only: one whose agent never registered is not among them.
        selected = [inst for inst in self.engine.instances if inst.agent != e.AGENT_UNREGISTERED]
        for target in targets:
            selected = [inst for inst in selected if self._target_matches(target, inst)]
        return selected

    @staticmethod
    def _target_matches(target: Any, inst: e.Instance) -> bool:
        if not isinstance(target, dict) or not isinstance(target.get("Key"), str) or not isinstance(target.get("Values"), list):
            raise _validation("targets", target, "Member must have Key and Values")
        key, values = target["Key"], [str(v) for v in target["Values"]]
        if not 1 <= len(values) <= 50:
            raise _validation("targets.member.values", values, "Member must have length between 1 and 50")
        if key.startswith("tag:") and len(key) > 4:
            return inst.tags.get(key[4:]) in values
        if key == "tag-key":
            return any(v in inst.tags for v in values)
        if key in ("InstanceIds", "instanceids"):
            return "*" in values or inst.id in values
        raise SsmError("InvalidParameters", f"Target key {key} is not supported (use tag:<key>, tag-key or InstanceIds).")

    # -- DescribeInstanceInformation -------------------------------------------------------

    def describe_instance_information(self, params: dict[str, Any], identity: sigv4.SignedIdentity) -> dict[str, Any]:
        """Managed nodes and their agents' PingStatus. Only registered agents are managed nodes, and
        the reference says stopped and terminated nodes are not returned."""
        del identity
        tests = self._info_filters(params)
        size = params.get("MaxResults", INFO_PAGE_DEFAULT)
        if not isinstance(size, int) or isinstance(size, bool) or not INFO_PAGE_MIN <= size <= INFO_PAGE_MAX:
            raise _validation("maxResults", size, f"Member must have value between {INFO_PAGE_MIN} and {INFO_PAGE_MAX}")
        query = {"op": "DescribeInstanceInformation", "f": params.get("Filters"), "l": params.get("InstanceInformationFilterList")}
        try:
            offset = paging.read_token(params.get("NextToken"), query)
        except paging.BadToken as exc:
            raise SsmError("InvalidNextToken", "The specified token is not valid.") from exc
        now = self.engine.now()
        nodes = [inst for inst in self.engine.instances
                 if inst.agent != e.AGENT_UNREGISTERED and inst.state == "running" and all(test(inst) for test in tests)]
        page = nodes[offset:offset + size]
        result: dict[str, Any] = {"InstanceInformationList": [self._render_node(inst, now) for inst in page]}
        if offset + size < len(nodes):
            result["NextToken"] = paging.make_token(offset + size, query)
        return result

    def _info_filters(self, params: dict[str, Any]) -> list[Callable[[e.Instance], bool]]:
        filters, legacy = params.get("Filters"), params.get("InstanceInformationFilterList")
        if filters and legacy:
            raise SsmError("InvalidFilterKey", "Filters and InstanceInformationFilterList cannot be used together; use Filters.")
        if legacy:
            pairs = [(item.get("key"), item.get("valueSet")) if isinstance(item, dict) else (None, None) for item in legacy]
            allowed = LEGACY_INFO_FILTER_KEYS
        else:
            pairs = [(item.get("Key"), item.get("Values")) if isinstance(item, dict) else (None, None) for item in filters or []]
            allowed = INFO_FILTER_KEYS
        tests = []
        kinds = set()
        for key, values in pairs:
            if not isinstance(key, str) or not key:
                raise _validation("filters.member.key", key, "Member must not be null")
            if not isinstance(values, list) or not 1 <= len(values) <= 100 or not all(isinstance(v, str) for v in values):
                raise _validation("filters.member.values", values, "Member must have length between 1 and 100")
            is_tag = not legacy and (key == "tag-key" or (key.startswith("tag:") and len(key) > 4))
            if not is_tag and key not in allowed:
                raise SsmError("InvalidFilterKey", f"The filter key {key} is not valid.")
            kinds.add(is_tag)
            tests.append(self._info_test(key, values, is_tag))
        if len(kinds) > 1:
            raise SsmError("InvalidFilterKey", "Tag filters cannot be combined with other filter types.")
        return tests

    @staticmethod
    def _info_test(key: str, values: list[str], is_tag: bool) -> Callable[[e.Instance], bool]:
        if is_tag and key == "tag-key":
            return lambda inst: any(v in inst.tags for v in values)
        if is_tag:
            return lambda inst: inst.tags.get(key[4:]) in values
        if key == "InstanceIds":
            bad = [v for v in values if not INSTANCE_ID_RE.match(v)]
            if bad:
                raise SsmError("InvalidInstanceInformationFilterValue", f"The filter value {bad[0]} is not valid for InstanceIds.")
            return lambda inst: inst.id in values
        if key == "PingStatus":
            bad = [v for v in values if v not in PING_STATUSES]
            if bad:
                raise SsmError("InvalidInstanceInformationFilterValue", f"The filter value {bad[0]} is not valid for PingStatus.")
            return lambda inst: PING_STATUS.get(inst.agent) in values
        if key == "PlatformTypes":
            return lambda inst: inst.platform in values
        if key == "ResourceType":
            return lambda inst: "EC2Instance" in values
        if key == "AgentVersion":
            return lambda inst: AGENT_VERSION in values
        return lambda inst: False   # activations, roles, associations, sources: none in the simulated fleet

    def _render_node(self, inst: e.Instance, now: float) -> dict[str, Any]:
        if inst.agent == e.AGENT_ONLINE:
            last_ping = now
        else:
            last_ping = inst.agent_changed_at if inst.agent_changed_at is not None else self._started_at - LOST_BEFORE_START
        windows = inst.platform == "Windows"
        return {
            "InstanceId": inst.id, "PingStatus": PING_STATUS[inst.agent], "LastPingDateTime": _epoch(last_ping),
            "AgentVersion": AGENT_VERSION, "IsLatestVersion": True, "PlatformType": inst.platform,
            "PlatformName": "Microsoft Windows Server 2022 Datacenter" if windows else "Amazon Linux",
            "PlatformVersion": "10.0.20348" if windows else "2023", "ResourceType": "EC2Instance",
            "IPAddress": f"10.0.{inst.index // 250}.{inst.index % 250 + 4}", "ComputerName": f"{inst.name}.ec2.internal",
            "SourceId": inst.id, "SourceType": "AWS::EC2::Instance",
        }

    # -- CancelCommand ----------------------------------------------------------------------

    def cancel_command(self, params: dict[str, Any], identity: sigv4.SignedIdentity) -> dict[str, Any]:
        command = self._command(params, required=True, region=identity.region)
        instance_ids = params.get("InstanceIds") or None
        if instance_ids is not None:
            if not isinstance(instance_ids, list) or not all(isinstance(i, str) for i in instance_ids):
                raise _validation("instanceIds", instance_ids, "Member must be a list of strings")
            missing = [i for i in instance_ids if i not in command.by_instance]
            if missing:
                raise SsmError("InvalidInstanceId", f"Instances {missing} are not part of command {command.id}.")
        self.engine.cancel(command, instance_ids)
        return {}

    # -- ListCommands -----------------------------------------------------------------------

    def list_commands(self, params: dict[str, Any], identity: sigv4.SignedIdentity) -> dict[str, Any]:
        max_results = self._max_results(params)
        only = self._command(params, required=False, region=identity.region)
        instance_id = self._instance_id(params, required=False)
        filters = self._filters(params, COMMAND_FILTER_KEYS)
        now = self.engine.now()
        if only is not None and not self._visible(only, now):
            # SSM's read APIs are eventually consistent: a command just sent reads as unknown for a moment.
            raise SsmError("InvalidCommandId", "")
        candidates = [only] if only else self._region_commands(identity.region)
        candidates = [c for c in candidates if self._visible(c, now)]
        if instance_id:
            candidates = [c for c in candidates if instance_id in c.by_instance]
        candidates = [c for c in candidates if self._command_passes(c, filters)]
        rendered_filters = [(k, v) for k, v in filters if k in ("Status", "ExecutionStage")]
        query = {"op": "ListCommands", "c": params.get("CommandId"), "i": instance_id, "f": filters}
        try:
            offset = paging.read_token(params.get("NextToken"), query)
        except paging.BadToken as exc:
            raise SsmError("InvalidNextToken", "The specified token is not valid.") from exc
        page: list[dict[str, Any]] = []
        position = offset
        for command in candidates[offset:]:
            if len(page) == max_results:
                break
            position += 1
            item = self._render_command(command, now)
            if all(self._command_filter_ok(item, k, v) for k, v in rendered_filters):
                page.append(item)
        result: dict[str, Any] = {"Commands": page}
        if position < len(candidates):
            result["NextToken"] = paging.make_token(position, query)
        return result

    @staticmethod
    def _command_filter_ok(item: dict[str, Any], key: str, value: str) -> bool:
        if key == "Status":
            return ssm_status.matches_status(value, item["Status"], item["StatusDetails"])
        complete = item["Status"] not in ("Pending", "InProgress", "Cancelling")
        return complete if value == "Complete" else not complete

    def _render_command(self, command: e.Command, now: float) -> dict[str, Any]:
        meta = command.meta
        counts = self.engine.counts(command, now)
        status, details = ssm_status.command_status(counts, command.spec.max_errors, command.cancel_requested)
        item = {
            "CommandId": command.id,
            "DocumentName": meta["DocumentName"],
            "DocumentVersion": "$DEFAULT",
            "Comment": meta["Comment"],
            "ExpiresAfter": _epoch(command.requested_at + command.spec.delivery_timeout),
            "Parameters": meta["Parameters"],
            "InstanceIds": meta["InstanceIds"],
            "Targets": meta["Targets"],
            "RequestedDateTime": _epoch(command.requested_at),
            "Status": status,
            "StatusDetails": details,
            "OutputS3Region": meta["OutputS3Region"],
            "OutputS3BucketName": meta["OutputS3BucketName"],
            "OutputS3KeyPrefix": meta["OutputS3KeyPrefix"],
            "MaxConcurrency": meta["MaxConcurrency"],
            "MaxErrors": meta["MaxErrors"],
            "ServiceRole": meta["ServiceRole"],
            "NotificationConfig": dict(NO_NOTIFICATION),
            "CloudWatchOutputConfig": dict(meta.get("CloudWatchOutputConfig") or NO_CLOUDWATCH),
            "TimeoutSeconds": meta["TimeoutSeconds"],
            "TriggeredAlarms": [],
        }
        item.update(ssm_status.command_counts(counts))
        return item

    # -- ListCommandInvocations -------------------------------------------------------------

    def list_command_invocations(self, params: dict[str, Any], identity: sigv4.SignedIdentity) -> dict[str, Any]:
        max_results = self._max_results(params)
        only = self._command(params, required=False, region=identity.region)
        instance_id = self._instance_id(params, required=False)
        filters = self._filters(params, LIST_FILTER_KEYS)
        details = params.get("Details", False)
        if not isinstance(details, bool):
            raise _validation("details", details, "Member must be a boolean")
        now = self.engine.now()
        commands = [only] if only else self._region_commands(identity.region)
        commands = [c for c in commands if self._visible(c, now) and self._command_passes(c, filters)]
        segments: list[list[e.Invocation]] = []
        for command in commands:
            if instance_id is None:
                segments.append(self._listed(command))
            elif instance_id in command.by_instance and not command.by_instance[instance_id].instance.unlisted:
                segments.append([command.by_instance[instance_id]])
        statuses = [v for k, v in filters if k == "Status"]
        if statuses:
            # A status filter has to look at every invocation; everything else pages by slicing.
            segments = [[inv for seg in segments for inv in seg
                         if all(ssm_status.matches_status(v, *ssm_status.invocation_status(inv.phase_at(now))) for v in statuses)]]
        query = {"op": "ListCommandInvocations", "c": params.get("CommandId"), "i": instance_id, "f": filters}
        try:
            offset = paging.read_token(params.get("NextToken"), query)
        except paging.BadToken as exc:
            raise SsmError("InvalidNextToken", "The specified token is not valid.") from exc
        page, total = self._slice(segments, offset, max_results)
        result: dict[str, Any] = {"CommandInvocations": [self._render_invocation(inv, now, details) for inv in page]}
        if offset + len(page) < total:
            result["NextToken"] = paging.make_token(offset + len(page), query)
        return result

    @staticmethod
    def _listed(command: e.Command) -> list[e.Invocation]:
        """The invocations the list call shows: all of them, unless the fleet hides some (unlisted)."""
        if not command.meta.get("_has_unlisted"):
            return command.invocations  # the common case costs no copy of a 10,000-item list
        return [inv for inv in command.invocations if not inv.instance.unlisted]

    @staticmethod
    def _slice(segments: list[list[e.Invocation]], offset: int, limit: int) -> tuple[list[e.Invocation], int]:
        """Items [offset, offset+limit) of the concatenated segments, without concatenating."""
        page: list[e.Invocation] = []
        total = 0
        for seg in segments:
            start = max(0, offset - total)
            if start < len(seg) and len(page) < limit:
                page.extend(seg[start:start + limit - len(page)])
            total += len(seg)
        return page, total

    @staticmethod
    def _plugin_names(command: e.Command) -> list[str]:
        document = command.meta["DocumentName"]
        if document in ssm_steps.MULTI_STEP_DOCUMENTS:
            return ssm_steps.step_names(document)
        return [DOCUMENTS[document][1]]

    def _output_urls(self, inv: e.Invocation, plugin_name: str | None = None) -> tuple[str, str, str]:
        """(plugin key prefix, stdout URL, stderr URL); empty without an S3 bucket."""
        meta = inv.command.meta
        bucket = meta["OutputS3BucketName"]
        if not bucket:
            return "", "", ""
        plugin = (plugin_name or self._plugin_names(inv.command)[0]).replace(":", "")
        parts = [p for p in (meta["OutputS3KeyPrefix"].strip("/"), inv.command.id, inv.instance.id, plugin) if p]
        key_prefix = "/".join(parts)
        base = f"https://s3.{meta['OutputS3Region']}.amazonaws.com/{bucket}/{key_prefix}/0.{plugin}"
        return key_prefix, base + "/stdout", base + "/stderr"

    def _render_invocation(self, inv: e.Invocation, now: float, details: bool) -> dict[str, Any]:
        command, meta = inv.command, inv.command.meta
        phase = inv.phase_at(now)
        self._deliver_output(inv, phase)
        status, status_details = ssm_status.invocation_status(phase)
        key_prefix, out_url, err_url = self._output_urls(inv)
        item: dict[str, Any] = {
            "CommandId": command.id,
            "InstanceId": inv.instance.id,
            "InstanceName": inv.instance.name,
            "Comment": meta["Comment"],
            "DocumentName": meta["DocumentName"],
            "DocumentVersion": "$DEFAULT",
            "RequestedDateTime": _epoch(command.requested_at),
            "Status": status,
            "StatusDetails": status_details,
            "TraceOutput": "",
            "StandardOutputUrl": out_url,
            "StandardErrorUrl": err_url,
            "CommandPlugins": [],
            "ServiceRole": meta["ServiceRole"],
            "NotificationConfig": dict(NO_NOTIFICATION),
            "CloudWatchOutputConfig": dict(meta.get("CloudWatchOutputConfig") or NO_CLOUDWATCH),
        }
        if details and meta["DocumentName"] in ssm_steps.MULTI_STEP_DOCUMENTS:
            # The invocation-level URLs are set only for a document with exactly one plugin.
            item["StandardOutputUrl"] = item["StandardErrorUrl"] = ""
            item["CommandPlugins"] = self._step_plugins(inv, now, phase)
        elif details:
            terminal = phase not in e.OPEN_PHASES
            plugin_status, plugin_details = ssm_status.plugin_status(phase)
            plugin: dict[str, Any] = {
                "Name": DOCUMENTS[meta["DocumentName"]][1],
                "Status": plugin_status,
                "StatusDetails": plugin_details,
                "ResponseCode": inv.exit_code if terminal and inv.exit_code is not None else -1,
                "Output": ssm_status.plugin_output(inv.stdout, inv.stderr, OUTPUT_CAP) if terminal else "",
                "StandardOutputUrl": out_url,
                "StandardErrorUrl": err_url,
                "OutputS3Region": meta["OutputS3Region"],
                "OutputS3BucketName": meta["OutputS3BucketName"],
                "OutputS3KeyPrefix": key_prefix,
            }
            if inv.started_by(now):
                plugin["ResponseStartDateTime"] = _epoch(inv.started_at)
            if terminal and inv.ended_at is not None:
                plugin["ResponseFinishDateTime"] = _epoch(inv.ended_at)
            item["CommandPlugins"] = [plugin]
        return item

    def _step_outcomes(self, inv: e.Invocation) -> list[ssm_steps.StepOutcome]:
        document = inv.command.meta["DocumentName"]
        if self.engine.executor.lazy:
            return ssm_steps.virtual_outcomes(document, inv.exit_code, inv.stdout, inv.stderr)
        return ssm_steps.outcomes(document, inv.stdout, inv.stderr)

    def _step_plugins(self, inv: e.Invocation, now: float, phase: str) -> list[dict[str, Any]]:
        """One CommandPlugin per step of a multi-step document, each with its own outcome."""
        meta = inv.command.meta
        names = self._plugin_names(inv.command)
        terminal = phase not in e.OPEN_PHASES
        outcomes = self._step_outcomes(inv) if terminal else []
        plugins = []
        previous_end = inv.started_at
        for position, name in enumerate(names):
            key_prefix, out_url, err_url = self._output_urls(inv, name)
            plugin: dict[str, Any] = {
                "Name": name, "Status": "Pending", "StatusDetails": "Pending", "ResponseCode": -1, "Output": "",
                "StandardOutputUrl": out_url, "StandardErrorUrl": err_url, "OutputS3Region": meta["OutputS3Region"],
                "OutputS3BucketName": meta["OutputS3BucketName"], "OutputS3KeyPrefix": key_prefix,
            }
            if not terminal:
                if position == 0 and inv.started_by(now):
                    # While the process runs its steps are not told apart: the first one is shown running.
                    plugin["Status"], plugin["StatusDetails"] = ssm_status.plugin_status(e.RUNNING)
                    plugin["ResponseStartDateTime"] = _epoch(inv.started_at)
            elif outcomes[position].exit_code is not None:
                outcome = outcomes[position]
                step_phase = e.SUCCESS if outcome.exit_code == 0 else e.FAILED
                plugin["Status"], plugin["StatusDetails"] = ssm_status.plugin_status(step_phase)
                plugin["ResponseCode"] = outcome.exit_code
                plugin["Output"] = ssm_status.plugin_output(outcome.stdout, outcome.stderr, OUTPUT_CAP)
                ended = outcome.ended_at if outcome.ended_at is not None else inv.ended_at
                plugin["ResponseStartDateTime"] = _epoch(previous_end if previous_end is not None else ended)
                plugin["ResponseFinishDateTime"] = _epoch(ended)
                previous_end = ended
            elif inv.started_at is not None and inv.ended_at is not None and position == len([o for o in outcomes if o.exit_code is not None]):
                # The step that was running when the invocation ended (timed out, cancelled) ends with it.
                outcome = outcomes[position]
                plugin["Status"], plugin["StatusDetails"] = ssm_status.plugin_status(phase)
                plugin["ResponseCode"] = inv.exit_code if inv.exit_code is not None else -1
                plugin["Output"] = ssm_status.plugin_output(outcome.stdout, outcome.stderr, OUTPUT_CAP)
                plugin["ResponseStartDateTime"] = _epoch(previous_end if previous_end is not None else inv.started_at)
                plugin["ResponseFinishDateTime"] = _epoch(inv.ended_at)
            plugins.append(plugin)
        return plugins

    # -- GetCommandInvocation ---------------------------------------------------------------

    def get_command_invocation(self, params: dict[str, Any], identity: sigv4.SignedIdentity) -> dict[str, Any]:
        command = self._command(params, required=True, region=identity.region)
        instance_id = self._instance_id(params, required=True)
        names = self._plugin_names(command)
        wanted = params.get("PluginName")
        if wanted is not None and wanted not in names:
            raise SsmError("InvalidPluginName", f"Plugin {wanted} is not part of document {command.meta['DocumentName']}.")
        if wanted is None and len(names) > 1:
            raise SsmError("InvalidPluginName", f"Document {command.meta['DocumentName']} has several plugins: give PluginName.")
        plugin_name = wanted or names[0]
        now = self.engine.now()
        inv = command.by_instance.get(instance_id)
        if inv is None or inv.instance.unlisted or not self._visible(command, now):
            raise SsmError("InvocationDoesNotExist", "")
        phase = inv.phase_at(now)
        self._deliver_output(inv, phase)
        status, status_details = ssm_status.invocation_status(phase)
        terminal = phase not in e.OPEN_PHASES
        out_url, err_url = self._output_urls(inv, plugin_name)[1:]
        response_code = inv.exit_code if terminal and inv.exit_code is not None else -1
        stdout, stderr = inv.stdout, inv.stderr
        if len(names) > 1:
            # One step of a multi-step document: its own status, exit code and output.
            plugin = self._step_plugins(inv, now, phase)[names.index(plugin_name)]
            status, status_details, response_code = plugin["Status"], plugin["StatusDetails"], plugin["ResponseCode"]
            outcome = self._step_outcomes(inv)[names.index(plugin_name)] if terminal else None
            stdout, stderr = (outcome.stdout, outcome.stderr) if outcome else ("", "")
        started = inv.started_by(now)
        end = inv.ended_at if terminal and started else None
        elapsed = ""
        if started:
            elapsed = f"PT{max(0.0, (end if end is not None else now) - inv.started_at):.3f}S"
        return {
            "CommandId": command.id,
            "InstanceId": inv.instance.id,
            "Comment": command.meta["Comment"],
            "DocumentName": command.meta["DocumentName"],
            "DocumentVersion": "$DEFAULT",
            "PluginName": plugin_name,
            "ResponseCode": response_code,
            "ExecutionStartDateTime": _iso(inv.started_at) if started else "",
            "ExecutionElapsedTime": elapsed,
            "ExecutionEndDateTime": _iso(end) if end is not None else "",
            "Status": status,
            "StatusDetails": status_details,
            "StandardOutputContent": stdout[:STDOUT_CAP] if terminal else "",
            "StandardOutputUrl": out_url,
            "StandardErrorContent": stderr[:STDERR_CAP] if terminal else "",
            "StandardErrorUrl": err_url,
            "CloudWatchOutputConfig": dict(command.meta.get("CloudWatchOutputConfig") or NO_CLOUDWATCH),
        }
