# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""A well-formed id the vendor does not show yet: "not visible yet" for ``not_found_grace`` seconds.

The vendors' read APIs are eventually consistent: right after a command is sent, by this task or
by any other task, job or tool, every read of it may answer as if it did not exist (SSM
``InvalidCommandId``, ``InvocationDoesNotExist`` or an empty list; Alibaba Cloud and Zenlayer an
empty list). Providers turn each of those answers into :class:`NotFound`; an id whose format
cannot exist fails its check before any call, so it never reaches this loop.

:func:`read_when_visible` asks again until the grace ends, then says the id never became visible,
which reads differently from refused credentials (``AccessDenied``) or a bad option.
"""

from __future__ import annotations

import random
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import NotFound

T = t.TypeVar("T")

# The pause between two reads of an id not visible yet: from half a second (SSM shows a command
# within about a second), doubling to this cap, jittered so parallel tasks spread apart.
FIRST_PAUSE = 0.5
PAUSE_CAP = 4.0


def never_visible(error: NotFound, waited: float) -> NotFound:
    """The error that ends a grace: what was not found, for how long, with the vendor's facts kept."""
    return NotFound(
        f"{error.message}; it never became visible within {waited:g}s (not_found_grace); check the id, the region and the account",
        provider=error.provider,
        code=error.code,
        request_id=error.request_id,
        http_status=error.http_status,
    )


def read_when_visible(
    read: t.Callable[[], T],
    grace: float,
    *,
    budget: float | None = None,
    is_invisible: t.Callable[[T], str | None] | None = None,
    sleep: t.Callable[[float], None] = time.sleep,
    clock: t.Callable[[], float] = time.monotonic,
    rand: t.Callable[[], float] = random.random,
) -> T:
    """``read()``, asked again while it raises NotFound, for at most ``grace`` seconds.

    ``budget`` (the task's timeout) caps the grace: no pause carries the task past it.
    ``is_invisible`` lets a caller call an answer "not there" too (a command with targets but no
    invocation yet): it returns why, or None. With no grace, the first answer stands (the NotFound as the vendor gave it).
    """
    limit = grace if budget is None else min(grace, float(budget))
    start = clock()
    pause = FIRST_PAUSE
    while True:
        try:
            answer = read()
            reason = is_invisible(answer) if is_invisible else None
            if reason is None:
                return answer
            raise NotFound(reason)
        except NotFound as error:
            if limit <= 0:
                raise
            left = limit - (clock() - start)
            if left <= 0:
                raise never_visible(error, limit) from error
        sleep(min(pause * (0.75 + rand() / 2), left))
        pause = min(pause * 2, PAUSE_CAP)
