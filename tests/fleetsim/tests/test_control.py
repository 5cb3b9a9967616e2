# Control endpoints: health, stats, reset, config, instances.
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import control, fleet_from, ssm_client, wait_for


def test_health_instances_and_config(app):
    assert control(app.url, "health") == {"status": "ok"}
    fleet = control(app.url, "instances")["instances"]
    assert [i["name"] for i in fleet] == ["node-001", "node-002", "node-003"]
    assert fleet[0] == {"id": app.engine.instances[0].id, "name": "node-001", "platform": "Linux", "online": True,
                        "state": "running", "tags": {"Name": "node-001"}, "alibaba_id": app.engine.instances[0].alibaba_id,
                        "zenlayer_id": app.engine.instances[0].zenlayer_id, "unlisted": False, "agent": "online"}
    assert re.match(r"^i-[0-9a-z]{20}$", fleet[0]["alibaba_id"])
    assert control(app.url, "config", {"visibility_delay": 1.5, "rate_limit": 0}) == \
        {"visibility_delay": 1.5, "rate_limit": 0.0, "mode": "real", "alibaba_delivery_window": 60.0,
         "alibaba_interrupted_exit_code": None, "s3_endpoint": None, "logs_endpoint": None, "logs_endless_pages": False}
    assert control(app.url, "config", {"alibaba_interrupted_exit_code": 0})["alibaba_interrupted_exit_code"] == 0
    assert control(app.url, "config", {"alibaba_interrupted_exit_code": None})["alibaba_interrupted_exit_code"] is None
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        control(app.url, "config", {"alibaba_interrupted_exit_code": "zero"})
    assert excinfo.value.code == 400
    assert control(app.url, "config", {"alibaba_delivery_window": 2})["alibaba_delivery_window"] == 2.0
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        control(app.url, "config", {"bogus": 1})
    assert excinfo.value.code == 400


def test_stats_and_reset(make_app, tmp_path):
    instances = fleet_from([{"name": "a", "files": {"health.txt": "ok\n"}}], tmp_path=tmp_path)
    app = make_app(instances)
    ssm = ssm_client(app.url)
    iid = instances[0].id
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid],
                            Parameters={"commands": ["echo changed > health.txt"]})["Command"]
    wait_for(lambda: ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]["Status"] == "Success")
    with open(os.path.join(instances[0].workdir, "health.txt"), encoding="utf-8") as handle:
        assert handle.read() == "changed\n"
    stats = control(app.url, "stats")
    assert stats["requests"]["aws_ssm"]["SendCommand"] == 1 and stats["requests"]["aws_ssm"]["ListCommands"] >= 1
    assert stats["total"] == sum(stats["requests"]["aws_ssm"].values()) and stats["throttled"] == 0
    assert control(app.url, "reset", {}) == {"status": "reset"}
    assert control(app.url, "stats") == {"requests": {}, "total": 0, "throttled": 0, "signature_failures": 0}
    with open(os.path.join(instances[0].workdir, "health.txt"), encoding="utf-8") as handle:
        assert handle.read() == "ok\n"
    with pytest.raises(ClientError) as excinfo:
        ssm.list_commands(CommandId=sent["CommandId"])
    assert excinfo.value.response["Error"]["Code"] == "InvalidCommandId"
    assert len(control(app.url, "instances")["instances"]) == 1


def test_unknown_paths(app):
    for path, method in (("/_fleetsim/nope", "GET"), ("/elsewhere", "GET")):
        request = urllib.request.Request(app.url + path, method=method)
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=5)   # pylint: disable=consider-using-with
        assert excinfo.value.code == 404
        assert "message" in json.loads(excinfo.value.read())


def test_timeline_shows_when_each_invocation_ended(make_app, tmp_path):
    instances = fleet_from([{"name": "fast", "virtual": {"duration": 0.3}}, {"name": "slow", "virtual": {"duration": 60}}],
                           tmp_path=tmp_path)
    app = make_app(instances, mode="virtual")
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[i.id for i in instances],
                            Parameters={"commands": ["true"]})["Command"]
    wait_for(lambda: control(app.url, "timeline")["commands"][0]["invocations"][0]["ended_at"])
    timeline = control(app.url, "timeline")
    (command,) = timeline["commands"]
    assert command["command_id"] == sent["CommandId"] and command["vendor"] == "aws_ssm"
    fast, slow = command["invocations"]
    assert fast["instance_id"] == instances[0].id and fast["phase"] == "success"
    assert command["requested_at"] < fast["started_at"] < fast["ended_at"] <= timeline["now"]
    # The slow one is planned to end in a minute: not yet, so no end time is shown.
    assert slow["phase"] == "running" and slow["ended_at"] is None
