# Pure units: fleet loading and id generation, SSM status aggregation and output truncation.
from __future__ import annotations

import json
import re

import pytest

from fleetsim import engine as e
from fleetsim import ssm_status
from fleetsim.fleet import FleetError, build_fleet, instance_id, load_fleet


def test_generated_ids_are_deterministic():
    first = build_fleet(3, seed=5)
    assert [i.id for i in first] == [i.id for i in build_fleet(3, seed=5)]
    assert [i.id for i in first] != [i.id for i in build_fleet(3, seed=6)]
    assert all(re.fullmatch(r"i-0[0-9a-f]{16}", i.id) for i in first)
    assert instance_id(0, 0) == build_fleet(1)[0].id


def test_fleet_file_union_and_groups(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text("instances:\n"
                    "  - id: i-0aaaaaaaaaaaaaaa1\n    name: web-1\n    platform: Windows\n    online: false\n"
                    "    tags: {role: web}\n    files: {health.txt: \"ok\\n\"}\n"
                    "  - count: 3\n    name_prefix: bulk-\n    state: terminated\n    virtual: {duration: [2, 20], failure_rate: 0.5}\n")
    fleet = build_fleet(2, str(path))
    assert [i.name for i in fleet] == ["node-001", "node-002", "web-1", "bulk-001", "bulk-002", "bulk-003"]
    web = fleet[2]
    assert (web.id, web.platform, web.online, web.tags, web.files) == \
        ("i-0aaaaaaaaaaaaaaa1", "Windows", False, {"role": "web", "Name": "web-1"}, {"health.txt": "ok\n"})
    assert fleet[3].state == "terminated" and fleet[3].virtual["duration"] == [2, 20]
    assert len({i.id for i in fleet}) == 6


def test_fleet_file_visibility_delay(tmp_path):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"visibility_delay": 4, "instances": [{"name": "web-1"}]}))
    instances, settings = load_fleet(0, str(path))
    assert [i.name for i in instances] == ["web-1"] and settings == {"visibility_delay": 4.0}
    for bad in (-1, "soon", True):
        path.write_text(json.dumps({"visibility_delay": bad, "instances": []}))
        with pytest.raises(FleetError, match="visibility_delay must be a number of seconds"):
            load_fleet(0, str(path))
    path.write_text(json.dumps({"visibility": 4, "instances": []}))
    with pytest.raises(FleetError, match="unknown key"):
        load_fleet(0, str(path))


@pytest.mark.parametrize("entry, message", [
    ({"id": "i-123"}, "invalid instance id"),
    ({"state": "paused"}, "state must be one of"),
    ({"alibaba_id": "i-UPPER"}, "invalid alibaba_id"),
    ({"colour": "red"}, "unknown key(s) colour"),
    ({"count": 0}, "count must be a positive integer"),
    ({"files": {"../x": "y"}}, "must be relative"),
    ({"virtual": {"duration": [1]}}, "virtual.duration"),
])
def test_fleet_file_errors(tmp_path, entry, message):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"instances": [entry]}))
    with pytest.raises(FleetError) as excinfo:
        build_fleet(0, str(path))
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_fleet_file_unreadable_or_invalid(tmp_path):
    with pytest.raises(FleetError, match="cannot read fleet file"):
        build_fleet(0, str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(FleetError, match="invalid JSON"):
        build_fleet(0, str(bad))
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps({"instances": [{"id": "i-0aaaaaaaaaaaaaaa1"}, {"id": "i-0aaaaaaaaaaaaaaa1"}]}))
    with pytest.raises(FleetError, match="duplicate instance id"):
        build_fleet(0, str(dup))


@pytest.mark.parametrize("counts, max_errors, cancelled, expected", [
    ({}, 0, False, ("Success", "NoInstancesInTag")),
    ({e.PENDING: 2}, 0, False, ("Pending", "Pending")),
    ({e.DELAYED: 2}, 0, False, ("Pending", "Delayed")),
    ({e.RUNNING: 1, e.PENDING: 1}, 0, False, ("InProgress", "InProgress")),
    ({e.CANCELLING: 1, e.SUCCESS: 1}, 0, True, ("Cancelling", "Cancelling")),
    ({e.SUCCESS: 3, e.UNDELIVERABLE: 2}, 0, False, ("Success", "Success")),
    ({e.SUCCESS: 2, e.FAILED: 1}, 0, False, ("Failed", "Failed")),
    ({e.SUCCESS: 2, e.FAILED: 1}, 1, False, ("Failed", "Incomplete")),
    ({e.SUCCESS: 2, e.DELIVERY_TIMED_OUT: 1}, 0, False, ("Failed", "Incomplete")),
    ({e.DELIVERY_TIMED_OUT: 2, e.UNDELIVERABLE: 1}, 0, False, ("TimedOut", "DeliveryTimedOut")),
    ({e.EXECUTION_TIMED_OUT: 1, e.TERMINATED: 3}, 0, False, ("TimedOut", "ExecutionTimedOut")),
    ({e.UNDELIVERABLE: 2}, 0, False, ("Failed", "Undeliverable")),
    ({e.INVALID_PLATFORM: 1}, 0, False, ("Failed", "InvalidPlatform")),
    ({e.SUCCESS: 1, e.CANCELLED: 1}, 0, True, ("Cancelled", "Cancelled")),
])
def test_command_status(counts, max_errors, cancelled, expected):
    assert ssm_status.command_status(counts, max_errors, cancelled) == expected


def test_plugin_output_truncation_matches_agent_layout():
    text = "x" * 200
    assert ssm_status.plugin_output("out", "", 100) == "out"
    assert ssm_status.plugin_output("", "err", 100) == "\n----------ERROR-------\nerr"
    only_out = ssm_status.plugin_output(text, "", 100)
    assert len(only_out) == 100 and only_out.endswith("\n---Output truncated---")
    only_err = ssm_status.plugin_output("", text, 100)
    assert len(only_err) == 100 and only_err.startswith("\n----------ERROR-------\n")
    both = ssm_status.plugin_output(text, text, 100)
    assert both == "x" * 15 + "\n---Output truncated---\n----------ERROR-------\n" + "x" * 15 + "\n---Error truncated----"
    short_err = ssm_status.plugin_output(text, "e", 100)
    assert len(short_err) == 100 and short_err.endswith("\n----------ERROR-------\ne")


def test_rates():
    assert ssm_status.resolve_rate("50", 3, 1) == 50
    assert ssm_status.resolve_rate("10%", 25, 1) == 3
    assert ssm_status.resolve_rate("1%", 5, 1) == 1
    assert ssm_status.resolve_rate("0", 5, 0) == 0
    assert ssm_status.resolve_rate("0%", 5, 0) == 0
