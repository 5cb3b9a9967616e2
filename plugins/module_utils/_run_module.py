# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What invocation_run does, apart from where it runs.

The module (plugins/modules/invocation_run.py) and the action plugin's in-process path both build a
MultiCloudModule from :func:`module_spec` and hand it to :func:`run`.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils import _agents as agents
from ansible_collections.multicloud.invocations.plugins.module_utils._agents import OFFLINE_FAIL, OFFLINE_TARGETS
from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import capabilities
from ansible_collections.multicloud.invocations.plugins.module_utils._check_mode import NOT_STARTED
from ansible_collections.multicloud.invocations.plugins.module_utils._common import output_argument_spec, wait_argument_spec
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
from ansible_collections.multicloud.invocations.plugins.module_utils._record import summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import spent_since_the_task_started, validate_wait_options, wait_and_judge


def module_spec() -> dict[str, t.Any]:
    """The arguments of MultiCloudModule for invocation_run: its options and how they combine."""
    argument_spec = {
        "document_name": {"type": "str", "default": "AWS-RunShellScript"},
        "command_type": {"type": "str", "choices": ["RunShellScript", "RunPowerShellScript", "RunBatScript"]},
        "saved_command_id": {"type": "str"},
        "username": {"type": "str"},
        "client_token": {"type": "str", "no_log": False},
        "commands": {"type": "list", "elements": "str"},
        "parameters": {"type": "dict"},
        "execution_timeout": {"type": "int"},
        "working_directory": {"type": "str"},
        "instance_ids": {"type": "list", "elements": "str"},
        "targets": {
            "type": "list",
            "elements": "dict",
            "options": {"key": {"type": "str", "required": True, "no_log": False}, "values": {"type": "list", "elements": "str", "required": True}},
        },
        "delivery_timeout": {"type": "int"},
        "max_concurrency": {"type": "str"},
        "max_errors": {"type": "str"},
        "comment": {"type": "str"},
        "output_s3_bucket_name": {"type": "str"},
        "output_s3_key_prefix": {"type": "str", "no_log": False},
        "output_oss_uri": {"type": "str"},
        "cloudwatch_output_log_group": {"type": "str"},
        "wait": {"type": "bool", "default": False},
        "include_output": {"type": "bool", "default": True},
        "agent_check": {"type": "bool", "default": False},
        "offline_targets": {"type": "str", "default": OFFLINE_FAIL, "choices": list(OFFLINE_TARGETS)},
        "resolve_targets": {"type": "bool", "default": False},
    }
    argument_spec.update(wait_argument_spec())
    argument_spec.update(output_argument_spec())
    return {
        "argument_spec": argument_spec, "starts": True, "mutually_exclusive": [("instance_ids", "targets")], "required_one_of": [("instance_ids", "targets")],
    }


def run(module: MultiCloudModule) -> t.NoReturn:
    """Send the command once, then, with ``wait``, wait on it and judge it; ends through module.exit or module.fail."""
    params = module.params
    result: dict = {"invocations": [], "changed": False}
    try:
        request = module.provider.start_request(params)
        result["request"] = request
        if params["wait"]:
            # A bad wait option must fail before anything runs on the instances.
            validate_wait_options(params)
        preflight = agents.plan(module.provider, params)
        if preflight is not None:
            result["agents"] = preflight.entries
            if preflight.refusal:
                result.update(invocations=preflight.left_out, summary=summarize(preflight.left_out),
                              api_calls=module.api_calls(), api_retries=module.api_retries())
                module.fail_json(msg=preflight.refusal, **result)
            if preflight.params is not params:
                # Some targets are left out: the start goes to the others only.
                request = agents.narrowed_request(module.provider, params, preflight)
                params = preflight.params
                result["request"] = request
        if module.check_mode:
            # The id a later wait would be given, as a placeholder that wait skips (see _check_mode).
            placeholder = {capabilities(params["provider"]).run_id: NOT_STARTED}
            left_out = preflight.left_out if preflight is not None else []
            result.update(placeholder, changed=True, invocations=left_out, summary=summarize(left_out), msg="check mode: nothing was sent")
            module.exit(**result)
        handle = module.provider.start(request)
        started = module.provider.started(handle)
        expected = started.pop("expected")
        left_out = preflight.left_out if preflight is not None else []
        started["invocations"] = left_out + started["invocations"]
        if preflight is not None:
            agents.attach(started["invocations"], preflight.entries)
        result.update(started, changed=True, summary=summarize(started["invocations"], expected + len(left_out)))
        if params["wait"]:
            if preflight is not None:
                # What the pre-flight found travels with the wait (and its later slices).
                params = dict(params, known_records=left_out, agents=[agents.beside_record(entry) for entry in preflight.offline])
            # The waiter treats a run it cannot read yet as not visible yet, within the grace.
            waited, error, failure = wait_and_judge(module.provider, [handle], params, module.on_progress, already_spent=spent_since_the_task_started(params))
            if error and not waited.get("invocations"):
                # Nothing could be read back: keep the records the start returned, so the run can be found.
                waited.update(invocations=result["invocations"], summary=result["summary"])
            result.update(waited)
            if error:
                run_id = started.get("command_id") or started.get("invocation_id")
                error.message = f"command {run_id} was sent; {error.message}"
                module.fail(error, **result)
            if failure:
                # The id the run is waited on by: Alibaba Cloud's t- invocation, not its c- command.
                run_id = started.get(capabilities(params["provider"]).run_id)
                module.fail_json(msg=f"command {run_id} was sent; {failure}", **result)
    except InvocationError as error:
        module.fail(error, **result)
    module.exit(**result)
