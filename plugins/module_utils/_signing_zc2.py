# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Zenlayer request signing: ZC2-HMAC-SHA256, and the Bearer token alternative.

Pure functions over the standard library. Nothing here reads a clock or opens a connection: the
caller passes the timestamp, so every result can be pinned by a test. The algorithm follows
Zenlayer's SDK (https://github.com/zenlayer/zenlayercloud-sdk-python); its test vectors are reproduced in the unit tests.

Unlike ACS3, ZC2 signs very little: the canonical URI is always ``/`` (not ``/api/v2/zos``), the
query is always empty, only ``content-type`` and ``host`` are signed, and the action, version and
timestamp headers stay outside the canonical headers (the timestamp enters the string to sign
instead). The signature covers the exact body bytes, so the body must be sent exactly as hashed.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import typing as t

ZC2_ALGORITHM = "ZC2-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
CANONICAL_URI = "/"
# What the SDK sends; the documentation's example signs "application/json; charset=utf-8". Either
# works as long as the header sent is, byte for byte, the value signed.
DEFAULT_CONTENT_TYPE = "application/json"

BodyInput = t.Union[bytes, str, None]


def zc_timestamp(moment: t.Any) -> str:
    """A time as ``X-ZC-Timestamp`` wants it: integer Unix seconds, fractions truncated like the SDK.

    Takes a datetime (naive is UTC), epoch seconds (int or float) or digits already as text.
    """
    if isinstance(moment, datetime.datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return str(int(moment.timestamp()))
    if isinstance(moment, bool):
        raise ValueError(f"not a timestamp: {moment!r}")
    if isinstance(moment, (int, float)):
        return str(int(moment))
    text = str(moment).strip()
    if not text.isdigit():
        raise ValueError(f"not a Unix timestamp in seconds: {moment!r}")
    return text


def _body_bytes(body: BodyInput) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def payload_hash(body: BodyInput) -> str:
    """hex SHA-256 of the exact body bytes (text is taken as UTF-8, None as empty)."""
    return hashlib.sha256(_body_bytes(body)).hexdigest()


def canonical_request(body: BodyInput, host: str, content_type: str = DEFAULT_CONTENT_TYPE, method: str = "POST") -> str:
    """Six parts joined with ``\\n``: method, ``/``, an empty query, the two canonical headers
    (each ``name:value\\n``, so a blank line follows), ``content-type;host`` and the payload hash.

    Header values are signed exactly as given: no trimming, no case folding.
    """
    headers = f"content-type:{content_type}\nhost:{host}\n"
    return "\n".join((method.upper(), CANONICAL_URI, "", headers, SIGNED_HEADERS, payload_hash(body)))


def string_to_sign(timestamp: t.Any, canonical: str) -> str:
    """``ZC2-HMAC-SHA256``, the timestamp, and the hex SHA-256 of the canonical request, on three lines."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ZC2_ALGORITHM}\n{zc_timestamp(timestamp)}\n{digest}"


def zc2_signature(access_key_password: str, to_sign: str) -> str:
    """hex HMAC-SHA256 of the string to sign, keyed with the AccessKeyPassword itself (no derivation)."""
    return hmac.new(access_key_password.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def zc2_authorization(access_key_id: str, signature: str) -> str:
    """The Authorization value: fields separated by a comma and a space (Alibaba has no space)."""
    return f"{ZC2_ALGORITHM} Credential={access_key_id}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"


def sign(
    body: BodyInput,
    host: str,
    timestamp: t.Any,
    access_key_id: str,
    access_key_password: str,
    content_type: str = DEFAULT_CONTENT_TYPE,
    method: str = "POST",
) -> str:
    """The Authorization value for one request: canonical request, string to sign, signature."""
    canonical = canonical_request(body, host, content_type=content_type, method=method)
    return zc2_authorization(access_key_id, zc2_signature(access_key_password, string_to_sign(timestamp, canonical)))


def _common_headers(action: str, version: str, content_type: str, host: str | None, service: str | None) -> dict[str, str]:
    headers = {"X-ZC-Action": action, "X-ZC-Version": version}
    if service:
        # The SDK sends x-zc-service; the documentation's header table does not list it.
        headers["X-ZC-Service"] = service
    headers["Content-Type"] = content_type
    if host:
        headers["Host"] = host
    return headers


def zc2_headers(
    action: str,
    version: str,
    timestamp: t.Any,
    body: BodyInput,
    host: str,
    access_key_id: str,
    access_key_password: str,
    content_type: str = DEFAULT_CONTENT_TYPE,
    service: str | None = None,
) -> dict[str, str]:
    """Every header to send with a ZC2-signed request, ``Authorization`` included.

    ``X-ZC-Action``, ``X-ZC-Version``, ``X-ZC-Timestamp``, ``X-ZC-Signature-Method``,
    ``Content-Type``, ``Host`` (the value signed, so that the HTTP client cannot send another
    one) and ``Authorization``; ``X-ZC-Service`` too when ``service`` is given. The body must be
    sent exactly as the bytes passed here.
    """
    headers = _common_headers(action, version, content_type, host, service)
    stamp = zc_timestamp(timestamp)
    headers["X-ZC-Timestamp"] = stamp
    headers["X-ZC-Signature-Method"] = ZC2_ALGORITHM
    headers["Authorization"] = sign(body, host, stamp, access_key_id, access_key_password, content_type=content_type)
    return headers


def bearer_headers(
    token: str,
    action: str,
    version: str,
    content_type: str = DEFAULT_CONTENT_TYPE,
    host: str | None = None,
    service: str | None = None,
) -> dict[str, str]:
    """Every header to send with a personal access token: ``Authorization: Bearer <token>``.

    No timestamp or signature-method header is sent then, as the SDK's TokenCredential does.
    """
    if not token or not str(token).strip():
        raise ValueError("a Bearer token must not be empty")
    headers = _common_headers(action, version, content_type, host, service)
    headers["Authorization"] = f"Bearer {str(token).strip()}"
    return headers
