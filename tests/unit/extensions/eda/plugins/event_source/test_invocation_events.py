# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EDA event source extensions/eda/plugins/event_source/invocation_events.py.

Loaded with runpy, as ansible-rulebook loads it. SQS and SSM are small fakes here that answer as
the services do; tests/eda/test_rulebook.py runs the source in ansible-rulebook against moto's SQS
and fleetsim's SSM.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import typing as t

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._sqs_events import EventQueue

SOURCE_PATH = os.path.join(
    os.path.dirname(__file__), *([os.pardir] * 6), "extensions", "eda", "plugins", "event_source", "invocation_events.py"
)


def run_path(path: str) -> dict:
    """What runpy.run_path(path) does for a plain file, as ansible-rulebook loads a source. (runpy itself
    cannot here: ansible-test's collection loader hooks the directories of the collection, and
    runpy then takes the file for a package.)"""
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec")
    namespace = {"__name__": "<run_path>", "__file__": path}
    exec(code, namespace)  # pylint: disable=exec-used
    return namespace


SOURCE = run_path(os.path.abspath(SOURCE_PATH))
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/eda-invocations"
COMMAND = "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab"


INVOCATION_EVENT = "EC2 Command Invocation Status-change Notification"


def event_body(status: str, instance: str = "i-0aaaaaaaaaaaaaaa1", event_id: str = "e-1", detail_type: str = INVOCATION_EVENT) -> str:
    detail = {"command-id": COMMAND, "document-name": "AWS-RunShellScript", "status": status}
    if "Invocation" in detail_type:
        detail["instance-id"] = instance
    return json.dumps({"version": "0", "id": event_id, "detail-type": detail_type, "source": "aws.ssm", "time": "2026-12-03T21:00:00Z",
                       "region": "eu-west-1", "detail": detail})


class FakeSqs:
    """ReceiveMessage hands out the queued bodies in batches of 10 and DeleteMessageBatch removes them."""

    def __init__(self, bodies: list[str], failures: list[Exception] | None = None) -> None:
        self.bodies = list(bodies)
        self.failures = list(failures or [])
        self.deleted = 0
        self.waits: list[int] = []

    def receive_message(self, QueueUrl, MaxNumberOfMessages, WaitTimeSeconds):  # noqa: N803  # pylint: disable=invalid-name
        assert QueueUrl == QUEUE_URL
        self.waits.append(WaitTimeSeconds)
        if self.failures:
            raise self.failures.pop(0)
        batch, self.bodies = self.bodies[:MaxNumberOfMessages], self.bodies[MaxNumberOfMessages:]
        return {"Messages": [{"MessageId": f"m-{index}", "ReceiptHandle": f"r-{index}", "Body": body} for index, body in enumerate(batch)]}

    def delete_message_batch(self, QueueUrl, Entries):  # noqa: N803  # pylint: disable=invalid-name
        self.deleted += len(Entries)
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries]}


class ClientError(Exception):
    """botocore's ClientError as far as the source reads it: ``response``."""

    def __init__(self, code: str, message: str, request_id: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"RequestId": request_id}}


class FakeSsm:
    """GetCommandInvocation from a table of (command, instance) -> answer or exception."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    def get_command_invocation(self, CommandId, InstanceId):  # noqa: N803  # pylint: disable=invalid-name
        self.calls.append((CommandId, InstanceId))
        answer = self.answers[(CommandId, InstanceId)]
        if isinstance(answer, Exception):
            raise answer
        return answer


class ListQueue:
    def __init__(self) -> None:
        self.events: list[dict] = []

    async def put(self, event: dict) -> None:
        self.events.append(event)


class Drained(t.NamedTuple):
    events: list[dict]
    sqs: FakeSqs


def drain(bodies, ssm=None, failures=None, **args) -> Drained:
    """Run the source until the fake queue is empty: the events it put and the fake SQS."""
    settings = SOURCE["parse_settings"]({"queue_url": QUEUE_URL, "stop_when_empty": True, "confirm": ssm is not None, **args}, environ={})
    sqs = FakeSqs(bodies, failures)
    queue = ListQueue()
    confirmer = SOURCE["Confirmer"](ssm) if ssm is not None else None
    asyncio.run(SOURCE["run"](queue, settings, EventQueue(sqs, QUEUE_URL), confirmer))
    return Drained(queue.events, sqs)


def invocation(status: str, details: str | None = None, code: int = -1) -> dict:
    return {"CommandId": COMMAND, "InstanceId": "i-0aaaaaaaaaaaaaaa1", "Status": status, "StatusDetails": details or status, "ResponseCode": code}


def test_one_event_per_status_change_with_both_statuses():
    events, sqs = drain([event_body("InProgress", event_id="e-1"), event_body("Failed", event_id="e-2")])
    assert [(event["status"], event["vendor_status"], event["confirmed"]) for event in events] == [
        ("running", "InProgress", False), ("failed", "Failed", False),
    ]
    assert events[1] == {
        "provider": "aws_ssm", "command_id": COMMAND, "instance_id": "i-0aaaaaaaaaaaaaaa1", "status": "failed", "vendor_status": "Failed",
        "time": "2026-12-03T21:00:00Z", "event_id": "e-2", "confirmed": False,
    }
    assert sqs.deleted == 2


def test_a_repeated_event_id_is_yielded_once_and_every_message_is_deleted():
    bodies = [event_body("Failed", event_id="same")] * 3 + [event_body("Failed", instance="i-0bbbbbbbbbbbbbbb2", event_id="other")]
    events, sqs = drain(bodies)
    assert [event["instance_id"] for event in events] == ["i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"]
    assert sqs.deleted == 4


def test_repeats_are_remembered_across_receives():
    # 12 messages: two receives of 10 and 2; the repeat comes in the second.
    bodies = [event_body("Success", instance=f"i-0{index:016x}", event_id=f"e-{index}") for index in range(11)] + [event_body("Success", event_id="e-3")]
    events = drain(bodies).events
    assert len(events) == 11


def test_recent_ids_forget_the_oldest_beyond_their_size():
    recent = SOURCE["RecentIds"](size=2)
    # Seeing "a" again makes it the newest, so "c" pushes "b" out, not "a".
    assert [recent.seen(event_id) for event_id in ("a", "b", "a", "c", "a", "b")] == [False, False, True, False, True, False]


def test_command_level_and_foreign_messages_are_deleted_not_yielded():
    bodies = [
        event_body("Failed", detail_type="EC2 Command Status-change Notification"),
        json.dumps({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        "not json",
    ]
    events, sqs = drain(bodies)
    assert events == []
    assert sqs.deleted == 3


def test_confirm_yields_the_apis_status_and_exit_code():
    ssm = FakeSsm({(COMMAND, "i-0aaaaaaaaaaaaaaa1"): invocation("Failed", code=3)})
    events = drain([event_body("Failed")], ssm=ssm).events
    assert [(event["status"], event["vendor_status"], event["confirmed"], event["exit_code"]) for event in events] == [("failed", "Failed", True, 3)]
    assert ssm.calls == [(COMMAND, "i-0aaaaaaaaaaaaaaa1")]


def test_confirm_gives_no_exit_code_for_a_run_killed_at_its_timeout():
    # SSM reports the killed process's code; it is not the command's answer.
    ssm = FakeSsm({(COMMAND, "i-0aaaaaaaaaaaaaaa1"): invocation("TimedOut", "ExecutionTimedOut", code=137)})
    events = drain([event_body("TimedOut")], ssm=ssm).events
    assert [(event["status"], event["vendor_status"], event["confirmed"]) for event in events] == [("timed_out", "ExecutionTimedOut", True)]
    assert "exit_code" not in events[0]


def test_confirm_checks_the_events_status_against_the_apis_status_and_yields_the_finer_details():
    # A delivery timeout: Status TimedOut (what the event carries), StatusDetails DeliveryTimedOut.
    ssm = FakeSsm({(COMMAND, "i-0aaaaaaaaaaaaaaa1"): invocation("TimedOut", "DeliveryTimedOut")})
    events = drain([event_body("TimedOut")], ssm=ssm).events
    assert [(event["status"], event["vendor_status"], event["confirmed"]) for event in events] == [("undeliverable", "DeliveryTimedOut", True)]


def test_confirm_drops_events_the_api_contradicts(caplog):
    ssm = FakeSsm({(COMMAND, "i-0aaaaaaaaaaaaaaa1"): invocation("Success", code=0)})
    # Late InProgress and a Failed the API does not back: both stale; the Success is yielded.
    with caplog.at_level(logging.INFO):
        events = drain([event_body("InProgress", event_id="e-1"), event_body("Failed", event_id="e-2"), event_body("Success", event_id="e-3")], ssm=ssm).events
    assert [(event["event_id"], event["status"], event["exit_code"]) for event in events] == [("e-3", "success", 0)]
    assert "dropped stale event e-2" in caplog.text and "Failed by the event, Success by the API" in caplog.text


def test_a_failed_confirmation_yields_the_event_unconfirmed_with_the_vendors_code_and_request_id(caplog):
    ssm = FakeSsm({(COMMAND, "i-0aaaaaaaaaaaaaaa1"): ClientError("ThrottlingException", "Rate exceeded", "req-123")})
    events = drain([event_body("Failed")], ssm=ssm).events
    assert [(event["status"], event["confirmed"]) for event in events] == [("failed", False)]
    assert events[0]["confirm_error"] == {"code": "ThrottlingException", "message": "SSM GetCommandInvocation failed: Rate exceeded", "request_id": "req-123"}
    assert "ThrottlingException" in caplog.text and "req-123" in caplog.text


def test_a_signature_error_is_quoted_without_the_canonical_request_it_carries():
    # AWS appends the canonical request (every signed header, the session token included) after a blank line.
    message = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key.\n\n"
               "The Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:FwoGZXIvYXdzEXAMPLETOKEN'")
    ssm = FakeSsm({(COMMAND, "i-0aaaaaaaaaaaaaaa1"): ClientError("InvalidSignatureException", message, "req-7")})
    events = drain([event_body("Failed")], ssm=ssm).events
    error = events[0]["confirm_error"]
    assert (error["code"], error["request_id"]) == ("InvalidSignatureException", "req-7")
    assert error["message"].startswith("SSM GetCommandInvocation failed: The request signature we calculated does not match")
    assert "EXAMPLETOKEN" not in json.dumps(events)


def test_a_queue_unreadable_at_the_start_ends_the_source_with_code_and_request_id():
    with pytest.raises(ProviderError) as raised:
        drain([], failures=[ClientError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", "req-9")])
    assert "NonExistentQueue" in str(raised.value) and "req-9" in str(raised.value)


def test_a_queue_unreadable_later_is_read_again_after_a_growing_pause():
    settings = SOURCE["parse_settings"]({"queue_url": QUEUE_URL}, environ={})
    sqs = FakeSqs([event_body("Failed")])
    error = ClientError("ServiceUnavailable", "try later", "req-5")
    queue = ListQueue()
    sleeps: list[float] = []

    class Scripted(EventQueue):
        """The first receive works, the next three fail, then the source is stopped."""

        def receive(self, wait_seconds):
            if len(sqs.waits) == 5:
                raise asyncio.CancelledError
            if len(sqs.waits) >= 1:
                sqs.failures = [error]
            return super().receive(wait_seconds)

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(SOURCE["run"](queue, settings, Scripted(sqs, QUEUE_URL), None, sleep=sleep))
    assert [event["status"] for event in queue.events] == ["failed"]
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize("args, message", [
    ({}, "queue_url is required"),
    ({"queue_url": QUEUE_URL, "wait_seconds": 21}, "wait_seconds must be a whole number from 0 to 20"),
    ({"queue_url": QUEUE_URL, "wait_seconds": "soon"}, "wait_seconds must be a whole number from 0 to 20"),
    ({"queue_url": QUEUE_URL, "wait_seconds": 5, "delay_seconds": 5}, "not both"),
    ({"queue_url": QUEUE_URL, "confirm": "perhaps"}, "confirm must be true or false"),
    ({"queue_url": QUEUE_URL, "access_key": "AKIAEXAMPLE"}, "access_key and secret_key go together"),
    ({"queue_url": QUEUE_URL, "queue": "eda"}, "unknown argument(s) queue"),
    ({"queue_url": QUEUE_URL, "sqs_endpoint_url": "http://sqs.example.net"}, "uses plain HTTP to a host that is not loopback"),
    ({"queue_url": "http://sqs.example.net/123456789012/q"}, "queue_url http://sqs.example.net/123456789012/q uses plain HTTP"),
])
def test_bad_arguments_say_what_is_wrong(args, message):
    with pytest.raises(InvalidInput) as raised:
        SOURCE["parse_settings"](args, environ={})
    assert message in str(raised.value)


def test_arguments_from_a_rulebook_and_the_environment():
    settings = SOURCE["parse_settings"](
        {"queue_url": QUEUE_URL, "region": "", "delay_seconds": "5", "confirm": "True", "stop_when_empty": "false", "eda_feedback_queue": object()},
        environ={"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL": "https://ssm.internal.example"},
    )
    assert (settings.region, settings.wait_seconds, settings.confirm, settings.stop_when_empty) == (None, 5, True, False)
    assert (settings.sqs_endpoint_url, settings.ssm_endpoint_url) == ("http://127.0.0.1:5000", "https://ssm.internal.example")
    assert SOURCE["parse_settings"]({"queue_url": QUEUE_URL}, environ={"AWS_ENDPOINT_URL_SSM": "https://x"}).ssm_endpoint_url is None


def test_credentials_given_as_arguments_stay_out_of_the_settings_text():
    settings = SOURCE["parse_settings"]({"queue_url": QUEUE_URL, "access_key": "AKIAEXAMPLE", "secret_key": "s3cr3t-value"}, environ={})
    assert settings.credentials == {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "s3cr3t-value"}
    assert "s3cr3t-value" not in repr(settings) and "AKIAEXAMPLE" not in repr(settings)
    assert "queue_url=" in repr(settings)
