# A minimal Object Storage Service (OSS) front-end: objects in memory, PutObject / GetObject /
# DeleteObject by path-style URL (/<bucket>/<key>), each request checked against its OSS
# signature V4 (oss_sign.py). It holds what Cloud Assistant delivers for a run started with
# OssOutputDelivery (alibaba_ecs.py writes there), so a client can read the complete output back.
#
# OSS answers errors as XML (Code, Message, RequestId, HostId) with the request id also in the
# x-oss-request-id header ("OSS error response", https://www.alibabacloud.com/help/en/oss/user-guide/error-responses).
# Requests are claimed by their OSS signature (an Authorization header in OSS4-HMAC-SHA256, or
# x-oss-* headers), so a real SDK pointed at fleetsim with path-style addressing reaches it.
#
# Test knobs (POST /_fleetsim/oss): `denied_buckets` refuse every read (403 AccessDenied, as a
# bucket policy that does not let the caller read); `failing_buckets` make Cloud Assistant's
# delivery fail (OssOutputStatus Failed); `delete` removes objects by oss:// URI, as a lifecycle
# rule would.
from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from fleetsim import oss_sign
from fleetsim.acs_sign import SignatureError
from fleetsim.wire import Request, Response, VendorError


class OssStore:
    """Objects by (bucket, key), and the test knobs above. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.objects: dict[tuple[str, str], bytes] = {}
            self.denied_buckets: set[str] = set()
            self.failing_buckets: set[str] = set()

    def put(self, bucket: str, key: str, body: bytes) -> None:
        with self._lock:
            self.objects[(bucket, key)] = body

    def get(self, bucket: str, key: str) -> bytes | None:
        with self._lock:
            return self.objects.get((bucket, key))

    def delete(self, bucket: str, key: str) -> None:
        with self._lock:
            self.objects.pop((bucket, key), None)

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply {"denied_buckets": [...], "failing_buckets": [...], "delete": ["oss://b/k"]}; ValueError if malformed."""
        unknown = set(changes) - {"denied_buckets", "failing_buckets", "delete"}
        if unknown:
            raise ValueError(f"unknown OSS setting(s): {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
                raise ValueError(f"{name} must be a list of strings")
        for uri in changes.get("delete", []):
            bucket, key = split_uri(uri)
            if not key:
                raise ValueError(f"delete takes oss://bucket/key URIs, got {uri!r}")
            self.delete(bucket, key)
        with self._lock:
            if "denied_buckets" in changes:
                self.denied_buckets = set(changes["denied_buckets"])
            if "failing_buckets" in changes:
                self.failing_buckets = set(changes["failing_buckets"])
            return {"denied_buckets": sorted(self.denied_buckets), "failing_buckets": sorted(self.failing_buckets),
                    "objects": len(self.objects)}


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of oss://bucket/key; the key may be empty (oss://bucket/ or oss://bucket)."""
    if not uri.startswith("oss://"):
        return "", ""
    bucket, _sep, key = uri[len("oss://"):].partition("/")
    return bucket, key


class OssError(VendorError):
    """An OSS error, answered as OSS's XML error document."""


class OssFrontEnd:
    vendor = "alibaba_oss"

    def __init__(self, store: OssStore, settings: Any, secrets_by_key: dict[str, str]) -> None:
        self.store = store
        self.settings = settings
        self.secrets = secrets_by_key

    def reset(self) -> None:
        self.store.reset()

    @staticmethod
    def matches(request: Request) -> bool:
        if request.header("Authorization").startswith("OSS"):
            return True
        return any(name.lower().startswith("x-oss-") for name in request.headers)

    @staticmethod
    def operation(request: Request) -> str:
        return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(request.method, request.method)

    @staticmethod
    def page_token(_request: Request) -> str:
        """OSS object reads have no pages."""
        return ""

    def throttled(self, request: Request) -> Response:
        return self.error_response(request, "ServiceUnavailable", "Please reduce your request rate.", 503)

    def error_response(self, request: Request, code: str, message: str, status: int) -> Response:
        return self._error(OssError(code, message, status), request, str(uuid.uuid4()).replace("-", "").upper()[:24])

    def handle(self, request: Request) -> Response:
        request_id = uuid.uuid4().hex.upper()[:24]
        path, _sep, raw_query = request.path.partition("?")
        bucket, _sep, key = unquote(path.lstrip("/")).partition("/")
        try:
            if not bucket or not key:
                raise OssError("InvalidArgument", "fleetsim's OSS serves objects only: /<bucket>/<key>.", 400)
            try:
                oss_sign.verify(request.method, bucket, key, raw_query, request.headers, self.secrets, self.settings.signing_now())
            except SignatureError as exc:
                response = self._error(OssError(exc.code, exc.message, exc.status), request, request_id)
                response.signature_failed = True
                return response
            return self._object(request, bucket, key, request_id)
        except OssError as exc:
            return self._error(exc, request, request_id, key)

    def _object(self, request: Request, bucket: str, key: str, request_id: str) -> Response:
        op = self.operation(request)
        if request.method == "PUT":
            self.store.put(bucket, key, request.body)
            return self._ok(op, request_id, etag=hashlib.md5(request.body).hexdigest())  # nosec B324  # OSS's ETag is an MD5
        if request.method == "DELETE":
            self.store.delete(bucket, key)
            return Response(204, b"", {"x-oss-request-id": request_id}, operation=op, request_id=request_id)
        if request.method not in ("GET", "HEAD"):
            raise OssError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        if bucket in self.store.denied_buckets:
            raise OssError("AccessDenied", "You have no right to access this object because of bucket acl.", 403)
        body = self.store.get(bucket, key)
        if body is None:
            raise OssError("NoSuchKey", "The specified key does not exist.", 404)
        response = self._ok(op, request_id, etag=hashlib.md5(body).hexdigest())  # nosec B324
        response.body = b"" if request.method == "HEAD" else body
        response.headers["Content-Type"] = "text/plain"
        return response

    @staticmethod
    def _ok(op: str, request_id: str, etag: str) -> Response:
        return Response(200, b"", {"x-oss-request-id": request_id, "ETag": f'"{etag.upper()}"'}, operation=op, request_id=request_id)

    def _error(self, exc: OssError, request: Request, request_id: str, key: str = "") -> Response:
        host = request.header("Host") or "oss.aliyuncs.com"
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
                f"  <Code>{escape(exc.code)}</Code>\n  <Message>{escape(exc.message)}</Message>\n"
                f"  <RequestId>{request_id}</RequestId>\n  <HostId>{escape(host)}</HostId>\n"
                + (f"  <Key>{escape(key)}</Key>\n" if key and exc.code == "NoSuchKey" else "")
                + "</Error>\n").encode()
        return Response(exc.status, body, {"Content-Type": "application/xml", "x-oss-request-id": request_id},
                        operation=self.operation(request), request_id=request_id)
