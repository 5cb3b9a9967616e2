# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""success_when / failure_when refine what counts as success, per target that ran and ended."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._conditions import Conditions
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
