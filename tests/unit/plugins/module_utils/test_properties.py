# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests: random vendor payloads (missing fields, nulls, wrong types, unknown statuses,
non-ASCII and binary-looking text, huge strings) through every status mapper and response parser.

Each parser returns records or raises our typed error, nothing else; an unknown vendor status
maps to a visible ``unknown`` that is never terminal and never counts as success. Examples are
derandomized so a CI run is repeatable; no deadline, as timing is not what is tested.
"""

from __future__ import annotations

import datetime
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.multicloud.invocations.plugins.module_utils import _statuses
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._policy import FailurePolicy, judge
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_records, aws_ssm_records, zenlayer_zos_records
from ansible_collections.multicloud.invocations.plugins.module_utils._record import RECORD_FIELDS, make_record, summarize

PROPERTY = settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
STATUSES = set(_statuses.STATUSES)

# -- what a vendor may send in a field ------------------------------------------------------------

binary_looking = st.binary(max_size=64).map(lambda data: data.decode("latin-1"))
non_ascii = st.text(alphabet="äöüßéèçñ中文日本語한국어ÅÑŚÌβŁÈ\u200b\u202e\ufeff\U0001f600", max_size=40)
huge = st.integers(min_value=10_000, max_value=40_000).map(lambda size: "x" * size)
scalars = st.one_of(
    st.none(),
    st.text(max_size=40),
    non_ascii,
    binary_looking,
    huge,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just(""),
    st.just("2026-11-22T13:07:09.708Z"),
    st.just("2026-11-22 13:07:09"),
    st.datetimes(timezones=st.just(datetime.timezone.utc)),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


def vendor_status(table: dict) -> st.SearchStrategy:
    """Mostly the vendor's own values (in any case or spacing), sometimes anything at all."""
    known = sorted(table)
    return st.one_of(st.sampled_from(known), st.sampled_from(known).map(str.upper), st.text(max_size=20), non_ascii, st.none(), st.integers())


def payload(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A dict with any subset of the fields, each from its strategy or any value at all."""
    return st.fixed_dictionaries({}, optional={name: st.one_of(strategy, values) for name, strategy in fields.items()})


def assert_records(records, provider):
    assert isinstance(records, list)
    for record in records:
        assert set(record) == set(RECORD_FIELDS) | {"provider", "status", "terminal"} or set(RECORD_FIELDS) <= set(record)
        assert record["provider"] == provider
        assert record["status"] in STATUSES
        assert record["terminal"] == _statuses.is_terminal(record["status"])


def records_or_typed_error(parse, provider):
    try:
        records = parse()
    except InvocationError:
        return None
    records = records if isinstance(records, list) else [records]
    assert_records(records, provider)
    return records


# -- AWS SSM -----------------------------------------------------------------------------------------

aws_plugin = payload(
    {
        "Name": st.sampled_from(["aws:runShellScript", "aws:runPowerShellScript"]),
        "Status": vendor_status(_statuses.AWS_SSM_INVOCATION),
        "StatusDetails": vendor_status(_statuses.AWS_SSM_INVOCATION),
        "ResponseCode": st.integers(min_value=-2, max_value=300),
        "Output": st.text(max_size=300),
        "ResponseStartDateTime": st.datetimes(timezones=st.just(datetime.timezone.utc)),
        "ResponseFinishDateTime": st.datetimes(timezones=st.just(datetime.timezone.utc)),
        "StandardOutputUrl": st.text(max_size=30),
    }
)
aws_invocation = payload(
    {
        "CommandId": st.uuids().map(str),
        "InstanceId": st.sampled_from(["i-0123456789abcdef0", "mi-0123456789abcdef0"]),
        "InstanceName": st.text(max_size=20),
        "Status": vendor_status(_statuses.AWS_SSM_INVOCATION),
        "StatusDetails": vendor_status(_statuses.AWS_SSM_INVOCATION),
        "RequestedDateTime": st.datetimes(timezones=st.just(datetime.timezone.utc)),
        "CommandPlugins": st.lists(aws_plugin, max_size=3),
    }
)
aws_get_response = payload(
    {
        "CommandId": st.uuids().map(str),
        "InstanceId": st.just("i-0123456789abcdef0"),
        "PluginName": st.text(max_size=20),
        "Status": vendor_status(_statuses.AWS_SSM_INVOCATION),
        "StatusDetails": vendor_status(_statuses.AWS_SSM_INVOCATION),
        "ResponseCode": st.integers(min_value=-2, max_value=300),
        "StandardOutputContent": st.text(max_size=300),
        "StandardErrorContent": st.text(max_size=300),
        "ExecutionStartDateTime": st.text(max_size=30),
        "ExecutionEndDateTime": st.text(max_size=30),
    }
)
aws_command = payload(
    {
        "CommandId": st.uuids().map(str),
        "Status": vendor_status(_statuses.AWS_SSM_COMMAND),
        "StatusDetails": vendor_status(_statuses.AWS_SSM_COMMAND),
        "TargetCount": st.integers(min_value=0, max_value=100),
        "CompletedCount": st.integers(min_value=0, max_value=100),
        "ErrorCount": st.integers(min_value=0, max_value=100),
        "DeliveryTimedOutCount": st.integers(min_value=0, max_value=100),
        "RequestedDateTime": st.datetimes(timezones=st.just(datetime.timezone.utc)),
        "TimeoutSeconds": st.integers(min_value=0, max_value=3000),
        "Parameters": st.dictionaries(st.sampled_from(["executionTimeout", "commands"]), st.lists(st.text(max_size=5), max_size=2)),
    }
)


@PROPERTY
@given(aws_invocation, st.booleans())
def test_aws_ssm_list_invocations(invocation, include_output):
    records_or_typed_error(lambda: aws_ssm_records.invocation_records(invocation, include_output), "aws_ssm")


@PROPERTY
@given(aws_get_response, st.booleans())
def test_aws_ssm_get_command_invocation(response, include_output):
    records_or_typed_error(lambda: aws_ssm_records.get_invocation_record(response, include_output), "aws_ssm")


@PROPERTY
@given(aws_command)
def test_aws_ssm_command_summary_and_budget(command):
    try:
        summary = aws_ssm_records.command_summary(command)
        budget = aws_ssm_records.command_budget(command)
    except InvocationError:
        return
    assert isinstance(summary, dict)
    assert isinstance(budget, (int, float)) and budget >= 0


# -- Alibaba Cloud Assistant ------------------------------------------------------------------------

ali_instance = payload(
    {
        "InstanceId": st.sampled_from(["i-bp1i7gg30r52z2em1a2b", "i-x"]),
        "InvocationStatus": vendor_status(_statuses.ALIBABA_ECS_INSTANCE),
        "ErrorCode": st.sampled_from(sorted(_statuses.ALIBABA_ECS_UNDELIVERABLE_ERROR_CODES | _statuses.ALIBABA_ECS_FAILED_ERROR_CODES) + ["Whatever"]),
        "ErrorInfo": st.text(max_size=50),
        "ExitCode": st.integers(min_value=-2, max_value=300),
        "Output": st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda data: __import__("base64").b64encode(data).decode())),
        "Dropped": st.integers(min_value=0, max_value=10**6),
        "StartTime": st.text(alphabet=string.digits + "-:TZ", max_size=25),
        "FinishTime": st.text(alphabet=string.digits + "-:TZ", max_size=25),
    }
)
ali_invocation = payload(
    {
        "InvokeId": st.just("t-hz0jdfwd9f1a2b3"),
        "CommandId": st.just("c-hz0jdfwcsr5c6d7"),
        "InvocationStatus": vendor_status(_statuses.ALIBABA_ECS_INVOCATION),
        "InvokeStatus": st.sampled_from(["Running", "Finished", "Failed", "Stopped"]),
        "CreationTime": st.text(max_size=25),
        "RepeatMode": st.sampled_from(["Once", "Period", "NextRebootOnly", "EveryReboot"]),
        "Timeout": st.integers(min_value=0, max_value=86400),
        "InvokeInstances": st.one_of(st.fixed_dictionaries({"InvokeInstance": st.lists(ali_instance, max_size=3)}), st.lists(ali_instance, max_size=3)),
    }
)


@PROPERTY
@given(ali_invocation, st.booleans(), st.sampled_from(["PlainText", "Base64", None]))
def test_alibaba_ecs_describe_invocations(invocation, include_output, encoding):
    records_or_typed_error(lambda: alibaba_ecs_records.instance_records(invocation, None, include_output, encoding), "alibaba_ecs")
    try:
        assert isinstance(alibaba_ecs_records.invocation_summary(invocation), dict)
    except InvocationError:
        pass


@PROPERTY
@given(ali_instance, st.booleans(), st.sampled_from(["PlainText", "Base64", None]))
def test_alibaba_ecs_invocation_results(result, include_output, encoding):
    records_or_typed_error(lambda: alibaba_ecs_records.result_record(result, include_output, encoding), "alibaba_ecs")


# -- Zenlayer ZOS ---------------------------------------------------------------------------------

zos_instance = payload(
    {
        "instanceId": st.sampled_from(["ins-1a2b3c4d", "x"]),
        "instanceName": st.text(max_size=20),
        "taskStatus": vendor_status(_statuses.ZENLAYER_ZOS_INSTANCE),
        "errorCode": st.sampled_from(sorted(_statuses.ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES | _statuses.ZENLAYER_ZOS_FAILED_ERROR_CODES) + ["Other"]),
        "exitCode": st.integers(min_value=-2, max_value=300),
        "output": st.text(max_size=200),
        "outputError": st.text(max_size=200),
        "execStartTime": st.text(alphabet=string.digits + "-: T", max_size=25),
        "execEndTime": st.text(alphabet=string.digits + "-: T", max_size=25),
    }
)
zos_invocation = payload(
    {
        "invocationId": st.just("inv-1a2b3c4d"),
        "commandId": st.just("cmd-1a2b3c4d"),
        "commandName": st.text(max_size=20),
        "commandType": st.sampled_from(["SHELL", "POWERSHELL", "BAT"]),
        "invocationStatus": vendor_status(_statuses.ZENLAYER_ZOS_INVOCATION),
        "createTime": st.text(max_size=25),
        "timeout": st.integers(min_value=0, max_value=100),
        "invocationInstances": st.lists(zos_instance, max_size=3),
    }
)


@PROPERTY
@given(zos_invocation, st.booleans())
def test_zenlayer_zos_describe_command_invocations(invocation, include_output):
    records_or_typed_error(lambda: zenlayer_zos_records.invocation_records(invocation, include_output), "zenlayer_zos")
    try:
        assert isinstance(zenlayer_zos_records.invocation_summary(invocation), dict)
    except InvocationError:
        pass


# -- status mappers -----------------------------------------------------------------------------------

TABLES = {
    "AWS_SSM_INVOCATION": _statuses.AWS_SSM_INVOCATION,
    "AWS_SSM_COMMAND": _statuses.AWS_SSM_COMMAND,
    "ALIBABA_ECS_INSTANCE": _statuses.ALIBABA_ECS_INSTANCE,
    "ALIBABA_ECS_INVOCATION": _statuses.ALIBABA_ECS_INVOCATION,
    "ZENLAYER_ZOS_INSTANCE": _statuses.ZENLAYER_ZOS_INSTANCE,
    "ZENLAYER_ZOS_INVOCATION": _statuses.ZENLAYER_ZOS_INVOCATION,
}


@pytest.mark.parametrize("name", sorted(TABLES))
@PROPERTY
@given(value=st.one_of(st.text(max_size=30), non_ascii, binary_looking, huge, st.none()))
def test_unknown_vendor_status_is_a_visible_unknown(name, value):
    table = TABLES[name]
    status = _statuses.lookup(table, value)
    if _statuses.vendor_key(value) in table:
        assert status == table[_statuses.vendor_key(value)]
    else:
        assert status == _statuses.UNKNOWN
        assert not _statuses.is_terminal(status)


@PROPERTY
@given(
    st.sampled_from(["aws_ssm", "alibaba_ecs", "zenlayer_zos"]),
    st.lists(st.sampled_from(sorted(STATUSES)), max_size=8),
    st.integers(min_value=1, max_value=3),
)
def test_an_unknown_never_counts_as_success(provider, statuses, unknowns):
    records = [make_record(provider, status, instance_id=f"i-{index}") for index, status in enumerate(statuses)]
    records += [make_record(provider, _statuses.UNKNOWN, instance_id=f"u-{index}") for index in range(unknowns)]
    summary = summarize(records)
    assert summary["counts"][_statuses.UNKNOWN] == statuses.count(_statuses.UNKNOWN) + unknowns
    assert summary["aggregate"] != _statuses.SUCCESS
    for policy in (FailurePolicy(), FailurePolicy(max_failures=100), FailurePolicy(min_success_percent=0)):
        verdict = judge(records, policy)
        assert not verdict.passed
        assert verdict.open >= unknowns
