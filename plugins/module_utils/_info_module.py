# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What invocation_info does, apart from where it runs.

The module (plugins/modules/invocation_info.py) and the action plugin's in-process path both build a
MultiCloudModule from :func:`module_spec` and hand it to :func:`run`.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._common import output_argument_spec, window_argument_spec
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._info_task import read_invocations
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import FILTERABLE_STATUSES


def module_spec() -> dict[str, t.Any]:
    """The arguments of MultiCloudModule for invocation_info: its options and how they combine."""
    return {
        "argument_spec": {
            "command_id": {"type": "str"},
            "invocation_id": {"type": "str"},
            "instance_id": {"type": "str"},
            "plugin_name": {"type": "str"},
            "statuses": {"type": "list", "elements": "str", "choices": list(FILTERABLE_STATUSES)},
            "include_history": {"type": "bool", "default": False},
            "max_results": {"type": "int", "default": 50},
            "not_found_grace": {"type": "float", "default": 0.0},
            **window_argument_spec(),
            **output_argument_spec(),
        },
        "required_one_of": [("command_id", "invocation_id", "instance_id", "window_id", "window_execution_id")],
    }


def run(module: MultiCloudModule) -> t.NoReturn:
    """Read the invocations the options select; ends through module.exit or module.fail."""
    try:
        if module.params["not_found_grace"] < 0:
            raise InvalidInput(f"not_found_grace must be 0 or more seconds, got {module.params['not_found_grace']:g}")
        result = read_invocations(module.provider, module.params)
    except InvocationError as error:
        module.fail(error, invocations=[])
    module.exit(**result)
