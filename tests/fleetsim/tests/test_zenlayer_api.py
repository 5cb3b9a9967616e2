# Zenlayer ZOS front-end over HTTP with the tests' own ZC2-signed client.
from __future__ import annotations

import re
import time

from conftest import control, fleet_from, wait_for
from zos_client import call, create, invocation, invoke, ok

from fleetsim.clock import ManualClock
from fleetsim.fleet import build_fleet
from fleetsim.zenlayer_zos import DEFAULT_TOKEN

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def wait_done(url, invocation_id, timeout=10.0):
    def done():
        inv = invocation(url, invocation_id)
        return inv if inv and inv["invocationStatus"] not in ("Pending", "Running") else None
    return wait_for(done, timeout, 0.05)


def test_success_failure_and_shapes(app):
    ids = [i.zenlayer_id for i in app.engine.instances]
    assert all(re.match(r"^[1-9]\d{18}$", i) for i in ids)
    assert [i["zenlayer_id"] for i in control(app.url, "instances")["instances"]] == ids
    cid = create(app.url, 'echo "hi $FLEETSIM_INSTANCE_NAME"; echo warn >&2; [ "$FLEETSIM_INSTANCE_NAME" = node-001 ] || exit 5',
                 name="greet", description="says hi", tags={"tags": [{"key": "team", "value": "ops"}]})
    assert re.match(r"^cmd-[0-9a-z]{20}$", cid)
    inv_id = invoke(app.url, cid, ids, timeout=10)
    assert re.match(r"^inv-[0-9a-z]{20}$", inv_id)
    first = invocation(app.url, inv_id)
    assert first["invocationStatus"] == "Pending" and {i["taskStatus"] for i in first["invocationInstances"]} == {"Pending"}
    assert first["invocationInstances"][0]["exitCode"] is None and first["invocationInstances"][0]["execStartTime"] is None
    inv = wait_done(app.url, inv_id)
    assert (inv["invocationStatus"], inv["commandId"], inv["commandName"], inv["commandType"], inv["timeout"]) == (
        "PartialFailed", cid, "greet", "SHELL", 10)
    assert TIME_RE.match(inv["createTime"]) and inv["content"].startswith("echo")
    good, bad, _third = inv["invocationInstances"]
    assert set(good) == {"instanceId", "instanceName", "instanceExist", "taskStatus", "exitCode", "errorCode", "output",
                         "outputError", "execStartTime", "execEndTime"}
    assert (good["instanceId"], good["instanceName"], good["instanceExist"], good["taskStatus"], good["exitCode"], good["errorCode"]) == (
        ids[0], "node-001", True, "Success", 0, None)
    assert (good["output"], good["outputError"]) == ("hi node-001\n", "warn\n")
    assert TIME_RE.match(good["execStartTime"]) and good["execEndTime"] >= good["execStartTime"]
    assert (bad["taskStatus"], bad["exitCode"], bad["errorCode"], bad["output"]) == ("Failed", 5, "ExecutionExitNoneZero", "hi node-002\n")
    all_bad = invoke(app.url, cid, ids[1:])
    assert wait_done(app.url, all_bad)["invocationStatus"] == "Failed"
    ok_id = invoke(app.url, create(app.url, "true"), ids)
    assert wait_done(app.url, ok_id)["invocationStatus"] == "Success"
    stats = control(app.url, "stats")["requests"]["zenlayer_zos"]
    assert stats["CreateCommand"] == 2 and stats["InvokeCommand"] == 3 and stats["DescribeCommandInvocations"] >= 4


def test_timeout_with_manual_clock(make_app):
    clock = ManualClock()
    app = make_app(clock=clock)
    zid = app.engine.instances[0].zenlayer_id
    inv_id = invoke(app.url, create(app.url, "echo started; sleep 30"), [zid], timeout=1)
    assert invocation(app.url, inv_id)["invocationStatus"] == "Pending"
    clock.advance(0.3)
    wait_for(lambda: invocation(app.url, inv_id)["invocationInstances"][0]["taskStatus"] == "Running", 5, 0.05)
    assert invocation(app.url, inv_id)["invocationStatus"] == "Running"
    time.sleep(0.3)
    clock.advance(2)
    inv = wait_done(app.url, inv_id)
    [row] = inv["invocationInstances"]
    assert (inv["invocationStatus"], row["taskStatus"], row["errorCode"], row["exitCode"], row["output"]) == (
        "Failed", "Timeout", "ExecutionTimeout", 137, "started\n")


def test_error_codes_per_instance(make_app, tmp_path):
    instances = fleet_from([{"name": "up"}, {"name": "down", "state": "stopped", "undeliverable_after": 0.2},
                            {"name": "win", "platform": "Windows"}, {"name": "off", "online": False},
                            {"name": "gone", "state": "terminated", "undeliverable_after": 0.2}], tmp_path=tmp_path)
    app = make_app(instances)
    ids = [i.zenlayer_id for i in instances]
    inv_id = invoke(app.url, create(app.url, "true"), ids + ["9999999999999999999"], timeout=1)
    time.sleep(0.5)
    rows = invocation(app.url, inv_id)["invocationInstances"]
    assert [r["instanceId"] for r in rows] == ids + ["9999999999999999999"]
    assert [(r["taskStatus"], r["errorCode"]) for r in rows] == [
        ("Success", None), ("Error", "InstanceInstanceState"), ("Error", "CommandPlatformInvalid"), ("Pending", None),
        ("Error", "InstanceInstanceState"), ("Error", "InstanceNotExists")]
    assert (rows[5]["instanceExist"], rows[5]["instanceName"], rows[5]["exitCode"]) == (False, None, None)
    assert rows[1]["instanceExist"] is True and rows[1]["execStartTime"] is None
    inv = wait_done(app.url, inv_id, 5)     # the offline agent gives up after the invocation timeout
    assert inv["invocationStatus"] == "PartialFailed"
    assert (inv["invocationInstances"][3]["taskStatus"], inv["invocationInstances"][3]["errorCode"]) == ("Error", "SystemError")
    status, body = call(app.url, "InvokeCommand", {"commandId": inv["commandId"], "instanceIds": ["1", "2"]})
    assert (status, body["code"]) == (404, "INVALID_INSTANCE_NOT_FOUND") and body["requestId"]


def test_validation_errors(app):
    zid = app.engine.instances[0].zenlayer_id
    cid = create(app.url, "true")
    cases = [
        ("InvokeCommand", {"commandId": cid, "instanceIds": [zid], "timeout": 0}, 400, "INVALID_PARAMETER"),
        ("InvokeCommand", {"commandId": cid, "instanceIds": [zid], "timeout": 61}, 400, "INVALID_PARAMETER"),
        ("InvokeCommand", {"commandId": cid, "instanceIds": [zid], "timeout": "5"}, 400, "INVALID_PARAMETER"),
        ("InvokeCommand", {"commandId": cid, "instanceIds": [str(n) for n in range(201)]}, 400, "INVALID_PARAMETER"),
        ("InvokeCommand", {"commandId": cid}, 400, "MISSING_PARAMETER"),
        ("InvokeCommand", {"commandId": "cmd-nothere", "instanceIds": [zid]}, 404, "INVALID_COMMAND_NOT_FOUND"),
        ("CreateCommand", {"type": "SHELL", "content": "true"}, 400, "MISSING_PARAMETER"),
        ("CreateCommand", {"name": "x", "type": "PYTHON", "content": "true"}, 400, "INVALID_PARAMETER"),
        ("CreateCommand", {"name": "x" * 65, "type": "SHELL", "content": "true"}, 400, "INVALID_PARAMETER"),
        ("DescribeCommandInvocations", {"pageSize": 10_001}, 400, "INVALID_PARAMETER"),
        ("DescribeCommands", {"pageSize": 1001}, 400, "INVALID_PARAMETER"),
        ("RunCommand", {}, 400, "INVALID_ACTION"),
    ]
    for action, payload, status, code in cases:
        got_status, body = call(app.url, action, payload)
        assert (action, got_status, body["code"]) == (action, status, code), body
        assert set(body) == {"requestId", "code", "message"}
    got_status, body = call(app.url, "DescribeCommands", {}, version="2023-01-01")
    assert (got_status, body["code"]) == (400, "INVALID_VERSION")
    assert invoke(app.url, cid, [zid], timeout=60)
    assert invoke(app.url, cid, [zid, zid], timeout=1)   # duplicates dropped
    assert wait_done(app.url, invoke(app.url, cid, [zid]))["timeout"] == 30


def test_paging_over_120_instances(make_app, tmp_path):
    instances = fleet_from([{"count": 120, "name_prefix": "bulk-", "virtual": {"duration": 0.5}}], tmp_path=tmp_path)
    clock = ManualClock()
    app = make_app(instances, mode="virtual", clock=clock)
    ids = [i.zenlayer_id for i in instances]
    cid = create(app.url, "true")
    big = invoke(app.url, cid, ids)
    singles = [invoke(app.url, cid, [zid]) for zid in ids]
    seen = []
    for number in (1, 2, 3, 4):
        page = ok(app.url, "DescribeCommandInvocations", {"commandIds": [cid], "pageSize": 50, "pageNum": number})
        assert page["totalCount"] == 121
        seen.extend(i["invocationId"] for i in page["dataSet"])
    assert seen == list(reversed(singles)) + [big]     # newest first
    whole = ok(app.url, "DescribeCommandInvocations", {"invocationIds": [big]})["dataSet"][0]
    assert len(whole["invocationInstances"]) == 120 and whole["invocationStatus"] == "Pending"
    assert ok(app.url, "DescribeCommandInvocations", {})["totalCount"] == 121
    assert len(ok(app.url, "DescribeCommandInvocations", {})["dataSet"]) == 20        # default pageSize
    by_instance = ok(app.url, "DescribeCommandInvocations", {"instanceIds": [ids[7]]})
    assert by_instance["totalCount"] == 2 and {i["invocationId"] for i in by_instance["dataSet"]} == {big, singles[7]}
    clock.advance(1)
    done = ok(app.url, "DescribeCommandInvocations", {"invocationStatuses": ["Success"], "pageSize": 10_000})
    assert done["totalCount"] == 121 and len(done["dataSet"]) == 121
    assert ok(app.url, "DescribeCommandInvocations", {"invocationStatuses": ["Running", "Failed"]})["totalCount"] == 0


def test_describe_commands_filters_and_paging(app):
    first = create(app.url, "echo a", name="Deploy-web", tags={"tags": [{"key": "env", "value": "prod"}]})
    second = create(app.url, "Get-Date", cmd_type="POWERSHELL", name="clock", description="d", resourceGroupId="rg-1")
    listed = ok(app.url, "DescribeCommands", {})
    assert listed["totalCount"] == 2 and [c["commandId"] for c in listed["dataSet"]] == [second, first]
    row = listed["dataSet"][1]
    assert (row["name"], row["type"], row["content"], row["latestInvocationTime"], row["tags"]) == (
        "Deploy-web", "SHELL", "echo a", None, {"tags": [{"key": "env", "value": "prod"}]})
    assert TIME_RE.match(row["createTime"]) and listed["dataSet"][0]["resourceGroup"]["resourceGroupId"] == "rg-1"
    assert [c["commandId"] for c in ok(app.url, "DescribeCommands", {"name": "deploy"})["dataSet"]] == [first]
    assert [c["commandId"] for c in ok(app.url, "DescribeCommands", {"types": ["POWERSHELL"]})["dataSet"]] == [second]
    assert [c["commandId"] for c in ok(app.url, "DescribeCommands", {"tagKeys": ["env"]})["dataSet"]] == [first]
    assert ok(app.url, "DescribeCommands", {"tags": [{"key": "env", "value": "dev"}]})["totalCount"] == 0
    page2 = ok(app.url, "DescribeCommands", {"pageSize": 1, "pageNum": 2})
    assert page2["totalCount"] == 2 and [c["commandId"] for c in page2["dataSet"]] == [first]
    invoke(app.url, first, [app.engine.instances[0].zenlayer_id])
    assert ok(app.url, "DescribeCommands", {"commandIds": [first]})["dataSet"][0]["latestInvocationTime"]
    ok(app.url, "ModifyCommand", {"commandId": first, "content": "echo b"})
    assert ok(app.url, "DescribeCommands", {"commandIds": [first]})["dataSet"][0]["content"] == "echo b"
    ok(app.url, "DeleteCommand", {"commandId": first})
    assert ok(app.url, "DescribeCommands", {})["totalCount"] == 1


def test_auth_failures_and_bearer(app):
    cases = [
        ({"secret": "wrong-password"}, "SIGNATURE_FAILURE"),
        ({"access_key": "AKIANOBODY"}, "INVALID_ACCESS_KEY_ID"),
        ({"skew": -16 * 60}, "SIGNATURE_EXPIRED"),
        ({"skew": 16 * 60}, "SIGNATURE_EXPIRED"),
        ({"token": "not-the-token"}, "INVALID_TOKEN"),
        ({"headers": {"Authorization": ""}}, "INVALID_AUTHORIZATION"),
        ({"headers": {"X-ZC-Signature-Method": "HMAC-SHA1"}}, "INVALID_AUTHORIZATION"),
    ]
    for options, code in cases:
        status, body = call(app.url, "DescribeCommands", {}, **options)
        assert (status, body["code"]) == (401, code), (options, body)
        assert body["requestId"] and body["message"]
    assert call(app.url, "DescribeCommands", {}, skew=-14 * 60)[0] == 200
    assert control(app.url, "stats")["signature_failures"] == len(cases)
    cid = ok(app.url, "CreateCommand", {"name": "b", "type": "SHELL", "content": "echo bearer"}, token=DEFAULT_TOKEN)["commandId"]
    inv_id = ok(app.url, "InvokeCommand", {"commandId": cid, "instanceIds": [app.engine.instances[0].zenlayer_id]},
                token=DEFAULT_TOKEN)["invocationId"]
    assert wait_done(app.url, inv_id)["invocationInstances"][0]["output"] == "bearer\n"
    # `POST /` with X-ZC-Action is routed here too
    assert ok(app.url, "DescribeCommands", {}, path="/")["totalCount"] == 1


def test_custom_token(make_app):
    app = make_app(build_fleet(1), zenlayer_token="my-token")
    assert call(app.url, "DescribeCommands", {}, token=DEFAULT_TOKEN)[1]["code"] == "INVALID_TOKEN"
    assert ok(app.url, "DescribeCommands", {}, token="my-token")["totalCount"] == 0


def test_throttling_429(make_app):
    app = make_app(build_fleet(1), rate_limit=2)
    answers = [call(app.url, "DescribeCommands", {}) for _attempt in range(6)]
    throttled = [body for status, body in answers if status == 429]
    assert throttled and all(b["code"] == "REQUEST_LIMIT_EXCEEDED" and b["requestId"] for b in throttled)
    stats = control(app.url, "stats")
    assert stats["throttled"] == len(throttled) and stats["requests"]["zenlayer_zos"]["DescribeCommands"] == 6


def test_visibility_delay(make_app):
    # Long enough that a loaded machine cannot outlast it; then turned off through /config, which
    # reads see at once.
    app = make_app(build_fleet(1), visibility_delay=30)
    inv_id = invoke(app.url, create(app.url, "true"), [app.engine.instances[0].zenlayer_id])
    hidden = ok(app.url, "DescribeCommandInvocations", {"invocationIds": [inv_id]})
    assert (hidden["totalCount"], hidden["dataSet"]) == (0, [])
    control(app.url, "config", {"visibility_delay": 0})
    assert wait_for(lambda: invocation(app.url, inv_id), 3, 0.05)["invocationId"] == inv_id


def test_fleet_file_zenlayer_id(tmp_path):
    instances = fleet_from([{"name": "a", "zenlayer_id": "zos-fixed-1"}, {"name": "b"}], tmp_path=tmp_path)
    assert instances[0].zenlayer_id == "zos-fixed-1" and re.match(r"^[1-9]\d{18}$", instances[1].zenlayer_id)
    for bad in ("", "has space", 7):
        try:
            fleet_from([{"name": "a", "zenlayer_id": bad}], tmp_path=tmp_path)
        except ValueError as exc:
            assert "zenlayer_id" in str(exc)
        else:
            raise AssertionError(f"accepted {bad!r}")
    try:
        fleet_from([{"zenlayer_id": "same"}, {"zenlayer_id": "same"}], tmp_path=tmp_path)
    except ValueError as exc:
        assert "duplicate zenlayer_id" in str(exc)
    else:
        raise AssertionError("accepted a duplicate")


def test_unlisted_instance_is_never_listed_by_its_invocation(make_app, tmp_path):
    instances = fleet_from([{"name": "seen"}, {"name": "never", "online": False, "unlisted": True}], tmp_path=tmp_path)
    app = make_app(instances)
    inv_id = invoke(app.url, create(app.url, "echo hi"), [i.zenlayer_id for i in instances], timeout=30)
    wait_for(lambda: [r["taskStatus"] for r in invocation(app.url, inv_id)["invocationInstances"]] == ["Success"], 5, 0.05)
    found = invocation(app.url, inv_id)
    assert [r["instanceId"] for r in found["invocationInstances"]] == [instances[0].zenlayer_id]
    assert found["invocationStatus"] == "Running"   # the hidden instance has not ended
