# Wrong answers on demand (`POST /_fleetsim/config {"wrong_answers": [...]}`): a chosen operation of
# a chosen vendor is answered with something that is not the documented shape, the way a gateway,
# a captive portal or a misconfigured proxy in front of the API answers. Unlike `--faults` (random
# draws), these are set by a test for exactly the operation it exercises, and need no --faults.
#
# Each rule: {"vendor": "aws_ssm" | "alibaba_ecs" | "zenlayer_zos", "operation": "<Operation or Action>",
#             "answer": one of ANSWERS, "times": N (optional; default: every request)}.
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from fleetsim.faults import proxy_page
from fleetsim.wire import Response

VENDORS = ("aws_ssm", "alibaba_ecs", "zenlayer_zos")
ANSWERS = {
    # The request is handled; its real answer is replaced (HTTP 200).
    "list": "a JSON list holding the real answer, where an object belongs",
    "wrong_types": "the real answer with each top-level field (Zenlayer: each field of `response`) of another type: "
                   "a list becomes its length, an object its JSON text, a string its length, a number a string",
    "empty": "an empty JSON object {}",
    "unrelated": "a JSON object of some other service",
    # The request is not handled.
    "html500": "HTTP 500 with an HTML error page (text/html), as a proxy whose backend fails answers",
}
# Handled first (the service did the work), then the answer is spoiled on its way back.
HANDLED = frozenset(("list", "wrong_types", "empty", "unrelated"))
UNRELATED = {"status": "UP", "components": {"diskSpace": {"status": "UP"}}, "service": "health-check"}


class WrongAnswerError(ValueError):
    """A wrong_answers rule that cannot be understood."""


@dataclass
class Rule:
    vendor: str
    operation: str
    answer: str
    times: int | None = None   # None: every matching request

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"vendor": self.vendor, "operation": self.operation, "answer": self.answer}
        if self.times is not None:
            described["times"] = self.times
        return described


class WrongAnswers:
    """The rules in force, and how many answers each spoiled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self.given: dict[str, int] = {}

    @staticmethod
    def parse(rules: Any) -> list[Rule]:
        if not isinstance(rules, list):
            raise WrongAnswerError("wrong_answers must be a list of rules (an empty list removes them)")
        parsed = []
        for rule in rules:
            if not isinstance(rule, dict) or set(rule) - {"vendor", "operation", "answer", "times"}:
                raise WrongAnswerError("each wrong_answers rule is an object with vendor, operation, answer and optionally times")
            if rule.get("vendor") not in VENDORS:
                raise WrongAnswerError(f"wrong_answers vendor must be one of {', '.join(VENDORS)}, got {rule.get('vendor')!r}")
            if not isinstance(rule.get("operation"), str) or not rule["operation"]:
                raise WrongAnswerError("wrong_answers operation must be the vendor's operation or action name")
            if rule.get("answer") not in ANSWERS:
                raise WrongAnswerError(f"wrong_answers answer must be one of {', '.join(ANSWERS)}, got {rule.get('answer')!r}")
            times = rule.get("times")
            if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
                raise WrongAnswerError("wrong_answers times must be a whole number of 1 or more")
            parsed.append(Rule(rule["vendor"], rule["operation"], rule["answer"], times))
        return parsed

    def set(self, rules: list[Rule]) -> None:
        with self._lock:
            self._rules = list(rules)

    def reset(self) -> None:
        with self._lock:
            self._rules = []
            self.given = {}

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def pick(self, vendor: str, operation: str) -> str | None:
        """The wrong answer this request gets, or None; counts it and uses up one of its `times`."""
        with self._lock:
            for rule in self._rules:
                if rule.vendor == vendor and rule.operation == operation:
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times == 0:
                            self._rules.remove(rule)
                    self.given[rule.answer] = self.given.get(rule.answer, 0) + 1
                    return rule.answer
        return None

    @staticmethod
    def unhandled(answer: str, operation: str) -> Response | None:
        """The answer given instead of handling the request, for the kinds that do not reach the service."""
        if answer == "html500":
            page = proxy_page(500, "Internal Server Error", operation=operation)
            return page
        return None

    @staticmethod
    def spoil(answer: str, vendor: str, response: Response) -> Response:
        """The real (successful) answer replaced by a wrong one; errors pass unchanged."""
        if not 200 <= response.status < 300:
            return response
        try:
            real = json.loads(response.body or b"null")
        except ValueError:
            real = None
        if answer == "list":
            wrong: Any = [real]
        elif answer == "empty":
            wrong = {}
        elif answer == "unrelated":
            wrong = UNRELATED
        else:
            wrong = _wrong_types(real, vendor)
        response.body = json.dumps(wrong, separators=(",", ":")).encode()
        response.headers["Content-Type"] = "application/json"
        return response


def _wrong_types(real: Any, vendor: str) -> Any:
    if not isinstance(real, dict):
        return real
    if vendor == "zenlayer_zos" and isinstance(real.get("response"), dict):
        # Zenlayer wraps every answer in {"requestId", "response"}: the fields that matter are inside.
        return dict(real, response=_wrong_types(real["response"], ""))
    return {key: _other_type(value) for key, value in real.items()}


def _other_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (int, float)):
        return str(value)
    return value
