# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent pre-flight's decisions, on a provider that answers from a table."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils import _agents as agents
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._record import RECORD_FIELDS


class TableProvider:
    name = "aws_ssm"

    def __init__(self, states):
        self.states = states
        self.asked = []

    def agent_states(self, instance_ids, targets):
        self.asked.append((list(instance_ids), list(targets)))
        if targets:
            return [agents.agent_entry(i, state) for i, state in self.states.items()]
        return [agents.agent_entry(i, self.states.get(i, agents.NOT_REGISTERED)) for i in instance_ids]


STATES = {"i-aaaaaaaa": agents.ONLINE, "i-bbbbbbbb": agents.LOST, "i-cccccccc": agents.ONLINE}


def options(**extra):
    base = {"agent_check": True, "offline_targets": "fail", "resolve_targets": False, "instance_ids": ["i-aaaaaaaa", "i-bbbbbbbb", "i-dddddddd"],
            "targets": None}
    base.update(extra)
    return base


def test_without_agent_check_nothing_is_read():
    provider = TableProvider(STATES)
    assert agents.plan(provider, options(agent_check=False)) is None
    assert not provider.asked


def test_fail_refuses_and_reports_each_offline_target():
    plan = agents.plan(TableProvider(STATES), options())
    assert plan.refusal.startswith("the agent of 2 of 3 targets is not online: i-bbbbbbbb (lost), i-dddddddd (not_registered); nothing was sent")
    assert [record["instance_id"] for record in plan.left_out] == ["i-bbbbbbbb", "i-dddddddd"]
    record = plan.left_out[0]
    assert tuple(record) == RECORD_FIELDS
    assert (record["status"], record["terminal"], record["accepted"]) == ("undeliverable", True, False)
    assert record["agent"] == {"instance_id": "i-bbbbbbbb", "state": "lost", "ready": False, "vendor_status": None, "last_seen": None}


def test_skip_narrows_the_start_to_the_ready_targets():
    params = options(offline_targets="skip")
    plan = agents.plan(TableProvider(STATES), params)
    assert plan.refusal is None
    assert plan.params["instance_ids"] == ["i-aaaaaaaa"] and params["instance_ids"] == ["i-aaaaaaaa", "i-bbbbbbbb", "i-dddddddd"]
    assert [record["agent"]["state"] for record in plan.left_out] == ["lost", "not_registered"]


def test_skip_with_nobody_ready_sends_nothing():
    plan = agents.plan(TableProvider({}), options(offline_targets="skip", instance_ids=["i-bbbbbbbb"]))
    assert plan.refusal.startswith("no target's agent is online")
    assert len(plan.left_out) == 1


def test_send_and_all_online_change_nothing():
    params = options(offline_targets="send")
    plan = agents.plan(TableProvider(STATES), params)
    assert plan.params is params and not plan.left_out and plan.refusal is None
    assert len(plan.offline) == 2
    params = options(instance_ids=["i-aaaaaaaa", "i-cccccccc"])
    plan = agents.plan(TableProvider(STATES), params)
    assert plan.params is params and not plan.offline


def test_skip_over_resolved_tags_sends_to_instance_ids():
    params = options(instance_ids=None, targets=[{"key": "tag:role", "values": ["web"]}], offline_targets="skip", resolve_targets=True)
    plan = agents.plan(TableProvider(STATES), params)
    assert plan.params["instance_ids"] == ["i-aaaaaaaa", "i-cccccccc"] and plan.params["targets"] is None


def test_tags_that_select_no_managed_node_send_nothing():
    params = options(instance_ids=None, targets=[{"key": "tag:role", "values": ["web"]}])
    assert "resolve to no instance" in agents.plan(TableProvider({}), params).refusal


@pytest.mark.parametrize("params, message", [
    (options(agent_check=False, offline_targets="skip"), "offline_targets says what the agent pre-flight does; it needs agent_check: true"),
    (options(agent_check=False, resolve_targets=True), "resolve_targets says what"),
    (options(instance_ids=None, targets=[{"key": "tag:a", "values": ["b"]}], offline_targets="skip"), "set resolve_targets: true"),
    (options(offline_targets="skip", resolve_targets=True), "it needs targets"),
])
def test_options_that_cannot_work_are_refused_before_any_read(params, message):
    provider = TableProvider(STATES)
    with pytest.raises(InvalidInput, match=message):
        agents.plan(provider, params)
    assert not provider.asked


def test_attach_puts_only_offline_agents_beside_the_vendors_records():
    records = [{"instance_id": "i-aaaaaaaa", "agent": None}, {"instance_id": "i-bbbbbbbb", "agent": None}]
    agents.attach(records, [agents.agent_entry("i-aaaaaaaa", agents.ONLINE), agents.agent_entry("i-bbbbbbbb", agents.LOST, raw={"x": 1})])
    assert records[0]["agent"] is None
    assert records[1]["agent"]["state"] == "lost" and "raw" not in records[1]["agent"]


def test_an_unknown_state_is_a_programming_error():
    with pytest.raises(ValueError):
        agents.agent_entry("i-aaaaaaaa", "asleep")
