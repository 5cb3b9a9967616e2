# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup on a controller without the provider's SDK, or without jmespath: a clear message."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.multicloud.invocations.plugins.module_utils import _http, _query
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import aws_ssm

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
SDKS = [
    pytest.param(aws_ssm, "HAS_BOTO3", "boto3", {"provider": "aws_ssm", "command_id": CID, "region": "us-east-1"}, id="aws_ssm"),
    pytest.param(
        _http, "HAS_REQUESTS", "requests",
        {"provider": "alibaba_ecs", "invocation_id": "t-hz0jdfwd9f1a2b3", "region": "cn-hangzhou", "access_key": "AK", "secret_key": "SK"}, id="alibaba_ecs",
    ),
    pytest.param(
        _http, "HAS_REQUESTS", "requests",
        {"provider": "zenlayer_zos", "invocation_id": "inv-1a2b3c4d", "token": "zos-unit-test-token"},
        id="zenlayer_zos",
    ),
]


@pytest.mark.parametrize("module, flag, library, options", SDKS)
def test_the_lookup_names_the_missing_library(module, flag, library, options, monkeypatch):
    monkeypatch.setattr(module, flag, False)
    lookup = lookup_loader.get("multicloud.invocations.invocation")
    with pytest.raises(AnsibleLookupError, match=f"the invocation lookup needs the Python library {library} on the controller"):
        lookup.run([], variables={}, **options)


def test_the_lookup_names_a_missing_jmespath(monkeypatch):
    monkeypatch.setattr(_query, "HAS_JMESPATH", False)
    lookup = lookup_loader.get("multicloud.invocations.invocation")
    with pytest.raises(AnsibleLookupError, match="the invocation lookup needs the Python library jmespath on the controller"):
        lookup.run([], variables={}, command_id=CID, region="us-east-1", query="invocations")


@pytest.mark.parametrize("keyword", ["statuse", "foo", "commandid"])
def test_the_lookup_refuses_an_unknown_keyword_before_any_call(keyword, monkeypatch):
    # Were the keyword dropped, the lookup would call the API; make any such call fail loudly.
    monkeypatch.setattr(aws_ssm, "HAS_BOTO3", False)
    lookup = lookup_loader.get("multicloud.invocations.invocation")
    with pytest.raises(AnsibleLookupError, match=f"invocation lookup: unknown keyword\\(s\\) {keyword}: the lookup takes .*statuses"):
        lookup.run([], variables={}, command_id=CID, region="us-east-1", **{keyword: ["failed"]})


@pytest.mark.parametrize("alias", ["aws_region", "aws_access_key_id", "access_key_secret", "alicloud_security_token"])
def test_the_lookup_still_takes_the_aliases(alias, monkeypatch):
    monkeypatch.setattr(aws_ssm, "HAS_BOTO3", False)
    lookup = lookup_loader.get("multicloud.invocations.invocation")
    with pytest.raises(AnsibleLookupError, match="needs the Python library boto3"):
        lookup.run([], variables={}, command_id=CID, region="us-east-1", **{alias: "x"})
