# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write every task's outcome to the JSON-lines file named by EXAMPLE_RESULTS (tests/examples)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: example_results
type: aggregate
short_description: record each task's outcome for the documentation examples harness
description:
  - Appends one JSON object per task result (play, task name, status, result) to the file that the
    environment variable E(EXAMPLE_RESULTS) names. Used only by tests/examples.
requirements:
  - the E(EXAMPLE_RESULTS) environment variable
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "example_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get("EXAMPLE_RESULTS")
        self._play = None

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def _record(self, result, status):
        if not self._path:
            return
        task = result._task
        entry = {
            "play": self._play,
            "task": task.get_name(),
            "status": status,
            "ignored": bool(getattr(task, "ignore_errors", False)) and status == "failed",
            "check_mode": bool(task.check_mode),
            "result": _plain(result._result),
        }
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")


def _plain(value):
    """Results may hold Ansible's own string and mapping types; JSON wants the plain ones."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value
