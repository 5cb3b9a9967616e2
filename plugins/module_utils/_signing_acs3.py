# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Alibaba Cloud request signing: ACS3-HMAC-SHA256 and the legacy RPC v1 HMAC-SHA1.

Pure functions over the standard library. Nothing here reads a clock, draws a nonce or opens a
connection: the caller passes the time and the nonce, so every result can be pinned by a test.
The algorithms and their edge cases follow Alibaba Cloud's signature documentation
(https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature
and, for the legacy one, https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism); the test
vectors of section 8 are reproduced in the unit tests.
"""

from __future__ import annotations

import base64
import collections.abc
import datetime
import hashlib
import hmac
import typing as t
import urllib.parse

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"

HeaderInput = t.Union[t.Mapping[str, t.Any], t.Iterable[t.Tuple[str, t.Any]]]


def acs_timestamp(moment: datetime.datetime) -> str:
    """A time as Alibaba wants it in ``x-acs-date`` and ``Timestamp``: UTC ``yyyy-MM-ddTHH:mm:ssZ``.

    A naive datetime is taken as UTC.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: t.Any) -> str:
    """A parameter or header value as the text that is sent and signed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def percent_encode(value: t.Any) -> str:
    """RFC 3986 percent-encoding over UTF-8, as both signatures need it.

    Only the unreserved characters ``A-Z a-z 0-9 - _ . ~`` stay as they are; everything else
    becomes upper-case ``%XX``: a space is ``%20`` (never ``+``), ``*`` is ``%2A``, ``/`` is
    ``%2F``, and ``~`` is kept.
    """
    return urllib.parse.quote(_text(value), safe="~", encoding="utf-8", errors="strict")


# -- ACS3-HMAC-SHA256 ----------------------------------------------------------------------------


def canonical_query(query: t.Mapping[str, t.Any] | None) -> str:
    """Sorted ``name=value`` pairs joined with ``&``; a None value is left out, an empty one kept.

    Names are sorted in code-point order (byte order for the ASCII names APIs use), so
    ``InstanceId.10`` sorts before ``InstanceId.2`` exactly as the server sorts them.
    """
    if not query:
        return ""
    pairs = sorted((percent_encode(name), percent_encode(value)) for name, value in query.items() if value is not None)
    return "&".join(f"{name}={value}" for name, value in pairs)


def _header_items(headers: HeaderInput) -> list[tuple[str, t.Any]]:
    items = headers.items() if isinstance(headers, collections.abc.Mapping) else headers
    return [(str(name), value) for name, value in items]


def signs_header(name: str) -> bool:
    """Whether the minimal ACS3 rule signs this header: ``host``, every ``x-acs-*``, ``content-type``.

    ``authorization`` is never signed, whatever its spelling.
    """
    name = name.strip().lower()
    return name in ("host", "content-type") or name.startswith("x-acs-")


def canonical_headers(headers: HeaderInput, sign_all: bool = False) -> tuple[str, str]:
    """(canonical header block, signed header list) for ACS3.

    Names are lower-cased, values trimmed; each header becomes ``name:value\\n``, sorted by name.
    Headers given twice (names differing only in case, or repeated pairs) have their values
    sorted and comma-joined. A None value is left out. By default only the headers of
    :func:`signs_header` are signed; ``sign_all`` signs every header given, as the SDK does.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in _header_items(headers):
        lowered = name.strip().lower()
        if value is None or lowered == "authorization":
            continue
        if not sign_all and not signs_header(lowered):
            continue
        grouped.setdefault(lowered, []).append(_text(value).strip())
    names = sorted(grouped)
    block = "".join(f"{name}:{','.join(sorted(grouped[name]))}\n" for name in names)
    return block, ";".join(names)


def canonical_request(
    method: str,
    path: str,
    query: t.Mapping[str, t.Any] | None,
    headers: HeaderInput,
    payload_hash: str,
    sign_all: bool = False,
) -> tuple[str, str]:
    """(canonical request, signed header list).

    Six parts joined with ``\\n``: method, path (``/`` when empty), canonical query, canonical
    headers (which end with their own ``\\n``, so a blank line follows), signed headers and the
    hex payload hash.
    """
    block, signed = canonical_headers(headers, sign_all=sign_all)
    request = "\n".join((method.upper(), path or "/", canonical_query(query), block, signed, payload_hash))
    return request, signed


def string_to_sign(canonical: str) -> str:
    """``ACS3-HMAC-SHA256`` and the hex SHA-256 of the canonical request, on two lines."""
    return f"{ACS3_ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def acs3_signature(secret: str, to_sign: str) -> str:
    """hex HMAC-SHA256 of the string to sign, keyed with the AccessKey secret itself (no derivation)."""
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def acs3_authorization(access_key_id: str, signed_headers: str, signature: str) -> str:
    """The Authorization value: parts separated by a comma with no space."""
    return f"{ACS3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"


def acs3_headers(
    method: str,
    host: str,
    path: str,
    query: t.Mapping[str, t.Any] | None,
    headers: t.Mapping[str, t.Any] | None,
    body: bytes | None,
    access_key_id: str,
    access_key_secret: str,
    action: str,
    version: str,
    date: str,
    nonce: str,
    security_token: str | None = None,
    sign_all: bool = False,
) -> dict[str, str]:
    """Every header to send with an ACS3-signed request, ``authorization`` included.

    ``headers`` are extra headers (``accept``, ``user-agent``, ``content-type`` for a body...);
    the signing headers (``host``, ``x-acs-action``, ``x-acs-version``, ``x-acs-date``,
    ``x-acs-signature-nonce``, ``x-acs-content-sha256``) are set here and win over extras of the
    same name. With a security token (STS) ``x-acs-accesskey-id`` and ``x-acs-security-token``
    are added. The query must be sent exactly as signed (see :func:`canonical_query` for a URL
    query that matches it).
    """
    sent: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if value is not None and name.strip().lower() != "authorization":
            sent[name.strip().lower()] = _text(value)
    sent.update(
        {
            "host": host,
            "x-acs-action": action,
            "x-acs-version": version,
            "x-acs-date": date,
            "x-acs-signature-nonce": nonce,
            "x-acs-content-sha256": hashlib.sha256(body or b"").hexdigest(),
        }
    )
    if security_token:
        sent["x-acs-accesskey-id"] = access_key_id
        sent["x-acs-security-token"] = security_token
    canonical, signed = canonical_request(method, path, query, sent, sent["x-acs-content-sha256"], sign_all=sign_all)
    signature = acs3_signature(access_key_secret, string_to_sign(canonical))
    sent["authorization"] = acs3_authorization(access_key_id, signed, signature)
    return sent


# -- legacy RPC signature v1 (HMAC-SHA1) ---------------------------------------------------------


def rpc_common_params(
    access_key_id: str,
    version: str,
    timestamp: str,
    nonce: str,
    action: str | None = None,
    security_token: str | None = None,
) -> dict[str, str]:
    """The common parameters a v1-signed RPC call carries besides its own."""
    params = {
        "Format": "JSON",
        "Version": version,
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "Timestamp": timestamp,
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
    }
    if action:
        params["Action"] = action
    if security_token:
        params["SecurityToken"] = security_token
    return params


def rpc_canonical_query(params: t.Mapping[str, t.Any]) -> str:
    """Percent-encoded ``name=value`` pairs sorted by name, ``Signature`` and None values left out."""
    return canonical_query({name: value for name, value in params.items() if name != "Signature"})


def rpc_string_to_sign(method: str, params: t.Mapping[str, t.Any]) -> str:
    """``METHOD&%2F&`` and the percent-encoded canonical query (so ``%2A`` becomes ``%252A``)."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(rpc_canonical_query(params))}"


def rpc_signature(method: str, params: t.Mapping[str, t.Any], access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed with the secret and a trailing ``&``."""
    digest = hmac.new(f"{access_key_secret}&".encode("utf-8"), rpc_string_to_sign(method, params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def rpc_signed_params(
    method: str,
    params: t.Mapping[str, t.Any],
    access_key_id: str,
    access_key_secret: str,
    action: str,
    version: str,
    timestamp: str,
    nonce: str,
    security_token: str | None = None,
) -> dict[str, str]:
    """The API's parameters with the common ones and ``Signature`` added: everything to send.

    For GET they all go in the query; for POST they may go in a form body, signed the same way.
    """
    signed = {name: _text(value) for name, value in params.items() if value is not None and name != "Signature"}
    signed.update(rpc_common_params(access_key_id, version, timestamp, nonce, action=action, security_token=security_token))
    signed["Signature"] = rpc_signature(method, signed, access_key_secret)
    return signed
