# Plain request/response values passed between the HTTP server and the vendor front-ends,
# so front-ends can be tested and written without knowing about http.server.
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable


class VendorError(Exception):
    """An error a front-end answers with: the vendor's ``code``, ``message`` and HTTP ``status``
    (``default_status`` when not given). Each vendor's error is a subclass, shaped by its front-end."""

    default_status = 400

    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = self.default_status if status is None else status


@dataclass
class Request:
    method: str
    path: str                      # raw request target, including any query string
    headers: dict[str, str]        # as received (original case)
    body: bytes
    client: str = ""

    def header(self, name: str, default: str = "") -> str:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # What the server logs and counts; set by the front-end.
    operation: str = "-"
    request_id: str = "-"
    signature_failed: bool = False
    # Close the connection without answering (an injected connection reset, see faults.py).
    drop_connection: bool = False
    # Keep the connection open without answering for this many seconds (a `hold` mishap).
    hold_seconds: float = 0.0
    # Send the answer one byte every this many seconds (a `trickle` mishap).
    trickle_seconds: float = 0.0


def json_response(status: int, payload: Any, content_type: str = "application/json", **extra: Any) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": content_type}, **extra)


def is_amz_target(request: Request, prefix: str) -> bool:
    """Whether ``request`` is an AWS JSON-protocol call to the service whose X-Amz-Target starts with ``prefix``."""
    return request.method == "POST" and request.header("X-Amz-Target").startswith(prefix)


def amz_operation(request: Request, prefix: str) -> str:
    """The operation an AWS JSON-protocol request names after ``prefix`` in X-Amz-Target ("-" when it names none)."""
    return request.header("X-Amz-Target")[len(prefix):] or "-"


class AmzTargetRouting:
    """``matches`` and ``operation`` of a front-end for an AWS JSON-protocol service, the one whose
    X-Amz-Target starts with the class's ``target_prefix``."""

    target_prefix: str

    def matches(self, request: Request) -> bool:
        return is_amz_target(request, self.target_prefix)

    def operation(self, request: Request) -> str:
        return amz_operation(request, self.target_prefix)


def json_object_body(body: bytes, refuse: Callable[[str], Exception]) -> dict[str, Any]:
    """The JSON object of an AWS JSON-protocol request body; anything else raises refuse(message),
    the front-end's own error (each service names the code it answers a malformed body with)."""
    try:
        params = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise refuse("Request body is not valid JSON") from exc
    if not isinstance(params, dict):
        raise refuse("Request body must be a JSON object")
    return params
