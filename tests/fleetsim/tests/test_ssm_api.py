# SSM wire behaviour: signatures, errors, validation, paging tokens, caps, visibility, throttling.
from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import control, ssm_client, wait_for

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fleetsim.fleet import build_fleet

UNKNOWN_ID = "11111111-2222-3333-4444-555555555555"


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def send(ssm, ids, commands=("true",), **kwargs):
    return ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=list(ids),
                            Parameters={"commands": list(commands)}, **kwargs)["Command"]


def raw_post(url, operation, payload, amz_date=None, secret=DEFAULT_SECRET_KEY, sign=True):
    """A hand-signed JSON 1.1 request, for cases boto3 will not produce."""
    body = json.dumps(payload).encode()
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "X-Amz-Target": f"AmazonSSM.{operation}", "Content-Type": "application/x-amz-json-1.1"})
    if sign:
        stamp = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        request.context["timestamp"] = stamp
        request.headers["X-Amz-Date"] = stamp
        request.headers["Host"] = url.split("//", 1)[1]
        signer = SigV4Auth(Credentials(DEFAULT_ACCESS_KEY, secret), "ssm", "eu-west-1")
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signed = signer.signed_headers(signer.headers_to_sign(request))
        request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={DEFAULT_ACCESS_KEY}/{stamp[:8]}/eu-west-1/ssm/aws4_request, "
                                            f"SignedHeaders={signed}, Signature={signature}")
    prepared = urllib.request.Request(url + "/", data=body, headers=dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_wrong_secret_is_invalid_signature(app):
    bad = ssm_client(app.url, secret="not-the-secret")
    with pytest.raises(ClientError) as excinfo:
        bad.list_commands()
    assert error_code(excinfo) == "InvalidSignatureException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = excinfo.value.response["Error"]["Message"]
    assert "does not match the signature you provided" in message
    # As AWS does, the message quotes the canonical request and the string to sign it computed.
    assert "\n\nThe Canonical String for this request should have been\n'POST\n/\n" in message
    assert "x-amz-date:" in message
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in message
    assert control(app.url, "stats")["signature_failures"] == 1


def test_unknown_access_key(app):
    with pytest.raises(ClientError) as excinfo:
        ssm_client(app.url, access_key="AKIAUNKNOWN000000000").list_commands()
    assert error_code(excinfo) == "UnrecognizedClientException"


def test_raw_requests_signed_and_unsigned(app):
    status, headers, body = raw_post(app.url, "ListCommands", {})
    assert status == 200 and body == {"Commands": []} and headers["x-amzn-RequestId"]
    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    status, headers, body = raw_post(app.url, "ListCommands", {}, amz_date=old)
    assert (status, body["__type"], headers["X-Amzn-ErrorType"]) == (400, "InvalidSignatureException", "InvalidSignatureException")
    assert body["message"].startswith("Signature expired: ")
    status, _headers, body = raw_post(app.url, "ListCommands", {}, sign=False)
    assert (status, body["__type"]) == (400, "MissingAuthenticationTokenException")
    status, _headers, body = raw_post(app.url, "DescribeEverything", {})
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, _headers, body = raw_post(app.url, "ListCommandInvocations", {"MaxResults": 51})
    assert (status, body["__type"]) == (400, "ValidationException")
    too_many = {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["true"]}, "InstanceIds": [f"i-{n:017x}" for n in range(51)]}
    status, _headers, body = raw_post(app.url, "SendCommand", too_many)
    assert (status, body["__type"]) == (400, "ValidationException")


def test_unknown_ids_and_names(app, ssm):
    for call in (lambda: ssm.list_command_invocations(CommandId=UNKNOWN_ID),
                 lambda: ssm.list_commands(CommandId=UNKNOWN_ID),
                 lambda: ssm.cancel_command(CommandId=UNKNOWN_ID),
                 lambda: ssm.get_command_invocation(CommandId=UNKNOWN_ID, InstanceId="i-0123456789abcdef0")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "InvalidCommandId"
    iid = app.engine.instances[0].id
    sent = send(ssm, [iid])
    cases = [
        (lambda: ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId="i-0123456789abcdef0"), "InvocationDoesNotExist"),
        (lambda: ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId="bogus"), "InvalidInstanceId"),
        (lambda: ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid, PluginName="aws:nope"), "InvalidPluginName"),
        (lambda: send(ssm, ["i-0123456789abcdef0"]), "InvalidInstanceId"),
        (lambda: send(ssm, [iid, iid]), "DuplicateInstanceId"),
        (lambda: ssm.send_command(DocumentName="AWS-Nope", InstanceIds=[iid]), "InvalidDocument"),
        (lambda: ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid], Parameters={"cmds": ["x"]}), "InvalidParameters"),
        (lambda: send(ssm, [iid], MaxConcurrency="0"), "ValidationException"),
        (lambda: send(ssm, [iid], TimeoutSeconds=3000000), "ValidationException"),
        (lambda: ssm.list_command_invocations(NextToken="garbage"), "InvalidNextToken"),
        (lambda: ssm.list_command_invocations(Filters=[{"key": "ExecutionStage", "value": "Executing"}]), "InvalidFilterKey"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == code


def test_output_caps(app, ssm):
    iid = app.engine.instances[0].id
    sent = send(ssm, [iid], ["head -c 30000 /dev/zero | tr '\\0' a", "head -c 9000 /dev/zero | tr '\\0' b >&2"])

    def finished():
        got = ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid)
        return got if got["Status"] == "Success" else None
    got = wait_for(finished)
    assert len(got["StandardOutputContent"]) == 24000 and set(got["StandardOutputContent"]) == {"a"}
    assert len(got["StandardErrorContent"]) == 8000 and set(got["StandardErrorContent"]) == {"b"}
    output = ssm.list_command_invocations(CommandId=sent["CommandId"], Details=True)["CommandInvocations"][0]["CommandPlugins"][0]["Output"]
    assert len(output) == 2500
    assert "\n---Output truncated---\n----------ERROR-------\n" in output and output.endswith("\n---Error truncated----")


def test_visibility_delay(make_app):
    # Long enough that no read below can outlast it on a loaded machine; the test then turns it
    # off through /config instead of sleeping, since the delay is applied when a read comes in.
    app = make_app(build_fleet(2), visibility_delay=30)
    ssm = ssm_client(app.url)
    iid = app.engine.instances[0].id
    sent = send(ssm, [iid])
    # Every read of the command answers as if it did not exist yet, ListCommands included.
    with pytest.raises(ClientError) as excinfo:
        ssm.list_commands(CommandId=sent["CommandId"])
    assert error_code(excinfo) == "InvalidCommandId"
    assert sent["CommandId"] not in [c["CommandId"] for c in ssm.list_commands()["Commands"]]
    assert ssm.list_command_invocations(CommandId=sent["CommandId"])["CommandInvocations"] == []
    with pytest.raises(ClientError) as excinfo:
        ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=iid)
    assert error_code(excinfo) == "InvocationDoesNotExist"
    assert control(app.url, "config", {"visibility_delay": 0})["visibility_delay"] == 0
    assert ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]["CommandId"] == sent["CommandId"]
    assert sent["CommandId"] in [c["CommandId"] for c in ssm.list_commands()["Commands"]]
    assert len(ssm.list_command_invocations(CommandId=sent["CommandId"])["CommandInvocations"]) == 1
    assert control(app.url, "config", {"visibility_delay": 30})["visibility_delay"] == 30
    assert ssm.list_command_invocations(CommandId=sent["CommandId"])["CommandInvocations"] == []


def test_waiter_rides_out_visibility_delay(make_app):
    app = make_app(build_fleet(1), visibility_delay=0.5)
    ssm = ssm_client(app.url)
    iid = app.engine.instances[0].id
    sent = send(ssm, [iid], ["echo hi"])
    ssm.get_waiter("command_executed").wait(CommandId=sent["CommandId"], InstanceId=iid, WaiterConfig={"Delay": 1, "MaxAttempts": 10})


def test_throttling(make_app):
    app = make_app(build_fleet(1), rate_limit=2)
    ssm = ssm_client(app.url)
    codes = []
    for _attempt in range(6):
        try:
            ssm.list_commands()
            codes.append("ok")
        except ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
            assert exc.response["Error"]["Message"] == "Rate exceeded"
    assert codes[:2] == ["ok", "ok"] and "ThrottlingException" in codes
    stats = control(app.url, "stats")
    assert stats["throttled"] == codes.count("ThrottlingException") and stats["total"] == 6
    control(app.url, "config", {"rate_limit": 0})
    assert all("Commands" in ssm.list_commands() for _attempt in range(5))


def test_list_commands_filters_and_paging(app, ssm):
    ids = [i.id for i in app.engine.instances]
    sent = [send(ssm, ids[:1])["CommandId"] for _attempt in range(5)]
    first = ssm.list_commands(MaxResults=2)
    assert [c["CommandId"] for c in first["Commands"]] == sent[:2]
    rest = ssm.list_commands(MaxResults=50, NextToken=first["NextToken"])
    assert [c["CommandId"] for c in rest["Commands"]] == sent[2:] and "NextToken" not in rest
    wait_for(lambda: all(c["Status"] == "Success" for c in ssm.list_commands()["Commands"]))
    assert len(ssm.list_commands(Filters=[{"key": "Status", "value": "Success"}])["Commands"]) == 5
    assert ssm.list_commands(Filters=[{"key": "ExecutionStage", "value": "Executing"}])["Commands"] == []
    assert ssm.list_commands(InstanceId=ids[1])["Commands"] == []
    with pytest.raises(ClientError) as excinfo:
        ssm.list_commands(MaxResults=1, NextToken=first["NextToken"], InstanceId=ids[0])
    assert error_code(excinfo) == "InvalidNextToken"


def test_session_token_is_accepted(app):
    client = boto3.client("ssm", endpoint_url=app.url, region_name="ap-southeast-2", aws_access_key_id=DEFAULT_ACCESS_KEY,
                          aws_secret_access_key=DEFAULT_SECRET_KEY, aws_session_token="token-123")
    assert client.list_commands()["Commands"] == []


def test_a_command_lives_in_the_region_it_was_sent_to(app, ssm):
    """Run Command is regional: a request signed for another region (SigV4 credential scope) does
    not see the command, as the vendor answers for an id it does not know."""
    ids = [inst.id for inst in app.engine.instances[:1]]
    command = send(ssm, ids)
    elsewhere = ssm_client(app.url, region="eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        elsewhere.list_commands(CommandId=command["CommandId"])
    assert error_code(excinfo) == "InvalidCommandId"
    with pytest.raises(ClientError) as excinfo:
        elsewhere.list_command_invocations(CommandId=command["CommandId"])
    assert error_code(excinfo) == "InvalidCommandId"
    with pytest.raises(ClientError) as excinfo:
        elsewhere.get_command_invocation(CommandId=command["CommandId"], InstanceId=ids[0])
    assert error_code(excinfo) == "InvalidCommandId"
    assert command["CommandId"] not in [c["CommandId"] for c in elsewhere.list_commands()["Commands"]]
    assert [c["CommandId"] for c in ssm.list_commands(CommandId=command["CommandId"])["Commands"]] == [command["CommandId"]]


def test_send_command_takes_at_most_50_instance_ids(make_app):
    """SendCommand's InstanceIds holds 0 to 50 items (SSM API reference); more is a ValidationException, and nothing runs."""
    app = make_app(build_fleet(51))
    ssm = ssm_client(app.url)
    ids = [instance.id for instance in app.engine.instances]
    with pytest.raises(ClientError) as excinfo:
        send(ssm, ids)
    assert error_code(excinfo) == "ValidationException"
    assert "length less than or equal to 50" in excinfo.value.response["Error"]["Message"]
    assert ssm.list_commands()["Commands"] == []
    assert send(ssm, ids[:50])["TargetCount"] == 50
