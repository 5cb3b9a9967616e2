# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure policy: records in, one verdict out."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._policy import (
    STOP_NEVER,
    STOP_WHEN_DECIDED,
    STOP_WHEN_FAILED,
    UNDELIVERABLE_IGNORED,
    VERDICT_FAILED,
    VERDICT_SUCCESS,
    VERDICT_TIMED_OUT,
    FailurePolicy,
    decided,
    judge,
    lost,
    settled,
    should_stop,
)

ALL = FailurePolicy()


def test_all_must_succeed_passes_when_all_succeeded(recs):
    verdict = judge(recs("success", "success", "success"), ALL)
    assert verdict.verdict == VERDICT_SUCCESS
    assert verdict.passed is True
    assert (verdict.succeeded, verdict.failed, verdict.open, verdict.ignored) == (3, 0, 0, 0)
    assert verdict.success_percent == 100.0
    assert verdict.reason == "3 of 3 targets succeeded; policy: all targets must succeed, undeliverable targets count as failures"


@pytest.mark.parametrize("bad", ["failed", "timed_out", "cancelled", "undeliverable"])
def test_all_must_succeed_fails_on_any_failure(recs, bad):
    verdict = judge(recs("success", bad, "success"), ALL)
    assert verdict.verdict == VERDICT_FAILED
    assert verdict.passed is False
    assert verdict.failed == 1
    assert verdict.success_percent == 66.67
    assert verdict.reason.startswith("1 of 3 targets failed; policy: all targets must succeed")


@pytest.mark.parametrize(
    "statuses, max_failures, expected",
    [
        (("success", "failed", "failed"), 2, VERDICT_SUCCESS),
        (("success", "failed", "failed"), 1, VERDICT_FAILED),
        (("failed",), 0, VERDICT_FAILED),
        (("success",), 0, VERDICT_SUCCESS),
        (("failed", "timed_out", "cancelled", "undeliverable"), 4, VERDICT_SUCCESS),
        (("failed", "timed_out", "cancelled", "undeliverable"), 3, VERDICT_FAILED),
    ],
)
def test_max_failures(recs, statuses, max_failures, expected):
    assert judge(recs(*statuses), FailurePolicy(max_failures=max_failures)).verdict == expected


@pytest.mark.parametrize(
    "statuses, percent, expected",
    [
        (("success",) * 9 + ("failed",), 90, VERDICT_SUCCESS),
        (("success",) * 9 + ("failed",), 90.5, VERDICT_FAILED),
        (("success", "failed"), 50, VERDICT_SUCCESS),
        (("success", "failed"), 51, VERDICT_FAILED),
        (("failed", "failed"), 0, VERDICT_SUCCESS),
        (("success", "success"), 100, VERDICT_SUCCESS),
    ],
)
def test_min_success_percent(recs, statuses, percent, expected):
    assert judge(recs(*statuses), FailurePolicy(min_success_percent=percent)).verdict == expected


@pytest.mark.parametrize(
    "max_failures, percent, expected",
    [
        (1, 75, VERDICT_SUCCESS),  # 1 failed of 4, 75 %
        (0, 75, VERDICT_FAILED),  # the count breaks it
        (1, 80, VERDICT_FAILED),  # the percentage breaks it
        (5, 10, VERDICT_SUCCESS),
    ],
)
def test_both_thresholds_must_hold(recs, max_failures, percent, expected):
    verdict = judge(recs("success", "success", "success", "failed"), FailurePolicy(max_failures=max_failures, min_success_percent=percent))
    assert verdict.verdict == expected
    assert "at most" in verdict.reason and "at least" in verdict.reason


def test_undeliverable_counts_as_failure_by_default(recs):
    verdict = judge(recs("success", "undeliverable"), ALL)
    assert verdict.verdict == VERDICT_FAILED
    assert (verdict.failed, verdict.ignored) == (1, 0)


def test_undeliverable_ignored_leaves_it_out_of_verdict_and_percentage(recs):
    policy = FailurePolicy(min_success_percent=100, undeliverable=UNDELIVERABLE_IGNORED)
    verdict = judge(recs("success", "undeliverable", "undeliverable"), policy)
    assert verdict.verdict == VERDICT_SUCCESS
    assert (verdict.succeeded, verdict.failed, verdict.ignored) == (1, 0, 2)
    assert verdict.success_percent == 100.0
    assert "undeliverable targets are ignored" in verdict.reason


def test_ignoring_undeliverable_does_not_ignore_other_failures(recs):
    policy = FailurePolicy(undeliverable=UNDELIVERABLE_IGNORED)
    assert judge(recs("success", "undeliverable", "timed_out"), policy).verdict == VERDICT_FAILED


def test_nothing_ran_fails(recs):
    verdict = judge(recs("undeliverable", "undeliverable"), FailurePolicy(undeliverable=UNDELIVERABLE_IGNORED))
    assert verdict.verdict == VERDICT_FAILED
    assert verdict.success_percent is None
    assert verdict.reason.startswith("no target ran (2 undeliverable and ignored)")


def test_open_targets_that_could_still_pass_give_timed_out(recs):
    verdict = judge(recs("success", "running", "pending"), ALL)
    assert verdict.verdict == VERDICT_TIMED_OUT
    assert verdict.passed is False
    assert verdict.open == 2
    assert verdict.reason.startswith("2 of 3 targets had not finished")


def test_targets_not_visible_count_as_open(recs):
    verdict = judge(recs("success"), ALL, expected=3)
    assert verdict.verdict == VERDICT_TIMED_OUT
    assert verdict.open == 2
    assert verdict.success_percent == 33.33


def test_open_targets_but_already_lost_give_failed(recs):
    verdict = judge(recs("failed", "running", "running"), ALL)
    assert verdict.verdict == VERDICT_FAILED
    assert verdict.open == 2
    # Even if both open targets succeed, 1 of 3 is below 90 %.
    verdict = judge(recs("success", "failed", "running"), FailurePolicy(min_success_percent=90))
    assert verdict.verdict == VERDICT_FAILED


def test_open_targets_with_room_left_give_timed_out(recs):
    assert judge(recs("failed", "running"), FailurePolicy(max_failures=1)).verdict == VERDICT_TIMED_OUT
    assert judge(recs("success", "failed", "running", "running"), FailurePolicy(min_success_percent=75)).verdict == VERDICT_TIMED_OUT


def test_lost_is_what_fail_fast_stops_on(recs):
    fast = FailurePolicy(fail_fast=True)
    assert lost(recs("failed", "running", "running"), fast)
    assert not lost(recs("success", "running"), fast)
    assert not lost(recs("failed", "running"), FailurePolicy(max_failures=1, fail_fast=True))
    assert lost(recs("failed", "failed", "running"), FailurePolicy(max_failures=1, fail_fast=True))
    assert lost(recs("success"), fast, expected=10) is False
    assert lost(recs("failed"), FailurePolicy(min_success_percent=95), expected=10)


def test_lost_is_false_while_nothing_is_visible_yet():
    assert lost([], FailurePolicy(fail_fast=True)) is False


def test_verdict_as_result(recs):
    result = judge(recs("success"), ALL).as_result()
    assert result == {
        "verdict": "success",
        "passed": True,
        "reason": "1 of 1 targets succeeded; policy: all targets must succeed, undeliverable targets count as failures",
        "succeeded": 1,
        "failed": 0,
        "open": 0,
        "ignored": 0,
        "success_percent": 100.0,
    }


def test_describe():
    assert FailurePolicy(max_failures=2, min_success_percent=87.5, fail_fast=True, undeliverable=UNDELIVERABLE_IGNORED).describe() == (
        "at most 2 failed, at least 87.5% succeeded, undeliverable targets are ignored, fail fast"
    )


# --- Can the targets still open change the verdict? -------------------------------------------


@pytest.mark.parametrize(
    "succeeded, failed, open_, policy, expected",
    [
        # The gate: at most one failure, five failed, one offline: decided, failed.
        (0, 5, 1, FailurePolicy(max_failures=1), VERDICT_FAILED),
        (0, 2, 4, FailurePolicy(max_failures=1), VERDICT_FAILED),
        # One failure and one open target: the open one decides.
        (4, 1, 1, FailurePolicy(max_failures=1), None),
        # Five succeeded, one open, one failure allowed: even if it fails, the gate passes.
        (5, 0, 1, FailurePolicy(max_failures=1), VERDICT_SUCCESS),
        (5, 1, 1, FailurePolicy(max_failures=1), None),
        # Every target must succeed: a failure decides, an open target never does.
        (2, 1, 3, ALL, VERDICT_FAILED),
        (5, 0, 1, ALL, None),
        # A share: 8 of 10 must succeed. 3 failed is lost; 8 succeeded is won; 7 and 1 is open.
        (5, 3, 2, FailurePolicy(min_success_percent=80), VERDICT_FAILED),
        (8, 0, 2, FailurePolicy(min_success_percent=80), VERDICT_SUCCESS),
        (7, 1, 2, FailurePolicy(min_success_percent=80), None),
        # Both thresholds: the pass needs both in the worst case.
        (8, 0, 2, FailurePolicy(max_failures=1, min_success_percent=80), None),
        (9, 0, 1, FailurePolicy(max_failures=1, min_success_percent=80), VERDICT_SUCCESS),
        # Nothing succeeded yet: every open target could end undeliverable and ignored, and a set
        # where nothing ran fails, so a pass is never decided from failures allowed alone.
        (0, 0, 3, FailurePolicy(max_failures=5), None),
        # Nothing open: the verdict is whatever the targets say.
        (3, 1, 0, FailurePolicy(max_failures=1), VERDICT_SUCCESS),
        (0, 0, 0, FailurePolicy(max_failures=1), VERDICT_FAILED),
    ],
)
def test_decided(succeeded, failed, open_, policy, expected):
    assert decided(succeeded, failed, open_, policy) == expected


def test_settled_counts_targets_not_visible_as_open(recs):
    # One failure allowed, two seen and four more announced: lost whatever the four do.
    assert settled(recs("failed", "failed"), FailurePolicy(max_failures=1), expected=6) == VERDICT_FAILED
    # Five of six succeeded, the sixth not visible yet: it could fail, and one failure is allowed.
    assert settled(recs(*["success"] * 5), FailurePolicy(max_failures=1), expected=6) == VERDICT_SUCCESS
    assert settled(recs(*["success"] * 5), FailurePolicy(), expected=6) is None
    assert settled([], FailurePolicy(max_failures=1), expected=6) is None


def test_settled_takes_the_counters_successes_as_a_hint(recs):
    policy = FailurePolicy(max_failures=1)
    # One failure read; of the other five, the counters say four ended well: one open is left.
    assert settled(recs("failed"), policy, expected=6, counted_success=4) is None
    assert settled(recs("success"), policy, expected=6, counted_success=4) == VERDICT_SUCCESS
    # Never more than the targets without a record.
    assert settled(recs("failed"), policy, expected=2, counted_success=9) == VERDICT_SUCCESS


@pytest.mark.parametrize(
    "policy, mode",
    [
        (ALL, STOP_NEVER),
        (FailurePolicy(fail_fast=True), STOP_WHEN_FAILED),
        (FailurePolicy(max_failures=1), STOP_WHEN_FAILED),
        (FailurePolicy(min_success_percent=90), STOP_WHEN_FAILED),
        (FailurePolicy(max_failures=1, stop_early=STOP_NEVER), STOP_NEVER),
        (FailurePolicy(stop_early=STOP_WHEN_DECIDED), STOP_WHEN_DECIDED),
    ],
)
def test_a_threshold_stops_a_lost_wait_by_default(policy, mode):
    assert policy.stop_mode == mode


def test_should_stop_on_a_lost_verdict_by_default_and_on_a_won_one_only_when_asked(recs):
    lost_so_far = recs("failed", "failed", "pending")
    won_so_far = recs("success", "success", "pending")
    assert should_stop(lost_so_far, FailurePolicy(max_failures=1)) == VERDICT_FAILED
    assert should_stop(won_so_far, FailurePolicy(max_failures=1)) is None
    assert should_stop(won_so_far, FailurePolicy(max_failures=1, stop_early=STOP_WHEN_DECIDED)) == VERDICT_SUCCESS
    assert should_stop(lost_so_far, FailurePolicy(max_failures=1, stop_early=STOP_WHEN_DECIDED)) == VERDICT_FAILED
    assert should_stop(lost_so_far, FailurePolicy(max_failures=1, stop_early=STOP_NEVER)) is None
    # Without a threshold the wait keeps every target's final status, unless told otherwise.
    assert should_stop(recs("failed", "running"), ALL) is None
    assert should_stop(recs("failed", "running"), FailurePolicy(stop_early=STOP_WHEN_FAILED)) == VERDICT_FAILED


def test_judge_names_the_targets_that_had_not_finished(recs):
    verdict = judge(recs("failed", "failed", "pending"), FailurePolicy(max_failures=1))
    assert verdict.verdict == VERDICT_FAILED
    assert verdict.reason.startswith("2 of 3 targets failed, 1 had not finished; policy: at most 1 failed")


def test_a_decided_pass_is_a_success_only_for_a_wait_that_stopped_on_it(recs):
    records = recs("success", "success", "pending")
    policy = FailurePolicy(max_failures=1)
    assert judge(records, policy).verdict == VERDICT_TIMED_OUT
    verdict = judge(records, policy, pass_when_decided=True)
    assert verdict.verdict == VERDICT_SUCCESS
    assert verdict.passed is True
    assert verdict.open == 1
    assert verdict.reason.startswith("2 of 3 targets succeeded, 1 had not finished and could no longer change the verdict")
    # Not decided: still timed out.
    assert judge(recs("success", "failed", "pending"), policy, pass_when_decided=True).verdict == VERDICT_TIMED_OUT
