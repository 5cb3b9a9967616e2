# ZC2-HMAC-SHA256: the reference vectors (Zenlayer's signature documentation) and fleetsim's verifier.
from __future__ import annotations

import json

import pytest
from zos_client import zc2_authorization

from fleetsim import zc2_sign

Z1_BODY = b'{"invocationIds": ["inv-test-0001"]}'
Z2_BODY = b'{"invocationIds": ["inv-test-0001"], "pageSize": 100, "pageNum": 1}'
Z3_BODY = b'{"pageSize":10,"pageNum":1,"zoneId":"HKG-A"}'
HOST = "console.zenlayer.com"


def test_vector_z1_direct_signing_call():
    canonical = zc2_sign.canonical_request("POST", "application/json", HOST, Z1_BODY)
    assert canonical == ("POST\n/\n\ncontent-type:application/json\nhost:console.zenlayer.com\n\ncontent-type;host\n"
                         "bd0225af27e9d7030a6542efd95f73752ebb70a0c8bfd25247b41f9bb81295d1")
    assert zc2_sign.string_to_sign("1767225600", canonical) == (
        "ZC2-HMAC-SHA256\n1767225600\ndd8894229736fbc21411f6e8f9377157c261c14d12bd0ae2db54988c793d9a0e")
    expected = ("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, "
                "Signature=cb49d5585852047b2467ad1366c89e2e3d366a9056a8012bd6136b8d6f23e8f5")
    assert zc2_sign.authorization("testid", "testsecret", "1767225600", "application/json", HOST, Z1_BODY) == expected
    assert zc2_authorization("testid", "testsecret", "1767225600", "application/json", HOST, Z1_BODY) == expected


def test_vector_z2_end_to_end_request_verifies():
    assert json.dumps({"invocationIds": ["inv-test-0001"], "pageSize": 100, "pageNum": 1}).encode() == Z2_BODY
    headers = {"Content-Type": "application/json", "host": HOST, "x-zc-action": "DescribeCommandInvocations",
               "x-zc-version": "2025-10-10", "x-zc-service": "zos", "x-zc-signature-method": "ZC2-HMAC-SHA256",
               "x-zc-timestamp": "1767225600", "x-zc-sdk-lang": "Python", "x-zc-sdk-version": "SDK_PYTHON_2.0.077",
               "Authorization": "ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, "
                                "Signature=6767776fd0c403318c5927b5311207e01f6cd876f0a4221610e1257e2bd2a233"}
    assert zc2_sign.verify("POST", headers, Z2_BODY, {"testid": "testsecret"}, now=1767225600.9) == "testid"
    with pytest.raises(zc2_sign.SignatureError) as excinfo:
        zc2_sign.verify("POST", headers, Z2_BODY.replace(b"100", b"101"), {"testid": "testsecret"}, now=1767225600.9)
    assert (excinfo.value.code, excinfo.value.status) == ("SIGNATURE_FAILURE", 401)


def test_vector_z3_vendor_documentation_example():
    expected = "efb356c32e55c781e10dc676da59462c22596d82e91c57803666243379555b2f"
    for access_key in ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3", "0D9UtpyKYcHxms5v"):
        assert zc2_sign.signature("Gu5t9xGARNpq86cd98joQYCN3", "1673361177", "POST", "application/json; charset=utf-8",
                                  HOST, Z3_BODY) == expected
        assert zc2_authorization(access_key, "Gu5t9xGARNpq86cd98joQYCN3", "1673361177", "application/json; charset=utf-8",
                                 HOST, Z3_BODY).endswith(expected)


def _headers(auth, stamp="1767225600", method="ZC2-HMAC-SHA256"):
    return {"Content-Type": "application/json", "Host": HOST, "X-ZC-Timestamp": stamp,
            "X-ZC-Signature-Method": method, "Authorization": auth}


@pytest.mark.parametrize("auth, stamp, method, code", [
    ("", "1767225600", "ZC2-HMAC-SHA256", "INVALID_AUTHORIZATION"),
    ("ZC2-HMAC-SHA256 Credential=testid", "1767225600", "ZC2-HMAC-SHA256", "INVALID_AUTHORIZATION"),
    ("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=host, Signature=ab", "1767225600", "ZC2-HMAC-SHA256", "INVALID_AUTHORIZATION"),
    ("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, Signature=ab", "1767225600", "HMAC-SHA1", "INVALID_AUTHORIZATION"),
    ("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, Signature=ab", "soon", "ZC2-HMAC-SHA256", "INVALID_AUTHORIZATION"),
    ("ZC2-HMAC-SHA256 Credential=nobody, SignedHeaders=content-type;host, Signature=ab", "1767225600", "ZC2-HMAC-SHA256", "INVALID_ACCESS_KEY_ID"),
    ("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, Signature=ab", "1767224600", "ZC2-HMAC-SHA256", "SIGNATURE_EXPIRED"),
    ("ZC2-HMAC-SHA256 Credential=testid, SignedHeaders=content-type;host, Signature=ab", "1767225600", "ZC2-HMAC-SHA256", "SIGNATURE_FAILURE"),
])
def test_verify_rejections(auth, stamp, method, code):
    with pytest.raises(zc2_sign.SignatureError) as excinfo:
        zc2_sign.verify("POST", _headers(auth, stamp, method), Z1_BODY, {"testid": "testsecret"}, now=1767225600)
    assert (excinfo.value.code, excinfo.value.status) == (code, 401)


def test_verify_accepts_compact_separators_and_skew_within_15_minutes():
    auth = zc2_sign.authorization("testid", "testsecret", "1767225600", "application/json", HOST, Z1_BODY).replace(", ", ",")
    for now in (1767225600 - 900, 1767225600 + 900):
        assert zc2_sign.verify("POST", _headers(auth), Z1_BODY, {"testid": "testsecret"}, now=now) == "testid"
