# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Argument specs shared by the modules, each paired with a doc fragment of the same name.

``provider_argument_spec`` <-> ``multicloud.invocations.common``;
``wait_argument_spec`` <-> ``multicloud.invocations.wait``;
``output_argument_spec`` <-> ``multicloud.invocations.output``;
``window_argument_spec`` <-> ``multicloud.invocations.window``. A unit test keeps each pair in step.

Credentials have no ``env_fallback`` here on purpose: the same option serves several providers,
and each provider reads its own vendor's environment variables when the option is not set.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._policy import UNDELIVERABLE_COUNTS_AS_FAILURE, UNDELIVERABLE_IGNORED
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import PROVIDER_NAMES


def provider_argument_spec() -> dict[str, t.Any]:
    return {
        "provider": {"type": "str", "default": "aws_ssm", "choices": list(PROVIDER_NAMES)},
        "access_key": {
            "type": "str",
            "aliases": ["aws_access_key_id", "aws_access_key", "ec2_access_key", "access_key_id", "alicloud_access_key"],
            "no_log": False,
        },
        "secret_key": {
            "type": "str",
            "aliases": ["aws_secret_access_key", "aws_secret_key", "ec2_secret_key", "access_key_secret", "alicloud_secret_key", "access_key_password"],
            "no_log": True,
        },
        "session_token": {
            "type": "str",
            "aliases": ["aws_session_token", "security_token", "aws_security_token", "alicloud_security_token"],
            "no_log": True,
        },
        "token": {"type": "str", "no_log": True},
        "profile": {"type": "str", "aliases": ["aws_profile"]},
        "region": {"type": "str", "aliases": ["aws_region", "ec2_region"]},
        "endpoint_url": {"type": "str", "aliases": ["aws_endpoint_url", "ec2_url"]},
        "ca_bundle": {"type": "path", "aliases": ["aws_ca_bundle"]},
        "validate_certs": {"type": "bool", "default": True},
        "allow_plain_http": {"type": "bool", "default": False},
        "aws_config": {"type": "dict"},
        "signature_version": {"type": "str", "choices": ["acs3", "rpc_v1"], "default": "acs3"},
        "request_timeout": {"type": "float", "default": 30},
    }


# The connection options an item of invocation_wait's ``waits`` may set for itself; unset, the
# task's own (module_defaults included) apply.
WAIT_ITEM_CONNECTION_OPTIONS = (
    "access_key", "secret_key", "session_token", "token", "profile", "region", "endpoint_url", "ca_bundle", "validate_certs",
    "allow_plain_http", "aws_config", "signature_version", "request_timeout",
)
# The options an item of ``waits`` names one maintenance window run with, instead of run ids.
WAIT_ITEM_WINDOW_OPTIONS = ("window_id", "window_execution_id", "window_task_id", "executed_after", "executed_before")


def waits_argument_spec() -> dict[str, t.Any]:
    """invocation_wait's ``waits``: one item per provider (or region, or account) to wait on.

    The connection options are the task's, without their defaults or aliases: an item that does
    not set one takes the task's value. Secrets stay no_log inside the items."""
    connection = provider_argument_spec()
    options: dict[str, t.Any] = {
        # Required unless run names it (checked by _multi_wait, which names the item).
        "provider": {"type": "str", "choices": list(PROVIDER_NAMES)},
        # A registered invocation_run result: its provider, region, runs and the targets it left out.
        "run": {"type": "dict"},
        "command_ids": {"type": "list", "elements": "str", "aliases": ["command_id"]},
        "invocation_ids": {"type": "list", "elements": "str", "aliases": ["invocation_id"]},
        "instance_ids": {"type": "list", "elements": "str"},
        # Or one maintenance window run (aws_ssm), named as invocation_wait's own options name it.
        **{name: {"type": "str"} for name in WAIT_ITEM_WINDOW_OPTIONS},
    }
    for name in WAIT_ITEM_CONNECTION_OPTIONS:
        option = {key: value for key, value in connection[name].items() if key not in ("default", "aliases")}
        options[name] = option
    return {"waits": {"type": "list", "elements": "dict", "options": options}}


def wait_argument_spec() -> dict[str, t.Any]:
    return {
        "timeout": {"type": "float"},
        "delay": {"type": "float", "default": 0},
        "interval": {"type": "float", "default": 2},
        "max_interval": {"type": "float", "default": 15},
        "not_found_grace": {"type": "float", "default": 30},
        "max_failures": {"type": "int"},
        "min_success_percent": {"type": "float"},
        "fail_fast": {"type": "bool", "default": False},
        "stop_early": {"type": "str", "choices": ["never", "failed", "decided"]},
        "undeliverable": {"type": "str", "default": UNDELIVERABLE_COUNTS_AS_FAILURE, "choices": [UNDELIVERABLE_COUNTS_AS_FAILURE, UNDELIVERABLE_IGNORED]},
        "fail_on_timeout": {"type": "bool", "default": True},
        "fail_on_failure": {"type": "bool", "default": True},
        "cancel_on_timeout": {"type": "bool", "default": False},
        "success_when": {"type": "str"},
        "failure_when": {"type": "str"},
        # Set by the collection's action plugins to show progress on the controller.
        "checkpoint_after": {"type": "float"},
        "resume": {"type": "dict"},
        "budget_started_at": {"type": "float"},
    }


def event_argument_spec() -> dict[str, t.Any]:
    """The options of a wait woken by status events (invocation_wait, invocation_run's wait)."""
    return {
        "event_queue": {"type": "str"},
        "event_queue_endpoint_url": {"type": "str"},
    }


def output_argument_spec() -> dict[str, t.Any]:
    """What each output stream puts into the result, and where its complete copy goes (``_output.py``)."""
    return {
        "include_output": {"type": "bool", "default": True},
        "output_limit": {"type": "int"},
        "output_dir": {"type": "path"},
        "fetch_complete_output": {"type": "bool", "default": False},
        "s3_endpoint_url": {"type": "str"},
        "oss_endpoint_url": {"type": "str"},
        # aws_ssm's complete output in CloudWatch Logs (aws_ssm_output.py).
        "logs_endpoint_url": {"type": "str"},
        "include_vendor_payload": {"type": "bool", "default": False},
        "return_records": {"type": "str", "default": "auto", "choices": ["auto", "all", "unsuccessful", "none"]},
    }


def merged(*specs: dict[str, t.Any]) -> dict[str, t.Any]:
    result: dict[str, t.Any] = {}
    for spec in specs:
        result.update(spec)
    return result


def window_argument_spec() -> dict[str, t.Any]:
    """The maintenance-window selectors of invocation_info and invocation_wait (aws_ssm only: the
    capabilities table refuses them for the other providers)."""
    return {
        "window_id": {"type": "str"},
        "window_execution_id": {"type": "str"},
        "window_task_id": {"type": "str"},
        "executed_after": {"type": "str"},
        "executed_before": {"type": "str"},
        "include_command_details": {"type": "bool", "default": True},
    }
