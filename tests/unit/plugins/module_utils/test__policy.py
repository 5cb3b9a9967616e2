# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure policy: records in, one verdict out."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._policy import (
    UNDELIVERABLE_IGNORED,
    VERDICT_FAILED,
    VERDICT_SUCCESS,
    VERDICT_TIMED_OUT,
    FailurePolicy,
    judge,
    lost,
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
