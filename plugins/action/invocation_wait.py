# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shows a progress line on the controller while invocation_wait waits."""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils import _wait_module
from ansible_collections.multicloud.invocations.plugins.plugin_utils._progress_action import ProgressWaitAction


class ActionModule(ProgressWaitAction):
    def task_code(self) -> t.Any:
        return _wait_module

    def waits(self, args: dict[str, t.Any]) -> bool:
        return True
