# Alibaba Cloud request signatures, verified on the server side (Alibaba Cloud's signature documentation):
#   * ACS3-HMAC-SHA256 (the current SDK default): canonical request over method, path, sorted
#     query, the listed headers and the payload hash; hex HMAC-SHA256 keyed by the secret;
#   * legacy RPC signature v1: Base64 HMAC-SHA1 keyed by secret + "&" over the sorted,
#     RFC 3986-encoded parameters.
# Stdlib only; our own implementation of the published algorithms.
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

from fleetsim.wire import VendorError

MAX_SKEW = datetime.timedelta(minutes=15)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
ACS3_AUTH_RE = re.compile(
    r"^ACS3-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]+)\s*$")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class SignatureError(VendorError):
    """Authentication failed: `code`, `message` and `status` of the Alibaba error to answer with."""


@dataclass
class Identity:
    access_key: str
    method: str          # "ACS3-HMAC-SHA256" or "HMAC-SHA1"
    security_token: str = ""


def percent_encode(value: str) -> str:
    """RFC 3986 over UTF-8: keep A-Z a-z 0-9 - _ . ~, everything else as upper-case %XX."""
    return quote(value, safe="~")


def parse_query(query: str) -> list[tuple[str, str]]:
    """Decode a raw query string the way the signing SDKs' servers do (`+` and %20 are spaces)."""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _sep, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def acs3_canonical_request(method: str, path: str, pairs: list[tuple[str, str]], headers: dict[str, str],
                           signed: list[str], payload_hash: str) -> str:
    lowered: dict[str, str] = {}
    for key, value in headers.items():
        lowered[key.lower()] = value
    canonical_headers = "".join(f"{name}:{lowered.get(name, '').strip()}\n" for name in signed)
    return "\n".join([method.upper(), path or "/", canonical_query(pairs), canonical_headers, ";".join(signed), payload_hash])


def acs3_signature(secret: str, canonical_request: str) -> str:
    string_to_sign = ACS3_ALGORITHM + "\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def rpc_string_to_sign(method: str, pairs: list[tuple[str, str]]) -> str:
    signed = [(k, v) for k, v in pairs if k != "Signature"]
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(signed))}"


def rpc_signature(secret: str, method: str, pairs: list[tuple[str, str]]) -> str:
    digest = hmac.new((secret + "&").encode("utf-8"), rpc_string_to_sign(method, pairs).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class NonceCache:
    """Nonces seen in the last 15 minutes, per access key; a reuse is `SignatureNonceUsed`."""

    def __init__(self, ttl: float = MAX_SKEW.total_seconds() * 2) -> None:
        self._ttl = ttl
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def use(self, access_key: str, nonce: str) -> bool:
        """Record the nonce; False if it was already used."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self._ttl}
            key = (access_key, nonce)
            seen = self._seen.get(key)
            if seen is not None and now - seen < self._ttl:
                return False
            self._seen[key] = now
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def _check_time(value: str, what: str, now: datetime.datetime) -> None:
    try:
        stamp = datetime.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError as exc:
        raise SignatureError("InvalidTimeStamp.Format", f"Specified {what} is not valid.") from exc
    if abs(now - stamp) > MAX_SKEW:
        raise SignatureError("InvalidTimeStamp.Expired", f"Specified time stamp or date value is expired. ({what} {value})")


def _secret_for(access_key: str, secrets: dict[str, str]) -> str:
    secret = secrets.get(access_key)
    if secret is None:
        raise SignatureError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    return secret


def verify_acs3(method: str, path: str, pairs: list[tuple[str, str]], headers: dict[str, str], body: bytes,
                secrets: dict[str, str], nonces: NonceCache, now: datetime.datetime) -> Identity:
    lowered = {k.lower(): v for k, v in headers.items()}
    auth = lowered.get("authorization", "")
    match = ACS3_AUTH_RE.match(auth.strip())
    if not match:
        raise SignatureError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                                                    "expected 'ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...'.")
    access_key = match.group("credential")
    secret = _secret_for(access_key, secrets)
    for name in ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"):
        if not lowered.get(name):
            raise SignatureError("IncompleteSignature", f"The request signature does not conform to Aliyun standards: header {name} is missing.")
    _check_time(lowered["x-acs-date"], "x-acs-date", now)
    signed = match.group("signed").lower().split(";")
    required = {"host"} | {n for n in lowered if n.startswith("x-acs-")}
    if "content-type" in lowered:
        required.add("content-type")
    missing = sorted(required - set(signed))
    if missing:
        raise SignatureError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                                                    f"SignedHeaders must include {', '.join(missing)}.")
    payload_hash = lowered["x-acs-content-sha256"]
    if payload_hash.lower() != hashlib.sha256(body).hexdigest():
        raise SignatureError("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                                                    "x-acs-content-sha256 does not match the body.")
    canonical = acs3_canonical_request(method, path, pairs, headers, signed, payload_hash)
    expected = acs3_signature(secret, canonical)
    if not hmac.compare_digest(expected, match.group("signature").lower()):
        raise SignatureError("IncompleteSignature", "The request signature does not conform to Aliyun standards. "
                                                    "server string to sign is:" + ACS3_ALGORITHM + "\n"
                                                    + hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    if not nonces.use(access_key, lowered["x-acs-signature-nonce"]):
        raise SignatureError("SignatureNonceUsed", "Specified signature nonce was used already.")
    return Identity(access_key, ACS3_ALGORITHM, lowered.get("x-acs-security-token", ""))


def verify_rpc(method: str, pairs: list[tuple[str, str]], secrets: dict[str, str], nonces: NonceCache,
               now: datetime.datetime) -> Identity:
    params = dict(pairs)
    for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp"):
        if not params.get(name):
            raise SignatureError(f"Missing{name}", f"{name} is mandatory for this action.")
    secret = _secret_for(params["AccessKeyId"], secrets)
    if params.get("SignatureMethod") != "HMAC-SHA1":
        raise SignatureError("InvalidSignatureMethod", "Specified signature method is not valid (use HMAC-SHA1).")
    if params.get("SignatureVersion") != "1.0":
        raise SignatureError("InvalidSignatureVersion", "Specified signature version is not valid (use 1.0).")
    _check_time(params["Timestamp"], "Timestamp", now)
    expected = rpc_signature(secret, method, pairs)
    if not hmac.compare_digest(expected, params["Signature"]):
        raise SignatureError("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. "
                                                      "server string to sign is:" + rpc_string_to_sign(method, pairs))
    if not nonces.use(params["AccessKeyId"], params["SignatureNonce"]):
        raise SignatureError("SignatureNonceUsed", "Specified signature nonce was used already.")
    return Identity(params["AccessKeyId"], "HMAC-SHA1", params.get("SecurityToken", ""))
