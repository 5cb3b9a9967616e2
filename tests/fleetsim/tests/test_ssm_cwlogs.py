# SSM's complete output in CloudWatch Logs: with CloudWatchOutputConfig enabled, the agent sends
# every plugin's whole stdout (and stderr, when there is some) to the log group (/aws/ssm/<document>
# when none is named), stream <command>/<instance>/<plugin id>/stdout, as events of whole lines
# without their last newline; the API reports the config as sent. moto_server is the peer.
from __future__ import annotations

import boto3
import pytest

from conftest import control, ssm_client, wait_for
from fleetsim.ssm_cwlogs import EVENT_BYTES, events_of

moto_server = pytest.importorskip("moto.server")

LINES = 10_000  # "line 000001\n" is 12 characters: 120,000 in all


@pytest.fixture(name="logs_url", scope="module")
def logs_url_fixture():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def logs_client(url):
    return boto3.client("logs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIAFLEETSIM00000001",
                        aws_secret_access_key="fleetsim-secret-key-0000000000000000000000")


def ended(ssm, command_id, instance_id, **extra):
    def check():
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id, **extra)
        return got if got["Status"] not in ("Pending", "InProgress", "Delayed") else None
    return wait_for(check, timeout=20)


def messages(logs, group, stream):
    """Every message of a stream, following nextForwardToken until it repeats."""
    found, token = [], None
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, **({"nextToken": token} if token else {}))
        found.extend(event["message"] for event in page["events"])
        if page["nextForwardToken"] == token:
            return found
        token = page["nextForwardToken"]


def test_events_are_whole_lines_without_their_last_newline():
    text = "".join(f"line {i:06d}\n" for i in range(1, 2001))
    events = events_of(text)
    assert len(events) > 1
    assert all(len(event.encode()) <= EVENT_BYTES and not event.endswith("\n") and event.startswith("line ") for event in events)
    assert "".join(event + "\n" for event in events) == text
    assert events_of("no newline at the end") == ["no newline at the end"]
    assert events_of("") == []


def test_the_complete_output_lands_in_the_documented_streams(make_app, logs_url):
    app = make_app()
    control(app.url, "config", {"logs_endpoint": logs_url})
    logs = logs_client(logs_url)
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[0].id
    command = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id],
                               Parameters={"commands": [f"for i in $(seq 1 {LINES}); do printf 'line %06d\\n' $i; done", "echo 'a warning' >&2"]},
                               CloudWatchOutputConfig={"CloudWatchLogGroupName": "/fleet/out", "CloudWatchOutputEnabled": True})["Command"]
    assert command["CloudWatchOutputConfig"] == {"CloudWatchLogGroupName": "/fleet/out", "CloudWatchOutputEnabled": True}
    got = ended(ssm, command["CommandId"], instance_id)
    assert len(got["StandardOutputContent"]) == 24_000
    assert got["CloudWatchOutputConfig"]["CloudWatchOutputEnabled"] is True
    listed = ssm.list_command_invocations(CommandId=command["CommandId"], Details=True)["CommandInvocations"][0]
    assert listed["CloudWatchOutputConfig"]["CloudWatchLogGroupName"] == "/fleet/out"
    prefix = f"{command['CommandId']}/{instance_id}/aws-runShellScript"
    stdout = messages(logs, "/fleet/out", f"{prefix}/stdout")
    assert len(stdout) > 1
    whole = "".join(message + "\n" for message in stdout)
    assert len(whole) == LINES * 12 and whole.startswith("line 000001\n") and whole.endswith(f"line {LINES:06d}\n")
    assert messages(logs, "/fleet/out", f"{prefix}/stderr") == ["a warning"]


def test_default_group_no_stderr_stream_and_nothing_when_disabled(make_app, logs_url):
    app = make_app()
    control(app.url, "config", {"logs_endpoint": logs_url})
    logs = logs_client(logs_url)
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[1].id
    enabled = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id], Parameters={"commands": ["echo quiet"]},
                               CloudWatchOutputConfig={"CloudWatchOutputEnabled": True})["Command"]["CommandId"]
    ended(ssm, enabled, instance_id)
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/aws/ssm/AWS-RunShellScript")["logStreams"]]
    assert f"{enabled}/{instance_id}/aws-runShellScript/stdout" in streams
    assert f"{enabled}/{instance_id}/aws-runShellScript/stderr" not in streams
    disabled = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id], Parameters={"commands": ["echo nowhere"]},
                                CloudWatchOutputConfig={"CloudWatchLogGroupName": "/fleet/off", "CloudWatchOutputEnabled": False})["Command"]
    ended(ssm, disabled["CommandId"], instance_id)
    assert not [g for g in logs.describe_log_groups()["logGroups"] if g["logGroupName"] == "/fleet/off"]


def test_each_step_has_its_streams(make_app, logs_url):
    app = make_app()
    control(app.url, "config", {"logs_endpoint": logs_url})
    logs = logs_client(logs_url)
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[2].id
    command_id = ssm.send_command(DocumentName="Fleetsim-DeployAndVerify", InstanceIds=[instance_id],
                                  Parameters={"commands": ["echo deployed"], "verifyCommands": ["echo verified"]},
                                  CloudWatchOutputConfig={"CloudWatchLogGroupName": "/fleet/steps", "CloudWatchOutputEnabled": True})["Command"]["CommandId"]
    ended(ssm, command_id, instance_id, PluginName="deploy")
    assert messages(logs, "/fleet/steps", f"{command_id}/{instance_id}/deploy/stdout") == ["deployed"]
    assert messages(logs, "/fleet/steps", f"{command_id}/{instance_id}/verify/stdout") == ["verified"]


def test_a_bad_group_name_is_refused_and_the_endpoint_is_a_url_or_nothing(make_app):
    app = make_app()
    ssm = ssm_client(app.url)
    with pytest.raises(Exception, match="ValidationException"):
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[app.engine.instances[0].id], Parameters={"commands": ["true"]},
                         CloudWatchOutputConfig={"CloudWatchLogGroupName": "bad group", "CloudWatchOutputEnabled": True})
    assert control(app.url, "config", {})["logs_endpoint"] is None
    with pytest.raises(Exception, match="400"):
        control(app.url, "config", {"logs_endpoint": "moto:5000"})
    assert control(app.url, "config", {"logs_endpoint": None})["logs_endpoint"] is None


# -- fleetsim's GetLogEvents, in front of the peer (logs_api.py) -----------------------------------


def test_fleetsim_reads_the_peers_events_and_passes_its_errors_on(make_app, logs_url):
    app = make_app()
    control(app.url, "config", {"logs_endpoint": logs_url})
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[0].id
    command_id = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id], Parameters={"commands": ["echo via fleetsim"]},
                                  CloudWatchOutputConfig={"CloudWatchLogGroupName": "/fleet/front", "CloudWatchOutputEnabled": True})["Command"]["CommandId"]
    ended(ssm, command_id, instance_id)
    stream = f"{command_id}/{instance_id}/aws-runShellScript/stdout"
    through_fleetsim = logs_client(app.url)
    assert messages(through_fleetsim, "/fleet/front", stream) == messages(logs_client(logs_url), "/fleet/front", stream) == ["via fleetsim"]
    with pytest.raises(through_fleetsim.exceptions.ResourceNotFoundException) as missing:
        through_fleetsim.get_log_events(logGroupName="/fleet/front", logStreamName=f"{stream}-none", startFromHead=True)
    assert missing.value.response["ResponseMetadata"]["RequestId"]
    wrong_key = boto3.client("logs", endpoint_url=app.url, region_name="us-east-1", aws_access_key_id="AKIAFLEETSIM00000001",
                             aws_secret_access_key="not-the-secret")
    with pytest.raises(Exception, match="InvalidSignatureException"):
        wrong_key.get_log_events(logGroupName="/fleet/front", logStreamName=stream, startFromHead=True)
    with pytest.raises(Exception, match="UnknownOperationException"):
        through_fleetsim.describe_log_groups()


def test_with_endless_pages_the_forward_token_never_repeats_after_the_real_events(make_app, logs_url):
    app = make_app()
    control(app.url, "config", {"logs_endpoint": logs_url})
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[1].id
    command_id = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id], Parameters={"commands": ["echo one; echo two"]},
                                  CloudWatchOutputConfig={"CloudWatchLogGroupName": "/fleet/endless", "CloudWatchOutputEnabled": True})["Command"]["CommandId"]
    ended(ssm, command_id, instance_id)
    assert control(app.url, "config", {"logs_endless_pages": True})["logs_endless_pages"] is True
    logs = logs_client(app.url)
    request = {"logGroupName": "/fleet/endless", "logStreamName": f"{command_id}/{instance_id}/aws-runShellScript/stdout", "startFromHead": True}
    seen, tokens = [], []
    page = logs.get_log_events(**request)
    for _page in range(25):
        seen.extend(event["message"] for event in page["events"])
        tokens.append(page["nextForwardToken"])
        page = logs.get_log_events(**request, nextToken=tokens[-1])
    assert seen == ["one\ntwo"]
    assert len(set(tokens)) == len(tokens) and page["nextForwardToken"] not in tokens
    # Switched off, a token made past the end leads back to the peer's end, which repeats.
    assert control(app.url, "config", {"logs_endless_pages": False})["logs_endless_pages"] is False
    last = logs.get_log_events(**request, nextToken=page["nextForwardToken"])
    assert last["events"] == [] and logs.get_log_events(**request, nextToken=last["nextForwardToken"])["nextForwardToken"] == last["nextForwardToken"]
    with pytest.raises(Exception, match="400"):
        control(app.url, "config", {"logs_endless_pages": "yes"})
