# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZOS client and provider on a fake HTTP session: what is signed and sent, how errors,
retries and pages are handled, the wait's poll, and the provider's reads, waits and starts."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import types

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
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import zenlayer_zos, zenlayer_zos_records
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos import (
    InvocationWatch,
    ZenlayerClient,
    ZenlayerZosProvider,
    classify_error,
)

AK = "zos-test-key"
PASSWORD = "zos-test-password"
TOKEN = "zos-personal-token"
STAMP = 1767225600
I1 = "ins-0001"
I2 = "ins-0002"
I3 = "ins-0003"
V1 = "inv-1a2b3c4d"
V2 = "inv-5e6f7a8b"
C1 = "cmd-1a2b3c4d"
ALL_VARIABLES = sorted({name for names in zenlayer_zos.SPEC.environment.values() for name in names})


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    """No Zenlayer variable from the machine running the tests."""
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


# -- a fake transport ----------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status_code=200, body=None, text=None, headers=None):
        self.status_code = status_code
        self.text = text if text is not None else json.dumps({"requestId": "req-1", "response": ANY_ACTION_RESPONSE} if body is None else body)
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})

    encoding = "utf-8"

    @property
    def content(self):
        return self.text.encode("utf-8")

    def json(self):
        return json.loads(self.text)


# A response that has the documented shape of every action the client reads (the transport tests
# do not care which action they call); shapes themselves are tested further down.
ANY_ACTION_RESPONSE = {"requestId": "req-ok", "commandId": "cmd-any", "invocationId": "inv-any", "dataSet": []}


def ok(response=None):
    return FakeResponse(200, {"requestId": "req-ok", "response": ANY_ACTION_RESPONSE if response is None else response})


def fail(status, code, message="boom", headers=None):
    return FakeResponse(status, {"requestId": f"req-{code}", "code": code, "message": message}, headers=headers)


@dataclasses.dataclass
class Sent:
    url: str
    data: bytes
    headers: dict
    timeout: float
    verify: object

    @property
    def action(self):
        return self.headers.get("X-ZC-Action")

    @property
    def body(self):
        return json.loads(self.data)


class FakeSession:
    """Answers each post with the next scripted reply: a response, an exception to raise, or an
    (action, reply) pair that also checks which action was called."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.sent: list[Sent] = []

    def post(self, url, data=None, headers=None, timeout=None, verify=None, stream=False):
        sent = Sent(url, data, dict(headers or {}), timeout, verify)
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


def client_options(**options):
    settings = {"access_key": AK, "secret_key": PASSWORD}
    settings.update(options)
    return settings


def make_client(*replies, sleeps=None, **options):
    client = ZenlayerClient(client_options(**options), sleep=(sleeps if sleeps is not None else []).append)
    client.session = FakeSession(*replies)
    return client


def make_provider(*replies, **options):
    client = make_client(*replies, **options)
    return ZenlayerZosProvider(client_options(**options), client=client), client.session


@pytest.fixture
def pinned(monkeypatch):
    """Fix the signing time."""
    monkeypatch.setattr(zenlayer_zos, "time", types.SimpleNamespace(time=lambda: STAMP + 0.75))


@pytest.fixture
def top_jitter(monkeypatch):
    """The backoff's jitter at its upper bound, so the pauses are known."""
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: high)


def recomputed_zc2(sent: Sent, password: str) -> str:
    """The ZC2-HMAC-SHA256 Authorization of a sent request, step by step from what went on the wire."""
    canonical = "\n".join([
        "POST", "/", "", f"content-type:{sent.headers['Content-Type']}\nhost:{sent.headers['Host']}\n", "content-type;host",
        hashlib.sha256(sent.data).hexdigest(),
    ])
    to_sign = f"ZC2-HMAC-SHA256\n{sent.headers['X-ZC-Timestamp']}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    signature = hmac.new(password.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"ZC2-HMAC-SHA256 Credential={AK}, SignedHeaders=content-type;host, Signature={signature}"


# -- payloads ------------------------------------------------------------------------------------


def zos_now(seconds_ago: float = 0.0) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def instance(instance_id, status="Success", **extra):
    item = {
        "instanceId": instance_id,
        "instanceName": f"name-{instance_id}",
        "instanceExist": True,
        "taskStatus": status,
        "exitCode": 0 if status == "Success" else None,
        "errorCode": None,
        "output": f"out {instance_id}",
        "outputError": "",
        "execStartTime": zos_now(3) if status != "Pending" else "",
        "execEndTime": zos_now(1) if status not in ("Pending", "Running") else "",
    }
    item.update(extra)
    return item


def invocation(invocation_id=V1, status="Running", instances=(I1,), timeout=30, instance_status=None, **extra):
    item = {
        "invocationId": invocation_id,
        "commandId": C1,
        "commandName": "multicloud-invocations",
        "commandType": "SHELL",
        "content": "echo hi",
        "timeout": timeout,
        "createTime": zos_now(5),
        "invocationStatus": status,
        "invocationInstances": [instance(instance_id, instance_status or status) for instance_id in instances],
    }
    item.update(extra)
    return item


def page(*items, total=None):
    return ok({"requestId": "req-page", "totalCount": len(items) if total is None else total, "dataSet": list(items)})


# -- classify_error ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, code, kind, retryable",
    [
        (429, "REQUEST_LIMIT_EXCEEDED", Throttled, True),
        (400, "REQUEST_LIMIT_EXCEEDED", Throttled, True),
        (429, None, Throttled, True),
        (401, "INVALID_AUTHORIZATION", AccessDenied, False),
        (400, "INVALID_ACCESS_KEY_ID", AccessDenied, False),
        (401, "SIGNATURE_EXPIRED", AccessDenied, False),
        (401, "SIGNATURE_FAILURE", AccessDenied, False),
        (401, "INVALID_TOKEN", AccessDenied, False),
        (401, "UNAUTHORIZED", AccessDenied, False),
        (403, None, AccessDenied, False),
        (401, "SOMETHING_ELSE", AccessDenied, False),
        (404, "INVALID_INSTANCE_NOT_FOUND", NotFound, False),
        (404, "INVALID_COMMAND_NOT_FOUND", NotFound, False),
        (400, "OPERATION_FAILED_RESOURCE_NOT_FOUND", NotFound, False),
        (404, None, NotFound, False),
        (400, "INVALID_COMMAND_NOT_SUPPORT_OS", InvalidInput, False),
        (400, "INVALID_INSTANCE_NOT_RUNNING", InvalidInput, False),
        (400, "INVALID_INSTANCE_QGA_REQUIRED", InvalidInput, False),
        (409, "MISSING_PARAMETER", InvalidInput, False),
        (400, "INVALID_OPERATION_TIMEOUT", InvalidInput, False),
        (400, None, InvalidInput, False),
        (503, "SERVICE_TEMPORARY_UNAVAILABLE", ProviderError, True),
        (200, "SERVICE_TEMPORARY_UNAVAILABLE", ProviderError, True),
        (500, "INTERNAL_SERVER_ERROR", ProviderError, True),
        (504, "REQUEST_TIMED_OUT", ProviderError, True),
        (502, "NETWORK_ERROR", ProviderError, True),
        (502, None, ProviderError, True),
        (451, "REQUEST_BLOCKED", ProviderError, False),
        (409, "OPERATION_DENIED", ProviderError, False),
    ],
)
def test_classify_error(status, code, kind, retryable):
    body = {"requestId": "5F6A-7B8C", "message": "the vendor's words"}
    if code:
        body["code"] = code
    error = classify_error(status, body, {}, "DescribeCommandInvocations")
    assert error.__class__ is kind
    assert error.retryable is retryable
    assert error.code == (code or f"HTTP{status}")
    assert (error.provider, error.request_id, error.http_status) == ("zenlayer_zos", "5F6A-7B8C", status)
    assert error.message.startswith("ZOS DescribeCommandInvocations failed: the vendor's words")


@pytest.mark.parametrize("value", ["challenge", "Challenge", "CHALLENGE"])
def test_classify_error_security_challenge(value):
    headers = requests.structures.CaseInsensitiveDict({"CF-Mitigated": value})
    error = classify_error(403, {"code": "INVALID_AUTHORIZATION", "message": "blocked"}, headers, "InvokeCommand")
    assert error.__class__ is AccessDenied
    assert error.retryable is False
    assert (error.code, error.http_status, error.provider) == ("SECURITY_CHALLENGE", 403, "zenlayer_zos")
    assert "stopped by a security challenge" in error.message
    assert "retrying will not help" in error.message
    assert error.message.startswith("ZOS InvokeCommand ")


@pytest.mark.parametrize(
    "status, headers",
    [(403, {"cf-mitigated": "managed"}), (403, {}), (429, {"cf-mitigated": "challenge"})],
)
def test_classify_error_without_a_challenge_is_not_one(status, headers):
    error = classify_error(status, {}, headers, "InvokeCommand")
    assert error.code != "SECURITY_CHALLENGE"
    assert error.code == f"HTTP{status}"


def test_classify_error_access_denied_says_what_to_check():
    error = classify_error(401, {"code": "SIGNATURE_FAILURE", "message": "bad signature"}, {}, "CreateCommand")
    assert "Check access_key / secret_key (access_key_password) or token" in error.message


def test_classify_error_without_message():
    error = classify_error(500, {}, {}, "InvokeCommand")
    assert error.message == "ZOS InvokeCommand failed: no message"
    assert error.request_id is None
    assert error.code == "HTTP500"


# -- client construction -------------------------------------------------------------------------


def test_client_defaults():
    client = ZenlayerClient(client_options())
    assert client.url == "https://console.zenlayer.com/api/v2/zos"
    assert client.host == "console.zenlayer.com"
    assert client.verify is True
    assert client.api_calls == 0
    assert client.token is None
    assert isinstance(client.session, requests.Session)


@pytest.mark.parametrize(
    "endpoint, url, host",
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v2/zos", "127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v2/zos", "127.0.0.1:8080"),
        ("https://proxy.example:8443/zenlayer/zos", "https://proxy.example:8443/zenlayer/zos", "proxy.example:8443"),
        ("https://console.zenlayer.com/api/v2/zap", "https://console.zenlayer.com/api/v2/zap", "console.zenlayer.com"),
        ("", "https://console.zenlayer.com/api/v2/zos", "console.zenlayer.com"),
    ],
)
def test_client_endpoint_url(endpoint, url, host):
    client = make_client(ok(), endpoint_url=endpoint)
    assert (client.url, client.host) == (url, host)
    client.call("DescribeCommandInvocations", {})
    sent = client.session.sent[0]
    assert sent.url == url
    assert sent.headers["Host"] == host


def test_client_endpoint_url_without_a_scheme():
    client = ZenlayerClient(client_options(endpoint_url="zos.example.internal"))
    assert (client.url, client.host) == ("https://zos.example.internal/api/v2/zos", "zos.example.internal")


def test_client_credentials_from_the_environment(monkeypatch):
    monkeypatch.setenv("ZENLAYERCLOUD_ACCESS_KEY_ID", "env-key")
    monkeypatch.setenv("ZENLAYERCLOUD_ACCESS_KEY_PASSWORD", "env-password")
    client = ZenlayerClient({})
    assert (client.access_key, client.password, client.token) == ("env-key", "env-password", None)


def test_client_credentials_from_the_cli_environment(monkeypatch):
    monkeypatch.setenv("ZENLAYER_ACCESS_KEY_ID", "cli-key")
    monkeypatch.setenv("ZENLAYER_ACCESS_KEY_SECRET", "cli-secret")
    client = ZenlayerClient({})
    assert (client.access_key, client.password) == ("cli-key", "cli-secret")


def test_client_terraform_variables_come_before_the_cli_ones(monkeypatch):
    monkeypatch.setenv("ZENLAYERCLOUD_ACCESS_KEY_ID", "tf-key")
    monkeypatch.setenv("ZENLAYER_ACCESS_KEY_ID", "cli-key")
    monkeypatch.setenv("ZENLAYERCLOUD_ACCESS_KEY_PASSWORD", "tf-password")
    assert ZenlayerClient({}).access_key == "tf-key"


def test_client_options_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("ZENLAYERCLOUD_ACCESS_KEY_ID", "env-key")
    monkeypatch.setenv("ZENLAYERCLOUD_ACCESS_KEY_PASSWORD", "env-password")
    client = ZenlayerClient(client_options(access_key="", secret_key=PASSWORD))
    assert (client.access_key, client.password) == ("env-key", PASSWORD)


def test_client_token_from_the_environment(monkeypatch):
    monkeypatch.setenv("ZENLAYER_TOKEN", "env-token")
    assert ZenlayerClient({}).token == "env-token"


@pytest.mark.parametrize("options", [{}, {"access_key": AK}, {"secret_key": PASSWORD}, {"token": ""}])
def test_client_without_credentials_is_access_denied(options):
    with pytest.raises(AccessDenied, match="no Zenlayer credentials") as caught:
        ZenlayerClient(options)
    assert caught.value.provider == "zenlayer_zos"


@pytest.mark.parametrize(
    "options, verify",
    [
        ({}, True),
        ({"validate_certs": False}, False),
        ({"validate_certs": True}, True),
        ({"ca_bundle": "/etc/pki/ca.pem"}, "/etc/pki/ca.pem"),
        ({"ca_bundle": "/etc/pki/ca.pem", "validate_certs": True}, "/etc/pki/ca.pem"),
        ({"ca_bundle": "/etc/pki/ca.pem", "validate_certs": False}, False),
    ],
)
def test_client_verify_and_timeout_are_passed_to_every_post(options, verify):
    client = make_client(ok(), **options)
    client.call("DescribeCommandInvocations", {})
    assert client.session.sent[0].verify == verify
    assert client.session.sent[0].timeout == 30.0


def test_client_without_requests_is_a_missing_dependency(monkeypatch):
    monkeypatch.setattr(_http, "HAS_REQUESTS", False)
    monkeypatch.setattr(_http, "REQUESTS_IMPORT_ERROR", "Traceback: no module named requests")
    with pytest.raises(MissingDependency) as caught:
        ZenlayerClient(client_options())
    assert caught.value.library == "requests"
    assert caught.value.import_traceback == "Traceback: no module named requests"


# -- what is signed and sent ---------------------------------------------------------------------


def test_zc2_request_is_signed_as_sent(pinned):
    client = make_client(ok({"requestId": "r", "invocationId": V1}), endpoint_url="http://127.0.0.1:8080")
    params = {"commandId": C1, "instanceIds": [I1, I2], "timeout": 30, "ignored": None}
    assert client.call("InvokeCommand", params) == {"requestId": "r", "invocationId": V1}
    sent = client.session.sent[0]
    assert sent.data == json.dumps({"commandId": C1, "instanceIds": [I1, I2], "timeout": 30}).encode("ascii")
    assert sent.headers["X-ZC-Action"] == "InvokeCommand"
    assert sent.headers["X-ZC-Version"] == "2025-10-10"
    assert sent.headers["X-ZC-Timestamp"] == str(STAMP)
    assert sent.headers["X-ZC-Signature-Method"] == "ZC2-HMAC-SHA256"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Host"] == "127.0.0.1:8080"
    assert sent.headers["Authorization"] == recomputed_zc2(sent, PASSWORD)


def test_zc2_signature_changes_with_the_body(pinned):
    client = make_client(ok(), ok())
    client.call("DescribeCommandInvocations", {"invocationIds": [V1]})
    client.call("DescribeCommandInvocations", {"invocationIds": [V2]})
    first, second = client.session.sent
    assert first.headers["Authorization"] != second.headers["Authorization"]
    assert second.headers["Authorization"] == recomputed_zc2(second, PASSWORD)
    # Two calls, each answered at once: two HTTP requests and no retry.
    assert (client.api_calls, client.retries) == (2, 0)


def test_non_ascii_body_is_escaped_and_signed_as_sent(pinned):
    client = make_client(ok())
    client.call("CreateCommand", {"name": "n", "content": "echo 中文"})
    sent = client.session.sent[0]
    assert b"\\u4e2d\\u6587" in sent.data
    assert sent.headers["Authorization"] == recomputed_zc2(sent, PASSWORD)


def test_bearer_token_is_sent_without_a_signature():
    client = make_client(ok(), token=TOKEN)
    client.call("DescribeCommandInvocations", {})
    headers = client.session.sent[0].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["X-ZC-Action"] == "DescribeCommandInvocations"
    assert headers["X-ZC-Version"] == "2025-10-10"
    assert headers["Host"] == "console.zenlayer.com"
    assert "X-ZC-Timestamp" not in headers and "X-ZC-Signature-Method" not in headers


def test_bearer_token_alone_is_enough():
    client = ZenlayerClient({"token": TOKEN})
    client.session = FakeSession(ok())
    client.call("InvokeCommand", {})
    assert client.session.sent[0].headers["Authorization"] == f"Bearer {TOKEN}"


# -- calls, errors and retries -------------------------------------------------------------------


def test_call_returns_the_response_and_counts_calls():
    client = make_client(ok({"commandId": C1}), ok({"invocationId": V1}))
    assert client.call("CreateCommand", {"name": "n"}) == {"commandId": C1}
    assert client.call("InvokeCommand", {"commandId": C1}) == {"invocationId": V1}
    assert client.api_calls == 2


@pytest.mark.parametrize("payload, problem", [
    ({"requestId": "r"}, "the answer has no response"),
    ({}, "the answer has no response"),
    ({"requestId": "r", "response": []}, "response is a list, not an object"),
    ({"requestId": "r", "response": {}}, "the answer has no commandId"),
    ({"requestId": "r", "response": {"commandId": 7}}, "commandId is a number, not a string"),
    ({"status": "UP", "service": "health-check"}, "the answer has no response"),
])
def test_an_answer_without_the_documented_shape_is_refused_at_once(payload, problem):
    client = make_client(FakeResponse(200, payload))
    with pytest.raises(ProviderError) as caught:
        client.call("CreateCommand", {"name": "n"})
    assert f"the ZOS CreateCommand answer does not have the documented shape ({problem})" in caught.value.message
    assert caught.value.code == "UnexpectedAnswer" and not caught.value.retryable and client.api_calls == 1


def test_error_code_in_a_200_body_is_an_error():
    client = make_client(FakeResponse(200, {"requestId": "r", "code": "INVALID_PARAMETER", "message": "bad"}))
    with pytest.raises(InvalidInput, match="ZOS InvokeCommand failed: bad") as caught:
        client.call("InvokeCommand", {})
    assert (caught.value.code, caught.value.http_status, caught.value.request_id) == ("INVALID_PARAMETER", 200, "r")
    assert client.api_calls == 1


def test_a_final_error_is_not_retried():
    sleeps = []
    client = make_client(fail(404, "INVALID_COMMAND_NOT_FOUND"), sleeps=sleeps)
    with pytest.raises(NotFound):
        client.call("InvokeCommand", {"commandId": C1})
    assert client.api_calls == 1 and sleeps == []


def test_security_challenge_is_not_retried():
    sleeps = []
    client = make_client(FakeResponse(403, text="<html>Just a moment...</html>", headers={"cf-mitigated": "challenge"}), sleeps=sleeps)
    with pytest.raises(AccessDenied) as caught:
        client.call("DescribeCommandInvocations", {})
    assert caught.value.code == "SECURITY_CHALLENGE"
    assert client.api_calls == 1 and sleeps == []


@pytest.mark.parametrize(
    "first",
    [
        fail(429, "REQUEST_LIMIT_EXCEEDED"),
        FakeResponse(429, text=""),
        fail(503, "SERVICE_TEMPORARY_UNAVAILABLE"),
        fail(200, "SERVICE_TEMPORARY_UNAVAILABLE"),
        fail(500, "INTERNAL_SERVER_ERROR"),
        fail(504, "REQUEST_TIMED_OUT"),
        fail(502, "NETWORK_ERROR"),
        FakeResponse(502, text="<html>bad gateway</html>"),
        requests.exceptions.ConnectionError("connection reset"),
        requests.exceptions.Timeout("read timed out"),
    ],
)
def test_temporary_failures_are_retried_once_then_succeed(top_jitter, first):
    sleeps = []
    client = make_client(first, ok({"dataSet": []}), sleeps=sleeps)
    assert client.call("DescribeCommandInvocations", {}) == {"dataSet": []}
    assert client.api_calls == 2
    assert sleeps == [1.0]


@pytest.mark.parametrize(
    "first",
    [
        fail(503, "SERVICE_TEMPORARY_UNAVAILABLE"),
        fail(500, "INTERNAL_SERVER_ERROR"),
        FakeResponse(502, text="<html>bad gateway</html>"),
        requests.exceptions.ConnectionError("connection reset"),
        requests.exceptions.Timeout("read timed out"),
    ],
)
def test_a_start_that_may_have_run_is_not_sent_again(first):
    # ZOS has no idempotency token: after an answer that does not prove nothing ran, a second
    # InvokeCommand could run the command twice (the provider reads the run back instead).
    client = make_client(first, ok({"invocationId": V1}))
    with pytest.raises(ProviderError):
        client.call("InvokeCommand", {"commandId": C1})
    assert client.api_calls == 1


@pytest.mark.parametrize("first", [fail(429, "REQUEST_LIMIT_EXCEEDED"), requests.exceptions.ConnectTimeout("connect timed out")])
def test_a_start_refused_or_never_sent_is_sent_again(top_jitter, first):
    client = make_client(first, ok({"invocationId": V1}), sleeps=[])
    assert client.call("InvokeCommand", {"commandId": C1}) == {"invocationId": V1}
    assert client.api_calls == 2


def test_retries_resign_with_a_fresh_timestamp(monkeypatch):
    stamps = iter([STAMP, STAMP + 7])
    monkeypatch.setattr(zenlayer_zos, "time", types.SimpleNamespace(time=lambda: next(stamps)))
    client = make_client(fail(429, "REQUEST_LIMIT_EXCEEDED"), ok())
    client.call("DescribeCommandInvocations", {})
    first, second = client.session.sent
    assert (first.headers["X-ZC-Timestamp"], second.headers["X-ZC-Timestamp"]) == (str(STAMP), str(STAMP + 7))
    assert first.data == second.data
    assert second.headers["Authorization"] == recomputed_zc2(second, PASSWORD)
    # Both attempts are HTTP requests; the second is a retry.
    assert (client.api_calls, client.retries) == (2, 1)


def test_server_errors_give_up_after_max_attempts(top_jitter):
    sleeps = []
    client = make_client(*[fail(500, "INTERNAL_SERVER_ERROR")] * _http.MAX_ATTEMPTS, sleeps=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeCommandInvocations", {})
    assert caught.value.retryable and caught.value.code == "INTERNAL_SERVER_ERROR"
    assert client.api_calls == _http.MAX_ATTEMPTS
    # Jittered backoff: up to 0.5 * 2 ** attempt, capped; no pause after the last attempt.
    assert sleeps == [1.0, 2.0, 4.0]


def test_throttling_that_never_ends_raises_throttled():
    sleeps = []
    client = make_client(*[fail(429, "REQUEST_LIMIT_EXCEEDED")] * 4, sleeps=sleeps)
    with pytest.raises(Throttled) as caught:
        client.call("DescribeCommandInvocations", {})
    assert caught.value.retryable
    assert len(sleeps) == 3
    assert all(0 <= pause <= _http.BACKOFF_CAP for pause in sleeps)


def test_jitter_is_capped(monkeypatch):
    bounds = []
    monkeypatch.setattr(_http.random, "uniform", lambda low, high: bounds.append((low, high)) or high)
    monkeypatch.setattr(_http, "MAX_ATTEMPTS", 7)
    client = make_client(*[fail(503, "SERVICE_TEMPORARY_UNAVAILABLE")] * 7)
    with pytest.raises(ProviderError):
        client.call("DescribeCommandInvocations", {})
    assert bounds == [(0, 1.0), (0, 2.0), (0, 4.0), (0, 8.0), (0, 8.0), (0, 8.0)]


def test_connection_error_every_time_is_a_retryable_provider_error():
    sleeps = []
    client = make_client(*[requests.exceptions.ConnectionError("refused")] * 4, sleeps=sleeps, endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ProviderError, match="cannot reach the ZOS endpoint http://127.0.0.1:9/api/v2/zos: refused") as caught:
        client.call("DescribeCommandInvocations", {})
    assert caught.value.retryable and caught.value.provider == "zenlayer_zos"
    assert client.api_calls == 4 and len(sleeps) == 3


def test_tls_failure_is_not_retried_and_says_how_to_fix_it():
    sleeps = []
    client = make_client(requests.exceptions.SSLError("certificate verify failed"), sleeps=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeCommandInvocations", {})
    assert not caught.value.retryable
    assert "TLS verification of the ZOS endpoint failed: certificate verify failed" in caught.value.message
    assert "ca_bundle" in caught.value.message and "validate_certs: false" in caught.value.message
    # Not chained: requests quotes the signed URL, and Ansible prints cause chains (test__http_secrets.py).
    assert caught.value.__cause__ is None
    assert client.api_calls == 1 and sleeps == []


def test_non_json_server_error_is_retried_and_quoted(top_jitter):
    sleeps = []
    client = make_client(*[FakeResponse(503, text="<html>" + "x" * 300)] * 4, sleeps=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.call("DescribeCommandInvocations", {})
    assert caught.value.retryable and caught.value.code == "HTTP503"
    assert "an HTML page saying 'xxx" in caught.value.message
    assert "x" * 121 not in caught.value.message
    assert len(sleeps) == 3


def test_success_with_a_cut_short_body_is_asked_again(top_jitter):
    # chaos (fleetsim --faults truncate) found a wait ending on one answer cut short on its way.
    sleeps = []
    client = make_client(FakeResponse(200, text='{"requestId":"r","response":{"totalCount":1,"dataSet":[{"invoc'), ok({"dataSet": []}), sleeps=sleeps)
    assert client.call("DescribeCommandInvocations", {}) == {"dataSet": []}
    assert client.api_calls == 2 and len(sleeps) == 1


@pytest.mark.parametrize("action", ["CreateCommand", "InvokeCommand"])
def test_a_cut_short_answer_to_a_command_start_is_not_sent_again(action):
    client = make_client(FakeResponse(200, text='{"requestId":"r","respo'))
    with pytest.raises(ProviderError, match="answered HTTP 200 with a body that is not JSON") as caught:
        client.call(action, {})
    assert caught.value.http_status == 200 and client.api_calls == 1


@pytest.mark.parametrize("status", [404])
def test_non_json_answer_below_500_is_not_retried(status):
    client = make_client(FakeResponse(status, text="not json"))
    with pytest.raises((ProviderError, NotFound)) as caught:
        client.call("DescribeCommandInvocations", {})
    assert not caught.value.retryable
    assert caught.value.code == f"HTTP{status}"
    assert "not JSON: 'not json'" in caught.value.message
    assert client.api_calls == 1


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "null", "42"])
def test_json_that_is_not_an_object_is_an_error(text):
    client = make_client(FakeResponse(200, text=text))
    with pytest.raises(ProviderError, match=r"the answer does not have the documented shape \(it is .*, not an object\)") as caught:
        client.call("DescribeCommandInvocations", {})
    assert caught.value.code == "UnexpectedAnswer" and not caught.value.retryable


def test_json_that_is_not_an_object_on_a_5xx_is_retried():
    client = make_client(FakeResponse(502, text="[]"), ok({"dataSet": []}))
    assert client.call("DescribeCommandInvocations", {}) == {"dataSet": []}
    assert client.api_calls == 2


# -- paging --------------------------------------------------------------------------------------


def full_page(start, count=zenlayer_zos.PAGE_SIZE):
    return [invocation(f"inv-{number:08d}", "Success") for number in range(start, start + count)]


def test_pages_stop_on_a_short_page():
    client = make_client(page(*full_page(0), total=0), page(*full_page(100, 3), total=0))
    items = client.invocations(command_ids=[C1])
    assert len(items) == 103
    assert [sent.body["pageNum"] for sent in client.session.sent] == [1, 2]
    assert all(sent.body["pageSize"] == 100 for sent in client.session.sent)
    assert client.session.sent[0].body["commandIds"] == [C1]
    assert "invocationIds" not in client.session.sent[0].body


def test_pages_stop_on_total_count():
    client = make_client(page(*full_page(0), total=200), page(*full_page(100), total=200))
    assert len(client.invocations(instance_ids=[I1])) == 200
    assert client.api_calls == 2


def test_pages_continue_past_a_zero_total_count_until_an_empty_page():
    client = make_client(page(*full_page(0), total=0), page(total=0))
    assert len(client.invocations(invocation_ids=[V1])) == 100
    assert client.api_calls == 2


def test_a_page_with_a_zero_total_and_no_data_set_is_empty():
    client = make_client(ok({"requestId": "r", "totalCount": 0}))
    assert client.invocations(invocation_ids=[V1]) == []
    assert client.api_calls == 1


@pytest.mark.parametrize("response", [{"requestId": "r"}, {}, {"status": "UP"}, {"dataSet": 3, "totalCount": "3"}, {"dataSet": [{"invocationId": 5}]}])
def test_a_page_without_the_documented_shape_is_refused_not_read_as_empty(response):
    # An empty or unrelated object once read as "invocation does not exist".
    client = make_client(ok(response))
    with pytest.raises(ProviderError, match="the ZOS DescribeCommandInvocations answer does not have the documented shape"):
        client.invocations(invocation_ids=[V1])


def test_pages_stop_at_the_limit():
    client = make_client(page(*full_page(0), total=500))
    items = client.invocations(command_ids=[C1], limit=50)
    assert len(items) == 50
    assert client.api_calls == 1


def test_pages_under_the_limit_return_everything():
    client = make_client(page(*full_page(0, 5)))
    assert len(client.invocations(command_ids=[C1], limit=50)) == 5


def test_pages_check_the_ids_before_any_call():
    client = make_client()
    with pytest.raises(InvalidInput, match="looks like an Alibaba Cloud Assistant invoke id"):
        client.invocations(invocation_ids=["t-hz0jdfwd9f1a2b3"])
    assert client.api_calls == 0


# -- the wait's poll -----------------------------------------------------------------------------


def test_poll_reports_invisible_invocations_as_missing():
    provider, session = make_provider(("DescribeCommandInvocations", page()))
    watch = provider.watch([{"invocationId": V1, "instanceIds": [I1]}], [], True)
    snapshot = watch.poll()
    assert snapshot.missing == [f"invocation {V1}"]
    assert snapshot.records == [] and snapshot.expected == 0 and not snapshot.complete
    assert snapshot.vendor_aggregate == {}
    assert session.sent[0].body["invocationIds"] == [V1]


def test_poll_settles_and_then_asks_no_more():
    provider, session = make_provider(
        ("DescribeCommandInvocations", page(invocation(V1, "Running", instances=(I1, I2)))),
        ("DescribeCommandInvocations", page(invocation(V1, "Success", instances=(I1, I2)))),
    )
    watch = provider.watch([{"invocationId": V1}], [], False)
    first = watch.poll()
    assert not first.complete and first.missing == [] and first.expected == 2
    assert [record["status"] for record in first.records] == ["running", "running"]
    assert first.vendor_aggregate[V1]["status"] == "Running"
    # Started 3 s ago with a 30 s timeout: look again just after it falls due.
    assert first.wake_in is not None and 20 < first.wake_in <= 31
    second = watch.poll()
    assert second.complete and second.wake_in is None
    assert second.vendor_aggregate[V1]["normalised"] == "success"
    assert [record["stdout"] for record in second.records] == [None, None]
    assert all("output" not in record["raw"] for record in second.records)
    third = watch.poll()
    assert third.complete and third.records == second.records and third.expected == 2
    assert session.actions == ["DescribeCommandInvocations", "DescribeCommandInvocations"]


def test_poll_over_several_invocations_asks_only_for_the_open_ones_in_one_call():
    provider, session = make_provider(
        page(invocation(V1, "Success"), invocation(V2, "Running", instances=(I2,))),
        page(invocation(V2, "Failed", instances=(I2,), instance_status="Failed")),
    )
    watch = provider.watch([{"invocationId": V1}, {"invocationId": V2}], [], True)
    first = watch.poll()
    assert not first.complete and first.expected == 2
    assert sorted(session.sent[0].body["invocationIds"]) == sorted([V1, V2])
    second = watch.poll()
    assert second.complete
    assert session.sent[1].body["invocationIds"] == [V2]
    assert [record["status"] for record in second.records] == ["success", "failed"]
    assert sorted(second.vendor_aggregate) == [V1, V2]


def test_poll_keeps_only_the_instances_asked_for():
    provider, session = make_provider(page(invocation(V1, "Success", instances=(I1, I2, I3))))
    snapshot = provider.watch([{"invocationId": V1}], [I3, I1], True).poll()
    assert [record["instance_id"] for record in snapshot.records] == [I1, I3]
    assert [record["stdout"] for record in snapshot.records] == [f"out {I1}", f"out {I3}"]
    assert snapshot.expected == 2 and snapshot.complete and snapshot.missing == []
    assert len(session.sent) == 1


def test_poll_reports_an_instance_asked_for_that_the_invocation_lacks():
    provider, session = make_provider(page(invocation(V1, "Running", instances=(I1,))))
    snapshot = provider.watch([{"invocationId": V1}], [I1, I2], True).poll()
    assert snapshot.missing == [f"instance {I2} in invocation {V1}"]
    assert not snapshot.complete
    assert len(session.sent) == 1


def test_an_instance_asked_for_that_never_appears_counts_as_not_visible():
    # Both instances succeeded as far as the list shows, but I2 was asked for and is not there.
    provider, _session = make_provider(page(invocation(V1, "Success", instances=(I1,))))
    snapshot = provider.watch([{"invocationId": V1}], [I1, I2], True).poll()
    summary = snapshot.summary()
    assert (snapshot.expected, summary["counts"]["not_visible"], summary["counts"]["success"]) == (2, 1, 1)
    assert summary["aggregate"] != "success"


def test_poll_does_not_settle_while_an_instance_asked_for_is_missing():
    provider, session = make_provider(
        page(invocation(V1, "Success", instances=(I1,))),
        page(invocation(V1, "Success", instances=(I1,))),
    )
    watch = provider.watch([{"invocationId": V1}], [I1, I2], True)
    first = watch.poll()
    assert first.missing == [f"instance {I2} in invocation {V1}"]
    assert not first.complete
    assert watch.poll().missing == [f"instance {I2} in invocation {V1}"]
    assert len(session.sent) == 2


def test_poll_of_a_visible_invocation_without_instances_yet_is_not_complete():
    provider, session = make_provider(page(invocation(V1, "Pending", instances=())))
    snapshot = provider.watch([{"invocationId": V1}], [], True).poll()
    assert not snapshot.complete and snapshot.records == []
    assert snapshot.vendor_aggregate[V1]["instance_count"] == 0
    assert len(session.sent) == 1


def test_poll_pending_instances_have_no_wake_up():
    provider, session = make_provider(page(invocation(V1, "Pending", instances=(I1,))))
    snapshot = provider.watch([{"invocationId": V1}], [], True).poll()
    assert snapshot.wake_in is None and not snapshot.complete
    assert snapshot.records[0]["status"] == "pending"
    assert len(session.sent) == 1


def test_poll_maps_the_instance_statuses():
    item = invocation(V1, "PartialFailed", instances=())
    item["invocationInstances"] = [
        instance(I1, "Timeout", exitCode=137, errorCode="ExecutionTimeout"),
        instance(I2, "Error", errorCode="InstanceNotExists", execStartTime=""),
        instance(I3, "Failed", exitCode=3, errorCode="ExecutionExitNoneZero"),
    ]
    provider, session = make_provider(page(item))
    snapshot = provider.watch([{"invocationId": V1}], [], True).poll()
    assert [(r["status"], r["exit_code"], r["vendor_status_details"]) for r in snapshot.records] == [
        ("timed_out", None, "ExecutionTimeout"), ("undeliverable", None, "InstanceNotExists"), ("failed", 3, "ExecutionExitNoneZero"),
    ]
    assert snapshot.complete
    assert snapshot.vendor_aggregate[V1]["normalised"] == "partial_failed"
    assert len(session.sent) == 1


def test_poll_errors_reach_the_waiter():
    provider, session = make_provider(fail(401, "INVALID_AUTHORIZATION"))
    with pytest.raises(AccessDenied):
        provider.watch([{"invocationId": V1}], [], True).poll()
    assert len(session.sent) == 1


def test_watch_is_an_invocation_watch():
    provider, session = make_provider()
    assert isinstance(provider.watch([{"invocationId": V1}], [], True), InvocationWatch)
    assert session.sent == []


# -- the provider: reads -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "give invocation_id, command_id or instance_id"),
        ({"invocation_id": "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"}, "looks like an AWS SSM command id"),
        ({"command_id": "c-hz0jdfwcsr5c6d7"}, "looks like an Alibaba Cloud Assistant command id"),
        ({"instance_id": "i-0123456789abcdef0"}, "looks like an AWS instance id"),
        ({"instance_id": "bad id"}, "is not a Zenlayer ZOS id"),
        ({"instance_id": I1, "max_results": 0}, "max_results must be 1 or more, got 0"),
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


def test_read_by_invocation_id_reads_every_page_with_output():
    provider, session = make_provider(page(invocation(V1, "Success", instances=(I1, I2))))
    records, total, aggregate = provider.read({"invocation_id": V1, "max_results": 1})
    assert total == 2 and [record["instance_id"] for record in records] == [I1, I2]
    assert [record["stdout"] for record in records] == [f"out {I1}", f"out {I2}"]
    assert records[0]["raw"]["invocation"]["invocationId"] == V1
    assert "content" not in records[0]["raw"]["invocation"]
    assert aggregate == {V1: {"status": "Success", "normalised": "success", "command_name": "multicloud-invocations",
                              "command_type": "SHELL", "timeout": 30, "instance_count": 2}}
    assert session.sent[0].body == {"invocationIds": [V1], "pageSize": 100, "pageNum": 1}


def test_read_by_command_id_stops_at_max_results():
    provider, session = make_provider(page(*full_page(0), total=1000))
    records, total, aggregate = provider.read({"command_id": C1, "max_results": 7})
    assert total == 7 and len(aggregate) == 7
    assert session.sent[0].body["commandIds"] == [C1]
    assert len(session.sent) == 1


def test_read_by_command_id_defaults_to_50_invocations():
    provider, session = make_provider(page(*full_page(0), total=1000))
    records, total, aggregate = provider.read({"command_id": C1})
    assert total == 50 and len(aggregate) == 50 and len(records) == 50
    assert len(session.sent) == 1


def test_read_by_instance_id_keeps_only_that_instance():
    provider, session = make_provider(page(invocation(V1, "Success", instances=(I1, I2)), invocation(V2, "Success", instances=(I2, I3))))
    records, total, aggregate = provider.read({"instance_id": I2})
    assert total == 2
    assert [(record["invocation_id"], record["instance_id"]) for record in records] == [(V1, I2), (V2, I2)]
    assert sorted(aggregate) == [V1, V2]
    assert session.sent[0].body["instanceIds"] == [I2]


def test_read_without_output():
    provider, session = make_provider(page(invocation(V1, "Success")))
    records, total, aggregate = provider.read({"invocation_id": V1, "include_output": False})
    assert records[0]["stdout"] is None and records[0]["stderr"] is None
    assert "output" not in records[0]["raw"] and "outputError" not in records[0]["raw"]
    assert total == 1 and len(session.sent) == 1 and V1 in aggregate


def test_read_of_an_instance_with_nothing_is_empty():
    provider, session = make_provider(page())
    assert provider.read({"instance_id": I1}) == ([], 0, {})
    assert len(session.sent) == 1


@pytest.mark.parametrize("method", ["read", "read_raw"])
def test_read_of_a_named_invocation_that_does_not_exist_fails(method):
    # Found by the invocation_bad_input corpus: a mistyped id read as an empty success.
    provider, session = make_provider(page())
    with pytest.raises(NotFound, match=f"invocation {V1} does not exist"):
        getattr(provider, method)({"invocation_id": V1})
    assert len(session.sent) == 1


def test_read_raw_returns_the_vendor_invocations():
    item = invocation(V1, "Success")
    provider, session = make_provider(page(item))
    assert provider.read_raw({"invocation_id": V1}) == {"dataSet": [item]}
    assert len(session.sent) == 1


def test_read_raw_by_instance_stops_at_max_results():
    provider, session = make_provider(page(*full_page(0), total=300))
    assert len(provider.read_raw({"instance_id": I1, "max_results": 3})["dataSet"]) == 3
    assert session.sent[0].body["instanceIds"] == [I1]


# -- the provider: waits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "invocation_ids is empty"),
        ({"invocation_ids": []}, "invocation_ids is empty"),
        ({"invocation_ids": ["t-hz0jdfwd9f1a2b3"]}, "looks like an Alibaba Cloud Assistant invoke id"),
        ({"invocation_ids": [V1], "instance_ids": ["i-0123456789abcdef0"]}, "looks like an AWS instance id"),
    ],
)
def test_wait_targets_refuses_before_any_call(params, message):
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match=message):
        provider.wait_targets(params)
    assert session.sent == []


def test_wait_targets_describes_every_id_once_in_one_call():
    provider, session = make_provider(page(invocation(V2), invocation(V1)))
    targets = provider.wait_targets({"invocation_ids": [V1, V2, V1]})
    assert [target["invocationId"] for target in targets] == [V1, V2]
    assert session.sent[0].body["invocationIds"] == [V1, V2]
    assert len(session.sent) == 1


def test_wait_targets_unknown_invocation_id_is_a_final_not_found():
    provider, session = make_provider(page(invocation(V1)))
    with pytest.raises(NotFound, match=f"invocation {V2} does not exist") as caught:
        provider.wait_targets({"invocation_ids": [V1, V2]})
    assert not caught.value.retryable
    assert len(session.sent) == 1


def test_default_timeout_is_the_largest_budget():
    fresh = {"timeout": 60, "createTime": zos_now()}
    old = {"timeout": 10, "createTime": zos_now(3600)}
    # timeout + 30 s delivery + 30 s margin, counted from createTime, never below the margin.
    assert 115 <= ZenlayerZosProvider.default_timeout([old, fresh]) <= 120
    assert ZenlayerZosProvider.default_timeout([old]) == 30.0
    assert ZenlayerZosProvider.default_timeout([{}]) == 90.0


# -- the provider: starts ------------------------------------------------------------------------


def run_params(**overrides):
    params = {"commands": ["echo one", "echo two"], "instance_ids": [I1, I2], "execution_timeout": 20}
    params.update(overrides)
    return params


@pytest.mark.parametrize(
    "command_type, zos_type",
    [(None, "SHELL"), ("RunShellScript", "SHELL"), ("RunPowerShellScript", "POWERSHELL"), ("RunBatScript", "BAT")],
)
def test_start_request_creates_then_invokes(command_type, zos_type):
    provider, session = make_provider()
    request = provider.start_request(run_params(command_type=command_type))
    assert request == {
        "CreateCommand": {"name": "multicloud-invocations", "content": "echo one\necho two", "type": zos_type},
        "InvokeCommand": {"commandId": None, "instanceIds": [I1, I2], "timeout": 20},
    }
    assert session.sent == []


def test_start_request_runs_a_saved_command_with_invoke_command_only():
    provider, session = make_provider()
    request = provider.start_request({"saved_command_id": C1, "instance_ids": [I1]})
    assert request == {"CreateCommand": None, "InvokeCommand": {"commandId": C1, "instanceIds": [I1], "timeout": 30}}
    assert session.sent == []


@pytest.mark.parametrize(
    "params, message",
    [
        (run_params(execution_timeout=61), "execution_timeout must be a whole number of seconds from 1 to 60"),
        (run_params(instance_ids=[f"ins-{number}" for number in range(201)]), "at most 200 instance_ids"),
        (run_params(instance_ids=[]), "InvokeCommand needs instance_ids"),
        (run_params(command_type="RunPerlScript"), "command_type must be one of SHELL, POWERSHELL, BAT"),
        (run_params(saved_command_id=C1), "commands cannot be set with saved_command_id"),
        ({"saved_command_id": C1, "instance_ids": [I1], "command_type": "RunShellScript"}, "command_type cannot be set with saved_command_id"),
    ],
)
def test_start_request_refuses_before_any_call(params, message):
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match=message):
        provider.start_request(params)
    assert session.sent == []


def test_start_creates_the_command_then_invokes_it():
    provider, session = make_provider(("CreateCommand", ok({"commandId": C1})), ("InvokeCommand", ok({"invocationId": V1})))
    request = provider.start_request(run_params())
    handle = provider.start(request)
    assert session.sent[0].body == {"name": "multicloud-invocations", "content": "echo one\necho two", "type": "SHELL"}
    assert session.sent[1].body == {"commandId": C1, "instanceIds": [I1, I2], "timeout": 20}
    assert request["InvokeCommand"]["commandId"] is None
    assert handle["invocationId"] == V1 and handle["commandId"] == C1
    assert (handle["timeout"], handle["instanceIds"], handle["invocationStatus"]) == (20, [I1, I2], "Pending")
    assert handle["invocationInstances"] == []
    assert handle["createTime"].endswith("Z")
    assert provider.api_calls == 2


def test_start_of_a_saved_command_only_invokes():
    provider, session = make_provider(("InvokeCommand", ok({"invocationId": V1})))
    handle = provider.start(provider.start_request({"saved_command_id": C1, "instance_ids": [I1]}))
    assert session.actions == ["InvokeCommand"]
    assert (handle["invocationId"], handle["commandId"], handle["instanceIds"]) == (V1, C1, [I1])


def test_start_stops_when_create_command_fails():
    provider, session = make_provider(("CreateCommand", fail(400, "INVALID_PARAMETER")))
    with pytest.raises(InvalidInput):
        provider.start(provider.start_request(run_params()))
    assert session.actions == ["CreateCommand"]


def test_started_gives_pending_records():
    started = ZenlayerZosProvider.started({"invocationId": V1, "commandId": C1, "instanceIds": [I1, I2], "createTime": "2026-01-01 00:00:05"})
    assert (started["invocation_id"], started["command_id"], started["expected"]) == (V1, C1, 2)
    assert started["command"]["invocationId"] == V1
    assert [record["instance_id"] for record in started["invocations"]] == [I1, I2]
    assert {record["status"] for record in started["invocations"]} == {"pending"}
    assert {record["vendor_status"] for record in started["invocations"]} == {"Pending"}
    assert {record["requested_at"] for record in started["invocations"]} == {"2026-01-01T00:00:05.000Z"}
    assert not any(record["terminal"] for record in started["invocations"])


def test_cancel_is_refused():
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match="ZOS has no call to stop an invocation"):
        provider.cancel([invocation(V1)])
    assert session.sent == []


def test_api_calls_and_the_lazy_client(monkeypatch):
    provider = ZenlayerZosProvider(client_options())
    assert provider.api_calls == 0
    assert provider.name == "zenlayer_zos"
    client = provider.client()
    assert isinstance(client, ZenlayerClient) and provider.client() is client
    client.session = FakeSession(ok())
    client.call("DescribeCommandInvocations", {})
    assert provider.api_calls == 1


def test_a_vendor_message_ending_in_a_full_stop_gets_one_full_stop():
    error = classify_error(401, {"code": "INVALID_SIGNATURE", "message": "Signature verification failed.", "requestId": "T-1"}, {}, "InvokeCommand")
    assert error.message == "ZOS InvokeCommand failed: Signature verification failed. Check access_key / secret_key (access_key_password) or token"
    assert ".." not in error.describe()


# -- a round builds only what changed ------------------------------------------------------------


@pytest.fixture
def builds(monkeypatch):
    """Counts the records built (every ZOS record is made by make_record in the records module)."""
    made = []
    real = zenlayer_zos_records.make_record

    def counting(*args, **kwargs):
        made.append(kwargs.get("instance_id"))
        return real(*args, **kwargs)

    monkeypatch.setattr(zenlayer_zos_records, "make_record", counting)
    return made


def scripted_rounds(invocation_ids, per_invocation, changes):
    """The DescribeCommandInvocations items of each round of a fleet that starts Running, then has
    ``changes[n]`` instances end (Success, every seventh Failed) before round n + 2, in one fixed
    order across the invocations; an invocation whose instances have all ended reads Success."""
    started = zos_now(3)
    rows = {
        invocation_id: [instance(f"ins-{number:02d}{index:04d}", "Running", execStartTime=started, exitCode=None, execEndTime="")
                        for index in range(per_invocation)]
        for number, invocation_id in enumerate(invocation_ids)
    }
    order = [(invocation_id, index) for index in range(per_invocation) for invocation_id in invocation_ids]
    created = zos_now(5)

    def items():
        return [
            dict(invocation(invocation_id, "Running" if any(row["taskStatus"] == "Running" for row in rows[invocation_id]) else "Success",
                            instances=(), createTime=created),
                 invocationInstances=[dict(row) for row in rows[invocation_id]])
            for invocation_id in invocation_ids
        ]

    rounds = [items()]
    for count in changes:
        for position, (invocation_id, index) in enumerate(order[:count]):
            status = "Failed" if position % 7 == 6 else "Success"
            rows[invocation_id][index].update(taskStatus=status, exitCode=0 if status == "Success" else 1, output=f"done {index}",
                                              execEndTime=zos_now(1))
        del order[:count]
        rounds.append(items())
    return rounds


def test_a_round_builds_only_the_records_whose_rows_changed(builds):
    # 3 invocations of 40 instances; after the first round, 6 instances end per round.
    ids = ["inv-a0000001", "inv-a0000002", "inv-a0000003"]
    rounds = scripted_rounds(ids, 40, [6] * 5)
    provider, _session = make_provider(*(page(*items) for items in rounds))
    watch = provider.watch([{"invocationId": invocation_id} for invocation_id in ids], [], True)
    built = []
    for items in rounds:
        before = len(builds)
        snapshot = watch.poll()
        built.append(len(builds) - before)
        # The same records as building every record afresh from the same answer.
        assert snapshot.records == [record for item in items for record in zenlayer_zos_records.invocation_records(item, True)]
    assert built == [120, 6, 6, 6, 6, 6]
    assert snapshot.summary()["terminal"] == 30 and not snapshot.complete


def test_an_invocation_whose_own_fields_change_updates_its_records_without_building_them(builds):
    # Round 2: one instance of invocation 1 ends (one record built); invocation 2's last open
    # instance ends (one built) and its status reads Success, which each of its records carries in
    # raw.invocation: the record of its unchanged instance is brought up to date, not built again.
    ids = ["inv-a0000001", "inv-a0000002"]
    rounds = scripted_rounds(ids, 2, [1])
    for items in rounds:
        items[1]["invocationInstances"][1].update(taskStatus="Success", exitCode=0, execEndTime=zos_now(1))
    rounds[1][1]["invocationInstances"][0].update(taskStatus="Success", exitCode=0, execEndTime=zos_now(1))
    rounds[1][1].update(invocationStatus="Success", commandName="renamed")
    provider, session = make_provider(*(page(*items) for items in rounds))
    watch = provider.watch([{"invocationId": invocation_id} for invocation_id in ids], [], False)
    first = watch.poll()
    assert len(builds) == 4
    second = watch.poll()
    assert len(builds) == 4 + 1 + 1
    assert [record["status"] for record in first.records] == ["running", "running", "running", "success"]
    assert [record["raw"]["invocation"]["invocationStatus"] for record in second.records] == ["Running", "Running", "Success", "Success"]
    # The same records as building them afresh from the same answer.
    assert second.records == [record for item in rounds[1] for record in zenlayer_zos_records.invocation_records(item, False)]
    assert second.complete is False and len(session.sent) == 2


def test_an_unchanged_round_builds_nothing_and_gives_the_same_records(builds):
    rounds = scripted_rounds([V1], 5, [0, 0])
    provider, _session = make_provider(*(page(*items) for items in rounds))
    watch = provider.watch([{"invocationId": V1}], [], True)
    first = watch.poll()
    second = watch.poll()
    third = watch.poll()
    assert len(builds) == 5
    assert second.records == first.records and all(a is b for a, b in zip(first.records, third.records))


def test_a_wait_on_chosen_instances_builds_only_theirs(builds):
    rounds = scripted_rounds([V1], 30, [30])
    chosen = [rounds[0][0]["invocationInstances"][n]["instanceId"] for n in (3, 17)]
    provider, _session = make_provider(*(page(*items) for items in rounds))
    watch = provider.watch([{"invocationId": V1}], chosen, True)
    assert [record["instance_id"] for record in watch.poll().records] == chosen
    assert builds == chosen
    final = watch.poll()
    assert final.complete and builds == chosen * 2


# -- a round reads which invocations ended, not every instance -------------------------------------


class FleetSession(FakeSession):
    """DescribeCommandInvocations over a scripted fleet, honouring the invocationIds and
    invocationStatuses filters as ZOS documents them; ``items`` is the fleet's state now."""

    def __init__(self, items):
        super().__init__()
        self.items = items

    def post(self, url, data=None, headers=None, timeout=None, verify=None, stream=False):
        sent = Sent(url, data, dict(headers or {}), timeout, verify)
        self.sent.append(sent)
        assert sent.action == "DescribeCommandInvocations"
        wanted, statuses = set(sent.body.get("invocationIds") or ()), set(sent.body.get("invocationStatuses") or ())
        chosen = [item for item in self.items if (not wanted or item["invocationId"] in wanted)
                  and (not statuses or item["invocationStatus"] in statuses)]
        return page(*chosen)


def fleet_watch(rounds, follow_failures=False):
    """A watch over the invocations of ``rounds[0]``, their ids checked first (as the module does),
    and the session whose fleet the test moves on from round to round."""
    session = FleetSession(rounds[0])
    client = make_client()
    client.session = session
    provider = ZenlayerZosProvider(client_options(), client=client)
    ids = [item["invocationId"] for item in rounds[0]]
    targets = provider.wait_targets({"invocation_ids": ids})
    watch = provider.watch(targets, [], False)
    watch.follow_failures = follow_failures
    return watch, session


def test_a_round_asks_one_question_and_reads_each_ended_invocation_once(builds):
    # 3 invocations of 40 instances, 40 instances ending a round in a fixed order across them:
    # each invocation ends in round 4 (the order is spread), so rounds 1-3 read no instance at all.
    ids = ["inv-a0000001", "inv-a0000002", "inv-a0000003"]
    rounds = scripted_rounds(ids, 40, [40, 40, 40])
    watch, session = fleet_watch(rounds)
    assert len(session.sent) == 1  # the check of the ids
    snapshots = []
    for items in rounds:
        session.items = items
        snapshots.append(watch.poll())
    # The first round takes the check that came right before it; every later round is one call.
    assert len(session.sent) == 1 + 3
    assert all(sent.body["invocationStatuses"] == ["Success", "Failed", "PartialFailed"] for sent in session.sent[1:])
    assert all(sorted(sent.body["invocationIds"]) == ids for sent in session.sent[1:])
    # No record is built while the invocations are open; each is built once, when it ended.
    assert len(builds) == 120
    first, last = snapshots[0], snapshots[-1]
    assert first.records == [] and first.unread == {"running": 120} and first.expected == 120 and first.progress_hidden
    assert first.summary()["counts"]["running"] == 120 and not first.complete
    assert [snapshot.records for snapshot in snapshots[1:3]] == [[], []]
    assert last.complete and last.unread == {} and not last.progress_hidden
    # The same records as building them from a full read of the last answer.
    assert last.records == [record for item in rounds[-1] for record in zenlayer_zos_records.invocation_records(item, False)]
    assert sorted(last.vendor_aggregate) == ids


def test_invocations_that_end_one_after_another_are_settled_as_they_end():
    items = [invocation(V1, "Running", instances=(I1,)), invocation(V2, "Running", instances=(I2, I3))]
    watch, session = fleet_watch([items])
    session.items = [invocation(V1, "Success", instances=(I1,)), invocation(V2, "Running", instances=(I2, I3))]
    first = watch.poll()
    # Read a moment ago: nothing asked; V1 was still running then.
    assert len(session.sent) == 1 and first.unread == {"running": 3}
    second = watch.poll()
    assert [record["instance_id"] for record in second.records] == [I1] and second.unread == {"running": 2}
    assert second.expected == 3 and not second.complete
    session.items = [invocation(V2, "PartialFailed", instances=(I2, I3), instance_status="Failed")]
    third = watch.poll()
    assert third.complete and [record["instance_id"] for record in third.records] == [I1, I2, I3]
    assert session.sent[-1].body["invocationIds"] == [V2]
    watch.poll()
    assert len(session.sent) == 1 + 2


def test_an_open_invocation_still_wakes_the_wait_when_a_timeout_falls_due():
    # Started 3 s ago with a 30 s timeout: the aggregate round still looks just after it falls due.
    watch, session = fleet_watch([[invocation(V1, "Running", instances=(I1, I2))]])
    first = watch.poll()
    second = watch.poll()
    assert first.records == second.records == []
    assert 20 < second.wake_in <= 31 and 20 < first.wake_in <= 31
    assert len(session.sent) == 1 + 1


def test_fail_fast_reads_every_open_instance_each_round_and_sees_a_failure_at_once():
    ids = ["inv-a0000001", "inv-a0000002"]
    rounds = scripted_rounds(ids, 7, [7])
    watch, session = fleet_watch(rounds, follow_failures=True)
    for items in rounds:
        session.items = items
        snapshot = watch.poll()
    # Every round reads the open invocations whole (no status filter), so the failed instance
    # (the seventh to end) is a record in the round it failed in.
    assert len(session.sent) == 1 + 2 and all("invocationStatuses" not in sent.body for sent in session.sent)
    assert [record["status"] for record in snapshot.records].count("failed") == 1
    assert snapshot.unread == {} and not snapshot.progress_hidden


def test_read_all_reads_the_open_invocations_whole():
    watch, session = fleet_watch([[invocation(V1, "Running", instances=(I1, I2))]])
    watch.poll()
    everything = watch.read_all()
    assert [record["status"] for record in everything.records] == ["running", "running"] and everything.unread == {}
    assert "invocationStatuses" not in session.sent[-1].body and len(session.sent) == 2


def test_a_wait_resumed_from_a_checkpoint_asks_which_ended_without_rebuilding_the_open_ones(builds):
    # A resumed slice gets the handles from its checkpoint (read in an earlier process): its first
    # round asks the aggregate, and builds no record of an invocation that is still open.
    handles = [invocation(V1, "Running", instances=(I1, I2)), invocation(V2, "Running", instances=(I3,))]
    provider, session = make_provider(page(invocation(V2, "Success", instances=(I3,))))
    watch = provider.watch(handles, [], True)
    snapshot = watch.poll()
    assert session.sent[0].body["invocationStatuses"] == ["Success", "Failed", "PartialFailed"]
    assert builds == [I3] and snapshot.unread == {"running": 2} and len(session.sent) == 1


def test_describe_invocations_refuses_a_status_zos_does_not_know():
    with pytest.raises(InvalidInput, match="'Done' is not one ZOS knows: use one of Pending, Running, Success"):
        zenlayer_zos.build_describe_invocations(invocation_ids=[V1], invocation_statuses=["Done"])
