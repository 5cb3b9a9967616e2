# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Check mode across tasks: a run that did not start still hands the next task an id.

``ansible-playbook --check`` on the documented pattern (invocation_run, then invocation_wait on
``"{{ deploy.command_id }}"``) must not break on a missing key: invocation_run returns this
placeholder as the id of the run it did not start, and invocation_wait skips the ids that carry
it, saying why. No provider's ids look like it, so it is never sent to an API.
"""

from __future__ import annotations

import typing as t

NOT_STARTED = "not-started-in-check-mode"
# The verdict of a wait skipped that way (passed is false: nothing ran, so nothing passed).
VERDICT_SKIPPED = "skipped"
SKIP_MESSAGE = ("check mode: invocation_run did not start the command (its id is {placeholder!r}), "
                "so there is nothing to wait on")


def without_not_started(ids: t.Sequence[str] | None) -> tuple[list[str], int]:
    """(the ids of runs that started, how many ids were the check-mode placeholder)."""
    ids = list(ids or [])
    kept = [value for value in ids if value != NOT_STARTED]
    return kept, len(ids) - len(kept)


def skip_message() -> str:
    return SKIP_MESSAGE.format(placeholder=NOT_STARTED)
