# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One command started in batches (resolve_targets): cut, sent once each in order, stopped at the first failure."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _start_batches as batches_mod
from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import BudgetSpent
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, NotFound, ProviderError, StartUnconfirmed
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record

IDS = [f"i-{number:08x}" for number in range(118)]


class ScriptedStarts:
    """An SSM-like provider whose starts answer ``cmd-<n>``, or raise the error scripted for the n-th start."""

    name = "aws_ssm"

    def __init__(self, failures=None):
        self.failures = dict(failures or {})
        self.requests = []
        self.sent = []
        self.markers = 0

    def start_request(self, params):
        if len(params["instance_ids"]) > 50:
            raise InvalidInput("SendCommand takes at most 50 instance_ids")
        self.requests.append(params)
        self.markers += 1
        return {"InstanceIds": list(params["instance_ids"]), "Comment": f"mci-{self.markers:016x}"}

    def start(self, request):
        self.sent.append(request)
        if len(self.sent) in self.failures:
            raise self.failures[len(self.sent)]
        return {"CommandId": f"cmd-{len(self.sent)}", "InstanceIds": request["InstanceIds"]}

    @staticmethod
    def started(handle):
        records = [make_record("aws_ssm", "pending", instance_id=instance_id, command_id=handle["CommandId"]) for instance_id in handle["InstanceIds"]]
        return {"command_id": handle["CommandId"], "command": handle, "invocations": records, "expected": len(records)}


def planned(provider, ids=IDS):
    return batches_mod.plan(provider, {"instance_ids": ids, "commands": ["true"]})


def refused():
    return ProviderError("SSM SendCommand failed: Instances not in a valid state", provider="aws_ssm", code="InvalidInstanceId", request_id="req-2")


@pytest.mark.parametrize("count, sizes", [(1, [1]), (50, [50]), (51, [50, 1]), (100, [50, 50]), (118, [50, 50, 18])])
def test_split_keeps_the_order_in_lists_of_at_most_the_size(count, sizes):
    cut = batches_mod.split(IDS[:count], 50)
    assert [len(chunk) for chunk in cut] == sizes
    assert [instance_id for chunk in cut for instance_id in chunk] == IDS[:count]


def test_a_batch_of_no_instance_is_a_programming_error():
    with pytest.raises(ValueError):
        batches_mod.split(IDS, 0)


def test_plan_builds_one_checked_request_per_batch_each_with_its_own_marker():
    provider = ScriptedStarts()
    planned_batches = planned(provider)
    assert [(batch.number, batch.count, len(batch.instance_ids)) for batch in planned_batches] == [(1, 3, 50), (2, 3, 50), (3, 3, 18)]
    assert [batch.request["InstanceIds"] for batch in planned_batches] == [IDS[:50], IDS[50:100], IDS[100:]]
    assert len({batch.request["Comment"] for batch in planned_batches}) == 3
    # Planning sends nothing, and other options reach every request.
    assert provider.sent == []
    assert all(params["commands"] == ["true"] for params in provider.requests)
    assert all(batch.state == batches_mod.NOT_SENT for batch in planned_batches)


def test_every_batch_sent_once_in_order_each_instance_one_record():
    provider = ScriptedStarts()
    planned_batches = planned(provider)
    assert batches_mod.send(provider, planned_batches) is None
    assert provider.sent == [batch.request for batch in planned_batches]
    assert [batch.state for batch in planned_batches] == ["sent"] * 3
    assert batches_mod.run_ids(planned_batches, "command_id") == ["cmd-1", "cmd-2", "cmd-3"]
    records, expected = batches_mod.records("aws_ssm", planned_batches)
    assert expected == 118
    assert [record["instance_id"] for record in records] == IDS
    assert {record["command_id"] for record in records[:50]} == {"cmd-1"}
    assert {record["command_id"] for record in records[100:]} == {"cmd-3"}
    assert batches_mod.failure_message(planned_batches, "command id", "command_id") == ""
    assert planned_batches[2].public("command_id") == {"batch": 3, "instance_ids": IDS[100:], "state": "sent", "command_id": "cmd-3",
                                                       "request": planned_batches[2].request, "error": None}


def test_a_refused_batch_stops_the_rest_and_its_instances_are_not_sent():
    provider = ScriptedStarts({2: refused()})
    planned_batches = planned(provider)
    error = batches_mod.send(provider, planned_batches)
    assert error.code == "InvalidInstanceId"
    # The third batch was never tried, the second never tried again.
    assert len(provider.sent) == 2
    assert [batch.state for batch in planned_batches] == ["sent", "failed", "not_sent"]
    assert batches_mod.run_ids(planned_batches, "command_id") == ["cmd-1"]
    records, expected = batches_mod.records("aws_ssm", planned_batches)
    assert expected == 118 and [record["instance_id"] for record in records] == IDS
    assert {record["status"] for record in records[:50]} == {"pending"}
    assert {record["status"] for record in records[50:]} == {"undeliverable"}
    assert records[50]["vendor_status_details"] == "not sent: the start of batch 2 of 3 failed (InvalidInstanceId)"
    assert records[100]["vendor_status_details"] == "not sent: batch 2 of 3 failed, so batch 3 of 3 was not sent"
    assert records[100]["command_id"] is None
    message = batches_mod.failure_message(planned_batches, "command id", "command_id")
    assert message.startswith("batch 2 of 3 (50 instances) failed, nothing of it was sent; sent before it: batch 1 of 3 as command id cmd-1; "
                              "not sent after it: batch 3 of 3 (18 instances)")
    assert planned_batches[1].public("command_id")["error"] == {"message": error.message, "code": "InvalidInstanceId", "request_id": "req-2"}
    assert planned_batches[1].public("command_id")["command_id"] is None


def test_a_batch_whose_fate_is_unknown_is_never_sent_again_and_says_so():
    unconfirmed = StartUnconfirmed("SSM SendCommand (Comment marker mci-2) may have started", provider="aws_ssm", code="ConnectionClosed")
    provider = ScriptedStarts({2: unconfirmed})
    planned_batches = planned(provider)
    assert batches_mod.send(provider, planned_batches) is unconfirmed
    assert len(provider.sent) == 2
    assert [batch.state for batch in planned_batches] == ["sent", "unconfirmed", "not_sent"]
    records, _expected = batches_mod.records("aws_ssm", planned_batches)
    second = records[50:100]
    # Neither sent nor not sent: unknown, never terminal, so no gate passes it.
    assert {record["status"] for record in second} == {"unknown"}
    assert not any(record["terminal"] for record in second)
    assert second[0]["vendor_status_details"].startswith("may have started")
    assert {record["status"] for record in records[100:]} == {"undeliverable"}
    assert "may have started and was not sent again" in batches_mod.failure_message(planned_batches, "command id", "command_id")


def test_a_first_batch_refused_sends_nothing():
    provider = ScriptedStarts({1: NotFound("no such document", provider="aws_ssm", code="InvalidDocument")})
    planned_batches = planned(provider)
    batches_mod.send(provider, planned_batches)
    assert len(provider.sent) == 1
    assert batches_mod.run_ids(planned_batches, "command_id") == []
    message = batches_mod.failure_message(planned_batches, "command id", "command_id")
    assert "no batch was sent before it" in message
    assert "batch 2 of 3, batch 3 of 3 (68 instances)" in message


def test_a_provider_that_takes_any_number_of_ids_gets_one_batch():
    class Unlimited(ScriptedStarts):
        name = "zenlayer_zos"

        def start_request(self, params):
            return {"InstanceIds": list(params["instance_ids"])}

    assert [len(batch.instance_ids) for batch in planned(Unlimited())] == [118]


def test_a_batch_the_budget_left_no_time_for_is_not_sent_and_stops_the_rest():
    provider = ScriptedStarts({3: BudgetSpent(0.4, "aws_ssm")})
    planned_batches = planned(provider)
    assert isinstance(batches_mod.send(provider, planned_batches), BudgetSpent)
    assert [batch.state for batch in planned_batches] == ["sent", "sent", "failed"]
    records, _expected = batches_mod.records("aws_ssm", planned_batches)
    assert {record["vendor_status_details"] for record in records[100:]} == {"not sent: the start of batch 3 of 3 failed (see the task's error)"}
    assert batches_mod.run_ids(planned_batches, "command_id") == ["cmd-1", "cmd-2"]
