# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""AWS Systems Manager Run Command through boto3.

Reads use the list calls (50 invocations a page) so a poll round costs one call per 50 targets,
never one per target. Vendor facts this relies on are in vendor-apis.md section 3.
"""

from __future__ import annotations

import datetime
import os
import re
import traceback
import typing as t

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    InvocationError,
    MissingDependency,
    NotFound,
    ProviderError,
    Throttled,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._record import iso8601, make_record
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import (
    AWS_SSM_COMMAND,
    AWS_SSM_INVOCATION,
    PENDING,
    is_terminal,
    lookup,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

PROVIDER = "aws_ssm"
PAGE_SIZE = 50
MAX_INSTANCE_IDS = 50
# Caps of the output fields (vendor-apis.md 3.9); output this long was cut by the service.
LIST_OUTPUT_CAP = 2500
STDOUT_CAP = 24000
STDERR_CAP = 8000
# SSM's list view joins stdout and stderr into one Output with this line between them.
ERROR_SEPARATOR = "----------ERROR-------"
TRUNCATION_MARKER = re.compile(r"-+\s*output\s+truncated\s*-+", re.IGNORECASE)
# Defaults the service applies when a command does not say (SendCommand TimeoutSeconds, and the
# executionTimeout parameter of AWS-RunShellScript).
DEFAULT_DELIVERY_TIMEOUT = 3600
DEFAULT_EXECUTION_TIMEOUT = 3600
WAIT_MARGIN = 60

COMMAND_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
INSTANCE_ID_PATTERN = re.compile(r"^(i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17})$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
CONCURRENCY_PATTERN = re.compile(r"^([1-9][0-9]*|[1-9][0-9]?%|100%)$")
ERRORS_PATTERN = re.compile(r"^(0|[1-9][0-9]*|[0-9]%|[1-9][0-9]%|100%)$")

THROTTLING_CODES = frozenset(
    (
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    )
)
ACCESS_CODES = frozenset(
    (
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
        "IncompleteSignature",
    )
)
# Retried like HTTP 5xx (vendor-apis.md 3.11).
TRANSIENT_CODES = frozenset(("RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalServerError", "ServiceUnavailable"))
NOT_FOUND_CODES = frozenset(("InvalidCommandId", "InvocationDoesNotExist", "InvalidInstanceId", "InvalidPluginName"))
INVALID_CODES = frozenset(("ValidationException", "InvalidParameters", "InvalidDocument", "InvalidFilterKey", "InvalidNextToken", "InvalidTarget"))

# Connection options this provider reads, with the environment variables tried when the option is
# not set, in amazon.aws order. botocore then applies its own chain (profile files, roles).
ENVIRONMENT_FALLBACKS = {
    "access_key": ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "EC2_ACCESS_KEY"),
    "secret_key": ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "EC2_SECRET_KEY"),
    "session_token": ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "EC2_SECURITY_TOKEN"),
    "profile": ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"),
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION", "EC2_REGION"),
    "endpoint_url": ("AWS_URL", "EC2_URL"),
    "ca_bundle": ("AWS_CA_BUNDLE",),
}


def _plain(value: t.Any) -> t.Any:
    """boto3 response data as JSON-ready values (datetimes become ISO 8601 UTC strings)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return iso8601(value)
    return value


def _blank_to_none(value: t.Any) -> t.Any:
    return None if value in ("", None) else value


def validate_command_id(command_id: str) -> str:
    if not isinstance(command_id, str) or not COMMAND_ID_PATTERN.match(command_id):
        raise InvalidInput(
            f"command_id {command_id!r} is not an SSM command id: expected 36 characters such as "
            "'0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10', as returned by SendCommand"
        )
    return command_id


def validate_instance_id(instance_id: str) -> str:
    if not isinstance(instance_id, str) or not INSTANCE_ID_PATTERN.match(instance_id):
        raise InvalidInput(
            f"instance id {instance_id!r} is not an SSM managed node id: expected 'i-' and 8 or 17 "
            "hexadecimal characters, or 'mi-' and 17 (for example 'i-0123456789abcdef0')"
        )
    return instance_id


def split_list_output(output: str | None) -> tuple[str | None, str | None, bool, bool]:
    """(stdout, stderr, stdout truncated, stderr truncated) from a list-view plugin Output.

    The service cuts the joined text at its end, so the cut is in stderr when stderr is present.
    """
    if output is None:
        return None, None, False, False
    truncated = len(output) >= LIST_OUTPUT_CAP or bool(TRUNCATION_MARKER.search(output))
    if ERROR_SEPARATOR in output:
        stdout, stderr = output.split(ERROR_SEPARATOR, 1)
        return stdout.rstrip("\n"), stderr.lstrip("\n"), False, truncated
    return output, "", truncated, False


def invocation_records(invocation: dict[str, t.Any], include_output: bool = True) -> list[dict[str, t.Any]]:
    """Records (one per step) from a ListCommandInvocations item fetched with Details=true."""
    invocation = _plain(invocation)
    plugins = invocation.get("CommandPlugins") or [None]
    invocation_status = lookup(AWS_SSM_INVOCATION, invocation.get("StatusDetails"), invocation.get("Status"))
    records = []
    for plugin in plugins:
        plugin = plugin or {}
        status = lookup(AWS_SSM_INVOCATION, plugin.get("StatusDetails"), plugin.get("Status"))
        # A step can sit at Pending while the invocation already ended (Undeliverable,
        # Delivery Timed Out, Terminated): the invocation then speaks for the step.
        vendor_level = plugin
        if not plugin or (not is_terminal(status) and is_terminal(invocation_status)):
            status = invocation_status
            vendor_level = invocation
        stdout, stderr, stdout_cut, stderr_cut = split_list_output(plugin.get("Output")) if include_output else (None, None, False, False)
        response_code = plugin.get("ResponseCode")
        raw_plugin = {key: value for key, value in plugin.items() if include_output or key != "Output"}
        raw = {key: value for key, value in invocation.items() if key != "CommandPlugins"}
        if plugin:
            raw["CommandPlugin"] = raw_plugin
        records.append(
            make_record(
                PROVIDER,
                status,
                command_id=invocation.get("CommandId"),
                instance_id=invocation.get("InstanceId"),
                instance_name=_blank_to_none(invocation.get("InstanceName")),
                step=plugin.get("Name"),
                vendor_status=vendor_level.get("Status"),
                vendor_status_details=vendor_level.get("StatusDetails"),
                exit_code=response_code if is_terminal(status) and response_code not in (None, -1) else None,
                stdout=stdout,
                stderr=stderr,
                stdout_truncated=stdout_cut,
                stderr_truncated=stderr_cut,
                stdout_url=_blank_to_none(plugin.get("StandardOutputUrl") or invocation.get("StandardOutputUrl")),
                stderr_url=_blank_to_none(plugin.get("StandardErrorUrl") or invocation.get("StandardErrorUrl")),
                requested_at=iso8601(invocation.get("RequestedDateTime")),
                started_at=iso8601(plugin.get("ResponseStartDateTime")),
                ended_at=iso8601(plugin.get("ResponseFinishDateTime")) if is_terminal(status) else None,
                raw=raw,
            )
        )
    return records


def get_invocation_record(response: dict[str, t.Any], include_output: bool = True) -> dict[str, t.Any]:
    """The record of one GetCommandInvocation response (full 24,000 / 8,000 character output)."""
    response = _plain(response)
    status = lookup(AWS_SSM_INVOCATION, response.get("StatusDetails"), response.get("Status"))
    stdout = response.get("StandardOutputContent") if include_output else None
    stderr = response.get("StandardErrorContent") if include_output else None
    raw = {key: value for key, value in response.items() if include_output or key not in ("StandardOutputContent", "StandardErrorContent")}
    response_code = response.get("ResponseCode")
    return make_record(
        PROVIDER,
        status,
        command_id=response.get("CommandId"),
        instance_id=response.get("InstanceId"),
        step=_blank_to_none(response.get("PluginName")),
        vendor_status=response.get("Status"),
        vendor_status_details=response.get("StatusDetails"),
        exit_code=response_code if is_terminal(status) and response_code not in (None, -1) else None,
        stdout=stdout,
        stderr=stderr,
        stdout_truncated=stdout is not None and len(stdout) >= STDOUT_CAP,
        stderr_truncated=stderr is not None and len(stderr) >= STDERR_CAP,
        stdout_url=_blank_to_none(response.get("StandardOutputUrl")),
        stderr_url=_blank_to_none(response.get("StandardErrorUrl")),
        started_at=iso8601(response.get("ExecutionStartDateTime")),
        ended_at=iso8601(response.get("ExecutionEndDateTime")) if is_terminal(status) else None,
        raw=raw,
    )


def command_summary(command: dict[str, t.Any]) -> dict[str, t.Any]:
    """The vendor's own aggregate for one command, kept beside ours."""
    return {
        "status": command.get("Status"),
        "status_details": command.get("StatusDetails"),
        "normalised": lookup(AWS_SSM_COMMAND, command.get("StatusDetails"), command.get("Status")),
        "target_count": command.get("TargetCount"),
        "completed_count": command.get("CompletedCount"),
        "error_count": command.get("ErrorCount"),
        "delivery_timed_out_count": command.get("DeliveryTimedOutCount"),
    }


def command_budget(command: dict[str, t.Any], now: datetime.datetime | None = None) -> float:
    """Seconds a wait on this command may need: delivery + execution timeout + margin, from its start.

    The budget counts from RequestedDateTime so a wait resumed later does not start afresh.
    """
    execution = _execution_timeout(command)
    delivery = command.get("TimeoutSeconds") or DEFAULT_DELIVERY_TIMEOUT
    total = float(delivery + execution + WAIT_MARGIN)
    requested = _parse_time(command.get("RequestedDateTime"))
    if requested is not None:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        total -= max((now - requested).total_seconds(), 0.0)
    return max(total, float(WAIT_MARGIN))


def _parse_time(value: t.Any) -> datetime.datetime | None:
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


def _execution_timeout(command: dict[str, t.Any]) -> int:
    for value in (command.get("Parameters") or {}).get("executionTimeout") or []:
        try:
            return int(str(value))
        except ValueError:
            pass
    return DEFAULT_EXECUTION_TIMEOUT


# SSM settles a timeout a moment after it falls due; look just after, not just before.
TIMEOUT_SETTLE = 1.0


def next_timeout_in(command: dict[str, t.Any], records: list[dict[str, t.Any]], now: datetime.datetime) -> float | None:
    """Seconds until the soonest delivery or execution timeout of an open target, if any is known.

    A pending target ends undeliverable when the delivery timeout (from the request) falls due; a
    running one ends timed out when its execution timeout (from its start) does.
    """
    delivery = command.get("TimeoutSeconds") or DEFAULT_DELIVERY_TIMEOUT
    execution = _execution_timeout(command)
    soonest = None
    for record in records:
        if record["terminal"]:
            continue
        if record["status"] == "running":
            started = _parse_time(record["started_at"])
            due = started + datetime.timedelta(seconds=execution) if started else None
        else:
            requested = _parse_time(record["requested_at"] or command.get("RequestedDateTime"))
            due = requested + datetime.timedelta(seconds=delivery) if requested else None
        if due is None:
            continue
        seconds = (due - now).total_seconds() + TIMEOUT_SETTLE
        if seconds > 0 and (soonest is None or seconds < soonest):
            soonest = seconds
    return soonest


def _as_string_list(name: str, value: t.Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    if isinstance(value, (dict, set)):
        raise InvalidInput(f"parameters.{name} must be a string or a list of strings, not a {type(value).__name__}")
    return [str(value)]


def build_send_request(options: dict[str, t.Any]) -> dict[str, t.Any]:
    """The SendCommand arguments for the module options, validated before any call."""
    document = options.get("document_name") or "AWS-RunShellScript"
    parameters = {name: _as_string_list(name, value) for name, value in (options.get("parameters") or {}).items()}
    if options.get("commands"):
        parameters["commands"] = [str(line) for line in options["commands"]]
    if options.get("execution_timeout") is not None:
        if not 1 <= options["execution_timeout"] <= 172800:
            raise InvalidInput(f"execution_timeout must be between 1 and 172800 seconds (48 hours), got {options['execution_timeout']}")
        parameters["executionTimeout"] = [str(options["execution_timeout"])]
    if options.get("working_directory"):
        parameters["workingDirectory"] = [options["working_directory"]]
    if document in ("AWS-RunShellScript", "AWS-RunPowerShellScript") and not parameters.get("commands"):
        raise InvalidInput(f"{document} needs something to run: set commands (a list of shell lines)")

    request: dict[str, t.Any] = {"DocumentName": document}
    if parameters:
        request["Parameters"] = parameters
    instance_ids = options.get("instance_ids") or []
    targets = options.get("targets") or []
    if bool(instance_ids) == bool(targets):
        raise InvalidInput("set exactly one of instance_ids or targets to say where the command runs")
    if instance_ids:
        if len(instance_ids) > MAX_INSTANCE_IDS:
            raise InvalidInput(
                f"SendCommand takes at most {MAX_INSTANCE_IDS} instance_ids ({len(instance_ids)} given); "
                "for more, select them with targets (for example a tag)"
            )
        request["InstanceIds"] = [validate_instance_id(instance_id) for instance_id in instance_ids]
    if targets:
        if len(targets) > 5:
            raise InvalidInput(f"SendCommand takes at most 5 targets ({len(targets)} given)")
        request["Targets"] = [{"Key": target["key"], "Values": [str(value) for value in target["values"]]} for target in targets]
    if options.get("delivery_timeout") is not None:
        if not 30 <= options["delivery_timeout"] <= 2592000:
            raise InvalidInput(f"delivery_timeout must be between 30 and 2592000 seconds, got {options['delivery_timeout']}")
        request["TimeoutSeconds"] = options["delivery_timeout"]
    if options.get("max_concurrency") is not None:
        if not CONCURRENCY_PATTERN.match(str(options["max_concurrency"])):
            raise InvalidInput(f"max_concurrency must be a count such as '10' or a percentage such as '25%', got {options['max_concurrency']!r}")
        request["MaxConcurrency"] = str(options["max_concurrency"])
    if options.get("max_errors") is not None:
        if not ERRORS_PATTERN.match(str(options["max_errors"])):
            raise InvalidInput(f"max_errors must be a count such as '0' or a percentage such as '10%', got {options['max_errors']!r}")
        request["MaxErrors"] = str(options["max_errors"])
    if options.get("comment"):
        if len(options["comment"]) > 100:
            raise InvalidInput(f"comment may hold at most 100 characters, got {len(options['comment'])}")
        request["Comment"] = options["comment"]
    if options.get("output_s3_bucket_name"):
        request["OutputS3BucketName"] = options["output_s3_bucket_name"]
    if options.get("output_s3_key_prefix"):
        request["OutputS3KeyPrefix"] = options["output_s3_key_prefix"]
    return request


def classify_client_error(error: t.Any, operation: str) -> InvocationError:
    """A botocore ClientError as one of our typed errors, vendor code and request id kept."""
    response = getattr(error, "response", {}) or {}
    details = response.get("Error", {}) or {}
    metadata = response.get("ResponseMetadata", {}) or {}
    code = details.get("Code") or "Unknown"
    message = details.get("Message") or str(error)
    http_status = metadata.get("HTTPStatusCode")
    facts = {"provider": PROVIDER, "code": code, "request_id": metadata.get("RequestId"), "http_status": http_status}
    text = f"SSM {operation} failed: {message}"
    if code in THROTTLING_CODES or http_status == 429:
        return Throttled(text, **facts)
    if code in ACCESS_CODES:
        return AccessDenied(f"{text}. Check the credentials (access_key, secret_key, session_token or profile) and their IAM permissions", **facts)
    if code in NOT_FOUND_CODES:
        return NotFound(text, **facts)
    if code in INVALID_CODES:
        return InvalidInput(text, **facts)
    return ProviderError(text, retryable=code in TRANSIENT_CODES or bool(http_status and http_status >= 500), **facts)


class CommandWatch:
    """The state of one wait over several commands: what to ask for next, what is settled.

    A command whose targets are all visible and terminal is not asked for again.
    """

    def __init__(self, provider: "AwsSsmProvider", commands: list[dict[str, t.Any]], instance_ids: list[str], include_output: bool) -> None:
        self._provider = provider
        self._commands = {command["CommandId"]: command for command in commands}
        self._instance_ids = list(instance_ids)
        self._include_output = include_output
        self._settled: dict[str, list[dict[str, t.Any]]] = {}

    def poll(self) -> Snapshot:
        snapshot = Snapshot()
        now = datetime.datetime.now(datetime.timezone.utc)
        for command_id in self._commands:
            records, expected, missing, complete = self._poll_command(command_id)
            snapshot.records.extend(records)
            snapshot.expected += expected
            snapshot.missing.extend(missing)
            snapshot.vendor_aggregate[command_id] = command_summary(self._commands[command_id])
            if not complete:
                wake_in = next_timeout_in(self._commands[command_id], records, now)
                if wake_in is not None and (snapshot.wake_in is None or wake_in < snapshot.wake_in):
                    snapshot.wake_in = wake_in
        snapshot.complete = len(self._settled) == len(self._commands)
        return snapshot

    def _poll_command(self, command_id: str) -> tuple[list[dict[str, t.Any]], int, list[str], bool]:
        if command_id in self._settled:
            records = self._settled[command_id]
            return records, len({record["instance_id"] for record in records}), [], True
        command = self._commands[command_id]
        invocations = self._provider.list_command_invocations(command_id)
        if self._instance_ids:
            invocations = [item for item in invocations if item.get("InstanceId") in self._instance_ids]
        seen = {item.get("InstanceId") for item in invocations}
        target_count = command.get("TargetCount") or 0
        refreshed = False
        if not target_count or (not self._instance_ids and len(seen) < target_count):
            # Tag targets and rate control make the target set known late: refresh the count
            # only while it does not match what is visible.
            command = self._refresh(command_id)
            target_count = command.get("TargetCount") or 0
            refreshed = True
        records = [record for item in invocations for record in invocation_records(item, self._include_output)]
        command_done = is_terminal(lookup(AWS_SSM_COMMAND, command.get("StatusDetails"), command.get("Status")))
        if self._instance_ids:
            expected = len(self._instance_ids)
            missing = [f"instance {instance_id} in command {command_id}" for instance_id in self._instance_ids if instance_id not in seen]
        else:
            expected = max(target_count, len(seen))
            missing = []
            if not seen and (target_count or not command_done):
                # Right after SendCommand the list can be empty even where the command reads done.
                missing = [f"the invocations of command {command_id}"]
            elif len(seen) < target_count and command_done:
                missing = [f"{target_count - len(seen)} of {target_count} invocations of command {command_id}"]
            # Otherwise fewer seen than counted means rate control has not reached them yet.
        if missing:
            complete = False
        elif not records:
            # A finished command with no targets at all (a tag that matched nothing).
            complete = command_done
        else:
            complete = all(record["terminal"] for record in records) and len(seen) >= expected
        if complete:
            if not refreshed:
                # One last read so the vendor's own aggregate beside ours is current, not stale.
                self._refresh(command_id)
            self._settled[command_id] = records
            expected = len(seen)
        return records, expected, missing, complete

    def _refresh(self, command_id: str) -> dict[str, t.Any]:
        command = self._provider.get_command(command_id, may_appear=True) or self._commands[command_id]
        self._commands[command_id] = command
        return command


class AwsSsmProvider:
    """SSM Run Command: reads, waits and starts, with boto3."""

    name = PROVIDER

    def __init__(self, options: dict[str, t.Any], client: t.Any = None) -> None:
        self._options = options
        self._client = client
        self.api_calls = 0

    # -- connection ---------------------------------------------------------------------------

    def _option(self, name: str) -> t.Any:
        value = self._options.get(name)
        if value not in (None, ""):
            return value
        for variable in ENVIRONMENT_FALLBACKS.get(name, ()):
            if os.environ.get(variable):
                return os.environ[variable]
        return None

    def client(self) -> t.Any:
        if self._client is not None:
            return self._client
        if not HAS_BOTO3:
            raise MissingDependency("boto3", BOTO3_IMPORT_ERROR)
        region = self._option("region")
        profile = self._option("profile")
        try:
            session = boto3.session.Session(
                aws_access_key_id=self._option("access_key"),
                aws_secret_access_key=self._option("secret_key"),
                aws_session_token=self._option("session_token"),
                profile_name=profile,
                region_name=region,
            )
        except botocore.exceptions.ProfileNotFound as error:
            raise InvalidInput(f"AWS profile {profile!r} was not found in the shared config or credentials files", provider=PROVIDER) from error
        region = session.region_name
        if not region:
            raise InvalidInput("no AWS region: set region (or the AWS_REGION environment variable)", provider=PROVIDER)
        if not REGION_PATTERN.match(region):
            raise InvalidInput(f"region {region!r} is not an AWS region name such as 'eu-west-1'", provider=PROVIDER)
        # The retry mode is set explicitly: botocore's default changed from legacy to standard in
        # 1.44, and waits must behave the same on every execution environment.
        config = Config(retries={"mode": "standard", "total_max_attempts": 5}, user_agent_extra="multicloud.invocations")
        if self._options.get("aws_config"):
            config = config.merge(Config(**self._options["aws_config"]))
        verify: t.Any = self._option("ca_bundle") or True
        if self._options.get("validate_certs") is False:
            verify = False
        self._client = session.client("ssm", endpoint_url=self._option("endpoint_url"), config=config, verify=verify)
        return self._client

    def _call(self, operation: str, **kwargs: t.Any) -> dict[str, t.Any]:
        client = self.client()
        self.api_calls += 1
        try:
            return getattr(client, operation)(**kwargs)
        except ClientError as error:
            raise classify_client_error(error, _pascal(operation)) from error
        except (NoCredentialsError, PartialCredentialsError) as error:
            raise AccessDenied(
                f"no usable AWS credentials: {error}. Set access_key and secret_key, a profile, or the AWS_* environment variables",
                provider=PROVIDER,
            ) from error
        except botocore.exceptions.SSLError as error:
            raise ProviderError(
                f"TLS verification of the SSM endpoint failed: {error}. Give the CA bundle with ca_bundle, "
                "or set validate_certs: false for a test endpoint you trust",
                provider=PROVIDER,
            ) from error
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError, botocore.exceptions.ReadTimeoutError) as error:
            raise ProviderError(f"cannot reach the SSM endpoint: {error}", provider=PROVIDER, retryable=True) from error
        except BotoCoreError as error:
            raise ProviderError(f"SSM {_pascal(operation)} failed: {error}", provider=PROVIDER) from error

    # -- reads --------------------------------------------------------------------------------

    def get_command(self, command_id: str, may_appear: bool = False) -> dict[str, t.Any] | None:
        """The command (ListCommands), or NotFound. ``may_appear`` marks an id we just created."""
        try:
            response = self._call("list_commands", CommandId=command_id)
        except NotFound as error:
            error.retryable = may_appear
            error.message = f"command {command_id} does not exist in this account and region ({error.message})"
            raise
        commands = response.get("Commands") or []
        if not commands:
            raise NotFound(f"command {command_id} does not exist in this account and region", provider=PROVIDER, retryable=may_appear)
        return _plain(commands[0])

    def describe_commands(self, command_ids: list[str]) -> list[dict[str, t.Any]]:
        for command_id in command_ids:
            validate_command_id(command_id)
        return [self.get_command(command_id) for command_id in command_ids]

    def list_command_invocations(self, command_id: str | None = None, instance_id: str | None = None, limit: int | None = None) -> list[dict[str, t.Any]]:
        """Every page of ListCommandInvocations with Details=true (or the first ``limit`` items)."""
        request: dict[str, t.Any] = {"Details": True, "MaxResults": PAGE_SIZE}
        if command_id:
            request["CommandId"] = command_id
        if instance_id:
            request["InstanceId"] = instance_id
        items: list[dict[str, t.Any]] = []
        while True:
            response = self._call("list_command_invocations", **request)
            items.extend(response.get("CommandInvocations") or [])
            token = response.get("NextToken")
            if not token or (limit and len(items) >= limit):
                return items[:limit] if limit else items
            request["NextToken"] = token

    def get_command_invocation(self, command_id: str, instance_id: str, plugin_name: str | None = None) -> dict[str, t.Any]:
        request = {"CommandId": command_id, "InstanceId": instance_id}
        if plugin_name:
            request["PluginName"] = plugin_name
        return self._call("get_command_invocation", **request)

    def query(
        self, command_id: str | None, instance_id: str | None, plugin_name: str | None, include_output: bool, limit: int
    ) -> tuple[list[dict[str, t.Any]], int, dict[str, t.Any]]:
        """What invocation_info shows: (records, expected targets, vendor aggregates)."""
        if limit < 1:
            raise InvalidInput(f"max_results must be 1 or more, got {limit}")
        if plugin_name and not (command_id and instance_id):
            raise InvalidInput("plugin_name needs both command_id and instance_id")
        if command_id:
            validate_command_id(command_id)
        if instance_id:
            validate_instance_id(instance_id)
        if command_id and instance_id:
            # One target: the single-item call gives the full 24,000 / 8,000 character output.
            response = self.get_command_invocation(command_id, instance_id, plugin_name)
            return [get_invocation_record(response, include_output)], 1, {}
        if command_id:
            command = self.get_command(command_id)
            invocations = self.list_command_invocations(command_id=command_id)
            records = [record for item in invocations for record in invocation_records(item, include_output)]
            expected = max(command.get("TargetCount") or 0, len({item.get("InstanceId") for item in invocations}))
            return records, expected, {command_id: command_summary(command)}
        invocations = self.list_command_invocations(instance_id=instance_id, limit=limit)
        records = [record for item in invocations for record in invocation_records(item, include_output)]
        return records, len(invocations), {}

    # -- waits --------------------------------------------------------------------------------

    def watch(self, commands: list[dict[str, t.Any]], instance_ids: list[str], include_output: bool) -> CommandWatch:
        for instance_id in instance_ids:
            validate_instance_id(instance_id)
        return CommandWatch(self, commands, instance_ids, include_output)

    def default_timeout(self, commands: list[dict[str, t.Any]]) -> float:
        return max(command_budget(command) for command in commands)

    # -- starts -------------------------------------------------------------------------------

    build_send_request = staticmethod(build_send_request)

    def send_command(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        return _plain(self._call("send_command", **request)["Command"])

    def cancel_command(self, command_id: str, instance_ids: list[str] | None = None) -> None:
        request: dict[str, t.Any] = {"CommandId": command_id}
        if instance_ids:
            request["InstanceIds"] = instance_ids
        self._call("cancel_command", **request)

    @staticmethod
    def pending_records(command: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        """Records for a command just sent to explicit instances, without another API call."""
        return [
            make_record(
                PROVIDER,
                PENDING,
                command_id=command.get("CommandId"),
                instance_id=instance_id,
                vendor_status="Pending",
                vendor_status_details="Pending",
                requested_at=iso8601(command.get("RequestedDateTime")),
            )
            for instance_id in command.get("InstanceIds") or []
        ]


def _pascal(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))
