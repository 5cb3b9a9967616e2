# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""success_when / failure_when: per-target conditions that refine what counts as success.

In the spirit of the SDK waiters' acceptors, but with both outcomes and any expression. They
decide ``accepted`` on targets that ran and ended; they never end a running target and never
make a target that never ran count as having run.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._query import compile_expression, matches
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import SKIPPED, SUCCESS, UNDELIVERABLE

BY_STATUS = "status"
BY_SUCCESS_WHEN = "success_when"
BY_FAILURE_WHEN = "failure_when"


class Conditions:
    """Compiled once, before any API call, so a bad expression fails the task at once."""

    def __init__(self, success_when: str | None = None, failure_when: str | None = None) -> None:
        self._success = compile_expression(success_when, "success_when") if success_when else None
        self._failure = compile_expression(failure_when, "failure_when") if failure_when else None

    def apply(self, records: t.Iterable[dict[str, t.Any]]) -> None:
        """Set ``accepted`` and ``accepted_by`` on every record, in place."""
        for record in records:
            record["accepted"], record["accepted_by"] = self._decide(record)

    def _decide(self, record: dict[str, t.Any]) -> tuple[bool | None, str | None]:
        if not record["terminal"]:
            return None, None
        if record["status"] in (UNDELIVERABLE, SKIPPED):
            # It never ran: no condition on its output can make it a success.
            return False, BY_STATUS
        # Conditions see the record without the bulky vendor item unless they ask for raw.
        if self._failure is not None and matches(self._failure, record):
            return False, BY_FAILURE_WHEN
        if self._success is not None:
            return matches(self._success, record), BY_SUCCESS_WHEN
        return record["status"] == SUCCESS, BY_STATUS
