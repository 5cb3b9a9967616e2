# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Read invocations the way invocation_info shows them; the lookup reads through here too."""

from __future__ import annotations

import random
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Provider
from ansible_collections.multicloud.invocations.plugins.module_utils._record import summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._visibility import read_when_visible


# The clock, sleep and random source of the grace (unit tests give their fake clock here).
CLOCKS: dict[str, t.Any] = {"clock": time.monotonic, "sleep": time.sleep, "rand": random.random}


def _grace(params: dict[str, t.Any]) -> float:
    return float(params.get("not_found_grace") or 0.0)


def _no_invocation_yet(params: dict[str, t.Any]) -> t.Callable[[tuple[list[t.Any], int, t.Any]], str | None]:
    """A run named by its id whose vendor counts targets but shows none of them is not visible yet
    (SSM lists a command's invocations a moment after the command itself)."""
    run_id = params.get("command_id") or params.get("invocation_id")

    def check(answer: tuple[list[t.Any], int, t.Any]) -> str | None:
        records, expected, _aggregate = answer
        if run_id and expected and not records:
            return f"none of the {expected} invocations of {run_id} is visible yet"
        return None

    return check


def read_invocations(provider: Provider, params: dict[str, t.Any], **hooks: t.Any) -> dict[str, t.Any]:
    """``{"invocations": [...], "summary": {...}}`` for the selectors in ``params``.

    With ``not_found_grace``, an id the vendor does not show yet is read again for that long.
    """
    records, expected, vendor_aggregate = read_when_visible(
        lambda: provider.read(params), _grace(params), is_invisible=_no_invocation_yet(params), **dict(CLOCKS, **hooks)
    )
    statuses = params.get("statuses")
    if statuses:
        records = [record for record in records if record["status"] in statuses]
        expected = len(records)
    return {"invocations": records, "summary": summarize(records, expected, vendor_aggregate)}


def read_raw(provider: Provider, params: dict[str, t.Any], **hooks: t.Any) -> dict[str, t.Any]:
    """The vendor's own response for the same selectors (every page joined), as the CLI shows it."""
    return read_when_visible(lambda: provider.read_raw(params), _grace(params), **dict(CLOCKS, **hooks))
