# A small, independent Alibaba RPC client for the tests: ACS3-HMAC-SHA256 or RPC v1 signing
# written from Alibaba Cloud's signature documentation (deliberately not sharing code with fleetsim.acs_sign).
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import quote

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

VERSION = "2014-05-26"
REGION = "cn-hangzhou"


def _enc(text: str) -> str:
    return quote(str(text), safe="-_.~")


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))


def flatten(params: dict[str, Any]) -> dict[str, str]:
    """Lists become Name.N, lists of dicts Name.N.Key, dicts JSON, booleans "true"/"false"."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, list):
            for number, item in enumerate(value, start=1):
                if isinstance(item, dict):
                    for sub, subvalue in item.items():
                        flat[f"{key}.{number}.{sub}"] = str(subvalue)
                else:
                    flat[f"{key}.{number}"] = str(item)
        elif isinstance(value, dict):
            flat[key] = json.dumps(value)
        elif isinstance(value, bool):
            flat[key] = "true" if value else "false"
        else:
            flat[key] = str(value)
    return flat


def now_stamp(offset_seconds: float = 0.0) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def acs3_authorization(method: str, path: str, params: dict[str, str], headers: dict[str, str], access_key: str,
                       secret: str) -> str:
    signed = sorted(headers)
    canonical = "\n".join([method, path, _query(params), "".join(f"{h}:{headers[h].strip()}\n" for h in signed),
                           ";".join(signed), headers["x-acs-content-sha256"]])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={access_key},SignedHeaders={';'.join(signed)},Signature={signature}"


def rpc_signature(method: str, params: dict[str, str], secret: str) -> str:
    to_sign = f"{method}&{_enc('/')}&{_enc(_query(params))}"
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def call(url: str, action: str, params: dict[str, Any] | None = None, *, style: str = "acs3", method: str = "POST",
         access_key: str = DEFAULT_ACCESS_KEY, secret: str = DEFAULT_SECRET_KEY, date: str | None = None,
         nonce: str | None = None, path: str = "/", version: str = VERSION, region: str | None = REGION,
         extra_headers: dict[str, str] | None = None, unsigned_headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """One signed request; returns (HTTP status, JSON body, response headers)."""
    flat = flatten(dict(params or {}))
    if region is not None:
        flat.setdefault("RegionId", region)
    host = url.split("//", 1)[1]
    headers: dict[str, str] = {}
    if style == "acs3":
        headers = {"host": host, "x-acs-action": action, "x-acs-version": version, "x-acs-date": date or now_stamp(),
                   "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
                   "x-acs-content-sha256": hashlib.sha256(b"").hexdigest()}
        if method == "POST":
            headers["content-type"] = "application/x-www-form-urlencoded"   # urllib adds it; it must be signed
        headers.update({k.lower(): v for k, v in (extra_headers or {}).items()})
        headers["Authorization"] = acs3_authorization(method, path, flat, headers, access_key, secret)
        headers.update(unsigned_headers or {})
    else:
        flat.update({"Action": action, "Version": version, "Format": "JSON", "AccessKeyId": access_key,
                     "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
                     "SignatureNonce": nonce or uuid.uuid4().hex, "Timestamp": date or now_stamp()})
        flat["Signature"] = rpc_signature(method, flat, secret)
    request = urllib.request.Request(f"{url}{path}?{_query(flat)}", data=b"" if method == "POST" else None,
                                     headers={k: v for k, v in headers.items() if k != "host"}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def ok(url: str, action: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    status, body, _headers = call(url, action, params, **kwargs)
    assert status == 200, body
    return body
