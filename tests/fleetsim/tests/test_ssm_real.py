# SSM Run Command against real local processes, driven through boto3.
from __future__ import annotations

import time

from conftest import fleet_from, ssm_client, wait_for

from fleetsim.fleet import build_fleet

OPEN = ("Pending", "InProgress", "Cancelling", "Delayed")


def wait_command(ssm, command_id, timeout=15.0):
    def done():
        command = ssm.list_commands(CommandId=command_id)["Commands"][0]
        return command if command["Status"] not in OPEN else None
    return wait_for(done, timeout)


def invocations(ssm, command_id, **kwargs):
    return ssm.list_command_invocations(CommandId=command_id, Details=True, **kwargs)["CommandInvocations"]


def run(ssm, instance_ids, commands, **kwargs):
    return ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=instance_ids,
                            Parameters={"commands": commands, **kwargs.pop("parameters", {})}, **kwargs)["Command"]


def test_success_with_real_output(make_app, tmp_path):
    instances = fleet_from([{"name": "web-1", "tags": {"role": "web", "env-x": "demo"},
                             "files": {"health.txt": "ok\n"}}], tmp_path=tmp_path)
    app = make_app(instances)
    ssm = ssm_client(app.url)
    iid = instances[0].id
    sent = run(ssm, [iid], ["cat health.txt", "echo $FLEETSIM_INSTANCE_ID $FLEETSIM_INSTANCE_NAME $FLEETSIM_TAG_ROLE $FLEETSIM_TAG_ENV_X",
                            "pwd"])
    assert sent["Status"] == "Pending" and sent["TargetCount"] == 1 and sent["DocumentVersion"] == "$DEFAULT"
    command = wait_command(ssm, sent["CommandId"])
    assert (command["Status"], command["StatusDetails"], command["CompletedCount"], command["ErrorCount"]) == ("Success", "Success", 1, 0)
    [inv] = invocations(ssm, sent["CommandId"])
    assert inv["Status"] == "Success" and inv["InstanceName"] == "web-1"
    plugin = inv["CommandPlugins"][0]
    assert plugin["Name"] == "aws:runShellScript" and plugin["ResponseCode"] == 0
    assert plugin["Output"].startswith(f"ok\n{iid} web-1 web demo\n")
    assert plugin["Output"].rstrip().endswith(iid)   # cwd is the instance's own directory
    assert plugin["ResponseFinishDateTime"] >= plugin["ResponseStartDateTime"]
    got = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid)
    assert got["StandardOutputContent"].startswith("ok\n") and got["StandardErrorContent"] == ""
    assert got["ExecutionElapsedTime"].startswith("PT") and got["ExecutionEndDateTime"].endswith("Z")


def test_nonzero_exit_is_failed_with_response_code(app, ssm):
    ids = [i.id for i in app.engine.instances]
    sent = run(ssm, ids, ["echo out", "echo oops >&2", "exit 7"], MaxErrors="5")
    command = wait_command(ssm, sent["CommandId"])
    assert command["ErrorCount"] == 3 and command["Status"] == "Failed"
    for inv in invocations(ssm, sent["CommandId"]):
        plugin = inv["CommandPlugins"][0]
        assert (inv["Status"], inv["StatusDetails"], plugin["ResponseCode"]) == ("Failed", "Failed", 7)
        assert plugin["Output"] == "out\n\n----------ERROR-------\noops\n"


def test_execution_timeout_kills_process_group(app, ssm):
    iid = app.engine.instances[0].id
    sent = run(ssm, [iid], ["sleep 30 &", "echo started", "sleep 30"], parameters={"executionTimeout": ["1"]})
    command = wait_command(ssm, sent["CommandId"])
    assert (command["Status"], command["StatusDetails"]) == ("TimedOut", "ExecutionTimedOut")
    got = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid)
    assert (got["Status"], got["StatusDetails"], got["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", 137)
    assert got["StandardOutputContent"] == "started\n"


def test_cancel_command(app, ssm):
    ids = [i.id for i in app.engine.instances]
    sent = run(ssm, ids, ["sleep 30"])
    wait_for(lambda: all(i["Status"] == "InProgress" for i in invocations(ssm, sent["CommandId"])), 5)
    assert ssm.cancel_command(CommandId=sent["CommandId"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    # Cancelling lasts 0.2 s; a slow machine may already see Cancelled (the virtual-mode test pins it down).
    statuses = {i["Status"] for i in invocations(ssm, sent["CommandId"])}
    assert statuses <= {"Cancelling", "Cancelled"}
    command = wait_command(ssm, sent["CommandId"], 5)
    assert (command["Status"], command["StatusDetails"]) == ("Cancelled", "Cancelled")
    for inv in invocations(ssm, sent["CommandId"]):
        assert inv["StatusDetails"] == "Cancelled" and inv["CommandPlugins"][0]["ResponseCode"] == 137


def test_max_errors_terminates_the_rest(make_app):
    app = make_app(build_fleet(4))
    ssm = ssm_client(app.url)
    ids = [i.id for i in app.engine.instances]
    sent = run(ssm, ids, ["exit 1"], MaxConcurrency="1", MaxErrors="0")
    command = wait_command(ssm, sent["CommandId"])
    details = [i["StatusDetails"] for i in invocations(ssm, sent["CommandId"])]
    assert details == ["Failed", "Terminated", "Terminated", "Terminated"]
    assert (command["Status"], command["ErrorCount"], command["CompletedCount"]) == ("Failed", 1, 4)


def test_max_concurrency_one_runs_in_order(app, ssm):
    ids = [i.id for i in app.engine.instances]
    sent = run(ssm, ids, ["sleep 0.6"], MaxConcurrency="1")
    wait_for(lambda: invocations(ssm, sent["CommandId"])[0]["StatusDetails"] == "InProgress", 5, 0.05)
    details = [i["StatusDetails"] for i in invocations(ssm, sent["CommandId"])]
    assert details[0] == "InProgress" and details[1:] == ["Pending", "Pending"]
    wait_command(ssm, sent["CommandId"])
    starts = [i["CommandPlugins"][0]["ResponseStartDateTime"] for i in invocations(ssm, sent["CommandId"])]
    assert starts == sorted(starts)


def test_offline_delayed_and_terminated_undeliverable(make_app, tmp_path):
    instances = fleet_from([{"name": "up"}, {"name": "off", "online": False},
                            {"name": "gone", "state": "terminated", "undeliverable_after": 0.3}], tmp_path=tmp_path)
    app = make_app(instances)
    ssm = ssm_client(app.url)
    sent = run(ssm, [i.id for i in instances], ["true"])
    time.sleep(1.3)
    by_name = {i["InstanceName"]: i for i in invocations(ssm, sent["CommandId"])}
    assert (by_name["up"]["Status"], by_name["off"]["Status"]) == ("Success", "Delayed")
    assert (by_name["gone"]["Status"], by_name["gone"]["StatusDetails"]) == ("Failed", "Undeliverable")
    command = ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]
    assert command["Status"] == "InProgress" and command["CompletedCount"] == 2


def test_invalid_platform_and_working_directory(make_app, tmp_path):
    instances = fleet_from([{"name": "lin", "files": {"sub/x.txt": "x"}}, {"name": "win", "platform": "Windows"}], tmp_path=tmp_path)
    app = make_app(instances)
    ssm = ssm_client(app.url)
    sent = run(ssm, [i.id for i in instances], ["ls"], parameters={"workingDirectory": ["sub"]})
    wait_command(ssm, sent["CommandId"])
    lin, win = invocations(ssm, sent["CommandId"])
    assert lin["CommandPlugins"][0]["Output"] == "x.txt\n"
    assert (win["Status"], win["StatusDetails"], win["CommandPlugins"][0]["ResponseCode"]) == ("Failed", "InvalidPlatform", -1)
    ps = ssm.send_command(DocumentName="AWS-RunPowerShellScript", InstanceIds=[instances[1].id],
                          Parameters={"commands": ["echo from-windows"]})["Command"]
    wait_command(ssm, ps["CommandId"])
    got = ssm.get_command_invocation(CommandId=ps["CommandId"], InstanceId=instances[1].id, PluginName="aws:runPowerShellScript")
    assert got["StandardOutputContent"] == "from-windows\n" and got["PluginName"] == "aws:runPowerShellScript"


def test_targets_select_120_and_paginate_by_50(make_app, tmp_path):
    instances = fleet_from([{"count": 120, "name_prefix": "bulk-", "tags": {"group": "bulk"}}, {"name": "other"}], tmp_path=tmp_path)
    app = make_app(instances)
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:group", "Values": ["bulk"]}],
                            Parameters={"commands": ["echo $FLEETSIM_INSTANCE_NAME"]}, MaxConcurrency="100%")["Command"]
    assert sent["TargetCount"] == 120 and sent["InstanceIds"] == []
    command = wait_command(ssm, sent["CommandId"], 30)
    assert (command["Status"], command["CompletedCount"]) == ("Success", 120)
    pages, token, seen = 0, None, []
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = ssm.list_command_invocations(CommandId=sent["CommandId"], MaxResults=50, Details=True, **kwargs)
        pages += 1
        seen.extend(page["CommandInvocations"])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3 and len(seen) == 120 and len({i["InstanceId"] for i in seen}) == 120
    assert all(i["CommandPlugins"][0]["Output"] == i["InstanceName"] + "\n" for i in seen)
    paginator = ssm.get_paginator("list_command_invocations")
    assert sum(len(p["CommandInvocations"]) for p in paginator.paginate(CommandId=sent["CommandId"])) == 120


def test_no_matching_targets(ssm):
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:nope", "Values": ["x"]}],
                            Parameters={"commands": ["true"]})["Command"]
    assert (sent["TargetCount"], sent["Status"], sent["StatusDetails"]) == (0, "Success", "NoInstancesInTag")
    assert ssm.list_command_invocations(CommandId=sent["CommandId"])["CommandInvocations"] == []


def test_multi_step_document_reports_one_plugin_per_step(app, ssm):
    # A custom document with two aws:runShellScript steps: the second fails, the first succeeded.
    iid = app.engine.instances[0].id
    sent = ssm.send_command(DocumentName="Fleetsim-DeployAndVerify", InstanceIds=[iid],
                            Parameters={"commands": ["echo deployed"], "verifyCommands": ["echo checking", "echo bad >&2", "exit 3"]})["Command"]
    command = wait_command(ssm, sent["CommandId"])
    assert (command["Status"], command["TargetCount"], command["ErrorCount"]) == ("Failed", 1, 1)
    [inv] = invocations(ssm, sent["CommandId"])
    assert inv["Status"] == "Failed" and inv["StandardOutputUrl"] == ""
    deploy, verify = inv["CommandPlugins"]
    assert (deploy["Name"], deploy["Status"], deploy["ResponseCode"], deploy["Output"]) == ("deploy", "Success", 0, "deployed")
    assert (verify["Name"], verify["Status"], verify["ResponseCode"]) == ("verify", "Failed", 3)
    assert verify["Output"] == "checking\n----------ERROR-------\nbad"
    assert deploy["ResponseStartDateTime"] <= deploy["ResponseFinishDateTime"] <= verify["ResponseFinishDateTime"]
    got = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid, PluginName="deploy")
    assert (got["Status"], got["ResponseCode"], got["StandardOutputContent"]) == ("Success", 0, "deployed")
    try:
        ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid)
    except ssm.exceptions.InvalidPluginName:
        pass
    else:
        raise AssertionError("a multi-step document needs PluginName")


def test_multi_step_document_is_running_then_each_step_ends(app, ssm):
    iid = app.engine.instances[0].id
    sent = ssm.send_command(DocumentName="Fleetsim-DeployAndVerify", InstanceIds=[iid],
                            Parameters={"commands": ["sleep 1"], "verifyCommands": ["echo fine"]})["Command"]
    wait_for(lambda: invocations(ssm, sent["CommandId"])[0]["Status"] == "InProgress", 5)
    running = invocations(ssm, sent["CommandId"])[0]["CommandPlugins"]
    assert [p["Status"] for p in running] == ["InProgress", "Pending"]
    wait_command(ssm, sent["CommandId"])
    done = invocations(ssm, sent["CommandId"])[0]["CommandPlugins"]
    assert [(p["Status"], p["ResponseCode"]) for p in done] == [("Success", 0), ("Success", 0)]


def test_unlisted_target_is_counted_but_never_listed(make_app, tmp_path):
    # A tag-targeted command announces 3 targets (TargetCount) while only 2 invocations ever appear.
    instances = fleet_from([{"name": "p-1", "tags": {"role": "partial"}}, {"name": "p-2", "tags": {"role": "partial"}},
                            {"name": "p-3", "tags": {"role": "partial"}, "online": False, "unlisted": True}], tmp_path=tmp_path)
    app = make_app(instances)
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:role", "Values": ["partial"]}],
                            Parameters={"commands": ["echo ok"]})["Command"]
    assert sent["TargetCount"] == 3
    wait_for(lambda: len([i for i in invocations(ssm, sent["CommandId"]) if i["Status"] == "Success"]) == 2, 10)
    listed = invocations(ssm, sent["CommandId"])
    assert sorted(i["InstanceName"] for i in listed) == ["p-1", "p-2"]
    command = ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]
    assert (command["Status"], command["TargetCount"], command["CompletedCount"]) == ("InProgress", 3, 2)
    assert ssm.list_command_invocations(InstanceId=instances[2].id)["CommandInvocations"] == []
    try:
        ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=instances[2].id)
    except ssm.exceptions.InvocationDoesNotExist:
        pass
    else:
        raise AssertionError("an unlisted invocation is not there for GetCommandInvocation either")
