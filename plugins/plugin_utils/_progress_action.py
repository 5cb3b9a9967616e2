# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Controller side of a wait: run the module in slices and print a calm progress line between them.

A module cannot print while it runs, so the action plugin asks it to hand control back every
30 seconds, or when the counts change (not before 30 seconds for the first line, then at most every
15 seconds: each line costs a module start), with a checkpoint of the wait.
The plugin prints one line, then calls the module again with that checkpoint; the budget, the
counters and the backoff carry over. The module still runs where the task runs (delegate_to,
its Python, its credentials); only the progress line is the controller's.

The budget is owned here once the wait runs in slices: the controller's clock starts before the
first slice, and each later slice is told how much of the budget is gone by that clock, the time
between slices included (a module start costs a second or more), plus the start-up the last slice
showed, which the next one pays again before its own clock starts. Only durations cross to a
module on another host (delegated or not), whose clock may differ. A module that runs on the
controller itself also gets the moment the task started (``budget_started_at``), read on the wall
clock it shares, so even the first slice's start is charged.
"""

from __future__ import annotations

import time
import typing as t

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import delay_note

display = Display()

CHECKPOINT_SECONDS = 30.0
WAIT_MODULE = "multicloud.invocations.invocation_wait"
# Keys of a finished result that only make sense inside one slice.
SLICE_KEYS = ("checkpoint",)


class ProgressWaitAction(ActionBase):
    """Runs a waiting module in slices; subclasses say whether and how the task waits."""

    _supports_check_mode = True
    _supports_async = False
    # The controller's clocks of the whole wait (unit tests give fake ones).
    clock = staticmethod(time.monotonic)
    wall_clock = staticmethod(time.time)

    def runs_here(self) -> bool:
        """Whether the module runs on the controller (local connection, delegated there or not)."""
        return getattr(self._connection, "transport", None) == "local"

    def waits(self, args: dict[str, t.Any]) -> bool:
        raise NotImplementedError

    def follow_up_args(self, args: dict[str, t.Any], first: dict[str, t.Any]) -> dict[str, t.Any]:
        """Arguments for invocation_wait after the first slice (for invocation_run: the new command)."""
        return dict(args)

    def merge_first(self, first: dict[str, t.Any], final: dict[str, t.Any]) -> dict[str, t.Any]:
        """What the first slice said that the final result must keep."""
        return final

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        module = self._task.resolved_action or self._task.action
        if self._task.check_mode or not self.waits(args) or args.get("checkpoint_after") is not None:
            result.update(self._execute_module(module_name=module, module_args=args, task_vars=task_vars))
            return result

        late_start = delay_note(args.get("delay"), args.get("timeout"))
        if late_start:
            # Said before the first slice: with such a delay nothing is read, and nothing shown, until the deadline.
            display.display(f"{self._task.get_name()}: 0s of {float(args['timeout']):.0f}s{late_start}")
        started = sent_at = self.clock()
        anchor: dict[str, float] = {}
        if self.runs_here():
            # Same host, same wall clock: every slice charges its own start from this moment.
            anchor["budget_started_at"] = self.wall_clock()
        first = self._execute_module(module_name=module, module_args=dict(args, checkpoint_after=CHECKPOINT_SECONDS, **anchor), task_vars=task_vars)
        current = first
        charged = 0.0  # what the slice just ended was told had been spent before it
        follow_up: dict[str, t.Any] | None = None
        while "checkpoint" in current and not current.get("failed"):
            checkpoint = current["checkpoint"]
            now = self.clock()
            # The slice's wall time less what its module counted itself: its start and its answer.
            start_up = max(now - sent_at - (float(checkpoint.get("elapsed", 0.0)) - charged), 0.0)
            display.display(f"{self._task.get_name()}: {checkpoint['progress']}")
            if follow_up is None:
                follow_up = self.follow_up_args(args, first)
            charged = now - started + start_up
            sent_at = self.clock()
            current = self._execute_module(
                module_name=WAIT_MODULE,
                module_args=dict(follow_up, checkpoint_after=CHECKPOINT_SECONDS, resume=dict(checkpoint, elapsed=round(charged, 3)), **anchor),
                task_vars=task_vars,
            )
        final = dict(current)
        for key in SLICE_KEYS:
            final.pop(key, None)
        if current is not first:
            final = self.merge_first(first, final)
            if "elapsed" in final:
                # From before the first slice to the last answer, gaps between slices included.
                final["elapsed"] = round(self.clock() - started, 3)
        result.update(final)
        return result
