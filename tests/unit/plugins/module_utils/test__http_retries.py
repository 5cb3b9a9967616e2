# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API-level retries: a call that starts something is sent again only when it surely never ran."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, ProviderError, Throttled
from ansible_collections.multicloud.invocations.plugins.module_utils._http import IncompleteAnswer, may_have_reached, with_retries


def attempts_made(failure, idempotent):
    calls = []

    def attempt_once():
        calls.append(1)
        raise failure

    with pytest.raises(type(failure)):
        with_retries(attempt_once, attempts=4, sleep=lambda _seconds: None, pause=lambda _attempt, _after: 0.0, idempotent=idempotent)
    return len(calls)


def lost_reply():
    return ProviderError("cannot reach the endpoint: connection reset", retryable=True)


def never_connected():
    failure = ProviderError("cannot reach the endpoint: connection refused", retryable=True)
    failure.not_sent = True
    return failure


@pytest.mark.parametrize("make_failure, sent_to_a_start", [
    (lost_reply, 1),                                                    # reset after sending: may have run
    (lambda: IncompleteAnswer("ZOS", "zenlayer_zos", 200, "{"), 1),     # answered, cut short: it ran
    (lambda: ProviderError("HTTP 500", retryable=True), 1),             # a server error: unknown
    (never_connected, 4),                                               # no connection: never sent
    (lambda: Throttled("slow down"), 4),                                # refused before anything ran
    (lambda: InvalidInput("bad"), 1),                                   # not retryable at all
])
def test_a_start_is_sent_again_only_when_it_surely_never_ran(make_failure, sent_to_a_start):
    assert attempts_made(make_failure(), idempotent=False) == sent_to_a_start
    # A read (or a start with an idempotency token) is retried whenever the error is transient.
    assert attempts_made(make_failure(), idempotent=True) == (4 if make_failure().retryable else 1)


def test_may_have_reached():
    assert may_have_reached(lost_reply())
    assert not may_have_reached(never_connected())
    assert not may_have_reached(Throttled("slow down"))
    assert not may_have_reached(InvalidInput("bad"))
