#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: invocation_info
short_description: Query run-command invocations, one normalised record per instance
version_added: 1.0.0
description:
  - Reads the invocations of a command (every instance, every page), of one instance in one command,
    or the recent invocations of an instance, and returns one record per instance (its steps nested) with a
    normalised C(status) (the values O(statuses) filters on) beside the vendor's own values.
  - Reads the task invocations of an SSM Maintenance Window execution (O(window_id) or
    O(window_execution_id)), one record per task invocation, with the Run Command records of each
    C(RUN_COMMAND) invocation attached (see O(include_command_details)).
  - Never changes anything.
author:
  - Multicloud Invocations maintainers (@multicloud-invocations)
options:
  command_id:
    description:
      - The command whose invocations to read (SSM C(CommandId)).
      - With O(instance_id), only that instance's invocation, with its full output
        (up to 24,000 characters of stdout and 8,000 of stderr).
      - Without O(instance_id), every instance of the command, with up to 2,500 characters of output each.
    type: str
  invocation_id:
    description:
      - The run to read, for providers that identify a run by its own id rather than by a command id.
      - V(aws_ssm) identifies runs by command id and refuses this option.
    type: str
  instance_id:
    description:
      - The instance whose invocations to read.
      - Without O(command_id), its most recent invocations, newest first, up to O(max_results).
    type: str
  plugin_name:
    description:
      - The step name of a multi-step document (SSM C(PluginName), for example V(aws:runShellScript)).
      - Only with both O(command_id) and O(instance_id).
    type: str
  statuses:
    description:
      - Return only invocations whose normalised status is one of these.
    type: list
    elements: str
    choices: [pending, running, cancelling, success, failed, timed_out, cancelled, undeliverable, skipped, unknown]
  include_history:
    description:
      - For V(alibaba_ecs), with O(invocation_id) of a periodic task (C(Period), C(EveryReboot)), every past run
        (C(DescribeInvocationResults) with C(IncludeHistory)), not only the latest.
    type: bool
    default: false
  max_results:
    description:
      - How many invocations to return at most when querying by O(instance_id) alone.
    type: int
    default: 50
extends_documentation_fragment:
  - multicloud.invocations.common
  - multicloud.invocations.output
  - multicloud.invocations.output.include_output
  - multicloud.invocations.common.read_grace
  - multicloud.invocations.window
  - multicloud.invocations.window.choice
  - multicloud.invocations.attributes
  - multicloud.invocations.attributes.INFO_MODULE
seealso:
  - module: multicloud.invocations.invocation_wait
  - module: multicloud.invocations.invocation_run
"""

EXAMPLES = r"""
- name: Read every instance of a command
  multicloud.invocations.invocation_info:
    command_id: "{{ deploy.command_id }}"
    region: eu-west-1
  register: deploy_state

- name: Read one instance with its full output
  multicloud.invocations.invocation_info:
    command_id: "{{ deploy.command_id }}"
    instance_id: i-0123456789abcdef0
    region: eu-west-1

- name: Keep 2,000 characters of each stream in the result and save every stream to a file
  multicloud.invocations.invocation_info:
    command_id: "{{ deploy.command_id }}"
    region: eu-west-1
    output_limit: 2000
    output_dir: "{{ playbook_dir }}/output"
  register: saved_output

- name: List the failed invocations only, without output
  multicloud.invocations.invocation_info:
    command_id: "{{ deploy.command_id }}"
    statuses: [failed, timed_out, undeliverable]
    include_output: false
    region: eu-west-1

- name: Read a Cloud Assistant run, every instance with its decoded output
  multicloud.invocations.invocation_info:
    provider: alibaba_ecs
    invocation_id: "{{ run.invocation_id }}"
    region: cn-hangzhou

- name: The last ten invocations on one instance
  multicloud.invocations.invocation_info:
    instance_id: i-0123456789abcdef0
    max_results: 10
    region: eu-west-1

- name: How did the last run of a maintenance window go, per target?
  multicloud.invocations.invocation_info:
    window_id: mw-0c50858d01e5f0a1b
    region: eu-west-1
  register: patching

- name: The failed or skipped task invocations of one window execution, without command details
  multicloud.invocations.invocation_info:
    window_execution_id: 14bea65d-5ccc-462d-a2f3-e99c8e0a1b2c
    statuses: [failed, timed_out, skipped]
    include_command_details: false
    region: eu-west-1
"""

RETURN = r"""
invocations:
  description:
    - One record per instance of a run; the vendor's steps on that instance are nested in RV(invocations[].steps).
    - The full schema, and the fields later options add, is on the status model page of the collection's docs.
    - Which ones O(return_records) says; by default every record read.
  returned: always
  type: list
  elements: dict
  contains:
    provider:
      description: The provider that reported it.
      type: str
      sample: aws_ssm
    command_id:
      description: The command.
      type: str
      sample: 0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10
    invocation_id:
      description: The vendor's id of this invocation, where it has one apart from the command.
      type: str
    instance_id:
      description: The instance.
      type: str
      sample: i-0123456789abcdef0
    instance_name:
      description: The instance's name, where the vendor reports one.
      type: str
    status:
      description:
        - The instance's normalised status.
        - With steps, the first status of its steps in this order - V(failed), V(timed_out), V(cancelled),
          V(undeliverable), V(running), V(pending), V(success); skipped steps do not count.
      type: str
      sample: success
    terminal:
      description: Whether the status is final.
      type: bool
    vendor_status:
      description: The vendor's own status.
      type: str
      sample: Success
    vendor_status_details:
      description: The vendor's detailed status, which decides the normalised one where it exists.
      type: str
      sample: Success
    exit_code:
      description:
        - The exit code of the step that decided RV(invocations[].status) (of the run, for vendors without steps),
          once it ended; null before and when it never ran.
        - Null too where the process did not end by itself (stopped, timed out, never delivered, skipped); vendors
          report a code there too (Cloud Assistant C(ExitCode) 0, the killed process's code on SSM), which stays in
          RV(invocations[].raw) (with O(include_vendor_payload=true)).
      type: int
      sample: 0
    stdout:
      description: Standard output of the deciding step (of the run, for vendors without steps), as far as the vendor returns it.
      type: str
    stderr:
      description: Standard error of the deciding step, as far as the vendor returns it.
      type: str
    stdout_truncated:
      description:
        - Whether the vendor cut standard output (see RV(invocations[].stdout_url) for the full copy), and no complete copy
          replaced it (O(fetch_complete_output)).
      type: bool
    stderr_truncated:
      description: Whether the vendor cut standard error.
      type: bool
    stdout_url:
      description: Where the full standard output is stored, when output storage was configured.
      type: str
    stderr_url:
      description: Where the full standard error is stored, when output storage was configured.
      type: str
    output_log_group:
      description:
        - V(aws_ssm) only. The CloudWatch Logs log group the command sent its full output to (C(CloudWatchOutputConfig);
          C(/aws/ssm/<document name>) when it was enabled without a group name); null when it sent none there.
        - Each step's streams are C(<command_id>/<instance_id>/<step>/stdout) and C(/stderr), C(<step>) being the step's name
          with colons and asterisks written as dashes.
      type: str
    stdout_file:
      description: With O(output_dir), the path of the file that holds the deciding step's standard output; null otherwise.
      type: str
    stderr_file:
      description: With O(output_dir), the path of the file that holds the deciding step's standard error; null otherwise.
      type: str
    stdout_omitted:
      description: How many characters O(output_limit) left out of RV(invocations[].stdout); V(0) when none.
      type: int
    stderr_omitted:
      description: How many characters O(output_limit) left out of RV(invocations[].stderr); V(0) when none.
      type: int
    output_warnings:
      description:
        - What went wrong with this record's output apart from the run itself (a file that could not be written, a
          complete copy that could not be fetched), each with C(code) and C(message), and for a fetch C(stream),
          C(step) and the vendor's C(request_id). The verdict never depends on them.
      type: list
      elements: dict
    requested_at:
      description: When the command was sent, ISO 8601 UTC.
      type: str
      sample: "2026-11-22T13:07:09.708Z"
    started_at:
      description: When the command (its first step) started on the instance, ISO 8601 UTC.
      type: str
    ended_at:
      description: When the command (its last step) ended on the instance, ISO 8601 UTC; null while it is open.
      type: str
    steps:
      description:
        - The vendor's steps on this instance, in document order. V(aws_ssm) gives one per C(CommandPlugin)
          (one for a one-step document such as C(AWS-RunShellScript)).
        - V(alibaba_ecs) and V(zenlayer_zos) run one script per instance and report no steps - the list is
          empty and the record's own fields are the run's.
      type: list
      elements: dict
      contains:
        name:
          description: The step's name (SSM plugin name, for example V(aws:runShellScript)).
          type: str
        status:
          description: The step's normalised status.
          type: str
        vendor_status:
          description: The vendor's status of the step.
          type: str
        vendor_status_details:
          description: The vendor's detailed status of the step.
          type: str
        exit_code:
          description: The step's exit code; null while it is open and when it never ran.
          type: int
        stdout:
          description: The step's standard output.
          type: str
        stderr:
          description: The step's standard error.
          type: str
        stdout_truncated:
          description: Whether the vendor cut the step's standard output.
          type: bool
        stderr_truncated:
          description: Whether the vendor cut the step's standard error.
          type: bool
        stdout_url:
          description: Where the step's full standard output is stored, when output storage was configured.
          type: str
        stderr_url:
          description: Where the step's full standard error is stored, when output storage was configured.
          type: str
        stdout_file:
          description: With O(output_dir), the path of the file that holds the step's standard output.
          type: str
        stderr_file:
          description: With O(output_dir), the path of the file that holds the step's standard error.
          type: str
        stdout_omitted:
          description: How many characters O(output_limit) left out of the step's standard output.
          type: int
        stderr_omitted:
          description: How many characters O(output_limit) left out of the step's standard error.
          type: int
        started_at:
          description: When the step started, ISO 8601 UTC.
          type: str
        ended_at:
          description: When the step ended, ISO 8601 UTC.
          type: str
    accepted:
      description:
        - Whether the target counts as a success for a verdict; null while it has not ended.
        - Decided by its status, or by O(multicloud.invocations.invocation_wait#module:success_when) and
          O(multicloud.invocations.invocation_wait#module:failure_when) where those are given.
      type: bool
    accepted_by:
      description: What decided RV(invocations[].accepted) - V(status), V(success_when) or V(failure_when).
      type: str
      sample: status
    window:
      description:
        - Maintenance window task invocations only (null otherwise). A record stands for one task invocation;
          its RV(invocations[].command_id) is the task's Run Command command (C(ExecutionId)) for C(RUN_COMMAND) tasks.
        - A window execution skipped because the previous one still ran (C(SKIPPED_OVERLAPPING)), or a task that
          ended without any invocation, is one record with no instance, so it is not mistaken for "nothing to see".
      type: dict
      contains:
        window_id:
          description: The maintenance window.
          type: str
        window_execution_id:
          description: The window execution.
          type: str
        task_execution_id:
          description: The task execution (what O(window_task_id) takes).
          type: str
        invocation_id:
          description: The task invocation.
          type: str
        execution_id:
          description: What the task started (a Run Command command id, an automation execution id, ...).
          type: str
        task_type:
          description: V(RUN_COMMAND), V(AUTOMATION), V(STEP_FUNCTIONS) or V(LAMBDA).
          type: str
        task_arn:
          description: The document, automation, state machine or function the task runs.
          type: str
        parameters:
          description: The invocation's C(Parameters), parsed from the JSON string the service returns.
          type: raw
        owner_information:
          description: The owner information of the window target.
          type: str
        window_target_id:
          description: The registered window target this invocation came from.
          type: str
        command_invocations:
          description: The Run Command records of the task's command (with O(include_command_details)).
          type: list
          elements: dict
    raw:
      description:
        - The vendor's item this record was made from (for V(aws_ssm), the invocation with every C(CommandPlugins) entry).
        - Only with O(include_vendor_payload=true); records are compact without it.
      returned: when O(include_vendor_payload=true)
      type: dict
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
  description: Counts per normalised status, the aggregate computed from them, and the vendor's own aggregate.
  returned: always
  type: dict
  contains:
    total:
      description: Records (instances) seen.
      type: int
    expected:
      description:
        - Targets the vendor announced (SSM C(TargetCount)) or the task knows were asked for (the instance ids
          given to it), at least RV(summary.total).
      type: int
    not_visible:
      description: Expected targets with no record, the same as C(not_visible) in RV(summary.counts).
      type: int
    terminal:
      description: Records with a final status.
      type: int
    open:
      description: Records still pending or running.
      type: int
    counts:
      description:
        - Instances per normalised status, and C(not_visible) - targets expected but not visible.
      type: dict
      sample: {"pending": 0, "running": 1, "success": 8, "failed": 1, "not_visible": 0}
    aggregate:
      description:
        - The aggregate status computed from the records, never taken from the vendor.
        - Targets not visible count as still pending, so it is never V(success) while any is missing.
      type: str
      sample: partial_failed
    vendor_aggregate:
      description: The vendor's own command-level status and counts, per command.
      type: dict
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
"""

from ansible_collections.multicloud.invocations.plugins.module_utils._info_module import module_spec, run
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule


def main() -> None:
    run(MultiCloudModule(**module_spec()))


if __name__ == "__main__":
    main()
