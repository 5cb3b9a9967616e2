# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capability tables name real options, and a default never counts as set."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import (
    CAPABILITIES,
    OPTION_NEEDS,
    WAIT_KINDS,
    describe_unused,
    refuse_for_wait_kind,
    refuse_unsupported,
    unused_options,
    wait_kind,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._common import event_argument_spec, output_argument_spec, provider_argument_spec
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import PROVIDER_NAMES

RUN_OPTIONS = (
    "document_name", "command_type", "saved_command_id", "username", "client_token", "commands", "parameters", "execution_timeout",
    "working_directory", "instance_ids", "targets", "delivery_timeout", "max_concurrency", "max_errors", "comment",
    "output_s3_bucket_name", "output_s3_key_prefix", "output_oss_uri",
    "cloudwatch_output_log_group",
)


def test_every_provider_has_one_table():
    assert set(CAPABILITIES) == set(PROVIDER_NAMES)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_tables_name_options_the_modules_have(provider):
    table = CAPABILITIES[provider]
    assert set(table.unused_start) <= set(RUN_OPTIONS)
    # s3_endpoint_url, the output fragment's endpoint, and event_queue_endpoint_url, the event queue's, are connection options too.
    assert set(table.unused_connection) <= set(provider_argument_spec()) | set(output_argument_spec()) | set(event_argument_spec())
    assert table.wait_ids == table.run_id + "s"


def test_a_default_or_an_empty_value_does_not_count():
    table = CAPABILITIES["alibaba_ecs"].unused_start
    defaults = {"document_name": "AWS-RunShellScript"}
    assert unused_options(table, {"document_name": "AWS-RunShellScript", "max_errors": "", "delivery_timeout": None}, defaults) == []
    found = unused_options(table, {"document_name": "AWS-RunPowerShellScript", "max_errors": "1"}, defaults)
    assert [pair[0] for pair in found] == ["document_name", "max_errors"]


def test_the_message_names_the_provider_and_what_to_do():
    found = unused_options(CAPABILITIES["aws_ssm"].unused_start, {"client_token": "t", "username": "u"}, {})
    assert describe_unused("aws_ssm", found) == (
        "aws_ssm does not use username (SSM runs commands as the agent's user; use sudo -u in commands); "
        "client_token (SendCommand takes no idempotency token)"
    )


# -- options that need a capability --------------------------------------------------------------


@pytest.mark.parametrize(
    "provider, params, message",
    [
        ("zenlayer_zos", {"invocation_ids": ["inv-1a2b3c4d"], "cancel_on_timeout": True},
         "ZOS has no call to stop an invocation, so cancel_on_timeout cannot be honoured; leave it unset"),
        ("zenlayer_zos", {"invocation_id": "inv-1a2b3c4d", "plugin_name": "aws:runShellScript"}, "ZOS invocations have no steps"),
        ("zenlayer_zos", {"invocation_id": "inv-1a2b3c4d", "include_history": True}, "ZOS keeps no past runs"),
        ("zenlayer_zos", {"command_ids": ["cmd-1a2b3c4d"]}, "zenlayer_zos waits on runs by their invocation id"),
        ("zenlayer_zos", {"window_id": "mw-0c50858d01EXAMPLE"}, "ZOS has no maintenance windows"),
        ("alibaba_ecs", {"invocation_id": "t-hz0jdfwd9f1a2b3", "plugin_name": "aws:runShellScript"}, "plugin_name is an SSM notion"),
        ("alibaba_ecs", {"command_ids": ["c-hz0jdfwd9f1a2b3"]}, "alibaba_ecs waits on runs by their invoke id"),
        ("alibaba_ecs", {"invocation_ids": ["t-hz0jdfwd9f1a2b3"], "command_ids": ["c-hz0jdfwd9f1a2b3"]}, "use invocation_ids"),
        ("alibaba_ecs", {"window_execution_id": "3d4e5f6a-1b2c-4d5e-8f9a-0b1c2d3e4f5a"}, "Cloud Assistant has no maintenance windows"),
        ("aws_ssm", {"invocation_id": "t-hz0jdfwd9f1a2b3"}, "aws_ssm identifies runs by command id"),
        ("aws_ssm", {"invocation_ids": ["t-hz0jdfwd9f1a2b3"]}, "aws_ssm identifies runs by command id"),
        ("aws_ssm", {"command_id": "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10", "include_history": True}, "SSM keeps no past runs"),
        ("alibaba_ecs", {"invocation_ids": ["t-1"], "event_queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/q"},
         "status events go to Alibaba Cloud EventBridge, not to an SQS queue .*, so event_queue cannot be honoured; leave it unset"),
        ("zenlayer_zos", {"invocation_ids": ["inv-1"], "event_queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/q"},
         "ZOS publishes no command status events; its waits poll, so event_queue cannot be honoured"),
    ],
)
def test_an_option_the_provider_cannot_honour_is_refused(provider, params, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        refuse_unsupported(provider, params)
    assert caught.value.provider == provider


@pytest.mark.parametrize(
    "provider, params",
    [
        ("aws_ssm", {"command_ids": ["c"], "cancel_on_timeout": True, "plugin_name": "aws:runShellScript", "window_id": "mw-1",
                     "event_queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}),
        ("alibaba_ecs", {"invocation_ids": ["t-1"], "cancel_on_timeout": True, "include_history": True}),
        # Unset, false and empty options ask for nothing.
        ("zenlayer_zos", {"invocation_ids": ["inv-1"], "cancel_on_timeout": False, "plugin_name": None, "include_history": False, "command_ids": []}),
    ],
)
def test_what_the_provider_can_do_passes(provider, params):
    refuse_unsupported(provider, params)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_lacks_names_known_capabilities_and_foreign_ids_are_id_options(provider):
    table = CAPABILITIES[provider]
    assert set(table.lacks) <= set(OPTION_NEEDS.values()) | {"start"}
    assert set(table.foreign_ids) <= {"command_id", "command_ids", "invocation_id", "invocation_ids"}
    assert table.wait_ids not in table.foreign_ids


# -- kinds of wait ---------------------------------------------------------------------------------


@pytest.mark.parametrize("params, kind", [
    ({"command_ids": ["x"]}, None),
    ({"window_execution_id": "e"}, "window"),
    ({"window_id": "mw-0123456789abcdef0"}, "window"),
    ({"window_id": None, "command_ids": ["x"]}, None),
])
def test_the_options_select_the_kind_of_wait(params, kind):
    assert wait_kind(params) == kind


@pytest.mark.parametrize("option", sorted(WAIT_KINDS["window"].refuses))
def test_a_window_wait_refuses_each_option_it_does_not_take(option):
    with pytest.raises(InvalidInput) as excinfo:
        refuse_for_wait_kind("aws_ssm", {"window_execution_id": "e", option: True})
    assert excinfo.value.message == WAIT_KINDS["window"].refuses[option]
    assert excinfo.value.message.startswith(option)
    # A wait on run ids takes them.
    refuse_for_wait_kind("aws_ssm", {"command_ids": ["x"], option: True})
