# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""How long one API request may take: the per-request limit, and what is left of the task's budget.

A wait's budget is a promise: a request in flight when it ends must not carry the task past it,
whether the endpoint never answers or answers a byte a second. Each provider asks ``seconds()``
before every request (its connect and read timeouts, and the time the whole answer may take), and
no request starts when less than ``MIN_REQUEST_SECONDS`` is left.
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, ProviderError

# The per-request limit when request_timeout is not set: a healthy API answers in well under a second,
# and a page of output is rarely more than a few seconds away.
DEFAULT_REQUEST_TIMEOUT = 30.0
# A request is not started with less than this left of the budget: it could not finish in time.
MIN_REQUEST_SECONDS = 1.0


class BudgetSpent(ProviderError):
    """Too little of the task's budget is left for another request. Transient for the waiter, which
    then ends the wait as timed out with everything it saw."""

    def __init__(self, left: float, provider: str | None = None, after: str | None = None) -> None:
        cause = f" after {after}" if after else ""
        super().__init__(f"the time budget is spent ({max(left, 0.0):.1f}s left){cause}: no further request was sent", provider=provider, retryable=True)
        self.not_sent = True
        # False: no request was even tried (the budget is simply over, a timeout); true: one failed
        # and there is no time left to try it again (a failing read, like any transient error).
        self.after_failure = bool(after)


class RequestTimer:
    """The time one request may take, from the per-request limit and the budget (if any)."""

    def __init__(self, limit: t.Any = None, provider: str | None = None, clock: t.Callable[[], float] = time.monotonic) -> None:
        limit = DEFAULT_REQUEST_TIMEOUT if limit in (None, "") else limit
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < MIN_REQUEST_SECONDS:
            raise InvalidInput(f"request_timeout must be a number of seconds, at least {MIN_REQUEST_SECONDS:g}, got {limit!r}", provider=provider)
        self.limit = float(limit)
        self._provider = provider
        self._clock = clock
        self._ends_at: float | None = None

    def budget(self, seconds: float) -> None:
        """From now on, no request runs past ``seconds`` from now."""
        self._ends_at = self._clock() + max(seconds, 0.0)

    def left(self) -> float | None:
        """Seconds left of the budget, or None without one."""
        return None if self._ends_at is None else self._ends_at - self._clock()

    def seconds(self) -> float:
        """The time the next request may take; raises BudgetSpent when it should not start."""
        left = self.left()
        if left is None:
            return self.limit
        if left < MIN_REQUEST_SECONDS:
            raise BudgetSpent(left, self._provider)
        return min(self.limit, left)

    def bound(self) -> float:
        """The time a request already let through by ``seconds()`` (or by a retry check) may still take:
        the limit, or what is left of the budget. Never refused: the SDK's own work between that check
        and the send (building and signing the request, loading its models on a first call) must not
        turn an admitted request into a refused one."""
        left = self.left()
        return self.limit if left is None else max(0.0, min(self.limit, left))
