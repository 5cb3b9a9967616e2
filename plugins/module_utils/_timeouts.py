# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""When the next vendor-side timeout of a still-open target falls due, and what is left of a wait budget, for any provider.

Every vendor ends an open target by itself at a known moment: a running one when its execution
timeout (counted from its start) runs out, and, where the vendor documents a delivery window, a
target still waiting for delivery when that window (counted from the request) closes. The waiter
sleeps until just after the soonest such moment instead of polling blindly. What differs between
vendors is only where those numbers live in the answer, so each provider describes that in a
:class:`TimeoutSpec` and :func:`next_timeout_in` does the arithmetic once.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._record import parse_time
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import PENDING, RUNNING, is_terminal, vendor_key

# Vendors settle a timeout a moment after it falls due: look just after, not just before.
TIMEOUT_SETTLE = 1.0


@dataclasses.dataclass(frozen=True)
class TimeoutSpec:
    """Where one vendor's invocation says when its open targets time out."""

    # Seconds a running target may run, read from the invocation (the vendor's default if unset).
    execution_timeout: t.Callable[[dict[str, t.Any]], int]
    # Seconds a target may wait for delivery, read from the invocation; None where the vendor
    # documents no delivery window (such a target has no due time until it starts).
    delivery_window: t.Callable[[dict[str, t.Any]], int] | None = None
    # The invocation's request time, used for a target whose record carries none.
    requested_field: str | None = None
    # Our statuses of an open target that is still waiting for delivery.
    waiting_statuses: frozenset[str] = frozenset((PENDING,))
    # Vendor statuses (normalised with vendor_key) of a waiting target that no window runs for,
    # such as an instance scheduled for a later time.
    unwindowed_vendor_statuses: frozenset[str] = frozenset()
    # Reads a start or request time as an aware UTC datetime (None when it is not one).
    parse_time: t.Callable[[t.Any], datetime.datetime | None] = parse_time


def budget_left(total: float, since: datetime.datetime | None, floor: float, now: datetime.datetime | None = None) -> float:
    """Seconds left of a wait budget of ``total`` counted from ``since`` (the run's start as the vendor
    reports it), so that a wait resumed later does not start afresh; never below ``floor``, so that
    a last look is always possible. A ``since`` ahead of ``now`` (a time read in the wrong zone)
    takes nothing off."""
    if since is not None:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        total -= max((now - since).total_seconds(), 0.0)
    return max(total, float(floor))


# One open target as the computation needs it: (status, started_at, requested_at, vendor_status).
OpenTarget = t.Tuple[str, t.Any, t.Any, t.Any]


def open_targets(records: t.Iterable[dict[str, t.Any]]) -> t.Iterator[OpenTarget]:
    """The open targets among ``records``, as :data:`OpenTarget` tuples."""
    for record in records:
        if not record["terminal"]:
            # A stand-in record (ZOS's aggregate rounds keep one per distinct start) may carry only
            # its status and start.
            yield record["status"], record["started_at"], record.get("requested_at"), record.get("vendor_status")


def next_timeout_in(spec: TimeoutSpec, invocation: dict[str, t.Any], records: t.Iterable[dict[str, t.Any]],
                    now: datetime.datetime) -> float | None:
    """Seconds from ``now`` until the soonest timeout of an open record, or None when none is known."""
    return soonest_timeout_in(spec, invocation, open_targets(records), now)


def soonest_timeout_in(spec: TimeoutSpec, invocation: dict[str, t.Any], targets: t.Iterable[OpenTarget],
                       now: datetime.datetime) -> float | None:
    """Seconds from ``now`` until the soonest timeout among ``targets``, or None when none is known.

    A moment already past gives nothing: the next poll reads what the vendor made of it.
    """
    execution = spec.execution_timeout(invocation)
    delivery = spec.delivery_window(invocation) if spec.delivery_window is not None else None
    invocation_requested = invocation.get(spec.requested_field) if spec.requested_field else None
    # A fleet started together shares a few distinct times: each is parsed once.
    moments: dict[t.Any, datetime.datetime | None] = {}

    def moment(value: t.Any) -> datetime.datetime | None:
        if value not in moments:
            moments[value] = spec.parse_time(value)
        return moments[value]

    soonest = None
    for status, started_at, requested_at, vendor_status in targets:
        if is_terminal(status):
            continue
        if status == RUNNING:
            start, window = moment(started_at), execution
        elif (delivery is not None and status in spec.waiting_statuses
              and vendor_key(vendor_status) not in spec.unwindowed_vendor_statuses):
            start, window = moment(requested_at or invocation_requested), delivery
        else:
            continue
        if start is None:
            continue
        seconds = (start + datetime.timedelta(seconds=window) - now).total_seconds() + TIMEOUT_SETTLE
        if seconds > 0 and (soonest is None or seconds < soonest):
            soonest = seconds
    return soonest
