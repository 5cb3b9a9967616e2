# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fetch_complete_output for SSM: only streams SSM cut, of targets that ended, are read from S3, at
the object the URL names; a failed read is a warning with S3's code, the stream keeps SSM's copy."""

from __future__ import annotations

import io

import boto3
import botocore.response as botocore_response
import botocore.stub as botocore_stub
import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_output import (
    MAX_LOG_PAGES, MAX_OBJECT_BYTES, fetch_complete_output, object_location, object_text, read_log_stream)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import get_invocation_record, invocation_records

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
I1 = "i-0123456789abcdef0"
KEY = f"runs/{CID}/{I1}/awsrunShellScript/0.awsrunShellScript"
URL = f"https://s3.us-east-1.amazonaws.com/fleet-output/{KEY}"
WHOLE = "x" * 99_999 + "\n"


def listed(status="Success", output="", url=URL):
    """A ListCommandInvocations item (Details=true) with one plugin."""
    plugin = {"Name": "aws:runShellScript", "Status": status, "StatusDetails": status, "ResponseCode": 0, "Output": output,
              "StandardOutputUrl": f"{url}/stdout" if url else "", "StandardErrorUrl": f"{url}/stderr" if url else ""}
    return {"CommandId": CID, "InstanceId": I1, "Status": status, "StatusDetails": status, "CommandPlugins": [plugin],
            "StandardOutputUrl": plugin["StandardOutputUrl"], "StandardErrorUrl": plugin["StandardErrorUrl"]}


def got(stdout, stderr="", status="Success", url=URL):
    return {"CommandId": CID, "InstanceId": I1, "Status": status, "StatusDetails": status, "ResponseCode": 0,
            "StandardOutputContent": stdout, "StandardErrorContent": stderr,
            "StandardOutputUrl": f"{url}/stdout" if url else "", "StandardErrorUrl": f"{url}/stderr" if url else ""}


class FakeS3:
    def __init__(self, objects=None, errors=None):
        self.objects = objects or {}
        self.errors = errors or {}
        self.reads = []

    def __call__(self, bucket, key):
        self.reads.append((bucket, key))
        if key in self.errors:
            raise self.errors[key]
        return self.objects[key]


@pytest.mark.parametrize("url, expected", [
    (f"{URL}/stdout", ("fleet-output", f"{KEY}/stdout")),
    ("https://s3.amazonaws.com/fleet-output/a/b/stdout", ("fleet-output", "a/b/stdout")),
    ("https://fleet-output.s3.amazonaws.com/a/stdout", ("fleet-output", "a/stdout")),
    ("https://fleet.output.s3.eu-west-1.amazonaws.com/a/stdout", ("fleet.output", "a/stdout")),
    ("https://fleet-output.s3-eu-west-1.amazonaws.com/a%20b/stdout", ("fleet-output", "a b/stdout")),
    ("s3://fleet-output/a/stdout", ("fleet-output", "a/stdout")),
    ("https://s3.us-east-1.amazonaws.com/fleet-output", None),
    ("", None),
])
def test_the_object_an_ssm_url_names(url, expected):
    assert object_location(url) == expected


def test_a_cut_stdout_of_an_ended_target_is_replaced_by_the_complete_copy():
    (record,) = invocation_records(listed(output="x" * 2_480 + "\n---Output truncated---"))
    assert record["stdout_truncated"]
    s3 = FakeS3({f"{KEY}/stdout": WHOLE})
    fetch_complete_output([record], s3)
    assert s3.reads == [("fleet-output", f"{KEY}/stdout")]
    assert record["stdout"] == WHOLE and record["steps"][0]["stdout"] == WHOLE
    assert record["stdout_truncated"] is False and record["steps"][0]["stdout_truncated"] is False
    assert record["output_warnings"] == []


def test_get_command_invocation_cut_at_24000_and_8000_fetches_both_streams():
    record = get_invocation_record(got("o" * 24_000, "e" * 8_000))
    s3 = FakeS3({f"{KEY}/stdout": "o" * 30_000, f"{KEY}/stderr": "e" * 9_000})
    fetch_complete_output([record], s3)
    assert len(s3.reads) == 2
    assert (len(record["stdout"]), len(record["stderr"])) == (30_000, 9_000)


def test_output_that_was_not_cut_and_targets_still_running_cost_no_read():
    whole = get_invocation_record(got("short\n"))
    running = get_invocation_record(got("o" * 24_000, status="InProgress"))
    s3 = FakeS3()
    fetch_complete_output([whole, running], s3)
    assert s3.reads == []
    assert whole["output_warnings"] == [] and running["output_warnings"] == []
    assert running["stdout_truncated"]


def test_a_missing_object_and_a_denied_read_are_warnings_with_s3s_code():
    missing = get_invocation_record(got("o" * 24_000))
    denied = get_invocation_record(got("o" * 24_000, url="https://s3.us-east-1.amazonaws.com/locked/k"))
    s3 = FakeS3(errors={
        f"{KEY}/stdout": ProviderError("S3 GetObject failed: The specified key does not exist.", code="NoSuchKey", request_id="R1"),
        "k/stdout": ProviderError("S3 GetObject failed: Access Denied", code="AccessDenied", request_id="R2"),
    })
    fetch_complete_output([missing, denied], s3)
    assert missing["stdout"] == "o" * 24_000 and missing["stdout_truncated"] is True
    (warning,) = missing["output_warnings"]
    assert (warning["code"], warning["request_id"], warning["stream"], warning["step"]) == ("NoSuchKey", "R1", "stdout", None)
    assert f"s3://fleet-output/{KEY}/stdout" in warning["message"] and "keeps what SSM returned" in warning["message"]
    assert denied["output_warnings"][0]["code"] == "AccessDenied" and denied["status"] == "success"


def test_a_cut_stream_without_a_copy_in_s3_says_how_to_keep_one():
    record = get_invocation_record(got("o" * 24_000, url=""))
    fetch_complete_output([record], FakeS3())
    (warning,) = record["output_warnings"]
    assert warning["code"] == "NotDelivered" and "output_s3_bucket_name" in warning["message"]


# -- the provider's S3 client ----------------------------------------------------------------------


@pytest.fixture(name="stubbed")
def stubbed_fixture():
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret")
    stubber = botocore_stub.Stubber(s3)
    provider = AwsSsmProvider({"region": "us-east-1"})
    provider._s3_client = s3  # pylint: disable=protected-access
    with stubber:
        yield provider, stubber


def test_the_provider_reads_the_object_as_text(stubbed):
    provider, stubber = stubbed
    stubber.add_response("get_object", {"Body": botocore_response.StreamingBody(io.BytesIO(WHOLE.encode()), len(WHOLE))},
                         {"Bucket": "fleet-output", "Key": f"{KEY}/stdout", "Range": "bytes=0-1048575999"})
    record = get_invocation_record(got("x" * 24_000))
    provider.fetch_complete_output([record])
    assert record["stdout"] == WHOLE and record["output_warnings"] == []
    assert provider.api_calls == 1


def test_an_object_larger_than_the_cap_is_a_warning_and_the_record_keeps_what_ssm_returned(stubbed):
    provider, stubber = stubbed
    # S3 sent the first 1,000 MiB it was asked for, and names the object's whole size after the slash.
    stubber.add_response("get_object", {"Body": botocore_response.StreamingBody(io.BytesIO(b"x"), 1),
                                        "ContentRange": f"bytes 0-{MAX_OBJECT_BYTES - 1}/{MAX_OBJECT_BYTES + 1}",
                                        "ResponseMetadata": {"RequestId": "R-BIG"}},
                         {"Bucket": "fleet-output", "Key": f"{KEY}/stdout", "Range": f"bytes=0-{MAX_OBJECT_BYTES - 1}"})
    record = get_invocation_record(got("x" * 24_000))
    provider.fetch_complete_output([record])
    (warning,) = record["output_warnings"]
    assert (warning["code"], warning["request_id"], warning["stream"]) == ("ObjectTooLarge", "R-BIG", "stdout")
    assert f"holds {MAX_OBJECT_BYTES + 1:,} bytes" in warning["message"] and "keeps what SSM returned" in warning["message"]
    assert record["stdout"] == "x" * 24_000 and record["stdout_truncated"] is True and record["status"] == "success"


def test_an_object_is_bounded_by_its_size_whatever_the_endpoint_sends():
    assert MAX_OBJECT_BYTES == 1_000 * 1_048_576
    assert object_text(b"whole\n", "bytes 0-5/6", "b", "k", max_bytes=6) == "whole\n"
    assert object_text(b"no range\n", None, "b", "k", max_bytes=9) == "no range\n"
    with pytest.raises(InvocationError) as larger:
        object_text(b"first", "bytes 0-4/7", "b", "k", "R1", max_bytes=5)
    assert (larger.value.code, larger.value.request_id) == ("ObjectTooLarge", "R1")
    # An endpoint that ignored the Range header and sent everything.
    with pytest.raises(InvocationError, match="holds 7 bytes, more than the 5"):
        object_text(b"1234567", None, "b", "k", max_bytes=5)


def test_the_provider_keeps_s3s_code_and_request_id(stubbed):
    provider, stubber = stubbed
    stubber.add_client_error("get_object", service_error_code="AccessDenied", service_message="Access Denied", http_status_code=403,
                             response_meta={"RequestId": "4442587FB7D0A2F9"})
    record = get_invocation_record(got("x" * 24_000))
    provider.fetch_complete_output([record])
    (warning,) = record["output_warnings"]
    assert (warning["code"], warning["request_id"]) == ("AccessDenied", "4442587FB7D0A2F9")
    assert "Access Denied" in warning["message"]
    assert record["stdout"] == "x" * 24_000


def test_no_read_starts_once_the_budget_is_spent(stubbed):
    provider, _stubber = stubbed
    provider.limit_requests_to(0.5)
    record = get_invocation_record(got("x" * 24_000))
    provider.fetch_complete_output([record])
    assert record["output_warnings"][0]["code"] == "BudgetSpent"


def test_a_signed_url_in_a_message_loses_its_query():
    record = get_invocation_record(got("o" * 24_000))
    s3 = FakeS3(errors={f"{KEY}/stdout": ProviderError(
        "S3 GetObject failed: see https://fleet-output.s3.amazonaws.com/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIA", code="AccessDenied")})
    fetch_complete_output([record], s3)
    message = record["output_warnings"][0]["message"]
    assert "abc123" not in message and "X-Amz-Credential" not in message and "<query redacted>" in message


# -- the complete output in CloudWatch Logs ---------------------------------------------------------

GROUP = "/fleet/run-output"
STREAM = f"{CID}/{I1}/aws-runShellScript/stdout"


def to_cloudwatch(payload, group=GROUP, enabled=True, document="AWS-RunShellScript"):
    """``payload`` (a list item or a GetCommandInvocation answer) of a command that sent its output to CloudWatch Logs, not S3."""
    payload = dict(payload, DocumentName=document, CloudWatchOutputConfig={"CloudWatchLogGroupName": group, "CloudWatchOutputEnabled": enabled})
    if "StandardOutputContent" in payload:
        payload["PluginName"] = "aws:runShellScript"  # GetCommandInvocation names the step it reports
    return payload


def test_a_cut_stream_of_a_step_without_a_name_has_no_stream_to_read():
    record = get_invocation_record(dict(got("o" * 24_000, url=""), CloudWatchOutputConfig={"CloudWatchLogGroupName": GROUP, "CloudWatchOutputEnabled": True}))
    logs = FakeLogs()
    fetch_complete_output([record], FakeS3(), logs)
    assert logs.reads == [] and record["output_warnings"][0]["code"] == "NoStepName"


class FakeLogs:
    def __init__(self, streams=None, errors=None):
        self.streams = streams or {}
        self.errors = errors or {}
        self.reads = []

    def __call__(self, group, stream):
        self.reads.append((group, stream))
        if stream in self.errors:
            raise self.errors[stream]
        return self.streams[(group, stream)]


@pytest.mark.parametrize("config, expected", [
    ({"CloudWatchLogGroupName": GROUP, "CloudWatchOutputEnabled": True}, GROUP),
    # Enabled without a name: the agent writes to /aws/ssm/<DocumentName>.
    ({"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": True}, "/aws/ssm/AWS-RunShellScript"),
    ({"CloudWatchLogGroupName": GROUP, "CloudWatchOutputEnabled": False}, None),
    ({}, None),
])
def test_the_log_group_a_record_names(config, expected):
    (listed_record,) = invocation_records(dict(listed(url=""), DocumentName="AWS-RunShellScript", CloudWatchOutputConfig=config))
    got_record = get_invocation_record(dict(got("x", url=""), DocumentName="AWS-RunShellScript", CloudWatchOutputConfig=config))
    assert listed_record["output_log_group"] == got_record["output_log_group"] == expected


def test_a_cut_stream_is_read_from_its_log_stream_and_its_events_joined_as_lines():
    (record,) = invocation_records(to_cloudwatch(listed(output="line\n" * 500 + "\n---Output truncated---", url="")))
    # The agent's events: whole lines, each without its last newline.
    logs = FakeLogs({(GROUP, STREAM): ["line\nline", "line"]})
    fetch_complete_output([record], FakeS3(), logs)
    assert logs.reads == [(GROUP, STREAM)]
    assert record["stdout"] == "line\nline\nline\n" and record["steps"][0]["stdout"] == record["stdout"]
    assert record["stdout_truncated"] is False and record["output_warnings"] == []


def test_s3_comes_first_when_a_command_sent_to_both():
    record = get_invocation_record(to_cloudwatch(got("o" * 24_000)))
    s3, logs = FakeS3({f"{KEY}/stdout": WHOLE}), FakeLogs()
    fetch_complete_output([record], s3, logs)
    assert record["stdout"] == WHOLE and logs.reads == []


def test_each_step_is_read_from_its_own_stream_named_after_the_step():
    item = to_cloudwatch(listed(url=""), document="Deploy")
    item["CommandPlugins"] = [dict(item["CommandPlugins"][0], Name=name, Output="o" * 2_500) for name in ("deploy:app", "verify*")]
    (record,) = invocation_records(item)
    logs = FakeLogs({(GROUP, f"{CID}/{I1}/deploy-app/stdout"): ["deployed"], (GROUP, f"{CID}/{I1}/verify-/stdout"): ["verified"]})
    fetch_complete_output([record], FakeS3(), logs)
    assert [step["stdout"] for step in record["steps"]] == ["deployed\n", "verified\n"]


def test_a_missing_stream_and_a_denied_read_are_warnings_with_the_code_and_the_verdict_stands():
    missing = get_invocation_record(to_cloudwatch(got("o" * 24_000, url="")))
    denied = get_invocation_record(to_cloudwatch(got("e" * 10, "e" * 8_000, url="")))
    stderr_stream = f"{CID}/{I1}/aws-runShellScript/stderr"
    logs = FakeLogs(errors={
        STREAM: ProviderError("GetLogEvents failed: The specified log stream does not exist.", code="ResourceNotFoundException", request_id="R1"),
        stderr_stream: ProviderError("GetLogEvents failed: not authorized", code="AccessDeniedException", request_id="R2"),
    })
    fetch_complete_output([missing, denied], FakeS3(), logs)
    (warning,) = missing["output_warnings"]
    assert (warning["code"], warning["request_id"], warning["stream"]) == ("ResourceNotFoundException", "R1", "stdout")
    assert f"group {GROUP}, stream {STREAM}" in warning["message"] and "keeps what SSM returned" in warning["message"]
    assert missing["stdout"] == "o" * 24_000 and missing["stdout_truncated"] is True and missing["status"] == "success"
    assert denied["output_warnings"][0]["code"] == "AccessDeniedException" and denied["output_warnings"][0]["stream"] == "stderr"


def test_without_s3_or_cloudwatch_the_warning_names_both_options():
    record = get_invocation_record(got("o" * 24_000, url=""))
    fetch_complete_output([record], FakeS3(), FakeLogs())
    (warning,) = record["output_warnings"]
    assert warning["code"] == "NotDelivered" and "cloudwatch_output_log_group" in warning["message"]


# -- the provider's CloudWatch Logs client ---------------------------------------------------------


@pytest.fixture(name="logs_stubbed")
def logs_stubbed_fixture():
    logs = boto3.client("logs", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret")
    stubber = botocore_stub.Stubber(logs)
    provider = AwsSsmProvider({"region": "us-east-1"})
    provider._logs_client = logs  # pylint: disable=protected-access
    with stubber:
        yield provider, stubber


def test_the_provider_reads_every_page_until_the_forward_token_repeats(logs_stubbed):
    provider, stubber = logs_stubbed
    first = {"logGroupName": GROUP, "logStreamName": STREAM, "startFromHead": True}
    stubber.add_response("get_log_events", {"events": [{"message": "a\nb"}], "nextForwardToken": "f/1"}, first)
    stubber.add_response("get_log_events", {"events": [{"message": "c"}], "nextForwardToken": "f/2"}, dict(first, nextToken="f/1"))
    stubber.add_response("get_log_events", {"events": [], "nextForwardToken": "f/2"}, dict(first, nextToken="f/2"))
    record = get_invocation_record(to_cloudwatch(got("x" * 24_000, url="")))
    provider.fetch_complete_output([record])
    stubber.assert_no_pending_responses()
    assert record["stdout"] == "a\nb\nc\n" and record["output_warnings"] == []
    assert provider.api_calls == 3


class EndlessPages:
    """GetLogEvents of a stream that never ends: ``real`` events on the first pages, then empty pages,
    each page with a new forward token."""

    def __init__(self, real=()):
        self.real = list(real)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        page = len(self.requests)
        events = [{"message": self.real[page - 1]}] if page <= len(self.real) else []
        return {"events": events, "nextForwardToken": f"f/{page}", "ResponseMetadata": {"RequestId": f"R-{page}"}}


def test_empty_pages_before_the_end_are_read_through_until_the_token_repeats():
    pages = iter([{"events": [{"message": "a"}], "nextForwardToken": "f/1"}, {"events": [], "nextForwardToken": "f/2"},
                  {"events": [], "nextForwardToken": "f/3"}, {"events": [{"message": "b"}], "nextForwardToken": "f/4"},
                  {"events": [], "nextForwardToken": "f/4"}])
    requests = []

    def get_page(request):
        requests.append(request)
        return next(pages)

    assert read_log_stream(get_page, GROUP, STREAM) == ["a", "b"]
    assert [request.get("nextToken") for request in requests] == [None, "f/1", "f/2", "f/3", "f/4"]
    assert all(request["startFromHead"] and request["logStreamName"] == STREAM for request in requests)


def test_a_stream_whose_token_never_repeats_is_read_to_the_page_cap_and_no_further():
    endless = EndlessPages(["line 1", "line 2"])
    with pytest.raises(InvocationError) as raised:
        read_log_stream(endless, GROUP, STREAM)
    assert len(endless.requests) == MAX_LOG_PAGES == 1_000
    assert (raised.value.code, raised.value.request_id) == ("PageLimitReached", "R-1000")
    assert "1,000 pages (2 events)" in raised.value.message
    small = EndlessPages()
    with pytest.raises(InvocationError):
        read_log_stream(small, GROUP, STREAM, max_pages=3)
    assert len(small.requests) == 3


def test_a_stream_cut_by_the_page_cap_is_a_warning_and_the_record_keeps_what_ssm_returned():
    record = get_invocation_record(to_cloudwatch(got("o" * 24_000, url="")))
    endless = EndlessPages(["o" * 30_000])
    fetch_complete_output([record], FakeS3(), lambda group, stream: read_log_stream(endless, group, stream))
    (warning,) = record["output_warnings"]
    assert (warning["code"], warning["request_id"], warning["stream"]) == ("PageLimitReached", "R-1000", "stdout")
    assert f"group {GROUP}, stream {STREAM}" in warning["message"] and "keeps what SSM returned" in warning["message"]
    assert record["stdout"] == "o" * 24_000 and record["stdout_truncated"] is True
    assert (record["status"], record["terminal"]) == ("success", True)


def test_the_provider_stops_reading_a_stream_at_the_page_cap(logs_stubbed):
    provider, stubber = logs_stubbed
    first = {"logGroupName": GROUP, "logStreamName": STREAM, "startFromHead": True}
    for page in range(1, MAX_LOG_PAGES + 1):
        expected = dict(first, nextToken=f"f/{page - 1}") if page > 1 else first
        stubber.add_response("get_log_events", {"events": [], "nextForwardToken": f"f/{page}", "ResponseMetadata": {"RequestId": f"R-{page}"}},
                             expected)
    record = get_invocation_record(to_cloudwatch(got("x" * 24_000, url="")))
    provider.fetch_complete_output([record])
    stubber.assert_no_pending_responses()
    assert provider.api_calls == MAX_LOG_PAGES
    (warning,) = record["output_warnings"]
    assert (warning["code"], warning["request_id"]) == ("PageLimitReached", "R-1000")
    assert record["stdout"] == "x" * 24_000 and record["stdout_truncated"] is True


def test_the_provider_keeps_the_code_and_request_id_even_from_an_xml_answer(logs_stubbed):
    provider, stubber = logs_stubbed
    # moto_server answers a refused signature in XML; botocore then reports the HTTP status as the code.
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>'
           '<Message>The security token included in the request is invalid.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>')
    stubber.add_client_error("get_log_events", service_error_code="403", service_message=xml, http_status_code=403,
                             response_meta={"RequestId": "R-403"})
    stubber.add_client_error("get_log_events", service_error_code="ResourceNotFoundException",
                             service_message="The specified log stream does not exist.", http_status_code=400, response_meta={"RequestId": "R-404"})
    record = get_invocation_record(to_cloudwatch(got("x" * 24_000, "e" * 8_000, url="")))
    provider.fetch_complete_output([record])
    denied, missing = record["output_warnings"]
    assert (denied["code"], denied["request_id"]) == ("InvalidClientTokenId", "R-403")
    assert "The security token included in the request is invalid." in denied["message"] and "<Code>" not in denied["message"]
    assert (missing["code"], missing["request_id"], missing["stream"]) == ("ResourceNotFoundException", "R-404", "stderr")
