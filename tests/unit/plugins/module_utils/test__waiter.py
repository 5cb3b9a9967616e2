# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The poll loop, driven by a fake clock: nothing here sleeps."""

from __future__ import annotations

import random

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import BudgetSpent
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    NotFound,
    ProviderError,
    Throttled,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import (
    ENDED_CHECKPOINT,
    ENDED_DECIDED,
    ENDED_ERROR,
    ENDED_FAIL_FAST,
    ENDED_FINISHED,
    ENDED_TIMEOUT,
    MAX_CONSECUTIVE_TRANSIENT_ERRORS,
    Snapshot,
    WaitSettings,
    final_read_reserve,
    wait_for,
)


class Script:
    """A poll function that plays a list of snapshots or errors; the last entry repeats."""

    def __init__(self, clock, *steps):
        self._clock = clock
        self._steps = list(steps)
        self.times: list[float] = []

    def __call__(self) -> Snapshot:
        self.times.append(self._clock.elapsed)
        step = self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]
        if isinstance(step, Exception):
            raise step
        return step


def snap(rec, *statuses, complete=None, expected=None, missing=None):
    records = [rec(status, f"i-{index:017x}") for index, status in enumerate(statuses)]
    done = all(record["terminal"] for record in records) and bool(records)
    return Snapshot(
        records=records,
        expected=len(records) if expected is None else expected,
        complete=done if complete is None else complete,
        missing=list(missing or []),
    )


def settings(**kwargs):
    kwargs.setdefault("timeout", 600.0)
    return WaitSettings(**kwargs)


def test_finishes_on_a_complete_snapshot(fake_clock, rec):
    last = snap(rec, "success", "failed")
    poll = Script(fake_clock, snap(rec, "running", "running"), snap(rec, "success", "running"), last)
    outcome = wait_for(poll, settings(interval=2), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED
    assert outcome.snapshot is last
    assert outcome.polls == 3
    assert outcome.throttled == 0
    assert outcome.error is None
    assert outcome.timed_out is False
    assert outcome.elapsed == pytest.approx(4.0)
    assert poll.times == [0.0, 2.0, 4.0]


def test_delay_before_the_first_poll(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "success"))
    outcome = wait_for(poll, settings(delay=7), **fake_clock.hooks())
    assert poll.times == [7.0]
    assert fake_clock.sleeps == [7.0]
    assert outcome.elapsed == pytest.approx(7.0)


def test_delay_longer_than_the_budget_is_cut_to_the_budget(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "running"))
    outcome = wait_for(poll, settings(timeout=5, delay=50), **fake_clock.hooks())
    # Cut to leave the one read its time in the budget (a request needs a second, plus half a second of slack and 0.05 s for a page).
    assert fake_clock.sleeps == pytest.approx([3.45])
    assert poll.times == pytest.approx([3.45])
    assert outcome.ended_because == ENDED_TIMEOUT


def test_timeout_returns_the_last_snapshot(fake_clock, rec):
    snapshots = [snap(rec, "pending", "pending")] + [snap(rec, "success", "running") for dummy in range(20)]
    poll = Script(fake_clock, *snapshots)
    outcome = wait_for(poll, settings(timeout=10, interval=2, backoff=1.0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT
    assert outcome.timed_out is True
    assert outcome.error is None
    assert outcome.elapsed == pytest.approx(10.0)
    assert poll.times == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert outcome.polls == 6
    assert [record["status"] for record in outcome.snapshot.records] == ["success", "running"]


def test_final_poll_happens_at_the_deadline(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "running"))
    outcome = wait_for(poll, settings(timeout=10, interval=3, backoff=1.5, max_interval=15), **fake_clock.hooks())
    # Pauses 3 and 4.5 (backing off), then the last pause is cut so the final poll lands on the deadline.
    assert fake_clock.sleeps == pytest.approx([3.0, 4.5, 2.5])
    assert poll.times == pytest.approx([0.0, 3.0, 7.5, 10.0])
    assert outcome.ended_because == ENDED_TIMEOUT
    assert outcome.elapsed == pytest.approx(10.0)


def test_backoff_grows_while_nothing_changes_and_resets_on_change(fake_clock, rec):
    same = snap(rec, "running", "running")
    changed = snap(rec, "success", "running")
    poll = Script(fake_clock, same, same, same, same, same, changed, changed, changed, snap(rec, "success", "success"))
    wait_for(poll, settings(interval=2, backoff=1.5, max_interval=5), **fake_clock.hooks())
    # first poll is a change (nothing seen before): base interval; then x1.5 up to the cap;
    # the change resets to the base interval; then it grows again.
    assert fake_clock.sleeps == pytest.approx([2.0, 3.0, 4.5, 5.0, 5.0, 2.0, 3.0, 4.5])


def test_a_round_that_hides_progress_keeps_the_base_interval_without_a_checkpoint(fake_clock, rec):
    # An aggregate that cannot show the targets' progress (ZOS: which invocations ended): unchanged
    # counts say nothing, so the pause stays at the base interval; it is no change for a checkpoint.
    hidden = Snapshot(unread={"running": 2}, expected=2, progress_hidden=True)
    poll = Script(fake_clock, hidden, hidden, hidden, hidden, snap(rec, "success", "success"))
    outcome = wait_for(poll, settings(interval=2, backoff=1.5, max_interval=5, checkpoint_after=100, checkpoint_min=3), **fake_clock.hooks())
    assert fake_clock.sleeps == pytest.approx([2.0, 2.0, 2.0, 2.0])
    assert outcome.ended_because == ENDED_FINISHED and outcome.polls == 5


def test_a_changed_total_counts_as_a_change(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "running"), snap(rec, "running"), snap(rec, "running", "running"), snap(rec, "success", "success"))
    wait_for(poll, settings(interval=2, backoff=2, max_interval=100), **fake_clock.hooks())
    assert fake_clock.sleeps == pytest.approx([2.0, 4.0, 2.0])


def test_jitter_stays_within_bounds(fake_clock, rec):
    generator = random.Random(1234)
    poll = Script(fake_clock, snap(rec, "running"))
    wait_for(poll, settings(timeout=400, interval=4, max_interval=4, jitter=0.2), **fake_clock.hooks(rand=generator.random))
    pauses = fake_clock.sleeps[:-1]  # the last one is cut to the deadline
    assert len(pauses) > 50
    assert all(3.2 <= pause <= 4.8 for pause in pauses)
    assert max(pauses) - min(pauses) > 1.0  # really spread, not constant


@pytest.mark.parametrize("rand_value, expected", [(0.0, 1.6), (1.0, 2.4), (0.5, 2.0)])
def test_jitter_extremes(fake_clock, rec, rand_value, expected):
    poll = Script(fake_clock, snap(rec, "running"), snap(rec, "success"))
    wait_for(poll, settings(interval=2, jitter=0.2), **fake_clock.hooks(rand=lambda: rand_value))
    assert fake_clock.sleeps == pytest.approx([expected])


def test_not_found_retryable_is_retried_within_the_grace(fake_clock, rec):
    missing = NotFound("not visible yet", retryable=True)
    poll = Script(fake_clock, missing, missing, missing, snap(rec, "success"))
    outcome = wait_for(poll, settings(interval=2, backoff=1.0, not_found_grace=30), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED
    assert outcome.polls == 4
    assert outcome.error is None


def test_not_found_ends_with_never_visible_after_the_grace(fake_clock):
    error = NotFound("command c1 does not exist", code="InvalidCommandId", request_id="r-1", retryable=True)
    poll = Script(fake_clock, error)
    outcome = wait_for(poll, settings(interval=2, backoff=1.0, not_found_grace=10), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert isinstance(outcome.error, NotFound)
    assert outcome.error.message.startswith("command c1 does not exist; it never became visible within 10s")
    assert (outcome.error.code, outcome.error.request_id) == ("InvalidCommandId", "r-1")
    assert poll.times == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert outcome.elapsed == pytest.approx(10.0)


def test_not_found_however_the_vendor_says_it_is_retried_within_the_grace(fake_clock, rec):
    # A well-formed id (a malformed one fails before any call): "not there" means "not visible yet".
    missing = NotFound("InvocationDoesNotExist", retryable=False)
    poll = Script(fake_clock, missing, missing, snap(rec, "success"))
    outcome = wait_for(poll, settings(interval=2, backoff=1.0, not_found_grace=30), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED
    assert outcome.polls == 3


def test_not_found_ends_at_once_without_a_grace(fake_clock):
    error = NotFound("command does not exist", retryable=True)
    poll = Script(fake_clock, error)
    outcome = wait_for(poll, settings(not_found_grace=0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert outcome.error is error
    assert outcome.polls == 1
    assert fake_clock.sleeps == []


def test_not_found_after_targets_were_seen_is_not_called_never_visible(fake_clock, rec):
    error = NotFound("command c1 does not exist")
    seen = snap(rec, "running")
    poll = Script(fake_clock, seen, error)
    outcome = wait_for(poll, settings(interval=2, backoff=1.0, not_found_grace=1), **fake_clock.hooks())
    assert outcome.error is error
    assert outcome.snapshot is seen


def test_throttling_never_ends_the_wait_by_itself(fake_clock):
    error = Throttled("Rate exceeded")
    poll = Script(fake_clock, error)
    outcome = wait_for(poll, settings(timeout=60, interval=1, max_interval=2), **fake_clock.hooks())
    assert outcome.polls > MAX_CONSECUTIVE_TRANSIENT_ERRORS
    assert outcome.ended_because == ENDED_TIMEOUT
    assert outcome.error is None
    assert outcome.throttled == outcome.polls
    assert outcome.elapsed == pytest.approx(60.0)


def test_throttling_slows_down(fake_clock, rec):
    throttled = Throttled("Rate exceeded")
    poll = Script(fake_clock, snap(rec, "running"), throttled, throttled, snap(rec, "success"))
    outcome = wait_for(poll, settings(interval=2, backoff=2, max_interval=100), **fake_clock.hooks())
    assert fake_clock.sleeps == pytest.approx([2.0, 4.0, 8.0])
    assert outcome.throttled == 2
    assert outcome.ended_because == ENDED_FINISHED


def test_transient_errors_end_the_wait_after_the_limit_in_a_row(fake_clock, rec):
    error = ProviderError("HTTP 503", retryable=True)
    first = snap(rec, "running")
    poll = Script(fake_clock, first, error)
    outcome = wait_for(poll, settings(timeout=3600), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert outcome.error is error and f"{MAX_CONSECUTIVE_TRANSIENT_ERRORS} poll rounds failed in a row" in error.message
    assert outcome.polls == 1 + MAX_CONSECUTIVE_TRANSIENT_ERRORS
    assert outcome.snapshot is first


def test_persistent_server_errors_within_the_budget_end_as_an_error_not_a_timeout(fake_clock, rec):
    # A persistent HTTP 500 once ran out the budget and was judged as a verdict: "failed, no target ran".
    error = ProviderError("the endpoint answered with an HTML page", retryable=True, http_status=500)
    first = snap(rec, "running")
    poll = Script(fake_clock, first, error)
    outcome = wait_for(poll, settings(timeout=20, interval=2, max_interval=15), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR and not outcome.timed_out
    assert outcome.error is error and "failed when the budget ran out" in error.message
    assert 1 < outcome.polls < 1 + MAX_CONSECUTIVE_TRANSIENT_ERRORS
    assert outcome.snapshot is first   # every record seen is kept


def test_a_budget_that_ends_after_a_good_round_is_a_timeout(fake_clock, rec):
    error = ProviderError("HTTP 503", retryable=True)
    poll = Script(fake_clock, error, snap(rec, "running"))
    outcome = wait_for(poll, settings(timeout=20, interval=2, max_interval=15), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT and outcome.error is None


def test_a_request_not_sent_for_want_of_budget_is_a_timeout(fake_clock, rec):
    # The provider refuses to start a request with under a second left: the budget is over, and
    # the wait is a timeout with every record seen (not an error about the endpoint).
    first = snap(rec, "running")
    poll = Script(fake_clock, first, BudgetSpent(0.4, "aws_ssm"))
    outcome = wait_for(poll, settings(timeout=20, interval=2, max_interval=15), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT and outcome.error is None
    assert outcome.polls == 2 and outcome.snapshot is first


def test_no_budget_left_after_failing_reads_is_an_error(fake_clock, rec):
    failing = ProviderError("HTTP 503", retryable=True)
    poll = Script(fake_clock, snap(rec, "running"), failing, BudgetSpent(0.4, "aws_ssm"))
    outcome = wait_for(poll, settings(timeout=20, interval=2, max_interval=15), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert outcome.error is failing and "failed when the budget ran out" in failing.message


def test_a_failed_request_with_no_time_left_to_retry_it_counts_as_a_failing_read(fake_clock, rec):
    cut_off = BudgetSpent(0.2, "aws_ssm", after="HTTP 503")
    poll = Script(fake_clock, snap(rec, "running"), cut_off, BudgetSpent(0.1, "aws_ssm"))
    outcome = wait_for(poll, settings(timeout=20, interval=2, max_interval=15), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR and outcome.error is cut_off


def test_transient_errors_count_resets_on_success(fake_clock, rec):
    error = ProviderError("HTTP 503", retryable=True)
    running = snap(rec, "running")
    burst = [error] * (MAX_CONSECUTIVE_TRANSIENT_ERRORS - 1)
    poll = Script(fake_clock, *burst, running, *burst, running, *burst, snap(rec, "success"))
    outcome = wait_for(poll, settings(timeout=36000), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED
    assert outcome.polls == 3 * (MAX_CONSECUTIVE_TRANSIENT_ERRORS - 1) + 3


@pytest.mark.parametrize("error", [ProviderError("boom"), AccessDenied("no"), InvalidInput("bad filter")], ids=["provider", "access", "invalid"])
def test_non_retryable_errors_end_at_once_keeping_the_last_snapshot(fake_clock, rec, error):
    first = snap(rec, "success", "running")
    poll = Script(fake_clock, first, error)
    outcome = wait_for(poll, settings(), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert outcome.error is error
    assert outcome.polls == 2
    assert outcome.snapshot is first


def test_missing_targets_past_the_grace_end_with_not_found(fake_clock, rec):
    waiting = snap(rec, "running", missing=["instance i-0fedcba9876543210 in command c1"])
    poll = Script(fake_clock, waiting)
    outcome = wait_for(poll, settings(interval=2, backoff=1.0, not_found_grace=10), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert isinstance(outcome.error, NotFound)
    assert "10s not-found grace" in outcome.error.message
    assert "instance i-0fedcba9876543210 in command c1" in outcome.error.message
    assert outcome.elapsed == pytest.approx(10.0)
    assert outcome.snapshot is waiting


def test_missing_message_names_ten_and_counts_the_rest(fake_clock, rec):
    names = [f"instance i-{index:017x} in command c1" for index in range(13)]
    poll = Script(fake_clock, snap(rec, "running", missing=names))
    outcome = wait_for(poll, settings(not_found_grace=0), **fake_clock.hooks())
    assert outcome.polls == 1
    assert names[9] in outcome.error.message
    assert names[10] not in outcome.error.message
    assert outcome.error.message.endswith("and 3 more")


def test_missing_targets_that_appear_within_the_grace_are_fine(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "running", missing=["instance i-1"]), snap(rec, "running", "running"), snap(rec, "success", "success"))
    outcome = wait_for(poll, settings(not_found_grace=30), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED


def test_stop_early_ends_with_fail_fast(fake_clock, rec):
    lost_snapshot = snap(rec, "failed", "running")
    poll = Script(fake_clock, snap(rec, "running", "running"), lost_snapshot, snap(rec, "failed", "success"))
    seen = []

    def stop_early(snapshot):
        seen.append(snapshot)
        return any(record["status"] == "failed" for record in snapshot.records)

    outcome = wait_for(poll, settings(), stop_early=stop_early, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FAIL_FAST
    assert outcome.snapshot is lost_snapshot
    assert outcome.polls == 2
    assert len(seen) == 2


def test_complete_wins_over_stop_early(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "failed"))
    outcome = wait_for(poll, settings(), stop_early=lambda snapshot: True, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED


def test_progress_after_every_round_that_read_something(fake_clock, rec):
    running = snap(rec, "running", "running")
    steps = [running] * 3 + [snap(rec, "success", "running"), snap(rec, "success", "success")]
    poll = Script(fake_clock, *steps)
    lines = []

    def on_progress(line):
        lines.append((fake_clock.elapsed, line))

    outcome = wait_for(poll, settings(interval=2, backoff=1.0), on_progress=on_progress, **fake_clock.hooks())
    assert outcome.polls == 5
    # One line per round; which of them the operator sees is the caller's choice (CalmProgress).
    assert [at for at, line in lines] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert lines[0][1] == "0/2 done, 2 running (0s of 600s)"
    assert lines[3][1] == "1/2 done, 1 running, 1 success (6s of 600s)"
    assert lines[-1][1] == "2/2 done, 2 success (8s of 600s)"


def test_no_progress_on_errors(fake_clock):
    lines = []
    poll = Script(fake_clock, Throttled("slow down"))
    wait_for(poll, settings(timeout=100), on_progress=lines.append, **fake_clock.hooks())
    assert lines == []


def test_snapshot_summary():
    assert Snapshot().summary()["total"] == 0


def test_snapshot_summary_counts_targets_known_only_from_the_vendor_counters(rec):
    # One failure read early; the vendor counts 6 more ended and 3 still running that were not read.
    snapshot = Snapshot(records=[rec("failed", "i-1")], expected=10, unread={"success": 6, "failed": 0, "running": 3})
    summary = snapshot.summary()
    assert (summary["total"], summary["expected"], summary["not_visible"]) == (1, 10, 0)
    assert (summary["terminal"], summary["open"]) == (7, 3)
    assert (summary["counts"]["success"], summary["counts"]["failed"], summary["counts"]["running"]) == (6, 1, 3)
    # The aggregate is the records' own: counters never decide a verdict.
    assert summary["aggregate"] == Snapshot(records=[rec("failed", "i-1")], expected=10).summary()["aggregate"]


def test_a_change_in_the_counters_alone_counts_as_a_change(fake_clock, rec):
    counters = [{"success": done, "running": 10 - done} for done in (0, 0, 4, 4, 9)]
    steps = [Snapshot(records=[], expected=10, unread=unread) for unread in counters] + [Snapshot(records=[rec("success", "i-1")], expected=1, complete=True)]
    poll = Script(fake_clock, *steps)
    wait_for(poll, settings(timeout=1000, jitter=0.0), **fake_clock.hooks())
    # 2 s at first; unchanged -> x1.5; the counters moved -> back to 2 s.
    assert fake_clock.sleeps[:5] == pytest.approx([2.0, 3.0, 2.0, 3.0, 2.0])


def counted(expected=3, **unread):
    return Snapshot(records=[], expected=expected, unread=unread or {"success": 1, "running": 2})


def test_a_wait_that_times_out_on_counters_reads_every_target_once(fake_clock, rec):
    full = snap(rec, "success", "running", "running", expected=3)
    reads = []
    poll = Script(fake_clock, counted())
    outcome = wait_for(poll, settings(timeout=10), read_all=lambda: reads.append(1) or full, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT
    assert reads == [1]
    assert outcome.snapshot is full


def test_the_full_read_at_a_timeout_fits_in_the_budget(fake_clock, rec):
    # The request timer refuses to start a request past the budget, so the waiter stops polling
    # while there is still time for the full read (a second plus a page per 50 targets).
    full = snap(rec, "success", "running", "running", expected=3)
    read_at = []
    poll = Script(fake_clock, counted())
    outcome = wait_for(poll, settings(timeout=10, interval=1, max_interval=1), read_all=lambda: read_at.append(fake_clock.elapsed) or full,
                       **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT and outcome.snapshot is full
    assert len(read_at) == 1 and read_at[0] <= 10 - final_read_reserve(3, 0.0) + 1e-9
    assert final_read_reserve(3, 0.0) == pytest.approx(1.55) and final_read_reserve(120, 0.2) == pytest.approx(2.1)


def test_a_fail_fast_stop_on_counters_reads_every_target_once(fake_clock, rec):
    full = snap(rec, "failed", "running", "running")
    poll = Script(fake_clock, Snapshot(records=[rec("failed", "i-1")], expected=3, unread={"running": 2}))
    outcome = wait_for(poll, settings(), stop_early=lambda snapshot: True, read_all=lambda: full, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FAIL_FAST
    assert outcome.snapshot is full


def test_no_full_read_when_the_wait_finished_or_nothing_was_only_counted(fake_clock, rec):
    def never():
        raise AssertionError("read_all must not be called")

    done = snap(rec, "success")
    assert wait_for(Script(fake_clock, done), settings(), read_all=never, **fake_clock.hooks()).snapshot is done
    records_only = snap(rec, "running")
    outcome = wait_for(Script(fake_clock, records_only), settings(timeout=5), read_all=never, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT and outcome.snapshot is records_only


def test_a_failing_full_read_keeps_what_the_counters_said(fake_clock):
    def broken():
        raise Throttled("slow down")

    last = counted()
    outcome = wait_for(Script(fake_clock, last), settings(timeout=5), read_all=broken, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT and outcome.snapshot is last


# -- the early wake-up at a known timeout, and a resumed wait's budget ---------------------------


def test_wakes_up_when_a_known_timeout_falls_due(fake_clock, rec):
    # Backoff alone would look again after 10 s; an open target's delivery timeout falls due in 6.
    due = snap(rec, "running")
    due.wake_in = 6.0
    poll = Script(fake_clock, due, snap(rec, "undeliverable"))
    outcome = wait_for(poll, settings(interval=10, backoff=1.0, jitter=0.0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_FINISHED
    assert poll.times == [0.0, 6.0]


def test_wake_up_is_never_sooner_than_half_the_interval(fake_clock, rec):
    # A timeout already due (wake_in 0) must not turn the loop into a busy poll.
    due = snap(rec, "running")
    due.wake_in = 0.0
    poll = Script(fake_clock, due, snap(rec, "timed_out"))
    wait_for(poll, settings(interval=4, backoff=1.0, jitter=0.0), **fake_clock.hooks())
    assert poll.times == [0.0, 2.0]


def test_a_resumed_wait_has_only_what_is_left_of_the_budget(fake_clock, rec):
    # 50 of the 60 s were spent by earlier slices (and between them): 10 are left.
    poll = Script(fake_clock, snap(rec, "running"))
    outcome = wait_for(poll, settings(timeout=60, already_waited=50, interval=2, backoff=1.0, jitter=0.0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT
    assert fake_clock.elapsed == pytest.approx(10.0)
    assert poll.times[-1] == pytest.approx(10.0)


def test_a_resumed_wait_has_only_what_is_left_of_the_grace(fake_clock):
    poll = Script(fake_clock, NotFound("not visible yet"))
    outcome = wait_for(poll, settings(not_found_grace=30, already_waited=26, interval=2, backoff=1.0, jitter=0.0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_ERROR
    assert fake_clock.elapsed == pytest.approx(4.0)


def test_a_slice_hands_control_back_after_checkpoint_after(fake_clock, rec):
    poll = Script(fake_clock, snap(rec, "running"))
    outcome = wait_for(poll, settings(timeout=600, checkpoint_after=30, interval=10, backoff=1.0, jitter=0.0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_CHECKPOINT
    assert fake_clock.elapsed == pytest.approx(30.0)


def test_a_slice_near_the_deadline_runs_to_the_end(fake_clock, rec):
    # At 30 s only 10 of the 40 s are left: another module start would cost more than a line.
    poll = Script(fake_clock, snap(rec, "running"))
    outcome = wait_for(poll, settings(timeout=40, checkpoint_after=30, interval=10, backoff=1.0, jitter=0.0), **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT
    assert fake_clock.elapsed == pytest.approx(40.0)


def test_a_stop_decided_on_counters_is_confirmed_on_a_full_read(fake_clock, rec):
    # The counters say two of three ended well; the full read shows one of them was cancelled.
    hinted = Snapshot(records=[rec("success", "i-1")], expected=3, unread={"success": 2})
    full = Snapshot(records=[rec("success", "i-1"), rec("cancelled", "i-2"), rec("running", "i-3")], expected=3)
    finished = Snapshot(records=[rec("success", "i-1"), rec("cancelled", "i-2"), rec("success", "i-3")], expected=3, complete=True)
    reads = []

    def read_all():
        reads.append(1)
        return full

    def stop_early(snapshot):
        # Decided when at most one target may still fail: what the counters claim, not what the records say.
        done_well = sum(1 for record in snapshot.records if record["status"] == "success") + snapshot.unread.get("success", 0)
        return ENDED_DECIDED if done_well >= 3 else None

    poll = Script(fake_clock, hinted, finished)
    outcome = wait_for(poll, settings(), stop_early=stop_early, read_all=read_all, **fake_clock.hooks())
    assert len(reads) == 1
    assert outcome.ended_because == ENDED_FINISHED
    assert outcome.snapshot is finished


def test_a_confirmed_decided_stop_ends_with_decided(fake_clock, rec):
    hinted = Snapshot(records=[rec("success", "i-1")], expected=3, unread={"success": 1, "running": 1})
    full = Snapshot(records=[rec("success", "i-1"), rec("success", "i-2"), rec("running", "i-3")], expected=3)
    poll = Script(fake_clock, hinted)
    outcome = wait_for(poll, settings(), stop_early=lambda snapshot: ENDED_DECIDED, read_all=lambda: full, **fake_clock.hooks())
    assert outcome.ended_because == ENDED_DECIDED
    assert outcome.snapshot is full
    assert outcome.polls == 1


def test_targets_open_on_the_counters_are_not_finished_in_the_progress_line(rec):
    # SSM's counters do not tell an offline (pending) instance from a running one: the line says neither.
    from ansible_collections.multicloud.invocations.plugins.module_utils._record import NOT_FINISHED, progress_line

    snapshot = Snapshot(records=[rec("failed", "i-1")], expected=3, unread={"success": 1, NOT_FINISHED: 1})
    line = progress_line(snapshot.summary(), 4, 60)
    assert line == "2/3 done, 1 success, 1 failed, 1 not finished (4s of 60s)"
    assert "running" not in line and "pending" not in line


def _read_all_within(fake_clock, deadline, full, read_at):
    """A full read that, like the request timer, refuses to start with less than a second left."""

    def read_all():
        if deadline - fake_clock.elapsed < 1.0:
            raise BudgetSpent(deadline - fake_clock.elapsed, "aws_ssm")
        read_at.append(fake_clock.elapsed)
        return full

    return read_all


def test_a_sleep_that_overruns_still_leaves_the_full_read_its_time(fake_clock, rec):
    # On a busy machine a pause can end seconds late. The waiter then reads every target at once
    # instead of polling again, so the wait still returns a record for every target (seen failing
    # in invocation_coverage at load 20: the last poll ate the reserve and the read was refused).
    full = snap(rec, "success", "running", "running", expected=3)
    read_at: list[float] = []

    def late_sleep(seconds):
        fake_clock.sleep(seconds + 3.0)

    poll = Script(fake_clock, counted())
    hooks = dict(fake_clock.hooks(), sleep=late_sleep)
    outcome = wait_for(poll, settings(timeout=10, interval=1, max_interval=1), read_all=_read_all_within(fake_clock, 10, full, read_at), **hooks)
    assert outcome.ended_because == ENDED_TIMEOUT
    assert outcome.snapshot is full
    assert len(read_at) == 1


def test_a_slow_poll_round_leaves_room_for_the_next_round_and_the_full_read(fake_clock, rec):
    # Rounds take 0.2 s and 2 s by turns: after a quick one the waiter must still keep room for a
    # slow one, or the slow round eats the time the full read needs.
    full = snap(rec, "success", "running", "running", expected=3)
    read_at: list[float] = []
    durations = iter([0.2, 2.0] * 50)

    def uneven_poll():
        fake_clock.now += next(durations)
        return counted()

    outcome = wait_for(uneven_poll, settings(timeout=20, interval=2, max_interval=2), read_all=_read_all_within(fake_clock, 20, full, read_at),
                       **fake_clock.hooks())
    assert outcome.ended_because == ENDED_TIMEOUT
    assert outcome.snapshot is full
    assert len(read_at) == 1
