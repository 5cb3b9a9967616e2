# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One next_timeout_in for every provider, fed by each vendor's TimeoutSpec."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _timeouts
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_records, aws_ssm_records, zenlayer_zos_records

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

# Each vendor's invocation with an execution timeout of 100 s, requested at T0, in its own fields
# and time format; ``delivery`` is the window a pending target has (None: the vendor has none).
VENDORS = {
    "aws_ssm": dict(
        spec=aws_ssm_records.TIMEOUTS,
        invocation={"RequestedDateTime": "2026-01-01T00:00:00Z", "TimeoutSeconds": 600, "Parameters": {"executionTimeout": ["100"]}},
        time=lambda seconds: (T0 + datetime.timedelta(seconds=seconds)).isoformat(),
        delivery=600,
    ),
    "alibaba_ecs": dict(
        spec=alibaba_ecs_records.TIMEOUTS,
        invocation={"CreationTime": "2026-01-01T00:00:00Z", "Timeout": 100},
        time=lambda seconds: (T0 + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        delivery=alibaba_ecs_records.DELIVERY_WINDOW,
    ),
    "zenlayer_zos": dict(
        spec=zenlayer_zos_records.TIMEOUTS,
        invocation={"createTime": "2026-01-01 00:00:00", "timeout": 100},
        time=lambda seconds: (T0 + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S"),
        delivery=None,
    ),
}


def target(status, started=None, requested=None, vendor_status=None, terminal=False):
    return {"status": status, "started_at": started, "requested_at": requested, "vendor_status": vendor_status, "terminal": terminal}


def seconds_until(vendor, targets, now_offset):
    case = VENDORS[vendor]
    time = case["time"]
    records = [
        target(status, time(started) if started is not None else None, time(requested) if requested is not None else None, vendor_status, terminal)
        for status, started, requested, vendor_status, terminal in targets
    ]
    return _timeouts.next_timeout_in(case["spec"], case["invocation"], records, T0 + datetime.timedelta(seconds=now_offset))


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_running_target_is_due_at_start_plus_execution_timeout(vendor):
    assert seconds_until(vendor, [("running", 10, 0, "InProgress", False)], 30) == 10 + 100 - 30 + _timeouts.TIMEOUT_SETTLE


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_pending_target_is_due_when_the_delivery_window_closes(vendor):
    delivery = VENDORS[vendor]["delivery"]
    expected = None if delivery is None else 5 + delivery - 30 + _timeouts.TIMEOUT_SETTLE
    assert seconds_until(vendor, [("pending", None, 5, "Pending", False)], 30) == expected


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_pending_target_without_its_own_request_time_counts_from_the_invocation(vendor):
    delivery = VENDORS[vendor]["delivery"]
    expected = None if delivery is None else delivery - 30 + _timeouts.TIMEOUT_SETTLE
    assert seconds_until(vendor, [("pending", None, None, "Pending", False)], 30) == expected


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_soonest_of_several_open_targets_wins(vendor):
    targets = [("running", 40, 0, "InProgress", False), ("running", 20, 0, "InProgress", False), ("success", 0, 0, "Success", True)]
    assert seconds_until(vendor, targets, 30) == 20 + 100 - 30 + _timeouts.TIMEOUT_SETTLE


@pytest.mark.parametrize("vendor", sorted(VENDORS))
@pytest.mark.parametrize("targets, now_offset", [
    pytest.param([], 0, id="no-targets"),
    pytest.param([("success", 0, 0, "Success", True)], 0, id="terminal"),
    pytest.param([("running", 0, 0, "InProgress", False)], 1000, id="already-past"),
    pytest.param([("running", None, 0, "InProgress", False)], 0, id="running-without-start"),
])
def test_nothing_due(vendor, targets, now_offset):
    assert seconds_until(vendor, targets, now_offset) is None


def test_an_alibaba_scheduled_instance_has_no_delivery_window():
    assert seconds_until("alibaba_ecs", [("pending", None, 0, "Scheduled", False)], 0) is None
    assert seconds_until("alibaba_ecs", [("pending", None, 0, "Pending", False)], 0) == 60 + _timeouts.TIMEOUT_SETTLE


def test_the_vendor_default_timeout_applies_when_the_invocation_has_none():
    records = [target("running", "2026-01-01 00:00:00")]
    assert _timeouts.next_timeout_in(zenlayer_zos_records.TIMEOUTS, {}, records, T0) == zenlayer_zos_records.DEFAULT_TIMEOUT + _timeouts.TIMEOUT_SETTLE
    records = [target("running", "2026-01-01T00:00:00Z")]
    assert _timeouts.next_timeout_in(aws_ssm_records.TIMEOUTS, {}, records, T0) == aws_ssm_records.DEFAULT_EXECUTION_TIMEOUT + _timeouts.TIMEOUT_SETTLE
