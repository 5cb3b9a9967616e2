# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SendCommand arguments from the module options, and the SSM id formats, checked before any call."""

from __future__ import annotations

import re
import typing as t
import uuid

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._start_request import (
    checked_instance_ids,
    one_kind_of_target,
    refuse_over,
    whole_seconds,
)

MAX_INSTANCE_IDS = 50
MAX_TARGETS = 5
# SendCommand's TimeoutSeconds (delivery) and the executionTimeout of the AWS-Run*Script documents.
DELIVERY_TIMEOUT = (30, 2592000, "30 days")
EXECUTION_TIMEOUT = (1, 172800, "48 hours")
# SendCommand's Comment holds 100 characters; the end of it is kept for a marker of the start.
MAX_COMMENT = 100
START_MARKER_PREFIX = "mci-"
MARKER_HEX = 16
MAX_USER_COMMENT = MAX_COMMENT - len(START_MARKER_PREFIX) - MARKER_HEX - 1
COMMAND_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
INSTANCE_ID_PATTERN = re.compile(r"^(i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17})$")
CONCURRENCY_PATTERN = re.compile(r"^([1-9][0-9]*|[1-9][0-9]?%|100%)$")
ERRORS_PATTERN = re.compile(r"^(0|[1-9][0-9]*|[0-9]%|[1-9][0-9]%|100%)$")
# CloudWatchOutputConfig.CloudWatchLogGroupName in the SSM API reference: 1 to 512 of these characters.
LOG_GROUP_PATTERN = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")


def new_start_marker() -> str:
    """A marker unique to one start, for the command's Comment (see ``with_start_marker``)."""
    return START_MARKER_PREFIX + uuid.uuid4().hex[:MARKER_HEX]


def with_start_marker(request: dict[str, t.Any], marker: str) -> dict[str, t.Any]:
    """``request`` with ``marker`` at the end of its Comment. SendCommand has no idempotency token,
    so when its answer is lost, the commands sent since are scanned for this marker (ListCommands
    has no Comment filter) to learn whether the command was created."""
    comment = request.get("Comment")
    return dict(request, Comment=f"{comment} {marker}" if comment else marker)


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
    execution_timeout = whole_seconds("execution_timeout", options.get("execution_timeout"), *EXECUTION_TIMEOUT)
    if execution_timeout is not None:
        parameters["executionTimeout"] = [str(execution_timeout)]
    if options.get("working_directory"):
        parameters["workingDirectory"] = [options["working_directory"]]
    if document in ("AWS-RunShellScript", "AWS-RunPowerShellScript") and not parameters.get("commands"):
        raise InvalidInput(f"{document} needs something to run: set commands (a list of shell lines)")

    request: dict[str, t.Any] = {"DocumentName": document}
    if parameters:
        request["Parameters"] = parameters
    instance_ids, targets = one_kind_of_target(options)
    if instance_ids:
        request["InstanceIds"] = checked_instance_ids(
            instance_ids, action="SendCommand", most=MAX_INSTANCE_IDS,
            how_to_do_more="for more, select them with targets (for example a tag)", validate=validate_instance_id,
        )
    if targets:
        refuse_over("SendCommand", "targets", targets, MAX_TARGETS)
        request["Targets"] = [{"Key": target["key"], "Values": [str(value) for value in target["values"]]} for target in targets]
    delivery_timeout = whole_seconds("delivery_timeout", options.get("delivery_timeout"), *DELIVERY_TIMEOUT)
    if delivery_timeout is not None:
        request["TimeoutSeconds"] = delivery_timeout
    if options.get("max_concurrency") is not None:
        if not CONCURRENCY_PATTERN.match(str(options["max_concurrency"])):
            raise InvalidInput(f"max_concurrency must be a count such as '10' or a percentage such as '25%', got {options['max_concurrency']!r}")
        request["MaxConcurrency"] = str(options["max_concurrency"])
    if options.get("max_errors") is not None:
        if not ERRORS_PATTERN.match(str(options["max_errors"])):
            raise InvalidInput(f"max_errors must be a count such as '0' or a percentage such as '10%', got {options['max_errors']!r}")
        request["MaxErrors"] = str(options["max_errors"])
    if options.get("comment"):
        if len(options["comment"]) > MAX_USER_COMMENT:
            raise InvalidInput(
                f"comment may hold at most {MAX_USER_COMMENT} characters, got {len(options['comment'])}: SSM keeps "
                f"{MAX_COMMENT} and the collection adds a {len(START_MARKER_PREFIX) + MARKER_HEX + 1}-character marker to find a start "
                "whose answer was lost"
            )
        request["Comment"] = options["comment"]
    if options.get("output_s3_bucket_name"):
        request["OutputS3BucketName"] = options["output_s3_bucket_name"]
    if options.get("output_s3_key_prefix"):
        request["OutputS3KeyPrefix"] = options["output_s3_key_prefix"]
    group = options.get("cloudwatch_output_log_group")
    if group is not None:
        if not LOG_GROUP_PATTERN.match(group):
            raise InvalidInput(
                f"cloudwatch_output_log_group must be 1 to 512 letters, digits and the characters . - _ / #, got {group!r}; "
                "for example /ssm/run-command"
            )
        request["CloudWatchOutputConfig"] = {"CloudWatchLogGroupName": group, "CloudWatchOutputEnabled": True}
    return request
