# Targeted mishaps (`POST /_fleetsim/mishaps`): what the network between a client and the API does
# to one chosen operation, set by a test for the next N requests of that operation. Unlike
# `--faults` (random draws over every request) a mishap hits exactly the call a test is about, so a
# test can say "the SendCommand reply is lost" and then check the command ran exactly once.
#
#   lose_reply  the service handles the request (the command runs), then the connection is reset
#               before the answer goes out: a proxy or NAT entry that dropped it on the way back.
#   hold        the request is accepted and never answered (held `seconds`, or until the client
#               gives up): an endpoint stuck behind a load balancer. The service never sees it.
#   trickle     the service handles the request and its answer goes out one byte every `seconds`.
#   refuse      the service refuses the request with the vendor's error `code` (HTTP `status`,
#               `message`), in the vendor's error shape and with a request id; nothing is done.
#               A refusal the vendor documents for that call (SSM SendCommand: InvalidInstanceId
#               for an instance that stopped, ThrottlingException...), on exactly the call a test names.
#
# `skip` lets that many matching requests through untouched before the rule starts to hit, so a
# test can say "the second SendCommand's reply is lost".
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("lose_reply", "hold", "trickle", "refuse")
# How long a held connection is kept open at most when the rule does not say (longer than any
# client budget a test uses); the hold ends as soon as the client closes its side.
DEFAULT_HOLD_SECONDS = 600.0
DEFAULT_TRICKLE_SECONDS = 1.0


class MishapError(ValueError):
    """A mishap rule that cannot be understood."""


@dataclass
class Mishap:
    kind: str
    operation: str
    vendor: str = ""        # '' = any vendor's operation of that name
    count: int = 1          # requests still to hit; -1 = every one
    seconds: float = 0.0    # hold: how long at most; trickle: the pause between bytes
    fired: int = 0
    skip: int = 0           # matching requests still to let through before the rule hits
    code: str = ""          # refuse: the vendor's error code
    message: str = ""       # refuse: its message
    status: int = 400       # refuse: its HTTP status

    @classmethod
    def parse(cls, rule: Any) -> "Mishap":
        if not isinstance(rule, dict):
            raise MishapError(f"a mishap rule is a JSON object, got {rule!r}")
        unknown = set(rule) - {"kind", "operation", "vendor", "count", "seconds", "skip", "code", "message", "status"}
        if unknown:
            raise MishapError(f"unknown mishap field(s): {', '.join(sorted(unknown))}")
        kind = rule.get("kind")
        if kind not in KINDS:
            raise MishapError(f"mishap kind must be one of {', '.join(KINDS)}, got {kind!r}")
        operation = rule.get("operation")
        if not isinstance(operation, str) or not operation:
            raise MishapError("a mishap needs the operation it hits, e.g. {\"operation\": \"SendCommand\"}")
        count = rule.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or (count < 1 and count != -1):
            raise MishapError(f"count is how many requests the mishap hits (1 or more, -1 for all), got {count!r}")
        default = DEFAULT_HOLD_SECONDS if kind == "hold" else DEFAULT_TRICKLE_SECONDS if kind == "trickle" else 0.0
        seconds = rule.get("seconds", default)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise MishapError(f"seconds must be a number of seconds, got {seconds!r}")
        vendor = rule.get("vendor") or ""
        if not isinstance(vendor, str):
            raise MishapError(f"vendor must be a front-end name such as 'aws_ssm', got {vendor!r}")
        skip = rule.get("skip", 0)
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
            raise MishapError(f"skip is how many matching requests pass before the rule hits (0 or more), got {skip!r}")
        code, message, status = rule.get("code"), rule.get("message"), rule.get("status", 400)
        if kind == "refuse":
            if not isinstance(code, str) or not code:
                raise MishapError("a refuse mishap needs the vendor's error code, e.g. {\"code\": \"InvalidInstanceId\"}")
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise MishapError(f"status is the HTTP status of the refusal (400 to 599), got {status!r}")
            if message is not None and not isinstance(message, str):
                raise MishapError(f"message must be a string, got {message!r}")
        elif code is not None or message is not None or "status" in rule:
            raise MishapError("code, message and status belong to a refuse mishap only")
        return cls(kind, operation, vendor, count, float(seconds), skip=skip, code=code or "", message=message or code or "",
                   status=status)

    def public(self) -> dict[str, Any]:
        described = {"kind": self.kind, "operation": self.operation, "vendor": self.vendor, "count": self.count,
                     "seconds": self.seconds, "fired": self.fired, "skip": self.skip}
        if self.kind == "refuse":
            described.update(code=self.code, message=self.message, status=self.status)
        return described


class Mishaps:
    """The rules a test set, and how often each has hit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Mishap] = []

    def set(self, rules: Any) -> None:
        if not isinstance(rules, list):
            raise MishapError('expected {"rules": [...]}: a list of mishap rules')
        parsed = [Mishap.parse(rule) for rule in rules]
        with self._lock:
            self._rules = parsed

    def reset(self) -> None:
        with self._lock:
            self._rules = []

    def take(self, vendor: str, operation: str) -> Mishap | None:
        """The rule that hits this request (counted), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.operation == operation and rule.vendor in ("", vendor) and rule.count != 0:
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    if rule.count > 0:
                        rule.count -= 1
                    rule.fired += 1
                    return rule
        return None

    def public(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.public() for rule in self._rules]
