# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fetch_complete_output on alibaba_ecs: which records are read from OSS, and how a failure becomes a warning."""

from __future__ import annotations

import base64
import datetime
import types
import urllib.parse

import pytest
import requests

from ansible_collections.multicloud.invocations.plugins.module_utils import _signing_oss4
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import AlibabaClient
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_output import fetch_complete_output
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_records import result_record
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_requests import build_run_command, oss_delivery
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_oss
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_oss import MAX_OBJECT_BYTES, OssReader, object_location

URI = "oss://fleet-output/runs/t-hz0abc/i-bp1"
SECRET = "oss-test-secret-value"
TOKEN = "oss-test-security-token"


def result(status="Success", dropped=6000, uri=URI, delivery="Finished", output="tail", **extra):
    item = {
        "InvokeId": "t-hz0abc", "CommandId": "c-hz0abc", "InstanceId": "i-bp1", "InvocationStatus": status, "ExitCode": 0,
        "ErrorCode": "", "ErrorInfo": "", "Output": base64.b64encode(output.encode()).decode(), "Dropped": dropped,
        "StartTime": "2026-01-01T00:00:00Z", "FinishedTime": "2026-01-01T00:00:05Z" if status != "Running" else "",
        "OssOutputUri": uri, "OssOutputStatus": delivery, "OssOutputErrorCode": "", "OssOutputErrorInfo": "",
    }
    item.update(extra)
    return result_record(item, True, "Base64")


class Objects:
    """get_object over a dict; counts the reads."""

    def __init__(self, objects=None, error=None):
        self.objects = objects or {}
        self.error = error
        self.reads = []

    def __call__(self, bucket, key):
        self.reads.append((bucket, key))
        if self.error is not None:
            raise self.error
        return self.objects[(bucket, key)]


@pytest.mark.parametrize("uri, expected", [
    ("oss://fleet-output/runs/t-1/i-2", ("fleet-output", "runs/t-1/i-2")),
    ("https://fleet-output.oss-cn-hangzhou.aliyuncs.com/runs/t-1/i%202", ("fleet-output", "runs/t-1/i 2")),
    ("oss://fleet-output/", None),
    ("s3://fleet-output/k", None),
    ("", None),
])
def test_the_object_an_oss_output_uri_names(uri, expected):
    assert object_location(uri) == expected


def test_a_cut_output_of_an_ended_run_is_replaced_by_the_complete_copy():
    record = result()
    assert record["stdout_truncated"] and record["stdout_url"] == URI
    objects = Objects({("fleet-output", "runs/t-hz0abc/i-bp1"): "all " * 10000})
    fetch_complete_output([record], objects)
    assert record["stdout"] == "all " * 10000
    assert record["stdout_truncated"] is False
    assert record["output_warnings"] == []


def test_output_that_was_not_cut_and_runs_still_open_cost_no_read():
    whole, running = result(dropped=0), result(status="Running", delivery="InProgress")
    objects = Objects()
    fetch_complete_output([whole, running], objects)
    assert objects.reads == []
    assert whole["output_warnings"] == [] and running["output_warnings"] == []


def test_failed_in_progress_and_missing_deliveries_are_warnings_with_the_vendors_code():
    failed = result(uri="", delivery="Failed", OssOutputErrorCode="NoSuchBucket", OssOutputErrorInfo="The specified bucket does not exist.")
    pending = result(uri="", delivery="InProgress")
    never = result(uri="", delivery="")
    objects = Objects()
    fetch_complete_output([failed, pending, never], objects)
    assert objects.reads == []
    assert [record["output_warnings"][0]["code"] for record in (failed, pending, never)] == ["NoSuchBucket", "DeliveryInProgress", "NotDelivered"]
    assert "bucket does not exist" in failed["output_warnings"][0]["message"]
    assert "output_oss_uri" in never["output_warnings"][0]["message"]
    assert all(record["stdout"] == "tail" and record["stdout_truncated"] for record in (failed, pending, never))


def test_a_read_that_fails_keeps_what_cloud_assistant_returned():
    record = result()
    fetch_complete_output([record], Objects(error=InvocationError("NoSuchKey: gone", code="NoSuchKey", request_id="req-1", http_status=404)))
    assert record["stdout"] == "tail" and record["stdout_truncated"]
    warning = record["output_warnings"][0]
    assert (warning["code"], warning["request_id"], warning["stream"]) == ("NoSuchKey", "req-1", "stdout")
    assert "oss://fleet-output/runs/t-hz0abc/i-bp1" in warning["message"]


# -- the reader ------------------------------------------------------------------------------------


class Answer:
    def __init__(self, status_code, text, headers=None):
        self.status_code = status_code
        self.content = text.encode()
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})


class Session:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def get(self, url, headers=None, timeout=None, verify=None, stream=False, allow_redirects=True):
        assert stream and not allow_redirects
        self.sent.append((url, dict(headers or {}), verify))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def reader(*answers, endpoint=None, **options):
    client = AlibabaClient(dict({"access_key": "AKID", "secret_key": SECRET, "region": "cn-hangzhou"}, **options))
    client.session = Session(*answers)
    return OssReader(client, endpoint, False), client


def test_the_reader_signs_a_virtual_hosted_get_and_counts_it(monkeypatch):
    oss, client = reader(Answer(200, "complete"), session_token=TOKEN)
    assert oss.get_object("fleet-output", "runs/a b") == "complete"
    url, headers, verify = client.session.sent[0]
    assert url == "https://fleet-output.oss-cn-hangzhou.aliyuncs.com/runs/a%20b"
    assert headers["authorization"].startswith("OSS4-HMAC-SHA256 Credential=AKID/") and "/cn-hangzhou/oss/aliyun_v4_request," in headers["authorization"]
    assert headers["x-oss-security-token"] == TOKEN and verify is True
    assert client.api_calls == 1
    # The signature is the one our signer gives for these inputs at the time sent.
    moment = datetime.datetime.strptime(headers["x-oss-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    expected = _signing_oss4.oss4_headers("GET", "fleet-output", "runs/a b", "cn-hangzhou", "AKID", SECRET, moment, security_token=TOKEN)
    assert headers["authorization"] == expected["authorization"]


def test_the_reader_goes_path_style_under_an_endpoint():
    oss, client = reader(Answer(200, "x"), endpoint="http://127.0.0.1:8080/")
    oss.get_object("b-1", "k/1")
    assert urllib.parse.urlsplit(client.session.sent[0][0]).path == "/b-1/k/1"


def test_an_oss_error_keeps_its_code_and_request_id_and_no_secret():
    body = "<?xml version='1.0'?><Error><Code>AccessDenied</Code><Message>You have no right to access this object.</Message>" \
           "<RequestId>5C3D9175B6FC201293AD****</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId></Error>"
    oss, _client = reader(Answer(403, body), session_token=TOKEN)
    with pytest.raises(InvocationError) as refused:
        oss.get_object("b", "k")
    assert (refused.value.code, refused.value.request_id, refused.value.http_status) == ("AccessDenied", "5C3D9175B6FC201293AD****", 403)
    assert SECRET not in str(refused.value) and TOKEN not in str(refused.value)


def test_an_object_larger_than_the_cap_is_not_read(monkeypatch):
    big = Answer(200, "", {"Content-Length": str(MAX_OBJECT_BYTES + 1), "x-oss-request-id": "req-big"})
    big.closed = False
    big.close = lambda: setattr(big, "closed", True)
    monkeypatch.setattr(alibaba_oss, "_read_by", lambda *_args, **_kwargs: pytest.fail("the body of a too large object was read"))
    oss, _client = reader(big)
    with pytest.raises(InvocationError) as larger:
        oss.get_object("b", "k")
    assert (larger.value.code, larger.value.request_id) == ("ObjectTooLarge", "req-big")
    assert f"oss://b/k holds {MAX_OBJECT_BYTES + 1:,} bytes" in larger.value.message and big.closed
    record = result()
    fetch_complete_output([record], Objects(error=larger.value))
    assert record["output_warnings"][0]["code"] == "ObjectTooLarge" and record["stdout"] == "tail" and record["stdout_truncated"]


def test_a_body_without_a_length_is_cut_off_at_the_cap(monkeypatch):
    monkeypatch.setattr(alibaba_oss, "MAX_OBJECT_BYTES", 10)
    endless = Answer(200, "", {"x-oss-request-id": "req-chunked"})
    endless.closed = False
    endless.close = lambda: setattr(endless, "closed", True)
    endless.raw = types.SimpleNamespace(_fp=types.SimpleNamespace(read1=lambda _size: b"0123"))  # never ends
    oss, _client = reader(endless)
    with pytest.raises(InvocationError) as larger:
        oss.get_object("b", "k")
    assert (larger.value.code, larger.value.request_id) == ("ObjectTooLarge", "req-chunked") and endless.closed
    assert "no Content-Length" in larger.value.message


def test_an_unreachable_endpoint_is_a_provider_error_without_secrets():
    oss, _client = reader(requests.exceptions.ConnectionError("refused"))
    with pytest.raises(InvocationError) as failed:
        oss.get_object("b", "k")
    assert "cannot reach the OSS endpoint" in str(failed.value)


def test_plain_http_to_a_remote_oss_endpoint_is_refused():
    with pytest.raises(InvalidInput, match="oss_endpoint_url"):
        reader(endpoint="http://oss.example.com")


# -- the start ---------------------------------------------------------------------------------------


def test_output_oss_uri_becomes_oss_output_delivery():
    params = build_run_command({"commands": ["id"], "instance_ids": ["i-bp1abcdefghijklmnopq"], "region": "cn-hangzhou",
                                "output_oss_uri": "oss://fleet-output/runs"})
    assert params["OssOutputDelivery"] == "oss://fleet-output/runs"
    assert oss_delivery(None) is None


@pytest.mark.parametrize("uri", ["s3://bucket/prefix", "oss://Upper/x", "oss://ab/x", "fleet-output/runs", "oss:///runs"])
def test_a_bad_output_oss_uri_says_what_to_write(uri):
    with pytest.raises(InvalidInput, match="oss://<bucket>/<prefix>"):
        oss_delivery(uri)
