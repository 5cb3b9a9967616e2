# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Paired with wait_argument_spec() in plugins/module_utils/_common.py.
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - The time budget of the whole wait, in seconds, for every command and instance together.
      - When not set, it is derived from the commands themselves - their delivery timeout (SSM C(TimeoutSeconds))
        plus their execution timeout (C(executionTimeout)) plus 60 seconds, counted from when each command
        was sent - so that a wait never gives up on a command that may still finish.
    type: float
  delay:
    description:
      - Seconds to wait before the first poll.
    type: float
    default: 0
  interval:
    description:
      - Seconds between polls while targets are finishing.
      - While nothing changes, the pause grows by half each round up to O(max_interval); every pause is
        jittered by 20% so parallel waits do not poll in step.
    type: float
    default: 2
  max_interval:
    description:
      - The longest pause between two polls, in seconds.
    type: float
    default: 15
  not_found_grace:
    description:
      - Seconds during which a command, an invocation or an instance's invocation that is not visible yet is
        looked for again, counted from the start of the task and within O(timeout).
      - The services' read APIs are eventually consistent. Right after a command is sent, by this task or by
        any other task, job or tool, they may answer as if it did not exist. On a well-formed id every such
        answer means "not visible yet" until the grace ends; then the task fails with a message that says what
        never became visible, an error distinct from refused credentials.
      - An id whose format cannot exist fails at once, before any API call. V(0) turns the grace off.
    type: float
    default: 30
  max_failures:
    description:
      - How many targets may fail (fail, time out, be cancelled, or be undeliverable when
        O(undeliverable=failure)) and the verdict still be success.
      - When neither O(max_failures) nor O(min_success_percent) is set, every target must succeed.
    type: int
  min_success_percent:
    description:
      - The share of targets, in percent, that must succeed for the verdict to be success.
    type: float
  fail_fast:
    description:
      - Stop waiting as soon as the verdict can no longer be success, for example at the first failure
        when every target must succeed. Same as O(stop_early=failed); with O(max_failures) or
        O(min_success_percent) set, that is already the default.
    type: bool
    default: false
  stop_early:
    description:
      - When the wait stops before every target has ended. Whatever it stops on, it reads the targets
        once more and returns every one of them with the status it had then; a target still open keeps
        its status (for example V(pending) for an instance that is offline), counts as not finished in
        the reason, and C(ended_because) says why the wait stopped.
      - V(failed) stops as soon as the verdict can no longer be success (C(ended_because=fail_fast)),
        for example when O(max_failures=1) and two targets failed while another one is offline, since waiting
        for it could not change the verdict V(failed).
      - V(decided) also stops as soon as the verdict can no longer be anything but success
        (C(ended_because=decided), C(verdict=success)) because the targets still open could all fail and the
        policy would still pass. The command may still be running on those targets when the task returns,
        which is why this is never the default.
      - V(never) waits until every target has ended, or the budget has run out.
      - Default V(failed) when O(max_failures), O(min_success_percent) or O(fail_fast) is set, else V(never)
        (every target must succeed, and the wait returns every target's final status).
    type: str
    choices: [never, failed, decided]
  undeliverable:
    description:
      - How targets that never ran count (undeliverable, delivery timed out, offline or gone).
      - V(failure) counts them as failed targets.
      - V(ignore) leaves them out of the verdict and of the percentage; a set where nothing ran still fails.
    type: str
    default: failure
    choices: [failure, ignore]
  fail_on_timeout:
    description:
      - Fail the task when the budget ran out before every target finished.
      - With V(false), the task returns RV(verdict=timed_out) and everything it saw.
    type: bool
    default: true
  fail_on_failure:
    description:
      - Fail the task when the verdict is failed.
      - With V(false), the task succeeds and returns RV(verdict=failed), so later tasks can branch on it.
    type: bool
    default: true
  cancel_on_timeout:
    description:
      - When the budget runs out, stop what is still running (SSM C(CancelCommand), Cloud Assistant C(StopInvocation)).
      - Off by default, so waiting stays read-only and a later task can resume the wait.
    type: bool
    default: false
  success_when:
    description:
      - A JMESPath condition over each target's record (the fields of RV(invocations)) that decides whether a target
        that ran and ended counts as a success, instead of its status. For example V(exit_code == `0` || exit_code == `3`)
        or V(contains(stdout, 'READY')).
      - It decides only between targets that ran to their own end (V(success) and V(failed)). It never ends a running
        target, and a target that was cancelled, timed out, never delivered (undeliverable) or skipped never counts as a
        success, whatever the exit code the vendor reported for it.
      - It must evaluate to true or false. Any other result (a string such as V(stdout), a number, or null, which is how a
        misspelt field shows) is an error naming the expression and the record. Compare explicitly, for example
        V(stdout != '').
      - A function given the wrong type (for example O(include_output=false) leaves C(stdout) null) does not match.
      - It is tried on sample records before the first API call, so an unknown function or a result that is not a boolean
        fails the task at once. An evaluation error on a real record ends the wait with the same kind of message, and the
        result keeps every record seen.
      - Each record says what decided it in C(accepted) and C(accepted_by).
    type: str
  failure_when:
    description:
      - A JMESPath condition over each target's record that makes a target that ran to its own end count as a failure,
        whatever its status, for example V(contains(stdout, 'WARNING')). Checked before O(success_when), with the same
        rules (true or false, checked before the first API call).
    type: str
  checkpoint_after:
    description:
      - Internal, leave unset. The collection's action plugin sets it so the module hands control back
        every 30 seconds, or when the counts change, and the controller can print a progress line.
    type: float
  resume:
    description:
      - Internal, leave unset. The state of a wait that handed control back, set by the action plugin
        when it calls the module again.
    type: dict
  budget_started_at:
    description:
      - Internal, leave unset. When the module runs on the controller itself, the action plugin gives the moment
        (seconds since the epoch) the task started, so that the module's own start counts against O(timeout).
    type: float
"""
