# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SSM Run Command responses as normalised records, and the timeouts a wait can count on.

Pure functions over boto3 response data: no client, no I/O. Field names, caps and defaults are
from the SSM API reference (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommandInvocations.html and its neighbours).
"""

from __future__ import annotations

import datetime
import re
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._record import instance_fields, iso8601, make_record, make_step, parse_time
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import (
    AWS_SSM_COMMAND,
    AWS_SSM_INVOCATION,
    CANCELLING,
    PENDING,
    UNKNOWN,
    is_terminal,
    lookup,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import TIME, vendor_payload
from ansible_collections.multicloud.invocations.plugins.module_utils import _timeouts

PROVIDER = "aws_ssm"
# Caps of the output fields
# (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html); output this long was cut by the service.
LIST_OUTPUT_CAP = 2500
STDOUT_CAP = 24000
STDERR_CAP = 8000

# SSM's list view joins stdout and stderr into one Output with this line between them.
ERROR_SEPARATOR = "----------ERROR-------"
# The log group the agent writes to when CloudWatchOutputConfig is enabled without a group name.
DEFAULT_LOG_GROUP_PREFIX = "/aws/ssm/"
TRUNCATION_MARKER = re.compile(r"-+\s*output\s+truncated\s*-+", re.IGNORECASE)

# Defaults the service applies when a command does not say (SendCommand TimeoutSeconds, and the
# executionTimeout parameter of AWS-RunShellScript).
DEFAULT_DELIVERY_TIMEOUT = 3600
DEFAULT_EXECUTION_TIMEOUT = 3600
WAIT_MARGIN = 60


# The documented shape of every answer this provider reads (the SSM API reference of each action; AWS
# Systems Manager API Reference), as botocore hands it over: an answer without it is refused by
# _payload.check_answer before any parser reads it. Optional fields end in "?".
_COMMAND = {
    "CommandId": str, "Status?": str, "StatusDetails?": str, "DocumentName?": str, "Comment?": str,
    "TargetCount?": int, "CompletedCount?": int, "ErrorCount?": int, "DeliveryTimedOutCount?": int,
    "RequestedDateTime?": TIME, "ExpiresAfter?": TIME, "TimeoutSeconds?": int, "InstanceIds?": [str],
    "Targets?": [dict], "Parameters?": dict,
}
_PLUGIN = {
    "Name?": str, "Status?": str, "StatusDetails?": str, "ResponseCode?": int, "Output?": str,
    "ResponseStartDateTime?": TIME, "ResponseFinishDateTime?": TIME,
}
_INVOCATION = {
    "CommandId": str, "InstanceId": str, "Status?": str, "StatusDetails?": str, "InstanceName?": str,
    "DocumentName?": str, "RequestedDateTime?": TIME, "CommandPlugins?": [_PLUGIN],
}
ANSWERS: dict[str, t.Any] = {
    "SendCommand": {"Command": _COMMAND},
    "ListCommands": {"Commands": [_COMMAND], "NextToken?": str},
    "ListCommandInvocations": {"CommandInvocations": [_INVOCATION], "NextToken?": str},
    "GetCommandInvocation": {
        "CommandId": str, "InstanceId": str, "Status?": str, "StatusDetails?": str, "PluginName?": str, "ResponseCode?": int,
        "StandardOutputContent?": str, "StandardErrorContent?": str, "ExecutionStartDateTime?": str, "ExecutionEndDateTime?": str,
    },
    "CancelCommand": dict,
    "DescribeInstanceInformation": {
        "InstanceInformationList": [{"InstanceId": str, "PingStatus?": str, "LastPingDateTime?": TIME, "PlatformType?": str}],
        "NextToken?": str,
    },
    "DescribeMaintenanceWindowExecutions": {"WindowExecutions": [{"WindowExecutionId": str, "WindowId?": str, "Status?": str}], "NextToken?": str},
    "GetMaintenanceWindowExecution": {"WindowExecutionId": str, "Status?": str, "TaskIds?": [str]},
    "DescribeMaintenanceWindowExecutionTasks": {"WindowExecutionTaskIdentities": [{"WindowExecutionId?": str, "TaskExecutionId?": str, "Status?": str}],
                                                "NextToken?": str},
    "GetMaintenanceWindowExecutionTask": {"WindowExecutionId": str, "TaskExecutionId?": str, "Status?": str},
    "DescribeMaintenanceWindowExecutionTaskInvocations": {
        "WindowExecutionTaskInvocationIdentities": [{"WindowExecutionId?": str, "TaskExecutionId?": str, "InvocationId?": str, "Status?": str}],
        "NextToken?": str,
    },
}


# Values plain() gives back as they are: most of a response, so they are not passed to it one by one.
_PLAIN_LEAVES = frozenset((str, int, float, bool, type(None)))


def plain(value: t.Any) -> t.Any:
    """boto3 response data as JSON-ready values (datetimes become ISO 8601 UTC strings)."""
    if isinstance(value, dict):
        return {key: item if type(item) in _PLAIN_LEAVES else plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [item if type(item) in _PLAIN_LEAVES else plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return iso8601(value)
    return value


def _blank_to_none(value: t.Any) -> t.Any:
    return None if value in ("", None) else value


def output_log_group(payload: dict[str, t.Any]) -> str | None:
    """The CloudWatch Logs group an invocation sent its complete output to, from its CloudWatchOutputConfig:
    the group named, or ``/aws/ssm/<DocumentName>`` when enabled without a name (the default of the SSM
    API reference's CloudWatchOutputConfig); None when not enabled."""
    config = payload.get("CloudWatchOutputConfig")
    if not isinstance(config, dict) or config.get("CloudWatchOutputEnabled") is not True:
        return None
    group = config.get("CloudWatchLogGroupName")
    if isinstance(group, str) and group:
        return group
    document = payload.get("DocumentName")
    return f"{DEFAULT_LOG_GROUP_PREFIX}{document}" if isinstance(document, str) and document else None


def _exit_code(status: str, response_code: t.Any) -> int | None:
    """The exit code once the target ended; SSM's -1 means it never ran, so there is none."""
    return response_code if is_terminal(status) and response_code not in (None, -1) else None


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


def made_plain(value: t.Any) -> t.Any:
    """What :func:`plain` gives, made in place: for botocore's answers, which nothing else holds.

    A final read of 10,000 invocations would otherwise hold each item twice while its record is
    built (botocore's and the copy), besides the records."""
    if isinstance(value, dict):
        for key, item in value.items():
            if type(item) not in _PLAIN_LEAVES:
                value[key] = made_plain(item)
        value.pop("ResponseMetadata", None)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if type(item) not in _PLAIN_LEAVES:
                value[index] = made_plain(item)
    elif isinstance(value, datetime.datetime):
        return iso8601(value)
    return value


@vendor_payload(PROVIDER, "ListCommandInvocations item")
def invocation_records(invocation: dict[str, t.Any], include_output: bool = True) -> list[dict[str, t.Any]]:
    """The record of one instance (a list of one) from a ListCommandInvocations item fetched with
    Details=true: one step per CommandPlugin, the instance's status decided by its steps.

    The item becomes the record's ``raw`` (made plain in place, not copied): the caller hands it
    over and keeps no other use of it."""
    invocation = made_plain(invocation)
    invocation_status = lookup(AWS_SSM_INVOCATION, invocation.get("StatusDetails"), invocation.get("Status"))
    plugins = invocation.get("CommandPlugins") or []
    steps = [_plugin_step(plugin, invocation, invocation_status, include_output) for plugin in plugins]
    status, fields = instance_fields(steps, invocation_status)
    # As the item was, its plugins' Output left out without include_output (the steps have none either).
    invocation["CommandPlugins"] = [
        (plugin or {}) if include_output else {key: value for key, value in (plugin or {}).items() if key != "Output"} for plugin in plugins
    ]
    for name, key in (("stdout_url", "StandardOutputUrl"), ("stderr_url", "StandardErrorUrl")):
        fields[name] = fields.get(name) or _blank_to_none(invocation.get(key))
    return [
        make_record(
            PROVIDER,
            status,
            command_id=invocation.get("CommandId"),
            instance_id=invocation.get("InstanceId"),
            instance_name=_blank_to_none(invocation.get("InstanceName")),
            vendor_status=invocation.get("Status"),
            vendor_status_details=invocation.get("StatusDetails"),
            requested_at=iso8601(invocation.get("RequestedDateTime")),
            output_log_group=output_log_group(invocation),
            raw=invocation,
            **fields,
        )
    ]


def _plugin_step(plugin: dict[str, t.Any] | None, invocation: dict[str, t.Any], invocation_status: str, include_output: bool) -> dict[str, t.Any]:
    """One step from a CommandPlugin of a ListCommandInvocations item."""
    plugin = plugin or {}
    status = lookup(AWS_SSM_INVOCATION, plugin.get("StatusDetails"), plugin.get("Status"))
    vendor_level = plugin
    if not is_terminal(status) and is_terminal(invocation_status):
        # A step can sit at Pending while the invocation already ended (Undeliverable, Delivery
        # Timed Out, Terminated): the invocation then speaks for the step.
        status = invocation_status
        vendor_level = invocation
    stdout, stderr, stdout_cut, stderr_cut = split_list_output(plugin.get("Output")) if include_output else (None, None, False, False)
    return make_step(
        plugin.get("Name"),
        status,
        vendor_status=vendor_level.get("Status"),
        vendor_status_details=vendor_level.get("StatusDetails"),
        exit_code=_exit_code(status, plugin.get("ResponseCode")),
        stdout=stdout,
        stderr=stderr,
        stdout_truncated=stdout_cut,
        stderr_truncated=stderr_cut,
        stdout_url=_blank_to_none(plugin.get("StandardOutputUrl")),
        stderr_url=_blank_to_none(plugin.get("StandardErrorUrl")),
        started_at=iso8601(plugin.get("ResponseStartDateTime")),
        ended_at=iso8601(plugin.get("ResponseFinishDateTime")) if is_terminal(status) else None,
    )


@vendor_payload(PROVIDER, "GetCommandInvocation response")
def get_invocation_record(response: dict[str, t.Any], include_output: bool = True) -> dict[str, t.Any]:
    """The record of one GetCommandInvocation response (full 24,000 / 8,000 character output)."""
    response = plain(response)
    status = lookup(AWS_SSM_INVOCATION, response.get("StatusDetails"), response.get("Status"))
    stdout = response.get("StandardOutputContent") if include_output else None
    stderr = response.get("StandardErrorContent") if include_output else None
    raw = {key: value for key, value in response.items() if include_output or key not in ("StandardOutputContent", "StandardErrorContent")}
    step = make_step(
        _blank_to_none(response.get("PluginName")),
        status,
        vendor_status=response.get("Status"),
        vendor_status_details=response.get("StatusDetails"),
        exit_code=_exit_code(status, response.get("ResponseCode")),
        stdout=stdout,
        stderr=stderr,
        stdout_truncated=stdout is not None and len(stdout) >= STDOUT_CAP,
        stderr_truncated=stderr is not None and len(stderr) >= STDERR_CAP,
        stdout_url=_blank_to_none(response.get("StandardOutputUrl")),
        stderr_url=_blank_to_none(response.get("StandardErrorUrl")),
        started_at=iso8601(response.get("ExecutionStartDateTime")),
        ended_at=iso8601(response.get("ExecutionEndDateTime")) if is_terminal(status) else None,
    )
    # The response covers one step (PluginName's, or the document's only one): it is the instance's.
    status, fields = instance_fields([step], status)
    return make_record(
        PROVIDER,
        status,
        command_id=response.get("CommandId"),
        instance_id=response.get("InstanceId"),
        vendor_status=response.get("Status"),
        vendor_status_details=response.get("StatusDetails"),
        output_log_group=output_log_group(response),
        raw=raw,
        **fields,
    )


@vendor_payload(PROVIDER, "ListCommands command")
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


@vendor_payload(PROVIDER, "ListCommands command")
def command_budget(command: dict[str, t.Any], now: datetime.datetime | None = None) -> float:
    """Seconds a wait on this command may need: delivery + execution timeout + margin, from its start.

    The budget counts from RequestedDateTime so a wait resumed later does not start afresh.
    """
    execution = _execution_timeout(command)
    total = float(_delivery_timeout(command) + execution + WAIT_MARGIN)
    return _timeouts.budget_left(total, parse_time(command.get("RequestedDateTime")), WAIT_MARGIN, now)


def _execution_timeout(command: dict[str, t.Any]) -> int:
    for value in (command.get("Parameters") or {}).get("executionTimeout") or []:
        try:
            return int(str(value))
        except ValueError:
            pass
    return DEFAULT_EXECUTION_TIMEOUT


def _delivery_timeout(command: dict[str, t.Any]) -> int:
    return command.get("TimeoutSeconds") or DEFAULT_DELIVERY_TIMEOUT


# A pending (or delayed, or cancelling) target ends undeliverable when the delivery timeout, from
# the request, falls due; a running one ends timed out when its execution timeout, from its start,
# does (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html).
TIMEOUTS = _timeouts.TimeoutSpec(
    execution_timeout=_execution_timeout,
    delivery_window=_delivery_timeout,
    requested_field="RequestedDateTime",
    waiting_statuses=frozenset((PENDING, CANCELLING, UNKNOWN)),
)


@vendor_payload(PROVIDER, "ListCommands command")
def next_timeout_in(command: dict[str, t.Any], records: list[dict[str, t.Any]], now: datetime.datetime) -> float | None:
    """Seconds until the soonest delivery or execution timeout of an open target, if any is known."""
    return _timeouts.next_timeout_in(TIMEOUTS, command, records, now)


@vendor_payload(PROVIDER, "SendCommand command")
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
