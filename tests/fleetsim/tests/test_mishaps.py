# Targeted mishaps (POST /_fleetsim/mishaps) and the execution counts (GET /_fleetsim/executions):
# a lost reply after the work was done, a connection held without an answer, an answer trickled
# byte by byte; and Alibaba's ClientToken honoured as its idempotence guide says.
from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse

import acs_client
import botocore.exceptions
import pytest
import zos_client
from conftest import control, ssm_client

from fleetsim.mishaps import Mishap, MishapError


LIST_COMMANDS = {"X-Amz-Target": "AmazonSSM.ListCommands", "Content-Type": "application/x-amz-json-1.1"}


def _set(url: str, *rules: dict) -> dict:
    return control(url, "mishaps", {"rules": list(rules)})


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


@pytest.mark.parametrize("rule, words", [
    ({"kind": "vanish", "operation": "SendCommand"}, "kind must be one of"),
    ({"kind": "hold"}, "needs the operation"),
    ({"kind": "hold", "operation": "X", "count": 0}, "count is how many"),
    ({"kind": "hold", "operation": "X", "seconds": -1}, "seconds must be"),
    ({"kind": "hold", "operation": "X", "when": 1}, "unknown mishap field"),
    ({"kind": "hold", "operation": "X", "skip": -1}, "skip is how many"),
    ({"kind": "refuse", "operation": "X"}, "needs the vendor's error code"),
    ({"kind": "refuse", "operation": "X", "code": "E", "status": 200}, "status is the HTTP status"),
    ({"kind": "lose_reply", "operation": "X", "code": "E"}, "belong to a refuse mishap only"),
])
def test_bad_rules_say_what_is_wrong(rule, words):
    with pytest.raises(MishapError, match=words):
        Mishap.parse(rule)


def test_a_bad_rule_is_refused_by_the_endpoint(app):
    with pytest.raises(urllib.error.HTTPError) as caught:
        _set(app.url, {"kind": "vanish", "operation": "SendCommand"})
    assert caught.value.code == 400
    assert "kind must be one of" in json.loads(caught.value.read())["message"]


def test_a_lost_send_reply_still_runs_the_command_once(app):
    ids = [instance.id for instance in app.engine.instances]
    _set(app.url, {"kind": "lose_reply", "operation": "SendCommand", "vendor": "aws_ssm"})
    ssm = ssm_client(app.url)
    with pytest.raises(Exception) as caught:
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids[:1], Parameters={"commands": ["true"]})
    assert "Connection" in type(caught.value).__name__ or "connection" in str(caught.value).lower()
    # The service did the work: the command exists, and ran on one instance, once.
    assert len(ssm.list_commands()["Commands"]) == 1
    assert control(app.url, "executions")["executions"] == {"aws_ssm": {ids[0]: 1}}
    # The rule hit one request; the next send is answered.
    assert control(app.url, "mishaps")["rules"][0]["fired"] == 1
    ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids[:1], Parameters={"commands": ["true"]})
    assert control(app.url, "executions")["executions"] == {"aws_ssm": {ids[0]: 2}}


def test_skip_lets_the_first_requests_through_and_hits_the_next(app):
    ids = [instance.id for instance in app.engine.instances]
    _set(app.url, {"kind": "lose_reply", "operation": "SendCommand", "skip": 1})
    ssm = ssm_client(app.url)
    ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids[:1], Parameters={"commands": ["true"]})
    with pytest.raises(Exception):
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids[1:2], Parameters={"commands": ["true"]})
    # Both ran (the second one's reply was lost after the work); the rule hit once.
    assert control(app.url, "executions")["executions"] == {"aws_ssm": {ids[0]: 1, ids[1]: 1}}
    rule = control(app.url, "mishaps")["rules"][0]
    assert (rule["fired"], rule["skip"], rule["count"]) == (1, 0, 0)


def test_a_refusal_is_the_vendors_error_and_nothing_runs(app):
    ids = [instance.id for instance in app.engine.instances]
    _set(app.url, {"kind": "refuse", "operation": "SendCommand", "skip": 1, "code": "InvalidInstanceId",
                   "message": "Instances not in a valid state for account"})
    ssm = ssm_client(app.url)
    ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids[:1], Parameters={"commands": ["true"]})
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids[1:2], Parameters={"commands": ["true"]})
    response = caught.value.response
    assert response["Error"]["Code"] == "InvalidInstanceId"
    assert response["Error"]["Message"] == "Instances not in a valid state for account"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RequestId"]
    # Only the first command exists and ran; both requests are counted.
    assert len(ssm.list_commands()["Commands"]) == 1
    assert control(app.url, "executions")["executions"] == {"aws_ssm": {ids[0]: 1}}
    assert control(app.url, "stats")["requests"]["aws_ssm"]["SendCommand"] == 2


def test_a_held_request_is_never_handled_and_ends_when_the_client_leaves(app):
    _set(app.url, {"kind": "hold", "operation": "ListCommands", "seconds": 30})
    connection = _connection(app.url, timeout=1)
    started = time.monotonic()
    connection.request("POST", "/", body=b"{}", headers=LIST_COMMANDS)
    with pytest.raises(socket.timeout):
        connection.getresponse()
    connection.close()
    assert time.monotonic() - started < 30
    # Only the hold was counted, never a handled ListCommands.
    assert control(app.url, "stats")["requests"] == {"aws_ssm": {"ListCommands": 1}}
    assert control(app.url, "mishaps")["rules"][0]["fired"] == 1


def test_a_trickled_answer_arrives_a_byte_at_a_time(app):
    _set(app.url, {"kind": "trickle", "operation": "DescribeCommandInvocations", "seconds": 0.05})
    body = zos_client.ok(app.url, "DescribeCommandInvocations", {})
    assert "dataSet" in body or "response" in body or body is not None
    _set(app.url, {"kind": "trickle", "operation": "ListCommands", "seconds": 0.5})
    connection = _connection(app.url, timeout=2)
    connection.request("POST", "/", body=b"{}", headers=LIST_COMMANDS)
    response = connection.getresponse()
    first = response.read(2)
    # Two bytes took at least one pause; the rest is still on its way.
    assert len(first) == 2 and len(response.read(1)) == 1
    connection.close()


def test_reset_clears_the_rules(app):
    _set(app.url, {"kind": "lose_reply", "operation": "SendCommand", "count": -1})
    control(app.url, "reset", {})
    assert control(app.url, "mishaps")["rules"] == []


def test_alibaba_client_token_returns_the_first_answer_and_refuses_other_parameters(app):
    ids = [instance.alibaba_id for instance in app.engine.instances]
    _set(app.url, {"kind": "lose_reply", "operation": "RunCommand"})
    params = {"Type": "RunShellScript", "CommandContent": "true", "InstanceId": ids[:1], "ClientToken": "t-once"}
    with pytest.raises(Exception):
        acs_client.call(app.url, "RunCommand", params)
    # The same token and parameters: the first run's ids, and nothing runs again.
    again = acs_client.ok(app.url, "RunCommand", params)
    assert again["InvokeId"].startswith("t-")
    assert control(app.url, "executions")["executions"] == {"alibaba_ecs": {ids[0]: 1}}
    status, body, _headers = acs_client.call(app.url, "RunCommand", dict(params, CommandContent="false"))
    assert (status, body["Code"]) == (400, "IdempotentParameterMismatch")
    # The legacy signature changes its own query parameters on each retry; they do not count.
    assert acs_client.ok(app.url, "RunCommand", params, style="rpc_v1")["InvokeId"] == again["InvokeId"]


def test_zenlayer_executions_are_counted_under_zenlayer_ids(app):
    zos_ids = [instance.zenlayer_id for instance in app.engine.instances]
    command_id = zos_client.create(app.url, "true")
    zos_client.invoke(app.url, command_id, zos_ids[:2])
    assert control(app.url, "executions")["executions"] == {"zenlayer_zos": {zos_ids[0]: 1, zos_ids[1]: 1}}
