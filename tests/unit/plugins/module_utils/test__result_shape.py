# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compact records: the vendor's payload leaves every record unless asked for, after the conditions
judged the records with it."""

from __future__ import annotations

from ansible_collections.multicloud.invocations.plugins.module_utils._conditions import Conditions
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record, make_step
from ansible_collections.multicloud.invocations.plugins.module_utils._result_shape import shape_records, shape_result


def ssm_record(index=0, exit_code=0):
    status = "success" if exit_code == 0 else "failed"
    stdout = f"line of instance {index}\n"
    plugin = {"Name": "aws:runShellScript", "Status": status.capitalize(), "ResponseCode": exit_code, "Output": stdout}
    raw = {"CommandId": "0b5b1c3e-8a8f-4b43-9d55-0123456789ab", "InstanceId": f"i-{index:017x}", "StatusDetails": status.capitalize(),
           "CommandPlugins": [plugin]}
    return make_record("aws_ssm", status, command_id=raw["CommandId"], instance_id=raw["InstanceId"], exit_code=exit_code, stdout=stdout,
                       stderr="", steps=[make_step("aws:runShellScript", status, exit_code=exit_code, stdout=stdout, stderr="")], raw=raw)


def test_records_are_compact_by_default():
    result = {"invocations": [ssm_record(0), ssm_record(1)], "summary": {}}
    shape_result(result, {})
    assert [sorted(record) for record in result["invocations"]] == [sorted(set(ssm_record()) - {"raw"})] * 2
    assert all("raw" not in step for record in result["invocations"] for step in record["steps"])


def test_the_payload_stays_when_asked_for():
    record = ssm_record(0)
    result = shape_result({"invocations": [record]}, {"include_vendor_payload": True})
    assert result["invocations"][0]["raw"]["CommandPlugins"][0]["Output"] == "line of instance 0\n"


def test_a_window_record_loses_the_payload_of_the_command_records_it_nests_too():
    nested = ssm_record(3)
    window = make_record("aws_ssm", "success", window={"window_execution_id": "e", "command_invocations": [nested]}, raw={"TaskType": "RUN_COMMAND"})
    shape_records([window])
    assert "raw" not in window and "raw" not in window["window"]["command_invocations"][0]


def test_a_result_without_records_is_left_as_it_is():
    assert shape_result({"checkpoint": {"polls": 1}}, {}) == {"checkpoint": {"polls": 1}}
    assert shape_records(None) is None


def test_conditions_on_vendor_fields_judge_before_the_payload_leaves():
    records = [ssm_record(0, exit_code=0), ssm_record(1, exit_code=0)]
    records[1]["raw"]["StatusDetails"] = "DeliveryTimedOut-but-ran"
    Conditions(failure_when="raw.StatusDetails != 'Success'").apply(records)
    shape_records(records)
    assert [(record["accepted"], record["accepted_by"]) for record in records] == [(True, "status"), (False, "failure_when")]
    assert not any("raw" in record for record in records)

