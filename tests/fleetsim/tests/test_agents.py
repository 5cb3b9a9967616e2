# Agent status calls: SSM DescribeInstanceInformation and Alibaba DescribeCloudAssistantStatus,
# driven by the fleet file's `agent` key and POST /_fleetsim/agents.
from __future__ import annotations

import urllib.error

import boto3
import pytest
from acs_client import call, ok
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import control, fleet_from, ssm_client

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from fleetsim.fleet import FleetError

AGENTS = [
    {"name": "up", "tags": {"role": "web"}},
    {"name": "lost", "agent": "lost", "tags": {"role": "web"}},
    {"name": "never", "agent": "unregistered", "tags": {"role": "web"}},
    {"name": "old-style-offline", "online": False},
    {"name": "stopped", "state": "stopped"},
    {"name": "gone", "state": "terminated"},
    {"name": "win", "platform": "Windows"},
    {"count": 8, "name_prefix": "bulk-", "tags": {"group": "bulk"}},
]
# Managed and not stopped or terminated: up, lost, old-style-offline, win and the 8 bulk nodes.
MANAGED = 12


@pytest.fixture(name="agents_app")
def agents_app_fixture(make_app, tmp_path):
    return make_app(fleet_from(AGENTS, tmp_path=tmp_path))


def by_name(app):
    return {inst.name: inst for inst in app.engine.instances}


def unvalidated_ssm(url):
    """A client that sends what it is given, so the server's own limits are what is tested."""
    return boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id=DEFAULT_ACCESS_KEY,
                        aws_secret_access_key=DEFAULT_SECRET_KEY,
                        config=Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"}))


def describe_all(ssm, **kwargs):
    found, pages, token = [], 0, None
    while True:
        page = ssm.describe_instance_information(**kwargs, **({"NextToken": token} if token else {}))
        pages += 1
        found.extend(page["InstanceInformationList"])
        token = page.get("NextToken")
        if not token:
            return found, pages


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_ssm_ping_status_per_agent_and_unmanaged_nodes_absent(agents_app):
    names = by_name(agents_app)
    found, _pages = describe_all(ssm_client(agents_app.url), MaxResults=50)
    nodes = {node["InstanceId"]: node for node in found}
    assert len(nodes) == MANAGED
    assert nodes[names["up"].id]["PingStatus"] == "Online"
    assert nodes[names["lost"].id]["PingStatus"] == "ConnectionLost"
    assert nodes[names["old-style-offline"].id]["PingStatus"] == "ConnectionLost"
    assert (nodes[names["win"].id]["PlatformType"], nodes[names["up"].id]["PlatformType"]) == ("Windows", "Linux")
    # Never registered: not a managed node. Stopped and terminated: not returned (API reference).
    for absent in ("never", "stopped", "gone"):
        assert names[absent].id not in nodes
    assert nodes[names["lost"].id]["LastPingDateTime"] < nodes[names["up"].id]["LastPingDateTime"]


def test_ssm_pages_default_10_and_max_results_5_to_50(agents_app):
    ssm = ssm_client(agents_app.url)
    first = ssm.describe_instance_information()
    assert len(first["InstanceInformationList"]) == 10 and first["NextToken"]
    found, pages = describe_all(ssm, MaxResults=5)
    assert pages == 3 and len({node["InstanceId"] for node in found}) == MANAGED
    raw = unvalidated_ssm(agents_app.url)
    for bad in (4, 51):
        with pytest.raises(ClientError) as excinfo:
            raw.describe_instance_information(MaxResults=bad)
        assert code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        # A token given with other filters than the query it came from.
        ssm.describe_instance_information(NextToken=first["NextToken"], Filters=[{"Key": "PingStatus", "Values": ["Online"]}])
    assert code(excinfo) == "InvalidNextToken"


def test_ssm_filters_instance_ids_tags_and_ping_status(agents_app):
    ssm = ssm_client(agents_app.url)
    names = by_name(agents_app)
    asked = [names[n].id for n in ("up", "lost", "never", "stopped")]
    found, _pages = describe_all(ssm, Filters=[{"Key": "InstanceIds", "Values": asked}])
    assert sorted(node["InstanceId"] for node in found) == sorted([names["up"].id, names["lost"].id])
    found, _pages = describe_all(ssm, Filters=[{"Key": "tag:role", "Values": ["web"]}])
    assert sorted(node["InstanceId"] for node in found) == sorted([names["up"].id, names["lost"].id])
    found, _pages = describe_all(ssm, Filters=[{"Key": "tag-key", "Values": ["group"]}])
    assert len(found) == 8
    found, _pages = describe_all(ssm, Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}])
    assert sorted(node["InstanceId"] for node in found) == sorted([names["lost"].id, names["old-style-offline"].id])
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_instance_information(Filters=[{"Key": "tag:role", "Values": ["web"]}, {"Key": "PingStatus", "Values": ["Online"]}])
    assert code(excinfo) == "InvalidFilterKey"     # tag filters cannot be combined with other types
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_instance_information(Filters=[{"Key": "Color", "Values": ["red"]}])
    assert code(excinfo) == "InvalidFilterKey"
    with pytest.raises(ClientError) as excinfo:
        ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": ["not-an-id"]}])
    assert code(excinfo) == "InvalidInstanceInformationFilterValue"
    with pytest.raises(ClientError) as excinfo:
        unvalidated_ssm(agents_app.url).describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"] * 101}])
    assert code(excinfo) == "ValidationException"


def test_ssm_send_refuses_unregistered_ids_and_tags_skip_them(agents_app):
    ssm = ssm_client(agents_app.url)
    names = by_name(agents_app)
    with pytest.raises(ClientError) as excinfo:
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[names["never"].id], Parameters={"commands": ["true"]})
    assert code(excinfo) == "InvalidInstanceId"
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", Targets=[{"Key": "tag:role", "Values": ["web"]}],
                            Parameters={"commands": ["true"]})["Command"]
    assert sent["TargetCount"] == 2


def test_control_api_changes_agents_and_reset_restores_them(agents_app):
    ssm = ssm_client(agents_app.url)
    names = by_name(agents_app)
    up = names["up"]
    answer = control(agents_app.url, "agents", {"agents": {"up": "lost", names["never"].alibaba_id: "online"}})
    assert answer["agents"][up.id] == "lost" and answer["agents"][names["never"].id] == "online"
    nodes = {n["InstanceId"]: n for n in describe_all(ssm, MaxResults=50)[0]}
    assert nodes[up.id]["PingStatus"] == "ConnectionLost" and nodes[names["never"].id]["PingStatus"] == "Online"
    # A command sent now to the lost agent is not delivered (it waits for its delivery timeout).
    sent = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[up.id], Parameters={"commands": ["true"]})["Command"]
    assert agents_app.engine.get_command(sent["CommandId"]).invocations[0].kind == "offline"
    for bad in ({"agents": {"nobody": "lost"}}, {"agents": {"up": "asleep"}}, {"agents": {}}):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            control(agents_app.url, "agents", bad)
        assert excinfo.value.code == 400
    control(agents_app.url, "reset", {})
    nodes = {n["InstanceId"]: n for n in describe_all(ssm, MaxResults=50)[0]}
    assert nodes[up.id]["PingStatus"] == "Online" and names["never"].id not in nodes


def test_fleet_file_agent_key_is_checked(tmp_path):
    with pytest.raises(FleetError, match="agent must be one of online, lost, unregistered"):
        fleet_from([{"agent": "sleepy"}], tmp_path=tmp_path)
    with pytest.raises(FleetError, match="contradicts"):
        fleet_from([{"agent": "lost", "online": True}], tmp_path=tmp_path)
    assert fleet_from([{"agent": "lost", "online": False}], tmp_path=tmp_path)[0].online is False


def test_alibaba_cloud_assistant_status(agents_app):
    names = by_name(agents_app)
    asked = [names[n].alibaba_id for n in ("up", "lost", "never", "stopped", "gone")]
    body = ok(agents_app.url, "DescribeCloudAssistantStatus", {"InstanceId": asked})
    status = {item["InstanceId"]: item for item in body["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]}
    assert status[names["up"].alibaba_id]["CloudAssistantStatus"] == "true"
    for down in ("lost", "never", "stopped"):
        assert status[names[down].alibaba_id]["CloudAssistantStatus"] == "false"
    assert status[names["never"].alibaba_id]["CloudAssistantVersion"] == ""
    assert status[names["lost"].alibaba_id]["CloudAssistantVersion"]
    assert names["gone"].alibaba_id not in status
    assert body["TotalCount"] == 4 and body["RequestId"]


def test_alibaba_cloud_assistant_status_pages_and_limits(agents_app):
    everyone = [inst.alibaba_id for inst in agents_app.engine.instances]
    first = ok(agents_app.url, "DescribeCloudAssistantStatus", {"MaxResults": 5})
    items = first["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]
    assert len(items) == 5 and first["NextToken"]
    seen = [item["InstanceId"] for item in items]
    token = first["NextToken"]
    while token:
        page = ok(agents_app.url, "DescribeCloudAssistantStatus", {"MaxResults": 5, "NextToken": token})
        seen += [item["InstanceId"] for item in page["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]]
        token = page["NextToken"]
    assert len(seen) == len(set(seen)) == len(everyone) - 1     # every instance but the terminated one
    default = ok(agents_app.url, "DescribeCloudAssistantStatus", {})
    assert len(default["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]) == 10
    windows = ok(agents_app.url, "DescribeCloudAssistantStatus", {"OSType": "Windows"})
    assert [i["InstanceId"] for i in windows["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]] == [by_name(agents_app)["win"].alibaba_id]
    status, body, _headers = call(agents_app.url, "DescribeCloudAssistantStatus", {"InstanceId": [everyone[0]] * 51})
    assert status == 400 and body["Code"] == "InvalidParameter"
    status, body, _headers = call(agents_app.url, "DescribeCloudAssistantStatus", {"MaxResults": 51})
    assert status == 400 and body["Code"] == "InvalidParameter"
