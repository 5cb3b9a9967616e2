# A small, independent Zenlayer ZOS client for the tests: ZC2-HMAC-SHA256 signing written from
# Zenlayer's SDK (deliberately not sharing code with fleetsim.zc2_sign).
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

VERSION = "2025-10-10"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zc2_authorization(access_key: str, password: str, timestamp: str, content_type: str, host: str, body: bytes) -> str:
    canonical = f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{_sha256(body)}"
    to_sign = f"ZC2-HMAC-SHA256\n{timestamp}\n{_sha256(canonical.encode())}"
    signature = hmac.new(password.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ZC2-HMAC-SHA256 Credential={access_key}, SignedHeaders=content-type;host, Signature={signature}"


def call(url: str, action: str, payload: dict[str, Any] | None = None, *, path: str = "/api/v2/zos",
         access_key: str = DEFAULT_ACCESS_KEY, secret: str = DEFAULT_SECRET_KEY, token: str | None = None,
         skew: float = 0.0, version: str = VERSION, headers: dict[str, str] | None = None,
         content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
    """(HTTP status, parsed body) of one ZOS call."""
    body = json.dumps(payload or {}).encode()
    host = urlsplit(url).netloc
    sent = {"Content-Type": content_type, "X-ZC-Action": action, "X-ZC-Version": version}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    else:
        stamp = str(int(time.time() + skew))
        sent.update({"X-ZC-Timestamp": stamp, "X-ZC-Signature-Method": "ZC2-HMAC-SHA256",
                     "Authorization": zc2_authorization(access_key, secret, stamp, content_type, host, body)})
    sent.update(headers or {})
    request = urllib.request.Request(url + path, data=body, headers=sent, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def ok(url: str, action: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    status, body = call(url, action, payload, **kwargs)
    assert status == 200, (status, body)
    assert body["requestId"] and body["response"]["requestId"] == body["requestId"]
    return body["response"]


def create(url: str, content: str, cmd_type: str = "SHELL", name: str = "cmd", **extra: Any) -> str:
    return ok(url, "CreateCommand", {"name": name, "type": cmd_type, "content": content, **extra})["commandId"]


def invoke(url: str, command_id: str, instance_ids: list[str], **extra: Any) -> str:
    return ok(url, "InvokeCommand", {"commandId": command_id, "instanceIds": instance_ids, **extra})["invocationId"]


def invocation(url: str, invocation_id: str) -> dict[str, Any] | None:
    found = ok(url, "DescribeCommandInvocations", {"invocationIds": [invocation_id]})["dataSet"]
    return found[0] if found else None
