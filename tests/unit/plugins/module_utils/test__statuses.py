# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS status tables of the SSM API reference, value by value."""

from __future__ import annotations

import re

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _statuses as s

# (vendor value, normalised, terminal) -- the SSM API reference, invocation and plugin level.
INVOCATION_TABLE = [
    ("Pending", s.PENDING, False),
    ("InProgress", s.RUNNING, False),
    ("Delayed", s.PENDING, False),
    ("Cancelling", s.CANCELLING, False),
    ("Success", s.SUCCESS, True),
    ("Failed", s.FAILED, True),
    ("ExecutionTimedOut", s.TIMED_OUT, True),
    ("DeliveryTimedOut", s.UNDELIVERABLE, True),
    ("Undeliverable", s.UNDELIVERABLE, True),
    ("InvalidPlatform", s.UNDELIVERABLE, True),
    ("AccessDenied", s.FAILED, True),
    ("Terminated", s.CANCELLED, True),
    ("Cancelled", s.CANCELLED, True),
    ("TimedOut", s.TIMED_OUT, True),
]

# the SSM API reference, command level (ListCommands).
COMMAND_TABLE = [
    ("Pending", s.PENDING, False),
    ("InProgress", s.RUNNING, False),
    ("Delayed", s.PENDING, False),
    ("Cancelling", s.CANCELLING, False),
    ("Success", s.SUCCESS, True),
    ("Failed", s.FAILED, True),
    ("ExecutionTimedOut", s.TIMED_OUT, True),
    ("DeliveryTimedOut", s.UNDELIVERABLE, True),
    ("Incomplete", s.PARTIAL_FAILED, True),
    ("Cancelled", s.CANCELLED, True),
    ("RateExceeded", s.FAILED, True),
    ("LimitExceeded", s.FAILED, True),
    ("NoInstancesInTag", s.UNDELIVERABLE, True),
    ("AccessDenied", s.FAILED, True),
]


def spaced(camel: str) -> str:
    """'DeliveryTimedOut' -> 'Delivery Timed Out', the documentation's spelling."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", camel)


def spellings(camel: str) -> list[str]:
    return [camel, spaced(camel), camel.upper(), camel.lower(), spaced(camel).upper(), spaced(camel).lower(), f"  {spaced(camel)} "]


def test_spaced_helper():
    assert spaced("DeliveryTimedOut") == "Delivery Timed Out"
    assert spaced("InProgress") == "In Progress"


@pytest.mark.parametrize("value, normalised, terminal", INVOCATION_TABLE, ids=[row[0] for row in INVOCATION_TABLE])
def test_invocation_table(value, normalised, terminal):
    for spelling in spellings(value):
        assert s.lookup(s.AWS_SSM_INVOCATION, spelling) == normalised, spelling
        # The same value given as Status (no StatusDetails) maps the same way.
        assert s.lookup(s.AWS_SSM_INVOCATION, None, spelling) == normalised, spelling
    assert s.is_terminal(normalised) is terminal


@pytest.mark.parametrize("value, normalised, terminal", COMMAND_TABLE, ids=[row[0] for row in COMMAND_TABLE])
def test_command_table_mapping(value, normalised, terminal):
    for spelling in spellings(value):
        assert s.lookup(s.AWS_SSM_COMMAND, spelling) == normalised, spelling
        assert s.lookup(s.AWS_SSM_COMMAND, "", spelling) == normalised, spelling


@pytest.mark.parametrize(
    "value, normalised, terminal",
    [row for row in COMMAND_TABLE if row[1] != s.PARTIAL_FAILED],
    ids=[row[0] for row in COMMAND_TABLE if row[1] != s.PARTIAL_FAILED],
)
def test_command_table_terminal(value, normalised, terminal):
    assert s.is_terminal(s.lookup(s.AWS_SSM_COMMAND, value)) is terminal


def test_command_incomplete_is_terminal():
    assert s.is_terminal(s.lookup(s.AWS_SSM_COMMAND, "Incomplete"))


def test_spaced_and_camel_values_fold_to_the_same_key():
    assert s.vendor_key("Delivery Timed Out") == s.vendor_key("DeliveryTimedOut") == "deliverytimedout"
    assert s.vendor_key("execution_timed-out") == "executiontimedout"
    assert s.vendor_key(None) == ""
    assert s.vendor_key("") == ""


def test_status_details_win_over_status():
    # Undeliverable is not in the Status enum: the invocation carries some coarse Status beside it.
    assert s.lookup(s.AWS_SSM_INVOCATION, "Undeliverable", "Failed") == s.UNDELIVERABLE
    assert s.lookup(s.AWS_SSM_INVOCATION, "Delivery Timed Out", "TimedOut") == s.UNDELIVERABLE
    assert s.lookup(s.AWS_SSM_INVOCATION, "Execution Timed Out", "TimedOut") == s.TIMED_OUT
    assert s.lookup(s.AWS_SSM_INVOCATION, "Terminated", "Cancelled") == s.CANCELLED
    assert s.lookup(s.AWS_SSM_COMMAND, "Incomplete", "Failed") == s.PARTIAL_FAILED


def test_status_is_the_fallback_when_details_are_missing_or_unknown():
    assert s.lookup(s.AWS_SSM_INVOCATION, None, "InProgress") == s.RUNNING
    assert s.lookup(s.AWS_SSM_INVOCATION, "", "Success") == s.SUCCESS
    assert s.lookup(s.AWS_SSM_INVOCATION, "Some New Detail", "Failed") == s.FAILED


@pytest.mark.parametrize("values", [("Exploded",), ("Exploded", "Melted"), (None, None), ("",), ()])
def test_unknown_values_give_unknown_which_is_not_terminal(values):
    assert s.lookup(s.AWS_SSM_INVOCATION, *values) == s.UNKNOWN
    assert s.lookup(s.AWS_SSM_COMMAND, *values) == s.UNKNOWN
    assert not s.is_terminal(s.UNKNOWN)


def test_vocabulary():
    terminal = {s.SUCCESS, s.FAILED, s.TIMED_OUT, s.CANCELLED, s.UNDELIVERABLE, s.SKIPPED}
    for status in s.STATUSES:
        assert s.is_terminal(status) is (status in terminal), status
    assert s.FILTERABLE_STATUSES == s.STATUSES
    assert s.PARTIAL_FAILED not in s.STATUSES
