# Alibaba ECS Cloud Assistant front-end over HTTP with the tests' own signed-request client.
from __future__ import annotations

import base64
import time

from acs_client import call, ok
from conftest import control, fleet_from, ssm_client, wait_for

from fleetsim.clock import ManualClock
from fleetsim.fleet import build_fleet

OPEN = ("Pending", "Scheduled", "Running", "Stopping")


def invocation(url, invoke_id, **params):
    found = ok(url, "DescribeInvocations", {"InvokeId": invoke_id, **params})["Invocations"]["Invocation"]
    return found[0] if found else None


def results(url, invoke_id, **params):
    body = ok(url, "DescribeInvocationResults", {"InvokeId": invoke_id, "ContentEncoding": "PlainText", **params})
    return body["Invocation"]["InvocationResults"]["InvocationResult"]


def wait_done(url, invoke_id, timeout=10.0):
    def done():
        inv = invocation(url, invoke_id)
        return inv if inv and inv["InvocationStatus"] not in OPEN else None
    return wait_for(done, timeout, 0.05)


def run(url, ids, content, **params):
    return ok(url, "RunCommand", {"Type": "RunShellScript", "CommandContent": content, "InstanceId": list(ids), **params})


def test_success_base64_output_and_plaintext(app):
    ids = [i.alibaba_id for i in app.engine.instances]
    sent = run(app.url, ids[:2], base64.b64encode("echo 'héllo wörld 中文'; echo $FLEETSIM_INSTANCE_NAME".encode()).decode(),
               ContentEncoding="Base64", Name="greet", Description="says hello")
    assert sent["InvokeId"].startswith("t-hz0") and len(sent["InvokeId"]) == 25 and sent["CommandId"].startswith("c-hz0")
    assert sent["RequestId"]
    inv = wait_done(app.url, sent["InvokeId"])
    assert (inv["InvocationStatus"], inv["InvokeStatus"], inv["CommandName"], inv["CommandType"]) == ("Success", "Finished", "greet", "RunShellScript")
    assert base64.b64decode(inv["CommandContent"]).decode().startswith("echo 'héllo")
    assert [i["InstanceId"] for i in inv["InvokeInstances"]["InvokeInstance"]] == ids[:2]
    assert "Output" not in inv["InvokeInstances"]["InvokeInstance"][0]     # IncludeOutput defaults to false
    with_output = invocation(app.url, sent["InvokeId"], IncludeOutput="True")
    first = with_output["InvokeInstances"]["InvokeInstance"][0]
    assert base64.b64decode(first["Output"]).decode() == "héllo wörld 中文\nnode-001\n"
    assert (first["ExitCode"], first["ErrorCode"], first["Dropped"], first["InstanceInvokeStatus"]) == (0, "", 0, "Finished")
    assert first["StartTime"].endswith("Z") and first["FinishTime"] >= first["StartTime"]
    raw = ok(app.url, "DescribeInvocationResults", {"InvokeId": sent["InvokeId"]})["Invocation"]["InvocationResults"]["InvocationResult"]
    assert base64.b64decode(raw[1]["Output"]).decode() == "héllo wörld 中文\nnode-002\n"   # Base64 by default
    plain = results(app.url, sent["InvokeId"])
    assert [r["Output"] for r in plain] == ["héllo wörld 中文\nnode-001\n", "héllo wörld 中文\nnode-002\n"]
    assert plain[0]["InvocationStatus"] == "Success" and plain[0]["InvokeRecordStatus"] == "Finished" and plain[0]["FinishedTime"]


def test_failure_exit_code_and_partial_failed(app):
    ids = [i.alibaba_id for i in app.engine.instances]
    sent = run(app.url, ids, 'echo out; echo oops >&2; [ "$FLEETSIM_INSTANCE_NAME" = node-001 ] || exit 7')
    inv = wait_done(app.url, sent["InvokeId"])
    assert (inv["InvocationStatus"], inv["InvokeStatus"]) == ("PartialFailed", "PartialFailed")
    ok_row, bad, _third = results(app.url, sent["InvokeId"])
    assert (ok_row["InvocationStatus"], ok_row["ExitCode"]) == ("Success", 0)
    assert (bad["InvocationStatus"], bad["ExitCode"], bad["ErrorCode"], bad["Output"]) == ("Failed", 7, "ExitCodeNonzero", "out\noops\n")
    assert bad["ErrorInfo"]
    all_bad = run(app.url, ids[1:], "exit 2")
    assert wait_done(app.url, all_bad["InvokeId"])["InvocationStatus"] == "Failed"


def test_timeout_with_manual_clock(make_app):
    clock = ManualClock()
    app = make_app(clock=clock)
    iid = app.engine.instances[0].alibaba_id
    sent = run(app.url, [iid], "echo started; sleep 30", Timeout=10)
    assert invocation(app.url, sent["InvokeId"])["InvocationStatus"] == "Pending"
    clock.advance(0.3)
    wait_for(lambda: results(app.url, sent["InvokeId"])[0]["InvocationStatus"] == "Running", 5, 0.05)
    time.sleep(0.3)
    clock.advance(11)
    inv = wait_done(app.url, sent["InvokeId"])
    assert inv["InvocationStatus"] == "Failed" and inv["Timeout"] == 10
    [row] = results(app.url, sent["InvokeId"])
    assert (row["InvocationStatus"], row["ErrorCode"], row["ExitCode"], row["Output"]) == ("Timeout", "ExecutionTimeout", 137, "started\n")
    status, body, _headers = call(app.url, "RunCommand", {"Type": "RunShellScript", "CommandContent": "true", "InstanceId": [iid], "Timeout": 5})
    assert (status, body["Code"]) == (400, "InvalidParameter")


def test_stopped_and_offline_instances_abort(make_app, tmp_path):
    instances = fleet_from([{"name": "up"}, {"name": "down", "state": "stopped", "undeliverable_after": 0.2},
                            {"name": "off", "online": False}], tmp_path=tmp_path)
    # The window is far longer than the stopped instance's 0.2 s, so a loaded machine cannot read
    # the offline one after its window has already closed.
    app = make_app(instances, alibaba_delivery_window=3)
    sent = run(app.url, [i.alibaba_id for i in instances], "true")
    wait_for(lambda: results(app.url, sent["InvokeId"], InstanceId=instances[1].alibaba_id)[0]["InvocationStatus"] == "Aborted", 5, 0.05)
    rows = {r["InstanceId"]: r for r in results(app.url, sent["InvokeId"])}
    down, off = rows[instances[1].alibaba_id], rows[instances[2].alibaba_id]
    assert (down["InvocationStatus"], down["ErrorCode"], down["ErrorInfo"]) == ("Aborted", "InstanceNotRunning", "the instance is not running when create task")
    assert off["InvocationStatus"] == "Pending"
    assert invocation(app.url, sent["InvokeId"])["InvocationStatus"] == "Running"
    inv = wait_done(app.url, sent["InvokeId"])
    assert inv["InvocationStatus"] == "PartialFailed"
    off = results(app.url, sent["InvokeId"], InstanceId=instances[2].alibaba_id)[0]
    assert (off["InvocationStatus"], off["ErrorCode"]) == ("Aborted", "ClientNotRunning")
    assert control(app.url, "instances")["instances"][1]["state"] == "stopped"


def test_stop_invocation_and_stopped_folded_into_success(make_app, tmp_path):
    instances = fleet_from([{"name": "fast"}, {"name": "slow"}, {"name": "off", "online": False}], tmp_path=tmp_path)
    app = make_app(instances)
    ids = [i.alibaba_id for i in instances]
    sent = run(app.url, ids[:2], '[ "$FLEETSIM_INSTANCE_NAME" = fast ] || sleep 30')
    wait_for(lambda: [r["InvocationStatus"] for r in results(app.url, sent["InvokeId"])] == ["Success", "Running"], 5, 0.05)
    ok(app.url, "StopInvocation", {"InvokeId": sent["InvokeId"]})
    assert invocation(app.url, sent["InvokeId"])["InvocationStatus"] in ("Stopping", "Success")
    inv = wait_done(app.url, sent["InvokeId"])
    assert inv["InvocationStatus"] == "Success"          # the documented quirk: Stopped folds into Success
    slow = results(app.url, sent["InvokeId"])[1]
    assert (slow["InvocationStatus"], slow["ExitCode"], slow["ErrorCode"]) == ("Terminated", 137, "ExecutionInterrupted")
    assert slow["StopTime"]
    both = run(app.url, [ids[1], ids[2]], "sleep 30")
    wait_for(lambda: results(app.url, both["InvokeId"])[0]["InvocationStatus"] == "Running", 5, 0.05)
    ok(app.url, "StopInvocation", {"InvokeId": both["InvokeId"], "InstanceId": [ids[2]]})
    time.sleep(0.3)
    rows = results(app.url, both["InvokeId"])
    assert [r["InvocationStatus"] for r in rows] == ["Running", "Cancelled"]
    ok(app.url, "StopInvocation", {"InvokeId": both["InvokeId"]})
    assert wait_done(app.url, both["InvokeId"])["InvocationStatus"] == "Stopped"
    status, body, _headers = call(app.url, "StopInvocation", {"InvokeId": "t-hz0doesnotexist000000000"})
    assert (status, body["Code"]) == (404, "InvalidInvokeId.NotFound")


def test_paging_120_instances_with_next_token(make_app, tmp_path):
    clock = ManualClock()
    instances = fleet_from([{"count": 120, "tags": {"group": "bulk"}, "virtual": {"duration": 1, "stdout": "done"}},
                            {"name": "other"}], tmp_path=tmp_path)
    app = make_app(instances, mode="virtual", clock=clock)
    sent = ok(app.url, "RunCommand", {"Type": "RunShellScript", "CommandContent": "true",
                                      "ResourceTag": [{"Key": "group", "Value": "bulk"}]})
    clock.advance(2)
    inv = invocation(app.url, sent["InvokeId"])
    assert inv["InvocationStatus"] == "Success" and len(inv["InvokeInstances"]["InvokeInstance"]) == 120
    pages, token, seen = 0, None, []
    while True:
        body = ok(app.url, "DescribeInvocationResults", {"InvokeId": sent["InvokeId"], "MaxResults": 50, "NextToken": token,
                                                         "ContentEncoding": "PlainText"})["Invocation"]
        pages += 1
        seen.extend(body["InvocationResults"]["InvocationResult"])
        token = body["NextToken"]
        assert body["TotalCount"] == 120
        if not token:
            break
    assert pages == 3 and len({r["InstanceId"] for r in seen}) == 120 and all(r["Output"] == "done" for r in seen)
    assert [r["InstanceId"] for r in seen] == [i.alibaba_id for i in instances[:120]]
    default_page = ok(app.url, "DescribeInvocationResults", {"InvokeId": sent["InvokeId"]})["Invocation"]
    assert len(default_page["InvocationResults"]["InvocationResult"]) == 10 and default_page["NextToken"]
    legacy = ok(app.url, "DescribeInvocationResults", {"InvokeId": sent["InvokeId"], "PageNumber": 3, "PageSize": 50})["Invocation"]
    assert len(legacy["InvocationResults"]["InvocationResult"]) == 20 and legacy["PageNumber"] == 3
    for bad in ({"NextToken": "garbage!"}, {"NextToken": default_page["NextToken"], "InstanceId": instances[0].alibaba_id}):
        status, body, _headers = call(app.url, "DescribeInvocationResults", {"InvokeId": sent["InvokeId"], **bad})
        assert (status, body["Code"]) == (400, "InvalidParam.NextToken")
    status, body, _headers = call(app.url, "DescribeInvocations", {"MaxResults": 51})
    assert (status, body["Code"]) == (400, "InvalidParameter")
    status, body, _headers = call(app.url, "RunCommand", {"Type": "RunShellScript", "CommandContent": "true",
                                                          "InstanceId": [i.alibaba_id for i in instances[:101]]})
    assert (status, body["Code"]) == (400, "InstanceIds.ExceedLimit")


def test_describe_invocations_newest_first_paging_and_filters(make_app):
    clock = ManualClock()
    app = make_app(build_fleet(2), mode="virtual", clock=clock)
    ids = [i.alibaba_id for i in app.engine.instances]
    sent = [run(app.url, ids, f"echo {n}")["InvokeId"] for n in range(5)]
    first = ok(app.url, "DescribeInvocations", {"MaxResults": 2})
    assert [i["InvokeId"] for i in first["Invocations"]["Invocation"]] == sent[:-3:-1]
    run(app.url, ids, "echo new")            # a new invocation must not shift the next page
    second = ok(app.url, "DescribeInvocations", {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [i["InvokeId"] for i in second["Invocations"]["Invocation"]] == [sent[2], sent[1]]
    clock.advance(5)
    assert ok(app.url, "DescribeInvocations", {"InvokeStatus": "Finished"})["TotalCount"] == 6
    assert ok(app.url, "DescribeInvocations", {"InstanceId": ids[0], "MaxResults": 50})["TotalCount"] == 6
    assert ok(app.url, "DescribeInvocations", {}, region="cn-beijing")["TotalCount"] == 0   # invocations are per region


def test_big_output_is_capped_with_dropped(app):
    iid = app.engine.instances[0].alibaba_id
    sent = run(app.url, [iid], "head -c 30000 /dev/zero | tr '\\0' x")
    wait_done(app.url, sent["InvokeId"])
    [row] = ok(app.url, "DescribeInvocationResults", {"InvokeId": sent["InvokeId"]})["Invocation"]["InvocationResults"]["InvocationResult"]
    assert len(base64.b64decode(row["Output"])) == 24 * 1024 and row["Dropped"] == 30000 - 24 * 1024


def test_visibility_delay_and_stats(app):
    control(app.url, "config", {"visibility_delay": 0.6})
    iid = app.engine.instances[0].alibaba_id
    sent = run(app.url, [iid], "true")
    assert invocation(app.url, sent["InvokeId"]) is None
    assert results(app.url, sent["InvokeId"]) == []
    wait_done(app.url, sent["InvokeId"])
    stats = control(app.url, "stats")
    assert stats["requests"]["alibaba_ecs"]["RunCommand"] == 1 and stats["requests"]["alibaba_ecs"]["DescribeInvocations"] >= 2
    assert stats["requests"]["alibaba_ecs"]["DescribeInvocationResults"] == 1


def test_saved_commands_invoke_parameters_and_scheduled(app):
    ids = [i.alibaba_id for i in app.engine.instances]
    kept = run(app.url, ids[:1], "echo {{greeting}} $FLEETSIM_INSTANCE_NAME", KeepCommand=True, Name="hello",
               EnableParameter=True, Parameters={"greeting": "hi"})
    assert wait_done(app.url, kept["InvokeId"])["Parameters"] == '{"greeting": "hi"}'
    again = ok(app.url, "InvokeCommand", {"CommandId": kept["CommandId"], "InstanceId": ids[1:], "Parameters": {"greeting": "yo"}})
    wait_done(app.url, again["InvokeId"])
    assert [r["Output"] for r in results(app.url, again["InvokeId"])] == ["yo node-002\n", "yo node-003\n"]
    created = ok(app.url, "CreateCommand", {"Name": "made", "Type": "RunShellScript",
                                            "CommandContent": base64.b64encode(b"echo made").decode()})
    listed = ok(app.url, "DescribeCommands", {"ContentEncoding": "PlainText"})["Commands"]["Command"]
    assert [(c["Name"], c["CommandContent"]) for c in listed] == [("hello", "echo {{greeting}} $FLEETSIM_INSTANCE_NAME"), ("made", "echo made")]
    assert listed[0]["InvokeTimes"] == 2 and listed[0]["ParameterNames"]["ParameterName"] == ["greeting"]
    status, body, _headers = call(app.url, "InvokeCommand", {"CommandId": kept["CommandId"], "InstanceId": ids[:1], "Parameters": {}})
    assert (status, body["Code"]) == (400, "InvalidParameter")
    status, body, _headers = call(app.url, "InvokeCommand", {"CommandId": "c-hz0nope", "InstanceId": ids[:1]})
    assert (status, body["Code"]) == (404, "InvalidCommandId.NotFound")
    periodic = ok(app.url, "InvokeCommand", {"CommandId": created["CommandId"], "InstanceId": ids, "RepeatMode": "Period",
                                             "Frequency": "rate(5m)"})
    inv = invocation(app.url, periodic["InvokeId"])
    assert (inv["InvocationStatus"], inv["RepeatMode"], inv["Timed"]) == ("Scheduled", "Period", True)
    ok(app.url, "StopInvocation", {"InvokeId": periodic["InvokeId"]})
    assert invocation(app.url, periodic["InvokeId"])["InvocationStatus"] == "Stopped"
    token = ok(app.url, "RunCommand", {"Type": "RunShellScript", "CommandContent": "true", "InstanceId": ids[:1], "ClientToken": "abc"})
    assert ok(app.url, "RunCommand", {"Type": "RunShellScript", "CommandContent": "true", "InstanceId": ids[:1],
                                      "ClientToken": "abc"})["InvokeId"] == token["InvokeId"]


def test_validation_errors_and_envelope(app):
    iid = app.engine.instances[0].alibaba_id
    cases = [
        ({"CommandContent": "true", "InstanceId": [iid]}, 400, "MissingParameter"),
        ({"Type": "RunPython", "CommandContent": "true", "InstanceId": [iid]}, 400, "InvalidParameter"),
        ({"Type": "RunShellScript", "CommandContent": "true"}, 400, "MissingParameter"),
        ({"Type": "RunShellScript", "CommandContent": "true", "InstanceId": ["i-doesnotexist0000000"]}, 404, "InvalidInstanceId.NotFound"),
        ({"Type": "RunShellScript", "CommandContent": "not base64!", "ContentEncoding": "Base64", "InstanceId": [iid]}, 400, "InvalidParameter"),
        ({"Type": "RunShellScript", "CommandContent": "true", "InstanceId": [iid], "KeepCommand": "maybe"}, 400, "InvalidParameter"),
        ({"Type": "RunShellScript", "CommandContent": "true", "InstanceId": [iid], "RepeatMode": "DryRun"}, 400, "DryRunOperation"),
    ]
    for params, want_status, want_code in cases:
        status, body, headers = call(app.url, "RunCommand", params)
        assert (status, body["Code"]) == (want_status, want_code), params
        assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
        assert headers["x-acs-request-id"] == body["RequestId"] and "x-amzn-RequestId" not in headers
    status, body, _headers = call(app.url, "DescribeInvocations", {}, region=None)
    assert (status, body["Code"]) == (400, "MissingParameter")
    status, body, _headers = call(app.url, "DescribeRegions", {})
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    status, body, _headers = call(app.url, "DescribeInvocations", {}, version="2016-03-14")
    assert (status, body["Code"]) == (400, "InvalidVersion")


def test_powershell_on_linux_is_invalid_and_ssm_unaffected(app):
    ids = [i.alibaba_id for i in app.engine.instances]
    sent = ok(app.url, "RunCommand", {"Type": "RunPowerShellScript", "CommandContent": "Write-Output hi", "InstanceId": ids[:1]})
    time.sleep(0.3)
    [row] = results(app.url, sent["InvokeId"])
    assert (row["InvocationStatus"], row["ErrorCode"]) == ("Invalid", "CommandNotApplicable")
    ssm = ssm_client(app.url)
    assert ssm.list_commands()["Commands"] == []           # Alibaba invocations never show up in SSM
    command = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[app.engine.instances[0].id],
                               Parameters={"commands": ["true"]})["Command"]
    assert ok(app.url, "DescribeInvocations", {})["TotalCount"] == 1   # and SSM commands never in Alibaba
    assert command["CommandId"] not in str(ok(app.url, "DescribeInvocations", {}))


def test_unlisted_instance_is_named_by_the_invocation_but_has_no_result(make_app, tmp_path):
    instances = fleet_from([{"name": "seen"}, {"name": "never", "online": False, "unlisted": True}], tmp_path=tmp_path)
    app = make_app(instances)
    sent = run(app.url, [i.alibaba_id for i in instances], "echo hi")
    wait_for(lambda: [r["InvocationStatus"] for r in results(app.url, sent["InvokeId"])] == ["Success"], 5, 0.05)
    named = invocation(app.url, sent["InvokeId"])["InvokeInstances"]["InvokeInstance"]
    assert sorted(i["InstanceId"] for i in named) == sorted(i.alibaba_id for i in instances)
    assert [r["InstanceId"] for r in results(app.url, sent["InvokeId"])] == [instances[0].alibaba_id]
    assert results(app.url, sent["InvokeId"], InstanceId=instances[1].alibaba_id) == []


def test_interrupted_instances_can_report_exit_code_zero(make_app, tmp_path):
    # Every record carries ExitCode; an instance stopped while running (Terminated), one stopped
    # before it started (Cancelled) and one killed at its Timeout may all report 0.
    clock = ManualClock()
    instances = fleet_from([{"name": "a"}, {"name": "b"}, {"name": "off", "online": False}], tmp_path=tmp_path)
    app = make_app(instances, clock=clock)
    control(app.url, "config", {"alibaba_interrupted_exit_code": 0})
    ids = [i.alibaba_id for i in instances]
    timed = run(app.url, ids[:1], "sleep 30", Timeout=10)
    stopped = run(app.url, ids[1:], "sleep 30")
    clock.advance(0.3)
    wait_for(lambda: results(app.url, timed["InvokeId"])[0]["InvocationStatus"] == "Running", 5, 0.05)
    wait_for(lambda: results(app.url, stopped["InvokeId"])[0]["InvocationStatus"] == "Running", 5, 0.05)
    ok(app.url, "StopInvocation", {"InvokeId": stopped["InvokeId"]})
    time.sleep(0.3)
    clock.advance(11)
    wait_done(app.url, timed["InvokeId"])
    wait_done(app.url, stopped["InvokeId"])
    [killed] = results(app.url, timed["InvokeId"])
    assert (killed["InvocationStatus"], killed["ErrorCode"], killed["ExitCode"]) == ("Timeout", "ExecutionTimeout", 0)
    terminated, cancelled = results(app.url, stopped["InvokeId"])
    assert (terminated["InvocationStatus"], terminated["ExitCode"], terminated["InvokeRecordStatus"]) == ("Terminated", 0, "Stopped")
    assert (cancelled["InvocationStatus"], cancelled["ExitCode"], cancelled["InvokeRecordStatus"]) == ("Cancelled", 0, "Stopped")
    # Without the setting, the killed process's own code.
    control(app.url, "config", {"alibaba_interrupted_exit_code": None})
    assert results(app.url, timed["InvokeId"])[0]["ExitCode"] == 137
