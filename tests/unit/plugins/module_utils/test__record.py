# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records, times, the vendor-neutral aggregate (docs/design.md, "Status model") and summaries."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._record import (
    RECORD_FIELDS,
    STEP_FIELDS,
    aggregate_status,
    instance_fields,
    make_step,
    iso8601,
    make_record,
    progress_line,
    summarize,
)

UTC = datetime.timezone.utc


# -- make_record ---------------------------------------------------------------------------------


def test_make_record_fills_every_field_with_none():
    record = make_record("aws_ssm", "running")
    assert tuple(record) == RECORD_FIELDS
    assert record["provider"] == "aws_ssm"
    assert record["status"] == "running"
    assert record["terminal"] is False
    assert record["stdout_truncated"] is False and record["stderr_truncated"] is False
    assert record["steps"] == [] and record["output_warnings"] == []
    assert record["stdout_omitted"] == 0 and record["stderr_omitted"] == 0
    others = set(RECORD_FIELDS) - {"provider", "status", "terminal", "stdout_truncated", "stderr_truncated", "steps", "output_warnings",
                                   "stdout_omitted", "stderr_omitted"}
    assert all(record[name] is None for name in others)


def test_make_step_fills_every_field():
    step = make_step("verify", "failed", exit_code=3)
    assert tuple(step) == STEP_FIELDS
    assert (step["name"], step["status"], step["exit_code"], step["stdout_truncated"]) == ("verify", "failed", 3, False)
    with pytest.raises(TypeError, match="unknown step fields"):
        make_step("verify", "failed", colour="red")


def _steps(*statuses):
    return [
        make_step(f"s{n}", status, exit_code=n, stdout=f"out {n}", started_at=f"2026-01-01T00:00:0{n}.000Z",
                  ended_at=f"2026-01-01T00:00:0{n + 1}.000Z" if status not in ("running", "pending") else None)
        for n, status in enumerate(statuses)
    ]


@pytest.mark.parametrize(
    "statuses, status, deciding",
    [
        (("success", "failed"), "failed", 1),
        (("timed_out", "failed"), "failed", 1),
        (("cancelled", "timed_out"), "timed_out", 1),
        (("undeliverable", "cancelled"), "cancelled", 1),
        (("running", "undeliverable"), "undeliverable", 1),
        (("pending", "running"), "running", 1),
        (("success", "pending"), "pending", 1),
        (("success", "success"), "success", 0),
        (("skipped", "success"), "success", 1),
        (("failed", "failed"), "failed", 0),
    ],
)
def test_instance_status_is_the_first_step_status_in_precedence_order(statuses, status, deciding):
    got, fields = instance_fields(_steps(*statuses), "unknown")
    assert got == status
    # The deciding step's exit code, where its process ended by itself (success, failed).
    assert fields["exit_code"] == (deciding if status in ("success", "failed") else None)
    assert fields["stdout"] == f"out {deciding}"
    assert fields["started_at"] == "2026-01-01T00:00:00.000Z"
    assert len(fields["steps"]) == len(statuses)


def test_instance_with_only_skipped_steps_takes_the_vendor_status():
    status, fields = instance_fields(_steps("skipped"), "success")
    assert status == "success"
    assert "exit_code" not in fields and len(fields["steps"]) == 1


def test_ended_at_is_the_last_step_end_once_the_instance_ended():
    status, fields = instance_fields(_steps("success", "failed"), "failed")
    assert (status, fields["ended_at"]) == ("failed", "2026-01-01T00:00:02.000Z")
    status, fields = instance_fields(_steps("success", "running"), "running")
    assert (status, fields["ended_at"]) == ("running", None)


def test_make_record_keeps_given_fields():
    record = make_record("aws_ssm", "failed", instance_id="i-0123456789abcdef0", exit_code=2, stdout_truncated=1, stderr_truncated="")
    assert record["instance_id"] == "i-0123456789abcdef0"
    assert record["exit_code"] == 2
    assert record["stdout_truncated"] is True
    assert record["stderr_truncated"] is False


def test_make_record_provider_status_and_terminal_cannot_be_overridden():
    record = make_record("aws_ssm", "success", terminal=False)
    assert record["terminal"] is True


def test_make_record_rejects_unknown_fields():
    with pytest.raises(TypeError, match="unknown record fields: \\['colour', 'size'\\]"):
        make_record("aws_ssm", "success", colour="red", size=3)


@pytest.mark.parametrize(
    "status, terminal",
    [
        ("pending", False),
        ("running", False),
        ("cancelling", False),
        ("unknown", False),
        ("success", True),
        ("failed", True),
        ("timed_out", True),
        ("cancelled", True),
        ("undeliverable", True),
    ],
)
def test_make_record_terminal_flag(status, terminal):
    assert make_record("aws_ssm", status)["terminal"] is terminal


# -- iso8601 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (datetime.datetime(2020, 2, 19, 18, 18, 3, 419000, tzinfo=UTC), "2020-02-19T18:18:03.419Z"),
        (datetime.datetime(2020, 2, 19, 20, 18, 3, 419000, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), "2020-02-19T18:18:03.419Z"),
        (datetime.datetime(2020, 2, 19, 18, 18, 3, 419000), "2020-02-19T18:18:03.419Z"),
        (datetime.datetime(2020, 2, 19, 18, 18, 3), "2020-02-19T18:18:03.000Z"),
        (1582136283.419, "2020-02-19T18:18:03.419Z"),
        (1582136283, "2020-02-19T18:18:03.000Z"),
        ("2020-02-19T18:18:03.419Z", "2020-02-19T18:18:03.419Z"),
        ("2020-02-19T18:18:03.419", "2020-02-19T18:18:03.419Z"),
        ("2020-02-19T19:18:03.419+01:00", "2020-02-19T18:18:03.419Z"),
        (" 2020-02-19T18:18:03.419Z ", "2020-02-19T18:18:03.419Z"),
        ("", None),
        (None, None),
    ],
    ids=[
        "aware-utc", "aware-plus2", "naive", "naive-no-fraction", "epoch-float", "epoch-int",
        "iso-z", "iso-naive", "iso-offset", "iso-padded", "empty", "none",
    ],
)
def test_iso8601(value, expected):
    assert iso8601(value) == expected


def test_iso8601_keeps_what_it_cannot_parse():
    assert iso8601("PT0.091S") == "PT0.091S"


@pytest.mark.parametrize("text", ["2020-02-19T18:18:03.419Z", "1999-12-31T23:59:59.999Z", "2020-02-30T10:00:00.000Z", "2020-02-19T24:00:00.000Z"])
def test_iso8601_gives_its_own_form_back_as_parsing_it_would(text):
    # A valid time parses and writes back to itself; an invalid one is kept as it is either way.
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except ValueError:
        parsed = text
    assert iso8601(text) == iso8601(f" {text}\n") == parsed == text


def test_iso8601_parses_near_misses_of_its_own_form():
    assert iso8601("2020-02-19T18:18:03.419+00:00") == "2020-02-19T18:18:03.419Z"
    assert iso8601("2020-02-19T18:18:03.419123Z") == "2020-02-19T18:18:03.419Z"
    assert iso8601("2020-02-19T18:18:03Z") == "2020-02-19T18:18:03.000Z"


# -- aggregate_status (docs/design.md, "Status model") ------------------------------------------------------


@pytest.mark.parametrize(
    "statuses, expected",
    [
        # Rule 1: something is still open.
        (["pending"], "pending"),
        (["pending", "pending"], "pending"),
        (["pending", "running"], "running"),
        (["pending", "success"], "running"),
        (["running", "success", "failed"], "running"),
        (["unknown"], "running"),
        (["cancelling"], "cancelling"),
        (["cancelling", "cancelled", "success"], "cancelling"),
        (["cancelling", "pending"], "cancelling"),
        (["cancelling", "running"], "running"),
        # Rule 2: all succeeded.
        (["success"], "success"),
        (["success", "success", "success"], "success"),
        # Rule 3: none succeeded.
        (["cancelled", "cancelled"], "cancelled"),
        (["timed_out", "timed_out"], "timed_out"),
        (["undeliverable", "undeliverable"], "undeliverable"),
        (["failed"], "failed"),
        (["failed", "failed"], "failed"),
        (["cancelled", "timed_out"], "failed"),
        (["undeliverable", "failed"], "failed"),
        (["timed_out", "cancelled", "undeliverable"], "failed"),
        # Rule 4: a mix.
        (["success", "failed"], "partial_failed"),
        (["success", "undeliverable"], "partial_failed"),
        (["success", "timed_out", "cancelled"], "partial_failed"),
    ],
)
def test_aggregate_status(statuses, expected):
    assert aggregate_status(statuses) == expected
    assert aggregate_status(reversed(statuses)) == expected


def test_aggregate_status_of_nothing_is_none():
    assert aggregate_status([]) is None
    assert aggregate_status(iter(())) is None


# -- summarize and progress_line ----------------------------------------------------------------


def test_summarize_counts_expected_and_not_visible(recs):
    summary = summarize(recs("success", "success", "failed", "running"), expected=6, vendor_aggregate={"c": {"status": "InProgress"}})
    assert summary["total"] == 4
    assert summary["expected"] == 6
    assert summary["not_visible"] == 2
    assert summary["terminal"] == 3
    assert summary["open"] == 1
    assert summary["counts"] == {
        "pending": 0,
        "running": 1,
        "cancelling": 0,
        "success": 2,
        "failed": 1,
        "timed_out": 0,
        "cancelled": 0,
        "undeliverable": 0,
        "skipped": 0,
        "unknown": 0,
        "not_visible": 2,
    }
    assert list(summary["counts"]) == [
        "pending", "running", "cancelling", "success", "failed", "timed_out", "cancelled", "undeliverable", "skipped", "unknown", "not_visible",
    ]
    assert summary["aggregate"] == "running"
    assert summary["vendor_aggregate"] == {"c": {"status": "InProgress"}}


def test_summarize_expected_is_at_least_what_was_seen(recs):
    summary = summarize(recs("success", "success", "success"), expected=1)
    assert summary["expected"] == 3
    assert summary["not_visible"] == 0
    assert summary["aggregate"] == "success"
    assert summary["vendor_aggregate"] == {}


def test_summarize_targets_not_visible_keep_the_aggregate_from_success(recs):
    # TargetCount 5, three visible, all Success: two targets are missing, so it is not a success.
    summary = summarize(recs("success", "success", "success"), expected=5)
    assert (summary["counts"]["not_visible"], summary["not_visible"], summary["counts"]["success"]) == (2, 2, 3)
    assert summary["aggregate"] == "running"
    # Nothing visible at all yet, while targets are announced: pending, not "nothing to say".
    assert summarize([], expected=2)["aggregate"] == "pending"
    assert summarize(recs("failed", "failed"), expected=3)["aggregate"] == "running"


def test_summarize_nothing():
    summary = summarize([])
    assert summary["total"] == summary["expected"] == summary["not_visible"] == summary["terminal"] == summary["open"] == 0
    assert summary["aggregate"] is None
    assert sum(summary["counts"].values()) == 0


def test_summarize_nothing_visible_of_expected():
    summary = summarize([], expected=4)
    assert summary["expected"] == 4
    assert summary["not_visible"] == 4


def test_progress_line(recs):
    summary = summarize(recs("success", "success", "timed_out", "running"), expected=6)
    assert progress_line(summary, 12.4, 60) == "3/6 done, 1 running, 2 success, 1 timed out, 2 not visible yet (12s of 60s)"


def test_progress_line_without_budget(recs):
    summary = summarize(recs("pending"))
    assert progress_line(summary, 3.6, None) == "0/1 done, 1 pending (4s)"


@pytest.mark.parametrize("status, reported, kept", [
    ("success", 0, 0),
    ("failed", 3, 3),
    # A run stopped, killed at its timeout, never delivered or skipped did not end by itself: the
    # code a vendor reports for it (Alibaba: 0 for a stopped run; SSM: the killed process's) is not
    # the command's answer, so success_when over exit_code can never read it.
    ("timed_out", 0, None),
    ("cancelled", 137, None),
    ("undeliverable", 0, None),
    ("skipped", 0, None),
    ("running", 0, None),
])
def test_exit_code_only_where_the_process_ended_by_itself(status, reported, kept):
    assert make_record("aws_ssm", status, exit_code=reported)["exit_code"] == kept
    assert make_step("run", status, exit_code=reported)["exit_code"] == kept


def test_an_instance_whose_deciding_step_timed_out_has_no_exit_code():
    steps = [make_step("build", "success", exit_code=0), make_step("verify", "timed_out", exit_code=0)]
    status, fields = instance_fields(steps, "failed")
    assert status == "timed_out" and fields["exit_code"] is None
