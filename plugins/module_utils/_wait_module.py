# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What invocation_wait does, apart from where it runs.

The module (plugins/modules/invocation_wait.py) and the action plugin's in-process path both build a
MultiCloudModule from :func:`module_spec` and hand it to :func:`run`.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._check_mode import VERDICT_SKIPPED, skip_message, without_not_started
from ansible_collections.multicloud.invocations.plugins.module_utils._common import (
    event_argument_spec, output_argument_spec, wait_argument_spec, waits_argument_spec, window_argument_spec,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
from ansible_collections.multicloud.invocations.plugins.module_utils._multi_wait import drop_runs_not_started, items_from, look_up_and_wait_all
from ansible_collections.multicloud.invocations.plugins.module_utils._record import summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import look_up_and_wait, policy_from, validate_wait_options


def skip_runs_not_started(module: MultiCloudModule, params: dict) -> None:
    """Ids that invocation_run returned in check mode name runs that never started: skip them."""
    skipped = 0
    for option in ("command_ids", "invocation_ids"):
        if params.get(option):
            params[option], placeholders = without_not_started(params[option])
            skipped += placeholders
    if not skipped:
        return
    if not (params.get("command_ids") or params.get("invocation_ids")):
        # passed and verdict are set, so `when: outcome.passed` after the wait still decides.
        module.exit(skipped=True, changed=False, msg=skip_message(), reason=skip_message(), verdict=VERDICT_SKIPPED, passed=False,
                    invocations=[], summary=summarize([]))
    module.warn(f"{skipped} of the runs to wait on did not start (invocation_run ran in check mode); waiting on the others")


def wait_on_every_item(module: MultiCloudModule, params: dict) -> None:
    """``waits``: the runs of several providers (or regions, or accounts), in one wait judged once."""
    result = {"invocations": []}
    try:
        validate_wait_options(params)
        # Said however the wait ends, an error before any item was read included (a gate's report states the rule).
        result["policy"] = policy_from(params).describe()
        items, skipped = drop_runs_not_started(items_from(params))
        if skipped and not items:
            module.exit(skipped=True, changed=False, msg=skip_message(), reason=skip_message(), verdict=VERDICT_SKIPPED, passed=False,
                        invocations=[], summary=summarize([]), waits=[])
        if skipped:
            module.warn(f"{skipped} of the runs to wait on did not start (invocation_run ran in check mode); waiting on the others")
        waited, error, failure, group = look_up_and_wait_all(items, params, on_progress=module.on_progress)
        result.update(waited)
        module.use_provider(group)
    except InvocationError as error:
        module.fail(error, **result)
    end_with(module, result, error, failure)


def end_with(module: MultiCloudModule, result: dict[str, t.Any], error: InvocationError | None, failure: str | None) -> t.NoReturn:
    """Ends the task as the wait ended: on its error, on a failed verdict, or with the result."""
    if error:
        module.fail(error, **result)
    if failure:
        module.fail_json(msg=failure, changed=False, **result)
    module.exit(**result)


def module_spec() -> dict[str, t.Any]:
    """The arguments of MultiCloudModule for invocation_wait: its options and how they combine."""
    argument_spec = {
        "command_ids": {"type": "list", "elements": "str", "aliases": ["command_id"]},
        "invocation_ids": {"type": "list", "elements": "str", "aliases": ["invocation_id"]},
        "instance_ids": {"type": "list", "elements": "str"},
        **window_argument_spec(),
    }
    argument_spec.update(wait_argument_spec())
    argument_spec.update(event_argument_spec())
    argument_spec.update(output_argument_spec())
    argument_spec.update(waits_argument_spec())
    return {"argument_spec": argument_spec, "required_one_of": [("command_ids", "invocation_ids", "window_id", "window_execution_id", "waits")]}


def run(module: MultiCloudModule) -> t.NoReturn:
    """Wait on the runs the options name and judge them; ends through module.exit or module.fail."""
    params = module.params
    if params.get("waits") is not None:
        wait_on_every_item(module, params)
    result = {"invocations": []}
    skip_runs_not_started(module, params)
    try:
        validate_wait_options(params)
        result, error, failure = look_up_and_wait(module.provider, params, on_progress=module.on_progress)
    except InvocationError as error:
        module.fail(error, **result)
    end_with(module, result, error, failure)
