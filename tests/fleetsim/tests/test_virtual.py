# Virtual mode and the injectable clock: long timeouts and big fleets without waiting.
from __future__ import annotations


from conftest import control, fleet_from, ssm_client

from fleetsim.clock import ManualClock
from fleetsim.fleet import build_fleet


def command_of(ssm, command_id):
    return ssm.list_commands(CommandId=command_id)["Commands"][0]


def details(ssm, command_id):
    return {i["InstanceName"]: i["StatusDetails"]
            for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]}


def test_offline_delayed_then_delivery_timed_out(make_app, tmp_path):
    clock = ManualClock()
    instances = fleet_from([{"name": "up", "virtual": {"duration": 2}}, {"name": "off", "online": False}], tmp_path=tmp_path)
    app = make_app(instances, mode="virtual", clock=clock)
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
                            Parameters={"commands": ["true"]}, TimeoutSeconds=30)["Command"]
    assert details(ssm, sent["CommandId"]) == {"up": "Pending", "off": "Pending"}
    clock.advance(1.1)
    assert details(ssm, sent["CommandId"]) == {"up": "InProgress", "off": "Delayed"}
    assert command_of(ssm, sent["CommandId"])["Status"] == "InProgress"
    clock.advance(5)
    assert details(ssm, sent["CommandId"]) == {"up": "Success", "off": "Delayed"}
    clock.advance(24)
    inv = ssm.list_command_invocations(CommandId=sent["CommandId"], InstanceId=instances[1].id, Details=True)["CommandInvocations"][0]
    assert (inv["Status"], inv["StatusDetails"], inv["CommandPlugins"][0]["ResponseCode"]) == ("TimedOut", "DeliveryTimedOut", -1)
    command = command_of(ssm, sent["CommandId"])
    assert (command["Status"], command["StatusDetails"], command["DeliveryTimedOutCount"], command["CompletedCount"]) == \
        ("Failed", "Incomplete", 1, 2)


def test_all_offline_is_delivery_timed_out(make_app, tmp_path):
    clock = ManualClock()
    app = make_app(fleet_from([{"online": False}], tmp_path=tmp_path), mode="virtual", clock=clock)
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[app.engine.instances[0].id],
                            Parameters={"commands": ["true"]}, TimeoutSeconds=60)["Command"]
    clock.advance(61)
    command = command_of(ssm, sent["CommandId"])
    assert (command["Status"], command["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")


def test_concurrency_timeouts_and_errors_planned(make_app, tmp_path):
    clock = ManualClock()
    instances = fleet_from([{"count": 4, "virtual": {"duration": 10}},
                            {"name": "slow", "virtual": {"duration": 100}},
                            {"name": "bad", "virtual": {"duration": 1, "exit_code": 3, "stderr": "boom"}}], tmp_path=tmp_path)
    app = make_app(instances, mode="virtual", clock=clock)
    ssm = ssm_client(app.url)
    ids = [i.id for i in instances]
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids, MaxConcurrency="2", MaxErrors="1",
                            Parameters={"commands": ["x"], "executionTimeout": ["50"]})["Command"]
    clock.advance(0.3)
    assert list(details(ssm, sent["CommandId"]).values()) == ["InProgress", "InProgress", "Pending", "Pending", "Pending", "Pending"]
    clock.advance(10)
    assert list(details(ssm, sent["CommandId"]).values())[:4] == ["Success", "Success", "InProgress", "InProgress"]
    clock.advance(200)
    got = details(ssm, sent["CommandId"])
    assert got["slow"] == "ExecutionTimedOut" and got["bad"] == "Failed"
    command = command_of(ssm, sent["CommandId"])
    assert (command["Status"], command["ErrorCount"]) == ("Failed", 2)
    bad = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=ids[5])
    assert (bad["ResponseCode"], bad["StandardErrorContent"]) == (3, "boom")


def test_failure_rate_and_max_errors_terminate(make_app, tmp_path):
    clock = ManualClock()
    instances = fleet_from([{"count": 20, "virtual": {"duration": [1, 2], "failure_rate": 1.0}}], tmp_path=tmp_path)
    app = make_app(instances, mode="virtual", clock=clock, seed=7)
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag-key", "Values": ["Name"]}],
                            MaxConcurrency="5", MaxErrors="10%", Parameters={"commands": ["x"]})["Command"]
    clock.advance(100)
    values = list(details(ssm, sent["CommandId"]).values())
    # 10% of 20 = 2 errors allowed: the first two failures free slots for two more starts,
    # the third failure stops the rest.
    assert values == ["Failed"] * 7 + ["Terminated"] * 13
    assert command_of(ssm, sent["CommandId"])["Status"] == "Failed"


def test_cancel_virtual(make_app):
    clock = ManualClock()
    app = make_app(build_fleet(3), mode="virtual", clock=clock)
    ssm = ssm_client(app.url)
    ids = [i.id for i in app.engine.instances]
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids, MaxConcurrency="1",
                            Parameters={"commands": ["x"]})["Command"]
    clock.advance(1.5)   # first done at 1.2, second running
    ssm.cancel_command(CommandId=sent["CommandId"], InstanceIds=ids[1:])
    assert list(details(ssm, sent["CommandId"]).values()) == ["Success", "Cancelling", "Cancelling"]
    assert command_of(ssm, sent["CommandId"])["Status"] == "Cancelling"
    clock.advance(1)
    assert list(details(ssm, sent["CommandId"]).values()) == ["Success", "Cancelled", "Cancelled"]
    assert command_of(ssm, sent["CommandId"])["Status"] == "Cancelled"


def test_ten_thousand_instances_page_through(make_app):
    # How fast a page is served is measured by `make bench`, not asserted here: timed assertions
    # fail on a loaded machine and prove nothing on an idle one.
    clock = ManualClock()
    app = make_app(build_fleet(10_000), mode="virtual", clock=clock)
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag-key", "Values": ["Name"]}],
                            MaxConcurrency="10%", Parameters={"commands": ["x"]})["Command"]
    assert sent["TargetCount"] == 10_000
    clock.advance(5)
    pages, token, seen = 0, None, 0
    while True:
        page = ssm.list_command_invocations(CommandId=sent["CommandId"], MaxResults=50, **({"NextToken": token} if token else {}))
        pages += 1
        seen += len(page["CommandInvocations"])
        token = page.get("NextToken")
        if not token:
            break
    assert (pages, seen) == (200, 10_000)
    command = command_of(ssm, sent["CommandId"])
    assert command["CompletedCount"] == 4000 and command["Status"] == "InProgress"
    clock.advance(100)
    assert command_of(ssm, sent["CommandId"])["Status"] == "Success"
    assert control(app.url, "stats")["requests"]["aws_ssm"]["ListCommandInvocations"] == 200
