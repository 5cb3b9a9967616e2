# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""CreateCommand, InvokeCommand and DescribeCommandInvocations bodies from the module options,
the ZOS id checks, and page-number paging.

Everything is checked before any call, with a message that says what was wrong and how to fix
it. The results are the JSON request objects (camelCase keys, None left out) that
:func:`json_body` turns into the exact bytes to sign and send. Parameter names, limits and
defaults are from Zenlayer's SDK (https://github.com/zenlayer/zenlayercloud-sdk-python).

ZOS has no one-shot run: running new commands means CreateCommand once, then InvokeCommand with
the ``commandId`` it returns (:func:`build_run_requests` checks both before either call).

Choices made here:

- Script size: the documentation says 4,096 characters, the CLI's API metadata 16,384. The
  metadata is generated from the API definition and is the newer source, so 16,384 characters
  are allowed; a service that still holds to 4,096 refuses a longer script with its own error.
- Id formats are not documented. The checks are permissive (letters, digits, ``-``, ``_``, ``.``,
  ``:``, 1 to 128 characters) and only refuse what is clearly another cloud's id: an SSM command
  id (a UUID), an AWS instance id (``i-`` and 8 or 17 hex digits) and Cloud Assistant invoke and
  command ids (``t-`` / ``c-`` and lower-case letters and digits).
"""

from __future__ import annotations

import json
import re
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._start_request import checked_instance_ids, script_text, whole_seconds

MAX_INSTANCE_IDS = 200
MIN_TIMEOUT = 1
MAX_TIMEOUT = 60
DEFAULT_TIMEOUT = 30
MAX_CONTENT_CHARS = 16384
MAX_NAME = 64
MAX_DESCRIPTION = 255
MAX_ID = 128

COMMAND_TYPES = ("SHELL", "POWERSHELL", "BAT")
DEFAULT_COMMAND_TYPE = "SHELL"
# CreateCommand requires a name; saved commands made for a run are named so.
DEFAULT_COMMAND_NAME = "multicloud-invocations"

# DescribeCommandInvocations paging: pageNum from 1, pageSize 20 by default and 10,000 at most.
# A page holds invocations, each with up to 200 instances and their output, so ask for fewer.
MAX_PAGE_SIZE = 10000
DEFAULT_PAGE_SIZE = 100

# DescribeCommandInvocations' invocationStatuses filter takes the invocation statuses ZOS documents
# (Zenlayer API reference, DescribeCommandInvocations; the CLI's API metadata lists the same enum).
INVOCATION_STATUSES = ("Pending", "Running", "Success", "Failed", "PartialFailed")
# Those that say every instance of the invocation has ended: it will not change again.
ENDED_INVOCATION_STATUSES = ("Success", "Failed", "PartialFailed")

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
# Ids of the other clouds this collection drives, refused with a pointed message.
SSM_COMMAND_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
AWS_INSTANCE_ID_PATTERN = re.compile(r"^(i|mi)-([0-9a-f]{8}|[0-9a-f]{17})$")
ALIBABA_INVOKE_ID_PATTERN = re.compile(r"^t-[a-z0-9]{4,64}$")
ALIBABA_COMMAND_ID_PATTERN = re.compile(r"^c-[a-z0-9]{4,64}$")


def _foreign(value: str) -> str | None:
    """What other cloud's id this looks like, or None."""
    if SSM_COMMAND_ID_PATTERN.match(value):
        return "an AWS SSM command id"
    if AWS_INSTANCE_ID_PATTERN.match(value):
        return "an AWS instance id"
    if ALIBABA_INVOKE_ID_PATTERN.match(value):
        return "an Alibaba Cloud Assistant invoke id"
    if ALIBABA_COMMAND_ID_PATTERN.match(value):
        return "an Alibaba Cloud Assistant command id"
    return None


def _validate_id(value: t.Any, what: str, example: str, source: str) -> str:
    if isinstance(value, str) and ID_PATTERN.match(value):
        foreign = _foreign(value)
        if foreign is None:
            return value
        raise InvalidInput(f"{what} {value!r} looks like {foreign}, not a Zenlayer ZOS id: use the {source}")
    raise InvalidInput(
        f"{what} {value!r} is not a Zenlayer ZOS id: expected 1 to {MAX_ID} letters, digits, '-', '_', '.' or ':' "
        f"(such as {example!r}): use the {source}"
    )


def validate_invocation_id(invocation_id: t.Any) -> str:
    return _validate_id(invocation_id, "invocation id", "inv-1a2b3c4d", "invocationId InvokeCommand returned")


def validate_command_id(command_id: t.Any) -> str:
    return _validate_id(command_id, "command id", "cmd-1a2b3c4d", "commandId CreateCommand or DescribeCommands returned")


def validate_instance_id(instance_id: t.Any) -> str:
    return _validate_id(instance_id, "instance id", "ins-1a2b3c4d", "instanceId of a Zenlayer elastic compute instance")


def json_body(params: t.Mapping[str, t.Any]) -> bytes:
    """The exact bytes to hash, sign and send: JSON with None values left out.

    Serialised as the SDK does (``json.dumps`` defaults: ``", "`` and ``": "`` separators, non-ASCII
    escaped), so a body built here is byte for byte the SDK's for the same request.
    """
    return json.dumps({name: value for name, value in params.items() if value is not None}).encode("ascii")


def _timeout(options: dict[str, t.Any]) -> int:
    timeout = whole_seconds(
        "execution_timeout", options.get("execution_timeout"), MIN_TIMEOUT, MAX_TIMEOUT, f"all Zenlayer ZOS allows; {DEFAULT_TIMEOUT} when not set",
    )
    return DEFAULT_TIMEOUT if timeout is None else timeout


def _instance_ids(options: dict[str, t.Any]) -> list[str]:
    instance_ids = options.get("instance_ids") or []
    if isinstance(instance_ids, str):
        instance_ids = [instance_ids]
    if not instance_ids:
        raise InvalidInput(f"InvokeCommand needs instance_ids: the Zenlayer elastic compute instances to run on (1 to {MAX_INSTANCE_IDS})")
    return checked_instance_ids(
        instance_ids, action="InvokeCommand", most=MAX_INSTANCE_IDS, how_to_do_more="split them over several runs", validate=validate_instance_id,
    )


def _content(options: dict[str, t.Any]) -> str:
    content = script_text(options, "CreateCommand")
    if len(content) > MAX_CONTENT_CHARS:
        raise InvalidInput(
            f"the command is too large for Zenlayer ZOS: {len(content)} characters, at most {MAX_CONTENT_CHARS}; "
            "copy a script to the instances and run that instead"
        )
    return content


def _targets_and_timeout(options: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"instanceIds": _instance_ids(options), "timeout": _timeout(options)}


def build_create_command(options: dict[str, t.Any]) -> dict[str, t.Any]:
    """The CreateCommand body that saves ``commands`` (lines joined with newlines) as a command.

    ``name`` defaults to ``multicloud-invocations``; ``comment`` becomes the description;
    ``command_type`` is ``SHELL`` (Linux), ``POWERSHELL`` or ``BAT`` (Windows), ``SHELL`` by default.
    """
    if options.get("saved_command_id"):
        raise InvalidInput("set either commands or saved_command_id, not both: saved_command_id runs a command saved before")
    command_type = options.get("command_type") or DEFAULT_COMMAND_TYPE
    if command_type not in COMMAND_TYPES:
        raise InvalidInput(f"command_type must be one of {', '.join(COMMAND_TYPES)} on Zenlayer ZOS, got {command_type!r}")
    content = _content(options)
    name = options.get("name") or DEFAULT_COMMAND_NAME
    if not isinstance(name, str):
        raise InvalidInput(f"name must be text, not a {name.__class__.__name__}")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name may hold at most {MAX_NAME} characters on Zenlayer ZOS, got {len(name)}")
    body: dict[str, t.Any] = {"name": name, "content": content, "type": command_type}
    comment = options.get("comment")
    if comment:
        if len(comment) > MAX_DESCRIPTION:
            raise InvalidInput(f"comment may hold at most {MAX_DESCRIPTION} characters on Zenlayer ZOS, got {len(comment)}")
        body["description"] = comment
    return body


def build_invoke_command(options: dict[str, t.Any], command_id: str | None = None) -> dict[str, t.Any]:
    """The InvokeCommand body: ``commandId``, ``instanceIds`` (1 to 200) and ``timeout`` (1 to 60, default 30).

    ``command_id`` is the id CreateCommand just returned, for a run of new commands; without it
    the saved command ``saved_command_id`` runs, and setting ``commands`` or ``command_type``
    (which the saved command defines) is refused rather than ignored. Options ZOS has no
    counterpart for (targets, parameters...) are refused earlier, from the capability table in
    _capabilities.py. The timeout is always sent, so the invocation's timeout is known.
    """
    if command_id is None:
        saved = options.get("saved_command_id")
        if not saved:
            raise InvalidInput("InvokeCommand needs saved_command_id (the commandId of a saved ZOS command), or commands to run")
        for option in ("commands", "command_type"):
            if options.get(option):
                raise InvalidInput(
                    f"{option} cannot be set with saved_command_id: the saved command {saved} defines it; "
                    "leave saved_command_id unset to run new commands instead"
                )
        command_id = saved
    return {"commandId": validate_command_id(command_id), **_targets_and_timeout(options)}


def build_run_requests(options: dict[str, t.Any]) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """(CreateCommand body, InvokeCommand body) for a run of new commands, both checked before either call.

    The InvokeCommand body's ``commandId`` is None: set it to the id CreateCommand returns.
    """
    create = build_create_command(options)
    return create, {"commandId": None, **_targets_and_timeout(options)}


def page_params(page_num: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> dict[str, int]:
    """``pageNum`` (from 1) and ``pageSize`` (1 to 10,000) for a describe call."""
    if isinstance(page_num, bool) or not isinstance(page_num, int) or page_num < 1:
        raise InvalidInput(f"page number must be a whole number from 1, got {page_num!r}")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
    # The SDK's key order, so that a body built here is the SDK's byte for byte.
    return {"pageSize": page_size, "pageNum": page_num}


def is_last_page(page_items: t.Sized | None, page_size: int, seen: int, total_count: t.Any = None) -> bool:
    """Whether paging stops after this page: it is short (or empty), or ``seen`` reached ``totalCount``.

    ``seen`` counts the items collected so far, this page included. ``totalCount`` alone is not
    reliable (the documentation shows 0 beside a non-empty ``dataSet``), so a missing, zero or
    non-numeric one is ignored and only a short page ends the paging then.
    """
    count = len(page_items or ())
    if count == 0 or count < page_size:
        return True
    if isinstance(total_count, bool):
        return False
    try:
        total = int(total_count)
    except (TypeError, ValueError):
        return False
    return total > 0 and seen >= total


def build_describe_invocations(
    invocation_ids: t.Sequence[str] | None = None,
    command_ids: t.Sequence[str] | None = None,
    instance_ids: t.Sequence[str] | None = None,
    page_num: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    invocation_statuses: t.Sequence[str] | None = None,
) -> dict[str, t.Any]:
    """A DescribeCommandInvocations body for one page, the ids checked; empty filters are left out.

    ``invocation_statuses`` keeps only the invocations whose ``invocationStatus`` is one of them
    (the documented ``invocationStatuses`` filter: Pending, Running, Success, Failed, PartialFailed).
    """
    unknown = [value for value in invocation_statuses or () if value not in INVOCATION_STATUSES]
    if unknown:
        raise InvalidInput(f"invocation status {unknown[0]!r} is not one ZOS knows: use one of {', '.join(INVOCATION_STATUSES)}")
    body: dict[str, t.Any] = {
        "commandIds": [validate_command_id(value) for value in command_ids] if command_ids else None,
        "invocationIds": [validate_invocation_id(value) for value in invocation_ids] if invocation_ids else None,
        "instanceIds": [validate_instance_id(value) for value in instance_ids] if instance_ids else None,
        "invocationStatuses": list(invocation_statuses) if invocation_statuses else None,
    }
    body.update(page_params(page_num, page_size))
    return {name: value for name, value in body.items() if value is not None}
