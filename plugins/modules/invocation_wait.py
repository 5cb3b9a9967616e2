#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: invocation_wait
short_description: Wait until run-command invocations end, then judge them per instance
version_added: 1.0.0
description:
  - Waits on one or many commands in one poll loop with one time budget, until every target instance
    has a final status, then judges the targets with a failure policy and returns every record it saw.
  - Reads a whole fleet with the vendor's list calls, not one call per instance, so large fleets do not
    throttle the account. For SSM, a poll round reads the commands' counters with one C(ListCommands)
    call per 50 open commands, and a command's invocations (C(ListCommandInvocations), 50 a page) once,
    when its counters say every target has ended (or every round when O(instance_ids) is set).
  - Invocations that are not visible yet right after a command was sent are looked for again during
    O(not_found_grace); throttling is retried with backoff and never fails the wait by itself.
  - The verdict is taken from the instances, never from the vendor's aggregate, which can read
    C(Success) while some instances never ran.
  - While it waits, the controller shows one progress line when the counts change or every 30 seconds.
  - With O(window_id) or O(window_execution_id), waits on a maintenance window execution instead, until the
    execution, its tasks, their task invocations and (for C(RUN_COMMAND) tasks) their commands are final,
    and judges the task invocations with the same policy. A task invocation that did not succeed counts as a
    failure; a C(SKIPPED_OVERLAPPING) execution is one V(skipped) record and counts as a failure too, because
    the work did not run (allow it with O(max_failures) or O(fail_on_failure=false)).
  - Waiting is read-only, so it also waits in check mode. The id M(multicloud.invocations.invocation_run) returns in
    check mode, C(not-started-in-check-mode), names a run that never started, so the task is skipped with a message
    saying so (other ids in the same task are still waited on).
author:
  - Multicloud Invocations maintainers (@multicloud-invocations)
options:
  command_ids:
    description:
      - The commands to wait on, all together (SSM C(CommandId) values).
      - One of O(command_ids) and O(invocation_ids) is required.
    type: list
    elements: str
    aliases: [command_id]
  invocation_ids:
    description:
      - The runs to wait on, for providers that identify a run by its own id rather than by a command id.
      - V(aws_ssm) identifies runs by command id and refuses this option.
    type: list
    elements: str
    aliases: [invocation_id]
  instance_ids:
    description:
      - Wait only on these instances of each command. By default every target of every command counts,
        including targets found by tag after the command was sent (C(TargetCount)).
    type: list
    elements: str
  include_output:
    description:
      - Include stdout and stderr in the records.
    type: bool
    default: true
  window_id:
    description:
      - V(aws_ssm) only. Wait on the latest execution of this maintenance window (or the one chosen by
        O(executed_after) / O(executed_before)), as read by M(multicloud.invocations.invocation_info).
      - Without O(timeout), the budget is two hours from the execution's start.
      - O(cancel_on_timeout) and O(instance_ids) do not apply to window runs.
    type: str
  window_execution_id:
    description:
      - V(aws_ssm) only. Wait on this maintenance window execution.
    type: str
  window_task_id:
    description:
      - V(aws_ssm) only. With O(window_execution_id), wait on this task (its C(TaskExecutionId)) only.
    type: str
  executed_after:
    description:
      - With O(window_id), choose the latest execution that started at or after this time (ISO 8601).
    type: str
  executed_before:
    description:
      - With O(window_id), choose the latest execution that started at or before this time (ISO 8601).
    type: str
  include_command_details:
    description:
      - Wait for, and attach, the Run Command records of C(RUN_COMMAND) task invocations
        (see M(multicloud.invocations.invocation_info)).
      - C(LAMBDA), C(AUTOMATION) and C(STEP_FUNCTIONS) task invocations are judged by their status only.
    type: bool
    default: true
extends_documentation_fragment:
  - multicloud.invocations.common
  - multicloud.invocations.output
  - multicloud.invocations.wait
  - multicloud.invocations.attributes
  - multicloud.invocations.attributes.INFO_MODULE
seealso:
  - module: multicloud.invocations.invocation_run
  - module: multicloud.invocations.invocation_info
"""

EXAMPLES = r"""
- name: Wait for a deployment command on every instance; all must succeed
  multicloud.invocations.invocation_wait:
    command_ids: "{{ deploy.command_id }}"
    region: eu-west-1
  register: deploy_result

# With a threshold, the wait stops as soon as a third failure decides the verdict (stop_early: failed).
- name: Wait on two commands at once, allow two failures, stop early when that is exceeded
  multicloud.invocations.invocation_wait:
    command_ids:
      - "{{ web.command_id }}"
      - "{{ workers.command_id }}"
    max_failures: 2
    timeout: 900
    region: eu-west-1

- name: Wait without failing the task, then branch on the verdict
  multicloud.invocations.invocation_wait:
    command_ids: "{{ deploy.command_id }}"
    undeliverable: ignore
    fail_on_failure: false
    fail_on_timeout: false
    region: eu-west-1
  register: outcome

- name: Exit code 3 means "already up to date" and counts as success; a warning in the output does not
  multicloud.invocations.invocation_wait:
    command_ids: "{{ deploy.command_id }}"
    success_when: "exit_code == `0` || exit_code == `3`"
    failure_when: "contains(stdout, 'WARNING')"
    region: eu-west-1

- name: Wait for the latest run of a maintenance window; every target must succeed
  multicloud.invocations.invocation_wait:
    window_id: mw-0c50858d01e5f0a1b
    timeout: 1800
    region: eu-west-1
  register: patching

- name: Stop the rollout when the canary failed
  ansible.builtin.fail:
    msg: "Canary failed on {{ outcome.invocations | selectattr('status', '!=', 'success') | map(attribute='instance_id') | join(', ') }}"
  when: outcome.verdict != 'success'
"""

RETURN = r"""
invocations:
  description:
    - Every record seen, one per instance with its steps nested, as returned by M(multicloud.invocations.invocation_info).
    - Kept however the wait ended (success, failure, timeout or error).
  returned: always
  type: list
  elements: dict
summary:
  description: Counts per normalised status, the computed aggregate and the vendor's own aggregate per command.
  returned: always
  type: dict
verdict:
  description:
    - V(success) when the failure policy passed, V(failed) when it cannot pass any more,
      V(timed_out) when the budget ran out first and the policy could still have passed either way,
      V(error) when the wait ended on an error (see RV(ended_because)) before the targets could be judged.
    - V(skipped) when the task was skipped because the runs to wait on never started (check mode).
  returned: when the wait ran, and when it was skipped
  type: str
  sample: success
passed:
  description: Whether the verdict is success (false when skipped).
  returned: when the wait ran, and when it was skipped
  type: bool
reason:
  description: Why the verdict is what it is, with the policy applied.
  returned: when the wait ran, and when it was skipped
  type: str
  sample: "9 of 10 targets succeeded; policy: at most 1 failed, undeliverable targets count as failures"
policy:
  description: The failure policy in words.
  returned: when the wait ran
  type: str
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
timeout:
  description: The budget in seconds, as given or as derived from the commands.
  returned: when the wait ran
  type: float
timed_out:
  description: Whether the budget ran out before every target finished.
  returned: when the wait ran
  type: bool
ended_because:
  description:
    - V(finished) when every target ended, V(timeout) when the budget ran out first, V(error) when the wait ended on an error.
    - V(fail_fast) when the wait stopped because the verdict could no longer be success, V(decided) when it stopped
      because the verdict could no longer be anything but success (O(stop_early)).
  returned: when the wait ran
  type: str
stop_early:
  description: When the wait would stop before every target ended (O(stop_early), with its default applied).
  returned: when the wait ran
  type: str
  sample: failed
polls:
  description: Poll rounds made.
  returned: when the wait ran
  type: int
throttled_polls:
  description: Poll rounds the vendor throttled (retried with backoff).
  returned: when the wait ran
  type: int
wait_warnings:
  description:
    - What the operator should know about how the wait ran, also shown as task warnings (ansible-core 2.19 keeps
      warnings out of a registered result). Today only a O(delay) at or past the O(timeout), which leaves one read, at the deadline.
  returned: when the wait ran
  type: list
  elements: str
api_calls:
  description: HTTP requests the task sent to the vendor's API, every attempt counted (retries included, see RV(api_retries)).
  returned: always
  type: int
api_retries:
  description:
    - Of RV(api_calls), the requests that repeated an earlier one after throttling or a transient error (the API client's
      retries, not the wait's poll rounds).
  returned: always
  type: int
error_code:
  description: The vendor's error code when the task failed on an API error.
  returned: on failure
  type: str
request_id:
  description: The vendor's request id of the failed call.
  returned: on failure
  type: str
"""

from ansible_collections.multicloud.invocations.plugins.module_utils._check_mode import VERDICT_SKIPPED, skip_message, without_not_started
from ansible_collections.multicloud.invocations.plugins.module_utils._common import output_argument_spec, wait_argument_spec
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
from ansible_collections.multicloud.invocations.plugins.module_utils._record import summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import look_up_and_wait, validate_wait_options


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


def main() -> None:
    argument_spec = {
        "command_ids": {"type": "list", "elements": "str", "aliases": ["command_id"]},
        "invocation_ids": {"type": "list", "elements": "str", "aliases": ["invocation_id"]},
        "instance_ids": {"type": "list", "elements": "str"},
        "include_output": {"type": "bool", "default": True},
        "window_id": {"type": "str"},
        "window_execution_id": {"type": "str"},
        "window_task_id": {"type": "str"},
        "executed_after": {"type": "str"},
        "executed_before": {"type": "str"},
        "include_command_details": {"type": "bool", "default": True},
    }
    argument_spec.update(wait_argument_spec())
    argument_spec.update(output_argument_spec())
    module = MultiCloudModule(argument_spec=argument_spec, required_one_of=[("command_ids", "invocation_ids", "window_id", "window_execution_id")])
    params = module.params
    result = {"invocations": []}
    skip_runs_not_started(module, params)
    try:
        validate_wait_options(params)
        result, error, failure = look_up_and_wait(module.provider, params)
    except InvocationError as error:
        module.fail(error, **result)
    if error:
        module.fail(error, **result)
    if failure:
        module.fail_json(msg=failure, changed=False, **result)
    module.exit(**result)


if __name__ == "__main__":
    main()
