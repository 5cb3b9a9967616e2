# Fault injection (`fleetsim serve --faults SPEC`): the failures a real API and the network in
# front of it produce, in each vendor's own error shapes, drawn from a seeded random source.
#
# The server asks `before` whether a request gets a fault instead of an answer, and `after`
# whether a real answer is spoiled on its way out. Eventual consistency (`late`) and clock skew
# (`skew`) are not per-request draws: the front-ends read them through `Settings`.
from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fleetsim.ratelimit import TokenBucket
from fleetsim.wire import Request, Response

# Per-request faults, drawn in this order from one uniform number (at most one per request).
PER_REQUEST = ("throttle", "5xx", "html", "reset", "slow", "truncate")
# Settings that are not probabilities.
SETTINGS = ("seed", "rate", "burst", "late", "skew", "slow_seconds", "expire")
# A moderate mix of everything, for `--faults mixed`.
PRESETS = {
    "mixed": {"throttle": 0.06, "5xx": 0.04, "html": 0.03, "reset": 0.03, "truncate": 0.03,
              "late": 2.0, "expire": 0.3, "skew": 240.0},
}

# What a vendor answers for a server-side failure: (HTTP status, code, message).
SERVER_ERRORS = {
    "aws_ssm": [(500, "InternalServerError", "Internal Server Error"),
                (503, "ServiceUnavailable", "Service Unavailable")],
    "alibaba_ecs": [(500, "InternalError", "The request processing has failed due to some unknown error."),
                    (503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")],
    "zenlayer_zos": [(500, "INTERNAL_SERVER_ERROR", "Internal server error."),
                     (503, "SERVICE_TEMPORARY_UNAVAILABLE", "Service temporarily unavailable, please try again later.")],
    "aws_logs": [(500, "ServiceUnavailableException", "The service cannot complete the request."),
                 (503, "ServiceUnavailableException", "The service cannot complete the request.")],
    "alibaba_oss": [(500, "InternalError", "We encountered an internal error. Please try again."),
                    (503, "ServiceUnavailable", "Please reduce your request rate.")],
}
# An expired page token, in the vendor's words. Zenlayer pages by number and has no token to expire.
EXPIRED_TOKEN = {
    "aws_ssm": (400, "InvalidNextToken", "The specified token is not valid."),
    "alibaba_ecs": (400, "InvalidParam.NextToken", 'The specified parameter "NextToken" is not valid.'),
}
# What a load balancer or proxy in front of the API answers when the service behind it is gone.
PROXY_PAGES = [
    (502, "Bad Gateway"),
    (504, "Gateway Time-out"),
]


class FaultSpecError(ValueError):
    """The --faults text cannot be understood."""


@dataclass
class FaultPlan:
    """What to inject: per-request probabilities and the settings beside them."""

    probabilities: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    rate: float = 0.0          # a token bucket with `burst` tokens refilled at `rate` a second
    burst: float = 0.0
    late: float = 0.0          # each command stays invisible for a draw in [0, late] seconds more
    skew: float = 0.0          # the server's clock for signature checks runs this many seconds ahead
    slow_seconds: float = 35.0  # how long a `slow` request is held before the connection is dropped
    expire: float = 0.0        # chance that a request carrying a page token finds it expired

    @classmethod
    def parse(cls, text: str) -> "FaultPlan":
        """`kind=value,...`; a preset name (`mixed`) may come first and later items override it."""
        plan = cls()
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise FaultSpecError("--faults is empty; give e.g. 'throttle=0.1,5xx=0.05,seed=3' or 'mixed'")
        for item in items:
            if "=" not in item:
                if item not in PRESETS:
                    raise FaultSpecError(f"unknown fault preset {item!r}; presets: {', '.join(PRESETS)}")
                for key, value in PRESETS[item].items():
                    plan._set(key, value)
                continue
            key, raw = (part.strip() for part in item.split("=", 1))
            try:
                value = float(raw)
            except ValueError as exc:
                raise FaultSpecError(f"fault {key!r} needs a number, got {raw!r}") from exc
            plan._set(key, value)
        if sum(plan.probabilities.values()) > 1.0:
            raise FaultSpecError("the per-request fault probabilities add up to more than 1")
        if plan.burst and not plan.rate:
            raise FaultSpecError("burst needs rate (requests a second refilled into the burst)")
        return plan

    def _set(self, key: str, value: float) -> None:
        if key in PER_REQUEST:
            if not 0.0 <= value <= 1.0:
                raise FaultSpecError(f"fault {key!r} is a probability between 0 and 1, got {value:g}")
            self.probabilities[key] = value
        elif key in SETTINGS:
            if key == "expire" and not 0.0 <= value <= 1.0:
                raise FaultSpecError(f"fault 'expire' is a probability between 0 and 1, got {value:g}")
            if key not in ("skew",) and value < 0:
                raise FaultSpecError(f"fault setting {key!r} must not be negative")
            setattr(self, key, int(value) if key == "seed" else value)
        else:
            raise FaultSpecError(f"unknown fault {key!r}; known: {', '.join(PER_REQUEST + SETTINGS)}")

    def describe(self) -> dict[str, Any]:
        return {"probabilities": dict(self.probabilities), "seed": self.seed, "rate": self.rate, "burst": self.burst,
                "late": self.late, "skew": self.skew, "slow_seconds": self.slow_seconds, "expire": self.expire}


class FaultInjector:
    """Draws and renders faults for one server; counts what it injected, per vendor."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        # Per-request faults can be paused (POST /_fleetsim/config {"faults_active": false}), e.g.
        # while a test sets up; late commands and clock skew stay in force.
        self.active = True
        self._lock = threading.Lock()
        self._bucket = TokenBucket(plan.rate, burst=plan.burst or None) if plan.rate else None
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._random = random.Random(f"fleetsim-faults:{self.plan.seed}")
            self._late: dict[str, float] = {}
            self.injected: dict[str, dict[str, int]] = {}
            self.dropped = 0

    def counts(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {vendor: dict(kinds) for vendor, kinds in self.injected.items()}

    def _count(self, vendor: str, kind: str) -> None:
        with self._lock:
            per_vendor = self.injected.setdefault(vendor, {})
            per_vendor[kind] = per_vendor.get(kind, 0) + 1

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()

    # -- settings read by the front-ends ------------------------------------------------------

    def late_delay(self, command_id: str) -> float:
        """Extra seconds this command's invocations stay invisible (the same on every read)."""
        if self.plan.late <= 0:
            return 0.0
        with self._lock:
            if command_id not in self._late:
                self._late[command_id] = self._random.uniform(0.0, self.plan.late)
            return self._late[command_id]

    # -- per request ------------------------------------------------------------------------

    def before(self, front_end: Any, request: Request) -> Fault:
        """The fault drawn for this request: an answer given instead of handling it, or `truncate`
        (handle it, then cut the answer), or none."""
        vendor = front_end.vendor
        if not self.active:
            return Fault("")
        if self._bucket is not None and not self._bucket.allow():
            self._count(vendor, "burst")
            return Fault("burst", front_end.throttled(request))
        if self.plan.expire and vendor in EXPIRED_TOKEN and front_end.page_token(request):
            if self._draw() < self.plan.expire:
                self._count(vendor, "expire")
                status, code, message = EXPIRED_TOKEN[vendor]
                return Fault("expire", front_end.error_response(request, code, message, status))
        kind = self._pick()
        if kind is None:
            return Fault("")
        self._count(vendor, kind)
        operation = front_end.operation(request)
        if kind == "throttle":
            return Fault(kind, front_end.throttled(request))
        if kind == "5xx":
            choices = SERVER_ERRORS[vendor]
            status, code, message = choices[int(self._draw() * len(choices))]
            return Fault(kind, front_end.error_response(request, code, message, status))
        if kind == "html":
            return Fault(kind, proxy_page(*PROXY_PAGES[int(self._draw() * len(PROXY_PAGES))], operation=operation))
        if kind == "truncate":
            return Fault(kind)
        if kind == "slow":
            # Held past the client's timeout, then dropped unanswered: the request never
            # reached the service (it waited in a queue in front of it).
            time.sleep(self.plan.slow_seconds)
        return Fault(kind, Response(0, operation=operation, drop_connection=True))

    @staticmethod
    def spoil(fault: Fault, response: Response) -> Response:
        """A real answer cut short on its way out (the service did the work; a proxy cut the body)."""
        if fault.kind == "truncate":
            response.body = response.body[: max(1, len(response.body) // 2)]
        return response

    def _pick(self) -> str | None:
        draw = self._draw()
        edge = 0.0
        for kind in PER_REQUEST:
            edge += self.plan.probabilities.get(kind, 0.0)
            if draw < edge:
                return kind
        return None


@dataclass
class Fault:
    """One draw: its kind ('' = none) and the answer that replaces the real one, if any."""

    kind: str
    response: Response | None = None

    @property
    def throttles(self) -> bool:
        return self.kind in ("throttle", "burst")


def proxy_page(status: int, reason: str, operation: str = "-") -> Response:
    """The HTML error page an nginx-style proxy answers: not the vendor's JSON."""
    title = f"{status} {reason}"
    body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n").encode()
    return Response(status, body, {"Content-Type": "text/html"}, operation=operation)


def json_body_token(request: Request, key: str = "NextToken") -> str:
    """The page token in a JSON request body (SSM), or ''."""
    try:
        params = json.loads(request.body or b"{}")
    except ValueError:
        return ""
    return str(params.get(key) or "") if isinstance(params, dict) else ""
