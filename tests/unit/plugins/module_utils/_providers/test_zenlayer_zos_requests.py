# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZOS request building: id checks, CreateCommand / InvokeCommand / DescribeCommandInvocations
bodies, page-number paging, and every validation message."""

from __future__ import annotations

import json

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_requests import (
    build_create_command,
    build_describe_invocations,
    build_invoke_command,
    build_run_requests,
    is_last_page,
    json_body,
    page_params,
    validate_command_id,
    validate_instance_id,
    validate_invocation_id,
)

I1 = "ins-7c1d9e2f30"
I2 = "ins-4a6b8c0d12"
INVOCATION_ID = "inv-2f9a1c7e5b"
COMMAND_ID = "cmd-8d3e0b6a41"
SSM_UUID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
ALIBABA_INVOKE_ID = "t-hz0jdfwd9f1a2b3"
ALIBABA_COMMAND_ID = "c-hz0jdfwcsr5c6d7"


def run_options(**overrides):
    options = {
        "commands": ["uptime"],
        "command_type": None,
        "execution_timeout": None,
        "instance_ids": [I1],
        "saved_command_id": None,
        "comment": None,
        "name": None,
    }
    options.update(overrides)
    return options


def invoke_options(**overrides):
    options = run_options(commands=None, saved_command_id=COMMAND_ID)
    options.update(overrides)
    return options


def error(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value.message


# -- ids -----------------------------------------------------------------------------------------

GOOD_IDS = [
    "inv-test-0001",
    "cmd-test-0001",
    "ins-a-0001",
    "1234567890123456789",
    "a",
    "Zos_Inv.2026:01",
    "x" * 128,
    # An AWS-like prefix with a length AWS never uses is not refused.
    "i-0123456789ab",
]


@pytest.mark.parametrize("value", GOOD_IDS)
def test_ids_good(value):
    assert validate_invocation_id(value) == value
    assert validate_command_id(value) == value
    assert validate_instance_id(value) == value


@pytest.mark.parametrize("value", ["", " inv-1", "inv 1", "-inv", "inv/1", "inv-1****", "x" * 129, "名字", None, 42, ["inv-1"]])
def test_invocation_id_bad(value):
    assert error(validate_invocation_id, value) == (
        f"invocation id {value!r} is not a Zenlayer ZOS id: expected 1 to 128 letters, digits, '-', '_', '.' or ':' "
        "(such as 'inv-1a2b3c4d'): use the invocationId InvokeCommand returned"
    )


@pytest.mark.parametrize("value", ["", "cmd 1", None])
def test_command_id_bad(value):
    assert error(validate_command_id, value) == (
        f"command id {value!r} is not a Zenlayer ZOS id: expected 1 to 128 letters, digits, '-', '_', '.' or ':' "
        "(such as 'cmd-1a2b3c4d'): use the commandId CreateCommand or DescribeCommands returned"
    )


@pytest.mark.parametrize("value", ["", "web 1", None])
def test_instance_id_bad(value):
    assert error(validate_instance_id, value) == (
        f"instance id {value!r} is not a Zenlayer ZOS id: expected 1 to 128 letters, digits, '-', '_', '.' or ':' "
        "(such as 'ins-1a2b3c4d'): use the instanceId of a Zenlayer elastic compute instance"
    )


@pytest.mark.parametrize(
    "value, foreign",
    [
        (SSM_UUID, "an AWS SSM command id"),
        (SSM_UUID.upper(), "an AWS SSM command id"),
        ("i-0123456789abcdef0", "an AWS instance id"),
        ("i-0123abcd", "an AWS instance id"),
        ("mi-0123456789abcdef0", "an AWS instance id"),
        (ALIBABA_INVOKE_ID, "an Alibaba Cloud Assistant invoke id"),
        (ALIBABA_COMMAND_ID, "an Alibaba Cloud Assistant command id"),
    ],
)
def test_ids_of_other_clouds_are_refused(value, foreign):
    assert error(validate_invocation_id, value) == (
        f"invocation id {value!r} looks like {foreign}, not a Zenlayer ZOS id: use the invocationId InvokeCommand returned"
    )
    assert error(validate_command_id, value) == (
        f"command id {value!r} looks like {foreign}, not a Zenlayer ZOS id: use the commandId CreateCommand or DescribeCommands returned"
    )
    assert error(validate_instance_id, value) == (
        f"instance id {value!r} looks like {foreign}, not a Zenlayer ZOS id: use the instanceId of a Zenlayer elastic compute instance"
    )


# -- json_body -----------------------------------------------------------------------------------


def test_json_body_is_sdk_style_and_drops_none():
    body = json_body({"name": "名字", "content": "a\nb", "type": "SHELL", "description": None})
    assert body == b'{"name": "\\u540d\\u5b57", "content": "a\\nb", "type": "SHELL"}'
    assert json.loads(body) == {"name": "名字", "content": "a\nb", "type": "SHELL"}
    assert json_body({}) == b"{}"


# -- build_create_command ------------------------------------------------------------------------


def test_create_command_minimal():
    assert build_create_command(run_options()) == {"name": "multicloud-invocations", "content": "uptime", "type": "SHELL"}


def test_create_command_everything():
    body = build_create_command(run_options(commands=["cd /tmp", "echo 'héllo' 中文", "", "exit 3"], command_type="BAT", name="patch", comment="nightly"))
    assert body == {"name": "patch", "content": "cd /tmp\necho 'héllo' 中文\n\nexit 3", "type": "BAT", "description": "nightly"}
    assert list(body) == ["name", "content", "type", "description"]


@pytest.mark.parametrize("command_type", ["SHELL", "POWERSHELL", "BAT"])
def test_create_command_types(command_type):
    assert build_create_command(run_options(command_type=command_type))["type"] == command_type


@pytest.mark.parametrize("command_type", ["RunShellScript", "AWS-RunShellScript", "shell", "PYTHON"])
def test_create_command_type_bad(command_type):
    assert error(build_create_command, run_options(command_type=command_type)) == (
        f"command_type must be one of SHELL, POWERSHELL, BAT on Zenlayer ZOS, got {command_type!r}"
    )


@pytest.mark.parametrize("commands", [None, [], "", ["", "  "]])
def test_create_command_needs_commands(commands):
    assert error(build_create_command, run_options(commands=commands)) == "CreateCommand needs something to run: set commands (a list of script lines)"


def test_create_command_single_string_is_one_line():
    assert build_create_command(run_options(commands="uptime"))["content"] == "uptime"


def test_create_command_size_limit_counts_characters():
    # 16,384 characters (CLI metadata), not bytes: a multi-byte character counts once.
    assert build_create_command(run_options(commands=["中" * 16384]))["content"] == "中" * 16384
    assert build_create_command(run_options(commands=["a" * 8191, "b" * 8192]))
    assert error(build_create_command, run_options(commands=["a" * 16385])) == (
        "the command is too large for Zenlayer ZOS: 16385 characters, at most 16384; copy a script to the instances and run that instead"
    )
    assert error(build_create_command, run_options(commands=["a" * 8192, "b" * 8192])).startswith("the command is too large for Zenlayer ZOS: 16385 characters")


def test_create_command_name_and_comment_limits():
    assert build_create_command(run_options(name="n" * 64))["name"] == "n" * 64
    assert error(build_create_command, run_options(name="n" * 65)) == "name may hold at most 64 characters on Zenlayer ZOS, got 65"
    assert error(build_create_command, run_options(name=5)) == "name must be text, not a int"
    assert build_create_command(run_options(comment="c" * 255))["description"] == "c" * 255
    assert error(build_create_command, run_options(comment="c" * 256)) == "comment may hold at most 255 characters on Zenlayer ZOS, got 256"


def test_create_command_refuses_a_saved_command_too():
    assert error(build_create_command, run_options(saved_command_id=COMMAND_ID)) == (
        "set either commands or saved_command_id, not both: saved_command_id runs a command saved before"
    )


# -- build_invoke_command ------------------------------------------------------------------------


def test_invoke_saved_command_minimal():
    assert build_invoke_command(invoke_options()) == {"commandId": COMMAND_ID, "instanceIds": [I1], "timeout": 30}


def test_invoke_new_command_everything():
    body = build_invoke_command(run_options(instance_ids=[I1, I2], execution_timeout=60), command_id="cmd-new-0001")
    assert body == {"commandId": "cmd-new-0001", "instanceIds": [I1, I2], "timeout": 60}
    assert list(body) == ["commandId", "instanceIds", "timeout"]


def test_invoke_needs_a_command():
    assert error(build_invoke_command, invoke_options(saved_command_id=None)) == (
        "InvokeCommand needs saved_command_id (the commandId of a saved ZOS command), or commands to run"
    )


def test_invoke_checks_the_command_id():
    assert error(build_invoke_command, invoke_options(saved_command_id=ALIBABA_COMMAND_ID)).startswith(
        f"command id {ALIBABA_COMMAND_ID!r} looks like an Alibaba Cloud Assistant command id"
    )
    assert error(build_invoke_command, run_options(), command_id="bad id").startswith("command id 'bad id' is not a Zenlayer ZOS id")


@pytest.mark.parametrize("option, value", [("commands", ["uptime"]), ("command_type", "SHELL")])
def test_invoke_saved_command_refuses_what_it_defines(option, value):
    assert error(build_invoke_command, invoke_options(**{option: value})) == (
        f"{option} cannot be set with saved_command_id: the saved command {COMMAND_ID} defines it; "
        "leave saved_command_id unset to run new commands instead"
    )


@pytest.mark.parametrize("timeout", [1, 30, 60])
def test_invoke_timeout_good(timeout):
    assert build_invoke_command(invoke_options(execution_timeout=timeout))["timeout"] == timeout


@pytest.mark.parametrize("timeout", [0, 61, 300, 3600, -1, True, "30", 1.5])
def test_invoke_timeout_bad(timeout):
    assert error(build_invoke_command, invoke_options(execution_timeout=timeout)) == (
        f"execution_timeout must be a whole number of seconds from 1 to 60 (all Zenlayer ZOS allows; 30 when not set), got {timeout!r}"
    )


@pytest.mark.parametrize("instance_ids", [None, []])
def test_invoke_needs_instances(instance_ids):
    assert error(build_invoke_command, invoke_options(instance_ids=instance_ids)) == (
        "InvokeCommand needs instance_ids: the Zenlayer elastic compute instances to run on (1 to 200)"
    )


def test_invoke_single_instance_string():
    assert build_invoke_command(invoke_options(instance_ids=I1))["instanceIds"] == [I1]


def test_invoke_instance_count():
    ids = [f"ins-{n:04d}" for n in range(200)]
    assert build_invoke_command(invoke_options(instance_ids=ids))["instanceIds"] == ids
    assert error(build_invoke_command, invoke_options(instance_ids=ids + ["ins-extra"])) == (
        "InvokeCommand takes at most 200 instance_ids (201 given); split them over several runs"
    )


def test_invoke_duplicate_instances():
    message = error(build_invoke_command, invoke_options(instance_ids=[I1, I2, I1, I2]))
    assert message == f"instance_ids lists {I2}, {I1} more than once: list each instance once"


def test_invoke_bad_instance_id():
    assert error(build_invoke_command, invoke_options(instance_ids=[I1, SSM_UUID])) == (
        f"instance id {SSM_UUID!r} looks like an AWS SSM command id, not a Zenlayer ZOS id: use the instanceId of a Zenlayer elastic compute instance"
    )


# -- build_run_requests --------------------------------------------------------------------------


def test_run_requests():
    create, invoke = build_run_requests(run_options(commands=["uptime", "df -h"], instance_ids=[I1, I2], execution_timeout=10, comment="c"))
    assert create == {"name": "multicloud-invocations", "content": "uptime\ndf -h", "type": "SHELL", "description": "c"}
    assert invoke == {"commandId": None, "instanceIds": [I1, I2], "timeout": 10}
    invoke["commandId"] = "cmd-new-0001"
    assert json_body(invoke) == b'{"commandId": "cmd-new-0001", "instanceIds": ["ins-7c1d9e2f30", "ins-4a6b8c0d12"], "timeout": 10}'


def test_run_requests_check_the_invoke_part_before_any_call():
    assert error(build_run_requests, run_options(execution_timeout=120)).startswith("execution_timeout must be a whole number of seconds from 1 to 60")
    assert error(build_run_requests, run_options(instance_ids=[])).startswith("InvokeCommand needs instance_ids")
    assert error(build_run_requests, run_options(commands=[])).startswith("CreateCommand needs something to run")


# -- paging --------------------------------------------------------------------------------------


def test_page_params():
    assert page_params() == {"pageSize": 100, "pageNum": 1}
    assert page_params(3, 10000) == {"pageSize": 10000, "pageNum": 3}
    assert page_params(1, 1) == {"pageSize": 1, "pageNum": 1}


@pytest.mark.parametrize("page_num", [0, -1, True, "1", 1.0])
def test_page_params_bad_page_number(page_num):
    assert error(page_params, page_num, 20) == f"page number must be a whole number from 1, got {page_num!r}"


@pytest.mark.parametrize("page_size", [0, 10001, True, "20", None])
def test_page_params_bad_page_size(page_size):
    assert error(page_params, 1, page_size) == f"page size must be a whole number from 1 to 10000, got {page_size!r}"


@pytest.mark.parametrize(
    "page_items, page_size, seen, total_count, last",
    [
        # A full page with more to come.
        ([1] * 20, 20, 20, 45, False),
        ([1] * 20, 20, 40, 45, False),
        # The count reached totalCount: stop even though the page is full.
        ([1] * 20, 20, 40, 40, True),
        ([1] * 20, 20, 60, 45, True),
        # A short or empty page ends the paging whatever totalCount says.
        ([1] * 5, 20, 45, 45, True),
        ([1] * 5, 20, 5, 1000, True),
        ([], 20, 40, 1000, True),
        (None, 20, 0, None, True),
        # totalCount 0 beside a full dataSet (as in the documentation's example) is not believed.
        ([1] * 20, 20, 20, 0, False),
        ([1] * 20, 20, 20, None, False),
        ([1] * 20, 20, 20, "", False),
        ([1] * 20, 20, 20, "many", False),
        ([1] * 20, 20, 20, True, False),
        # totalCount as text.
        ([1] * 20, 20, 20, "20", True),
    ],
)
def test_is_last_page(page_items, page_size, seen, total_count, last):
    assert is_last_page(page_items, page_size, seen, total_count) is last


def test_paging_loop_over_pages():
    # 45 invocations, 20 a page, totalCount given: three pages.
    pages = [list(range(start, min(start + 20, 45))) for start in (0, 20, 40)]
    seen, page_num = 0, 1
    while True:
        items = pages[page_num - 1]
        seen += len(items)
        if is_last_page(items, 20, seen, 45):
            break
        page_num += 1
    assert (page_num, seen) == (3, 45)


# -- build_describe_invocations ------------------------------------------------------------------


def test_describe_invocations():
    assert build_describe_invocations(invocation_ids=[INVOCATION_ID]) == {"invocationIds": [INVOCATION_ID], "pageSize": 100, "pageNum": 1}
    body = build_describe_invocations(invocation_ids=[INVOCATION_ID], command_ids=[COMMAND_ID], instance_ids=[I1, I2], page_num=2, page_size=50)
    assert body == {"commandIds": [COMMAND_ID], "invocationIds": [INVOCATION_ID], "instanceIds": [I1, I2], "pageSize": 50, "pageNum": 2}
    assert build_describe_invocations() == {"pageSize": 100, "pageNum": 1}


def test_describe_invocations_checks_ids_and_paging():
    assert error(build_describe_invocations, invocation_ids=[ALIBABA_INVOKE_ID]).startswith(
        f"invocation id {ALIBABA_INVOKE_ID!r} looks like an Alibaba Cloud Assistant invoke id"
    )
    assert error(build_describe_invocations, page_size=20000) == "page size must be a whole number from 1 to 10000, got 20000"
