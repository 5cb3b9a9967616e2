# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plain-HTTP rule: loopback allowed, anything else only with allow_plain_http (and a warning),
enforced by every provider before its first API call and shown by the modules."""

from __future__ import annotations

import pytest
import requests

from ansible.module_utils import basic

from ansible_collections.multicloud.invocations.plugins.module_utils._endpoint import check_plain_http, is_loopback
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import AlibabaClient, AlibabaEcsProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos import ZenlayerClient, ZenlayerZosProvider
from ansible_collections.multicloud.invocations.plugins.modules import invocation_info


@pytest.mark.parametrize(
    "host, expected",
    [
        ("127.0.0.1", True),
        ("127.10.20.30", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("sim.localhost", True),
        ("10.0.0.5", False),
        ("192.168.1.1", False),
        ("0.0.0.0", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("ssm.eu-west-1.amazonaws.com", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback(host, expected):
    assert is_loopback(host) is expected


@pytest.mark.parametrize("url", [None, "", "https://ssm.eu-west-1.amazonaws.com", "ecs.cn-hangzhou.aliyuncs.com", "http://127.0.0.1:8080", "http://localhost/x",
                                 "http://[::1]:9000"])
def test_allowed_without_a_warning(url):
    assert check_plain_http(url, False, "aws_ssm") is None


def test_plain_http_elsewhere_is_refused_with_the_fix_named():
    with pytest.raises(InvalidInput) as caught:
        check_plain_http("http://10.1.2.3:8080/api?Signature=abc", False, "alibaba_ecs")
    message = str(caught.value)
    assert "http://10.1.2.3:8080/api" in message
    assert "allow_plain_http: true" in message and "https://" in message
    assert "Signature" not in message  # a query string never reaches a message


def test_opt_in_allows_with_a_warning():
    warning = check_plain_http("http://proxy.internal:3128", True, "zenlayer_zos")
    assert warning and "plain HTTP" in warning and "http://proxy.internal:3128" in warning


def test_user_info_never_reaches_a_message():
    with pytest.raises(InvalidInput) as caught:
        check_plain_http("http://admin:hunter2-secret@10.0.0.1/", False, "aws_ssm")
    assert "hunter2-secret" not in str(caught.value) and "admin" not in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://10.0.0.1/", "file:///etc/passwd"])
def test_other_schemes_are_refused(url):
    with pytest.raises(InvalidInput, match="must start with https://"):
        check_plain_http(url, True, "aws_ssm")


CREDS = {"access_key": "AKIDEXAMPLE", "secret_key": "not-a-real-secret", "region": "cn-hangzhou"}


@pytest.mark.parametrize("client_class", [AlibabaClient, ZenlayerClient])
def test_http_providers_refuse_before_any_call(client_class):
    with pytest.raises(InvalidInput, match="allow_plain_http"):
        client_class(dict(CREDS, endpoint_url="http://198.51.100.7"))


@pytest.mark.parametrize("provider_class", [AlibabaEcsProvider, ZenlayerZosProvider])
def test_http_providers_carry_the_warning(provider_class):
    provider = provider_class(dict(CREDS, endpoint_url="http://198.51.100.7", allow_plain_http=True))
    assert provider.warnings == []  # nothing built yet
    assert provider.client().api_calls == 0
    assert len(provider.warnings) == 1 and "198.51.100.7" in provider.warnings[0]


def test_aws_ssm_refuses_before_any_call():
    provider = AwsSsmProvider({"endpoint_url": "http://198.51.100.7", "region": "us-east-1", "access_key": "AKIDEXAMPLE", "secret_key": "x"})
    with pytest.raises(InvalidInput, match="allow_plain_http"):
        provider.client()
    assert provider.api_calls == 0


def test_aws_ssm_carries_the_warning():
    provider = AwsSsmProvider({"endpoint_url": "http://198.51.100.7", "region": "us-east-1", "allow_plain_http": True})
    provider.client()
    assert len(provider.warnings) == 1


def test_the_module_fails_with_the_message(run_module):
    params = {"command_id": "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10", "region": "us-east-1", "endpoint_url": "http://203.0.113.9:8080"}
    result = run_module(invocation_info, params)
    assert result["failed"] is True
    assert result["error_kind"] == "invalid_input"
    assert "allow_plain_http" in result["msg"]
    assert result["api_calls"] == 0


class Refusal:
    """What the ZOS endpoint answers: a non-retryable vendor error."""

    status_code = 400
    headers: dict = {}
    text = ""
    encoding = "utf-8"
    content = b'{"code": "INVALID_PARAMETER", "message": "refused by the test", "requestId": "req-1"}'

    @staticmethod
    def json():
        return {"code": "INVALID_PARAMETER", "message": "refused by the test", "requestId": "req-1"}


def test_the_module_warns_when_allowed(run_module, monkeypatch):
    monkeypatch.setattr(requests.Session, "post", lambda *args, **kwargs: Refusal())
    # Under a unit test AnsibleModule.warn goes to the controller's display: record it instead.
    shown = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning, **kwargs: shown.append(warning))
    result = run_module(
        invocation_info,
        {"provider": "zenlayer_zos", "invocation_id": "inv-1a2b3c4d", "token": "zos-unit-test-token",
         "endpoint_url": "http://203.0.113.9:1", "allow_plain_http": True},
    )
    assert result["failed"] is True and result["error_code"] == "INVALID_PARAMETER"
    assert len(shown) == 1 and "plain HTTP" in shown[0], shown
