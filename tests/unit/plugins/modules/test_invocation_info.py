# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""invocation_info main(): reads through a stubbed SSM client."""

from __future__ import annotations

from ansible_collections.multicloud.invocations.plugins.module_utils._providers import aws_ssm
from ansible_collections.multicloud.invocations.plugins.modules import invocation_info


def test_every_instance_of_a_command(run_module, stubber, ssm):
    stubber.add_response("list_commands", {"Commands": [ssm.command(target_count=3)]}, {"CommandId": ssm.cid})
    stubber.add_response(
        "list_command_invocations",
        {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2, "Failed", code=2, output="x\n----------ERROR-------\nboom")]},
        ssm.list_params(),
    )
    result = run_module(invocation_info, {"command_id": ssm.cid, "region": "us-east-1"})
    assert result["changed"] is False
    assert "failed" not in result
    assert result["api_calls"] == 2
    seen = [(record["instance_id"], record["status"], record["exit_code"]) for record in result["invocations"]]
    assert seen == [(ssm.i1, "success", 0), (ssm.i2, "failed", 2)]
    assert result["invocations"][1]["stderr"] == "boom"
    summary = result["summary"]
    # The third target the vendor announced is not visible: it counts, and it keeps the aggregate open.
    assert (summary["total"], summary["expected"], summary["counts"]["not_visible"], summary["aggregate"]) == (2, 3, 1, "running")
    assert summary["not_visible"] == 1
    assert summary["vendor_aggregate"][ssm.cid]["status"] == "InProgress"


def test_statuses_filter_and_no_output(run_module, stubber, ssm):
    stubber.add_response("list_commands", {"Commands": [ssm.command()]}, {"CommandId": ssm.cid})
    stubber.add_response(
        "list_command_invocations",
        {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2, "Failed", code=1)]},
        ssm.list_params(),
    )
    result = run_module(invocation_info, {"command_id": ssm.cid, "region": "us-east-1", "statuses": ["failed", "timed_out"], "include_output": False})
    assert [record["instance_id"] for record in result["invocations"]] == [ssm.i2]
    assert result["invocations"][0]["stdout"] is None
    assert result["summary"]["total"] == result["summary"]["expected"] == 1


def test_one_instance_uses_get_command_invocation(run_module, stubber, ssm):
    stubber.add_response(
        "get_command_invocation",
        {"CommandId": ssm.cid, "InstanceId": ssm.i1, "Status": "Success", "StatusDetails": "Success", "ResponseCode": 0, "StandardOutputContent": "o" * 24000},
        {"CommandId": ssm.cid, "InstanceId": ssm.i1},
    )
    result = run_module(invocation_info, {"command_id": ssm.cid, "instance_id": ssm.i1, "region": "us-east-1"})
    (record,) = result["invocations"]
    assert record["stdout_truncated"] is True
    assert result["api_calls"] == 1


def test_vendor_error_fails_with_its_facts(run_module, stubber, ssm):
    stubber.add_client_error("list_commands", "InvalidCommandId", "", 400, expected_params={"CommandId": ssm.cid}, response_meta={"RequestId": "req-42"})
    result = run_module(invocation_info, {"command_id": ssm.cid, "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"].startswith(f"command {ssm.cid} does not exist in this account and region")
    assert result["msg"].endswith("(error code InvalidCommandId, request id req-42, HTTP 400)")
    assert (result["error_code"], result["request_id"], result["error_kind"]) == ("InvalidCommandId", "req-42", "not_found")
    assert result["invocations"] == []
    assert result["changed"] is False
    assert result["api_calls"] == 1


def test_bad_command_id_fails_before_any_call(run_module, stubber):
    result = run_module(invocation_info, {"command_id": "deploy-42", "region": "us-east-1"})
    assert result["failed"] is True
    assert result["error_kind"] == "invalid_input"
    assert "is not an SSM command id" in result["msg"]
    assert result["api_calls"] == 0


def test_needs_command_or_instance(run_module):
    result = run_module(invocation_info, {"region": "us-east-1"})
    assert result["failed"] is True
    assert "one of the following is required: command_id, invocation_id, instance_id" in result["msg"]


def test_missing_boto3_says_so(run_module, monkeypatch, ssm):
    monkeypatch.setattr(aws_ssm, "HAS_BOTO3", False)
    monkeypatch.setattr(aws_ssm, "BOTO3_IMPORT_ERROR", "Traceback: No module named 'boto3'")
    result = run_module(invocation_info, {"command_id": ssm.cid, "region": "us-east-1"})
    assert result["failed"] is True
    assert "boto3" in result["msg"]
    assert result["error_kind"] == "missing_dependency"


def test_aws_refuses_an_invocation_id(run_module):
    result = run_module(invocation_info, {"invocation_id": "t-hz0abc", "region": "us-east-1"})
    assert result["failed"] is True
    assert "aws_ssm identifies runs by command id" in result["msg"]
    assert result["api_calls"] == 0
