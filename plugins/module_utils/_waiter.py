# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The poll loop: one time budget, jittered backoff with a cap, a not-found grace window.

The waiter knows no vendor. It calls ``poll()`` (a provider's batch fetch over everything being
waited on) until the snapshot is complete, the caller says to stop (fail fast), the budget runs
out or an error that waiting cannot cure arrives. It never fails by itself: it returns the last
snapshot and why it stopped, and the module decides what that means. Time is read from a
monotonic clock; clock, sleep and the random source are parameters so unit tests never sleep.

Between rounds it sleeps, or hands the pause to a :class:`Pause` (a wait woken by status events):
that may end the pause early, so the next round reads at once; what a round reads still decides
everything, so events only change when the waiter looks, never what it concludes.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import MIN_REQUEST_SECONDS, BudgetSpent
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError, NotFound, Throttled
from ansible_collections.multicloud.invocations.plugins.module_utils._record import progress_line, summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import is_terminal
from ansible_collections.multicloud.invocations.plugins.module_utils._visibility import never_visible

ENDED_FINISHED = "finished"
# The verdict could no longer be success (fail_fast, or stop_early: failed, the default with thresholds).
ENDED_FAIL_FAST = "fail_fast"
# The verdict could no longer be anything but success (stop_early: decided).
ENDED_DECIDED = "decided"
ENDED_TIMEOUT = "timeout"
ENDED_ERROR = "error"
# The caller asked for control back (to show progress) before the wait ended; it resumes later.
ENDED_CHECKPOINT = "checkpoint"

# A wait with less than this left runs to its end in the slice it is in, with no more progress
# lines: the next slice's module start would cost more than a line is worth, and could end past
# the deadline.
LAST_SLICE_AT_LEAST = 15.0

# Transient errors (5xx, resets) in a row that end a wait: enough to ride out a blip, few enough
# that a broken endpoint is reported well before the budget is gone. Throttling is not counted.
MAX_CONSECUTIVE_TRANSIENT_ERRORS = 8

# For the time kept back for the full read that ends an early stop: the targets a page of it holds
# (SSM and Alibaba list 50 per page) and the least time a page is taken to need.
FULL_READ_PAGE = 50
MIN_PAGE_SECONDS = 0.05
# Between the waiter deciding that a read still fits and the request timer checking it, the module
# builds, signs and hands over the request: on a busy machine that alone can take a fair part of a
# second, and a read refused there loses every record the wait would have returned.
DECISION_SLACK_SECONDS = 0.5


@dataclasses.dataclass
class Snapshot:
    """What one poll round saw."""

    records: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    # How many targets the vendor says exist (at least the number seen).
    expected: int = 0
    # Every expected target is visible and terminal.
    complete: bool = False
    # Targets the caller asked for, or the vendor announced, that are not visible yet.
    missing: list[str] = dataclasses.field(default_factory=list)
    vendor_aggregate: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    # Seconds until the next moment an open target is known to change by itself (a delivery or
    # execution timeout falls due), so the waiter looks right then instead of after a long backoff.
    wake_in: float | None = None
    # Targets known only from the vendor's counters so far, per normalised status (their records
    # are read once their command has ended): they count in the progress, not in the aggregate.
    unread: dict[str, int] = dataclasses.field(default_factory=dict)
    # Set by a watch that paces its own reads (one over several providers, each read at its own
    # pace): seconds until its next read is due, which the waiter sleeps instead of its own pause.
    next_read_in: float | None = None
    # Set by a watch whose round read only an aggregate that hides the targets' progress (ZOS: which
    # invocations have ended): counts that did not move say nothing, so the pacer does not back off.
    progress_hidden: bool = False

    def summary(self) -> dict[str, t.Any]:
        summary = summarize(self.records, self.expected, self.vendor_aggregate)
        if self.unread:
            counted = sum(self.unread.values())
            ended = sum(count for status, count in self.unread.items() if is_terminal(status))
            for status, count in self.unread.items():
                summary["counts"][status] = summary["counts"].get(status, 0) + count
            summary["terminal"] += ended
            summary["open"] += counted - ended
            summary["not_visible"] = max(summary["not_visible"] - counted, 0)
            summary["counts"]["not_visible"] = summary["not_visible"]
        return summary


class Pause(t.Protocol):
    """What a wait does between two rounds instead of sleeping (``_event_wake.EventWake``)."""

    # True while every change worth a read is announced (events are being read): the pacer then
    # backs off even while counts change, and the announcements bring the reads that matter.
    announces_changes: bool

    def __call__(self, seconds: float, snapshot: Snapshot) -> None:
        """Return after ``seconds`` at the latest (earlier when something worth a read happened)."""


@dataclasses.dataclass(frozen=True)
class WaitSettings:
    timeout: float
    delay: float = 0.0
    interval: float = 2.0
    max_interval: float = 15.0
    backoff: float = 1.5
    jitter: float = 0.2
    not_found_grace: float = 30.0
    # Hand control back after this many seconds, or on a change of counts once
    # ``checkpoint_min`` seconds have passed; None waits to the end in one go.
    checkpoint_after: float | None = None
    checkpoint_min: float = 5.0
    # Seconds a resumed wait had already spent: the budget and the grace count from the first slice.
    already_waited: float = 0.0


@dataclasses.dataclass
class WaitOutcome:
    snapshot: Snapshot
    elapsed: float
    ended_because: str
    polls: int
    throttled: int
    error: InvocationError | None = None
    # The pause the pacer had reached, so a resumed wait keeps its backoff.
    interval: float = 0.0

    @property
    def timed_out(self) -> bool:
        return self.ended_because == ENDED_TIMEOUT


class Pacer:
    """Chooses the pause before the next poll.

    While counts change (targets are finishing) it polls at the base interval, so the moment the
    last target ends is seen soon; while nothing changes it backs off towards the cap, so long
    commands cost few calls. Jitter spreads many parallel waits apart.
    """

    def __init__(self, settings: WaitSettings, rand: t.Callable[[], float], interval: float | None = None) -> None:
        self._settings = settings
        self._rand = rand
        self.interval = interval or settings.interval

    def next_pause(self, changed: bool, slow_down: bool = False) -> float:
        settings = self._settings
        if changed and not slow_down:
            self.interval = settings.interval
        else:
            self.interval = min(self.interval * settings.backoff, settings.max_interval)
        spread = 1.0 + settings.jitter * (2.0 * self._rand() - 1.0)
        return max(self.interval * spread, 0.0)


def wait_for(
    poll: t.Callable[[], Snapshot],
    settings: WaitSettings,
    *,
    stop_early: t.Callable[[Snapshot], bool | str | None] | None = None,
    on_progress: t.Callable[[str], None] | None = None,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], None] = time.sleep,
    rand: t.Callable[[], float] = random.random,
    resume_interval: float | None = None,
    read_all: t.Callable[[], Snapshot] | None = None,
    pause_with: Pause | None = None,
) -> WaitOutcome:
    """Poll until done, stopped early, out of budget, or stopped by an error; never raises them.

    ``stop_early`` says whether to stop before every target has ended: True (or
    ENDED_FAIL_FAST) when the verdict can no longer pass, ENDED_DECIDED when it can no longer fail.
    ``resume_interval`` continues the backoff of a wait that handed control back at a checkpoint.
    ``read_all`` reads every target in full: a wait that ends early (timeout, fail fast) while
    some targets are known only from the vendor's counters calls it once, so the result still
    holds a record for every target it saw.
    ``pause_with`` takes the pauses between rounds in place of ``sleep`` (the delay before the first
    round is still slept: nothing has been read yet that an event could confirm).
    """
    start = clock()
    deadline = start + settings.timeout - settings.already_waited
    grace_ends = start + settings.not_found_grace - settings.already_waited
    pacer = Pacer(settings, rand, resume_interval)
    snapshot = Snapshot()
    polls = throttled = transient_in_row = 0
    last_transient: InvocationError | None = None
    last_counts: tuple | None = None

    def outcome(ended_because: str, error: InvocationError | None = None) -> WaitOutcome:
        nonlocal snapshot
        if read_all and snapshot.unread and ended_because in (ENDED_TIMEOUT, ENDED_FAIL_FAST, ENDED_DECIDED):
            try:
                snapshot = read_all()
            except InvocationError:
                pass  # keep what the counters said; the verdict still comes from the records seen
        return WaitOutcome(snapshot, clock() - start, ended_because, polls, throttled, error, pacer.interval)

    # A delay at or past the timeout leaves time for one read, at the deadline, and no more (the
    # module warns about such a delay); it never sleeps past the point where that read still fits.
    one_read_only = False
    if settings.delay > 0:
        available = deadline - clock() - final_read_reserve(1, 0.0)
        one_read_only = settings.delay >= available
        sleep(max(min(settings.delay, available), 0.0))

    longest_poll = latest_wake = 0.0
    while True:
        if read_all and snapshot.unread and deadline - clock() < final_read_reserve(sum(snapshot.unread.values()), longest_poll):
            # The pause ended later than asked (a busy machine): one more round would eat the time
            # the full read needs, so read every target now, while it still fits in the budget.
            return outcome(ENDED_TIMEOUT)
        slow_down = False
        changed = False
        poll_started = clock()
        try:
            polls += 1
            snapshot = poll()
            transient_in_row = 0
            last_transient = None
        except InvocationError as error:
            if isinstance(error, NotFound):
                # On a well-formed id (a malformed one fails before any call), "not there" means
                # "not visible yet" inside the grace, however the vendor says it.
                if clock() >= grace_ends:
                    seen_before = snapshot.records or snapshot.expected or snapshot.unread
                    return outcome(ENDED_ERROR, error if seen_before or settings.not_found_grace <= 0 else never_visible(error, settings.not_found_grace))
            elif isinstance(error, BudgetSpent) and not error.after_failure:
                # No request was sent: too little of the budget is left for one. That is the budget
                # running out (a timeout), unless the reads before it were failing.
                if last_transient is not None:
                    return outcome(ENDED_ERROR, persistent_error(last_transient, transient_in_row, "when the budget ran out"))
                return outcome(ENDED_TIMEOUT)
            elif isinstance(error, Throttled):
                # Throttling never ends a wait by itself: slow down and let the budget decide.
                throttled += 1
                slow_down = True
            elif error.retryable:
                transient_in_row += 1
                last_transient = error
                slow_down = True
                if transient_in_row >= MAX_CONSECUTIVE_TRANSIENT_ERRORS:
                    return outcome(ENDED_ERROR, persistent_error(error, transient_in_row, "in a row"))
            else:
                return outcome(ENDED_ERROR, error)
        else:
            summary = snapshot.summary()
            counts = (summary["total"], summary["expected"], tuple(summary["counts"].values()))
            changed = counts != last_counts
            now = clock()
            if on_progress:
                # Every round that read something; the caller decides which lines to show (CalmProgress).
                on_progress(progress_line(summary, now - start, settings.timeout))
            last_counts = counts
            if snapshot.complete:
                return outcome(ENDED_FINISHED)
            stop = stop_early(snapshot) if stop_early else None
            if stop and read_all and snapshot.unread:
                # A stop decided partly on the vendor's counters is confirmed on every record
                # (read once, and what the wait returns), since counters are only a hint.
                try:
                    snapshot = read_all()
                except InvocationError:
                    stop = None  # not confirmed: go on polling, the next round may read it
                else:
                    stop = stop_early(snapshot)
                    if snapshot.complete:
                        return outcome(ENDED_FINISHED)
            if stop:
                return outcome(stop if isinstance(stop, str) else ENDED_FAIL_FAST)
            if snapshot.missing and now >= grace_ends:
                shown = ", ".join(snapshot.missing[:10])
                more = f" and {len(snapshot.missing) - 10} more" if len(snapshot.missing) > 10 else ""
                return outcome(
                    ENDED_ERROR,
                    NotFound(f"still not visible after the {settings.not_found_grace:g}s not-found grace: {shown}{more}"),
                )
            if settings.checkpoint_after is not None and deadline - now >= LAST_SLICE_AT_LEAST:
                age = now - start
                if age >= settings.checkpoint_after or (changed and age >= settings.checkpoint_min):
                    return outcome(ENDED_CHECKPOINT)

        poll_seconds = clock() - poll_started
        longest_poll = max(longest_poll, poll_seconds)
        remaining = 0.0 if one_read_only else deadline - clock()
        if read_all and snapshot.unread:
            # The full read that ends an early stop is a request like any other and must fit in
            # the budget too: stop polling while there is still time for one more round (as long
            # as the longest so far) and that read.
            remaining -= final_read_reserve(sum(snapshot.unread.values()), longest_poll) + longest_poll
        # A pause that ended late before may end late again (a busy machine): keep that much too.
        remaining -= latest_wake
        if remaining <= 0:
            if last_transient is not None:
                # The budget ran out while every read failed: nothing current is known about the
                # targets, so this is the error, not a verdict on them (it keeps every record seen).
                return outcome(ENDED_ERROR, persistent_error(last_transient, transient_in_row, "when the budget ran out"))
            return outcome(ENDED_TIMEOUT)
        announced = pause_with is not None and pause_with.announces_changes
        pause = min(pacer.next_pause((changed or snapshot.progress_hidden) and not announced, slow_down), remaining)
        if snapshot.next_read_in is not None and not slow_down:
            pause = min(snapshot.next_read_in, remaining)
        elif snapshot.wake_in is not None and not slow_down:
            pause = min(pause, max(snapshot.wake_in, settings.interval / 2))
        asleep_at = clock()
        if pause_with is not None:
            pause_with(pause, snapshot)
        else:
            sleep(pause)
        latest_wake = max(latest_wake, clock() - asleep_at - pause)


def final_read_reserve(targets: int, poll_seconds: float) -> float:
    """Seconds to keep for reading ``targets`` in full at the end: the least time a request may
    start with and the slack before it is sent, plus a page (of up to FULL_READ_PAGE targets) as long
    as a poll round took."""
    pages = max(1, math.ceil(targets / FULL_READ_PAGE))
    return MIN_REQUEST_SECONDS + DECISION_SLACK_SECONDS + pages * max(poll_seconds, MIN_PAGE_SECONDS)


def persistent_error(error: InvocationError, rounds: int, when: str) -> InvocationError:
    """``error`` with the rounds that failed named, so the message says the wait gave up on reading."""
    error.message = f"{error.message} (the wait stopped: {rounds} poll round{'s' if rounds != 1 else ''} failed {when})"
    error.args = (error.message,)
    return error
