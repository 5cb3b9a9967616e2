# Opaque, tamper-evident page tokens shared by the vendor front-ends.
#
# A token records the offset of the next item and a digest of the query it belongs to, so a
# token replayed with different filters is rejected the way the real services reject it.
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any


class BadToken(ValueError):
    """The token is malformed or belongs to another query."""


def query_digest(query: Any) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def make_token(offset: int, query: Any) -> str:
    raw = json.dumps({"o": offset, "q": query_digest(query)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(token: str | None, query: Any) -> int:
    """Offset encoded in `token` (0 when there is none)."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["o"])
        digest = data["q"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadToken(token) from exc
    if offset < 0 or digest != query_digest(query):
        raise BadToken(token)
    return offset
