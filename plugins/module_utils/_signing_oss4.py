# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""OSS signature V4 (``OSS4-HMAC-SHA256``) in the Authorization header, for object reads.

As Object Storage Service documents it in "Include a V4 signature in the Authorization header"
(https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4):

- canonical request: method, the URI-encoded ``/<bucket>/<key>`` (``/`` kept), the canonical
  query (names and values as sent, sorted; a parameter without a value is its name alone), the
  signed headers (``x-oss-*``, ``content-type``, ``content-md5`` and any ``AdditionalHeaders``,
  lower-case ``name:value`` lines sorted by name), the additional header names joined by ``;``,
  and the payload hash (``UNSIGNED-PAYLOAD`` here), each on its own line;
- string to sign: ``OSS4-HMAC-SHA256``, the ``x-oss-date`` time, the scope
  ``<yyyymmdd>/<region>/oss/aliyun_v4_request`` and the hex SHA-256 of the canonical request;
- signing key: HMAC-SHA256 chained over the date, the region, ``oss`` and ``aliyun_v4_request``,
  starting from ``aliyun_v4`` + the AccessKey secret; the signature is the hex HMAC of the string.

The unit tests pin vectors made with the official SDK (tests/unit/.../oss4_vectors.py says how),
so this module and the SDK cannot drift apart; the runtime never imports the SDK.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import typing as t
import urllib.parse

ALGORITHM = "OSS4-HMAC-SHA256"
PRODUCT = "oss"
TERMINATOR = "aliyun_v4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def is_default_signed(name: str) -> bool:
    """Whether OSS always signs this header (lower-case name): ``x-oss-*``, content-type, content-md5."""
    return name.startswith("x-oss-") or name in ("content-type", "content-md5")


def canonical_uri(bucket: str | None, key: str | None) -> str:
    """``/<bucket>/<key>`` percent-encoded with ``/`` kept; ``/<bucket>/`` for the bucket, ``/`` for the service."""
    uri = "/"
    if bucket:
        uri += bucket + "/"
    if key:
        uri += key
    return urllib.parse.quote(uri, safe="/")


def canonical_query(query: t.Mapping[str, str | None] | None) -> str:
    """Percent-encoded pairs sorted by name; a parameter with no value (``?acl``) is its name alone."""
    pairs = sorted((urllib.parse.quote(name, safe=""), urllib.parse.quote(value or "", safe="")) for name, value in (query or {}).items())
    return "&".join(f"{name}={value}" if value else name for name, value in pairs)


def signing_time(moment: datetime.datetime) -> tuple[str, str]:
    """(``x-oss-date`` value ``yyyymmddTHHMMSSZ``, scope date ``yyyymmdd``) in UTC."""
    stamp = moment.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return stamp, stamp[:8]


def scope(date: str, region: str) -> str:
    return f"{date}/{region}/{PRODUCT}/{TERMINATOR}"


def canonical_request(
    method: str, bucket: str | None, key: str | None, query: t.Mapping[str, str | None] | None,
    headers: t.Mapping[str, str], additional: t.Sequence[str],
) -> str:
    """The six lines OSS hashes; ``headers`` are lower-case names already, ``additional`` sorted."""
    signed = sorted((name, value.strip()) for name, value in headers.items() if is_default_signed(name) or name in additional)
    block = "".join(f"{name}:{value}\n" for name, value in signed)
    payload = headers.get("x-oss-content-sha256", UNSIGNED_PAYLOAD)
    return "\n".join((method.upper(), canonical_uri(bucket, key), canonical_query(query), block, ";".join(additional), payload))


def string_to_sign(stamp: str, request_scope: str, canonical: str) -> str:
    return "\n".join((ALGORITHM, stamp, request_scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()))


def signature(secret: str, date: str, region: str, to_sign: str) -> str:
    """The hex signature: the key derived step by step (date, region, product, terminator) signs the string."""
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, PRODUCT, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def oss4_headers(
    method: str,
    bucket: str,
    key: str,
    region: str,
    access_key_id: str,
    access_key_secret: str,
    now: datetime.datetime,
    query: t.Mapping[str, str | None] | None = None,
    headers: t.Mapping[str, str] | None = None,
    security_token: str | None = None,
    additional_headers: t.Iterable[str] = (),
) -> dict[str, str]:
    """Every header to send with a V4-signed request, ``authorization`` included (names lower-case).

    ``region`` is the OSS region id without the ``oss-`` prefix (``cn-hangzhou``). ``headers`` are
    extra headers; ``additional_headers`` names those of them (besides the ones OSS always signs)
    that the signature covers too, such as ``host``. The payload is not signed (``UNSIGNED-PAYLOAD``),
    as the SDK does for every request.
    """
    sent = {name.strip().lower(): str(value) for name, value in (headers or {}).items() if name.strip().lower() != "authorization"}
    stamp, date = signing_time(now)
    sent["x-oss-date"] = stamp
    sent["x-oss-content-sha256"] = UNSIGNED_PAYLOAD
    if security_token:
        sent["x-oss-security-token"] = security_token
    # Only headers that are sent and not already signed by default are listed.
    additional = sorted({name.lower() for name in additional_headers if not is_default_signed(name.lower()) and sent.get(name.lower())})
    request_scope = scope(date, region)
    to_sign = string_to_sign(stamp, request_scope, canonical_request(method, bucket, key, query, sent, additional))
    credential = f"{ALGORITHM} Credential={access_key_id}/{request_scope}"
    if additional:
        credential += f",AdditionalHeaders={';'.join(additional)}"
    sent["authorization"] = f"{credential},Signature={signature(access_key_secret, date, region, to_sign)}"
    return sent
