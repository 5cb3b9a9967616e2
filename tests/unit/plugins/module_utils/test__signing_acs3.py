# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alibaba request signing: every vector of Alibaba Cloud's signature documentation, the encoding edge cases,
and extra vectors produced with the official SDK signer."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _signing_acs3 as acs3

AK = "testid"
SECRET = "testsecret"
DATE = "2026-01-01T00:00:00Z"
NONCE = "3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c"
HOST = "ecs.cn-hangzhou.aliyuncs.com"
VERSION = "2014-05-26"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MINIMAL_SIGNED = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"


def signing_headers(action: str) -> dict:
    return {
        "host": HOST,
        "x-acs-action": action,
        "x-acs-version": VERSION,
        "x-acs-date": DATE,
        "x-acs-signature-nonce": NONCE,
        "x-acs-content-sha256": EMPTY_SHA256,
    }


def sign(query, action, extra=None, token=None, sign_all=False, body=b""):
    return acs3.acs3_headers("POST", HOST, "/", query, extra, body, AK, SECRET, action, VERSION, DATE, NONCE, security_token=token, sign_all=sign_all)


# -- Alibaba Cloud's signature documentation, Vector A ----------------------------------------------------------------

VECTOR_A_QUERY = {
    "ContentEncoding": "PlainText",
    "IncludeOutput": "true",
    "InvokeId": "t-hz0jdfwd9f****",
    "MaxResults": "50",
    "RegionId": "cn-hangzhou",
}
VECTOR_A_CANONICAL = (
    "POST\n"
    "/\n"
    "ContentEncoding=PlainText&IncludeOutput=true&InvokeId=t-hz0jdfwd9f%2A%2A%2A%2A&MaxResults=50&RegionId=cn-hangzhou\n"
    "host:ecs.cn-hangzhou.aliyuncs.com\n"
    "x-acs-action:DescribeInvocations\n"
    "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-acs-date:2026-01-01T00:00:00Z\n"
    "x-acs-signature-nonce:3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c\n"
    "x-acs-version:2014-05-26\n"
    "\n"
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)
VECTOR_A_STRING_TO_SIGN = "ACS3-HMAC-SHA256\nea0c7d43342440ddbc90c19b21482bdb2341fe79cb94f3adef8d0f10a1616b35"
VECTOR_A_SIGNATURE = "7f34fbdc1dbccd4e3347ab0e5a831fcae9e21e56e4381bd6f464774754f51da2"
VECTOR_A_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;"
    "x-acs-signature-nonce;x-acs-version,Signature=7f34fbdc1dbccd4e3347ab0e5a831fcae9e21e56e4381bd6f464774754f51da2"
)


def test_vector_a_canonical_request():
    canonical, signed = acs3.canonical_request("POST", "/", VECTOR_A_QUERY, signing_headers("DescribeInvocations"), EMPTY_SHA256)
    assert canonical == VECTOR_A_CANONICAL
    assert signed == MINIMAL_SIGNED


def test_vector_a_string_to_sign_and_signature():
    assert acs3.string_to_sign(VECTOR_A_CANONICAL) == VECTOR_A_STRING_TO_SIGN
    assert acs3.acs3_signature(SECRET, VECTOR_A_STRING_TO_SIGN) == VECTOR_A_SIGNATURE


def test_vector_a_authorization():
    assert acs3.acs3_authorization(AK, MINIMAL_SIGNED, VECTOR_A_SIGNATURE) == VECTOR_A_AUTHORIZATION


def test_vector_a_end_to_end_headers():
    headers = sign(VECTOR_A_QUERY, "DescribeInvocations")
    assert headers == dict(signing_headers("DescribeInvocations"), authorization=VECTOR_A_AUTHORIZATION)


def test_empty_payload_hash():
    assert sign(VECTOR_A_QUERY, "DescribeInvocations")["x-acs-content-sha256"] == EMPTY_SHA256
    assert sign(VECTOR_A_QUERY, "DescribeInvocations", body=None)["x-acs-content-sha256"] == EMPTY_SHA256


# -- Alibaba Cloud's signature documentation, Vector B (what the ECS client sends: every header signed) ----------------

VECTOR_B_QUERY = dict(VECTOR_A_QUERY, IncludeOutput="True")
VECTOR_B_EXTRA = {"accept": "application/json", "user-agent": "test-agent/1.0", "x-acs-credentials-provider": "static_ak"}
VECTOR_B_SIGNED = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version"
VECTOR_B_AUTHORIZATION = (
    f"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={VECTOR_B_SIGNED},"
    "Signature=3ed3392d751230c93ff62518f34e8c9dd839f7892cd1f9ce3fdb1d14b5b3264d"
)


def test_vector_b_sdk_end_to_end():
    headers = sign(VECTOR_B_QUERY, "DescribeInvocations", extra=VECTOR_B_EXTRA, sign_all=True)
    assert headers["authorization"] == VECTOR_B_AUTHORIZATION
    assert {name: value for name, value in headers.items() if name != "authorization"} == dict(signing_headers("DescribeInvocations"), **VECTOR_B_EXTRA)


def test_vector_b_query_differs_from_a_only_in_the_boolean_spelling():
    # The SDK writes Python's True; the signature covers the exact text, so A and B differ.
    a = sign(VECTOR_A_QUERY, "DescribeInvocations", extra=VECTOR_B_EXTRA, sign_all=True)
    assert a["authorization"] != VECTOR_B_AUTHORIZATION


def test_vector_b_headers_signed_with_the_minimal_rule_leave_out_accept_and_user_agent():
    headers = sign(VECTOR_B_QUERY, "DescribeInvocations", extra=VECTOR_B_EXTRA)
    signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed == "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version"
    # The extra headers are still sent.
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == "test-agent/1.0"


# -- Alibaba Cloud's signature documentation, Vector C (encoding edge cases) ------------------------------------------

VECTOR_C_QUERY = {
    "CommandContent": "echo 'a b'+c/d~e=f&g*h 中",
    "ContentEncoding": "PlainText",
    "InstanceId.1": "i-aaa",
    "InstanceId.2": "i-bbb",
    "RegionId": "cn-hangzhou",
    "Type": "RunShellScript",
}
VECTOR_C_CANONICAL_QUERY = (
    "CommandContent=echo%20%27a%20b%27%2Bc%2Fd~e%3Df%26g%2Ah%20%E4%B8%AD&ContentEncoding=PlainText"
    "&InstanceId.1=i-aaa&InstanceId.2=i-bbb&RegionId=cn-hangzhou&Type=RunShellScript"
)
VECTOR_C_SIGNATURE = "b44f1b15e23a3eee02dc3331839c2dbc0b3eab6f806c5774905bbc8a43198306"


def test_vector_c_canonical_query():
    assert acs3.canonical_query(VECTOR_C_QUERY) == VECTOR_C_CANONICAL_QUERY


def test_vector_c_signature():
    headers = sign(VECTOR_C_QUERY, "RunCommand")
    assert headers["authorization"] == f"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={MINIMAL_SIGNED},Signature={VECTOR_C_SIGNATURE}"


def test_vector_c_canonical_request_carries_the_query_line():
    canonical, signed = acs3.canonical_request("POST", "/", VECTOR_C_QUERY, signing_headers("RunCommand"), EMPTY_SHA256)
    assert canonical.split("\n")[2] == VECTOR_C_CANONICAL_QUERY
    assert signed == MINIMAL_SIGNED
    assert acs3.acs3_signature(SECRET, acs3.string_to_sign(canonical)) == VECTOR_C_SIGNATURE


@pytest.mark.parametrize(
    "raw, encoded",
    [
        (" ", "%20"),
        ("*", "%2A"),
        ("~", "~"),
        ("/", "%2F"),
        ("+", "%2B"),
        ("=", "%3D"),
        ("&", "%26"),
        ("'", "%27"),
        ("中", "%E4%B8%AD"),
        ("é", "%C3%A9"),
        ("AZaz09-_.", "AZaz09-_."),
        ("", ""),
        (":", "%3A"),
    ],
)
def test_percent_encode_edge_cases(raw, encoded):
    assert acs3.percent_encode(raw) == encoded


def test_percent_encode_booleans_and_numbers():
    assert acs3.percent_encode(True) == "true"
    assert acs3.percent_encode(False) == "false"
    assert acs3.percent_encode(50) == "50"
    assert acs3.percent_encode(b"a b") == "a%20b"


def test_canonical_query_empty_values_are_kept_and_none_left_out():
    assert acs3.canonical_query({"B": "", "A": None, "C": "x"}) == "B=&C=x"


def test_canonical_query_empty():
    assert acs3.canonical_query({}) == ""
    assert acs3.canonical_query(None) == ""
    assert acs3.canonical_query({"A": None}) == ""


def test_canonical_query_sorts_by_name_in_byte_order():
    query = {f"InstanceId.{n}": f"i-{n}" for n in (1, 2, 10, 11)}
    query.update({"a": "lower", "Z": "upper"})
    assert acs3.canonical_query(query) == "InstanceId.1=i-1&InstanceId.10=i-10&InstanceId.11=i-11&InstanceId.2=i-2&Z=upper&a=lower"


def test_empty_query_signs_an_empty_line():
    canonical = acs3.canonical_request("POST", "", {}, signing_headers("DescribeRegions"), EMPTY_SHA256)[0]
    lines = canonical.split("\n")
    assert lines[1] == "/"
    assert lines[2] == ""


def test_canonical_headers_lowercase_trim_sort_and_join_duplicates():
    block, signed = acs3.canonical_headers(
        [("X-Acs-Date", "  d  "), ("Host", " h "), ("x-acs-meta", "b"), ("X-ACS-META", "a"), ("Content-Type", "application/json"), ("Accept", "x")]
    )
    assert block == "content-type:application/json\nhost:h\nx-acs-date:d\nx-acs-meta:a,b\n"
    assert signed == "content-type;host;x-acs-date;x-acs-meta"


def test_canonical_headers_never_sign_authorization_or_none():
    block, signed = acs3.canonical_headers({"host": "h", "Authorization": "old", "x-acs-empty": None}, sign_all=True)
    assert block == "host:h\n"
    assert signed == "host"


@pytest.mark.parametrize("name, signed", [("host", True), ("Content-Type", True), ("x-acs-anything", True), ("accept", False), ("user-agent", False)])
def test_signs_header(name, signed):
    assert acs3.signs_header(name) is signed


def test_security_token_adds_and_signs_the_sts_headers():
    headers = sign(VECTOR_A_QUERY, "DescribeInvocations", token="sts")
    assert headers["x-acs-security-token"] == "sts"
    assert headers["x-acs-accesskey-id"] == AK
    assert "x-acs-accesskey-id;x-acs-action" in headers["authorization"]
    assert "x-acs-security-token;x-acs-signature-nonce" in headers["authorization"]
    assert "x-acs-security-token" not in sign(VECTOR_A_QUERY, "DescribeInvocations")


def test_body_is_hashed_and_content_type_signed():
    body = b"RegionId=cn-hangzhou"
    headers = sign({}, "DescribeInvocations", extra={"Content-Type": "application/x-www-form-urlencoded"}, body=body)
    assert headers["x-acs-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert "SignedHeaders=content-type;host;" in headers["authorization"]


def test_signing_headers_win_over_extras_and_a_stale_authorization_is_replaced():
    headers = sign(VECTOR_A_QUERY, "DescribeInvocations", extra={"X-Acs-Date": "1999-01-01T00:00:00Z", "Authorization": "stale"})
    assert headers["x-acs-date"] == DATE
    assert headers["authorization"] == VECTOR_A_AUTHORIZATION


def test_acs_timestamp():
    assert acs3.acs_timestamp(datetime.datetime(2026, 1, 1, 8, 0, 0, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))) == DATE
    assert acs3.acs_timestamp(datetime.datetime(2026, 1, 1)) == DATE


# -- Alibaba Cloud's signature documentation, Vector D (legacy RPC v1) ------------------------------------------------

VECTOR_D_PARAMS = {
    "AccessKeyId": "testid",
    "Action": "DescribeInvocations",
    "Format": "JSON",
    "IncludeOutput": "true",
    "InvokeId": "t-hz0jdfwd9f****",
    "RegionId": "cn-hangzhou",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": NONCE,
    "SignatureVersion": "1.0",
    "Timestamp": DATE,
    "Version": VERSION,
}
VECTOR_D_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeInvocations%26Format%3DJSON%26IncludeOutput%3Dtrue"
    "%26InvokeId%3Dt-hz0jdfwd9f%252A%252A%252A%252A%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D3a7b0f9c2d4e4f6a8b1c2d3e4f5a6b7c%26SignatureVersion%3D1.0"
    "%26Timestamp%3D2026-01-01T00%253A00%253A00Z%26Version%3D2014-05-26"
)
VECTOR_D_SIGNATURE = "TuclLEQDMgheb3Ek4npyTcCxoFM="


def test_vector_d_string_to_sign():
    assert acs3.rpc_string_to_sign("GET", VECTOR_D_PARAMS) == VECTOR_D_STRING_TO_SIGN


def test_vector_d_signature():
    assert acs3.rpc_signature("GET", VECTOR_D_PARAMS, SECRET) == VECTOR_D_SIGNATURE


def test_vector_d_ignores_a_signature_already_present():
    assert acs3.rpc_signature("GET", dict(VECTOR_D_PARAMS, Signature="old"), SECRET) == VECTOR_D_SIGNATURE


def test_vector_d_from_the_api_parameters_alone():
    params = acs3.rpc_signed_params(
        "GET", {"InvokeId": "t-hz0jdfwd9f****", "IncludeOutput": True, "RegionId": "cn-hangzhou"}, AK, SECRET, "DescribeInvocations", VERSION, DATE, NONCE
    )
    assert params == dict(VECTOR_D_PARAMS, Signature=VECTOR_D_SIGNATURE)


def test_rpc_common_params():
    assert acs3.rpc_common_params(AK, VERSION, DATE, NONCE) == {
        "Format": "JSON",
        "Version": VERSION,
        "AccessKeyId": AK,
        "SignatureMethod": "HMAC-SHA1",
        "Timestamp": DATE,
        "SignatureVersion": "1.0",
        "SignatureNonce": NONCE,
    }
    with_token = acs3.rpc_common_params(AK, VERSION, DATE, NONCE, action="RunCommand", security_token="sts")
    assert with_token["SecurityToken"] == "sts"
    assert with_token["Action"] == "RunCommand"


def test_rpc_canonical_query_encodes_names_and_values_and_leaves_out_signature():
    assert acs3.rpc_canonical_query({"b": "x y", "a*": "~/", "Signature": "s", "c": None}) == "a%2A=~%2F&b=x%20y"


def test_rpc_method_is_upper_cased():
    assert acs3.rpc_string_to_sign("get", VECTOR_D_PARAMS) == VECTOR_D_STRING_TO_SIGN


# -- extra vectors from the official SDK ---------------------------------------------------------
# Produced by alibabacloud_tea_openapi 0.4.6 with alibabacloud_ecs20140526 7.11.8 (timestamp,
# nonce and user agent pinned, the transport replaced by a recorder): the ECS client's
# run_command_with_options / invoke_command_with_options / describe_invocation_results_with_options
# end to end, Utils.get_authorization on our own queries, and get_rpcsignature. The SDK is not a
# dependency: the values are copied here.

SDK_RUN_COMMAND_QUERY = {
    "ClientToken": "tok-123",
    "CommandContent": "ZWNobyAnaMOpbGxvIHt7bmFtZX19JyAmJiBscyAvdG1wLyoubG9nCnByaW50ZiAnJXNcbicg5Lit5paH",
    "ContentEncoding": "Base64",
    "Description": "nightly run: a/b * c",
    "EnableParameter": "True",
    **{f"InstanceId.{n}": f"i-bp1{n:02d}abcdefgh" for n in range(1, 13)},
    "KeepCommand": "False",
    "Name": "名字 run",
    "Parameters": '{"name":"wörld 中","path":"/a b/*"}',
    "RegionId": "cn-hangzhou",
    "RepeatMode": "Once",
    "Timeout": "300",
    "Type": "RunShellScript",
    "WorkingDir": "/root",
}
SDK_INVOKE_COMMAND_QUERY = {
    "CommandId": "c-hz0jdfwcsr5c6d7",
    "Parameters": '{"a":"x&y=z","b":"~tilde"}',
    "RegionId": "cn-hangzhou",
    "RepeatMode": "Once",
    "ResourceTag.1.Key": "env",
    "ResourceTag.1.Value": "prod east",
    "ResourceTag.2.Key": "team",
    "Timeout": "120",
    "Username": "ops",
}
SDK_RESULTS_QUERY = {"InvokeId": "t-hz0jdfwd9f1a2b3", "MaxResults": "50", "NextToken": "AAAA/+b==", "RegionId": "cn-hangzhou"}
STS_SIGNED = (
    "accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
    "x-acs-security-token;x-acs-signature-nonce;x-acs-version"
)

# What build_run_command / build_invoke_command produce for the same runs (booleans as true/false).
OUR_RUN_COMMAND_QUERY = dict(SDK_RUN_COMMAND_QUERY, EnableParameter="true", KeepCommand="false")
OUR_INVOKE_COMMAND_QUERY = SDK_INVOKE_COMMAND_QUERY


@pytest.mark.parametrize(
    "action, query, extra, token, signed, signature",
    [
        pytest.param(
            "RunCommand", SDK_RUN_COMMAND_QUERY, VECTOR_B_EXTRA, None, VECTOR_B_SIGNED,
            "899a505d2aaf96e2263077016c083b8308ca58a2cd2bb381292da34152c74b74", id="run-command-arrays-parameters-non-ascii",
        ),
        pytest.param(
            "InvokeCommand", SDK_INVOKE_COMMAND_QUERY, VECTOR_B_EXTRA, None, VECTOR_B_SIGNED,
            "f40e413aa03b48654860974457c45fa54bc11ad5e306cc656f53dd4a755e0433", id="invoke-command-resource-tags",
        ),
        pytest.param(
            "DescribeInvocationResults", SDK_RESULTS_QUERY, dict(VECTOR_B_EXTRA, **{"x-acs-credentials-provider": "static_sts"}),
            "sts-token/with+chars", STS_SIGNED, "834d49a29f500efdfb6fc74788ced9025d874a4a226c74fd84a81da53fb3a967", id="results-sts-token",
        ),
    ],
)
def test_sdk_end_to_end_vectors(action, query, extra, token, signed, signature):
    headers = sign(query, action, extra=extra, token=token, sign_all=True)
    assert headers["authorization"] == f"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={signed},Signature={signature}"


@pytest.mark.parametrize(
    "action, query, signature",
    [
        ("RunCommand", OUR_RUN_COMMAND_QUERY, "ee84c7f9982745a642499a04146a672fba7e4a2b6d57c11afa15a0283c3def12"),
        ("InvokeCommand", OUR_INVOKE_COMMAND_QUERY, "265d5db5853d98522b1341e906ad303b406e89236438204b395bbe886ccf37de"),
    ],
)
def test_sdk_get_authorization_vectors_on_our_queries(action, query, signature):
    assert sign(query, action)["authorization"] == f"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={MINIMAL_SIGNED},Signature={signature}"


def test_sdk_rpc_v1_end_to_end_vector():
    # The SDK's v1 path (Config signature_algorithm="v2") sends Format=json and POSTs everything in the query.
    params = dict(VECTOR_C_QUERY)
    params.update(
        {
            "Action": "RunCommand",
            "Format": "json",
            "Version": VERSION,
            "Timestamp": DATE,
            "SignatureNonce": NONCE,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "AccessKeyId": AK,
        }
    )
    assert acs3.rpc_signature("POST", params, SECRET) == "ytCiWRYrD7e71dXUyePqR14zL6A="


def test_sdk_rpc_v1_vector_on_our_parameters():
    params = acs3.rpc_signed_params("POST", OUR_RUN_COMMAND_QUERY, AK, SECRET, "RunCommand", VERSION, DATE, NONCE, security_token="sts-token")
    assert params["Signature"] == "lQECXs5H5d9cnsGLF2D/cug4k+8="
    assert params["SecurityToken"] == "sts-token"
    assert params["Format"] == "JSON"
