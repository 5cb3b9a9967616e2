#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: invocation_run
short_description: Start a command on instances, and optionally wait for it and judge it
version_added: 1.0.0
description:
  - Sends a command (SSM C(SendCommand)) to explicit instances or to instances selected by tag,
    and returns its command ID at once so that a later task can wait on it or resume the wait.
  - With O(wait=true), hands over to the same waiter as M(multicloud.invocations.invocation_wait),
    with the same budget, failure policy and results.
  - Every run starts a new command, so the task always reports a change.
  - An option the chosen O(provider) does not use (for example O(client_token) on V(aws_ssm), O(max_errors) on
    V(alibaba_ecs)) is refused before anything is sent, with a message naming the provider and what to use instead.
    A connection option it does not read (for example O(token) on V(aws_ssm)) only gives a warning, because one
    C(module_defaults) group often serves every provider.
author:
  - Multicloud Invocations maintainers (@multicloud-invocations)
options:
  document_name:
    description:
      - The SSM document to run (V(aws_ssm) only).
    type: str
    default: AWS-RunShellScript
  command_type:
    description:
      - For V(alibaba_ecs), the script type.
    type: str
    choices: [RunShellScript, RunPowerShellScript, RunBatScript]
  saved_command_id:
    description:
      - For V(alibaba_ecs), run this saved command (C(InvokeCommand)) instead of new O(commands) (C(RunCommand)).
    type: str
  username:
    description:
      - For V(alibaba_ecs), the user the command runs as on the instance.
    type: str
  client_token:
    description:
      - For V(alibaba_ecs), an idempotency token (at most 64 ASCII characters) - a retried task with the same token
        starts nothing new.
      - Without it, every start gets a fresh token, so that the module's own retries after a lost answer cannot run
        the command twice. When a start fails saying the command may have started, its message gives the token to
        run the task again with.
    type: str
  commands:
    description:
      - Shell lines to run, for V(AWS-RunShellScript) and V(AWS-RunPowerShellScript) (their C(commands) parameter).
    type: list
    elements: str
  parameters:
    description:
      - Document parameters, each a string or a list of strings.
      - O(commands), O(execution_timeout) and O(working_directory) are merged into these.
    type: dict
  execution_timeout:
    description:
      - Seconds the command may run on an instance before it is stopped (C(executionTimeout), 1 to 172800).
    type: int
  working_directory:
    description:
      - Directory the command runs in on the instance (C(workingDirectory)).
    type: str
  instance_ids:
    description:
      - The instances to run on, at most 50. For more, use O(targets).
    type: list
    elements: str
  targets:
    description:
      - Instance selectors, at most 5, each a key and its values (see the examples).
    type: list
    elements: dict
    suboptions:
      key:
        description:
          - V(tag:<name>), V(tag-key), V(InstanceIds) or V(resource-groups:Name).
        type: str
        required: true
      values:
        description:
          - Values to match.
        type: list
        elements: str
        required: true
  delivery_timeout:
    description:
      - For V(aws_ssm) only. Seconds the service keeps trying to deliver the command to an instance that is not
        reachable (C(TimeoutSeconds), 30 to 2592000). An instance not reached by then ends undeliverable.
      - Other providers refuse it; Alibaba Cloud gives up on an unreachable instance after about a minute.
    type: int
  max_concurrency:
    description:
      - How many instances run the command at once, a count (V(10)) or a percentage (V(25%)).
    type: str
  max_errors:
    description:
      - After how many errors (a count or a percentage) the service stops sending the command to more instances.
    type: str
  comment:
    description:
      - A comment stored with the command. For V(aws_ssm) at most 79 characters - the module ends the command's
        C(Comment) with a marker of this start (C(mci-) and 16 hex digits), by which a start whose answer was lost
        is found again without sending it twice.
    type: str
  output_s3_bucket_name:
    description:
      - An S3 bucket that receives the full output; records then carry its object URLs in C(stdout_url) and C(stderr_url).
      - With O(wait) and O(fetch_complete_output), the output SSM cut is read back from there.
    type: str
  output_s3_key_prefix:
    description:
      - The key prefix inside O(output_s3_bucket_name).
    type: str
  output_oss_uri:
    description:
      - V(alibaba_ecs) only. Where Cloud Assistant delivers the complete output of each instance, C(oss://<bucket>/<prefix>)
        (its C(OssOutputDelivery)); records then carry the object's URI (C(OssOutputUri)) in C(stdout_url).
      - With O(wait) and O(fetch_complete_output), the output Cloud Assistant cut (it keeps 24 KB) is read back from there.
      - The instances' RAM role must be allowed to write the bucket; the task's access key, to read it.
    type: str
  cloudwatch_output_log_group:
    description:
      - V(aws_ssm) only. A CloudWatch Logs log group that receives the full output of each step (SendCommand's
        C(CloudWatchOutputConfig), enabled); the agent creates the group if it is missing, and writes the streams
        C(<command id>/<instance id>/<step>/stdout) and C(/stderr). Records then carry the group in C(output_log_group).
      - 1 to 512 letters, digits and C(.), C(-), C(_), C(/), C(#). The agent's instance profile needs
        C(logs:CreateLogGroup), C(logs:CreateLogStream) and C(logs:PutLogEvents) on it.
      - With O(wait) and O(fetch_complete_output), the output SSM cut is read back from there when the command sent no
        copy to S3 (O(output_s3_bucket_name) comes first).
    type: str
  wait:
    description:
      - Wait until every target ended, then judge them, as M(multicloud.invocations.invocation_wait) does.
    type: bool
    default: false
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
        C(sqs:DeleteMessage).
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
  agent_check:
    description:
      - Before sending, read the state of every target's agent (read-only; SSM C(DescribeInstanceInformation),
        every page; Alibaba Cloud C(DescribeCloudAssistantStatus), 50 instances a call), and act on the targets whose
        agent is not online as O(offline_targets) says. The agents read are returned in RV(agents).
      - An agent is V(online), V(lost) (registered, no longer answering - SSM C(ConnectionLost), Cloud Assistant
        V("false") with an agent version) or V(not_registered) (SSM - not a managed node, which includes stopped and
        terminated instances; Cloud Assistant - V("false") without a version, or not listed).
      - A vendor's agent state is a hint, not a promise - an agent may go offline right after the check, and a wait
        still reports what really happened.
      - The check runs in check mode too (it changes nothing), so RV(request) shows what would be sent.
      - V(aws_ssm) checks O(instance_ids) or tag O(targets) (V(tag:<name>), V(tag-key)); with tag targets it reads the
        managed nodes the tags select. V(alibaba_ecs) checks O(instance_ids) only (its status call takes no tag).
      - V(zenlayer_zos) refuses it - ZOS documents no call that reports the guest agent's state.
    type: bool
    default: false
  offline_targets:
    description:
      - With O(agent_check), what to do when some targets' agents are not online.
      - V(fail) sends nothing and fails, with an V(undeliverable) record for each such target (RV(api_calls) counts only
        the check).
      - V(skip) sends to the targets whose agent is online, and returns an V(undeliverable) record for each target left
        out, its agent in the record's C(agent) field, so the failure policy (see O(undeliverable)) and a gate count it.
        Nothing is sent when no agent is online. With O(targets) it needs O(resolve_targets), and more than 50 online
        instances are sent in batches of 50 (see O(resolve_targets)).
      - V(send) sends to every target anyway; the vendor's record of each offline target carries its agent in C(agent).
    type: str
    choices: [fail, skip, send]
    default: fail
  resolve_targets:
    description:
      - For O(offline_targets=skip) with V(aws_ssm) tag O(targets) - send the command to the instance ids the tags
        resolve to (the managed nodes whose agent is online) instead of to the tags.
      - The command then reaches only the instances resolved now, not one tagged a moment later.
      - C(SendCommand) takes at most 50 instance ids, so more are sent in batches of 50, one C(SendCommand) each, in
        order, each sent at most once (each carries its own marker in C(Comment), by which a lost answer is found again
        without sending it twice). RV(command_ids) lists the command of every batch and RV(batches) what became of each.
      - When a batch's start fails (the vendor refuses it), or its answer is lost and its command cannot be found, no later batch is sent and the
        task fails at once (without waiting) with the vendor's error code and request id. The instances of the batches
        not sent are V(undeliverable) records (C(vendor_status_details) says why); those of a batch that may have started
        are V(unknown). Wait on the commands that were sent with M(multicloud.invocations.invocation_wait) and RV(command_ids).
      - With O(wait=true), one wait follows the commands of every batch, within one O(timeout) for the whole task (the
        batches' starts included), and judges each instance once.
    type: bool
    default: false
extends_documentation_fragment:
  - multicloud.invocations.common
  - multicloud.invocations.output
  - multicloud.invocations.output.include_output
  - multicloud.invocations.wait
  - multicloud.invocations.attributes
  - multicloud.invocations.attributes.waiting
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is sent; RV(request) shows what would be sent.
  diff_mode:
    support: none
seealso:
  - module: multicloud.invocations.invocation_wait
  - module: multicloud.invocations.invocation_info
"""

EXAMPLES = r"""
- name: Start a deployment on every web instance and return at once
  multicloud.invocations.invocation_run:
    commands:
      - /opt/app/bin/deploy --version 4.2.0
    targets:
      - key: tag:role
        values: [web]
    execution_timeout: 900
    max_concurrency: "25%"
    max_errors: "1"
    comment: deploy 4.2.0
    region: eu-west-1
  register: deploy

- name: Run a script through Alibaba Cloud Assistant on tagged instances and wait
  multicloud.invocations.invocation_run:
    provider: alibaba_ecs
    commands:
      - systemctl is-active nginx
    targets:
      - key: tag:role
        values: [web]
    execution_timeout: 60
    wait: true
    region: cn-hangzhou
  register: cloud_assistant

- name: Run a health check on two instances and wait for the verdict
  multicloud.invocations.invocation_run:
    commands:
      - curl -fsS http://localhost:8080/health
    instance_ids:
      - i-0123456789abcdef0
      - i-0fedcba9876543210
    wait: true
    timeout: 300
    region: eu-west-1
  register: health

- name: Check the agents first; send only where they are online and report the others
  multicloud.invocations.invocation_run:
    commands:
      - /opt/app/bin/rotate-logs
    instance_ids:
      - i-0bbbbbbbbbbbbbbb4
      - i-0123456789abcdef0
      - i-0fedcba9876543210
    agent_check: true
    offline_targets: skip
    wait: true
    # The instance left out is an undeliverable record; this gate judges only those that ran.
    undeliverable: ignore
    region: eu-west-1
  register: rotated

- name: Send the output to CloudWatch Logs, and read back what SSM cut once every instance ended
  multicloud.invocations.invocation_run:
    commands:
      - journalctl -u app --since today
    instance_ids:
      - i-0123456789abcdef0
      - i-0fedcba9876543210
    cloudwatch_output_log_group: /ssm/app-journal
    wait: true
    fetch_complete_output: true
    output_limit: 10000
    region: eu-west-1
  register: journal
"""

RETURN = r"""
command_id:
  description:
    - The id of the command that was started; wait on it later with M(multicloud.invocations.invocation_wait).
    - When O(resolve_targets) sent the command in batches, the command of the first batch sent (all of them are in
      RV(command_ids)).
    - In check mode, for V(aws_ssm), the placeholder C(not-started-in-check-mode), which M(multicloud.invocations.invocation_wait)
      skips, so the run-then-wait pattern runs in check mode too.
  returned: when a command was sent, and in check mode for V(aws_ssm)
  type: str
  sample: 0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10
invocation_id:
  description:
    - The id of the run that was started, for providers that name a run by its own id (not V(aws_ssm)).
    - In check mode the placeholder C(not-started-in-check-mode), which M(multicloud.invocations.invocation_wait) skips.
  returned: when such a provider started a run, and in check mode for such a provider
  type: str
command_ids:
  description:
    - For V(aws_ssm), the id of every command that was started, in order; one unless O(resolve_targets) sent the
      command in batches. Give it to M(multicloud.invocations.invocation_wait)'s O(multicloud.invocations.invocation_wait#module:command_ids).
    - In check mode, a placeholder C(not-started-in-check-mode) per command that would be started.
  returned: when a command was sent, and in check mode, for V(aws_ssm)
  type: list
  elements: str
  sample: [0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10]
invocation_ids:
  description:
    - The same for providers that name a run by its own id (not V(aws_ssm)), one item.
  returned: when such a provider started a run, and in check mode for such a provider
  type: list
  elements: str
batches:
  description:
    - With O(resolve_targets), the starts the resolved instances were (or in check mode would be) sent in, at most 50
      instances each, in order.
    - Each has C(batch) (its number from 1), C(instance_ids), C(state), C(command_id) (null unless sent), C(request) (what
      was or would be sent, with its own marker at the end of C(Comment)) and C(error) (C(message), C(code) and C(request_id)
      of the batch that failed; null for the others).
    - C(state) is V(sent); V(failed) - its start failed for sure (the vendor refused it, or it could not be sent), nothing of
      it runs; V(unconfirmed) - its answer was lost and its command was not found, so it may have started; or V(not_sent) -
      an earlier batch failed, or check mode.
  returned: when O(resolve_targets) sent (or in check mode would send) to instance ids
  type: list
  elements: dict
command:
  description:
    - The command as the vendor returned it, with its timeouts and target counts.
    - With several batches, the first batch's command.
  returned: when a command was sent
  type: dict
request:
  description:
    - What was sent (or, in check mode, what would be sent).
    - With several batches, the first batch's request; every batch's is in RV(batches).
  returned: always
  type: dict
invocations:
  description:
    - Records as in M(multicloud.invocations.invocation_info), compact (without C(raw)) unless O(include_vendor_payload=true).
    - Which ones O(return_records) says. By default every record, and only those that did not succeed when the task fails
      (every record is then in RV(records_file)).
    - Without O(wait), the explicit instances as V(pending); with O(targets) the instances are only known
      once the service resolved them, so the list may be empty.
    - With O(agent_check), first an V(undeliverable) record for each target not sent to (its agent in C(agent)).
    - When a batch of O(resolve_targets) failed, a record for each instance of the batches not sent (V(undeliverable))
      and of a batch that may have started (V(unknown)), with why in C(vendor_status_details).
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
  description: Counts per status and aggregates, as in M(multicloud.invocations.invocation_info).
  returned: always
  type: dict
verdict:
  description: With O(wait=true), the verdict as in M(multicloud.invocations.invocation_wait).
  returned: when O(wait=true)
  type: str
passed:
  description: With O(wait=true), whether the verdict is success.
  returned: when O(wait=true)
  type: bool
reason:
  description: With O(wait=true), why the verdict is what it is.
  returned: when O(wait=true)
  type: str
elapsed:
  description: Seconds the wait took.
  returned: when O(wait=true)
  type: float
wait_warnings:
  description: With O(wait=true), what the operator should know about how the wait ran, as in M(multicloud.invocations.invocation_wait).
  returned: when O(wait=true)
  type: list
  elements: str
timed_out:
  description: With O(wait=true), whether the budget ran out first.
  returned: when O(wait=true)
  type: bool
events:
  description:
    - With O(wait=true) and O(event_queue), what the wait read from it.
  returned: when O(event_queue) is set and O(wait=true)
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
polls:
  description: With O(wait=true), poll rounds made.
  returned: when O(wait=true)
  type: int
api_calls:
  description: HTTP requests the task sent to the vendor's API, every attempt counted (retries included, see RV(api_retries)).
  returned: always
  type: int
agents:
  description:
    - With O(agent_check), every target's agent as the vendor reported it before anything was sent.
    - Each has C(instance_id), C(state) (V(online), V(lost), V(not_registered)), C(ready) (the state is online),
      C(vendor_status) (SSM C(PingStatus), Cloud Assistant C(CloudAssistantStatus), or a note when the vendor does not
      list the instance), C(last_seen) (the agent's last heartbeat, where the vendor gives it) and C(raw) (the vendor's item).
  returned: when O(agent_check=true)
  type: list
  elements: dict
provider:
  description:
    - The provider the command was sent with (or would have been), so a later wait or gate given this result
      (M(multicloud.invocations.invocation_wait)'s O(multicloud.invocations.invocation_wait#module:waits[].run), the
      C(invocation_gate) role's C(run)) reads it there.
  returned: always
  type: str
  sample: aws_ssm
region:
  description:
    - The region the command was sent in, as the task set it, or null when it came from the environment or a profile.
  returned: always, for providers that have regions (not V(zenlayer_zos))
  type: str
  sample: eu-west-1
api_retries:
  description:
    - Of RV(api_calls), the requests that repeated an earlier one after throttling or a transient error (the API client's
      retries, not the wait's poll rounds).
  returned: always
  type: int
"""

from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule
from ansible_collections.multicloud.invocations.plugins.module_utils._run_module import module_spec, run


def main() -> None:
    run(MultiCloudModule(**module_spec()))


if __name__ == "__main__":
    main()
