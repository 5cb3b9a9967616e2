# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Zenlayer request signing: every vector of Zenlayer's signature documentation (the vendor documentation's
example included), extra vectors produced with the official SDK signer, and the Bearer headers."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _signing_zc2 as zc2
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_requests import (
    build_create_command,
    build_describe_invocations,
    build_invoke_command,
    json_body,
)

AK = "testid"
PASSWORD = "testsecret"
HOST = "console.zenlayer.com"
TIMESTAMP = 1767225600
VERSION = "2025-10-10"


def authorization(signature: str, access_key_id: str = AK) -> str:
    return f"ZC2-HMAC-SHA256 Credential={access_key_id}, SignedHeaders=content-type;host, Signature={signature}"


# -- Zenlayer's signature documentation, Vector Z1 (direct signing call) -----------------------------------------

Z1_BODY = b'{"invocationIds": ["inv-test-0001"]}'
Z1_BODY_SHA256 = "bd0225af27e9d7030a6542efd95f73752ebb70a0c8bfd25247b41f9bb81295d1"
Z1_CANONICAL = (
    "POST\n"
    "/\n"
    "\n"
    "content-type:application/json\n"
    "host:console.zenlayer.com\n"
    "\n"
    "content-type;host\n"
    "bd0225af27e9d7030a6542efd95f73752ebb70a0c8bfd25247b41f9bb81295d1"
)
Z1_STRING_TO_SIGN = "ZC2-HMAC-SHA256\n1767225600\ndd8894229736fbc21411f6e8f9377157c261c14d12bd0ae2db54988c793d9a0e"
Z1_SIGNATURE = "cb49d5585852047b2467ad1366c89e2e3d366a9056a8012bd6136b8d6f23e8f5"
Z1_AUTHORIZATION = (
    "ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, "
    "Signature=cb49d5585852047b2467ad1366c89e2e3d366a9056a8012bd6136b8d6f23e8f5"
)


def test_vector_z1_payload_hash():
    assert zc2.payload_hash(Z1_BODY) == Z1_BODY_SHA256
    assert zc2.payload_hash(Z1_BODY.decode()) == Z1_BODY_SHA256


def test_vector_z1_canonical_request():
    assert zc2.canonical_request(Z1_BODY, HOST) == Z1_CANONICAL
    assert zc2.canonical_request(Z1_BODY, HOST, content_type="application/json", method="post") == Z1_CANONICAL


def test_vector_z1_string_to_sign_and_signature():
    assert zc2.string_to_sign(TIMESTAMP, Z1_CANONICAL) == Z1_STRING_TO_SIGN
    assert zc2.string_to_sign("1767225600", Z1_CANONICAL) == Z1_STRING_TO_SIGN
    assert zc2.zc2_signature(PASSWORD, Z1_STRING_TO_SIGN) == Z1_SIGNATURE


def test_vector_z1_authorization():
    assert zc2.zc2_authorization(AK, Z1_SIGNATURE) == Z1_AUTHORIZATION
    assert zc2.sign(Z1_BODY, HOST, TIMESTAMP, AK, PASSWORD) == Z1_AUTHORIZATION


def test_authorization_separators_are_comma_and_space():
    value = zc2.zc2_authorization(AK, Z1_SIGNATURE)
    assert value.count(", ") == 2
    assert ",SignedHeaders" not in value and ",Signature" not in value
    assert value.startswith("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, Signature=")


# -- Zenlayer's signature documentation, Vector Z2 (end to end through ZosClient.DescribeCommandInvocations) -----

Z2_BODY = b'{"invocationIds": ["inv-test-0001"], "pageSize": 100, "pageNum": 1}'
Z2_SIGNATURE = "6767776fd0c403318c5927b5311207e01f6cd876f0a4221610e1257e2bd2a233"


def test_vector_z2_end_to_end_headers():
    # The SDK's clock was pinned to 1767225600.9, which it truncates with int().
    headers = zc2.zc2_headers("DescribeCommandInvocations", VERSION, 1767225600.9, Z2_BODY, HOST, AK, PASSWORD)
    assert headers == {
        "X-ZC-Action": "DescribeCommandInvocations",
        "X-ZC-Version": "2025-10-10",
        "Content-Type": "application/json",
        "Host": "console.zenlayer.com",
        "X-ZC-Timestamp": "1767225600",
        "X-ZC-Signature-Method": "ZC2-HMAC-SHA256",
        "Authorization": authorization(Z2_SIGNATURE),
    }


def test_vector_z2_body_is_what_our_describe_builder_makes():
    assert json_body(build_describe_invocations(invocation_ids=["inv-test-0001"], page_size=100)) == Z2_BODY


def test_vector_z2_with_the_service_header_the_sdk_adds():
    headers = zc2.zc2_headers("DescribeCommandInvocations", VERSION, TIMESTAMP, Z2_BODY, HOST, AK, PASSWORD, service="zos")
    assert headers["X-ZC-Service"] == "zos"
    # x-zc-service is not signed: the signature does not change.
    assert headers["Authorization"] == authorization(Z2_SIGNATURE)


# -- Zenlayer's signature documentation, Vector Z3 (the vendor documentation's "Signature Algorithm v2" example) --

Z3_BODY = b'{"pageSize":10,"pageNum":1,"zoneId":"HKG-A"}'
Z3_PASSWORD = "Gu5t9xGARNpq86cd98joQYCN3"
Z3_CONTENT_TYPE = "application/json; charset=utf-8"
Z3_SIGNATURE = "efb356c32e55c781e10dc676da59462c22596d82e91c57803666243379555b2f"


@pytest.mark.parametrize("access_key_id", ["AKIDz8krbsJ5yKBZQpn74WFkmLPx3", "0D9UtpyKYcHxms5v"])
def test_vector_z3_vendor_documentation_example(access_key_id):
    # Action and version are not signed; these stand in for the example's own.
    headers = zc2.zc2_headers("DescribeZones", "2022-11-20", 1673361177, Z3_BODY, HOST, access_key_id, Z3_PASSWORD, content_type=Z3_CONTENT_TYPE)
    # The AccessKeyId only appears in Credential=: both ids give the documented signature.
    assert headers["Authorization"] == authorization(Z3_SIGNATURE, access_key_id)
    assert headers["Content-Type"] == Z3_CONTENT_TYPE
    assert headers["X-ZC-Timestamp"] == "1673361177"


def test_vector_z3_content_type_is_signed_byte_for_byte():
    signed = zc2.sign(Z3_BODY, HOST, 1673361177, "x", Z3_PASSWORD, content_type=Z3_CONTENT_TYPE)
    assert signed.endswith(Z3_SIGNATURE)
    for other in ("application/json", "application/json;charset=utf-8", "Application/JSON; charset=utf-8"):
        assert not zc2.sign(Z3_BODY, HOST, 1673361177, "x", Z3_PASSWORD, content_type=other).endswith(Z3_SIGNATURE), other


# -- extra vectors from the official SDK ---------------------------------------------------------
# Produced with zenlayercloud-sdk-python 2.0.77 (zenlayercloud.__version__ "2.0.077"): ZosClient
# CreateCommand / InvokeCommand / DescribeCommandInvocations end to end, with the time module of
# zenlayercloud.common.abstract_client replaced by a fixed clock and the HTTP proxy by a recorder
# (nothing was sent), and AbstractClient._build_zc2_authorization called directly. The SDK is
# not a dependency: the bodies and signatures are copied here.

SDK_CREATE_BODY = (
    b'{"name": "multicloud-invocations \\u540d\\u5b57", "content": "echo \'h\\u00e9llo\' > /tmp/a b\\nprintf \'%s\\\\n\' '
    b'\\u4e2d\\u6587 && ls *\\nexit 3", "type": "SHELL", "description": "nightly: a/b * c"}'
)
SDK_INVOKE_BODY = b'{"commandId": "cmd-test-0001", "instanceIds": ["ins-a-0001", "ins-b-0002", "ins-c-0003"], "timeout": 60}'
SDK_DESCRIBE_BODY = (
    b'{"commandIds": ["cmd-test-0001"], "instanceIds": ["ins-a-0001"], "invocationStatuses": ["Running", "Pending"], '
    b'"pageSize": 10000, "pageNum": 3}'
)
SDK_DESCRIBE_OURS_BODY = b'{"invocationIds": ["inv-test-0001", "inv-test-0002"], "instanceIds": ["ins-a-0001"], "pageSize": 100, "pageNum": 2}'

# The options that make SDK_CREATE_BODY and SDK_INVOKE_BODY with our builders.
RUN_OPTIONS = {
    "commands": ["echo 'héllo' > /tmp/a b", "printf '%s\\n' 中文 && ls *", "exit 3"],
    "name": "multicloud-invocations 名字",
    "comment": "nightly: a/b * c",
    "command_type": None,
    "instance_ids": ["ins-a-0001", "ins-b-0002", "ins-c-0003"],
    "execution_timeout": 60,
    "saved_command_id": None,
}


@pytest.mark.parametrize(
    "action, timestamp, body, host, access_key_id, password, signature",
    [
        pytest.param(
            "CreateCommand", TIMESTAMP, SDK_CREATE_BODY, HOST, AK, PASSWORD,
            "f65c49c4ec8f28a2f5cad8bae461c1e63eeef8135089e548038d1da7b05786bb", id="create-command-non-ascii-script",
        ),
        pytest.param(
            # Clock pinned to 1767225659.999: truncated, not rounded.
            "InvokeCommand", 1767225659.999, SDK_INVOKE_BODY, HOST, AK, PASSWORD,
            "2fb4d37cd8b03cbeb4026d382368bc42823e698c21fc92561b111dcff41eba9c", id="invoke-command-three-instances",
        ),
        pytest.param(
            "DescribeCommandInvocations", 1893456000, SDK_DESCRIBE_BODY, "zos.example.test:8443", "AKID-other", "pässwörd/+=",
            "9d0624aac31ff8acdb19c748b6e57f5155f65767da1c03ef551548d34310f189", id="describe-custom-domain-port-non-ascii-password",
        ),
        pytest.param(
            "DescribeCommandInvocations", TIMESTAMP, b"{}", HOST, AK, PASSWORD,
            "4e29e84f886dc0e68c558326227dd55c48ea353b039ff92e18921b1f05d19236", id="describe-empty-object",
        ),
        pytest.param(
            "DescribeCommandInvocations", TIMESTAMP, SDK_DESCRIBE_OURS_BODY, HOST, AK, PASSWORD,
            "bb01325c9ff44bc28e3d7cfb49c1de1cb133e88baecfb4df8b48866d35d948a1", id="describe-two-invocations-page-2",
        ),
    ],
)
def test_sdk_end_to_end_vectors(action, timestamp, body, host, access_key_id, password, signature):
    headers = zc2.zc2_headers(action, VERSION, timestamp, body, host, access_key_id, password, service="zos")
    assert headers["Authorization"] == authorization(signature, access_key_id)
    assert headers["Host"] == host
    assert headers["X-ZC-Action"] == action


def test_sdk_direct_vector_with_charset_content_type():
    body = b'{"invocationIds":["inv-test-0001"],"pageNum":1,"pageSize":20}'
    assert zc2.sign(body, HOST, "1767225600", AK, PASSWORD, content_type="application/json; charset=utf-8") == authorization(
        "fa31bdfaa75127a7fef4307039883d0ecfd05c8fa5dacb81bcaf8ae678031942"
    )


def test_our_builders_make_the_sdk_bodies_byte_for_byte():
    assert json_body(build_create_command(RUN_OPTIONS)) == SDK_CREATE_BODY
    assert json_body(build_invoke_command(RUN_OPTIONS, command_id="cmd-test-0001")) == SDK_INVOKE_BODY
    ours = build_describe_invocations(invocation_ids=["inv-test-0001", "inv-test-0002"], instance_ids=["ins-a-0001"], page_num=2)
    assert json_body(ours) == SDK_DESCRIBE_OURS_BODY


def test_sdk_bearer_headers():
    # The SDK with TokenCredential("pat-token-0001") sends Authorization "Bearer pat-token-0001" and
    # neither x-zc-timestamp nor x-zc-signature-method.
    headers = zc2.bearer_headers("pat-token-0001", "DescribeCommandInvocations", VERSION, host=HOST, service="zos")
    assert headers == {
        "X-ZC-Action": "DescribeCommandInvocations",
        "X-ZC-Version": "2025-10-10",
        "X-ZC-Service": "zos",
        "Content-Type": "application/json",
        "Host": "console.zenlayer.com",
        "Authorization": "Bearer pat-token-0001",
    }


# -- bearer_headers ------------------------------------------------------------------------------


def test_bearer_headers_minimal():
    assert zc2.bearer_headers(" tok ", "InvokeCommand", VERSION) == {
        "X-ZC-Action": "InvokeCommand",
        "X-ZC-Version": "2025-10-10",
        "Content-Type": "application/json",
        "Authorization": "Bearer tok",
    }


@pytest.mark.parametrize("token", ["", "  ", None])
def test_bearer_headers_refuse_an_empty_token(token):
    with pytest.raises(ValueError, match="must not be empty"):
        zc2.bearer_headers(token, "InvokeCommand", VERSION)


# -- timestamps, bodies and what the signature covers --------------------------------------------


@pytest.mark.parametrize(
    "moment, expected",
    [
        (1767225600, "1767225600"),
        (1767225600.9, "1767225600"),
        ("1767225600", "1767225600"),
        (" 1767225600 ", "1767225600"),
        (datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc), "1767225600"),
        (datetime.datetime(2026, 1, 1), "1767225600"),
        (datetime.datetime(2026, 1, 1, 8, tzinfo=datetime.timezone(datetime.timedelta(hours=8))), "1767225600"),
        (datetime.datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=datetime.timezone.utc), "1767225600"),
    ],
)
def test_zc_timestamp(moment, expected):
    assert zc2.zc_timestamp(moment) == expected


@pytest.mark.parametrize("moment", ["2026-01-01T00:00:00Z", "", "12.5", True, None])
def test_zc_timestamp_refuses_what_is_not_epoch_seconds(moment):
    with pytest.raises(ValueError):
        zc2.zc_timestamp(moment)


def test_empty_body_hashes_as_empty():
    empty = hashlib.sha256(b"").hexdigest()
    assert zc2.payload_hash(None) == empty
    assert zc2.payload_hash(b"") == empty
    assert zc2.payload_hash("") == empty


def test_text_body_is_hashed_as_utf8():
    assert zc2.payload_hash("{\"a\": \"中\"}") == hashlib.sha256("{\"a\": \"中\"}".encode("utf-8")).hexdigest()


def test_path_query_and_other_headers_are_not_signed():
    canonical = zc2.canonical_request(Z1_BODY, HOST)
    assert canonical.split("\n")[1] == "/"
    assert canonical.split("\n")[2] == ""
    assert "x-zc" not in canonical
    # Action and version do not enter the signature at all.
    a = zc2.zc2_headers("DescribeCommandInvocations", VERSION, TIMESTAMP, Z1_BODY, HOST, AK, PASSWORD)
    b = zc2.zc2_headers("InvokeCommand", "2099-01-01", TIMESTAMP, Z1_BODY, HOST, AK, PASSWORD)
    assert a["Authorization"] == b["Authorization"] == Z1_AUTHORIZATION


@pytest.mark.parametrize(
    "change",
    [
        {"body": Z1_BODY + b" "},
        {"host": "console.zenlayer.com:443"},
        {"host": "Console.Zenlayer.com"},
        {"timestamp": TIMESTAMP + 1},
        {"password": PASSWORD + "x"},
    ],
    ids=["body", "host-port", "host-case", "timestamp", "password"],
)
def test_what_the_signature_covers(change):
    args = {"body": Z1_BODY, "host": HOST, "timestamp": TIMESTAMP, "password": PASSWORD}
    args.update(change)
    signed = zc2.sign(args["body"], args["host"], args["timestamp"], AK, args["password"])
    assert signed != Z1_AUTHORIZATION
