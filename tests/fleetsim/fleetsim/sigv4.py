# AWS Signature Version 4 verification for incoming requests.
#
# botocore's own signer recomputes the signature, restricted to the headers the client said it
# signed; we only parse the Authorization header, pick the secret and compare in constant time.
from __future__ import annotations

import datetime
import hmac
import re
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from fleetsim.wire import VendorError

MAX_SKEW = datetime.timedelta(minutes=15)
AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]+)\s*$")
INVALID_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                     "Check your AWS Secret Access Key and signing method. "
                     "Consult the service documentation for details.")


class SignatureError(VendorError):
    """Authentication failed; `code` is the AWS error code to answer with."""


@dataclass
class SignedIdentity:
    access_key: str
    region: str
    service: str


class _SignedHeadersOnly(SigV4Auth):
    """SigV4Auth that canonicalises exactly the headers listed in SignedHeaders."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: list[str]) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest):  # type: ignore[override]
        headers = super().headers_to_sign(request)
        for name in list(headers.keys()):
            if name not in self._signed:
                del headers[name]
        return headers


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify(method: str, path: str, headers: dict[str, str], body: bytes, secrets: dict[str, str],
           now: datetime.datetime, service: str) -> SignedIdentity:
    """Check a SigV4 request.  `secrets` maps access key -> secret key.  Raises SignatureError."""
    auth = _header(headers, "authorization")
    if not auth:
        raise SignatureError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = AUTH_RE.match(auth.strip())
    if not match:
        raise SignatureError("IncompleteSignatureException",
                             "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.")
    parts = match.group("credential").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError("IncompleteSignatureException", "Credential must have exactly five slash-delimited elements.")
    access_key, date, region, signed_service = parts[0], parts[1], parts[2], parts[3]
    secret = secrets.get(access_key)
    if secret is None:
        raise SignatureError("UnrecognizedClientException", "The security token included in the request is invalid.")
    if signed_service != service:
        raise SignatureError("InvalidSignatureException",
                             f"Credential should be scoped to correct service: '{service}'.")
    amz_date = _header(headers, "x-amz-date")
    if not amz_date:
        raise SignatureError("IncompleteSignatureException", "Authorization header requires existence of either a "
                             "'X-Amz-Date' or a 'Date' header.")
    try:
        stamp = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError as exc:
        raise SignatureError("IncompleteSignatureException", f"Invalid X-Amz-Date {amz_date!r}.") from exc
    if abs(now - stamp) > MAX_SKEW:
        fmt = "%Y%m%dT%H%M%SZ"
        raise SignatureError(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {(now - MAX_SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} - 15 min.)" if stamp < now else
            f"Signature not yet current: {amz_date} is still later than {(now + MAX_SKEW).strftime(fmt)} "
            f"({now.strftime(fmt)} + 15 min.)")
    if date != amz_date[:8]:
        raise SignatureError("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.")
    signed = match.group("signature")
    signed_names = match.group("signed").lower().split(";")
    host = _header(headers, "host") or "localhost"
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body,
                         headers={k: v for k, v in headers.items() if k.lower() in signed_names})
    request.context["timestamp"] = amz_date
    signer = _SignedHeadersOnly(Credentials(access_key, secret), signed_service, region, signed_names)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, signed):
        # AWS quotes what it computed, so that a client can compare: the canonical request (every
        # signed header's value, a session token included) and the string to sign.
        raise SignatureError("InvalidSignatureException", INVALID_SIGNATURE + (
            f"\n\nThe Canonical String for this request should have been\n'{canonical}'"
            f"\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"))
    return SignedIdentity(access_key, region, signed_service)
