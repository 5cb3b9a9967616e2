# Wrong answers on demand (POST /_fleetsim/config {"wrong_answers": [...]}): each vendor's chosen
# operation answered with a list, wrong-typed fields, {}, an unrelated object or a persistent HTML 500.
from __future__ import annotations

import json
import urllib.error

import acs_client
import pytest
import zos_client
from conftest import control

from test_faults import _raw_post


def _rules(url, *rules):
    return control(url, "config", {"wrong_answers": [dict(zip(("vendor", "operation", "answer"), rule)) for rule in rules]})


def _ssm(url, operation, payload):
    """An unsigned SSM call: the signature check answers first, so sign-free calls see only errors."""
    return _raw_post(url, "/", {"X-Amz-Target": f"AmazonSSM.{operation}", "Content-Type": "application/x-amz-json-1.1"},
                     json.dumps(payload).encode())


def test_each_shape_for_a_chosen_operation(app, ssm):
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[app.engine.instances[0].id],
                            Parameters={"commands": ["true"]})["Command"]
    real = ssm.list_commands(CommandId=sent["CommandId"])
    ssm.meta.events.register("before-parse.ssm.ListCommands", lambda response_dict, **_: seen.append(response_dict["body"]))
    seen: list[bytes] = []
    for answer, check in (("list", lambda body: isinstance(body, list) and body[0]["Commands"][0]["CommandId"] == sent["CommandId"]),
                          ("empty", lambda body: body == {}),
                          ("unrelated", lambda body: isinstance(body, dict) and "Commands" not in body and body),
                          ("wrong_types", lambda body: body["Commands"] == len(real["Commands"]))):
        _rules(app.url, ("aws_ssm", "ListCommands", answer))
        try:
            ssm.list_commands(CommandId=sent["CommandId"])
        except Exception:  # pylint: disable=broad-except  # botocore cannot read some of these; the body is what counts
            pass
        assert check(json.loads(seen[-1])), (answer, seen[-1])
    # Other operations and other vendors are untouched.
    assert ssm.get_command_invocation(CommandId=sent["CommandId"], InstanceId=app.engine.instances[0].id)["CommandId"]
    _rules(app.url)
    assert ssm.list_commands(CommandId=sent["CommandId"])["Commands"][0]["CommandId"] == sent["CommandId"]


def test_wrong_types_inside_the_zenlayer_envelope(app):
    _rules(app.url, ("zenlayer_zos", "DescribeCommandInvocations", "wrong_types"))
    status, body = zos_client.call(app.url, "DescribeCommandInvocations")
    assert status == 200 and isinstance(body["requestId"], str)
    assert isinstance(body["response"]["dataSet"], int) and isinstance(body["response"]["totalCount"], str)


def test_a_persistent_html_500_is_not_handled(app):
    control(app.url, "config", {"wrong_answers": [{"vendor": "alibaba_ecs", "operation": "RunCommand", "answer": "html500"},
                                                  {"vendor": "aws_ssm", "operation": "ListCommands", "answer": "html500", "times": 2}]})
    for _attempt in range(3):
        with pytest.raises(json.JSONDecodeError):
            acs_client.call(app.url, "RunCommand", {"Type": "RunShellScript", "CommandContent": "true",
                                                    "InstanceId": [app.engine.instances[0].alibaba_id]})
    assert not control(app.url, "timeline")["commands"], "a request answered with the HTML 500 must not run"
    statuses = [_ssm(app.url, "ListCommands", {})[0] for _attempt in range(3)]
    assert statuses[:2] == [500, 500] and statuses[2] != 500   # `times` used up: back to the real front-end
    stats = control(app.url, "stats")
    assert stats["wrong_answers_given"] == {"html500": 5}
    assert control(app.url, "config")["wrong_answers"] == [{"vendor": "alibaba_ecs", "operation": "RunCommand", "answer": "html500"}]
    control(app.url, "reset", {})
    assert "wrong_answers" not in control(app.url, "config")


@pytest.mark.parametrize("rules, words", [
    ({"vendor": "aws_ssm"}, "must be a list"),
    ([{"vendor": "gcp", "operation": "X", "answer": "list"}], "vendor must be one of"),
    ([{"vendor": "aws_ssm", "operation": "", "answer": "list"}], "operation"),
    ([{"vendor": "aws_ssm", "operation": "ListCommands", "answer": "garbage"}], "answer must be one of"),
    ([{"vendor": "aws_ssm", "operation": "ListCommands", "answer": "list", "times": 0}], "times"),
    ([{"vendor": "aws_ssm", "operation": "ListCommands", "answer": "list", "extra": 1}], "each wrong_answers rule"),
])
def test_bad_rules_say_what_is_wrong(app, rules, words):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        control(app.url, "config", {"wrong_answers": rules})
    assert excinfo.value.code == 400 and words in json.loads(excinfo.value.read())["message"]
