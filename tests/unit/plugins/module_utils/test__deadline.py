# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The time one request may take, and an answer read against the clock."""

from __future__ import annotations

import types

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _http
from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import BudgetSpent, RequestTimer
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._http import may_have_reached, with_retries


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_limit_alone_without_a_budget():
    timer = RequestTimer(None, clock=Clock())
    assert timer.seconds() == 30.0 and timer.left() is None
    assert RequestTimer(5).seconds() == 5.0


def test_a_budget_shortens_requests_and_stops_them_near_its_end():
    clock = Clock()
    timer = RequestTimer(30, clock=clock)
    timer.budget(20)
    assert timer.seconds() == 20.0
    clock.now += 15
    assert timer.seconds() == 5.0
    clock.now += 4.5
    with pytest.raises(BudgetSpent) as caught:
        timer.seconds()
    assert "budget is spent" in caught.value.message
    # It never left: a start stopped here cannot have run.
    assert caught.value.retryable and not may_have_reached(caught.value)


def test_a_request_let_through_keeps_what_is_left_even_under_a_second():
    # The SDK's own work between the check and the send must not refuse an admitted request.
    clock = Clock()
    timer = RequestTimer(30, clock=clock)
    assert timer.bound() == 30.0
    timer.budget(20)
    clock.now += 19.2
    assert timer.bound() == pytest.approx(0.8)
    clock.now += 5
    assert timer.bound() == 0.0


@pytest.mark.parametrize("limit", [0, 0.5, -3, "soon", True])
def test_a_bad_request_timeout_is_refused(limit):
    with pytest.raises(InvalidInput, match="request_timeout must be a number of seconds, at least 1"):
        RequestTimer(limit)


def test_retries_do_not_sleep_past_the_budget():
    calls, sleeps = [], []

    def attempt_once():
        calls.append(1)
        raise ProviderError("HTTP 503", retryable=True)

    with pytest.raises(ProviderError):
        with_retries(attempt_once, attempts=4, sleep=sleeps.append, pause=lambda _attempt, _after: 2.0, time_left=lambda: 2.5)
    assert (len(calls), sleeps) == (1, [])


class Trickle:
    """An answer that arrives one byte per read, one second of a fake clock apiece."""

    def __init__(self, clock, body):
        self.clock, self.body, self.closed = clock, body, False

    def read1(self, _size):
        self.clock.now += 1.0
        piece, self.body = self.body[:1], self.body[1:]
        return piece


def response_with(reader):
    response = types.SimpleNamespace(raw=types.SimpleNamespace(_fp=reader), closed=False)
    response.close = lambda: setattr(response, "closed", True)
    return response


def test_an_answer_is_read_whole_before_its_deadline(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(monotonic=clock))
    assert _http._read_by(response_with(Trickle(clock, b'{"a": 1}')), clock.now + 60) == b'{"a": 1}'


def test_a_trickled_answer_is_cut_at_its_deadline(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(monotonic=clock))
    response = response_with(Trickle(clock, b"x" * 1000))
    with pytest.raises(_http.AnswerTooSlow):
        _http._read_by(response, clock.now + 5)
    assert response.closed and clock.now <= 100.0 + 6
