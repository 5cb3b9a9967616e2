# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloud Assistant request building: id formats, RunCommand and InvokeCommand parameters, and
every validation message."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_requests import (
    build_invoke_command,
    build_run_command,
    flatten,
    validate_command_id,
    validate_instance_id,
    validate_invoke_id,
    validate_region,
)

I1 = "i-bp1i7gg30r52z2em1a2b"
I2 = "i-bp67acfmxazb4p0c3d4e"
INVOKE_ID = "t-hz0jdfwd9f1a2b3"
COMMAND_ID = "c-hz0jdfwcsr5c6d7"
SSM_UUID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"


def run_options(**overrides):
    options = {
        "region": "cn-hangzhou",
        "commands": ["uptime"],
        "command_type": None,
        "execution_timeout": None,
        "working_directory": None,
        "username": None,
        "parameters": None,
        "instance_ids": [I1],
        "targets": None,
        "client_token": None,
        "comment": None,
    }
    options.update(overrides)
    return options


def invoke_options(**overrides):
    options = run_options(commands=None, command_id=COMMAND_ID)
    options.update(overrides)
    return options


def error(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value.message


# -- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [INVOKE_ID, "t-bj02prjhw1n4", "t-0123"])
def test_validate_invoke_id_good(value):
    assert validate_invoke_id(value) == value


@pytest.mark.parametrize("value", ["", "t-", "t-abc", SSM_UUID, COMMAND_ID, "T-HZ0JDFWD9F", "t-hz0jdfwd9f****", " t-hz0jdfwd9f", "t-hz0_jdfw", None, 42])
def test_validate_invoke_id_bad(value):
    assert error(validate_invoke_id, value) == (
        f"invocation id {value!r} is not a Cloud Assistant invoke id: expected 't-' and lower-case letters "
        "and digits, such as 't-hz0jdfwd9f1a2b3', as returned by RunCommand or InvokeCommand"
    )


@pytest.mark.parametrize("value", [COMMAND_ID, "c-0123"])
def test_validate_command_id_good(value):
    assert validate_command_id(value) == value
    assert validate_command_id(value, allow_public=True) == value


def test_public_command_names_only_where_allowed():
    assert validate_command_id("ACS-ECS-InstanceLoginInfo", allow_public=True) == "ACS-ECS-InstanceLoginInfo"
    message = error(validate_command_id, "ACS-ECS-InstanceLoginInfo")
    assert message == (
        "command_id 'ACS-ECS-InstanceLoginInfo' is not a Cloud Assistant command id: expected 'c-' and lower-case letters "
        "and digits, such as 'c-hz0jdfwcsr5c6d7'"
    )


@pytest.mark.parametrize("value", ["", "c-", SSM_UUID, INVOKE_ID, "C-HZ0JDFWCSR", "my command", None])
def test_validate_command_id_bad(value):
    assert error(validate_command_id, value, allow_public=True) == (
        f"command_id {value!r} is not a Cloud Assistant command id: expected 'c-' and lower-case letters "
        "and digits, such as 'c-hz0jdfwcsr5c6d7' or the name of a public command such as 'ACS-ECS-InstanceLoginInfo'"
    )


@pytest.mark.parametrize("value", [I1, I2, "mi-0123456789abcdef", "i-0123456789abcdef0"])
def test_validate_instance_id_good(value):
    assert validate_instance_id(value) == value


@pytest.mark.parametrize("value", ["", "i-", "i-ab", "I-BP1I7GG30R52Z2EM", "web-1", "i-bp1i7gg30r52z2em****", SSM_UUID, None, [I1]])
def test_validate_instance_id_bad(value):
    assert error(validate_instance_id, value) == (
        f"instance id {value!r} is not an ECS instance id: expected 'i-' (or 'mi-' for a managed "
        "instance) and lower-case letters and digits, such as 'i-bp1i7gg30r52z2em1a2b'"
    )


@pytest.mark.parametrize("value", ["cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "us-west-1", "me-east-1", "cn-hongkong"])
def test_validate_region_good(value):
    assert validate_region(value) == value


@pytest.mark.parametrize("value", ["hangzhou", "CN-HANGZHOU", "cn_hangzhou", "ecs.cn-hangzhou.aliyuncs.com", "cn-", 5])
def test_validate_region_bad(value):
    assert error(validate_region, value) == (
        f"region {value!r} is not an Alibaba Cloud region id: expected a value such as 'cn-hangzhou' or 'ap-southeast-1'"
    )


@pytest.mark.parametrize("value", [None, ""])
def test_validate_region_missing(value):
    assert error(validate_region, value) == (
        "region is required for Alibaba Cloud: set region (for example 'cn-hangzhou') or the "
        "ALIBABA_CLOUD_REGION_ID environment variable"
    )


# -- flatten -------------------------------------------------------------------------------------


def test_flatten():
    assert flatten(
        {
            "RegionId": "cn-hangzhou",
            "InstanceId": ["i-a", "i-b"],
            "ResourceTag": [{"Key": "env", "Value": "prod"}, {"Key": "team"}],
            "Timeout": 60,
            "KeepCommand": False,
            "EnableParameter": True,
            "Username": None,
            "Empty": [],
        }
    ) == {
        "RegionId": "cn-hangzhou",
        "InstanceId.1": "i-a",
        "InstanceId.2": "i-b",
        "ResourceTag.1.Key": "env",
        "ResourceTag.1.Value": "prod",
        "ResourceTag.2.Key": "team",
        "Timeout": "60",
        "KeepCommand": "false",
        "EnableParameter": "true",
    }


# -- build_run_command ---------------------------------------------------------------------------


def test_run_command_minimal():
    params = build_run_command(run_options())
    assert len(params.pop("ClientToken")) == 36  # always one (test_every_start_carries_a_client_token)
    assert params == {
        "RegionId": "cn-hangzhou",
        "InstanceId.1": I1,
        "RepeatMode": "Once",
        "Type": "RunShellScript",
        "CommandContent": base64.b64encode(b"uptime").decode(),
        "ContentEncoding": "Base64",
        "EnableParameter": "false",
        "KeepCommand": "false",
    }


def test_run_command_content_joins_lines_and_survives_any_text():
    lines = ["echo 'héllo' > /tmp/a b", "printf '%s\\n' 中文 && ls *", "", "exit 3"]
    params = build_run_command(run_options(commands=lines))
    assert base64.b64decode(params["CommandContent"]).decode("utf-8") == "\n".join(lines)
    assert params["ContentEncoding"] == "Base64"


def test_run_command_everything():
    params = build_run_command(
        run_options(
            commands=["echo {{name}}"],
            command_type="RunPowerShellScript",
            execution_timeout=600,
            working_directory="C:\\Temp",
            username="Administrator",
            parameters={"name": "wörld", "count": 3, "flag": True, "blank": None},
            instance_ids=[I1, I2],
            client_token="deploy-2026-01-01",
            comment="nightly",
            name="patch",
        )
    )
    assert params == {
        "RegionId": "cn-hangzhou",
        "InstanceId.1": I1,
        "InstanceId.2": I2,
        "Timeout": "600",
        "Username": "Administrator",
        "RepeatMode": "Once",
        "ClientToken": "deploy-2026-01-01",
        "Type": "RunPowerShellScript",
        "CommandContent": base64.b64encode(b"echo {{name}}").decode(),
        "ContentEncoding": "Base64",
        "WorkingDir": "C:\\Temp",
        "EnableParameter": "true",
        "Parameters": '{"blank":"","count":"3","flag":"true","name":"wörld"}',
        "KeepCommand": "false",
        "Name": "patch",
        "Description": "nightly",
    }
    assert json.loads(params["Parameters"])["name"] == "wörld"


def test_run_command_matches_the_query_signed_in_the_sdk_vectors():
    # The same run as OUR_RUN_COMMAND_QUERY in test__signing_acs3.py (checked there against the SDK signer).
    instances = [f"i-bp1{n:02d}abcdefgh" for n in range(1, 13)]
    params = build_run_command(
        run_options(
            commands=["echo 'héllo {{name}}' && ls /tmp/*.log", "printf '%s\\n' 中文"],
            instance_ids=instances,
            parameters={"name": "wörld 中", "path": "/a b/*"},
            execution_timeout=300,
            working_directory="/root",
            client_token="tok-123",
            comment="nightly run: a/b * c",
            name="名字 run",
        )
    )
    assert params["CommandContent"] == "ZWNobyAnaMOpbGxvIHt7bmFtZX19JyAmJiBscyAvdG1wLyoubG9nCnByaW50ZiAnJXNcbicg5Lit5paH"
    assert params["Parameters"] == '{"name":"wörld 中","path":"/a b/*"}'
    assert [params[f"InstanceId.{n}"] for n in range(1, 13)] == instances


@pytest.mark.parametrize("command_type", ["RunShellScript", "RunPowerShellScript", "RunBatScript"])
def test_run_command_types(command_type):
    assert build_run_command(run_options(command_type=command_type))["Type"] == command_type


def test_run_command_type_bad():
    assert error(build_run_command, run_options(command_type="AWS-RunShellScript")) == (
        "command_type must be one of RunShellScript, RunPowerShellScript, RunBatScript, got 'AWS-RunShellScript'"
    )


@pytest.mark.parametrize("commands", [None, [], "", ["", "  "]])
def test_run_command_needs_commands(commands):
    assert error(build_run_command, run_options(commands=commands)) == "RunCommand needs something to run: set commands (a list of script lines)"


def test_run_command_single_string_is_one_line():
    assert base64.b64decode(build_run_command(run_options(commands="uptime"))["CommandContent"]) == b"uptime"


def test_run_command_size_limit():
    # 18432 bytes of script are 24576 of Base64: exactly the limit.
    assert build_run_command(run_options(commands=["a" * 18432]))
    message = error(build_run_command, run_options(commands=["a" * 18433]))
    assert message == (
        "the command is too large for Cloud Assistant: 24580 bytes once Base64-encoded with its parameters, "
        "at most 24576 (24 KB); copy a script to the instances and run that instead"
    )


def test_run_command_size_limit_counts_parameters():
    assert build_run_command(run_options(commands=["a" * 18000]))
    message = error(build_run_command, run_options(commands=["a" * 18000], parameters={"p": "x" * 600}))
    assert message.startswith("the command is too large for Cloud Assistant: ")


@pytest.mark.parametrize("timeout", [10, 60, 86400])
def test_run_command_timeout_good(timeout):
    assert build_run_command(run_options(execution_timeout=timeout))["Timeout"] == str(timeout)


@pytest.mark.parametrize("timeout", [0, 9, 86401, -1, True, "60", 1.5])
def test_run_command_timeout_bad(timeout):
    assert error(build_run_command, run_options(execution_timeout=timeout)) == (
        f"execution_timeout must be a whole number of seconds from 10 to 86400 (24 hours), got {timeout!r}"
    )


def test_run_command_without_timeout_leaves_the_service_default():
    assert "Timeout" not in build_run_command(run_options())


def test_run_command_instance_and_targets_are_exclusive():
    message = "set exactly one of instance_ids or targets to say where the command runs"
    assert error(build_run_command, run_options(instance_ids=None)) == message
    assert error(build_run_command, run_options(targets=[{"key": "tag:env", "values": ["prod"]}])) == message


def test_run_command_instance_count():
    ids = [f"i-bp1{n:04d}abcd" for n in range(100)]
    params = build_run_command(run_options(instance_ids=ids))
    assert params["InstanceId.100"] == ids[-1]
    assert "InstanceId.101" not in params
    assert error(build_run_command, run_options(instance_ids=ids + ["i-bp1extraabcd"])) == (
        "RunCommand takes at most 100 instance_ids (101 given); split them over several runs, or select them with targets (a tag)"
    )


def test_run_command_duplicate_instances():
    assert error(build_run_command, run_options(instance_ids=[I1, I2, I1])) == f"instance_ids lists {I1} more than once: list each instance once"


def test_run_command_bad_instance_id():
    assert error(build_run_command, run_options(instance_ids=[I1, SSM_UUID])).startswith(f"instance id {SSM_UUID!r} is not an ECS instance id")


def test_run_command_tags():
    params = build_run_command(run_options(instance_ids=None, targets=[{"key": "tag:env", "values": ["prod"]}, {"key": "tag:team", "values": []}]))
    assert params["ResourceTag.1.Key"] == "env"
    assert params["ResourceTag.1.Value"] == "prod"
    assert params["ResourceTag.2.Key"] == "team"
    assert "ResourceTag.2.Value" not in params
    assert not any(name.startswith("InstanceId") for name in params)


def test_run_command_tag_value_as_string():
    assert build_run_command(run_options(instance_ids=None, targets=[{"key": "tag:env", "values": "prod"}]))["ResourceTag.1.Value"] == "prod"


@pytest.mark.parametrize("key", ["InstanceIds", "env", "tag:", "resource-groups:Name", None])
def test_run_command_tag_key_bad(key):
    assert error(build_run_command, run_options(instance_ids=None, targets=[{"key": key, "values": ["x"]}])) == (
        f"target key {key!r} is not supported on Alibaba Cloud: use 'tag:<TagKey>' (for example "
        "{'key': 'tag:env', 'values': ['prod']}) to select instances by tag"
    )


def test_run_command_tag_with_several_values():
    assert error(build_run_command, run_options(instance_ids=None, targets=[{"key": "tag:env", "values": ["a", "b"]}])) == (
        "target 'tag:env' lists 2 values, but Alibaba Cloud matches one value per tag key: give one value, or none to match any value of the key"
    )


def test_run_command_too_many_tags():
    targets = [{"key": f"tag:k{n}", "values": ["v"]} for n in range(21)]
    assert error(build_run_command, run_options(instance_ids=None, targets=targets)) == "RunCommand takes at most 20 tag targets (21 given)"


def test_run_command_parameters_limits():
    assert error(build_run_command, run_options(parameters={f"p{n}": "v" for n in range(11)})) == "Cloud Assistant takes at most 10 parameters (11 given)"
    assert error(build_run_command, run_options(parameters=["a"])) == "parameters must be a dict of name: value pairs for {{name}} in the command, not a list"
    assert error(build_run_command, run_options(parameters={"a b": "v"})) == "parameter name 'a b' is not allowed: use 1 to 64 letters, digits, '-' or '_'"
    assert error(build_run_command, run_options(parameters={"p" * 65: "v"})).startswith("parameter name 'ppp")
    assert error(build_run_command, run_options(parameters={"p": ["v"]})) == "parameters.p must be a string, number or boolean, not a list"


def test_every_start_carries_a_client_token():
    # Without one given, a fresh token each start: the client's retries are then deduplicated.
    first = build_run_command(run_options())["ClientToken"]
    second = build_run_command(run_options())["ClientToken"]
    assert len(first) == 36 and first != second
    assert len(build_invoke_command(invoke_options())["ClientToken"]) == 36


def test_run_command_client_token():
    assert build_run_command(run_options(client_token="a" * 64))["ClientToken"] == "a" * 64
    assert error(build_run_command, run_options(client_token="a" * 65)) == f"client_token must be at most 64 ASCII characters, got {'a' * 65!r}"
    assert error(build_run_command, run_options(client_token="tökén")) == "client_token must be at most 64 ASCII characters, got 'tökén'"


def test_run_command_comment_and_name_limits():
    assert build_run_command(run_options(comment="c" * 512))["Description"] == "c" * 512
    assert error(build_run_command, run_options(comment="c" * 513)) == "comment may hold at most 512 characters, got 513"
    assert error(build_run_command, run_options(name="n" * 129)) == "name may hold at most 128 characters, got 129"


def test_run_command_region_is_checked():
    assert error(build_run_command, run_options(region=None)).startswith("region is required for Alibaba Cloud")


# -- build_invoke_command ------------------------------------------------------------------------


def test_invoke_command_minimal():
    params = build_invoke_command(invoke_options())
    assert len(params.pop("ClientToken")) == 36
    assert params == {"RegionId": "cn-hangzhou", "InstanceId.1": I1, "RepeatMode": "Once", "CommandId": COMMAND_ID}


def test_invoke_command_everything():
    params = build_invoke_command(
        invoke_options(
            instance_ids=None,
            targets=[{"key": "tag:env", "values": ["prod"]}],
            execution_timeout=120,
            parameters={"a": "x"},
            username="ops",
            client_token="tok",
        )
    )
    assert params == {
        "RegionId": "cn-hangzhou",
        "ResourceTag.1.Key": "env",
        "ResourceTag.1.Value": "prod",
        "Timeout": "120",
        "Username": "ops",
        "RepeatMode": "Once",
        "ClientToken": "tok",
        "CommandId": COMMAND_ID,
        "Parameters": '{"a":"x"}',
    }
    assert "EnableParameter" not in params


def test_invoke_command_public_command_name():
    assert build_invoke_command(invoke_options(command_id="ACS-ECS-InstanceLoginInfo"))["CommandId"] == "ACS-ECS-InstanceLoginInfo"


def test_invoke_command_needs_command_id():
    assert error(build_invoke_command, invoke_options(command_id=None)) == (
        "InvokeCommand needs command_id: the id of a saved command ('c-...') or the name of a public command"
    )


def test_invoke_command_rejects_an_invoke_id():
    assert error(build_invoke_command, invoke_options(command_id=INVOKE_ID)).startswith(f"command_id {INVOKE_ID!r} is not a Cloud Assistant command id")


@pytest.mark.parametrize("option, value", [("commands", ["uptime"]), ("command_type", "RunShellScript"), ("working_directory", "/tmp")])
def test_invoke_command_refuses_what_the_saved_command_defines(option, value):
    assert error(build_invoke_command, invoke_options(**{option: value})) == (
        f"{option} cannot be set with command_id: the saved command {COMMAND_ID} defines it; "
        "leave command_id unset to run new commands instead"
    )


def test_invoke_command_validates_like_run_command():
    assert error(build_invoke_command, invoke_options(execution_timeout=5)).startswith("execution_timeout must be a whole number of seconds from 10")
    assert error(build_invoke_command, invoke_options(instance_ids=None)) == "set exactly one of instance_ids or targets to say where the command runs"
    ids = [f"i-bp1{n:04d}abcd" for n in range(101)]
    assert error(build_invoke_command, invoke_options(instance_ids=ids)).startswith("InvokeCommand takes at most 100 instance_ids (101 given)")
