# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The maintenance-window selectors, paired (with CHOICE) with window_argument_spec() in
    # plugins/module_utils/_common.py; the invocation lookup takes the same options.
    # DOCUMENTATION reads a window or an execution, as invocation_info and the lookup do;
    # invocation_wait words those three options for a wait itself and takes only CHOICE.
    DOCUMENTATION = r"""
options:
  window_id:
    description:
      - V(aws_ssm) only. A maintenance window (C(mw-) and 17 hexadecimal characters) whose latest execution to read,
        or the latest one chosen by O(executed_after) / O(executed_before).
      - Resolves the execution and its tasks, then lists every task invocation, so the three
        C(DescribeMaintenanceWindow*) calls need not be chained by hand.
      - With O(statuses), the service filters the task invocations by C(STATUS).
    type: str
  window_execution_id:
    description:
      - V(aws_ssm) only. One maintenance window execution (C(WindowExecutionId)) whose task invocations to read.
      - An id that does not exist fails with the service's C(DoesNotExistException) code and request id.
    type: str
  include_command_details:
    description:
      - For C(RUN_COMMAND) task invocations, whose C(ExecutionId) is a Run Command command id, attach the
        per-instance Run Command records (status details, exit code, stdout, stderr) as
        RV(multicloud.invocations.invocation_info#module:invocations[].window.command_invocations), and copy the
        exit code and output of a one-instance invocation into its record.
      - They are read with C(ListCommandInvocations) over the execution's time range, 50 a page for every
        command at once, not one call per instance.
      - C(LAMBDA), C(AUTOMATION) and C(STEP_FUNCTIONS) task invocations are reported with their status only;
        what ran inside them (the Lambda function's log, the automation's steps) is out of scope.
    type: bool
    default: true
"""

    # How every entry point chooses the execution of a window, and one task of an execution.
    CHOICE = r"""
options:
  window_task_id:
    description:
      - V(aws_ssm) only. With O(window_execution_id), only this task of the execution. It is the task execution id
        (C(TaskExecutionId)), not the id the task was registered with.
    type: str
  executed_after:
    description:
      - With O(window_id), choose the latest execution that started at or after this time (ISO 8601, for example
        V(2026-11-22T02:00:00Z)).
    type: str
  executed_before:
    description:
      - With O(window_id), choose the latest execution that started at or before this time (ISO 8601).
    type: str
"""
