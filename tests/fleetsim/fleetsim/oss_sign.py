# OSS signature V4 (OSS4-HMAC-SHA256 in the Authorization header), verified on the server side as
# Object Storage Service documents it ("Include a V4 signature in the Authorization header",
# https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4):
#   canonical request = method, URI-encoded /<bucket>/<key>, the sorted query as sent, the signed
#   headers (x-oss-*, content-type, content-md5 and the AdditionalHeaders), the additional header
#   names, the payload hash (x-oss-content-sha256);
#   string to sign = OSS4-HMAC-SHA256, x-oss-date, scope <date>/<region>/oss/aliyun_v4_request, hex
#   SHA-256 of the canonical request; key = HMAC chain over date, region, "oss", "aliyun_v4_request"
#   from "aliyun_v4" + secret. Stdlib only; our own implementation of the published algorithm.
from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from urllib.parse import quote

from fleetsim.acs_sign import SignatureError

MAX_SKEW = datetime.timedelta(minutes=15)
AUTH_RE = re.compile(
    r"^OSS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)(?:,\s*AdditionalHeaders=(?P<additional>[^,\s]*))?,\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$")


def _signed(name: str, additional: set[str]) -> bool:
    return name.startswith("x-oss-") or name in ("content-type", "content-md5") or name in additional


def canonical_request(method: str, bucket: str, key: str, raw_query: str, headers: dict[str, str], additional: list[str]) -> str:
    uri = quote("/" + (bucket + "/" if bucket else "") + key, safe="/")
    pairs = sorted(pair.partition("=")[::2] for pair in raw_query.split("&") if pair)
    query = "&".join(f"{name}={value}" if value else name for name, value in pairs)
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    block = "".join(f"{name}:{lowered[name]}\n" for name in sorted(lowered) if _signed(name, set(additional)))
    return "\n".join((method, uri, query, block, ";".join(additional), lowered.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")))


def signature(secret: str, date: str, region: str, to_sign: str) -> str:
    key = ("aliyun_v4" + secret).encode()
    for part in (date, region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verify(method: str, bucket: str, key: str, raw_query: str, headers: dict[str, str], secrets: dict[str, str],
           now: datetime.datetime) -> str:
    """The access key id of a well-signed request, or SignatureError with the code OSS answers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    auth = lowered.get("authorization", "")
    if not auth:
        raise SignatureError("AccessDenied", "You have no right to access this object because of bucket acl.", 403)
    match = AUTH_RE.match(auth)
    if match is None:
        raise SignatureError("InvalidArgument", "Authorization header is invalid.", 400)
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[3] != "oss" or parts[4] != "aliyun_v4_request" or not parts[2]:
        raise SignatureError("InvalidArgument", "Invalid credential in Authorization header.", 400)
    access_key, scope_date, region = parts[0], parts[1], parts[2]
    if access_key not in secrets:
        raise SignatureError("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", 403)
    stamp = lowered.get("x-oss-date", "")
    try:
        when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise SignatureError("AccessDenied", "Invalid date in x-oss-date.", 403) from None
    if abs(now - when) > MAX_SKEW:
        raise SignatureError("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", 403)
    if scope_date != stamp[:8]:
        raise SignatureError("SignatureDoesNotMatch", "The date of the credential scope is not the date of x-oss-date.", 403)
    additional = [name for name in (match["additional"] or "").split(";") if name]
    canonical = canonical_request(method.upper(), bucket, key, raw_query, headers, additional)
    to_sign = "\n".join(("OSS4-HMAC-SHA256", stamp, "/".join(parts[1:]), hashlib.sha256(canonical.encode()).hexdigest()))
    if not hmac.compare_digest(signature(secrets[access_key], scope_date, region, to_sign), match["signature"]):
        raise SignatureError("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", 403)
    return access_key
