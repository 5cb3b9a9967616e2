# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The pause between two poll rounds, spent listening to status events instead of sleeping.

:class:`EventWake` is the waiter's ``pause_with`` (``_waiter.Pause``). It long-polls an event queue
(``_sqs_events.EventQueue``) for at most the pause and returns as soon as an event says something
worth a read happened to a run being waited on; the waiter then reads at once. Events never decide
anything: they can be late, repeated, out of order or lost, so the read that follows is what
counts, and a lost event only costs the lag of the usual pacer.

Worth a read is an event with a final status about a run being waited on that the last round did
not already see final: the run's command ended (command-level event), an instance the wait names
ended, (when the failure policy may stop at a failure) any of its instances did not succeed, or
as many instances ended during this pause as the last round left open, so the wait may be over
(the command's own event may come a moment later). An instance that succeeded while others still
run changes no decision, so it wakes nobody.

A queue that cannot be read is reported once (``unreadable``, which the wait's result turns into
one warning) and the wait goes on with plain sleeps; a later slice of the same wait does not try again.
"""

from __future__ import annotations

import math
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._sqs_events import MAX_WAIT_SECONDS, QueueUnreadable, StatusEvent
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import SUCCESS, is_terminal

# SQS waits whole seconds: a pause shorter than this is slept.
LONG_POLL_AT_LEAST = 1.0


class EventWake:
    """Listens to ``queue`` during the pauses of a wait on ``run_ids`` (and ``instance_ids``, if named)."""

    def __init__(
        self,
        queue: t.Any,
        run_ids: t.Iterable[str],
        instance_ids: t.Iterable[str] = (),
        *,
        follow_failures: bool = True,
        longest_poll: t.Callable[[], float] = lambda: float(MAX_WAIT_SECONDS),
        sleep: t.Callable[[float], None] = time.sleep,
        clock: t.Callable[[], float] = time.monotonic,
        unreadable: str | None = None,
    ) -> None:
        self._queue = queue
        self._runs = frozenset(run_ids)
        self._instances = frozenset(instance_ids)
        self.follow_failures = follow_failures
        # The longest a long poll may last now (the per-request limit, less a second for the answer).
        self._longest_poll = longest_poll
        self._sleep = sleep
        self._clock = clock
        # (command id, instance id or None) already announced final: a repeated event wakes nobody.
        self._announced: set[tuple[str, str | None]] = set()
        # Targets the last round left open, and the instances announced final since (this pause).
        self._open = 0
        self._ended_in_pause: set[tuple[str, str | None]] = set()
        self.woke_rounds = 0
        # Events about other runs, or not worth a read: received, deleted, and otherwise ignored.
        self.ignored = 0
        # The error text once the queue could not be read (the wait then sleeps): given when an
        # earlier slice of the wait, or setting the queue up, already failed.
        self.unreadable = unreadable

    @property
    def announces_changes(self) -> bool:
        return self.unreadable is None

    def __call__(self, seconds: float, snapshot: t.Any) -> None:
        ends = self._clock() + max(seconds, 0.0)
        seen_final = final_targets(getattr(snapshot, "records", None) or [])
        self._open = open_targets(snapshot)
        self._ended_in_pause = set()
        while self.unreadable is None:
            left = min(ends - self._clock(), self._longest_poll())
            if left < LONG_POLL_AT_LEAST:
                break
            # SQS waits whole seconds. The part of a second is slept first, not last: a message
            # that comes meanwhile waits in the queue for the long poll, while one that came during
            # a sleep at the end would only be seen by the next round.
            if left > math.floor(left):
                self._sleep(left - math.floor(left))
            try:
                events = self._queue.receive(math.floor(left))
            except QueueUnreadable as error:
                # The wait's result warns once (_wait_task.events_warning); from now on, plain sleeps.
                self.unreadable = error.describe()
                break
            # Every event is looked at (not only up to the first worth a read), so each is announced once.
            worth = [event for event in events if event is not None and self._worth_a_read(event, seen_final)]
            if worth:
                self.woke_rounds += 1
                return
        left = ends - self._clock()
        if left > 0:
            self._sleep(left)

    def _worth_a_read(self, event: StatusEvent, seen_final: set[tuple[str, str | None]]) -> bool:
        if event.command_id not in self._runs or not is_terminal(event.status):
            self.ignored += 1
            return False
        key = (event.command_id, event.instance_id)
        if key in self._announced or key in seen_final:
            self.ignored += 1
            return False
        if event.instance_id is None:
            worth = True
        elif self._instances:
            worth = event.instance_id in self._instances
        else:
            self._ended_in_pause.add(key)
            worth = (self.follow_failures and event.status != SUCCESS) or 0 < self._open <= len(self._ended_in_pause)
        if worth:
            self._announced.add(key)
        else:
            self.ignored += 1
        return worth

    def report(self, before: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        """The result's ``events``: this wait's counts, added to those of the slices ``before`` it."""
        counts = self._queue.counts() if self._queue is not None else {"received": 0, "ours": 0}
        calls = self._queue.calls if self._queue is not None else 0
        before = before or {}
        unreadable: t.Any = self.unreadable if self.unreadable is not None else before.get("unreadable", False)
        return {
            "received": int(before.get("received", 0)) + counts["received"],
            "ours": int(before.get("ours", 0)) + counts["ours"],
            "woke_rounds": int(before.get("woke_rounds", 0)) + self.woke_rounds,
            "sqs_calls": int(before.get("sqs_calls", 0)) + calls,
            "unreadable": unreadable or False,
        }


def open_targets(snapshot: t.Any) -> int:
    """Targets the round that ``snapshot`` holds left open, or not visible yet (0 when it cannot say)."""
    summarize = getattr(snapshot, "summary", None)
    if summarize is None:
        return 0
    summary = summarize()
    return int(summary.get("open", 0)) + int(summary.get("not_visible", 0))


def final_targets(records: t.Iterable[dict[str, t.Any]]) -> set[tuple[str, str | None]]:
    """(command id, instance id) of every record a round already read as final."""
    return {(record.get("command_id"), record.get("instance_id")) for record in records if record.get("terminal")}
