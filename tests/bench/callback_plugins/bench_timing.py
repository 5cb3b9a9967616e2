# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper, not part of the collection: note when the measured task returned, and what.

Writes JSON lines to the file named by BENCH_RESULT: one per loop item (with the moment the item's
result reached the controller) and one for the whole task, for tasks tagged ``bench_contender``.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timing
type: aggregate
short_description: Record when the benchmark's measured task returned
description:
  - Benchmark helper for tests/bench; writes the task result and its return time to E(BENCH_RESULT).
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, kind, result):
        if "bench_contender" not in (result._task.tags or []):
            return
        record = {"kind": kind, "returned_at": time.time(), "result": result._result}
        with open(os.environ["BENCH_RESULT"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write("task", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write("task", result)

    def v2_runner_item_on_ok(self, result):
        self._write("item", result)

    def v2_runner_item_on_failed(self, result):
        self._write("item", result)
