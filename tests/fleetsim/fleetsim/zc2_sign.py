# Zenlayer ZC2-HMAC-SHA256 request signing and verification (Zenlayer's SDK), stdlib only.
#
# Canonical request: METHOD, the fixed URI "/", an empty query, the two canonical headers
# `content-type:<value>` and `host:<value>`, the SignedHeaders list `content-type;host` and the
# hex SHA-256 of the body.  StringToSign = "ZC2-HMAC-SHA256\n<x-zc-timestamp>\nhex(sha256(canonical))";
# the key is the AccessKeyPassword itself (no derivation).
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Mapping

from fleetsim.wire import VendorError

ALGORITHM = "ZC2-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
MAX_SKEW = 15 * 60     # seconds the X-ZC-Timestamp may differ from the (real) clock


class SignatureError(VendorError):
    """Authentication failed; `code`/`status` are what the Zenlayer envelope carries."""

    default_status = 401


@dataclass
class Authorization:
    credential: str
    signed_headers: str
    signature: str


def canonical_request(method: str, content_type: str, host: str, body: bytes) -> str:
    return "\n".join([method.upper(), "/", "", f"content-type:{content_type}", f"host:{host}", "",
                      SIGNED_HEADERS, hashlib.sha256(body).hexdigest()])


def string_to_sign(timestamp: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{timestamp}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def signature(password: str, timestamp: str, method: str, content_type: str, host: str, body: bytes) -> str:
    text = string_to_sign(timestamp, canonical_request(method, content_type, host, body))
    return hmac.new(password.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key: str, password: str, timestamp: str, content_type: str, host: str, body: bytes,
                  method: str = "POST") -> str:
    """The `Authorization` header value a client sends."""
    sig = signature(password, timestamp, method, content_type, host, body)
    return f"{ALGORITHM} Credential={access_key}, SignedHeaders={SIGNED_HEADERS}, Signature={sig}"


def parse_authorization(value: str) -> Authorization:
    """`ZC2-HMAC-SHA256 Credential=<AK>, SignedHeaders=<list>, Signature=<hex>` (spaces after the commas optional)."""
    scheme, _sep, rest = value.strip().partition(" ")
    if scheme != ALGORITHM or not rest:
        raise SignatureError("INVALID_AUTHORIZATION", f"The Authorization header must start with {ALGORITHM}.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, field_value = part.strip().partition("=")
        if not sep or name in fields:
            raise SignatureError("INVALID_AUTHORIZATION", "The Authorization header is malformed.")
        fields[name] = field_value.strip()
    if set(fields) != {"Credential", "SignedHeaders", "Signature"} or not all(fields.values()):
        raise SignatureError("INVALID_AUTHORIZATION",
                             "The Authorization header needs exactly Credential, SignedHeaders and Signature.")
    return Authorization(fields["Credential"], fields["SignedHeaders"], fields["Signature"])


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers.items():
        if key.lower() == lname:
            return value
    return None


def verify(method: str, headers: Mapping[str, str], body: bytes, secrets_by_key: Mapping[str, str],
           now: float | None = None) -> str:
    """Check a ZC2-signed request; answers the access key id or raises SignatureError."""
    auth = parse_authorization(_header(headers, "Authorization") or "")
    method_header = _header(headers, "X-ZC-Signature-Method")
    if method_header != ALGORITHM:
        raise SignatureError("INVALID_AUTHORIZATION", f"The X-ZC-Signature-Method header must be {ALGORITHM}.")
    if auth.signed_headers.lower() != SIGNED_HEADERS:
        raise SignatureError("INVALID_AUTHORIZATION", f"SignedHeaders must be {SIGNED_HEADERS}.")
    timestamp = (_header(headers, "X-ZC-Timestamp") or "").strip()
    if not timestamp.isdigit():
        raise SignatureError("INVALID_AUTHORIZATION", "The X-ZC-Timestamp header must be integer Unix seconds.")
    password = secrets_by_key.get(auth.credential)
    if password is None:
        raise SignatureError("INVALID_ACCESS_KEY_ID", "The access key id does not exist.")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > MAX_SKEW:
        raise SignatureError("SIGNATURE_EXPIRED",
                             f"The X-ZC-Timestamp {timestamp} is more than {MAX_SKEW // 60} minutes away from the server time {int(current)}.")
    content_type = _header(headers, "Content-Type") or ""
    host = _header(headers, "Host") or ""
    expected = signature(password, timestamp, method, content_type, host, body)
    if not hmac.compare_digest(expected.encode(), auth.signature.lower().encode()):
        text = string_to_sign(timestamp, canonical_request(method, content_type, host, body))
        raise SignatureError("SIGNATURE_FAILURE",
                             "The request signature does not match. The server's string to sign is "
                             + repr(text) + ".")
    return auth.credential
