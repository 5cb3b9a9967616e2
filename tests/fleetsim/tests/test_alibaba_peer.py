# Peer check: the official Alibaba Cloud SDK (alibabacloud_ecs20140526 + alibabacloud_tea_openapi)
# pointed at fleetsim, signing with ACS3-HMAC-SHA256 (the default) and with legacy RPC v1.
from __future__ import annotations

import base64

import pytest
from conftest import wait_for

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY

ecs_client = pytest.importorskip("alibabacloud_ecs20140526.client")
ecs_models = pytest.importorskip("alibabacloud_ecs20140526.models")
openapi_models = pytest.importorskip("alibabacloud_tea_openapi.models")
openapi_exceptions = pytest.importorskip("alibabacloud_tea_openapi.exceptions")

REGION = "cn-hangzhou"


def sdk_client(url, signature_algorithm=None, secret=DEFAULT_SECRET_KEY):
    config = openapi_models.Config(endpoint=url.split("//", 1)[1], protocol="http", access_key_id=DEFAULT_ACCESS_KEY,
                                   access_key_secret=secret, region_id=REGION)
    if signature_algorithm:
        config.signature_algorithm = signature_algorithm
    return ecs_client.Client(config)


@pytest.mark.parametrize("algorithm", [None, "v2"], ids=["acs3", "rpc-v1"])
def test_sdk_run_and_describe(app, algorithm):
    client = sdk_client(app.url, algorithm)
    ids = [i.alibaba_id for i in app.engine.instances]
    content = "echo 'a b'+c/d~e=f 中文; [ \"$FLEETSIM_INSTANCE_NAME\" = node-003 ] && exit 4; true"
    sent = client.run_command(ecs_models.RunCommandRequest(
        region_id=REGION, type="RunShellScript", command_content=content, instance_id=ids, timeout=30,
        keep_command=False, name="peer")).body
    assert sent.invoke_id.startswith("t-") and sent.command_id.startswith("c-") and sent.request_id

    def finished():
        body = client.describe_invocations(ecs_models.DescribeInvocationsRequest(
            region_id=REGION, invoke_id=sent.invoke_id, include_output=True)).body
        found = body.invocations.invocation
        return found[0] if found and found[0].invocation_status not in ("Pending", "Running") else None

    inv = wait_for(finished, 10, 0.1)
    assert inv.invocation_status == "PartialFailed" and inv.command_name == "peer"
    assert base64.b64decode(inv.command_content).decode() == content
    outputs = [base64.b64decode(i.output).decode() for i in inv.invoke_instances.invoke_instance]
    assert outputs == ["a b+c/d~e=f 中文\n"] * 3
    results = client.describe_invocation_results(ecs_models.DescribeInvocationResultsRequest(
        region_id=REGION, invoke_id=sent.invoke_id, content_encoding="PlainText", max_results=2)).body.invocation
    rows = results.invocation_results.invocation_result
    assert [r.invocation_status for r in rows] == ["Success", "Success"] and results.next_token
    rest = client.describe_invocation_results(ecs_models.DescribeInvocationResultsRequest(
        region_id=REGION, invoke_id=sent.invoke_id, content_encoding="PlainText", max_results=2,
        next_token=results.next_token)).body.invocation
    [last] = rest.invocation_results.invocation_result
    assert (last.instance_id, last.invocation_status, last.exit_code, last.error_code) == (ids[2], "Failed", 4, "ExitCodeNonzero")
    assert not rest.next_token


@pytest.mark.parametrize("algorithm", [None, "v2"], ids=["acs3", "rpc-v1"])
def test_sdk_errors(app, algorithm):
    bad = sdk_client(app.url, algorithm, secret="not-the-secret")
    with pytest.raises(openapi_exceptions.ClientException) as excinfo:
        bad.describe_invocations(ecs_models.DescribeInvocationsRequest(region_id=REGION))
    assert excinfo.value.code == ("SignatureDoesNotMatch" if algorithm else "IncompleteSignature")
    assert excinfo.value.status_code == 400
    good = sdk_client(app.url, algorithm)
    with pytest.raises(openapi_exceptions.ClientException) as excinfo:
        good.stop_invocation(ecs_models.StopInvocationRequest(region_id=REGION, invoke_id="t-hz0nothere"))
    assert (excinfo.value.code, excinfo.value.status_code) == ("InvalidInvokeId.NotFound", 404)
