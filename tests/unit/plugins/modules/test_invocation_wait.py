# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""invocation_wait main(): success, failure, timeout and errors, on a fake clock."""

from __future__ import annotations

import json

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.modules import invocation_wait

from .conftest import WALL_AT_START


def test_success(run_module, stubber, ssm, fake_waits):
    # The id check reads the command; the first round trusts that read (its counters say both
    # targets still run), the second reads the counters again and, as they say every target has
    # ended, the invocations once.
    stubber.add_response("list_commands", {"Commands": [ssm.command()]}, {"CommandId": ssm.cid})
    stubber.add_response("list_commands", {"Commands": [dict(ssm.command(status="Success"), CompletedCount=2)]}, {"CommandId": ssm.cid})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2)]}, ssm.list_params())
    result = run_module(invocation_wait, {"command_ids": [ssm.cid, ssm.cid], "region": "us-east-1"})
    assert "failed" not in result
    assert result["changed"] is False
    assert result["verdict"] == "success"
    assert result["summary"]["counts"]["success"] == 2
    assert result["polls"] == 2
    assert result["api_calls"] == 3
    assert result["summary"]["vendor_aggregate"][ssm.cid]["status"] == "Success"
    # Budget derived from the command: 600 delivery + 900 execution + 60, counted from 2026-11-22.
    assert result["timeout"] <= 1560


def fake_reads(monkeypatch, ssm, statuses, command=None):
    """The command reads as ``command`` (by default in progress, nothing completed) and its
    invocations with ``statuses``."""
    calls = {"list": 0}

    def get_command(self, command_id, may_appear=False):
        return command or ssm.command()

    def list_command_invocations(self, command_id=None, instance_id=None, limit=None):
        calls["list"] += 1
        return [ssm.invocation(instance_id, status) for instance_id, status in zip((ssm.i1, ssm.i2), statuses)]

    monkeypatch.setattr(AwsSsmProvider, "get_command", get_command)
    monkeypatch.setattr(AwsSsmProvider, "list_command_invocations", list_command_invocations)
    return calls


def every_record(result):
    """The records a failed task left out of its result, with the ones it returned: the records file holds them all."""
    with open(result["records_file"], encoding="utf-8") as stream:
        return json.load(stream)


def test_timeout_fails_but_returns_the_invocations(run_module, monkeypatch, ssm, fake_waits):
    calls = fake_reads(monkeypatch, ssm, ("Success", "InProgress"))
    result = run_module(invocation_wait, {"command_id": ssm.cid, "timeout": 20, "region": "us-east-1"})
    assert result["failed"] is True
    # Polling stops 1.55 s before the deadline, so that the full read of every target fits in the budget.
    assert result["msg"].startswith("timed out after 18s (budget 20s): 1 of 2 targets had not finished")
    assert result["elapsed"] == 18.45
    assert result["verdict"] == "timed_out"
    assert result["timed_out"] is True
    assert result["ended_because"] == "timeout"
    # A failed task returns what did not succeed; every record is in the file.
    assert [(record["instance_id"], record["status"]) for record in result["invocations"]] == [(ssm.i2, "running")]
    assert [(record["instance_id"], record["status"]) for record in every_record(result)] == [(ssm.i1, "success"), (ssm.i2, "running")]
    assert result["records_returned"] == "unsuccessful" and result["records_left_out"] == 1
    assert fake_waits.elapsed == pytest.approx(18.45)
    # While the counters say a target runs, the invocations are not read; the wait that ends on
    # its budget reads them once, so the result still holds every target.
    assert result["polls"] > 1 and calls["list"] == 1


def test_timeout_without_failing(run_module, monkeypatch, ssm, fake_waits):
    fake_reads(monkeypatch, ssm, ("InProgress", "InProgress"))
    result = run_module(invocation_wait, {"command_ids": ssm.cid, "timeout": 30, "fail_on_timeout": False, "region": "us-east-1"})
    assert "failed" not in result
    assert result["timed_out"] is True
    assert result["verdict"] == "timed_out"
    assert len(result["invocations"]) == 2


def test_records_are_compact_unless_the_vendor_payload_is_asked_for(run_module, monkeypatch, ssm, fake_waits):
    fake_reads(monkeypatch, ssm, ("Success", "Success"), command=dict(ssm.command(status="Success"), CompletedCount=2))
    # The condition reads a vendor field: it judges the records before raw leaves them.
    condition = f"raw.InstanceId != '{ssm.i2}'"
    compact = run_module(invocation_wait, {"command_ids": [ssm.cid], "region": "us-east-1", "success_when": condition, "fail_on_failure": False})
    assert [record["accepted"] for record in compact["invocations"]] == [True, False]
    assert not any("raw" in record for record in compact["invocations"])
    whole = run_module(invocation_wait, {"command_ids": [ssm.cid], "region": "us-east-1", "include_vendor_payload": True})
    assert [record["raw"]["InstanceId"] for record in whole["invocations"]] == [ssm.i1, ssm.i2]
    assert (whole["records_returned"], whole["records_left_out"], whole["records_file"]) == ("all", 0, None)


def ended_with_one_failure(ssm):
    """A command whose counters say both targets ended, one of them in error."""
    return dict(ssm.command(status="Failed"), CompletedCount=2, ErrorCount=1)


def test_failure_without_failing(run_module, monkeypatch, ssm, fake_waits):
    fake_reads(monkeypatch, ssm, ("Success", "Failed"), command=ended_with_one_failure(ssm))
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "fail_on_failure": False, "region": "us-east-1"})
    assert "failed" not in result
    assert result["verdict"] == "failed"
    assert result["passed"] is False
    # Judged because every target ended, in the first round, not because the budget ran out.
    assert result["ended_because"] == "finished"
    assert result["timed_out"] is False
    assert result["polls"] == 1 and fake_waits.elapsed == 0.0


def test_failure(run_module, monkeypatch, ssm, fake_waits):
    fake_reads(monkeypatch, ssm, ("Success", "Failed"), command=ended_with_one_failure(ssm))
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "region": "us-east-1"})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"].startswith("the invocations failed: 1 of 2 targets failed")
    assert [record["instance_id"] for record in result["invocations"]] == [ssm.i2]
    assert [record["instance_id"] for record in every_record(result)] == [ssm.i1, ssm.i2]
    assert every_record(result)[1]["raw"]["InstanceId"] == ssm.i2
    assert result["summary"]["total"] == 2
    assert result["ended_because"] == "finished"
    assert result["timed_out"] is False
    assert result["polls"] == 1 and fake_waits.elapsed == 0.0


def test_command_not_visible_yet_is_looked_for_again(run_module, stubber, ssm, fake_waits):
    # SSM's reads are eventually consistent: a command another tool has just sent reads as unknown.
    stubber.add_client_error("list_commands", "InvalidCommandId", "", 400, expected_params={"CommandId": ssm.cid})
    stubber.add_response("list_commands", {"Commands": [ssm.command()]}, {"CommandId": ssm.cid})
    stubber.add_response("list_commands", {"Commands": [dict(ssm.command(status="Success"), CompletedCount=2)]}, {"CommandId": ssm.cid})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2)]}, ssm.list_params())
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "region": "us-east-1"})
    assert "failed" not in result
    assert result["verdict"] == "success"
    assert fake_waits.sleeps[0] == 0.5
    # The half second spent looking is part of the elapsed time, so of the budget.
    assert result["elapsed"] == fake_waits.elapsed


def test_command_never_visible_fails_after_the_grace(run_module, stubber, ssm, fake_waits):
    for _read in range(5):
        stubber.add_client_error("list_commands", "InvalidCommandId", "", 400, expected_params={"CommandId": ssm.cid})
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "not_found_grace": 5, "region": "us-east-1"})
    assert result["failed"] is True
    assert result["error_kind"] == "not_found"
    assert result["error_code"] == "InvalidCommandId"
    assert "never became visible within 5s" in result["msg"]
    assert result["invocations"] == []
    assert fake_waits.sleeps == [0.5, 1.0, 2.0, 1.5]
    stubber.assert_no_pending_responses()


def test_unknown_command_fails_at_once_without_a_grace(run_module, stubber, ssm, fake_waits):
    stubber.add_client_error("list_commands", "InvalidCommandId", "", 400, expected_params={"CommandId": ssm.cid})
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "not_found_grace": 0, "region": "us-east-1"})
    assert result["failed"] is True
    assert result["error_kind"] == "not_found"
    assert "never became visible" not in result["msg"]
    assert fake_waits.sleeps == []


def test_error_during_the_wait_keeps_what_was_seen(run_module, stubber, ssm, fake_waits):
    stubber.add_response("list_commands", {"Commands": [ssm.command()]}, {"CommandId": ssm.cid})
    stubber.add_response(
        "list_command_invocations", {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2, "InProgress")]}, ssm.list_params()
    )
    stubber.add_client_error("list_command_invocations", "AccessDeniedException", "not authorized", 400, response_meta={"RequestId": "req-5"})
    # Named instances are read every round (the counters speak for the whole command only).
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "instance_ids": [ssm.i1, ssm.i2], "region": "us-east-1"})
    assert result["failed"] is True
    assert result["error_kind"] == "access_denied"
    assert result["request_id"] == "req-5"
    assert result["ended_because"] == "error"
    assert [record["instance_id"] for record in result["invocations"]] == [ssm.i2]
    assert [record["instance_id"] for record in every_record(result)] == [ssm.i1, ssm.i2]
    assert result["api_calls"] == 3


def test_empty_command_ids(run_module):
    result = run_module(invocation_wait, {"command_ids": [], "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"] == "command_ids is empty: give at least one command id to wait on"


def test_bad_wait_option_fails_before_any_call(run_module, ssm):
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "interval": 10, "max_interval": 5, "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"] == "max_interval (5) must be at least interval (10)"
    assert result["error_kind"] == "invalid_input"
    assert result["api_calls"] == 0


def test_bad_success_when_fails_before_any_call(run_module, ssm):
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "success_when": "exit_code ==", "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"].startswith("success_when is not a valid JMESPath expression")
    assert result["api_calls"] == 0


def test_an_empty_instance_list_is_an_error_not_every_instance(run_module, ssm):
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "instance_ids": [], "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"].startswith("instance_ids is empty")
    assert result["api_calls"] == 0


def test_a_condition_that_can_only_fail_fails_before_any_call(run_module, ssm):
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "success_when": "nosuch(@)", "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"].startswith("success_when 'nosuch(@)' could not be evaluated on a sample record")
    assert result["error_kind"] == "invalid_input"
    assert result["api_calls"] == 0


def test_a_condition_that_is_not_a_boolean_fails_before_any_call(run_module, ssm):
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "success_when": "stdout", "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"].startswith("success_when 'stdout' must evaluate to true or false")
    assert result["api_calls"] == 0


def test_the_module_start_counts_when_the_controller_says_when_the_task_started(run_module, monkeypatch, ssm, fake_waits):
    # The action plugin runs on this host and started the task 7 s ago (a slow module start): of
    # the 20 s budget, 13 are left to wait.
    fake_reads(monkeypatch, ssm, ("Success", "InProgress"))
    started_at = WALL_AT_START - 7.0
    result = run_module(invocation_wait, {"command_id": ssm.cid, "timeout": 20, "fail_on_timeout": False, "budget_started_at": started_at,
                                          "region": "us-east-1"})
    assert result["ended_because"] == "timeout"
    # 13 s less the 1.55 s kept for the full read at the end.
    assert fake_waits.elapsed == pytest.approx(11.45)
    assert result["elapsed"] == 18.45


def _no_api(self):
    raise AssertionError("a run that never started must not be read")


def test_a_run_not_started_in_check_mode_is_skipped_with_a_message(run_module, monkeypatch):
    monkeypatch.setattr(AwsSsmProvider, "client", _no_api)
    result = run_module(invocation_wait, {"command_ids": ["not-started-in-check-mode"], "region": "us-east-1", "_ansible_check_mode": True})
    assert result.get("skipped") is True
    assert "failed" not in result
    assert result["changed"] is False
    assert "check mode" in result["msg"] and "nothing to wait on" in result["msg"]
    assert result["api_calls"] == 0
    assert (result["verdict"], result["passed"], result["invocations"]) == ("skipped", False, [])


def test_the_placeholder_is_skipped_and_the_other_runs_are_waited_on(run_module, stubber, ssm, fake_waits):
    stubber.add_response("list_commands", {"Commands": [dict(ssm.command(status="Success"), CompletedCount=2)]}, {"CommandId": ssm.cid})
    stubber.add_response("list_command_invocations", {"CommandInvocations": [ssm.invocation(ssm.i1), ssm.invocation(ssm.i2)]}, ssm.list_params())
    result = run_module(invocation_wait, {"command_ids": [ssm.cid, "not-started-in-check-mode"], "region": "us-east-1"})
    assert "failed" not in result, result
    assert result["verdict"] == "success"
    assert "1 of the runs to wait on did not start" in json.dumps(result.get("warnings"))


def long_reads(monkeypatch, ssm, output, url=""):
    """Both targets ended (one failed) with ``output`` in the list view, their plugins naming ``url``."""
    def get_command(self, command_id, may_appear=False):
        return ended_with_one_failure(ssm)

    def list_command_invocations(self, command_id=None, instance_id=None, limit=None):
        items = []
        for instance_id, status in ((ssm.i1, "Success"), (ssm.i2, "Failed")):
            item = ssm.invocation(instance_id, status, output=output)
            for plugin in item["CommandPlugins"]:
                plugin["StandardOutputUrl"] = f"{url}/{instance_id}/stdout" if url else ""
            items.append(item)
        return items

    monkeypatch.setattr(AwsSsmProvider, "get_command", get_command)
    monkeypatch.setattr(AwsSsmProvider, "list_command_invocations", list_command_invocations)


def test_a_failed_wait_still_limits_and_saves_every_record(run_module, monkeypatch, ssm, fake_waits, tmp_path):
    long_reads(monkeypatch, ssm, "x" * 1000 + "\n")
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "region": "us-east-1", "output_limit": 100, "output_dir": str(tmp_path)})
    assert result["failed"] is True and result["verdict"] == "failed"
    # The failure comes back; the records file (under output_dir) holds both, limited and saved alike.
    assert [record["instance_id"] for record in result["invocations"]] == [ssm.i2]
    assert result["records_file"].startswith(str(tmp_path / "records") + "/")
    assert len(every_record(result)) == 2
    for record in result["invocations"] + every_record(result):
        assert record["stdout_omitted"] == 901 and "901 characters left out by output_limit" in record["stdout"]
        with open(record["stdout_file"], encoding="utf-8") as saved:
            assert saved.read() == "x" * 1000 + "\n"
        assert record["stdout_file"].startswith(str(tmp_path / "aws_ssm" / ssm.cid))


def test_fetch_complete_output_replaces_only_what_ssm_cut_after_the_verdict(run_module, monkeypatch, ssm, fake_waits):
    long_reads(monkeypatch, ssm, "y" * 2_480 + "\n---Output truncated---", url="https://s3.us-east-1.amazonaws.com/out/runs")
    fetched = []

    def get_object(self, bucket, key):
        fetched.append((bucket, key))
        return "y" * 100_000

    monkeypatch.setattr(AwsSsmProvider, "_get_object", get_object)
    result = run_module(invocation_wait, {"command_ids": [ssm.cid], "region": "us-east-1", "fetch_complete_output": True, "output_limit": 1000})
    assert result["verdict"] == "failed"
    assert sorted(fetched) == [("out", f"runs/{ssm.i1}/stdout"), ("out", f"runs/{ssm.i2}/stdout")]
    for record in result["invocations"]:
        assert record["stdout_truncated"] is False and record["stdout_omitted"] == 99_000 and record["output_warnings"] == []


def test_fetch_complete_output_is_refused_where_the_vendor_has_no_delivery(run_module):
    result = run_module(invocation_wait, {"provider": "zenlayer_zos", "invocation_ids": ["inv-1"], "fetch_complete_output": True})
    assert result["failed"] is True and result["api_calls"] == 0
    assert "ZOS documents no delivery of the output to object storage" in result["msg"]
