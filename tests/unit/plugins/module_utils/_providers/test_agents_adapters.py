# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent adapters: SSM managed nodes on a botocore Stubber, Cloud Assistant status on a fake transport."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore import stub as botocore_stub

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_agents, aws_ssm_agents
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider

from .test_alibaba_ecs import FakeResponse, make_provider

PING = datetime.datetime(2026, 12, 3, 12, 0, 0, tzinfo=datetime.timezone.utc)


def node(instance_id, status="Online"):
    return {"InstanceId": instance_id, "PingStatus": status, "LastPingDateTime": PING, "PlatformType": "Linux"}


@pytest.fixture
def ssm():
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="AKIAFAKEFAKEFAKEFAKE", aws_secret_access_key="fake/secret/key")
    stubber = botocore_stub.Stubber(client)
    with stubber:
        yield AwsSsmProvider({"region": "us-east-1"}, client=client), stubber
        stubber.assert_no_pending_responses()


def test_ssm_instance_ids_in_filters_of_50_every_page_and_absent_ids_not_registered(ssm):
    provider, stubber = ssm
    ids = [f"i-{index:017x}" for index in range(60)]
    first = {"Filters": [{"Key": "InstanceIds", "Values": ids[:50]}], "MaxResults": 50}
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [node(i) for i in ids[:30]], "NextToken": "p2"}, first)
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [node(ids[30], "ConnectionLost")]}, dict(first, NextToken="p2"))
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [node(ids[50], "Inactive")]},
                         {"Filters": [{"Key": "InstanceIds", "Values": ids[50:]}], "MaxResults": 50})
    entries = provider.agent_states(ids, [])
    assert [entry["instance_id"] for entry in entries] == ids
    assert entries[0]["state"] == "online" and entries[0]["last_seen"] == "2026-12-03T12:00:00.000Z"
    assert (entries[30]["state"], entries[30]["vendor_status"]) == ("lost", "ConnectionLost")
    assert entries[50]["state"] == "lost"          # deprecated Inactive is not online
    assert (entries[31]["state"], entries[31]["vendor_status"], entries[31]["ready"]) == ("not_registered", "not a managed node", False)
    assert provider.api_calls == 3


def test_ssm_tag_targets_read_the_managed_nodes_they_select(ssm):
    provider, stubber = ssm
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [node("i-0123456789abcdef0")]},
                         {"Filters": [{"Key": "tag:role", "Values": ["web"]}, {"Key": "tag-key", "Values": ["env"]}], "MaxResults": 50})
    entries = provider.agent_states([], [{"key": "tag:role", "values": ["web"]}, {"key": "tag-key", "values": ["env"]}])
    assert [entry["instance_id"] for entry in entries] == ["i-0123456789abcdef0"]


@pytest.mark.parametrize("key", ["InstanceIds", "resource-groups:Name", "tag:"])
def test_ssm_target_keys_without_a_tag_filter_are_refused(key):
    with pytest.raises(InvalidInput, match="agent_check reads the agents of tag targets"):
        aws_ssm_agents.tag_filters([{"key": key, "values": ["x"]}])


def test_ssm_a_malformed_id_is_refused_before_any_call(ssm):
    with pytest.raises(InvalidInput, match="not an SSM managed node id"):
        ssm[0].agent_states(["web-1"], [])
    assert ssm[0].api_calls == 0


def test_ssm_an_answer_without_its_list_is_refused(ssm):
    provider, stubber = ssm
    stubber.add_response("describe_instance_information", {}, {"Filters": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}], "MaxResults": 50})
    with pytest.raises(ProviderError) as failure:
        provider.agent_states(["i-0123456789abcdef0"], [])
    assert failure.value.code == "UnexpectedAnswer"


def status_item(instance_id, status, version="2.2.3.857"):
    return {"InstanceId": instance_id, "CloudAssistantStatus": status, "CloudAssistantVersion": version, "LastHeartbeatTime": "2026-12-03T12:00:00Z"}


def test_alibaba_status_per_instance_every_page_and_unlisted_not_registered():
    ids = [f"i-bp1{index:017d}" for index in range(3)]
    page1 = {"RequestId": "r1", "NextToken": "n2", "InstanceCloudAssistantStatusSet": {"InstanceCloudAssistantStatus": [status_item(ids[0], "true")]}}
    page2 = {"RequestId": "r2", "InstanceCloudAssistantStatusSet": {"InstanceCloudAssistantStatus": [status_item(ids[1], "false", version="")]}}
    provider, session = make_provider(("DescribeCloudAssistantStatus", FakeResponse(200, page1)), ("DescribeCloudAssistantStatus", FakeResponse(200, page2)))
    entries = provider.agent_states(ids, [])
    assert [entry["state"] for entry in entries] == ["online", "not_registered", "not_registered"]
    assert entries[1]["vendor_status"] == "false" and entries[2]["vendor_status"] == "not listed"
    assert session.sent[0].query["InstanceId.1"] == ids[0] and session.sent[0].query["MaxResults"] == "50"
    assert session.sent[1].query["NextToken"] == "n2"


def test_alibaba_a_lost_agent_still_has_its_version():
    entry = alibaba_ecs_agents.status_agent(status_item("i-bp1aaaaaaaaaaaaaaaaa", "false"))
    assert (entry["state"], entry["ready"], entry["last_seen"]) == ("lost", False, "2026-12-03T12:00:00Z")


def test_alibaba_ids_go_50_a_call():
    ids = [f"i-bp1{index:017d}" for index in range(51)]
    empty = {"RequestId": "r", "InstanceCloudAssistantStatusSet": {"InstanceCloudAssistantStatus": []}}
    provider, session = make_provider(FakeResponse(200, empty), FakeResponse(200, empty))
    provider.agent_states(ids, [])
    assert "InstanceId.50" in session.sent[0].query and "InstanceId.51" not in session.sent[0].query
    assert session.sent[1].query["InstanceId.1"] == ids[50]


def test_alibaba_tag_targets_are_refused_before_any_call():
    provider, session = make_provider()
    with pytest.raises(InvalidInput, match="has no tag filter"):
        provider.agent_states([], [{"key": "tag:role", "values": ["web"]}])
    assert not session.sent
