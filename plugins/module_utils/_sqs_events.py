# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Our status events, read from one SQS queue that an EventBridge rule feeds.

Systems Manager sends an event to EventBridge each time a Run Command command or one of its
invocations changes status (source ``aws.ssm``, detail types "EC2 Command Status-change
Notification" and "EC2 Command Invocation Status-change Notification":
https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html).
A rule whose target is an SQS queue puts each event, as JSON, in one message's body
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions).

Events carry no output and no exit code, and may come late, twice, out of order or not at all, so
they only say when to look: every decision is confirmed by the API. :func:`parse_status_event`
turns a body into a :class:`StatusEvent` (or None: not one of ours, never an exception), and
:class:`EventQueue` long-polls the queue once and deletes every message it read, its own or not:
left in a queue that several waits share, a message about another command would come back to
each of them again and again.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._payload import redact_secrets_in_text
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import AWS_SSM_COMMAND, AWS_SSM_INVOCATION, lookup

PROVIDER = "aws_ssm"
SOURCE = "aws.ssm"
INVOCATION_DETAIL_TYPE = "EC2 Command Invocation Status-change Notification"
COMMAND_DETAIL_TYPE = "EC2 Command Status-change Notification"
# detail-type -> the status table its ``detail.status`` is read with (a command's status has the
# aggregate values, Incomplete among them; an invocation's has not).
STATUS_TABLES = {
    INVOCATION_DETAIL_TYPE: AWS_SSM_INVOCATION,
    COMMAND_DETAIL_TYPE: AWS_SSM_COMMAND,
}

# SQS limits (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html):
# a long poll waits whole seconds, 20 at most; one call returns 10 messages at most, and one
# DeleteMessageBatch takes 10 entries at most.
MAX_WAIT_SECONDS = 20
MAX_MESSAGES = 10


@dataclasses.dataclass(frozen=True)
class StatusEvent:
    """One status change, as the event said it: a hint of what to read, never a record."""

    provider: str
    command_id: str
    # None for a command-level event (it names no instance).
    instance_id: str | None
    # The event's ``detail.status`` as sent, and our normalised status of it.
    vendor_status: str
    status: str
    # The event's ``time`` (ISO 8601, as sent) and ``id``.
    time: str | None
    event_id: str | None

    def as_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def parse_status_event(body: t.Any) -> StatusEvent | None:
    """The status event a message body holds, or None when it holds anything else.

    The body is an EventBridge event as JSON, or the same event wrapped in an SNS notification
    (a rule that targets a topic the queue subscribes to, without raw message delivery). Another
    source or detail type, malformed JSON or a detail without a command id give None: a queue may
    hold other messages, and they are not errors.
    """
    event = _json_object(body)
    if event is None:
        return None
    if event.get("Type") == "Notification" and isinstance(event.get("Message"), str):
        event = _json_object(event["Message"])
        if event is None:
            return None
    if event.get("source") != SOURCE:
        return None
    table = STATUS_TABLES.get(event.get("detail-type"))  # type: ignore[arg-type]
    detail = event.get("detail")
    if table is None or not isinstance(detail, dict):
        return None
    command_id = detail.get("command-id")
    vendor_status = detail.get("status")
    if not _text(command_id) or not _text(vendor_status):
        return None
    instance_id = detail.get("instance-id") if event.get("detail-type") == INVOCATION_DETAIL_TYPE else None
    if event.get("detail-type") == INVOCATION_DETAIL_TYPE and not _text(instance_id):
        return None
    return StatusEvent(
        provider=PROVIDER,
        command_id=command_id,
        instance_id=instance_id,
        vendor_status=vendor_status,
        status=lookup(table, vendor_status),
        time=event.get("time") if _text(event.get("time")) else None,
        event_id=event.get("id") if _text(event.get("id")) else None,
    )


def _json_object(text: t.Any) -> dict[str, t.Any] | None:
    if not isinstance(text, (str, bytes)):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _text(value: t.Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


class QueueUnreadable(Exception):
    """The queue could not be read: SQS refused (its code and request id kept) or could not be reached."""

    def __init__(self, message: str, code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id

    def describe(self) -> str:
        facts = [f"error code {self.code}" if self.code else "", f"request id {self.request_id}" if self.request_id else ""]
        facts = [fact for fact in facts if fact]
        return f"{self.message} ({', '.join(facts)})" if facts else self.message


def receive_wait_seconds(wait_seconds: float) -> int:
    """The WaitTimeSeconds of one long poll of at most ``wait_seconds``: whole seconds, 0 to 20."""
    if not wait_seconds or math.isnan(wait_seconds) or wait_seconds < 0:  # None, 0, NaN, negative
        return 0
    return int(min(math.floor(wait_seconds), MAX_WAIT_SECONDS))


class EventQueue:
    """One SQS queue of status events, read with a boto3 SQS client (or anything with its two calls).

    The counts say what reading cost and found: ``receives`` (ReceiveMessage calls), ``deletes``
    (DeleteMessageBatch calls), ``received`` (messages), ``ours`` (those that were status events),
    ``delete_failures`` (messages SQS did not delete: they come back, which only repeats a hint).
    """

    def __init__(self, client: t.Any, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url
        self.receives = 0
        self.deletes = 0
        self.received = 0
        self.ours = 0
        self.delete_failures = 0

    @property
    def calls(self) -> int:
        """SQS requests sent: receives and deletes."""
        return self.receives + self.deletes

    def counts(self) -> dict[str, int]:
        return {
            "receives": self.receives,
            "deletes": self.deletes,
            "received": self.received,
            "ours": self.ours,
            "delete_failures": self.delete_failures,
        }

    def receive(self, wait_seconds: float) -> list[StatusEvent | None]:
        """Long-poll once (at most ``wait_seconds``, whole seconds, 20 at most) and delete what was read.

        One entry per message, in the order SQS gave them: its StatusEvent, or None for a message
        that is not one. Raises QueueUnreadable when the queue cannot be read; a failed delete is
        only counted (the messages come back later, and repeat a hint).
        """
        self.receives += 1
        answer = self._request(
            "ReceiveMessage",
            self._client.receive_message,
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=MAX_MESSAGES,
            WaitTimeSeconds=receive_wait_seconds(wait_seconds),
        )
        messages = [message for message in (answer.get("Messages") or []) if isinstance(message, dict)]
        self.received += len(messages)
        events = [parse_status_event(message.get("Body")) for message in messages]
        self.ours += sum(1 for event in events if event is not None)
        self._delete(messages)
        return events

    def _delete(self, messages: list[dict[str, t.Any]]) -> None:
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
            if message.get("ReceiptHandle")
        ]
        self.delete_failures += len(messages) - len(entries)
        for start in range(0, len(entries), MAX_MESSAGES):
            batch = entries[start:start + MAX_MESSAGES]
            self.deletes += 1
            try:
                answer = self._request("DeleteMessageBatch", self._client.delete_message_batch, QueueUrl=self.queue_url, Entries=batch)
            except QueueUnreadable:
                self.delete_failures += len(batch)
                continue
            self.delete_failures += len(answer.get("Failed") or [])

    def _request(self, operation: str, call: t.Callable[..., t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        """One SQS call; any failure as QueueUnreadable with SQS's code and request id."""
        try:
            answer = call(**kwargs)
        except Exception as error:  # pylint: disable=broad-exception-caught  # botocore's, or a connection's: the queue is unreadable
            raise unreadable(operation, self.queue_url, error) from None
        return answer if isinstance(answer, dict) else {}


def unreadable(operation: str, queue_url: str, error: BaseException) -> QueueUnreadable:
    """``error`` (a botocore ClientError or any other failure) as QueueUnreadable."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        details = response.get("Error") or {}
        metadata = response.get("ResponseMetadata") or {}
        message = redact_secrets_in_text(str(details.get("Message") or error)).strip().rstrip(".")
        return QueueUnreadable(redact_secrets_in_text(f"SQS {operation} on {queue_url} failed: {message}"),
                               code=details.get("Code"), request_id=metadata.get("RequestId"))
    return QueueUnreadable(redact_secrets_in_text(f"SQS {operation} on {queue_url} failed: {type(error).__name__}: {error}"), code=type(error).__name__)
