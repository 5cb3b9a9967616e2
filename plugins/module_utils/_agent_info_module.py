# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What agent_info does, apart from where it runs.

The module (plugins/modules/agent_info.py) and the action plugin's in-process path both build a
MultiCloudModule from :func:`module_spec` and hand it to :func:`run`.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import require
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule


def module_spec() -> dict[str, t.Any]:
    """The arguments of MultiCloudModule for agent_info: its options and how they combine."""
    return {
        "argument_spec": {
            "instance_ids": {"type": "list", "elements": "str"},
            "targets": {
                "type": "list",
                "elements": "dict",
                "options": {"key": {"type": "str", "required": True, "no_log": False}, "values": {"type": "list", "elements": "str", "required": True}},
            },
        },
        "mutually_exclusive": [("instance_ids", "targets")],
        "required_one_of": [("instance_ids", "targets")],
    }


def run(module: MultiCloudModule) -> t.NoReturn:
    """Read the agents of the instances the options select; ends through module.exit or module.fail."""
    params = module.params
    try:
        # The same capability as invocation_run's pre-flight: refused where the vendor has no such call.
        require(params["provider"], "agents", "agent_info")
        entries = module.provider.agent_states(list(dict.fromkeys(params.get("instance_ids") or [])), list(params.get("targets") or []))
    except InvocationError as error:
        module.fail(error, agents=[], ready=[], not_ready=[])
    module.exit(
        agents=entries,
        ready=[entry["instance_id"] for entry in entries if entry["ready"]],
        not_ready=[entry["instance_id"] for entry in entries if not entry["ready"]],
    )
