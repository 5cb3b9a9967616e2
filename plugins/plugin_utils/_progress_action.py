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

Where the task runs on the controller (a local connection) and nothing stands in the way (see
_in_process.refusal), none of the above: the module's code runs inside this process, once, and the
progress lines are printed from here while it waits (see :meth:`ProgressWaitAction.run_in_process`).
An async task runs the module once, without slices: nothing can be printed while it runs anyway.
"""

from __future__ import annotations

import time
import typing as t
import warnings

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import FIRST_LINE_AFTER, LATER_LINES_MIN, delay_note
from ansible_collections.multicloud.invocations.plugins.plugin_utils import _in_process

display = Display()

CHECKPOINT_SECONDS = 30.0
WAIT_MODULE = "multicloud.invocations.invocation_wait"
# Keys of a finished result that only make sense inside one slice.
SLICE_KEYS = ("checkpoint",)


class ProgressWaitAction(ActionBase):
    """Runs a waiting module in slices; subclasses say whether and how the task waits."""

    _supports_check_mode = True
    _supports_async = True
    # The controller's clocks of the whole wait (unit tests give fake ones).
    clock = staticmethod(time.monotonic)
    wall_clock = staticmethod(time.time)

    def runs_here(self) -> bool:
        """Whether the module runs on the controller (local connection, delegated there or not)."""
        return getattr(self._connection, "transport", None) == "local"

    def waits(self, args: dict[str, t.Any]) -> bool:
        raise NotImplementedError

    def task_code(self) -> t.Any:
        """The module_utils module holding the module's ``module_spec`` and ``run``."""
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
        task_environment: dict[str, t.Any] = {}
        self._compute_environment_string(task_environment)
        why_not_here = _in_process.refusal(
            local=self.runs_here(),
            interpreter=self.python_interpreter(task_vars or {}),
            asynchronous=bool(self._task.async_val),
            task_environment=task_environment,
        )
        if why_not_here is None and args.get("checkpoint_after") is None:
            result.update(self.run_in_process(module, args, task_environment))
            return result
        display.vvv(f"{self._task.get_name()}: the module runs in its own process: {why_not_here}")
        if self._task.async_val:
            # One module run for the whole wait, polled by Ansible (async_status), no progress lines.
            wrap_async = not self._connection.has_native_async
            result.update(self._execute_module(module_name=module, module_args=args, task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access
            return result
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

    def python_interpreter(self, task_vars: dict[str, t.Any]) -> t.Any:
        """The task's ``ansible_python_interpreter`` (of the delegated host when delegated), or None."""
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or task_vars
        interpreter = host_vars.get("ansible_python_interpreter")
        return self._templar.template(interpreter) if interpreter is not None else None

    def run_in_process(self, module: str, args: dict[str, t.Any], task_environment: dict[str, t.Any]) -> dict[str, t.Any]:
        """The module's code run here, once: progress lines come from this process while it waits."""
        task_code = self.task_code()
        name = self._task.get_name()
        started = self.clock()
        progress = CalmProgress(lambda line: display.display(f"{name}: {line}"), self.clock, started)
        late_start = delay_note(args.get("delay"), args.get("timeout"))
        if late_start and self.waits(args):
            display.display(f"{name}: 0s of {float(args['timeout']):.0f}s{late_start}")
        # The task's own clock, on the wall clock the code shares: its start is charged to the budget.
        task_args = dict(args, budget_started_at=self.wall_clock()) if self.waits(args) else args

        def host(**spec: t.Any) -> _in_process.InProcessModule:
            return _in_process.InProcessModule(
                task_args=task_args, name=module, check_mode=bool(self._task.check_mode), task_environment=task_environment, **spec
            )

        module_here = None
        # Python warnings of the libraries (urllib3's InsecureRequestWarning with validate_certs false)
        # are recorded, not written: a module's stderr is never shown, and writing them from a request
        # thread hung ansible-core 2.17's worker process. They are shown at -vvvv.
        with warnings.catch_warnings(record=True) as library_warnings:
            warnings.simplefilter("default")
            try:
                module_here = _in_process_module(task_code, host, progress)
                task_code.run(module_here)
            except _in_process.TaskEnded as ended:
                return ended.result
            finally:
                # The next item of a loop runs in this same process: no connection may stay open.
                if module_here is not None:
                    module_here.close()
                for message in sorted({str(warning.message) for warning in library_warnings}):
                    display.vvvv(f"{name}: {message}")
        raise AssertionError(f"{module} returned without a result")  # run() always ends through exit or fail


class CalmProgress:
    """Prints a waiter's progress lines at the pace the sliced path keeps: nothing for the first
    30 seconds (a short wait shows no line), then a line when the counts change, at most every
    15 seconds, and one every 30 seconds at the latest."""

    def __init__(self, show: t.Callable[[str], None], clock: t.Callable[[], float], started: float) -> None:
        self.show = show
        self.clock = clock
        self.started = started
        self.last_shown: float | None = None
        self.last_line = ""

    def __call__(self, line: str) -> None:
        now = self.clock()
        if now - self.started < FIRST_LINE_AFTER:
            return
        since = now - self.last_shown if self.last_shown is not None else None
        counts_changed = _counts(line) != _counts(self.last_line)
        if since is None or since >= CHECKPOINT_SECONDS or (counts_changed and since >= LATER_LINES_MIN):
            self.show(line)
            self.last_shown = now
            self.last_line = line


def _counts(line: str) -> str:
    """The part of a progress line that says the counts (the time spent follows in parentheses)."""
    return line.rsplit(" (", 1)[0]


def _in_process_module(task_code: t.Any, host: t.Callable[..., t.Any], progress: CalmProgress) -> t.Any:
    # Imported here: MultiCloudModule pulls in the module_utils every module shares.
    from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
    return MultiCloudModule(host=host, on_progress=progress, **task_code.module_spec())
