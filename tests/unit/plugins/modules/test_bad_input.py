# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad-input cases an integration run cannot reach: an SDK that is not installed (for every
provider and module; the lookup's are in tests/unit/plugins/lookup/test_bad_input_lookup.py), and
ids checked before the first API call."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.multicloud.invocations.plugins.module_utils import _http, _query
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import aws_ssm
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.modules import invocation_info, invocation_run, invocation_wait

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"

# provider module, its guard flag, its import-error variable, the library, options that pass validation.
# (Alibaba Cloud and Zenlayer share the signed-HTTP client, whose module holds the requests guard.)
SDKS = [
    pytest.param(aws_ssm, "HAS_BOTO3", "BOTO3_IMPORT_ERROR", "boto3", {"provider": "aws_ssm", "command_id": CID, "region": "us-east-1"}, id="aws_ssm"),
    pytest.param(
        _http, "HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "requests",
        {"provider": "alibaba_ecs", "invocation_id": "t-hz0jdfwd9f1a2b3", "region": "cn-hangzhou", "access_key": "AK", "secret_key": "SK"}, id="alibaba_ecs",
    ),
    pytest.param(
        _http, "HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "requests",
        {"provider": "zenlayer_zos", "invocation_id": "inv-1a2b3c4d", "token": "zos-unit-test-token"}, id="zenlayer_zos",
    ),
]


def load_without(module, library, monkeypatch):
    """A fresh copy of ``module`` executed while ``library`` cannot be imported (sys.modules entry None)."""
    for name in list(sys.modules):
        if name == library or name.startswith(f"{library}."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, library, None)
    spec = importlib.util.spec_from_file_location(f"_mci_without_{library}_{module.__name__.rsplit('.', 1)[-1]}", module.__file__)
    copy = importlib.util.module_from_spec(spec)
    # Registered, as an import would: dataclasses look their module up while the class is made.
    monkeypatch.setitem(sys.modules, spec.name, copy)
    spec.loader.exec_module(copy)
    return copy


@pytest.mark.parametrize("module, flag, error_variable, library, options", SDKS)
def test_the_import_guard_notices_a_missing_sdk(module, flag, error_variable, library, options, monkeypatch):
    copy = load_without(module, library, monkeypatch)
    assert getattr(copy, flag) is False
    assert "ImportError" in getattr(copy, error_variable) or "ModuleNotFoundError" in getattr(copy, error_variable)


@pytest.mark.parametrize("module, flag, error_variable, library, options", SDKS)
@pytest.mark.parametrize("entry", [invocation_info, invocation_wait, invocation_run], ids=["info", "wait", "run"])
def test_every_module_fails_with_missing_required_lib(module, flag, error_variable, library, options, entry, run_module, monkeypatch):
    monkeypatch.setattr(module, flag, False)
    monkeypatch.setattr(module, error_variable, "Traceback (most recent call last):\nModuleNotFoundError: No module named '%s'" % library)
    args = dict(options)
    if entry is invocation_wait:
        ids = args.pop("command_id", None) or args.pop("invocation_id")
        args["command_ids" if options["provider"] == "aws_ssm" else "invocation_ids"] = [ids]
    elif entry is invocation_run:
        args.pop("command_id", None)
        args.pop("invocation_id", None)
        instance = {"aws_ssm": "i-0123456789abcdef0", "alibaba_ecs": "i-bp1i7gg30r52z2em1a2b", "zenlayer_zos": "ins-1a2b3c4d"}[options["provider"]]
        args.update(commands=["true"], instance_ids=[instance])
    result = run_module(entry, args)
    assert result["failed"] is True
    assert result["msg"] == missing_required_lib(library)
    assert "Traceback" not in result["msg"]
    assert result["error_kind"] == "missing_dependency" and result["api_calls"] == 0


def test_a_missing_jmespath_is_named(run_module, monkeypatch):
    monkeypatch.setattr(_query, "HAS_JMESPATH", False)
    result = run_module(invocation_wait, {"command_ids": [CID], "region": "us-east-1", "success_when": "status == 'success'"})
    assert result["failed"] is True
    assert result["msg"] == missing_required_lib("jmespath")


class NoCalls:
    """A client that fails the test if any API call is made."""

    def __getattr__(self, name):
        raise AssertionError(f"API call {name} made before the input was checked")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"command_ids": [CID], "instance_ids": ["i-xyz"]}, "'i-xyz' is not an SSM managed node id"),
        ({"command_ids": [CID, "deploy-42"]}, "'deploy-42' is not an SSM command id"),
        ({"command_ids": [CID], "instance_ids": ["i-0123456789abcdef0", "web-1"]}, "'web-1' is not an SSM managed node id"),
    ],
)
def test_aws_ssm_wait_checks_every_id_before_the_first_call(params, message):
    # Found by the invocation_bad_input corpus: a malformed instance id reached ListCommands first.
    provider = AwsSsmProvider({"region": "us-east-1"}, client=NoCalls())
    with pytest.raises(InvalidInput, match=message):
        provider.wait_targets(params)
    assert provider.api_calls == 0


@pytest.mark.parametrize("options", [
    {"endpoint_url": "http://mci:url-secret-0123456789@127.0.0.1:9"},
    {"endpoint_url": "http://127.0.0.1:9",
     "aws_config": {"proxies": {"http": "http://proxy-user:url-secret-0123456789@127.0.0.1:9"}, "retries": {"total_max_attempts": 1},
                    "connect_timeout": 1}},
], ids=["endpoint_url", "aws_config proxies"])
def test_a_password_in_a_url_option_is_masked_everywhere(options, run_module):
    # It was printed with the module arguments at -vvvv.
    args = dict(options, provider="aws_ssm", region="us-east-1", access_key="AKIAFAKEFAKEFAKEFAKE", secret_key="fake/secret/key",
                command_id="0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10")
    args.setdefault("aws_config", {"retries": {"total_max_attempts": 1}, "connect_timeout": 1})
    result = run_module(invocation_info, args)
    assert result["failed"] is True
    assert "url-secret-0123456789" not in json.dumps(result)
    echoed = result["invocation"]["module_args"]
    assert "********@127.0.0.1:9" in json.dumps(echoed)
    # The rest of aws_config is still shown: the dict is not no_log as a whole.
    assert echoed["aws_config"]["retries"]["total_max_attempts"] == 1
