# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shows a progress line on the controller while invocation_run waits (``wait: true``).

The first slice sends the command and starts waiting; the rest of the wait continues with
invocation_wait on the new command, and the final result keeps what the send returned.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.multicloud.invocations.plugins.module_utils import _run_module, _wait_module
from ansible_collections.multicloud.invocations.plugins.plugin_utils._progress_action import ProgressWaitAction

# invocation_run options that describe the command to send, not the wait: those invocation_wait
# does not take (derived from both specs, so a new send option can never reach invocation_wait).
# instance_ids too: they chose where to send; the wait follows the command's own targets.
SEND_OPTIONS = (frozenset(_run_module.module_spec()["argument_spec"]) - frozenset(_wait_module.module_spec()["argument_spec"])) | {"instance_ids"}
# What the send returned, kept in the final result.
SEND_RESULTS = ("command_id", "invocation_id", "command", "request", "command_ids", "invocation_ids", "batches", "provider", "region")


class ActionModule(ProgressWaitAction):
    def task_code(self) -> t.Any:
        return _run_module

    def waits(self, args: dict[str, t.Any]) -> bool:
        return boolean(args.get("wait", False), strict=False)

    def follow_up_args(self, args: dict[str, t.Any], first: dict[str, t.Any]) -> dict[str, t.Any]:
        wait_args = {key: value for key, value in args.items() if key not in SEND_OPTIONS}
        # Providers that name a run by its own id are waited on by that id, the others by command id;
        # every run started (resolve_targets sends one command per batch of instances).
        if first.get("invocation_id"):
            wait_args["invocation_ids"] = first.get("invocation_ids") or [first["invocation_id"]]
        else:
            wait_args["command_ids"] = first.get("command_ids") or [first["command_id"]]
        return wait_args

    def merge_first(self, first: dict[str, t.Any], final: dict[str, t.Any]) -> dict[str, t.Any]:
        merged = dict(final)
        for key in SEND_RESULTS:
            if key in first:
                merged[key] = first[key]
        merged["changed"] = True
        run_id = first.get("command_id") or first.get("invocation_id")
        if merged.get("failed") and run_id and run_id not in merged.get("msg", ""):
            run_ids = first.get("command_ids") or first.get("invocation_ids") or [run_id]
            sent = f"command {run_id} was sent" if len(run_ids) == 1 else f"commands {', '.join(run_ids)} were sent"
            merged["msg"] = f"{sent}; {merged.get('msg', '')}"
        return merged
