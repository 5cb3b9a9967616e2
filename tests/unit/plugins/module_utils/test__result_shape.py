# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compact records: the vendor's payload leaves every record unless asked for, after the conditions
judged the records with it."""

from __future__ import annotations

import json
import os
import stat
import tempfile

import pytest

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.multicloud.invocations.plugins.module_utils import _output
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._conditions import Conditions
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import invocation_records
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record, make_step, summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._result_shape import records_choice, shape_records, shape_result


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
    result = {"invocations": [record]}
    shape_result(result, {"include_vendor_payload": True})
    assert result["invocations"][0]["raw"]["CommandPlugins"][0]["Output"] == "line of instance 0\n"


def test_a_window_record_loses_the_payload_of_the_command_records_it_nests_too():
    nested = ssm_record(3)
    window = make_record("aws_ssm", "success", window={"window_execution_id": "e", "command_invocations": [nested]}, raw={"TaskType": "RUN_COMMAND"})
    shape_records([window])
    assert "raw" not in window and "raw" not in window["window"]["command_invocations"][0]


def test_a_result_without_records_is_left_as_it_is():
    result = {"checkpoint": {"polls": 1}}
    assert shape_result(result, {}) == []
    assert result == {"checkpoint": {"polls": 1}}
    assert shape_records(None) is None


def test_conditions_on_vendor_fields_judge_before_the_payload_leaves():
    records = [ssm_record(0, exit_code=0), ssm_record(1, exit_code=0)]
    records[1]["raw"]["StatusDetails"] = "DeliveryTimedOut-but-ran"
    Conditions(failure_when="raw.StatusDetails != 'Success'").apply(records)
    shape_records(records)
    assert [(record["accepted"], record["accepted_by"]) for record in records] == [(True, "status"), (False, "failure_when")]
    assert not any("raw" in record for record in records)


# -- which records come back, and the file that holds them all ----------------------------------------


def judged(records):
    Conditions().apply(records)
    return records


def fleet(failed=(1,)):
    return judged([ssm_record(index, exit_code=3 if index in failed else 0) for index in range(4)])


def test_all_records_come_back_by_default_when_the_task_succeeds():
    result = {"invocations": fleet(), "summary": {"total": 4}}
    assert shape_result(result, {}) == []
    assert len(result["invocations"]) == 4
    assert (result["records_returned"], result["records_left_out"], result["records_file"]) == ("all", 0, None)


def test_a_failed_task_returns_its_unsuccessful_records_and_writes_them_all(tmp_path):
    records = fleet(failed=(1, 3))
    records.append(ssm_record(9, exit_code=0))
    records[-1].update(status="running", terminal=False, accepted=None)
    result = {"invocations": records, "summary": {"total": 5}}
    shape_result(result, {"output_dir": str(tmp_path)}, failed=True)
    assert [record["instance_id"] for record in result["invocations"]] == ["i-00000000000000001", "i-00000000000000003", "i-00000000000000009"]
    assert result["records_returned"] == "unsuccessful" and result["records_left_out"] == 2
    assert all("raw" not in record for record in result["invocations"])
    path = result["records_file"]
    assert os.path.dirname(path) == str(tmp_path / "records")
    assert os.path.basename(path).startswith("0b5b1c3e-8a8f-4b43-9d55-0123456789ab-")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as stream:
        saved = json.load(stream)
    assert [record["instance_id"] for record in saved] == [f"i-{index:017x}" for index in (0, 1, 2, 3, 9)]
    assert saved[1]["raw"]["CommandPlugins"][0]["ResponseCode"] == 3
    assert result["summary"] == {"total": 5}
    assert [name for name in os.listdir(tmp_path / "records") if not name.endswith(".json")] == []


def test_the_option_wins_over_the_default():
    result = {"invocations": fleet()}
    shape_result(result, {"return_records": "all"}, failed=True)
    assert len(result["invocations"]) == 4 and result["records_file"] is None
    result = {"invocations": fleet(), "summary": {}}
    shape_result(result, {"return_records": "none"})
    assert result["invocations"] == [] and result["records_left_out"] == 4
    os.unlink(result["records_file"])


def test_without_output_dir_the_file_goes_to_the_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = {"invocations": fleet()}
    shape_result(result, {"return_records": "unsuccessful"})
    assert os.path.dirname(result["records_file"]) == str(tmp_path)
    assert os.path.basename(result["records_file"]).startswith("multicloud-invocations-records-0b5b1c3e-")


def test_a_run_id_never_leads_the_file_out_of_its_directory(tmp_path):
    records = fleet()
    for record in records:
        record["command_id"] = "../../etc/passwd"
    result = {"invocations": records}
    shape_result(result, {"return_records": "none", "output_dir": str(tmp_path)})
    assert os.path.dirname(result["records_file"]) == str(tmp_path / "records")
    assert os.path.basename(result["records_file"]).startswith("_._.._etc_passwd-")
    assert os.path.realpath(result["records_file"]).startswith(str(tmp_path / "records") + os.sep)


def test_a_file_that_cannot_be_written_keeps_every_record_in_the_result(tmp_path):
    blocker = tmp_path / "records"
    blocker.write_text("not a directory")
    result = {"invocations": fleet()}
    warnings = shape_result(result, {"return_records": "none", "output_dir": str(tmp_path)})
    assert len(result["invocations"]) == 4 and result["records_file"] is None
    assert result["records_returned"] == "all" and result["records_left_out"] == 0
    assert len(warnings) == 1 and "could not be written" in warnings[0] and "every record is in the result" in warnings[0]


def test_an_unknown_choice_is_refused_with_the_choices():
    with pytest.raises(InvalidInput, match="return_records must be one of auto, all, unsuccessful, none, got 'some'"):
        records_choice({"return_records": "some"}, failed=False)
    assert records_choice({}, failed=True) == "unsuccessful"
    assert records_choice({"return_records": "auto"}, failed=False) == "auto"


# -- what fits where Ansible keeps results ----------------------------------------------------------------

# ansible-runner's MAX_EVENT_RES: a job event's result over this many characters becomes {}.
MAX_EVENT_RES = 700_000


def ssm_fleet(count, failing=()):
    """Records as the SSM adapter makes them from ListCommandInvocations (Details=true), one line of output each."""
    command_id = "2f2f4a5c-1f4e-4c9e-8d2b-6f0e5c3b9a10"
    records = []
    for index in range(count):
        code = 1 if index in failing else 0
        status = "Failed" if code else "Success"
        item = {
            "CommandId": command_id, "InstanceId": f"i-{index:017x}", "InstanceName": f"bench-{index:05d}", "Comment": "",
            "DocumentName": "AWS-RunShellScript", "DocumentVersion": "$DEFAULT", "RequestedDateTime": "2026-12-03T15:00:00.000Z",
            "Status": status, "StatusDetails": status, "StandardOutputUrl": "", "StandardErrorUrl": "", "ServiceRole": "",
            "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
            "CommandPlugins": [{
                "Name": "aws:runShellScript", "Status": status, "StatusDetails": status, "ResponseCode": code,
                "ResponseStartDateTime": "2026-12-03T15:00:01.000Z", "ResponseFinishDateTime": "2026-12-03T15:00:04.000Z",
                "Output": f"done on i-{index:017x}\n", "StandardOutputUrl": "", "StandardErrorUrl": "", "OutputS3Region": "us-east-1",
                "OutputS3BucketName": "", "OutputS3KeyPrefix": "",
            }],
        }
        records.extend(invocation_records(item))
    return judged(records)


def result_characters(result):
    """How ansible-runner measures a result against MAX_EVENT_RES: len(str(res))."""
    return len(str(result))


def wait_result(records):
    return {"invocations": records, "summary": summarize(records), "verdict": "success", "passed": True, "elapsed": 30.0, "api_calls": 31}


def test_a_1000_instance_result_fits_where_ansible_runner_keeps_results_by_default(tmp_path):
    whole = wait_result(ssm_fleet(1000, failing=range(3, 1000, 33)))
    assert result_characters(whole) > MAX_EVENT_RES  # the old shape: emptied by ansible-runner
    result = wait_result(ssm_fleet(1000, failing=range(3, 1000, 33)))
    warnings = shape_result(result, {"output_dir": str(tmp_path)})
    assert result_characters(result) < MAX_EVENT_RES
    assert result["records_returned"] == "unsuccessful" and len(result["invocations"]) == 31
    assert "the result returns the 31 that did not succeed (yet), every record is in records_file" in warnings[0]
    with open(result["records_file"], encoding="utf-8") as stream:
        assert len(json.load(stream)) == 1000


def test_a_failed_10000_instance_wait_prints_its_failures_not_every_record(tmp_path):
    result = wait_result(ssm_fleet(10_000, failing=range(3, 10_000, 33)))
    shape_result(result, {"output_dir": str(tmp_path)}, failed=True)
    assert len(result["invocations"]) == 303
    assert result_characters(result) < MAX_EVENT_RES


def test_every_record_comes_back_while_they_fit():
    result = wait_result(ssm_fleet(400))
    assert shape_result(result, {}) == []
    assert result["records_returned"] == "all" and len(result["invocations"]) == 400 and result["records_file"] is None
    assert result_characters(result) < MAX_EVENT_RES


def test_the_budget_counts_the_records_as_returned():
    # With their payload, 400 records no longer fit: auto returns the unsuccessful ones (none here).
    result = wait_result(ssm_fleet(400))
    shape_result(result, {"include_vendor_payload": True, "return_records": "auto"})
    assert result["records_returned"] == "unsuccessful" and result["invocations"] == []
    os.unlink(result["records_file"])


def test_the_records_file_masks_the_secrets_the_result_masks(tmp_path):
    records = fleet(failed=(1,))
    records[1]["stdout"] = "connecting with s3cr3t-key-value\n"
    result = {"invocations": records, "summary": {"total": len(records)}}
    shape_result(result, {"output_dir": str(tmp_path)}, failed=True, secrets={"s3cr3t-key-value"})
    with open(result["records_file"], encoding="utf-8") as stream:
        text = stream.read()
    assert "s3cr3t-key-value" not in text
    assert json.loads(text)[1]["stdout"] == "connecting with ********\n"


def test_the_records_file_walks_only_the_records_that_hold_a_secret(tmp_path, monkeypatch):
    # Masking walks every string of what it is given (remove_values): over a fleet's records, whole,
    # that was most of a wait's finish. Only a record whose JSON shows a secret is walked now.
    walked = []

    def counting(value, secrets):
        walked.append(value)
        return remove_values(value, secrets)

    monkeypatch.setattr(_output, "remove_values", counting)
    records = fleet(failed=(1, 3))
    records[3]["stdout"] = "connecting with s3cr3t-key-value\n"
    leaking, its_payload = records[3], dict(records[3]["raw"])
    result = {"invocations": records, "summary": {"total": len(records)}}
    shape_result(result, {"return_records": "unsuccessful", "output_dir": str(tmp_path)}, secrets={"s3cr3t-key-value"})
    assert len(walked) == 1 and walked[0] is leaking
    with open(result["records_file"], encoding="utf-8") as stream:
        written = json.load(stream)
    assert [record["instance_id"] for record in written] == [record["instance_id"] for record in records]
    assert written[3]["stdout"] == "connecting with ********\n"
    assert written[3]["raw"] == its_payload
