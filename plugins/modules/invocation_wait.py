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
    when its counters say every target has ended (or every round when O(instance_ids) is set); when the failure
    policy stops at a failure, a rise in a command's failure counters also reads its failed invocations, filtered by status.
    For Zenlayer ZOS, a round asks which open invocations have ended (C(DescribeCommandInvocations)
    filtered by C(invocationStatuses)) and reads each of them whole once; open invocations are read
    every round only when O(instance_ids) is set or the failure policy stops at a failure.
  - Invocations that are not visible yet right after a command was sent are looked for again during
    O(not_found_grace); throttling is retried with backoff and never fails the wait by itself.
  - The verdict is taken from the instances, never from the vendor's aggregate, which can read
    C(Success) while some instances never ran.
  - While it waits, the controller shows one progress line when the counts change or every 30 seconds.
  - A task that runs on the controller (a local connection, the usual case) waits inside the action plugin's
    process, one process however long the wait; a task delegated to another host, or that names another Python,
    runs the module there.
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
  waits:
    description:
      - Wait on the runs of several providers, regions or accounts at once, instead of O(command_ids) / O(invocation_ids),
        with one item per provider (or region, or account), each with its own connection options and the ids to wait on.
      - Every item is waited on in one poll loop with one deadline (O(timeout), or the longest item's own budget when not set).
        Each item is read at its own pace (its own backoff while nothing changes, and it alone slows down when its vendor
        throttles it). The failure policy judges the targets of all items together, once.
      - A connection option an item does not set is taken from the task (and so from C(module_defaults)), then from the
        provider's environment variables. An option the item's provider does not use, set in the item, is refused.
      - An item whose runs cannot be read (an unknown id, a wrong region, refused credentials) stops being read; the others
        are still waited on, the task fails with every item's error, and RV(invocations) keeps every record seen.
      - An V(aws_ssm) item may name a maintenance window run (O(waits[].window_execution_id), or O(waits[].window_id))
        instead of command ids; its task invocations count as targets like any instance of a command.
      - Cannot be combined with O(command_ids), O(invocation_ids), O(instance_ids) or the maintenance window options,
        since each item names its own runs. O(provider) is not used.
    type: list
    elements: dict
    version_added: 1.1.0
    suboptions:
      provider:
        description:
          - The cloud service that runs this item's commands. Needed unless O(waits[].run) names it.
        type: str
        choices: [aws_ssm, alibaba_ecs, zenlayer_zos]
      run:
        description:
          - The registered result of M(multicloud.invocations.invocation_run), to wait on every target of that run.
          - The item's provider, the runs to follow (every one the run started, its RV(multicloud.invocations.invocation_run#module:command_ids)
            or RV(multicloud.invocations.invocation_run#module:invocation_ids)) and its region come from the result.
            O(waits[].provider), O(waits[].command_ids) and O(waits[].invocation_ids) may be set too and must agree with it;
            O(waits[].region) wins over the run's. Credentials and endpoints come from the item, the task or C(module_defaults),
            never from the result (a registered result holds none).
          - The targets the run did not send to (with O(multicloud.invocations.invocation_run#module:agent_check) and
            O(multicloud.invocations.invocation_run#module:offline_targets=skip), those whose agent was not online; with
            O(multicloud.invocations.invocation_run#module:resolve_targets), the instances of a batch that was not sent)
            are judged with the others as the run's records say, V(undeliverable) with why in C(vendor_status_details) and
            the agent in C(agent); O(undeliverable) decides how they count. They are not looked for in the commands, so
            the wait does not wait for them. A wait on the run's ids alone judges only the targets the commands went to.
          - Refused when it is not an invocation_run result, when the run started nothing, or when its records were left out
            of it (O(multicloud.invocations.invocation_run#module:return_records=none)) while some targets were undeliverable.
          - Not with O(waits[].instance_ids) or the maintenance window options.
        type: dict
        version_added: 1.1.0
      command_ids:
        description:
          - V(aws_ssm) only. The commands to wait on (SSM C(CommandId) values).
        type: list
        elements: str
        aliases: [command_id]
      invocation_ids:
        description:
          - V(alibaba_ecs) and V(zenlayer_zos). The runs to wait on (Alibaba Cloud C(InvokeId), Zenlayer C(invocationId)).
        type: list
        elements: str
        aliases: [invocation_id]
      instance_ids:
        description:
          - Wait only on these instances of this item's runs. An empty list is refused.
          - Not with a maintenance window run, which covers every target of its execution.
        type: list
        elements: str
      window_execution_id:
        description:
          - V(aws_ssm) only. Wait on this maintenance window execution (C(WindowExecutionId)) instead of run ids; its task
            invocations are waited on and judged with the records of the other items, as O(window_execution_id) does alone.
          - An item names either run ids (O(waits[].command_ids), O(waits[].invocation_ids)) or one window run, not both;
            to wait on commands and a window run together, give them as two items.
        type: str
      window_task_id:
        description:
          - V(aws_ssm) only. With O(waits[].window_execution_id), only this task of the execution (its C(TaskExecutionId)).
        type: str
      window_id:
        description:
          - V(aws_ssm) only. Wait on the latest execution of this maintenance window (C(mw-) and 17 hexadecimal characters),
            or the latest one chosen by O(waits[].executed_after) / O(waits[].executed_before), as O(window_id) does alone.
        type: str
      executed_after:
        description:
          - With O(waits[].window_id), choose the latest execution that started at or after this time (ISO 8601).
        type: str
      executed_before:
        description:
          - With O(waits[].window_id), choose the latest execution that started at or before this time (ISO 8601).
        type: str
      access_key:
        description:
          - As O(access_key), for this item.
        type: str
      secret_key:
        description:
          - As O(secret_key), for this item. Never shown in results, messages or logs.
        type: str
      session_token:
        description:
          - As O(session_token), for this item. Never shown in results, messages or logs.
        type: str
      token:
        description:
          - As O(token), for this item (V(zenlayer_zos)). Never shown in results, messages or logs.
        type: str
      profile:
        description:
          - As O(profile), for this item.
        type: str
      region:
        description:
          - As O(region), for this item, for example V(eu-west-1) for an V(aws_ssm) item and V(cn-hangzhou) for an
            V(alibaba_ecs) item of the same wait.
        type: str
      endpoint_url:
        description:
          - As O(endpoint_url), for this item.
        type: str
      ca_bundle:
        description:
          - As O(ca_bundle), for this item.
        type: path
      validate_certs:
        description:
          - As O(validate_certs), for this item.
        type: bool
      allow_plain_http:
        description:
          - As O(allow_plain_http), for this item.
        type: bool
      aws_config:
        description:
          - As O(aws_config), for this item (V(aws_ssm)).
        type: dict
      signature_version:
        description:
          - As O(signature_version), for this item (V(alibaba_ecs)).
        type: str
        choices: [acs3, rpc_v1]
      request_timeout:
        description:
          - As O(request_timeout), for this item.
        type: float
  instance_ids:
    description:
      - Wait only on these instances of each command. By default every target of every command counts,
        including targets found by tag after the command was sent (C(TargetCount)).
    type: list
    elements: str
  event_queue:
    description:
      - V(aws_ssm) only. The URL of an SQS queue that an EventBridge rule fills with Systems Manager's Run Command status
        events (C(EC2 Command Status-change Notification) and C(EC2 Command Invocation Status-change Notification)).
        Between poll rounds the wait long-polls this queue instead of sleeping, and reads at once when an event says
        that a command it waits on ended, that an instance of O(instance_ids) ended, that the last instance the
        previous read left open ended, or (when the failure policy may stop at a failure) that an instance did not
        succeed. See the guide "Waking on events" for the rules and the
        queue policy.
      - Events only say when to read; every record and the verdict come from the API, exactly as without a queue.
        While events are read, the pause between rounds keeps backing off to O(max_interval) even as targets end, so
        a lost event costs at most that much lag.
      - The wait deletes every message it reads, its own or not, so give each waiting task (or each play that waits
        at once) its own queue. Two waits sharing one queue still reach the right verdicts, later.
      - A queue that cannot be read (refused, missing, unreachable) is one warning; the wait goes on polling.
      - The queue is read with the task's credentials, region and TLS settings; it needs C(sqs:ReceiveMessage) and
        C(sqs:DeleteMessage). Not for maintenance window waits, nor with O(waits).
    type: str
    version_added: 1.1.0
  event_queue_endpoint_url:
    description:
      - The SQS endpoint O(event_queue) is read at (a VPC endpoint, a test server). Defaults to SQS's own endpoint for
        the region, or to the E(AWS_ENDPOINT_URL_SQS) environment variable where the module runs. O(endpoint_url) is
        for SSM only and is not used for SQS.
      - A plain C(http://) URL needs O(allow_plain_http=true), as O(endpoint_url) does.
    type: str
    version_added: 1.1.0
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
  - multicloud.invocations.output.include_output
  - multicloud.invocations.wait
  - multicloud.invocations.window.choice
  - multicloud.invocations.attributes
  - multicloud.invocations.attributes.INFO_MODULE
  - multicloud.invocations.attributes.waiting
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

- name: Wait on AWS in one region and Alibaba Cloud in another, judged together
  multicloud.invocations.invocation_wait:
    waits:
      - provider: aws_ssm
        region: eu-west-1
        command_ids: "{{ deploy.command_id }}"
      - provider: alibaba_ecs
        region: cn-hangzhou
        invocation_ids: "{{ deploy_cn.invocation_id }}"
    max_failures: 1
    timeout: 900
  register: everywhere

- name: Stop the rollout when the canary failed
  ansible.builtin.fail:
    msg: "Canary failed on {{ outcome.invocations | selectattr('status', '!=', 'success') | map(attribute='instance_id') | join(', ') }}"
  when: outcome.verdict != 'success'
"""

RETURN = r"""
invocations:
  description:
    - The records seen, one per instance with its steps nested, as returned by M(multicloud.invocations.invocation_info).
    - Kept however the wait ended (success, failure, timeout or error). Which ones O(return_records) says. By default every
      record, and only those that did not succeed when the task fails (every record is then in RV(records_file)).
    - Compact, without C(raw), unless O(include_vendor_payload=true). The conditions judge the records with C(raw).
  returned: always
  type: list
  elements: dict
records_returned:
  description: Which records C(invocations) holds, V(all), V(unsuccessful) or V(none) (what O(return_records=auto) took).
  returned: always
  type: str
  sample: all
records_left_out:
  description: How many records O(return_records) left out of C(invocations); all of them are in C(records_file).
  returned: always
  type: int
  sample: 0
records_file:
  description:
    - When O(return_records) left any record out, the path of the JSON file that holds every record, whole (with C(raw));
      null otherwise (and when the file could not be written, with a warning; then every record is returned).
  returned: always
  type: str
  sample: /tmp/multicloud-invocations-records-0b5b1c3e-8a8f-4b43-9d55-0123456789ab-20261203T150000Z-k2j4h1.json
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
events:
  description:
    - With O(event_queue), what the wait read from it.
  returned: when O(event_queue) is set and the wait ran
  type: dict
  contains:
    received:
      description: Messages read from the queue (every one of them was deleted).
      type: int
    ours:
      description: Of those, the Run Command status events (for any command).
      type: int
    woke_rounds:
      description: Pauses an event ended early, each followed by a poll round at once (counted in RV(polls)).
      type: int
    sqs_calls:
      description: SQS requests sent (C(ReceiveMessage) and C(DeleteMessageBatch)), not counted in RV(api_calls).
      type: int
    unreadable:
      description: V(false), or why the queue could not be read (then the wait polled without it, and warned).
      type: raw
  sample: {received: 4, ours: 4, woke_rounds: 1, sqs_calls: 4, unreadable: false}
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
waits:
  description:
    - With O(waits), one entry per item, in the order given, with what it waited on and how that went.
  returned: when O(waits) is set and the wait ran
  type: list
  elements: dict
  contains:
    provider:
      description: The item's provider.
      type: str
    ids:
      description:
        - The runs of the item (command ids or invocation ids).
        - For a maintenance window item, the window execution waited on (the one its window chose, with O(waits[].window_id)).
      type: list
      elements: str
    instance_ids:
      description: The item's instance restriction, or null.
      type: list
      elements: str
    region:
      description: The region the item was read in (its own, its run's, or the task's), or null when none was set.
      type: str
    left_out:
      description:
        - Of the item's records, how many are targets its O(waits[].run) did not send to (0 without O(waits[].run)).
      type: int
    polls:
      description: Rounds in which this item was read.
      type: int
    throttled_polls:
      description: Of those, the rounds its vendor throttled.
      type: int
    api_calls:
      description: HTTP requests sent for this item.
      type: int
    records:
      description: How many records this item returned (they are in RV(invocations), each with its C(provider)).
      type: int
    ended:
      description: V(finished) when every target of the item ended, V(not_finished) when the wait ended first, V(error) when its reads failed.
      type: str
    error:
      description: Why the item's reads failed, with the vendor's error code and request id, or null.
      type: str
    error_code:
      description: The vendor's error code of that failure, or null.
      type: str
    request_id:
      description: The vendor's request id of that failure, or null.
      type: str
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

from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_module import module_spec, run


def main() -> None:
    run(MultiCloudModule(**module_spec()))


if __name__ == "__main__":
    main()
