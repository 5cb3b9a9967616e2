# Alibaba request signing: Alibaba Cloud's signature test vectors, and every authentication failure on the wire.
from __future__ import annotations

import uuid

from acs_client import call, ok
from conftest import control

from fleetsim import acs_sign

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HEADERS_A = {"host": "ecs.cn-hangzhou.aliyuncs.com", "x-acs-action": "DescribeInvocations", "x-acs-version": "2014-05-26",
             "x-acs-date": "2026-01-01T00:00:00Z", "x-acs-signature-nonce": "3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c",
             "x-acs-content-sha256": EMPTY}
SIGNED_A = sorted(HEADERS_A)


def test_vector_a_acs3():
    query = [("ContentEncoding", "PlainText"), ("IncludeOutput", "true"), ("InvokeId", "t-hz0jdfwd9f****"),
             ("MaxResults", "50"), ("RegionId", "cn-hangzhou")]
    canonical = acs_sign.acs3_canonical_request("POST", "/", query, HEADERS_A, SIGNED_A, EMPTY)
    assert canonical.splitlines()[2] == ("ContentEncoding=PlainText&IncludeOutput=true&InvokeId=t-hz0jdfwd9f%2A%2A%2A%2A"
                                         "&MaxResults=50&RegionId=cn-hangzhou")
    assert acs_sign.acs3_signature("testsecret", canonical) == "7f34fbdc1dbccd4e3347ab0e5a831fcae9e21e56e4381bd6f464774754f51da2"


def test_vector_c_acs3_encoding_edge_cases():
    query = acs_sign.parse_query("CommandContent=echo+%27a+b%27%2Bc%2Fd~e%3Df%26g*h+%E4%B8%AD&ContentEncoding=PlainText"
                                 "&InstanceId.1=i-aaa&InstanceId.2=i-bbb&RegionId=cn-hangzhou&Type=RunShellScript")
    headers = dict(HEADERS_A, **{"x-acs-action": "RunCommand"})
    canonical = acs_sign.acs3_canonical_request("POST", "/", query, headers, SIGNED_A, EMPTY)
    assert canonical.splitlines()[2] == ("CommandContent=echo%20%27a%20b%27%2Bc%2Fd~e%3Df%26g%2Ah%20%E4%B8%AD&ContentEncoding=PlainText"
                                         "&InstanceId.1=i-aaa&InstanceId.2=i-bbb&RegionId=cn-hangzhou&Type=RunShellScript")
    assert acs_sign.acs3_signature("testsecret", canonical) == "b44f1b15e23a3eee02dc3331839c2dbc0b3eab6f806c5774905bbc8a43198306"


def test_vector_d_rpc_v1():
    params = [("AccessKeyId", "testid"), ("Action", "DescribeInvocations"), ("Format", "JSON"), ("IncludeOutput", "true"),
              ("InvokeId", "t-hz0jdfwd9f****"), ("RegionId", "cn-hangzhou"), ("SignatureMethod", "HMAC-SHA1"),
              ("SignatureNonce", "3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c"), ("SignatureVersion", "1.0"),
              ("Timestamp", "2026-01-01T00:00:00Z"), ("Version", "2014-05-26")]
    assert acs_sign.rpc_string_to_sign("GET", params).startswith("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeInvocations")
    assert acs_sign.rpc_signature("testsecret", "GET", params) == "TuclLEQDMgheb3Ek4npyTcCxoFM="


def test_authentication_failures(app):
    cases = [
        ({"secret": "wrong"}, 400, "IncompleteSignature"),
        ({"secret": "wrong", "style": "rpc"}, 400, "SignatureDoesNotMatch"),
        ({"access_key": "LTAInotakey"}, 404, "InvalidAccessKeyId.NotFound"),
        ({"access_key": "LTAInotakey", "style": "rpc"}, 404, "InvalidAccessKeyId.NotFound"),
        ({"date": "2020-01-01T00:00:00Z"}, 400, "InvalidTimeStamp.Expired"),
        ({"date": "2020-01-01T00:00:00Z", "style": "rpc"}, 400, "InvalidTimeStamp.Expired"),
        ({"date": "yesterday"}, 400, "InvalidTimeStamp.Format"),
    ]
    for kwargs, want_status, want_code in cases:
        status, body, _headers = call(app.url, "DescribeInvocations", {}, **kwargs)
        assert (status, body["Code"]) == (want_status, want_code), kwargs
        assert body["RequestId"] and body["Recommend"].startswith("https://api.aliyun.com/troubleshoot?q=")
    for style in ("acs3", "rpc"):
        nonce = uuid.uuid4().hex
        ok(app.url, "DescribeInvocations", {}, style=style, nonce=nonce)
        status, body, _headers = call(app.url, "DescribeInvocations", {}, style=style, nonce=nonce)
        assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    assert control(app.url, "stats")["signature_failures"] == len(cases) + 2


def test_unsigned_acs_header_security_token_and_get(app):
    status, body, _headers = call(app.url, "DescribeInvocations", {}, unsigned_headers={"x-acs-extra": "1"})
    assert (status, body["Code"]) == (400, "IncompleteSignature") and "x-acs-extra" in body["Message"]
    # a signed x-acs-security-token is accepted (fleetsim does not check STS tokens)
    ok(app.url, "DescribeInvocations", {}, extra_headers={"x-acs-security-token": "sts-token"})
    ok(app.url, "DescribeInvocations", {"SecurityToken": "sts-token"}, style="rpc")
    status, body, _headers = call(app.url, "DescribeInvocations", {}, method="GET")
    assert status == 200, body
    status, body, _headers = call(app.url, "DescribeInvocations", {}, style="rpc", method="GET")
    assert status == 200, body


def test_path_prefix_and_throttling(app):
    ok(app.url, "DescribeInvocations", {}, path="/alibaba/")
    ok(app.url, "DescribeInvocations", {}, path="/alibaba/", style="rpc")
    control(app.url, "config", {"rate_limit": 1})
    codes = [call(app.url, "DescribeInvocations", {})[:2] for _attempt in range(3)]
    throttled = [(status, body["Code"]) for status, body in codes if status != 200]
    assert throttled and set(throttled) == {(400, "Throttling.User")}
    control(app.url, "config", {"rate_limit": 0})
    stats = control(app.url, "stats")
    assert stats["throttled"] == len(throttled) and stats["requests"]["alibaba_ecs"]["DescribeInvocations"] == 5
