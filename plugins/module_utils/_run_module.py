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

import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils import _agents as agents
from ansible_collections.multicloud.invocations.plugins.module_utils import _start_batches as start_batches
from ansible_collections.multicloud.invocations.plugins.module_utils._agents import OFFLINE_FAIL, OFFLINE_TARGETS
from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import capabilities
from ansible_collections.multicloud.invocations.plugins.module_utils._check_mode import NOT_STARTED
from ansible_collections.multicloud.invocations.plugins.module_utils._common import event_argument_spec, output_argument_spec, wait_argument_spec
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
        "agent_check": {"type": "bool", "default": False},
        "offline_targets": {"type": "str", "default": OFFLINE_FAIL, "choices": list(OFFLINE_TARGETS)},
        "resolve_targets": {"type": "bool", "default": False},
    }
    argument_spec.update(wait_argument_spec())
    argument_spec.update(event_argument_spec())
    argument_spec.update(output_argument_spec())
    return {
        "argument_spec": argument_spec, "starts": True, "mutually_exclusive": [("instance_ids", "targets")], "required_one_of": [("instance_ids", "targets")],
    }


def run(module: MultiCloudModule) -> t.NoReturn:
    """Send the command once (or, resolving tags, once per batch), then, with ``wait``, wait on it and
    judge it; ends through module.exit or module.fail."""
    task_started = time.monotonic()
    params = module.params
    provider = module.provider
    caps = capabilities(params["provider"])
    result: dict = {"invocations": [], "changed": False}
    # Where the run went, so a later wait or gate given this result (waits[].run) reads it there;
    # never a credential.
    result["provider"] = params["provider"]
    if "region" not in caps.unused_connection:
        result["region"] = params.get("region")
    try:
        request = provider.start_request(params)
        result["request"] = request
        if params["wait"]:
            # A bad wait option must fail before anything runs on the instances.
            validate_wait_options(params)
        preflight = agents.plan(provider, params)
        batches: list[start_batches.Batch] | None = None
        if preflight is not None:
            result["agents"] = preflight.entries
            if preflight.refusal:
                result.update(invocations=preflight.left_out, summary=summarize(preflight.left_out),
                              api_calls=module.api_calls(), api_retries=module.api_retries())
                module.fail_json(msg=preflight.refusal, **result)
            if preflight.params is not params:
                if params.get("targets"):
                    # Tags resolved to instance ids (resolve_targets): as many starts as the ids need.
                    batches = start_batches.plan(provider, preflight.params)
                    request = batches[0].request
                else:
                    # Some of the instance ids given are left out: the start goes to the others only.
                    request = provider.start_request(preflight.params)
                params = preflight.params
                result["request"] = request
        left_out = preflight.left_out if preflight is not None else []
        if batches is not None:
            result["batches"] = [batch.public(caps.run_id) for batch in batches]
        if module.check_mode:
            # The id a later wait would be given, as a placeholder that wait skips (see _check_mode).
            result.update({caps.run_id: NOT_STARTED, caps.wait_ids: [NOT_STARTED] * len(batches or [request])})
            result.update(changed=True, invocations=left_out, summary=summarize(left_out), msg="check mode: nothing was sent")
            module.exit(**result)
        if batches is None:
            handle = provider.start(request)
            started = provider.started(handle)
            handles = [handle]
            expected = started.pop("expected")
            sent_ids = [started[caps.run_id]]
        else:
            if params["wait"] and params.get("timeout"):
                # One budget for the whole task: no batch's start may carry it past its end.
                provider.limit_requests_to(float(params["timeout"]) - _spent(params, task_started))
            handles, started, expected, sent_ids = _start_in_batches(module, batches, left_out, result)
        started["invocations"] = left_out + started["invocations"]
        if preflight is not None:
            agents.attach(started["invocations"], preflight.entries)
        result.update(started, changed=True, summary=summarize(started["invocations"], expected + len(left_out)))
        # Every run started, in order: what invocation_wait's command_ids (invocation_ids) takes.
        result[caps.wait_ids] = sent_ids
        if params["wait"]:
            if preflight is not None:
                # What the pre-flight found travels with the wait (and its later slices).
                params = dict(params, known_records=left_out, agents=[agents.beside_record(entry) for entry in preflight.offline])
            if batches is not None:
                # Each batch's command has exactly its batch's instances as targets: one wait follows them all.
                params = dict(params, instance_ids=None)
            # The waiter treats a run it cannot read yet as not visible yet, within the grace.
            waited, error, failure = wait_and_judge(provider, handles, params, module.on_progress, already_spent=_spent(params, task_started))
            if error and not waited.get("invocations"):
                # Nothing could be read back: keep the records the start returned, so the run can be found.
                waited.update(invocations=result["invocations"], summary=result["summary"])
            result.update(waited)
            if error:
                # Named by the vendor's command (Alibaba Cloud's c- id) where there is one.
                named = sent_ids if batches is not None else [started.get("command_id") or started.get("invocation_id")]
                error.message = f"{_were_sent(named)}; {error.message}"
                module.fail(error, **result)
            if failure:
                # The id the run is waited on by: Alibaba Cloud's t- invocation, not its c- command.
                module.fail_json(msg=f"{_were_sent(sent_ids)}; {failure}", **result)
    except InvocationError as error:
        module.fail(error, **result)
    module.exit(**result)


def _start_in_batches(
    module: MultiCloudModule, batches: list[start_batches.Batch], left_out: list[dict[str, t.Any]], result: dict[str, t.Any]
) -> tuple[list[dict[str, t.Any]], dict[str, t.Any], int, list[str]]:
    """Start every batch once, in order: (handles, what the start returned, expected targets, run ids).
    When a batch fails, the task fails here with its error, every batch's fate and every instance's record."""
    caps = capabilities(module.params["provider"])
    batch_error = start_batches.send(module.provider, batches)
    sent = [batch for batch in batches if batch.state == start_batches.SENT]
    # The first batch's ids and vendor object stand for the run (command_id: the first command).
    started = {key: value for key, value in ((sent[0].started or {}) if sent else {}).items() if key != "expected"}
    started["invocations"], expected = start_batches.records(module.provider.name, batches)
    sent_ids = start_batches.run_ids(batches, caps.run_id)
    result["batches"] = [batch.public(caps.run_id) for batch in batches]
    if batch_error is not None:
        invocations = left_out + started["invocations"]
        result.update(started, invocations=invocations, changed=bool(sent), summary=summarize(invocations, expected + len(left_out)))
        result[caps.wait_ids] = sent_ids
        batch_error.message = f"{start_batches.failure_message(batches, caps.run_id_name, caps.run_id)}: {batch_error.message}"
        module.fail(batch_error, **result)
    return [batch.handle for batch in sent], started, expected, sent_ids


def _spent(params: dict[str, t.Any], task_started: float) -> float:
    """Seconds of the task's budget spent so far: since the action plugin started the task where it
    says when (the same host), else since this module started."""
    return max(spent_since_the_task_started(params) or 0.0, time.monotonic() - task_started)


def _were_sent(run_ids: list[t.Any]) -> str:
    """``command 0b6b... was sent`` (or ``commands a, b were sent``) for the front of a message."""
    if len(run_ids) == 1:
        return f"command {run_ids[0]} was sent"
    return f"commands {', '.join(str(run_id) for run_id in run_ids)} were sent"
