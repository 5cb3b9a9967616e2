# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""RunCommand and InvokeCommand parameters from the module options, and the Cloud Assistant id formats.

Everything is checked before any call, with a message that says what was wrong and how to fix
it. The result is the flat RPC parameter dict (``InstanceId.1``, ``ResourceTag.1.Key``...) that
goes into the query string as is. Parameter names, limits and defaults are from the ECS API reference
(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-runcommand)
sections 5.1 to 5.3.
"""

from __future__ import annotations

import base64
import json
import re
import typing as t
import uuid

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._start_request import (
    checked_instance_ids,
    one_kind_of_target,
    refuse_over,
    script_text,
    whole_seconds,
)

MAX_INSTANCE_IDS = 100
# Tags select instances through ResourceTag.N; the documented count is not pinned down, so this
# only stops obviously runaway input.
MAX_TAG_TARGETS = 20
MAX_PARAMETERS = 10
MAX_PARAMETER_NAME = 64
# The Base64 command content, together with its custom parameters, may hold at most 24 KB.
MAX_CONTENT_BYTES = 24 * 1024
MIN_TIMEOUT = 10
MAX_TIMEOUT = 86400
MAX_CLIENT_TOKEN = 64
MAX_NAME = 128
MAX_DESCRIPTION = 512

COMMAND_TYPES = ("RunShellScript", "RunPowerShellScript", "RunBatScript")
DEFAULT_COMMAND_TYPE = "RunShellScript"

# Ids are a prefix, a dash, and lower-case letters and digits whose length varies by region
# ("t-hz0jdfwd9f1a2b3", "c-hz0jdfwcsr5c6d7", "i-bp1i7gg30r52z2em1a2b"); the bounds are loose on
# purpose. Cloud Assistant managed (non-ECS) instances are "mi-...".
INVOKE_ID_PATTERN = re.compile(r"^t-[a-z0-9]{4,64}$")
COMMAND_ID_PATTERN = re.compile(r"^c-[a-z0-9]{4,64}$")
# InvokeCommand also takes the name of a public command, which starts with "ACS-".
PUBLIC_COMMAND_PATTERN = re.compile(r"^ACS-[A-Za-z0-9._-]{1,124}$")
INSTANCE_ID_PATTERN = re.compile(r"^(i|mi)-[a-z0-9]{4,64}$")
# cn-hangzhou, ap-southeast-1, cn-shanghai-finance-1, us-west-1, me-east-1 ...
REGION_PATTERN = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
PARAMETER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
TAG_KEY_PREFIX = "tag:"


def validate_invoke_id(invoke_id: t.Any) -> str:
    if not isinstance(invoke_id, str) or not INVOKE_ID_PATTERN.match(invoke_id):
        raise InvalidInput(
            f"invocation id {invoke_id!r} is not a Cloud Assistant invoke id: expected 't-' and lower-case letters "
            "and digits, such as 't-hz0jdfwd9f1a2b3', as returned by RunCommand or InvokeCommand"
        )
    return invoke_id


def validate_command_id(command_id: t.Any, allow_public: bool = False) -> str:
    if isinstance(command_id, str) and (COMMAND_ID_PATTERN.match(command_id) or (allow_public and PUBLIC_COMMAND_PATTERN.match(command_id))):
        return command_id
    public = " or the name of a public command such as 'ACS-ECS-InstanceLoginInfo'" if allow_public else ""
    raise InvalidInput(
        f"command_id {command_id!r} is not a Cloud Assistant command id: expected 'c-' and lower-case letters "
        f"and digits, such as 'c-hz0jdfwcsr5c6d7'{public}"
    )


def validate_instance_id(instance_id: t.Any) -> str:
    if not isinstance(instance_id, str) or not INSTANCE_ID_PATTERN.match(instance_id):
        raise InvalidInput(
            f"instance id {instance_id!r} is not an ECS instance id: expected 'i-' (or 'mi-' for a managed "
            "instance) and lower-case letters and digits, such as 'i-bp1i7gg30r52z2em1a2b'"
        )
    return instance_id


def validate_region(region: t.Any) -> str:
    if not region:
        raise InvalidInput(
            "region is required for Alibaba Cloud: set region (for example 'cn-hangzhou') or the "
            "ALIBABA_CLOUD_REGION_ID environment variable"
        )
    if not isinstance(region, str) or not REGION_PATTERN.match(region):
        raise InvalidInput(f"region {region!r} is not an Alibaba Cloud region id: expected a value such as 'cn-hangzhou' or 'ap-southeast-1'")
    return region


def flatten(params: dict[str, t.Any]) -> dict[str, str]:
    """RPC parameters with lists as ``Name.N`` and dicts as ``Name.Key``, N counted from 1.

    ``{"InstanceId": ["i-a", "i-b"], "ResourceTag": [{"Key": "env", "Value": "prod"}]}`` becomes
    ``InstanceId.1``, ``InstanceId.2``, ``ResourceTag.1.Key`` and ``ResourceTag.1.Value``. None
    values are left out; booleans are sent as ``true`` / ``false``.
    """
    flat: dict[str, str] = {}

    def walk(prefix: str, value: t.Any) -> None:
        if value is None:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value, start=1):
                walk(f"{prefix}.{index}", item)
        elif isinstance(value, bool):
            flat[prefix] = "true" if value else "false"
        else:
            flat[prefix] = str(value)

    for name, value in params.items():
        walk(name, value)
    return flat


def _parameters(options: dict[str, t.Any]) -> str | None:
    """The custom parameters as the JSON string the API takes, or None when there are none."""
    parameters = options.get("parameters")
    if not parameters:
        return None
    if not isinstance(parameters, dict):
        raise InvalidInput(f"parameters must be a dict of name: value pairs for {{{{name}}}} in the command, not a {type(parameters).__name__}")
    if len(parameters) > MAX_PARAMETERS:
        raise InvalidInput(f"Cloud Assistant takes at most {MAX_PARAMETERS} parameters ({len(parameters)} given)")
    values = {}
    for name, value in parameters.items():
        if not isinstance(name, str) or not PARAMETER_NAME_PATTERN.match(name) or len(name) > MAX_PARAMETER_NAME:
            raise InvalidInput(
                f"parameter name {name!r} is not allowed: use 1 to {MAX_PARAMETER_NAME} letters, digits, '-' or '_'"
            )
        if isinstance(value, (dict, list, tuple, set)):
            raise InvalidInput(f"parameters.{name} must be a string, number or boolean, not a {type(value).__name__}")
        if value is None:
            values[name] = ""
        elif isinstance(value, bool):
            values[name] = "true" if value else "false"
        else:
            values[name] = str(value)
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _targets(options: dict[str, t.Any], action: str) -> dict[str, t.Any]:
    """InstanceId.N or ResourceTag.N, exactly one of them."""
    instance_ids, targets = one_kind_of_target(options)
    if instance_ids:
        return {"InstanceId": checked_instance_ids(
            instance_ids, action=action, most=MAX_INSTANCE_IDS,
            how_to_do_more="split them over several runs, or select them with targets (a tag)", validate=validate_instance_id,
        )}
    refuse_over(action, "tag targets", targets, MAX_TAG_TARGETS)
    tags = []
    for target in targets:
        key = target.get("key") if isinstance(target, dict) else None
        if not isinstance(key, str) or not key.startswith(TAG_KEY_PREFIX) or len(key) == len(TAG_KEY_PREFIX):
            raise InvalidInput(
                f"target key {key!r} is not supported on Alibaba Cloud: use 'tag:<TagKey>' (for example "
                "{'key': 'tag:env', 'values': ['prod']}) to select instances by tag"
            )
        values = target.get("values") or []
        if isinstance(values, str):
            values = [values]
        if len(values) > 1:
            raise InvalidInput(
                f"target {key!r} lists {len(values)} values, but Alibaba Cloud matches one value per tag key: "
                "give one value, or none to match any value of the key"
            )
        tag = {"Key": key[len(TAG_KEY_PREFIX):]}
        if values:
            tag["Value"] = str(values[0])
        tags.append(tag)
    return {"ResourceTag": tags}


def _client_token(options: dict[str, t.Any]) -> str:
    """The given token, or a fresh one: every start carries one, so the API-level retries of a start
    whose answer was lost are deduplicated by Cloud Assistant (same token and parameters: the
    first run's answer, nothing run again; see Alibaba's "How to ensure idempotence")."""
    token = options.get("client_token")
    if token is None or token == "":
        return str(uuid.uuid4())
    if not isinstance(token, str) or len(token) > MAX_CLIENT_TOKEN or not token.isascii():
        raise InvalidInput(f"client_token must be at most {MAX_CLIENT_TOKEN} ASCII characters, got {token!r}")
    return token


# OssOutputDelivery takes oss://<bucket>/<prefix> (RunCommand and InvokeCommand API reference); a bucket
# name is 3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit
# (https://www.alibabacloud.com/help/en/oss/user-guide/bucket-naming-conventions).
OSS_URI = re.compile(r"^oss://(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?$")


def oss_delivery(uri: t.Any) -> str | None:
    """output_oss_uri as Cloud Assistant's OssOutputDelivery, or InvalidInput saying what to write."""
    if uri is None or uri == "":
        return None
    if not isinstance(uri, str) or not OSS_URI.match(uri):
        raise InvalidInput(
            f"output_oss_uri must be oss://<bucket>/<prefix> with a bucket name of 3 to 63 lower-case letters, digits "
            f"and hyphens, such as oss://my-bucket/invocations; got {uri!r}"
        )
    return uri


def _common(options: dict[str, t.Any], action: str) -> dict[str, t.Any]:
    """What RunCommand and InvokeCommand share: region, targets, timeout, user, token, once only,
    and where Cloud Assistant delivers the complete output (OssOutputDelivery)."""
    params: dict[str, t.Any] = {"RegionId": validate_region(options.get("region"))}
    params.update(_targets(options, action))
    params["Timeout"] = whole_seconds("execution_timeout", options.get("execution_timeout"), MIN_TIMEOUT, MAX_TIMEOUT, "24 hours")
    username = options.get("username")
    params["Username"] = username if username else None
    params["RepeatMode"] = "Once"
    params["ClientToken"] = _client_token(options)
    params["OssOutputDelivery"] = oss_delivery(options.get("output_oss_uri"))
    return params


def build_run_command(options: dict[str, t.Any]) -> dict[str, str]:
    """The flat RunCommand parameters for the module options, validated before any call.

    The script goes as Base64 with ``ContentEncoding=Base64`` so that any bytes survive the
    query string; it runs once (``RepeatMode=Once``) and is not kept as a saved command.
    """
    command_type = options.get("command_type") or DEFAULT_COMMAND_TYPE
    if command_type not in COMMAND_TYPES:
        raise InvalidInput(f"command_type must be one of {', '.join(COMMAND_TYPES)}, got {command_type!r}")
    content = base64.b64encode(script_text(options, "RunCommand").encode("utf-8")).decode("ascii")
    parameters = _parameters(options)
    size = len(content) + (len(base64.b64encode(parameters.encode("utf-8"))) if parameters else 0)
    if size > MAX_CONTENT_BYTES:
        raise InvalidInput(
            f"the command is too large for Cloud Assistant: {size} bytes once Base64-encoded with its parameters, "
            f"at most {MAX_CONTENT_BYTES} (24 KB); copy a script to the instances and run that instead"
        )
    params = _common(options, "RunCommand")
    params.update(
        {
            "Type": command_type,
            "CommandContent": content,
            "ContentEncoding": "Base64",
            "WorkingDir": options.get("working_directory") or None,
            "EnableParameter": bool(parameters),
            "Parameters": parameters,
            "KeepCommand": False,
        }
    )
    name = options.get("name")
    if name:
        if len(name) > MAX_NAME:
            raise InvalidInput(f"name may hold at most {MAX_NAME} characters, got {len(name)}")
        params["Name"] = name
    comment = options.get("comment")
    if comment:
        if len(comment) > MAX_DESCRIPTION:
            raise InvalidInput(f"comment may hold at most {MAX_DESCRIPTION} characters, got {len(comment)}")
        params["Description"] = comment
    return flatten(params)


def build_invoke_command(options: dict[str, t.Any]) -> dict[str, str]:
    """The flat InvokeCommand parameters to run the saved command ``command_id``.

    The saved command brings its own script, type and working directory, so setting those here
    is refused rather than ignored. ``execution_timeout`` overrides the saved timeout for this
    run only.
    """
    command_id = options.get("command_id")
    if not command_id:
        raise InvalidInput("InvokeCommand needs command_id: the id of a saved command ('c-...') or the name of a public command")
    validate_command_id(command_id, allow_public=True)
    for option in ("commands", "command_type", "working_directory"):
        if options.get(option):
            raise InvalidInput(
                f"{option} cannot be set with command_id: the saved command {command_id} defines it; "
                "leave command_id unset to run new commands instead"
            )
    params = _common(options, "InvokeCommand")
    params["CommandId"] = command_id
    params["Parameters"] = _parameters(options)
    return flatten(params)
