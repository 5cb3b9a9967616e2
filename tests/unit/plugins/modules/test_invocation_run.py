# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""invocation_run main(): check mode, sending, and sending then waiting."""

from __future__ import annotations

import json
import re

import pytest
from botocore.stub import ANY

from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.modules import invocation_run


def no_api(self):
    raise AssertionError("check mode must not build a client or call the API")


def test_check_mode_sends_nothing_and_returns_the_request(run_module, monkeypatch, ssm):
    monkeypatch.setattr(AwsSsmProvider, "client", no_api)
    args = {
        "commands": ["systemctl restart app"],
        "targets": [{"key": "tag:role", "values": ["web"]}],
        "max_concurrency": "25%",
        "comment": "restart",
        "region": "us-east-1",
        "_ansible_check_mode": True,
    }
    result = run_module(invocation_run, args)
    assert "failed" not in result
    assert result["changed"] is True
    # The comment ends with the marker a lost SendCommand answer is found again by.
    assert re.fullmatch(r"restart mci-[0-9a-f]{16}", result["request"].pop("Comment"))
    assert result["request"] == {
        "DocumentName": "AWS-RunShellScript",
        "Parameters": {"commands": ["systemctl restart app"]},
        "Targets": [{"Key": "tag:role", "Values": ["web"]}],
        "MaxConcurrency": "25%",
    }
    assert result["invocations"] == []
    assert result["summary"]["total"] == 0
    assert result["msg"] == "check mode: nothing was sent"
    assert result["api_calls"] == 0
    # A later invocation_wait on "{{ run.command_id }}" skips this placeholder instead of failing.
    assert result["command_id"] == "not-started-in-check-mode"
    assert "invocation_id" not in result


def test_check_mode_still_validates(run_module, monkeypatch):
    monkeypatch.setattr(AwsSsmProvider, "client", no_api)
    result = run_module(invocation_run, {"commands": ["id"], "instance_ids": ["web-1"], "region": "us-east-1", "_ansible_check_mode": True})
    assert result["failed"] is True
    assert result["error_kind"] == "invalid_input"
    assert "web-1" in result["msg"]


def test_send_returns_the_command_id_and_pending_records(run_module, stubber, ssm):
    request = {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["uptime"], "executionTimeout": ["900"]}, "InstanceIds": [ssm.i1, ssm.i2],
               "Comment": ANY}
    stubber.add_response("send_command", {"Command": ssm.command(status="Pending")}, request)
    result = run_module(invocation_run, {"commands": ["uptime"], "execution_timeout": 900, "instance_ids": [ssm.i1, ssm.i2], "region": "us-east-1"})
    assert result["changed"] is True
    assert result["command_id"] == ssm.cid
    assert re.fullmatch(r"mci-[0-9a-f]{16}", result["request"]["Comment"])
    assert result["request"] == dict(request, Comment=result["request"]["Comment"])
    assert result["command"]["RequestedDateTime"] == "2026-11-22T13:07:09.708Z"
    assert [(record["instance_id"], record["status"]) for record in result["invocations"]] == [(ssm.i1, "pending"), (ssm.i2, "pending")]
    assert result["summary"]["expected"] == 2
    assert result["api_calls"] == 1
    assert "verdict" not in result


def test_send_and_wait_success(run_module, stubber, ssm, fake_waits):
    stubber.add_response("send_command", {"Command": ssm.command(status="Pending")})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2)]}, ssm.list_params())
    stubber.add_response("list_commands", {"Commands": [ssm.command(status="Success")]}, {"CommandId": ssm.cid})
    result = run_module(invocation_run, {"commands": ["uptime"], "instance_ids": [ssm.i1, ssm.i2], "wait": True, "region": "us-east-1"})
    assert "failed" not in result
    assert result["changed"] is True
    assert result["verdict"] == "success"
    assert result["passed"] is True
    assert result["ended_because"] == "finished"
    assert len(result["invocations"]) == 2
    assert result["api_calls"] == 3


def test_send_and_wait_failure_fails_the_task_but_reports_the_command(run_module, stubber, ssm, fake_waits):
    stubber.add_response("send_command", {"Command": ssm.command(status="Pending")})
    stubber.add_response(
        "list_command_invocations",
        {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2, "Failed", code=7, output="\n----------ERROR-------\ndisk full")]},
        ssm.list_params(),
    )
    stubber.add_response("list_commands", {"Commands": [ssm.command(status="Failed")]}, {"CommandId": ssm.cid})
    result = run_module(invocation_run, {"commands": ["uptime"], "instance_ids": [ssm.i1, ssm.i2], "wait": True, "region": "us-east-1"})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["command_id"] == ssm.cid
    assert result["msg"].startswith(f"command {ssm.cid} was sent; the invocations failed")
    assert f"{ssm.i2}: failed (Failed), exit code 7, stderr: disk full" in result["msg"]
    assert result["verdict"] == "failed"


def test_send_refused_by_the_vendor(run_module, stubber, ssm):
    stubber.add_client_error("send_command", "InvalidDocument", "Document not found", 400, response_meta={"RequestId": "req-7"})
    result = run_module(invocation_run, {"document_name": "Nope", "instance_ids": [ssm.i1], "region": "us-east-1"})
    assert result["failed"] is True
    assert result["error_kind"] == "invalid_input"
    assert result["error_code"] == "InvalidDocument"
    assert result["changed"] is False
    assert "command_id" not in result


def test_too_many_instances(run_module, stubber):
    ids = [f"i-{index:017x}" for index in range(51)]
    result = run_module(invocation_run, {"commands": ["id"], "instance_ids": ids, "region": "us-east-1"})
    assert result["failed"] is True
    assert "at most 50 instance_ids (51 given)" in result["msg"]
    assert result["api_calls"] == 0


def test_instance_ids_and_targets_are_exclusive(run_module):
    result = run_module(
        invocation_run, {"commands": ["id"], "instance_ids": ["i-0123456789abcdef0"], "targets": [{"key": "tag:a", "values": ["b"]}], "region": "us-east-1"}
    )
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]


@pytest.mark.parametrize("bad", [{"interval": 10, "max_interval": 5}, {"min_success_percent": 150}, {"max_failures": -1}])
def test_bad_wait_options_fail_before_anything_is_sent(run_module, stubber, ssm, bad):
    args = dict({"commands": ["uptime"], "instance_ids": [ssm.i1], "wait": True, "region": "us-east-1"}, **bad)
    result = run_module(invocation_run, args)
    assert result["failed"] is True
    assert result["error_kind"] == "invalid_input"
    assert result["api_calls"] == 0
    assert result["changed"] is False


@pytest.mark.parametrize(
    "args, named",
    [
        ({"client_token": "retry-1"}, "client_token"),
        ({"saved_command_id": "c-hz0abcdefghij"}, "saved_command_id"),
        ({"username": "deploy"}, "username"),
        ({"command_type": "RunShellScript"}, "command_type"),
    ],
)
def test_options_aws_does_not_use_are_refused_before_any_call(run_module, monkeypatch, args, named):
    monkeypatch.setattr(AwsSsmProvider, "client", no_api)
    result = run_module(invocation_run, dict(args, commands=["id"], instance_ids=["i-0123456789abcdef0"], region="us-east-1"))
    assert result["failed"] is True
    assert result["error_kind"] == "invalid_input"
    assert result["api_calls"] == 0
    assert result["msg"].startswith(f"aws_ssm does not use {named} (")
    assert "set provider to one that uses them" in result["msg"]


def test_options_alibaba_does_not_use_are_refused_but_a_default_is_not(run_module):
    base = {"provider": "alibaba_ecs", "commands": ["id"], "instance_ids": ["i-bp1abcdefghijklmnopq"], "region": "cn-hangzhou",
            "_ansible_check_mode": True, "access_key": "AK", "secret_key": "SK"}
    result = run_module(invocation_run, dict(base, document_name="AWS-RunShellScript", max_errors="", delivery_timeout=None))
    assert "failed" not in result, result
    assert result["invocation_id"] == "not-started-in-check-mode"
    result = run_module(invocation_run, dict(base, document_name="AWS-RunPowerShellScript", output_s3_bucket_name="logs"))
    assert result["failed"] is True
    assert result["msg"].startswith("alibaba_ecs does not use document_name (use command_type")
    assert "output_s3_bucket_name (use output_oss_uri" in result["msg"]


def test_connection_options_a_provider_does_not_read_are_warned_about(run_module, monkeypatch):
    monkeypatch.setattr(AwsSsmProvider, "client", no_api)
    result = run_module(invocation_run, {"commands": ["id"], "instance_ids": ["i-0123456789abcdef0"], "region": "us-east-1",
                                         "signature_version": "rpc_v1", "_ansible_check_mode": True})
    assert "failed" not in result
    assert "aws_ssm does not use signature_version" in json.dumps(result.get("warnings"))


def tagged_nodes(stubber, ids, lost):
    """DescribeInstanceInformation for a tag: every id a managed node (50 a page), those in ``lost`` ConnectionLost."""
    pages = [ids[start:start + 50] for start in range(0, len(ids), 50)]
    for number, page in enumerate(pages):
        answer = {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "ConnectionLost" if i in lost else "Online"} for i in page]}
        if number + 1 < len(pages):
            answer["NextToken"] = f"page-{number + 2}"
        stubber.add_response("describe_instance_information", answer)


BULK = [f"i-{index:017x}" for index in range(52)]
RESOLVED = {"commands": ["uptime"], "targets": [{"key": "tag:group", "values": ["bulk"]}], "agent_check": True, "offline_targets": "skip",
            "resolve_targets": True, "region": "us-east-1"}


def test_resolved_tags_beyond_50_go_in_batches_one_send_command_each(run_module, stubber, ssm):
    tagged_nodes(stubber, BULK, lost={BULK[7]})
    online = [i for i in BULK if i != BULK[7]]
    second = ssm.cid.replace("0b6b", "1b6b")
    stubber.add_response("send_command", {"Command": ssm.command(status="Pending", target_count=50, instance_ids=online[:50])},
                         {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["uptime"]}, "InstanceIds": online[:50], "Comment": ANY})
    stubber.add_response("send_command", {"Command": ssm.command(status="Pending", target_count=1, instance_ids=online[50:], command_id=second)},
                         {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["uptime"]}, "InstanceIds": online[50:], "Comment": ANY})
    result = run_module(invocation_run, RESOLVED)
    assert "failed" not in result
    assert result["command_id"] == ssm.cid
    assert result["command_ids"] == [ssm.cid, second]
    assert [(batch["batch"], batch["state"], len(batch["instance_ids"]), batch["command_id"]) for batch in result["batches"]] == [
        (1, "sent", 50, ssm.cid), (2, "sent", 1, second)]
    assert result["batches"][0]["request"]["Comment"] != result["batches"][1]["request"]["Comment"]
    assert result["request"] == result["batches"][0]["request"]
    # The lost agent's record first, then every sent instance once, pending under its batch's command.
    assert [record["instance_id"] for record in result["invocations"]] == [BULK[7]] + online
    assert {record["command_id"] for record in result["invocations"][1:]} == {ssm.cid, second}
    assert result["summary"]["expected"] == 52
    assert result["api_calls"] == 4


def test_resolved_tags_in_check_mode_show_the_batches_and_send_nothing(run_module, stubber, ssm):
    tagged_nodes(stubber, BULK, lost={BULK[0]})
    result = run_module(invocation_run, dict(RESOLVED, _ansible_check_mode=True))
    assert [(batch["state"], len(batch["instance_ids"]), batch["command_id"]) for batch in result["batches"]] == [
        ("not_sent", 50, None), ("not_sent", 1, None)]
    assert result["command_ids"] == ["not-started-in-check-mode"] * 2
    assert result["msg"] == "check mode: nothing was sent"
    # The two pages of the tag's managed nodes, no SendCommand.
    assert result["api_calls"] == 2
