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

from ansible_collections.multicloud.invocations.plugins.plugin_utils._progress_action import ProgressWaitAction

# invocation_run options that describe the command to send, not the wait.
SEND_OPTIONS = (
    "document_name",
    "command_type",
    "saved_command_id",
    "username",
    "client_token",
    "commands",
    "parameters",
    "execution_timeout",
    "working_directory",
    "instance_ids",
    "targets",
    "delivery_timeout",
    "max_concurrency",
    "max_errors",
    "comment",
    "output_s3_bucket_name",
    "output_s3_key_prefix",
    "cloudwatch_output_log_group",
    "wait",
)
# What the send returned, kept in the final result.
SEND_RESULTS = ("command_id", "invocation_id", "command", "request")


class ActionModule(ProgressWaitAction):
    def waits(self, args: dict[str, t.Any]) -> bool:
        return boolean(args.get("wait", False), strict=False)

    def follow_up_args(self, args: dict[str, t.Any], first: dict[str, t.Any]) -> dict[str, t.Any]:
        wait_args = {key: value for key, value in args.items() if key not in SEND_OPTIONS}
        # Providers that name a run by its own id are waited on by that id, the others by command id.
        if first.get("invocation_id"):
            wait_args["invocation_ids"] = [first["invocation_id"]]
        else:
            wait_args["command_ids"] = [first["command_id"]]
        return wait_args

    def merge_first(self, first: dict[str, t.Any], final: dict[str, t.Any]) -> dict[str, t.Any]:
        merged = dict(final)
        for key in SEND_RESULTS:
            if key in first:
                merged[key] = first[key]
        merged["changed"] = True
        run_id = first.get("command_id") or first.get("invocation_id")
        if merged.get("failed") and run_id and run_id not in merged.get("msg", ""):
            merged["msg"] = f"command {run_id} was sent; {merged.get('msg', '')}"
        return merged
