# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Status events as EventBridge puts them in SQS: parsed, read, deleted, counted."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ansible_collections.multicloud.invocations.plugins.module_utils import _sqs_events as ev
from ansible_collections.multicloud.invocations.plugins.module_utils import _statuses as s

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/waits"
COMMAND = "e8d3c0e4-71f7-4491-898f-c9b35bee5f3b"


def invocation_event(status="Success", instance="i-0123456789abcdef0", command=COMMAND, **extra):
    """An invocation status change, shaped as in the Systems Manager event examples."""
    event = {
        "version": "0",
        "id": "4780e1b8-f56b-4de5-95f2-95db9EXAMPLE",
        "detail-type": "EC2 Command Invocation Status-change Notification",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2026-07-10T21:51:32Z",
        "region": "eu-west-1",
        "resources": [f"arn:aws:ec2:eu-west-1:123456789012:instance/{instance}"],
        "detail": {
            "command-id": command,
            "document-name": "AWS-RunShellScript",
            "instance-id": instance,
            "requested-date-time": "2026-07-10T21:51:30.049Z",
            "status": status,
        },
    }
    event.update(extra)
    return event


def command_event(status="Success", command=COMMAND):
    return {
        "version": "0",
        "id": "c8a9a2b1-5b1c-4f1e-9d2a-0123456789ab",
        "detail-type": "EC2 Command Status-change Notification",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2026-07-10T21:51:40Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"],
        "detail": {
            "command-id": command,
            "document-name": "AWS-RunShellScript",
            "expire-after": "2026-07-10T23:51:30.049Z",
            "parameters": {"commands": ["date"]},
            "requested-date-time": "2026-07-10T21:51:30.049Z",
            "status": status,
        },
    }


def test_an_invocation_event_names_its_command_instance_and_status():
    event = ev.parse_status_event(json.dumps(invocation_event("Failed")))
    assert event == ev.StatusEvent(
        provider="aws_ssm", command_id=COMMAND, instance_id="i-0123456789abcdef0", vendor_status="Failed", status=s.FAILED,
        time="2026-07-10T21:51:32Z", event_id="4780e1b8-f56b-4de5-95f2-95db9EXAMPLE",
    )


def test_a_command_event_names_no_instance_and_reads_the_command_table():
    event = ev.parse_status_event(json.dumps(command_event("Incomplete")))
    assert event is not None
    assert (event.instance_id, event.vendor_status, event.status) == (None, "Incomplete", s.PARTIAL_FAILED)


@pytest.mark.parametrize("vendor, normalised", [
    ("Pending", s.PENDING), ("InProgress", s.RUNNING), ("Delayed", s.PENDING), ("Success", s.SUCCESS),
    ("Cancelled", s.CANCELLED), ("TimedOut", s.TIMED_OUT), ("Delivery Timed Out", s.UNDELIVERABLE),
    ("Something New", s.UNKNOWN),
])
def test_the_status_is_normalised_with_the_ssm_invocation_table(vendor, normalised):
    assert ev.parse_status_event(json.dumps(invocation_event(vendor))).status == normalised


def test_the_event_is_frozen():
    event = ev.parse_status_event(json.dumps(invocation_event()))
    with pytest.raises(Exception):
        event.status = s.FAILED  # type: ignore[misc]


def test_an_sns_wrapped_event_is_unwrapped():
    wrapped = {"Type": "Notification", "MessageId": "m-1", "Message": json.dumps(invocation_event("Failed"))}
    event = ev.parse_status_event(json.dumps(wrapped))
    assert event is not None and event.status == s.FAILED


@pytest.mark.parametrize("body", [
    "", "not json", "[1, 2]", "null", "42", None, b"\xff\xfe", json.dumps({"Type": "Notification", "Message": "not json"}),
    json.dumps(invocation_event(source="aws.ec2")),
    json.dumps(invocation_event(**{"detail-type": "EC2 Automation Step Status-change Notification"})),
    json.dumps(invocation_event(detail="a string")),
    json.dumps(invocation_event(command="")),
    json.dumps(invocation_event(command=None)),
    json.dumps(invocation_event(instance=None)),
    json.dumps(invocation_event(status=None)),
    json.dumps(invocation_event(status=7)),
    # An SNS notification of Run Command itself (not an EventBridge event): another shape.
    json.dumps({"commandId": COMMAND, "instanceId": "i-1", "status": "Success"}),
])
def test_anything_else_is_none_never_an_exception(body):
    assert ev.parse_status_event(body) is None


def test_a_missing_time_or_id_is_none_not_an_error():
    body = invocation_event()
    del body["time"], body["id"]
    event = ev.parse_status_event(json.dumps(body))
    assert (event.time, event.event_id, event.status) == (None, None, s.SUCCESS)


class FakeSqs:
    """Records every call; answers each ReceiveMessage with the next batch of bodies."""

    def __init__(self, batches=(), fail_receive=None, fail_delete=None, delete_failed_ids=()):
        self.batches = [list(batch) for batch in batches]
        self.fail_receive = fail_receive
        self.fail_delete = fail_delete
        self.delete_failed_ids = delete_failed_ids
        self.receive_calls: list[dict] = []
        self.delete_calls: list[dict] = []

    def receive_message(self, **kwargs):
        self.receive_calls.append(kwargs)
        if self.fail_receive:
            raise self.fail_receive
        bodies = self.batches.pop(0) if self.batches else []
        if not bodies:
            return {"ResponseMetadata": {"RequestId": "r"}}
        return {"Messages": [{"MessageId": f"m{i}", "ReceiptHandle": f"h{i}", "Body": body} for i, body in enumerate(bodies)]}

    def delete_message_batch(self, **kwargs):
        self.delete_calls.append(kwargs)
        if self.fail_delete:
            raise self.fail_delete
        failed = [{"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True}
                  for entry in kwargs["Entries"] if entry["Id"] in self.delete_failed_ids]
        return {"Successful": [{"Id": e["Id"]} for e in kwargs["Entries"] if e["Id"] not in self.delete_failed_ids], "Failed": failed}


def client_error(code, operation="ReceiveMessage", message="denied."):
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"RequestId": "req-42", "HTTPStatusCode": 403}}, operation)


@pytest.mark.parametrize("asked, sent", [(0, 0), (0.9, 0), (1.0, 1), (7.99, 7), (20, 20), (20.5, 20), (300, 20), (-3, 0), (None, 0)])
def test_the_long_poll_waits_whole_seconds_at_most_twenty(asked, sent):
    client = FakeSqs()
    ev.EventQueue(client, QUEUE).receive(asked)
    assert client.receive_calls == [{"QueueUrl": QUEUE, "MaxNumberOfMessages": 10, "WaitTimeSeconds": sent}]


def test_every_message_read_is_deleted_ours_or_not():
    ours = json.dumps(invocation_event("Success"))
    other = json.dumps({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}})
    client = FakeSqs(batches=[[ours, other, "garbage"]])
    queue = ev.EventQueue(client, QUEUE)
    events = queue.receive(5)
    assert [event and event.status for event in events] == [s.SUCCESS, None, None]
    assert client.delete_calls == [{"QueueUrl": QUEUE, "Entries": [
        {"Id": "0", "ReceiptHandle": "h0"}, {"Id": "1", "ReceiptHandle": "h1"}, {"Id": "2", "ReceiptHandle": "h2"}]}]
    assert queue.counts() == {"receives": 1, "deletes": 1, "received": 3, "ours": 1, "delete_failures": 0}
    assert queue.calls == 2


def test_an_empty_poll_deletes_nothing():
    client = FakeSqs()
    queue = ev.EventQueue(client, QUEUE)
    assert queue.receive(3) == []
    assert client.delete_calls == []
    assert queue.counts() == {"receives": 1, "deletes": 0, "received": 0, "ours": 0, "delete_failures": 0}


def test_counts_add_up_over_polls():
    body = json.dumps(invocation_event())
    queue = ev.EventQueue(FakeSqs(batches=[[body, body], [], [body]]), QUEUE)
    for _round in range(3):
        queue.receive(1)
    assert queue.counts() == {"receives": 3, "deletes": 2, "received": 3, "ours": 3, "delete_failures": 0}


def test_a_failed_delete_is_counted_not_raised():
    body = json.dumps(invocation_event())
    queue = ev.EventQueue(FakeSqs(batches=[[body, body]], delete_failed_ids=("1",)), QUEUE)
    assert len(queue.receive(1)) == 2
    assert queue.delete_failures == 1
    refused = ev.EventQueue(FakeSqs(batches=[[body]], fail_delete=client_error("AccessDenied", "DeleteMessageBatch")), QUEUE)
    assert refused.receive(1)[0].status == s.SUCCESS
    assert refused.counts()["delete_failures"] == 1


def test_a_refused_receive_keeps_the_sqs_code_and_request_id():
    queue = ev.EventQueue(FakeSqs(fail_receive=client_error("AWS.SimpleQueueService.NonExistentQueue", message="The queue does not exist.")), QUEUE)
    with pytest.raises(ev.QueueUnreadable) as caught:
        queue.receive(5)
    assert caught.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert caught.value.request_id == "req-42"
    assert caught.value.describe() == (
        f"SQS ReceiveMessage on {QUEUE} failed: The queue does not exist "
        "(error code AWS.SimpleQueueService.NonExistentQueue, request id req-42)"
    )


def test_an_unreachable_queue_is_unreadable_with_secrets_redacted():
    error = EndpointConnectionError(endpoint_url="http://user:s3cret@sqs.example:9/")
    queue = ev.EventQueue(FakeSqs(fail_receive=error), QUEUE)
    with pytest.raises(ev.QueueUnreadable) as caught:
        queue.receive(5)
    assert caught.value.code == "EndpointConnectionError"
    assert "s3cret" not in caught.value.describe()
    assert "Could not connect" in caught.value.describe()
