# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Read invocations the way invocation_info shows them; the lookup reads through here too."""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._record import summarize


def read_invocations(provider: t.Any, params: dict[str, t.Any]) -> dict[str, t.Any]:
    """``{"invocations": [...], "summary": {...}}`` for the selectors in ``params``."""
    records, expected, vendor_aggregate = provider.read(params)
    statuses = params.get("statuses")
    if statuses:
        records = [record for record in records if record["status"] in statuses]
        expected = len(records)
    return {"invocations": records, "summary": summarize(records, expected, vendor_aggregate)}


def read_raw(provider: t.Any, params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The vendor's own response for the same selectors (every page joined), as the CLI shows it."""
    return provider.read_raw(params)
