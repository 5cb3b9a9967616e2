# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Typed errors raised by providers and the waiter.

Only modules turn these into ``fail_json``; everything below them raises. Each error keeps what
the vendor said (code, request id, HTTP status) so that the message an operator reads can be
traced back to one vendor request.
"""

from __future__ import annotations

import typing as t


class InvocationError(Exception):
    """Base class of every error the collection raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        # True when the same call may succeed later (5xx, connection reset, not visible yet).
        self.retryable = retryable
        self.message = message
        self.provider = provider
        self.code = code
        self.request_id = request_id
        self.http_status = http_status

    def describe(self) -> str:
        """The message with the vendor facts appended, for ``msg``."""
        facts = []
        if self.code:
            facts.append(f"error code {self.code}")
        if self.request_id:
            facts.append(f"request id {self.request_id}")
        if self.http_status:
            facts.append(f"HTTP {self.http_status}")
        if not facts:
            return self.message
        return f"{self.message} ({', '.join(facts)})"

    def as_result(self) -> dict[str, t.Any]:
        """The vendor facts as result keys, so a playbook can branch on them."""
        return {
            "error_code": self.code,
            "request_id": self.request_id,
            # The kind of the nearest class that has one, so a subclass keeps its family's kind.
            "error_kind": next((ERROR_KINDS[kind] for kind in type(self).__mro__ if kind in ERROR_KINDS), "error"),
        }


def vendor_message(message: t.Any, first_sentence: bool = False) -> str:
    """A vendor's error message fit to quote inside ours.

    Trimmed, without its final full stop (ours follows where a sentence is added, and "..", one
    from the vendor and one from us, read as a typo), and without what follows a blank line: AWS
    appends the canonical request and the string to sign it computed to a signature error, every
    signed header's value included. With ``first_sentence``, only the first sentence is kept.
    """
    text = str(message or "").strip().split("\n\n", 1)[0].strip()
    if first_sentence:
        end = text.find(". ")
        if end != -1:
            text = text[:end]
    return text.rstrip(". ") or "no message"


class InvalidInput(InvocationError):
    """The options cannot work: caught before any API call, or refused by the vendor as invalid."""


class NotFound(InvocationError):
    """A command, invocation or instance does not exist (or is not visible yet)."""


class AccessDenied(InvocationError):
    """Credentials missing, wrong, or without permission for the call."""


class Throttled(InvocationError):
    """The vendor asked us to slow down and the API-level retries did not get through."""

    def __init__(self, message: str, **kwargs: t.Any) -> None:
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)


class ProviderError(InvocationError):
    """Any other vendor or transport failure."""


class MissingDependency(InvocationError):
    """A Python library the provider needs is not installed where the module runs."""

    def __init__(self, library: str, import_traceback: str | None) -> None:
        super().__init__(f"the Python library {library} is required")
        self.library = library
        self.import_traceback = import_traceback


ERROR_KINDS = {
    InvalidInput: "invalid_input",
    NotFound: "not_found",
    AccessDenied: "access_denied",
    Throttled: "throttled",
    ProviderError: "provider_error",
    MissingDependency: "missing_dependency",
}


class StartUnconfirmed(ProviderError):
    """A start whose answer was lost and whose outcome could not be read back: it may have started.
    Neither sent nor not sent, so a caller that sends in batches sends no further batch."""


def start_unconfirmed(failure: InvocationError, started: str, check: str) -> ProviderError:
    """The error for a start whose answer was lost and whose outcome could not be read back.

    ``started`` names what may have started, ``check`` says how to find out. The task must not be
    run again blindly: that could run the command twice, which is what this error exists to stop.
    """
    return StartUnconfirmed(
        f"{started} may have started, but its answer was lost ({failure.message}) and it could not be confirmed. "
        f"Check before running the task again, or the command may run twice: {check}",
        provider=failure.provider, code=failure.code, request_id=failure.request_id, http_status=failure.http_status,
    )
