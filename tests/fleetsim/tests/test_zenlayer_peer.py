# Peer check: the official Zenlayer Cloud SDK (zenlayercloud-sdk-python) pointed at fleetsim over
# HTTP with Config(scheme="http", domain="127.0.0.1:PORT"), signing with ZC2-HMAC-SHA256 and with a
# Bearer token.
from __future__ import annotations

import pytest
from conftest import wait_for

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fleetsim.zenlayer_zos import DEFAULT_TOKEN

credential = pytest.importorskip("zenlayercloud.common.credential")
config_module = pytest.importorskip("zenlayercloud.common.config")
sdk_exception = pytest.importorskip("zenlayercloud.common.excpetion.zenlayer_cloud_sdk_exception")
zos_client = pytest.importorskip("zenlayercloud.zos.v20251010.zos_client")
zos_models = pytest.importorskip("zenlayercloud.zos.v20251010.models")


def sdk_client(url, secret=DEFAULT_SECRET_KEY, token=None):
    config = config_module.Config(scheme="http", domain=url.split("//", 1)[1], request_timeout=10,
                                  rate_limit_max_retries=0)
    cred = credential.TokenCredential(token) if token else credential.Credential(DEFAULT_ACCESS_KEY, secret)
    return zos_client.ZosClient(cred, config)


@pytest.mark.parametrize("use_token", [False, True], ids=["zc2", "bearer"])
def test_sdk_create_invoke_describe(app, use_token, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = sdk_client(app.url, token=DEFAULT_TOKEN if use_token else None)
    ids = [i.zenlayer_id for i in app.engine.instances]
    create = zos_models.CreateCommandRequest()
    create.name, create.type, create.description = "peer", "SHELL", "from the SDK"
    create.content = 'echo "a b 中文"; echo e >&2; [ "$FLEETSIM_INSTANCE_NAME" = node-003 ] && exit 4; true'
    command_id = client.CreateCommand(create).commandId
    assert command_id.startswith("cmd-")
    invoke = zos_models.InvokeCommandRequest()
    invoke.commandId, invoke.instanceIds, invoke.timeout = command_id, ids, 20
    sent = client.InvokeCommand(invoke)
    assert sent.invocationId.startswith("inv-") and sent.requestId

    def finished():
        query = zos_models.DescribeCommandInvocationsRequest()
        query.invocationIds, query.pageSize, query.pageNum = [sent.invocationId], 10, 1
        body = client.DescribeCommandInvocations(query)
        return body if body.dataSet and body.dataSet[0].invocationStatus not in ("Pending", "Running") else None

    body = wait_for(finished, 10, 0.1)
    assert body.totalCount == 1 and body.requestId
    inv = body.dataSet[0]
    assert (inv.invocationStatus, inv.commandId, inv.commandName, inv.commandType, inv.timeout) == (
        "PartialFailed", command_id, "peer", "SHELL", 20)
    rows = inv.invocationInstances
    assert [r.instanceId for r in rows] == ids
    assert [(r.taskStatus, r.exitCode, r.errorCode) for r in rows] == [
        ("Success", 0, None), ("Success", 0, None), ("Failed", 4, "ExecutionExitNoneZero")]
    assert (rows[0].output, rows[0].outputError, rows[0].instanceName, rows[0].instanceExist) == ("a b 中文\n", "e\n", "node-001", True)
    listed = client.DescribeCommands(zos_models.DescribeCommandsRequest())
    assert listed.totalCount == 1 and listed.dataSet[0].commandId == command_id and listed.dataSet[0].latestInvocationTime


def test_sdk_errors(app, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with pytest.raises(sdk_exception.ZenlayerCloudSdkException) as excinfo:
        sdk_client(app.url, secret="wrong").DescribeCommands(zos_models.DescribeCommandsRequest())
    assert excinfo.value.code == "SIGNATURE_FAILURE"
    invoke = zos_models.InvokeCommandRequest()
    invoke.commandId, invoke.instanceIds = "cmd-nothere", [app.engine.instances[0].zenlayer_id]
    with pytest.raises(sdk_exception.ZenlayerCloudSdkException) as excinfo:
        sdk_client(app.url).InvokeCommand(invoke)
    assert excinfo.value.code == "INVALID_COMMAND_NOT_FOUND"
