# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs agent_info inside the action plugin on the controller (no module process), or the
module elsewhere (see plugin_utils/_progress_action.py). It does not wait, so it prints nothing."""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils import _agent_info_module
from ansible_collections.multicloud.invocations.plugins.plugin_utils._progress_action import ProgressWaitAction


class ActionModule(ProgressWaitAction):
    def task_code(self) -> t.Any:
        return _agent_info_module

    def waits(self, args: dict[str, t.Any]) -> bool:
        return False
