# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""success_when / failure_when refine what counts as success, per target that ran and ended."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._conditions import Condition, ConditionError, Conditions
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._policy import FailurePolicy, judge
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record


def record(status, exit_code=None, stdout="", instance_id="i-0123456789abcdef0"):
    return make_record("aws_ssm", status, instance_id=instance_id, exit_code=exit_code, stdout=stdout)


def test_without_conditions_the_status_decides():
    records = [record("success", 0), record("failed", 1), record("running")]
    Conditions().apply(records)
    assert [(r["accepted"], r["accepted_by"]) for r in records] == [(True, "status"), (False, "status"), (None, None)]


def test_success_when_accepts_a_failed_status_with_an_allowed_exit_code():
    records = [record("failed", 3), record("failed", 1), record("success", 0)]
    Conditions(success_when="exit_code == `0` || exit_code == `3`").apply(records)
    assert [r["accepted"] for r in records] == [True, False, True]
    assert {r["accepted_by"] for r in records} == {"success_when"}
    assert judge(records, FailurePolicy()).failed == 1


def test_success_when_can_reject_a_success_status():
    records = [record("success", 0, stdout="starting\n"), record("success", 0, stdout="READY\n")]
    Conditions(success_when="contains(stdout, 'READY')").apply(records)
    assert [r["accepted"] for r in records] == [False, True]


def test_failure_when_wins_over_success_when():
    records = [record("success", 0, stdout="READY but WARNING: disk 95%")]
    Conditions(success_when="contains(stdout, 'READY')", failure_when="contains(stdout, 'WARNING')").apply(records)
    assert (records[0]["accepted"], records[0]["accepted_by"]) == (False, "failure_when")


def test_conditions_never_end_a_running_target():
    records = [record("running", stdout="READY")]
    Conditions(success_when="contains(stdout, 'READY')").apply(records)
    assert records[0]["accepted"] is None
    assert judge(records, FailurePolicy()).verdict == "timed_out"


def test_a_target_that_never_ran_is_never_accepted():
    records = [record("undeliverable")]
    Conditions(success_when="`true`").apply(records)
    assert records[0]["accepted"] is False


def test_a_type_error_inside_a_function_does_not_match():
    records = [record("success", 0, stdout=None)]
    Conditions(success_when="contains(stdout, 'READY')").apply(records)
    assert records[0]["accepted"] is False


@pytest.mark.parametrize("option", ["success_when", "failure_when"])
def test_a_bad_expression_fails_before_anything_runs(option):
    with pytest.raises(InvalidInput) as caught:
        Conditions(**{option: "exit_code == "})
    assert caught.value.message.startswith(f"{option} is not a valid JMESPath expression")


# --- Issue 14.4: only targets that ran to their own end are judged by a condition ---------------


@pytest.mark.parametrize("status", ["cancelled", "timed_out", "undeliverable", "skipped"])
def test_a_target_that_did_not_run_to_its_end_is_never_accepted(status):
    # The vendor may report an exit code 0 for a stopped or timed-out process (Alibaba does).
    records = [record(status, 0)]
    Conditions(success_when="exit_code == `0` || exit_code == `3`").apply(records)
    assert (records[0]["accepted"], records[0]["accepted_by"]) == (False, "status")


@pytest.mark.parametrize("status", ["cancelled", "timed_out"])
def test_failure_when_is_not_what_rejects_a_target_that_did_not_run_to_its_end(status):
    records = [record(status, 0, stdout="WARNING")]
    Conditions(failure_when="contains(stdout, 'WARNING')").apply(records)
    assert (records[0]["accepted"], records[0]["accepted_by"]) == (False, "status")


# --- Issue 14.5: an expression that can only fail is refused before any API call ----------------


@pytest.mark.parametrize("option", ["success_when", "failure_when"])
@pytest.mark.parametrize("expression", ["nosuch(@)", "length(stdout, stderr)", "abs()"])
def test_an_expression_that_fails_on_any_record_is_refused_at_construction(option, expression):
    with pytest.raises(InvalidInput) as caught:
        Conditions(**{option: expression})
    assert option in caught.value.message
    assert repr(expression) in caught.value.message
    assert "could not be evaluated on a sample record" in caught.value.message


def test_an_evaluation_error_later_names_the_expression_and_the_record_and_judges_the_others():
    # Passes the sample records (exit codes 0 and 1), fails on exit code 3.
    conditions = Conditions(success_when="exit_code == `3` && nosuch(@)")
    records = [record("success", 0, instance_id="i-0aaaaaaaaaaaaaaaa"), record("failed", 3, instance_id="i-0bbbbbbbbbbbbbbbb"), record("running")]
    with pytest.raises(ConditionError) as caught:
        conditions.apply(records)
    message = caught.value.message
    assert "success_when 'exit_code == `3` && nosuch(@)' could not be evaluated" in message
    assert "i-0bbbbbbbbbbbbbbbb" in message
    # The record it failed on is left undecided; the others are judged.
    assert [r["accepted"] for r in records] == [False, None, None]
    assert records[0]["accepted_by"] == "success_when"


# --- Issue 16: a condition must give true or false ------------------------------------------------


@pytest.mark.parametrize("expression", ["stdout", "exit_code", "length(stdout)"])
def test_a_condition_that_does_not_give_a_boolean_is_refused_before_any_call(expression):
    with pytest.raises(InvalidInput) as caught:
        Conditions(success_when=expression)
    assert "must evaluate to true or false" in caught.value.message
    assert repr(expression) in caught.value.message


def test_a_misspelt_field_is_refused_and_says_null():
    with pytest.raises(InvalidInput) as caught:
        Conditions(success_when="succeeded")
    assert "got null" in caught.value.message
    assert "misspelt" in caught.value.message


def test_stdout_as_a_condition_never_passes_a_target_that_exited_2():
    # Even where the sample check could not see it (null on every sample), a real record with
    # output must not be read as truthy.
    conditions = Conditions(success_when="raw.accept == `true`")
    conditions._success = Condition("success_when", "raw.text")  # bypass the sample check on purpose
    records = [make_record("aws_ssm", "failed", instance_id="i-0123456789abcdef0", exit_code=2, raw={"text": "some output"})]
    with pytest.raises(ConditionError) as caught:
        conditions.apply(records)
    assert "must evaluate to true or false, got str 'some output'" in caught.value.message
    assert "i-0123456789abcdef0 (status failed)" in caught.value.message
    assert records[0]["accepted"] is None


def test_an_equality_with_a_null_exit_code_is_false_not_an_error():
    records = [record("failed", None)]
    Conditions(success_when="exit_code == `0`").apply(records)
    assert (records[0]["accepted"], records[0]["accepted_by"]) == (False, "success_when")
