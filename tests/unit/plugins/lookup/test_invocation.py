# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The invocation lookup: selectors, JMESPath over normalised or raw data, errors as AnsibleLookupError."""

from __future__ import annotations

import jmespath
import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.multicloud.invocations.plugins.lookup import invocation as lookup_module
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"


class FakeProvider:
    """Answers like the SSM adapter, and records what it was asked."""

    def __init__(self, options):
        self.options = options
        self.api_calls = 0
        self.warnings = []
        self.asked = []

    def read(self, params):
        self.asked.append(("query", params["command_id"], params["instance_id"], params["include_output"], params["max_results"]))
        records = [
            make_record("aws_ssm", "success", command_id=CID, instance_id="i-0aaaaaaaaaaaaaaa1", exit_code=0, stdout="READY",
                        raw={"InstanceId": "i-0aaaaaaaaaaaaaaa1", "StatusDetails": "Success"}),
            make_record("aws_ssm", "failed", command_id=CID, instance_id="i-0bbbbbbbbbbbbbbb2", exit_code=3, stdout="disk full"),
            make_record("aws_ssm", "running", command_id=CID, instance_id="i-0aaaaaaaaaaaaaaa3"),
        ]
        return records, 3, {CID: {"status": "InProgress"}}

    def read_raw(self, params):
        self.asked.append(("raw", params["command_id"], params["instance_id"], params["max_results"]))
        return {"CommandInvocations": [{"InstanceId": "i-0aaaaaaaaaaaaaaa1", "Status": "Success"}, {"InstanceId": "i-0bbbbbbbbbbbbbbb2", "Status": "Failed"}]}


@pytest.fixture
def providers(monkeypatch):
    built = []

    def build(name, options):
        assert name == "aws_ssm"
        provider = FakeProvider(options)
        built.append(provider)
        return provider

    monkeypatch.setattr(lookup_module, "build_provider", build)
    return built


@pytest.fixture
def lookup():
    return lookup_loader.get("multicloud.invocations.invocation")


def test_whole_result_without_query(lookup, providers):
    (result,) = lookup.run([], variables={}, command_id=CID, region="us-east-1")
    assert [record["instance_id"] for record in result["invocations"]] == ["i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2", "i-0aaaaaaaaaaaaaaa3"]
    assert result["summary"]["counts"]["failed"] == 1
    assert providers[0].options["region"] == "us-east-1"


def test_records_are_compact_unless_the_vendor_payload_is_asked_for(lookup, providers):
    (compact,) = lookup.run([], variables={}, command_id=CID)
    assert not any("raw" in record for record in compact["invocations"])
    (details,) = lookup.run([], variables={}, command_id=CID, include_vendor_payload=True, query="invocations[0].raw.StatusDetails")
    assert details == "Success"


def test_raw_and_include_vendor_payload_together_are_refused(lookup, providers):
    with pytest.raises(AnsibleLookupError, match="raw=true returns the vendor's response instead of records: set one of them"):
        lookup.run([], variables={}, command_id=CID, raw=True, include_vendor_payload=True)
    assert providers == []


def test_query_over_normalised_records(lookup, providers):
    (result,) = lookup.run([], variables={}, command_id=CID, query="invocations[?status=='failed'].instance_id")
    assert result == ["i-0bbbbbbbbbbbbbbb2"]


def test_query_over_the_raw_response(lookup, providers):
    (result,) = lookup.run([], variables={}, command_id=CID, raw=True, query="CommandInvocations[?Status=='Failed'].InstanceId")
    assert result == ["i-0bbbbbbbbbbbbbbb2"]
    assert providers[0].asked[0][0] == "raw"


def test_statuses_filter(lookup, providers):
    (result,) = lookup.run([], variables={}, command_id=CID, statuses=["running"])
    assert [record["status"] for record in result["invocations"]] == ["running"]
    assert result["summary"]["total"] == 1


def test_tagged_strings_work_with_type_checked_functions(lookup, providers):
    tags = pytest.importorskip("ansible._internal._datatag._tags")
    origin = tags.Origin(path="/playbook.yml", line_num=3)
    expression = origin.tag("invocations[?starts_with(instance_id, 'i-0a')] | sort_by(@, &instance_id)[].instance_id")
    prefix_query = origin.tag("invocations[?contains(stdout || '', 'READY')].exit_code")
    command_id = origin.tag(CID)
    assert command_id.__class__ is not str
    # Without the plain copies jmespath rejects tagged strings; this is what the lookup avoids.
    with pytest.raises(jmespath.exceptions.JMESPathTypeError):
        jmespath.search("x[?starts_with(id, 'i-0')]", {"x": [{"id": origin.tag("i-0a")}]})
    (result,) = lookup.run([], variables={}, command_id=command_id, query=expression)
    assert result == ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa3"]
    (codes,) = lookup.run([], variables={}, command_id=command_id, query=prefix_query)
    assert codes == [0]
    # What reached the provider is a plain str, not the tagged value.
    assert providers[0].options["command_id"].__class__ is str


def test_bad_expression_fails_before_any_call(lookup, providers):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run([], variables={}, command_id=CID, query="invocations[?")
    assert "query is not a valid JMESPath expression" in str(caught.value)
    assert providers == []


def test_runtime_type_error_is_a_lookup_error(lookup, providers):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run([], variables={}, command_id=CID, query="invocations[?starts_with(exit_code, 'x')]")
    assert "query could not be evaluated" in str(caught.value)


def test_api_error_keeps_code_and_request_id(lookup, monkeypatch):
    class Denied(FakeProvider):
        def read(self, params):
            raise AccessDenied("SSM ListCommandInvocations failed: denied", code="AccessDeniedException", request_id="req-9")

    monkeypatch.setattr(lookup_module, "build_provider", lambda name, options: Denied(options))
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run([], variables={}, command_id=CID)
    assert "AccessDeniedException" in str(caught.value) and "req-9" in str(caught.value)


def test_positional_terms_are_refused(lookup, providers):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run([CID], variables={})
    assert "takes no positional terms" in str(caught.value)


def test_unknown_status_is_refused(lookup, providers):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run([], variables={}, command_id=CID, statuses=["done"])
    assert "statuses has unknown values ['done']" in str(caught.value)


def test_environment_credentials_are_left_to_the_provider(lookup, providers, monkeypatch):
    # An AWS key in the environment must not reach another vendor: the provider reads its own variables.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT0")
    lookup.run([], variables={}, command_id=CID)
    assert providers[0].options["access_key"] is None
    lookup.run([], variables={}, command_id=CID, access_key_id="AKIAGIVENASKEYWORD00")
    assert providers[1].options["access_key"] == "AKIAGIVENASKEYWORD00"


# -- maintenance windows: the selectors of invocation_info ---------------------------------------

WINDOW = "mw-0123456789abcdef0"
EXECUTION = "22222222-2222-4222-8222-222222222222"
TASK = "33333333-3333-4333-8333-333333333333"
INVOCATION_1 = "44444444-4444-4444-8444-444444444441"
INVOCATION_2 = "44444444-4444-4444-8444-444444444442"


def window_client(answers):
    """A boto3 SSM client on a Stubber that answers ``answers`` (operation, response, expected request) in order."""
    boto3 = pytest.importorskip("boto3")
    stub = pytest.importorskip("botocore.stub")
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="AKIAFAKEFAKEFAKEFAKE", aws_secret_access_key="fake/secret/key")
    stubber = stub.Stubber(client)
    for operation, response, expected in answers:
        stubber.add_response(operation, response, expected)
    stubber.activate()
    return client, stubber


def window_answers(statuses_filter=None):
    invocations_request = {"WindowExecutionId": EXECUTION, "TaskId": TASK, "MaxResults": 100}
    if statuses_filter:
        invocations_request["Filters"] = statuses_filter
    return [
        ("get_maintenance_window_execution", {"WindowExecutionId": EXECUTION, "Status": "FAILED"},
         {"WindowExecutionId": EXECUTION}),
        ("get_maintenance_window_execution_task", {"WindowExecutionId": EXECUTION, "TaskExecutionId": TASK, "Status": "FAILED",
                                                   "Type": "RUN_COMMAND"},
         {"WindowExecutionId": EXECUTION, "TaskId": TASK}),
        ("describe_maintenance_window_execution_task_invocations", {"WindowExecutionTaskInvocationIdentities": [
            {"WindowExecutionId": EXECUTION, "TaskExecutionId": TASK, "InvocationId": INVOCATION_1, "TaskType": "RUN_COMMAND", "Status": "SUCCESS",
             "Parameters": '{"instanceIds": ["i-0aaaaaaaaaaaaaaa1"]}'},
            {"WindowExecutionId": EXECUTION, "TaskExecutionId": TASK, "InvocationId": INVOCATION_2, "TaskType": "RUN_COMMAND", "Status": "FAILED",
             "Parameters": '{"instanceIds": ["i-0bbbbbbbbbbbbbbb2"]}'},
        ]}, invocations_request),
    ]


@pytest.fixture
def ssm_provider(monkeypatch):
    """The real SSM provider on a stubbed client: the lookup's window reads go through its own code."""
    from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider

    made = {}

    def build(name, options):
        assert name == "aws_ssm"
        client, stubber = window_client(made.pop("answers", []))
        made["stubber"] = stubber
        made["provider"] = AwsSsmProvider(options, client=client)
        return made["provider"]

    monkeypatch.setattr(lookup_module, "build_provider", build)
    return made


def test_window_execution_and_task_are_read_as_invocation_info_reads_them(lookup, ssm_provider):
    ssm_provider["answers"] = window_answers()
    (result,) = lookup.run([], variables={}, window_execution_id=EXECUTION, window_task_id=TASK, include_command_details=False,
                           region="us-east-1", query="invocations[?status=='failed'].[instance_id, window.invocation_id]")
    assert result == [["i-0bbbbbbbbbbbbbbb2", INVOCATION_2]]
    ssm_provider["stubber"].assert_no_pending_responses()


def test_window_statuses_are_filtered_by_the_service(lookup, ssm_provider):
    ssm_provider["answers"] = window_answers([{"Key": "STATUS", "Values": ["FAILED"]}])
    (result,) = lookup.run([], variables={}, window_execution_id=EXECUTION, window_task_id=TASK, include_command_details=False,
                           region="us-east-1", statuses=["failed"], query="summary.total")
    # The stub answers both invocations; the lookup still keeps only the failed one.
    assert result == 1
    ssm_provider["stubber"].assert_no_pending_responses()


def test_window_raw_returns_the_window_services_own_responses(lookup, ssm_provider):
    ssm_provider["answers"] = window_answers()
    (result,) = lookup.run([], variables={}, window_execution_id=EXECUTION, window_task_id=TASK, raw=True, region="us-east-1")
    assert result["WindowExecution"]["Status"] == "FAILED"
    assert [task["TaskExecutionId"] for task in result["WindowExecutionTaskIdentities"]] == [TASK]
    assert [item["Status"] for item in result["WindowExecutionTaskInvocationIdentities"]] == ["SUCCESS", "FAILED"]


@pytest.mark.parametrize("keywords, message", [
    ({"window_id": "mw-123"}, "window_id 'mw-123' is not a maintenance window id"),
    ({"window_execution_id": "not-a-uuid"}, "window_execution_id 'not-a-uuid' is not a maintenance window id"),
    ({"window_id": WINDOW, "window_task_id": TASK}, "give window_execution_id with it"),
    ({"window_execution_id": EXECUTION, "executed_before": "2026-11-22T00:00:00Z"}, "give window_id with them"),
    ({"window_id": WINDOW, "executed_after": "last tuesday"}, "executed_after 'last tuesday' is not an ISO 8601"),
    ({"window_id": WINDOW, "command_id": CID}, "do not combine them with command_id"),
])
def test_bad_window_selectors_are_refused_before_any_call(lookup, ssm_provider, keywords, message):
    # The stub has no answer: any call would fail with a stubber error instead of this message.
    with pytest.raises(AnsibleLookupError, match=message):
        lookup.run([], variables={}, region="us-east-1", **keywords)
    assert ssm_provider["provider"].api_calls == 0


@pytest.mark.parametrize("provider, other", [("alibaba_ecs", {"region": "cn-hangzhou"}), ("zenlayer_zos", {})])
@pytest.mark.parametrize("keyword", ["window_id", "window_execution_id", "window_task_id"])
def test_window_selectors_are_refused_for_providers_without_windows(lookup, providers, provider, other, keyword):
    with pytest.raises(AnsibleLookupError, match=r"has no maintenance windows \(they are an SSM notion\), so " + keyword + " cannot be honoured"):
        lookup.run([], variables={}, provider=provider, **{keyword: "x"}, **other)
    assert providers == []
