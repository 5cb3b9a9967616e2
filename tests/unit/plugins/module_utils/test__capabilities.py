# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The capability tables name real options, and a default never counts as set."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import CAPABILITIES, describe_unused, unused_options
from ansible_collections.multicloud.invocations.plugins.module_utils._common import provider_argument_spec
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import PROVIDER_NAMES

RUN_OPTIONS = (
    "document_name", "command_type", "saved_command_id", "username", "client_token", "commands", "parameters", "execution_timeout",
    "working_directory", "instance_ids", "targets", "delivery_timeout", "max_concurrency", "max_errors", "comment",
    "output_s3_bucket_name", "output_s3_key_prefix",
)


def test_every_provider_has_one_table():
    assert set(CAPABILITIES) == set(PROVIDER_NAMES)


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_tables_name_options_the_modules_have(provider):
    table = CAPABILITIES[provider]
    assert set(table.unused_start) <= set(RUN_OPTIONS)
    assert set(table.unused_connection) <= set(provider_argument_spec())
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
