# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The normalised status vocabulary and every vendor's status table, as data.

A vendor adapter never decides a normalised status in code: it looks its vendor's value up here.
Adding a vendor means adding a table, not a branch. The tables follow
``vendor-apis.md`` (AWS section 3.8); where AWS documents a value both spaced
("Delivery Timed Out") and CamelCase (``DeliveryTimedOut``), :func:`vendor_key` folds the two.
"""

from __future__ import annotations

import re

PENDING = "pending"
RUNNING = "running"
CANCELLING = "cancelling"
SUCCESS = "success"
FAILED = "failed"
TIMED_OUT = "timed_out"
CANCELLED = "cancelled"
UNDELIVERABLE = "undeliverable"
# A vendor value this collection does not know yet. It is never terminal, so a wait keeps
# looking (and reports it) instead of passing or failing on a guess.
UNKNOWN = "unknown"
# Aggregate only: every target finished, some succeeded and some did not.
PARTIAL_FAILED = "partial_failed"

# The per-target vocabulary, in the order summaries list it.
STATUSES = (PENDING, RUNNING, CANCELLING, SUCCESS, FAILED, TIMED_OUT, CANCELLED, UNDELIVERABLE, UNKNOWN)
# partial_failed only occurs as an aggregate, and is final there too.
TERMINAL_STATUSES = frozenset((SUCCESS, FAILED, TIMED_OUT, CANCELLED, UNDELIVERABLE, PARTIAL_FAILED))
# What a user may filter on (``statuses`` option): the per-target vocabulary.
FILTERABLE_STATUSES = STATUSES


def vendor_key(value: str | None) -> str:
    """Fold a vendor status for lookup: no spaces, dashes or underscores, lower case."""
    if not value:
        return ""
    return re.sub(r"[\s_\-]", "", str(value)).lower()


# AWS SSM Run Command, invocation and plugin level: StatusDetails first, Status as a fallback.
AWS_SSM_INVOCATION = {
    "pending": PENDING,
    "inprogress": RUNNING,
    "delayed": PENDING,
    "cancelling": CANCELLING,
    "success": SUCCESS,
    "failed": FAILED,
    "executiontimedout": TIMED_OUT,
    "deliverytimedout": UNDELIVERABLE,
    "undeliverable": UNDELIVERABLE,
    "invalidplatform": UNDELIVERABLE,
    "accessdenied": FAILED,
    # The service cancelled the rest of the command after MaxErrors was exceeded.
    "terminated": CANCELLED,
    "cancelled": CANCELLED,
    "timedout": TIMED_OUT,
}

# AWS SSM Run Command, command level (ListCommands): the invocation values plus the aggregates.
AWS_SSM_COMMAND = dict(
    AWS_SSM_INVOCATION,
    incomplete=PARTIAL_FAILED,
    rateexceeded=FAILED,
    limitexceeded=FAILED,
    noinstancesintag=UNDELIVERABLE,
)


def lookup(table: dict[str, str], *values: str | None) -> str:
    """The normalised status of the first value the table knows, else ``unknown``.

    Values are tried in order (for AWS: StatusDetails, then Status). An empty value is skipped.
    """
    for value in values:
        found = table.get(vendor_key(value))
        if found:
            return found
    return UNKNOWN


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES
