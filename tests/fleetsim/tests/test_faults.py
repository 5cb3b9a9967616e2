# The fault layer (--faults): spec parsing, each vendor's error shapes, seeded draws, resets,
# truncated bodies, expired page tokens, late commands and clock skew.
from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse

import acs_client
import pytest
import zos_client
from botocore.exceptions import ClientError
from conftest import control, ssm_client

from fleetsim.cli import main
from fleetsim.faults import PRESETS, FaultPlan, FaultSpecError


def _raw_post(url: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
    """One request over a fresh connection: (status, body, headers) exactly as sent."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), dict(response.headers)
    finally:
        connection.close()


def _ssm_list(url: str, **extra: str) -> tuple[int, bytes, dict[str, str]]:
    # Unsigned is fine: a fault drawn before the request is handled answers before the signature check.
    return _raw_post(url, "/", {"X-Amz-Target": "AmazonSSM.ListCommands", "Content-Type": "application/x-amz-json-1.1"},
                     json.dumps(extra).encode())


# -- the spec ---------------------------------------------------------------------------------

def test_parse_spec_and_presets():
    plan = FaultPlan.parse("throttle=0.1, 5xx=0.05,late=2,skew=-300,seed=7,rate=5,burst=2,expire=0.5")
    assert plan.probabilities == {"throttle": 0.1, "5xx": 0.05}
    assert (plan.late, plan.skew, plan.seed, plan.rate, plan.burst, plan.expire) == (2.0, -300.0, 7, 5.0, 2.0, 0.5)
    mixed = FaultPlan.parse("mixed,reset=0,seed=4")
    assert mixed.probabilities["throttle"] == PRESETS["mixed"]["throttle"]
    assert mixed.probabilities["reset"] == 0.0 and mixed.seed == 4


@pytest.mark.parametrize("spec, words", [
    ("", "empty"), ("bogus=1", "unknown fault 'bogus'"), ("throttle=x", "needs a number"),
    ("throttle=1.5", "between 0 and 1"), ("throttle=0.6,5xx=0.6", "more than 1"), ("burst=3", "burst needs rate"),
    ("late=-1", "must not be negative"), ("nosuchpreset", "unknown fault preset"),
])
def test_bad_specs_say_what_is_wrong(spec, words):
    with pytest.raises(FaultSpecError, match=words):
        FaultPlan.parse(spec)


def test_cli_rejects_a_bad_spec_with_one_line(capsys):
    assert main(["serve", "--faults", "throttle=2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fleetsim: error: fault 'throttle' is a probability") and "Traceback" not in err


# -- vendor shapes ------------------------------------------------------------------------------

def test_throttling_in_each_vendors_words(make_app):
    app = make_app(faults=FaultPlan.parse("throttle=1"))
    with pytest.raises(ClientError) as excinfo:
        ssm_client(app.url).list_commands()
    assert excinfo.value.response["Error"]["Code"] == "ThrottlingException"
    status, body, _headers = acs_client.call(app.url, "DescribeInvocations")
    assert (status, body["Code"]) == (400, "Throttling.User") and body["RequestId"]
    status, body = zos_client.call(app.url, "DescribeCommandInvocations")
    assert (status, body["code"]) == (429, "REQUEST_LIMIT_EXCEEDED") and body["requestId"]
    stats = control(app.url, "stats")
    assert stats["throttled"] == 3 and stats["faulted"] == 3
    assert stats["faults_injected"] == {"aws_ssm": {"throttle": 1}, "alibaba_ecs": {"throttle": 1}, "zenlayer_zos": {"throttle": 1}}


def test_server_errors_in_each_vendors_words(make_app):
    app = make_app(faults=FaultPlan.parse("5xx=1,seed=1"))
    seen = set()
    for _attempt in range(12):
        status, body, headers = _ssm_list(app.url)
        payload = json.loads(body)
        assert headers["X-Amzn-ErrorType"] == payload["__type"] and headers["x-amzn-RequestId"]
        seen.add((status, payload["__type"]))
        status, payload, _headers = acs_client.call(app.url, "DescribeInvocations")
        seen.add((status, payload["Code"]))
        status, payload = zos_client.call(app.url, "DescribeCommandInvocations")
        seen.add((status, payload["code"]))
    assert seen == {(500, "InternalServerError"), (503, "ServiceUnavailable"), (500, "InternalError"), (503, "ServiceUnavailable"),
                    (500, "INTERNAL_SERVER_ERROR"), (503, "SERVICE_TEMPORARY_UNAVAILABLE")}


def test_proxy_error_page_is_html_not_json(make_app):
    app = make_app(faults=FaultPlan.parse("html=1"))
    status, body, headers = _ssm_list(app.url)
    assert status in (502, 504) and headers["Content-Type"] == "text/html"
    assert body.startswith(b"<html>") and b"nginx" in body
    with pytest.raises(ValueError):
        json.loads(body)


def test_connection_reset_answers_nothing(make_app):
    app = make_app(faults=FaultPlan.parse("reset=1"))
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        _ssm_list(app.url)
    # Nothing was handled, the fault was counted, and the server still serves control requests.
    assert control(app.url, "stats")["faults_injected"] == {"aws_ssm": {"reset": 1}}


def test_slow_request_is_held_then_dropped(make_app):
    app = make_app(faults=FaultPlan.parse("slow=1,slow_seconds=1.5"))
    parts = urllib.parse.urlsplit(app.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=0.5)
    connection.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "AmazonSSM.ListCommands"})
    with pytest.raises(socket.timeout):
        connection.getresponse()
    connection.close()
    assert control(app.url, "stats")["faults_injected"] == {"aws_ssm": {"slow": 1}}


def test_truncated_body_is_cut_after_the_work_is_done(make_app):
    app = make_app(faults=FaultPlan.parse("truncate=1"))
    payload = json.dumps({"name": "n", "type": "SHELL", "content": "echo hi"}).encode()
    headers = {"Content-Type": "application/json", "X-ZC-Action": "CreateCommand", "X-ZC-Version": zos_client.VERSION,
               "Authorization": f"Bearer {app.settings.zenlayer_token}"}
    status, raw, _headers = _raw_post(app.url, "/api/v2/zos", headers, payload)
    assert status == 200 and raw.startswith(b'{"requestId"')
    with pytest.raises(ValueError):
        json.loads(raw)
    # The service did the work: the saved command exists although its answer was cut.
    assert len(app.sim.front_ends[2].saved) == 1


def test_seeded_draws_repeat(make_app):
    def statuses(seed: int) -> list[int]:
        app = make_app(faults=FaultPlan.parse(f"throttle=0.3,5xx=0.3,seed={seed}"))
        return [_ssm_list(app.url)[0] for _attempt in range(30)]

    first, again, other = statuses(5), statuses(5), statuses(6)
    assert first == again
    assert first != other
    assert {200, 400} <= set(first) or {400, 500} <= set(first)


def test_reset_restarts_the_draws(make_app):
    app = make_app(faults=FaultPlan.parse("throttle=0.5,seed=2"))
    first = [_ssm_list(app.url)[0] for _attempt in range(20)]
    control(app.url, "reset", {})
    assert [_ssm_list(app.url)[0] for _attempt in range(20)] == first


def test_burst_limit(make_app):
    app = make_app(faults=FaultPlan.parse("rate=0.01,burst=3"))
    codes = [json.loads(_ssm_list(app.url)[1]).get("__type") for _attempt in range(5)]
    # Three get through to the front-end (which then refuses the unsigned request), two are throttled.
    assert codes == ["MissingAuthenticationTokenException"] * 3 + ["ThrottlingException"] * 2
    assert control(app.url, "stats")["faults_injected"] == {"aws_ssm": {"burst": 2}}


def test_expired_page_tokens(make_app):
    app = make_app(faults=FaultPlan.parse("expire=1"))
    ssm = ssm_client(app.url)
    for _attempt in range(3):
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[app.engine.instances[0].id], Parameters={"commands": ["true"]})
    page = ssm.list_commands(MaxResults=1)           # no token: served
    with pytest.raises(ClientError) as excinfo:
        ssm.list_commands(MaxResults=1, NextToken=page["NextToken"])
    assert excinfo.value.response["Error"]["Code"] == "InvalidNextToken"
    first = acs_client.ok(app.url, "DescribeInvocations", {"MaxResults": 1})
    status, body, _headers = acs_client.call(app.url, "DescribeInvocations", {"MaxResults": 1, "NextToken": first["NextToken"] or "x"})
    assert (status, body["Code"]) == (400, "InvalidParam.NextToken")
    assert control(app.url, "stats")["faults_injected"] == {"aws_ssm": {"expire": 1}, "alibaba_ecs": {"expire": 1}}


def test_late_commands_are_invisible_for_a_seeded_while(make_app):
    app = make_app(faults=FaultPlan.parse("late=1000,seed=3"))
    ssm = ssm_client(app.url)
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[app.engine.instances[0].id],
                            Parameters={"commands": ["true"]})["Command"]
    assert ssm.list_command_invocations(CommandId=sent["CommandId"])["CommandInvocations"] == []
    delay = app.settings.visibility_for(sent["CommandId"])
    assert 0 < delay <= 1000 and app.settings.visibility_for(sent["CommandId"]) == delay


def test_clock_skew_inside_and_beyond_the_tolerance(make_app):
    inside = make_app(faults=FaultPlan.parse("skew=300"))
    assert ssm_client(inside.url).list_commands()["Commands"] == []
    assert acs_client.ok(inside.url, "DescribeInvocations")
    assert zos_client.ok(inside.url, "DescribeCommandInvocations") is not None
    beyond = make_app(faults=FaultPlan.parse("skew=-3600"))
    with pytest.raises(ClientError) as excinfo:
        ssm_client(beyond.url).list_commands()
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "Signature not yet current" in excinfo.value.response["Error"]["Message"]
    status, body, _headers = acs_client.call(beyond.url, "DescribeInvocations")
    assert body["Code"] == "InvalidTimeStamp.Expired" and status == 400
    status, body = zos_client.call(beyond.url, "DescribeCommandInvocations")
    assert body["code"] == "SIGNATURE_EXPIRED"
    # A Bearer token carries no time: skew cannot affect it.
    status, body = zos_client.call(beyond.url, "DescribeCommandInvocations", token=beyond.settings.zenlayer_token)
    assert status == 200


def test_no_faults_means_no_fault_keys(app):
    assert "faulted" not in control(app.url, "stats")
    assert "faults" not in control(app.url, "config")


def test_per_request_faults_can_be_paused(make_app, app):
    faulty = make_app(faults=FaultPlan.parse("throttle=1"))
    assert control(faulty.url, "config", {"faults_active": False})["faults"]["active"] is False
    assert json.loads(_ssm_list(faulty.url)[1])["__type"] == "MissingAuthenticationTokenException"
    control(faulty.url, "config", {"faults_active": True})
    assert json.loads(_ssm_list(faulty.url)[1])["__type"] == "ThrottlingException"
    for server, value in ((faulty, "yes"), (app, False)):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            control(server.url, "config", {"faults_active": value})
        assert excinfo.value.code == 400


def test_clock_skew_can_change_at_run_time(make_app):
    app = make_app(faults=FaultPlan.parse("throttle=0"))
    ssm = ssm_client(app.url)
    assert ssm.list_commands()["Commands"] == []
    assert control(app.url, "config", {"clock_skew": 3600})["faults"]["skew"] == 3600.0
    with pytest.raises(ClientError) as excinfo:
        ssm.list_commands()
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(urllib.error.HTTPError):
        control(app.url, "config", {"clock_skew": "soon"})
