# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport errors quote the URL they tried; a signed query string never reaches a message."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._http import redact_urls
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import AlibabaClient

STS_TOKEN = "CAISsts-token-DISTINCTIVE-4f1d9c"
SECRET = "alibaba-secret-DISTINCTIVE-77aa"


class Failing:
    """A session whose post fails the way requests does: the message quotes the whole URL."""

    def __init__(self, error_class):
        self.error_class = error_class
        self.urls = []

    def post(self, url, **kwargs):
        self.urls.append(url)
        raise self.error_class(f"HTTPSConnectionPool(host='ecs.example', port=443): Max retries exceeded with url: /{url.split('/', 3)[-1]} (Caused by x)")


@pytest.mark.parametrize("error_class, start", [(requests.exceptions.ConnectionError, "cannot reach"), (requests.exceptions.SSLError, "TLS verification")])
def test_rpc_v1_signed_query_is_not_quoted(error_class, start):
    client = AlibabaClient(
        {"access_key": "AKIDEXAMPLE", "secret_key": SECRET, "session_token": STS_TOKEN, "region": "cn-shanghai", "signature_version": "rpc_v1"},
        sleep=lambda seconds: None,
    )
    client.session = Failing(error_class)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocations", {"InvokeId": "t-hz0jdfwd9f1a2b3"})
    # The request really carried the token and a signature in its query string...
    assert STS_TOKEN in client.session.urls[0] and "Signature=" in client.session.urls[0]
    # ...and the message names the endpoint without any of it.
    message = caught.value.describe()
    assert message.startswith(start)
    assert STS_TOKEN not in message and "Signature" not in message and "AKIDEXAMPLE" not in message and SECRET not in message
    if start == "cannot reach":
        assert "https://ecs.cn-shanghai.aliyuncs.com" in message
    # Ansible prints an exception's cause chain (a lookup's error, a module's traceback): none is kept.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_redact_urls_keeps_everything_but_queries():
    text = "Max retries exceeded with url: /?A=1&SecurityToken=x (Caused by y) and 'http://h/p?q=2'"
    assert redact_urls(text) == "Max retries exceeded with url: /?<query redacted> (Caused by y) and 'http://h/p?<query redacted>'"
