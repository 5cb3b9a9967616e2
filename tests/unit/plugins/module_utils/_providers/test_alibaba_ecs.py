# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Cloud Assistant client and provider on a fake HTTP session: what is signed and sent, how
errors, retries and pages are handled, the wait's poll, and the provider's reads, waits and starts."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import hmac
import json
import re
import types
import urllib.parse

import pytest
import requests

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    MissingDependency,
    NotFound,
    ProviderError,
    Throttled,
)
from ansible_collections.multicloud.invocations.plugins.module_utils import _http
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_credentials, alibaba_ecs_records
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import (
    AlibabaClient,
    AlibabaEcsProvider,
    classify_error,
    endpoint_for,
)

AK = "testid"
SECRET = "testsecret"
DATE = "2026-01-01T00:00:00Z"
NONCE = "3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
I1 = "i-bp1i7gg30r52z2em1a2b"
I2 = "i-bp67acfmxazb4p0c3d4e"
I3 = "i-bp9zzzzzzzzzzzzzzzzz"
T1 = "t-hz0jdfwd9f1a2b3"
T2 = "t-hz0jdfwd9f4c5d6"
C1 = "c-hz0jdfwcsr5c6d7"
ALL_VARIABLES = sorted({name for names in alibaba_ecs_credentials.ENVIRONMENT.values() for name in names})


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No Alibaba variable or profile file from the machine running the tests."""
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


# -- a fake transport ----------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status_code=200, body=None, text=None, headers=None):
        self.status_code = status_code
        self.text = text if text is not None else json.dumps(ANY_ACTION_BODY if body is None else body)
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})

    encoding = "utf-8"

    @property
    def content(self):
        return self.text.encode("utf-8")

    def json(self):
        return json.loads(self.text)


# A success body that has the documented shape of every action the client reads (the transport
# tests do not care which action they call); shapes themselves are tested further down.
ANY_ACTION_BODY = {"RequestId": "req-ok", "InvokeId": "t-any", "Invocations": {"Invocation": []},
                   "Invocation": {"InvocationResults": {"InvocationResult": []}}}


def ok(body=None):
    return FakeResponse(200, ANY_ACTION_BODY if body is None else body)


def fail(status, code, message="boom", headers=None):
    return FakeResponse(status, {"Code": code, "Message": message, "RequestId": f"req-{code}", "HostId": "ecs.aliyuncs.com"}, headers=headers)


@dataclasses.dataclass
class Sent:
    url: str
    headers: dict
    timeout: float
    verify: object

    @property
    def split(self):
        return urllib.parse.urlsplit(self.url)

    @property
    def query(self):
        return dict(urllib.parse.parse_qsl(self.split.query, keep_blank_values=True))

    @property
    def action(self):
        return self.headers.get("x-acs-action") or self.query.get("Action")


class FakeSession:
    """Answers each post with the next scripted reply: a response, an exception to raise, or an
    (action, reply) pair that also checks which action was called."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.sent: list[Sent] = []

    def post(self, url, headers=None, timeout=None, verify=None, stream=False):
        sent = Sent(url, dict(headers or {}), timeout, verify)
        self.sent.append(sent)
        assert self.replies, f"unexpected call {sent.action} {url}"
        reply = self.replies.pop(0)
        if isinstance(reply, tuple):
            action, reply = reply
            assert sent.action == action, f"expected {action}, got {sent.action}"
        if isinstance(reply, BaseException):
            raise reply
        return reply

    @property
    def actions(self):
        return [sent.action for sent in self.sent]


def make_client(*replies, sleeps=None, **options):
    settings = {"access_key": AK, "secret_key": SECRET, "region": "cn-hangzhou"}
    settings.update(options)
    client = AlibabaClient(settings, sleep=(sleeps if sleeps is not None else []).append)
    client.session = FakeSession(*replies)
    return client


def make_provider(*replies, **options):
    client = make_client(*replies, **options)
    return AlibabaEcsProvider(dict(client_options(), **options), client=client), client.session


def client_options():
    return {"access_key": AK, "secret_key": SECRET, "region": "cn-hangzhou"}


@pytest.fixture
def pinned(monkeypatch):
    """Fix the signing time and nonce to the inputs of the ACS3 test vectors (Alibaba Cloud's signature documentation)."""
    monkeypatch.setattr(alibaba_ecs, "acs_timestamp", lambda moment: DATE)
    monkeypatch.setattr(alibaba_ecs, "uuid", types.SimpleNamespace(uuid4=lambda: types.SimpleNamespace(hex=NONCE)))


def rfc3986(value) -> str:
    return urllib.parse.quote(str(value), safe="~")


def expected_query(params: dict) -> str:
    return "&".join(f"{rfc3986(name)}={rfc3986(value)}" for name, value in sorted(params.items()))


def recomputed_acs3_signature(sent: Sent, secret: str) -> tuple[str, list[str]]:
    """The ACS3-HMAC-SHA256 signature of a sent request, step by step from what went on the wire."""
    signed = re.search(r"SignedHeaders=([^,]+)", sent.headers["authorization"]).group(1).split(";")
    header_block = "".join(f"{name}:{sent.headers[name].strip()}\n" for name in sorted(signed))
    canonical_request = "\n".join(
        ["POST", sent.split.path or "/", sent.split.query, header_block, ";".join(sorted(signed)), hashlib.sha256(b"").hexdigest()]
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest(), signed


# -- payloads ------------------------------------------------------------------------------------


def now_iso(seconds_ago: float = 0.0) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def instance(instance_id, status="Success", **extra):
    item = {"InstanceId": instance_id, "InvocationStatus": status, "ExitCode": 0 if status == "Success" else None, "Output": f"out {instance_id}"}
    item.update(extra)
    return item


def invocation(invoke_id=T1, status="Running", instances=(I1,), repeat="Once", timeout=60, **extra):
    item = {
        "InvokeId": invoke_id,
        "CommandId": C1,
        "InvocationStatus": status,
        "InvokeStatus": status,
        "RepeatMode": repeat,
        "Timeout": timeout,
        "CreationTime": now_iso(5),
        "CommandContent": "echo hi",
        "InvokeInstances": {"InvokeInstance": [instance(instance_id, status) for instance_id in instances]},
    }
    item.update(extra)
    return item


def invocations_page(*items, token=""):
    return ok({"RequestId": "req-di", "NextToken": token, "Invocations": {"Invocation": list(items)}})


def result(instance_id, status="Success", invoke_id=T1, **extra):
    item = {
        "InvokeId": invoke_id,
        "CommandId": C1,
        "InstanceId": instance_id,
        "InvocationStatus": status,
        "ExitCode": 0 if status == "Success" else 1,
        "Output": f"out {instance_id}",
        "Dropped": 0,
        "StartTime": now_iso(3),
        "FinishedTime": now_iso(1) if status in ("Success", "Failed") else "",
    }
    item.update(extra)
    return item


def results_page(*items, token=""):
    return ok({"RequestId": "req-dir", "Invocation": {"NextToken": token, "InvocationResults": {"InvocationResult": list(items)}}})


# -- endpoint_for and classify_error -------------------------------------------------------------


@pytest.mark.parametrize(
    "region, host",
    [
        ("cn-hangzhou", "ecs-cn-hangzhou.aliyuncs.com"),
        ("cn-hangzhou-finance", "ecs.aliyuncs.com"),
        ("cn-shanghai-finance-1", "ecs.aliyuncs.com"),
        ("cn-north-2-gov-1", "ecs.aliyuncs.com"),
        ("ap-southeast-1", "ecs.ap-southeast-1.aliyuncs.com"),
        ("cn-beijing", "ecs.cn-beijing.aliyuncs.com"),
    ],
)
def test_endpoint_for(region, host):
    assert endpoint_for(region) == host


@pytest.mark.parametrize(
    "status, code, kind, retryable",
    [
        (400, "Throttling", Throttled, True),
        (400, "Throttling.User", Throttled, True),
        (503, "Throttling.Api", Throttled, True),
        (400, "Rejected.Throttling", Throttled, True),
        (429, None, Throttled, True),
        (404, "InvalidAccessKeyId.NotFound", AccessDenied, False),
        (400, "SignatureDoesNotMatch", AccessDenied, False),
        (400, "IncompleteSignature", AccessDenied, False),
        (403, "Forbidden.RAM", AccessDenied, False),
        (403, "NoPermission", AccessDenied, False),
        (400, "InvalidSecurityToken.Expired", AccessDenied, False),
        (404, "InvalidInvokeId.NotFound", NotFound, False),
        (404, "InvalidCommandId.NotFound", NotFound, False),
        (404, "InvalidInstanceId.NotFound", NotFound, False),
        (404, "InvalidAction.NotFound", NotFound, False),
        (404, "Some.Thing.NotFound", NotFound, False),
        (400, "InvalidParameter", InvalidInput, False),
        (400, "MissingParameter.RegionId", InvalidInput, False),
        (400, "InvalidRegionId.Malformed", InvalidInput, False),
        (400, "InvalidParam.NextToken", InvalidInput, False),
        (503, "ServiceUnavailable", ProviderError, True),
        (500, "InternalError", ProviderError, True),
        (400, "UnknownError", ProviderError, True),
        (502, None, ProviderError, True),
        (403, "OperationDenied.QuotaExceed", ProviderError, False),
    ],
)
def test_classify_error(status, code, kind, retryable):
    body = {"RequestId": "0A1B-2C3D", "Message": "the vendor's words"}
    if code:
        body["Code"] = code
    error = classify_error(status, body, "DescribeInvocations")
    assert error.__class__ is kind
    assert error.retryable is retryable
    assert error.code == (code or f"HTTP{status}")
    assert (error.provider, error.request_id, error.http_status) == ("alibaba_ecs", "0A1B-2C3D", status)
    assert error.message.startswith("Cloud Assistant DescribeInvocations failed: the vendor's words")


def test_classify_error_access_denied_says_what_to_check():
    error = classify_error(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, "RunCommand")
    assert "Check the access key (access_key, secret_key, session_token) and its RAM permissions" in error.message


def test_classify_error_without_message():
    error = classify_error(500, {}, "StopInvocation")
    assert error.message == "Cloud Assistant StopInvocation failed: no message"
    assert error.request_id is None


# -- client construction -------------------------------------------------------------------------


def test_client_defaults():
    client = AlibabaClient(client_options())
    assert (client.base_url, client.host, client.path) == ("https://ecs-cn-hangzhou.aliyuncs.com", "ecs-cn-hangzhou.aliyuncs.com", "/")
    assert client.signature_version == "acs3"
    assert client.verify is True
    assert client.api_calls == 0
    assert isinstance(client.session, requests.Session)


def test_client_region_from_the_credentials(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "ap-southeast-1")
    client = AlibabaClient({"access_key": AK, "secret_key": SECRET})
    assert client.region == "ap-southeast-1"
    assert client.host == "ecs.ap-southeast-1.aliyuncs.com"


def test_client_without_region_is_refused():
    with pytest.raises(InvalidInput, match="region is required"):
        AlibabaClient({"access_key": AK, "secret_key": SECRET})


def test_client_with_a_bad_region_is_refused():
    with pytest.raises(InvalidInput, match="is not an Alibaba Cloud region id"):
        AlibabaClient(dict(client_options(), region="Hangzhou"))


def test_client_without_credentials_is_access_denied():
    with pytest.raises(AccessDenied):
        AlibabaClient({"region": "cn-hangzhou"})


@pytest.mark.parametrize(
    "endpoint, base_url, host, path",
    [
        ("ecs.example.internal", "https://ecs.example.internal", "ecs.example.internal", "/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080", "/"),
        ("https://proxy.example:8443/alibaba/", "https://proxy.example:8443", "proxy.example:8443", "/alibaba/"),
    ],
)
def test_client_endpoint_url(endpoint, base_url, host, path):
    client = AlibabaClient(dict(client_options(), endpoint_url=endpoint))
    assert (client.base_url, client.host, client.path) == (base_url, host, path)


@pytest.mark.parametrize(
    "options, verify",
    [
        ({}, True),
        ({"validate_certs": False}, False),
        ({"ca_bundle": "/etc/pki/ca.pem"}, "/etc/pki/ca.pem"),
        ({"ca_bundle": "/etc/pki/ca.pem", "validate_certs": True}, "/etc/pki/ca.pem"),
    ],
)
def test_client_verify_is_passed_to_every_post(options, verify):
    client = make_client(ok(), **options)
    client.call("DescribeInvocations", {})
    assert client.session.sent[0].verify == verify
    assert client.session.sent[0].timeout == 30.0


def test_client_validate_certs_false_wins_over_ca_bundle():
    client = make_client(ok(), ca_bundle="/etc/pki/ca.pem", validate_certs=False)
    client.call("DescribeInvocations", {})
    assert client.session.sent[0].verify is False


def test_client_without_requests_is_a_missing_dependency(monkeypatch):
    monkeypatch.setattr(_http, "HAS_REQUESTS", False)
    monkeypatch.setattr(_http, "REQUESTS_IMPORT_ERROR", "Traceback: no module named requests")
    with pytest.raises(MissingDependency) as caught:
        AlibabaClient(client_options())
    assert caught.value.library == "requests"
    assert caught.value.import_traceback == "Traceback: no module named requests"


# -- ACS3 signing of what is sent ----------------------------------------------------------------


def test_acs3_request_is_signed_as_sent():
    client = make_client(ok({"RequestId": "r", "Invocations": {"Invocation": []}}))
    params = {"InvokeId": T1, "ContentEncoding": "PlainText", "CommandContent": "echo 'a b'+c/d~e*f 中"}
    client.call("DescribeInvocations", params)
    sent = client.session.sent[0]
    # Every parameter and RegionId in the query, encoded RFC 3986 style and sorted.
    assert sent.split.query == expected_query(dict(params, RegionId="cn-hangzhou"))
    assert "%20" in sent.split.query and "%2A" in sent.split.query and "+" not in sent.split.query
    assert f"{sent.split.scheme}://{sent.split.netloc}{sent.split.path}" == "https://ecs-cn-hangzhou.aliyuncs.com/"
    assert sent.headers["host"] == "ecs-cn-hangzhou.aliyuncs.com"
    assert sent.headers["x-acs-action"] == "DescribeInvocations"
    assert sent.headers["x-acs-version"] == "2014-05-26"
    assert sent.headers["x-acs-content-sha256"] == EMPTY_SHA256
    assert sent.headers["accept"] == "application/json"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sent.headers["x-acs-date"])
    sent_at = datetime.datetime.strptime(sent.headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - sent_at).total_seconds()) < 60
    assert re.fullmatch(r"[0-9a-f]{32}", sent.headers["x-acs-signature-nonce"])
    assert "Action" not in sent.query and "Signature" not in sent.query
    signature, signed = recomputed_acs3_signature(sent, SECRET)
    assert "host" in signed
    assert {name for name in sent.headers if name.startswith("x-acs-")} <= set(signed)
    assert sent.headers["authorization"] == f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={';'.join(signed)},Signature={signature}"


def test_acs3_reproduces_vector_a_end_to_end(pinned):
    client = make_client(ok(), endpoint_url="https://ecs.cn-hangzhou.aliyuncs.com")
    client.call("DescribeInvocations", {"ContentEncoding": "PlainText", "IncludeOutput": "true", "InvokeId": "t-hz0jdfwd9f****", "MaxResults": "50"})
    sent = client.session.sent[0]
    assert sent.url == (
        "https://ecs.cn-hangzhou.aliyuncs.com/"
        "?ContentEncoding=PlainText&IncludeOutput=true&InvokeId=t-hz0jdfwd9f%2A%2A%2A%2A&MaxResults=50&RegionId=cn-hangzhou"
    )
    assert sent.headers["authorization"] == (
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=7f34fbdc1dbccd4e3347ab0e5a831fcae9e21e56e4381bd6f464774754f51da2"
    )


def test_acs3_with_a_security_token_signs_it():
    client = make_client(ok(), session_token="sts-token-value")
    client.call("StopInvocation", {"InvokeId": T1})
    sent = client.session.sent[0]
    assert sent.headers["x-acs-security-token"] == "sts-token-value"
    assert sent.headers["x-acs-accesskey-id"] == AK
    signature, signed = recomputed_acs3_signature(sent, SECRET)
    assert {"x-acs-security-token", "x-acs-accesskey-id"} <= set(signed)
    assert sent.headers["authorization"].endswith(f"Signature={signature}")
    assert "SecurityToken" not in sent.query


def test_acs3_signs_the_endpoint_path():
    client = make_client(ok(), endpoint_url="https://proxy.example:8443/alibaba/")
    client.call("DescribeInvocations", {"InvokeId": T1})
    sent = client.session.sent[0]
    assert sent.url.startswith("https://proxy.example:8443/alibaba/?")
    assert sent.headers["host"] == "proxy.example:8443"
    signature, signed = recomputed_acs3_signature(sent, SECRET)
    assert sent.headers["authorization"] == f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={';'.join(signed)},Signature={signature}"


def test_the_client_region_replaces_a_region_in_the_parameters():
    client = make_client(ok(), region="ap-southeast-1")
    client.call("RunCommand", {"RegionId": "cn-hangzhou", "Type": "RunShellScript"})
    assert client.session.sent[0].query["RegionId"] == "ap-southeast-1"


# -- RPC v1 signing ------------------------------------------------------------------------------


def test_rpc_v1_request_carries_the_signature_in_the_query():
    client = make_client(ok(), signature_version="rpc_v1")
    client.call("DescribeInvocations", {"InvokeId": T1, "CommandContent": "a b*c"})
    sent = client.session.sent[0]
    # Unsigned besides accept: the answer uncompressed, so it can be read against the clock (_http._read_by).
    assert sent.headers == {"accept": "application/json", "Accept-Encoding": "identity"}
    query = sent.query
    assert query["AccessKeyId"] == AK
    assert (query["Action"], query["Version"], query["Format"]) == ("DescribeInvocations", "2014-05-26", "JSON")
    assert (query["SignatureMethod"], query["SignatureVersion"]) == ("HMAC-SHA1", "1.0")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", query["Timestamp"])
    assert query["SignatureNonce"]
    assert (query["RegionId"], query["InvokeId"], query["CommandContent"]) == ("cn-hangzhou", T1, "a b*c")
    assert "SecurityToken" not in query
    # The URL query is what was signed, sorted and RFC 3986 encoded, Signature included.
    assert sent.split.query == expected_query(query)
    unsigned = {name: value for name, value in query.items() if name != "Signature"}
    string_to_sign = "POST&%2F&" + rfc3986(expected_query(unsigned))
    digest = hmac.new((SECRET + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    assert query["Signature"] == base64.b64encode(digest).decode("ascii")


def test_rpc_v1_string_to_sign_matches_vector_d_for_post(pinned):
    client = make_client(ok(), signature_version="rpc_v1")
    client.call("DescribeInvocations", {"IncludeOutput": "true", "InvokeId": "t-hz0jdfwd9f****"})
    query = client.session.sent[0].query
    vector_d = (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeInvocations%26Format%3DJSON%26IncludeOutput%3Dtrue"
        "%26InvokeId%3Dt-hz0jdfwd9f%252A%252A%252A%252A%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c%26SignatureVersion%3D1.0%26Timestamp%3D2026-01-01T00%253A00%253A00Z"
        "%26Version%3D2014-05-26"
    )
    string_to_sign = "POST" + vector_d[len("GET"):]
    digest = hmac.new(b"testsecret&", string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    assert query["Signature"] == base64.b64encode(digest).decode("ascii")
    assert query["Signature"] != "TuclLEQDMgheb3Ek4npyTcCxoFM="  # the GET signature of Vector D


def test_rpc_v1_with_a_security_token():
    client = make_client(ok(), signature_version="rpc_v1", session_token="sts-token-value")
    client.call("StopInvocation", {"InvokeId": T1})
    sent = client.session.sent[0]
    assert sent.query["SecurityToken"] == "sts-token-value"
    assert "authorization" not in sent.headers and "x-acs-security-token" not in sent.headers
    unsigned = {name: value for name, value in sent.query.items() if name != "Signature"}
    digest = hmac.new(b"testsecret&", ("POST&%2F&" + rfc3986(expected_query(unsigned))).encode("utf-8"), hashlib.sha1).digest()
    assert sent.query["Signature"] == base64.b64encode(digest).decode("ascii")


# -- answers, errors and retries -----------------------------------------------------------------


def test_call_returns_the_body_and_counts_calls():
    body = {"RequestId": "r", "InvokeId": T1, "CommandId": C1}
    client = make_client(ok(body), ok())
    assert client.call("RunCommand", {}) == body
    client.call("RunCommand", {})
    assert client.api_calls == 2


def test_error_code_in_a_200_body_is_an_error():
    sleeps = []
    client = make_client(FakeResponse(200, {"Code": "InvalidParameter", "Message": "odd", "RequestId": "r"}), sleeps=sleeps)
    with pytest.raises(InvalidInput) as caught:
        client.call("DescribeInvocations", {})
    assert (caught.value.code, caught.value.http_status) == ("InvalidParameter", 200)
    assert sleeps == []


def test_a_final_error_is_not_retried():
    sleeps = []
    client = make_client(fail(400, "InvalidParameter.Timeout", "Timeout is wrong"), ok(), sleeps=sleeps)
    with pytest.raises(InvalidInput) as caught:
        client.call("RunCommand", {})
    assert caught.value.request_id == "req-InvalidParameter.Timeout"
    assert "Cloud Assistant RunCommand failed: Timeout is wrong" in caught.value.message
    assert (len(client.session.sent), sleeps, client.api_calls) == (1, [], 1)


def test_throttling_is_retried_with_a_fresh_nonce_and_date(monkeypatch):
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: high)
    sleeps = []
    client = make_client(fail(400, "Throttling.User"), fail(400, "Throttling"), ok({"RequestId": "r", "Invocations": {"Invocation": []}}), sleeps=sleeps)
    assert client.call("DescribeInvocations", {"InvokeId": T1}) == {"RequestId": "r", "Invocations": {"Invocation": []}}
    assert sleeps == [1.0, 2.0]
    nonces = [sent.headers["x-acs-signature-nonce"] for sent in client.session.sent]
    assert len(set(nonces)) == 3
    for sent in client.session.sent:
        signature, signed = recomputed_acs3_signature(sent, SECRET)
        assert sent.headers["authorization"].endswith(f"SignedHeaders={';'.join(signed)},Signature={signature}")
    assert client.api_calls == 3


def test_server_errors_give_up_after_max_attempts(monkeypatch):
    bounds = []
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: bounds.append((low, high)) or high)
    sleeps = []
    replies = [fail(503, "ServiceUnavailable") for index in range(_http.MAX_ATTEMPTS)]
    client = make_client(*replies, sleeps=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocationResults", {})
    assert caught.value.retryable and caught.value.code == "ServiceUnavailable" and caught.value.http_status == 503
    assert len(client.session.sent) == _http.MAX_ATTEMPTS == 4
    assert bounds == [(0, 1.0), (0, 2.0), (0, 4.0)]
    assert sleeps == [1.0, 2.0, 4.0]


def test_throttling_that_never_ends_raises_throttled():
    sleeps = []
    client = make_client(*[fail(400, "Throttling.Api") for index in range(4)], sleeps=sleeps)
    with pytest.raises(Throttled) as caught:
        client.call("DescribeInvocations", {})
    assert caught.value.code == "Throttling.Api" and caught.value.retryable
    assert len(sleeps) == 3
    assert all(0 <= pause <= _http.BACKOFF_CAP for pause in sleeps)


@pytest.mark.parametrize(
    "header, pause",
    [
        ("2", 2.0),
        ("0.5", 0.5),
        ("1500", 1.5),
        ("100", 8.0),
        ("60000", 8.0),
    ],
)
def test_retry_after_header_sets_the_pause(header, pause):
    sleeps = []
    client = make_client(fail(400, "Throttling", headers={"x-acs-retry-after": header}), ok(), sleeps=sleeps)
    client.call("DescribeInvocations", {})
    assert sleeps == [pause]


@pytest.mark.parametrize("header", [None, "", "soon", "0", "-3"])
def test_unusable_retry_after_falls_back_to_jitter(monkeypatch, header):
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: high / 2)
    assert AlibabaClient._pause(1, header) == 0.5
    assert AlibabaClient._pause(2, header) == 1.0


def test_jitter_is_capped(monkeypatch):
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: high)
    assert AlibabaClient._pause(3, None) == 4.0
    assert AlibabaClient._pause(4, None) == _http.BACKOFF_CAP
    assert AlibabaClient._pause(9, None) == _http.BACKOFF_CAP


def test_connection_error_is_retried():
    sleeps = []
    client = make_client(requests.exceptions.ConnectionError("reset by peer"), ok({"RequestId": "r2", "Invocations": {"Invocation": []}}), sleeps=sleeps)
    assert client.call("DescribeInvocations", {}) == {"RequestId": "r2", "Invocations": {"Invocation": []}}
    assert len(sleeps) == 1 and len(client.session.sent) == 2


def test_connection_error_every_time_is_a_retryable_provider_error():
    sleeps = []
    client = make_client(*[requests.exceptions.ConnectTimeout("timed out") for index in range(4)], sleeps=sleeps, endpoint_url="https://ecs.example.internal")
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocations", {})
    assert caught.value.retryable
    assert caught.value.provider == "alibaba_ecs"
    assert "cannot reach the Cloud Assistant endpoint https://ecs.example.internal: timed out" in caught.value.message
    assert (len(client.session.sent), len(sleeps)) == (4, 3)


def test_tls_failure_is_not_retried_and_says_how_to_fix_it():
    sleeps = []
    client = make_client(requests.exceptions.SSLError("certificate verify failed"), ok(), sleeps=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocations", {})
    error = caught.value
    assert not error.retryable
    assert "TLS verification of the Cloud Assistant endpoint failed: certificate verify failed" in error.message
    assert "ca_bundle" in error.message and "validate_certs: false" in error.message
    # Not chained: requests quotes the signed URL, and Ansible prints cause chains (test__http_secrets.py).
    assert error.__cause__ is None
    assert (len(client.session.sent), sleeps) == (1, [])


def test_non_json_server_error_is_retried_and_quoted(monkeypatch):
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: 0.0)
    html = "<html><body>502 Bad Gateway</body></html>" + "x" * 400
    client = make_client(*[FakeResponse(502, text=html) for index in range(4)])
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocations", {})
    assert caught.value.retryable and caught.value.code == "HTTP502"
    # A proxy's error page is named for what it is, by its text, not quoted as markup.
    assert "the endpoint answered with an HTML page saying '502 Bad Gateway" in caught.value.message
    assert "<html>" not in caught.value.message and "x" * 100 not in caught.value.message
    assert len(client.session.sent) == 4


def test_success_with_a_cut_short_body_is_asked_again(monkeypatch):
    # chaos (fleetsim --faults truncate) found a wait ending on one answer cut short on its way.
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: 0.0)
    client = make_client(FakeResponse(200, text='{"TotalCount":1,"Invocations":{"Invoc'), ok({"RequestId": "r2", "Invocations": {"Invocation": []}}))
    assert client.call("DescribeInvocations", {})["RequestId"] == "r2"
    assert len(client.session.sent) == 2


def test_success_with_a_cut_short_body_every_time_is_a_transient_error(monkeypatch):
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: 0.0)
    client = make_client(*[FakeResponse(200, text="<html>captive portal</html>") for index in range(4)])
    with pytest.raises(ProviderError, match="answered HTTP 200 with a body that is not JSON") as caught:
        client.call("DescribeInvocations", {})
    assert caught.value.retryable and "captive portal" in caught.value.message
    assert len(client.session.sent) == 4


@pytest.mark.parametrize("status", [404])
def test_non_json_answer_below_500_is_not_retried(status):
    sleeps = []
    client = make_client(FakeResponse(status, text="plain text, not json"), sleeps=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocations", {})
    assert caught.value.code == f"HTTP{status}" and not caught.value.retryable
    assert "plain text, not json" in caught.value.message
    assert sleeps == []


# -- pages and unwrapping ------------------------------------------------------------------------


def test_pages_follow_next_token_to_the_end():
    client = make_client(
        invocations_page(invocation(T1), token="tok-1"),
        invocations_page(invocation(T2), token="tok-2"),
        invocations_page(),
    )
    items = client.pages("DescribeInvocations", {"CommandId": C1}, alibaba_ecs._invocations)
    assert [item["InvokeId"] for item in items] == [T1, T2]
    queries = [sent.query for sent in client.session.sent]
    assert [query.get("NextToken") for query in queries] == [None, "tok-1", "tok-2"]
    assert all(query["MaxResults"] == "50" and query["CommandId"] == C1 for query in queries)


def test_pages_start_again_when_a_token_expires():
    # chaos (fleetsim --faults expire) found a wait ending on a NextToken that expired mid-walk.
    client = make_client(
        invocations_page(invocation(T1), token="tok-1"),
        fail(400, "InvalidParam.NextToken", 'The specified parameter "NextToken" is not valid.'),
        invocations_page(invocation(T1), token="tok-1b"),
        invocations_page(invocation(T2)),
    )
    items = client.pages("DescribeInvocations", {"CommandId": C1}, alibaba_ecs._invocations)
    assert [item["InvokeId"] for item in items] == [T1, T2]
    assert [sent.query.get("NextToken") for sent in client.session.sent] == [None, "tok-1", None, "tok-1b"]


def test_pages_whose_token_keeps_expiring_fail_as_a_transient_error():
    expired = fail(400, "InvalidParam.NextToken", "expired")
    client = make_client(*[reply for index in range(3) for reply in (invocations_page(invocation(T1), token="tok"), expired)])
    with pytest.raises(ProviderError, match="kept expiring") as caught:
        client.pages("DescribeInvocations", {}, alibaba_ecs._invocations)
    assert caught.value.retryable and caught.value.code == "InvalidParam.NextToken" and caught.value.request_id == "req-InvalidParam.NextToken"
    assert len(client.session.sent) == 6


def test_an_invalid_token_on_the_first_page_is_not_an_expiry():
    client = make_client(fail(400, "InvalidParam.NextToken", "bad"))
    with pytest.raises(InvalidInput):
        client.pages("DescribeInvocations", {}, alibaba_ecs._invocations)


def test_pages_stop_at_the_limit():
    client = make_client(
        invocations_page(invocation(T1), invocation(T2), token="tok-1"),
        invocations_page(invocation("t-aaaa1"), invocation("t-aaaa2"), token="tok-2"),
    )
    items = client.pages("DescribeInvocations", {}, alibaba_ecs._invocations, limit=3)
    assert [item["InvokeId"] for item in items] == [T1, T2, "t-aaaa1"]
    assert len(client.session.sent) == 2


def test_pages_under_the_limit_return_everything():
    client = make_client(invocations_page(invocation(T1)))
    assert len(client.pages("DescribeInvocations", {}, alibaba_ecs._invocations, limit=10)) == 1


@pytest.mark.parametrize(
    "body, items, token",
    [
        ({"Invocations": {"Invocation": [{"InvokeId": T1}]}, "NextToken": "n"}, [{"InvokeId": T1}], "n"),
        ({"Invocations": [{"InvokeId": T1}], "NextToken": ""}, [{"InvokeId": T1}], None),
        ({"Invocations": {}}, [], None),
        ({"RequestId": "r"}, [], None),
    ],
)
def test_invocations_unwrap(body, items, token):
    assert alibaba_ecs._invocations(body) == (items, token)


@pytest.mark.parametrize(
    "body, items, token",
    [
        ({"Invocation": {"NextToken": "n", "InvocationResults": {"InvocationResult": [{"InstanceId": I1}]}}}, [{"InstanceId": I1}], "n"),
        ({"Invocation": {"InvocationResults": [{"InstanceId": I1}]}, "NextToken": "top-level-is-not-it"}, [{"InstanceId": I1}], None),
        ({"Invocation": {"NextToken": "", "InvocationResults": {}}}, [], None),
        ({}, [], None),
    ],
)
def test_results_unwrap(body, items, token):
    assert alibaba_ecs._results(body) == (items, token)


# -- the wait's poll -----------------------------------------------------------------------------


def test_poll_reports_instances_without_results_as_missing():
    # Every instance the invocation names has ended, by its own state: its results are read, and an
    # instance they lack (a broken agent writes none) is missing.
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(invocation(T1, status="Success", instances=(I1, I2)))),
        ("DescribeInvocationResults", results_page(result(I1))),
    )
    watch = provider.watch([invocation(T1, instances=(I1, I2))], [], True)
    snapshot = watch.poll()
    assert [record["instance_id"] for record in snapshot.records] == [I1]
    assert snapshot.expected == 2
    assert snapshot.missing == [f"instance {I2} in invocation {T1}"]
    assert not snapshot.complete
    assert session.actions == ["DescribeInvocations", "DescribeInvocationResults"]
    query = session.sent[1].query
    assert (query["InvokeId"], query["ContentEncoding"]) == (T1, "PlainText")
    assert "IncludeHistory" not in query


def test_poll_counts_open_instances_from_the_invocation_and_reads_results_once_at_the_end():
    running = invocation(T1, instances=(I1, I2), InvokeInstances={"InvokeInstance": [
        instance(I1), instance(I2, "Running", StartTime=now_iso(2))]})
    final = invocation(T1, status="Success", instances=(I1, I2))
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(running)),
        ("DescribeInvocations", invocations_page(running)),
        ("DescribeInvocations", invocations_page(final)),
        ("DescribeInvocationResults", results_page(result(I1), result(I2))),
    )
    watch = provider.watch([invocation(T1, instances=(I1, I2))], [], False)
    watch.follow_failures = False
    first = watch.poll()
    # No result page while an instance runs: the invocation's own state counts them.
    assert first.records == [] and first.unread == {"success": 1, "running": 1}
    assert not first.complete and first.missing == [] and first.expected == 2
    assert first.vendor_aggregate[T1]["status"] == "Running"
    assert first.wake_in is not None and 0 < first.wake_in <= 62
    assert first.summary()["counts"]["running"] == 1
    watch.poll()
    assert session.actions == ["DescribeInvocations", "DescribeInvocations"]
    third = watch.poll()
    assert third.complete and third.unread == {}
    assert [record["status"] for record in third.records] == ["success", "success"]
    assert third.vendor_aggregate[T1]["status"] == "Success"
    # The results once, and no second describe for the vendor's aggregate: this round's is current.
    assert session.actions == ["DescribeInvocations"] * 3 + ["DescribeInvocationResults"]
    fourth = watch.poll()
    assert fourth.complete and fourth.records == third.records and len(session.sent) == 4


def test_poll_with_follow_failures_keeps_failed_instances_as_records_at_once():
    running = invocation(T1, instances=(I1, I2, I3), InvokeInstances={"InvokeInstance": [
        instance(I1, "Failed", ExitCode=3, ErrorCode="ExitCodeNonzero"), instance(I2, "Running"), instance(I3)]})
    provider, session = make_provider(("DescribeInvocations", invocations_page(running)))
    watch = provider.watch([invocation(T1, instances=(I1, I2, I3))], [], True)
    assert watch.follow_failures
    snapshot = watch.poll()
    assert [(record["instance_id"], record["status"], record["exit_code"]) for record in snapshot.records] == [(I1, "failed", 3)]
    assert snapshot.unread == {"running": 1, "success": 1}
    assert session.actions == ["DescribeInvocations"]


def test_read_all_reads_the_results_of_an_invocation_still_running():
    running = invocation(T1, instances=(I1, I2), InvokeInstances={"InvokeInstance": [instance(I1), instance(I2, "Running")]})
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(running)),
        ("DescribeInvocationResults", results_page(result(I1), result(I2, "Running", FinishedTime=""))),
        ("DescribeInvocations", invocations_page(running)),
    )
    watch = provider.watch([invocation(T1, instances=(I1, I2))], [], True)
    assert watch.poll().unread
    whole = watch.read_all()
    assert whole.unread == {} and not whole.complete
    assert [(record["instance_id"], record["status"], record["stdout"]) for record in whole.records] == [
        (I1, "success", f"out {I1}"), (I2, "running", f"out {I2}")]
    # The next round is a cheap one again.
    assert watch.poll().unread and session.actions == ["DescribeInvocations", "DescribeInvocationResults", "DescribeInvocations"]


def test_poll_settles_with_a_final_describe_and_then_asks_no_more():
    # A wait on chosen instances reads their results every round, and describes once at the end.
    final = invocation(T1, status="Success", instances=(I1, I2))
    provider, session = make_provider(
        ("DescribeInvocationResults", results_page(result(I1), result(I2, "Running", FinishedTime=""))),
        ("DescribeInvocationResults", results_page(result(I1), result(I2))),
        ("DescribeInvocations", invocations_page(final)),
    )
    watch = provider.watch([invocation(T1, instances=(I1, I2))], [I1, I2], False)
    first = watch.poll()
    assert not first.complete and first.missing == [] and first.expected == 2
    assert first.vendor_aggregate[T1]["status"] == "Running"
    assert first.wake_in is not None and 0 < first.wake_in <= 62
    assert session.actions == ["DescribeInvocationResults"]
    second = watch.poll()
    assert second.complete
    assert session.actions == ["DescribeInvocationResults", "DescribeInvocationResults", "DescribeInvocations"]
    assert second.vendor_aggregate[T1]["status"] == "Success"
    assert second.vendor_aggregate[T1]["normalised"] == "success"
    assert second.wake_in is None
    assert [record["stdout"] for record in second.records] == [None, None]
    third = watch.poll()
    assert third.complete and third.records == second.records and third.expected == 2
    assert len(session.sent) == 3


def test_poll_started_by_tag_describes_first():
    handle = invocation(T1, status="Pending", instances=())
    resolved = invocation(T1, status="Running", instances=(I1, I2), InvokeInstances={"InvokeInstance": [
        instance(I1, "Running"), instance(I2, "Pending")]})
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(resolved)),
        ("DescribeInvocations", invocations_page(resolved)),
    )
    watch = provider.watch([handle], [], True)
    first = watch.poll()
    assert first.expected == 2 and first.missing == [] and first.unread == {"running": 1, "pending": 1}
    assert first.vendor_aggregate[T1]["instance_count"] == 2
    second = watch.poll()
    assert second.missing == [] and not second.complete
    assert session.actions == ["DescribeInvocations", "DescribeInvocations"]


def test_poll_started_by_tag_not_yet_resolved_is_missing_its_results():
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(invocation(T1, status="Pending", instances=()))),
        ("DescribeInvocationResults", results_page()),
    )
    snapshot = provider.watch([invocation(T1, status="Pending", instances=())], [], True).poll()
    assert snapshot.missing == [f"the results of invocation {T1}"]
    assert snapshot.expected == 0 and not snapshot.complete
    assert len(session.sent) == 2


def test_poll_started_by_tag_not_visible_yet_is_a_retryable_not_found():
    provider, session = make_provider(("DescribeInvocations", invocations_page()))
    with pytest.raises(NotFound) as caught:
        provider.watch([invocation(T1, instances=())], [], True).poll()
    assert caught.value.retryable
    assert len(session.sent) == 1


def test_poll_keeps_only_the_instances_asked_for():
    provider, session = make_provider(
        ("DescribeInvocationResults", results_page(result(I1), result(I2), result(I3))),
        ("DescribeInvocations", invocations_page(invocation(T1, status="Success", instances=(I1, I2, I3)))),
    )
    snapshot = provider.watch([invocation(T1, instances=(I1, I2, I3))], [I3, I1], True).poll()
    assert sorted(record["instance_id"] for record in snapshot.records) == sorted([I1, I3])
    assert snapshot.expected == 2 and snapshot.complete
    assert [record["stdout"] for record in snapshot.records] == [f"out {I1}", f"out {I3}"]
    assert len(session.sent) == 2


def test_poll_over_several_invocations_is_complete_when_each_is_settled():
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(invocation(T1, status="Success"))),
        ("DescribeInvocationResults", results_page(result(I1))),
        ("DescribeInvocations", invocations_page(invocation(T2, instances=(I2,), InvokeInstances={"InvokeInstance": [instance(I2, "Running")]}))),
        ("DescribeInvocations", invocations_page(invocation(T2, status="Failed", instances=(I2,)))),
        ("DescribeInvocationResults", results_page(result(I2, "Failed", invoke_id=T2))),
    )
    watch = provider.watch([invocation(T1), invocation(T2, instances=(I2,))], [], True)
    first = watch.poll()
    assert not first.complete and first.expected == 2 and len(first.records) == 1 and first.unread == {"running": 1}
    second = watch.poll()
    assert second.complete
    assert sorted(second.vendor_aggregate) == [T1, T2]
    assert [record["status"] for record in second.records] == ["success", "failed"]
    assert session.actions == [
        "DescribeInvocations",
        "DescribeInvocationResults",
        "DescribeInvocations",
        "DescribeInvocations",
        "DescribeInvocationResults",
    ]


# -- the provider: reads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "give invocation_id, command_id or instance_id"),
        ({"invocation_id": "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"}, "is not a Cloud Assistant invoke id"),
        ({"command_id": "d-123"}, "is not a Cloud Assistant command id"),
        ({"instance_id": "mi-"}, "is not an ECS instance id"),
        ({"instance_id": I1, "max_results": -1}, "max_results must be 1 or more, got -1"),
    ],
)
def test_read_refuses_bad_selectors_before_any_call(params, message):
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match=message):
        provider.read(params)
    with pytest.raises(InvalidInput, match=message):
        provider.read_raw(params)
    assert session.sent == []


def test_read_refuses_max_results_zero():
    provider, session = make_provider(invocations_page(invocation(T1)))
    with pytest.raises(InvalidInput, match="max_results must be 1 or more"):
        provider.read({"instance_id": I1, "max_results": 0})
    assert session.sent == []


def test_read_by_invoke_id_reads_every_page_with_output():
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(invocation(T1, status="Success", instances=(I1, I2)), token="tok")),
        ("DescribeInvocations", invocations_page()),
    )
    records, expected, aggregate = provider.read({"invocation_id": T1, "include_output": True, "max_results": 1})
    assert [(record["instance_id"], record["status"], record["stdout"]) for record in records] == [(I1, "success", f"out {I1}"), (I2, "success", f"out {I2}")]
    assert expected == 2
    assert aggregate[T1]["status"] == "Success" and aggregate[T1]["instance_count"] == 2
    query = session.sent[0].query
    assert (query["InvokeId"], query["ContentEncoding"], query["IncludeOutput"], query["MaxResults"]) == (T1, "PlainText", "true", "50")
    assert session.sent[1].query["NextToken"] == "tok"


@pytest.mark.parametrize("method", ["read", "read_raw"])
def test_read_of_an_invoke_id_that_does_not_exist_fails(method):
    # Found by the invocation_bad_input corpus: a mistyped invoke id read as an empty success.
    provider, session = make_provider(("DescribeInvocations", invocations_page()))
    with pytest.raises(NotFound, match=f"invocation {T1} does not exist"):
        getattr(provider, method)({"invocation_id": T1})
    assert len(session.sent) == 1


def test_read_by_command_id_asks_no_output_and_stops_at_max_results():
    provider, session = make_provider(
        invocations_page(invocation(T1, status="Success"), invocation(T2, status="Success"), invocation("t-aaaa1"), token="more"),
    )
    records, expected, aggregate = provider.read({"command_id": C1, "max_results": 2})
    assert [record["invocation_id"] for record in records] == [T1, T2]
    assert expected == 2 and sorted(aggregate) == [T1, T2]
    query = session.sent[0].query
    assert query["CommandId"] == C1 and "IncludeOutput" not in query
    assert len(session.sent) == 1


def test_read_by_public_command_name():
    provider, session = make_provider(invocations_page())
    assert provider.read({"command_id": "ACS-ECS-InstanceLoginInfo"}) == ([], 0, {})
    assert session.sent[0].query["CommandId"] == "ACS-ECS-InstanceLoginInfo"


def test_read_by_instance_id_keeps_only_that_instance():
    provider, session = make_provider(invocations_page(invocation(T1, status="Success", instances=(I1, I2)), invocation(T2, status="Success", instances=(I2,))))
    records, expected, aggregate = provider.read({"instance_id": I2})
    assert [(record["invocation_id"], record["instance_id"]) for record in records] == [(T1, I2), (T2, I2)]
    assert expected == 2 and sorted(aggregate) == [T1, T2]
    query = session.sent[0].query
    assert (query["InstanceId"], query["IncludeOutput"]) == (I2, "true")


def test_read_without_output():
    provider, session = make_provider(invocations_page(invocation(T1, status="Success")))
    records, expected, aggregate = provider.read({"invocation_id": T1, "include_output": False})
    assert records[0]["stdout"] is None and "Output" not in records[0]["raw"]
    assert "IncludeOutput" not in session.sent[0].query
    assert expected == 1 and T1 in aggregate


def test_read_include_history_needs_the_invoke_id():
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match="include_history needs invocation_id"):
        provider.read({"instance_id": I1, "include_history": True})
    assert session.sent == []


def test_read_include_history_reads_every_result_page():
    provider, session = make_provider(
        ("DescribeInvocationResults", results_page(result(I1, Repeats=1), token="next")),
        ("DescribeInvocationResults", results_page(result(I1, "Failed", Repeats=2))),
    )
    records, expected, aggregate = provider.read({"invocation_id": T1, "include_history": True})
    assert [record["status"] for record in records] == ["success", "failed"]
    assert (expected, aggregate) == (2, {})
    first, second = (sent.query for sent in session.sent)
    assert (first["InvokeId"], first["IncludeHistory"], first["ContentEncoding"]) == (T1, "true", "PlainText")
    assert second["NextToken"] == "next"


def test_read_include_history_keeps_to_the_instance_asked_for():
    provider, session = make_provider(results_page(result(I1), result(I2)))
    records, expected, aggregate = provider.read({"invocation_id": T1, "instance_id": I1, "include_history": True})
    assert [record["instance_id"] for record in records] == [I1]
    assert (expected, aggregate, len(session.sent)) == (1, {}, 1)


def test_read_raw_returns_the_vendor_invocations():
    items = [invocation(T1, status="Success")]
    provider, session = make_provider(invocations_page(*items))
    assert provider.read_raw({"invocation_id": T1}) == {"Invocations": {"Invocation": items}}
    query = session.sent[0].query
    assert (query["InvokeId"], query["IncludeOutput"], query["ContentEncoding"]) == (T1, "true", "PlainText")


def test_read_raw_by_instance_stops_at_max_results():
    provider, session = make_provider(invocations_page(invocation(T1), invocation(T2), token="more"))
    raw = provider.read_raw({"instance_id": I1, "max_results": 1})
    assert [item["InvokeId"] for item in raw["Invocations"]["Invocation"]] == [T1]
    assert len(session.sent) == 1


def test_read_raw_by_command_id_asks_no_output():
    provider, session = make_provider(invocations_page(invocation(T1)))
    provider.read_raw({"command_id": C1})
    assert "IncludeOutput" not in session.sent[0].query


# -- the provider: waits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"invocation_ids": []}, "invocation_ids is empty"),
        ({"invocation_ids": None}, "invocation_ids is empty"),
        ({"invocation_ids": [T1, "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"]}, "is not a Cloud Assistant invoke id"),
        ({"invocation_ids": [T1], "instance_ids": [I1, "i-0123456789ABCDEF0"]}, "is not an ECS instance id"),
    ],
)
def test_wait_targets_refuses_before_any_call(params, message):
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match=message):
        provider.wait_targets(params)
    assert session.sent == []


def test_wait_targets_describes_each_invoke_id_once():
    provider, session = make_provider(
        ("DescribeInvocations", invocations_page(invocation(T1))),
        ("DescribeInvocations", invocations_page(invocation(T2))),
    )
    found = provider.wait_targets({"invocation_ids": [T1, T2, T1], "instance_ids": [I1]})
    assert [item["InvokeId"] for item in found] == [T1, T2]
    assert [sent.query["InvokeId"] for sent in session.sent] == [T1, T2]
    assert all(sent.query["ContentEncoding"] == "PlainText" for sent in session.sent)


@pytest.mark.parametrize("repeat", ["Period", "EveryReboot"])
def test_wait_targets_refuses_periodic_invocations(repeat):
    provider, session = make_provider(invocations_page(invocation(T1)), invocations_page(invocation(T2, repeat=repeat)))
    with pytest.raises(InvalidInput) as caught:
        provider.wait_targets({"invocation_ids": [T1, T2]})
    assert caught.value.message.startswith(f"{T2} repeat ({repeat}) and never complete")
    assert "include_history: true" in caught.value.message
    assert len(session.sent) == 2


def test_wait_targets_unknown_invoke_id_is_a_final_not_found():
    provider, session = make_provider(invocations_page())
    with pytest.raises(NotFound) as caught:
        provider.wait_targets({"invocation_ids": [T1]})
    assert not caught.value.retryable
    assert f"invocation {T1} does not exist" in caught.value.message
    assert len(session.sent) == 1


def test_default_timeout_is_the_largest_budget():
    invocations = [invocation(T1, timeout=60, CreationTime=""), invocation(T2, timeout=600, CreationTime="")]
    assert AlibabaEcsProvider.default_timeout(invocations) == 60 + 600 + 60


# -- the provider: starts and cancel -------------------------------------------------------------


def run_params(**overrides):
    params = {"region": "cn-hangzhou", "commands": ["uptime"], "instance_ids": [I1, I2], "execution_timeout": 120}
    params.update(overrides)
    return params


def test_start_request_runs_new_commands_with_run_command():
    provider, session = make_provider()
    request = provider.start_request(run_params())
    assert request["Action"] == "RunCommand"
    parameters = request["Parameters"]
    assert base64.b64decode(parameters["CommandContent"]).decode() == "uptime"
    assert (parameters["InstanceId.1"], parameters["InstanceId.2"], parameters["Timeout"]) == (I1, I2, "120")
    assert "CommandId" not in parameters
    assert session.sent == []


def test_start_request_runs_a_saved_command_with_invoke_command():
    provider, session = make_provider()
    request = provider.start_request(run_params(commands=None, saved_command_id=C1))
    assert request["Action"] == "InvokeCommand"
    assert request["Parameters"]["CommandId"] == C1
    assert "CommandContent" not in request["Parameters"]
    assert session.sent == []


def test_start_request_refuses_commands_with_a_saved_command():
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match="commands cannot be set with command_id"):
        provider.start_request(run_params(saved_command_id=C1))
    assert session.sent == []


def test_start_sends_the_request_and_returns_a_pending_handle():
    provider, session = make_provider(("RunCommand", ok({"RequestId": "req-run", "InvokeId": T1, "CommandId": C1})))
    handle = provider.start(provider.start_request(run_params()))
    sent = session.sent[0]
    assert (sent.query["InstanceId.1"], sent.query["InstanceId.2"], sent.query["Type"], sent.query["RegionId"]) == (I1, I2, "RunShellScript", "cn-hangzhou")
    assert handle["InvokeId"] == T1 and handle["CommandId"] == C1 and handle["RequestId"] == "req-run"
    assert handle["InstanceIds"] == [I1, I2]
    assert handle["InvokeInstances"] == {"InvokeInstance": [{"InstanceId": I1}, {"InstanceId": I2}]}
    assert (handle["Timeout"], handle["RepeatMode"], handle["InvocationStatus"]) == ("120", "Once", "Pending")
    created = datetime.datetime.fromisoformat(handle["CreationTime"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()) < 60
    assert provider.api_calls == 1


def test_start_of_a_saved_command_takes_the_command_id_from_the_request():
    provider, session = make_provider(("InvokeCommand", ok({"RequestId": "req-inv", "InvokeId": T1})))
    handle = provider.start(provider.start_request(run_params(commands=None, saved_command_id=C1)))
    assert handle["CommandId"] == C1
    assert session.sent[0].query["CommandId"] == C1


def test_start_by_tag_has_no_instances_yet():
    provider, session = make_provider(ok({"RequestId": "r", "InvokeId": T1, "CommandId": C1}))
    handle = provider.start(provider.start_request(run_params(instance_ids=None, targets=[{"key": "tag:env", "values": ["prod"]}])))
    assert session.sent[0].query["ResourceTag.1.Key"] == "env"
    assert handle["InstanceIds"] == [] and handle["InvokeInstances"] == {"InvokeInstance": []}
    assert AlibabaEcsProvider.started(handle)["expected"] == 0


def test_start_keeps_the_order_of_more_than_nine_instances():
    instance_ids = [f"i-bp{index:02d}aaaaaaaaaaaaaaaa" for index in range(1, 12)]
    provider, session = make_provider(ok({"RequestId": "r", "InvokeId": T1, "CommandId": C1}))
    handle = provider.start(provider.start_request(run_params(instance_ids=instance_ids)))
    assert handle["InstanceIds"] == instance_ids
    assert len(session.sent) == 1


def test_started_gives_pending_records():
    handle = {"InvokeId": T1, "CommandId": C1, "InstanceIds": [I1, I2], "CreationTime": "2026-01-01T00:00:00Z"}
    started = AlibabaEcsProvider.started(handle)
    assert (started["invocation_id"], started["command_id"], started["command"], started["expected"]) == (T1, C1, handle, 2)
    assert [(record["instance_id"], record["status"], record["vendor_status"], record["requested_at"]) for record in started["invocations"]] == [
        (I1, "pending", "Pending", "2026-01-01T00:00:00.000Z"),
        (I2, "pending", "Pending", "2026-01-01T00:00:00.000Z"),
    ]


def test_cancel_stops_only_unfinished_invocations():
    provider, session = make_provider(("StopInvocation", ok()), ("StopInvocation", ok()), ("StopInvocation", ok()))
    provider.cancel(
        [
            {"InvokeId": "t-done1", "InvocationStatus": "Success"},
            {"InvokeId": "t-run1", "InvocationStatus": "Running"},
            {"InvokeId": "t-fail1", "InvocationStatus": "Failed"},
            {"InvokeId": "t-pend1", "InvocationStatus": "Pending"},
            {"InvokeId": "t-part1", "InvocationStatus": "PartialFailed"},
            {"InvokeId": "t-stop1", "InvocationStatus": "Stopped"},
            {"InvokeId": "t-what1"},
        ]
    )
    assert [sent.query["InvokeId"] for sent in session.sent] == ["t-run1", "t-pend1", "t-what1"]


def test_api_calls_and_the_lazy_client():
    provider = AlibabaEcsProvider(client_options())
    assert provider.api_calls == 0
    client = provider.client()
    assert isinstance(client, AlibabaClient) and client.region == "cn-hangzhou"
    assert provider.client() is client


@pytest.mark.parametrize("action, body, problem", [
    ("DescribeInvocations", {"RequestId": "r"}, "the answer has no Invocations"),
    ("DescribeInvocations", {"status": "UP"}, "the answer has no Invocations"),
    ("DescribeInvocations", {"RequestId": "r", "Invocations": "[]"}, "Invocations is a string, not an object or a list"),
    ("DescribeInvocations", {"RequestId": "r", "Invocations": {"Invocation": [{"InvokeId": T1, "Timeout": "60"}]}},
     "Invocations.Invocation[0].Timeout is a string, not a number"),
    ("DescribeInvocationResults", {"RequestId": "r", "Invocation": []}, "Invocation is a list, not an object"),
    ("DescribeInvocationResults", {"RequestId": "r", "Invocation": {"InvocationResults": {"InvocationResult": [{"InstanceId": 3}]}}},
     "Invocation.InvocationResults.InvocationResult[0].InstanceId is a number, not a string"),
    ("RunCommand", {"RequestId": "r"}, "the answer has no InvokeId"),
])
def test_an_answer_without_the_documented_shape_is_refused_at_once(action, body, problem):
    client = make_client(ok(body))
    with pytest.raises(ProviderError) as caught:
        client.call(action, {})
    assert f"the Cloud Assistant {action} answer does not have the documented shape ({problem})" in caught.value.message
    assert caught.value.code == "UnexpectedAnswer" and not caught.value.retryable and client.api_calls == 1


def test_a_json_list_for_an_answer_is_refused_with_an_excerpt():
    client = make_client(FakeResponse(200, text='[{"RequestId": "r", "Invocations": {"Invocation": []}}]'))
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeInvocations", {})
    assert "Cloud Assistant DescribeInvocations failed: the answer does not have the documented shape (it is a list, not an object)" in caught.value.message
    assert 'it began: [{"RequestId":"r"' in caught.value.message and caught.value.code == "UnexpectedAnswer"


def test_a_vendor_message_ending_in_a_full_stop_gets_one_full_stop():
    error = classify_error(400, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.", "RequestId": "0A1B"}, "RunCommand")
    assert error.message == (
        "Cloud Assistant RunCommand failed: Specified access key is not found. "
        "Check the access key (access_key, secret_key, session_token) and its RAM permissions"
    )
    assert ".." not in error.describe()


# -- a round builds no record only to count ------------------------------------------------------


@pytest.fixture
def builds(monkeypatch):
    """Counts the records built (every Cloud Assistant record is made by make_record in the records module)."""
    made = []
    real = alibaba_ecs_records.make_record

    def counting(*args, **kwargs):
        made.append(kwargs.get("instance_id"))
        return real(*args, **kwargs)

    monkeypatch.setattr(alibaba_ecs_records, "make_record", counting)
    return made


def fleet_rounds(count, endings):
    """DescribeInvocations answers of a fleet of ``count`` instances that start Running and of which
    ``endings[n]`` end before round n + 2 (every fifth Failed, the others Success), and the result
    pages of the whole fleet once it ended (50 a page, as the client asks)."""
    started, created = now_iso(3), now_iso(5)
    rows = [instance(f"i-fleet{number:05d}", "Running", StartTime=started, ExitCode=None, Output="") for number in range(count)]
    ended = 0

    def answer():
        status = "Running" if any(row["InvocationStatus"] == "Running" for row in rows) else "Failed"
        return invocation(T1, status=status, CreationTime=created, InvokeInstances={"InvokeInstance": [dict(row) for row in rows]})

    answers = [answer()]
    for count_now in endings:
        for row in rows[ended:ended + count_now]:
            failed = int(row["InstanceId"][-5:]) % 5 == 4
            row.update(InvocationStatus="Failed" if failed else "Success", ExitCode=1 if failed else 0,
                       ErrorCode="ExitCodeNonzero" if failed else "", FinishTime=now_iso(1))
        ended += count_now
        answers.append(answer())
    results = [result(row["InstanceId"], row["InvocationStatus"], StartTime=started) for row in rows]
    pages = [results_page(*results[start:start + 50], token="" if start + 50 >= count else f"t{start + 50}") for start in range(0, count, 50)]
    return answers, pages


def test_an_open_invocation_is_counted_without_building_a_record(builds):
    # 120 instances, 20 end a round: no record is built while they run, the 120 are built once,
    # from the result pages read once, when the last has ended.
    answers, pages = fleet_rounds(120, [20] * 6)
    replies = [("DescribeInvocations", invocations_page(answer)) for answer in answers] + [("DescribeInvocationResults", page) for page in pages]
    provider, session = make_provider(*replies)
    watch = provider.watch([invocation(T1, instances=())], [], True)
    watch.follow_failures = False
    for round_number in range(6):
        snapshot = watch.poll()
        assert builds == [] and snapshot.records == []
        assert sum(snapshot.unread.values()) == 120 and snapshot.summary()["terminal"] == 20 * round_number
    final = watch.poll()
    assert final.complete and len(builds) == 120
    assert [record["status"] for record in final.records].count("failed") == 24
    assert session.actions == ["DescribeInvocations"] * 7 + ["DescribeInvocationResults"] * 3
    assert watch.poll().records == final.records and len(session.sent) == 10


def test_following_failures_builds_each_failure_once(builds):
    # Every fifth instance fails: with follow_failures its record is built the round it fails, and
    # never again while its row stays the same; the others are counts.
    answers, _pages = fleet_rounds(60, [10] * 3)
    replies = [("DescribeInvocations", invocations_page(answer)) for answer in answers[:4]]
    provider, _session = make_provider(*replies)
    watch = provider.watch([invocation(T1, instances=())], [], True)
    assert watch.follow_failures
    built = []
    for answer in answers[:4]:
        before = len(builds)
        snapshot = watch.poll()
        built.append(len(builds) - before)
        expected = [record for record in alibaba_ecs_records.instance_records(answer, include_output=False) if record["status"] == "failed"]
        # The same records as building them afresh from the same answer.
        assert snapshot.records == expected
    assert built == [0, 2, 2, 2]
    assert snapshot.unread == {"running": 30, "success": 24}
