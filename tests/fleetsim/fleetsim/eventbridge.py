# EventBridge's delivery of Run Command status events to SQS, as an EventBridge rule with an SQS
# target does it.
#
# Systems Manager sends an event each time a command or one of its invocations changes status
# (source aws.ssm, detail types "EC2 Command Status-change Notification" and "EC2 Command
# Invocation Status-change Notification"; shapes from "Amazon EventBridge event examples for
# Systems Manager": https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html).
# A rule whose target is a queue puts each event, as JSON, in the body of one SQS message. No
# output, no exit code, no StatusDetails: the status is the command's or invocation's Status.
#
# fleetsim's invocations change on the clock without an event of their own, so a watcher thread
# looks at every SSM command a few times a second and sends an event for each status it has not
# announced yet, stamped with the moment the change happened. It sends to the queues it is told
# about (POST /_fleetsim/events), on an SQS server such as moto_server, with plain botocore: it
# never imports the collection. Events due together go out in SendMessageBatch requests of up to
# 10 messages (SQS's limit per batch): one request per event could not keep up with a 1,000-instance
# fleet ending within seconds, and events would reach the queue long after the changes.
#
# EventBridge does not promise order or exactly-once delivery, and a target may be retried for up
# to a day ("Event retry policy and using dead-letter queues"); the knobs reproduce that on purpose:
# every Nth event twice (duplicate_every), every Nth never (drop_every), every event late by some
# seconds (delay), or events held for a moment and sent newest first (out_of_order).
from __future__ import annotations

import datetime
import heapq
import itertools
import json
import math
import sys
import threading
import traceback
import uuid
from typing import Any, Callable
from urllib.parse import urlsplit

from fleetsim import engine as e
from fleetsim import ssm_status
from fleetsim.ssm_s3 import BotocoreDelivery

SOURCE = "aws.ssm"
INVOCATION_DETAIL_TYPE = "EC2 Command Invocation Status-change Notification"
COMMAND_DETAIL_TYPE = "EC2 Command Status-change Notification"
ACCOUNT = "123456789012"
VENDOR = "aws_ssm"
SCAN_SECONDS = 0.05
# SendMessageBatch takes at most 10 entries ("Amazon SQS batch actions").
BATCH_SIZE = 10


def iso(epoch: float, millis: bool = False) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_pattern(pattern: Any) -> bool:
    return (isinstance(pattern, dict) and bool(pattern) and set(pattern) <= {"detail-type", "status"}
            and all(isinstance(values, list) and values and all(isinstance(value, str) for value in values) for values in pattern.values()))


class EventPlan:
    """Where events go and how their delivery goes wrong (POST /_fleetsim/events)."""

    KNOBS = ("queue_urls", "endpoint_url", "duplicate_every", "drop_every", "delay", "out_of_order", "patterns")

    def __init__(self, queue_urls: list[str], endpoint_url: str | None = None, duplicate_every: int = 0, drop_every: int = 0,
                 delay: float = 0.0, out_of_order: float = 0.0, patterns: list[dict[str, list[str]]] | None = None) -> None:
        self.queue_urls = queue_urls
        self.endpoint_url = endpoint_url
        self.duplicate_every = duplicate_every
        self.drop_every = drop_every
        self.delay = delay
        self.out_of_order = out_of_order
        # The rules that deliver to the queues, each a pattern on "detail-type" and detail "status"
        # (a field left out matches anything); an event goes out when one matches. None: every event.
        self.patterns = patterns

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "EventPlan | None":
        """The plan a control request asks for; None (events off) for no queue. ValueError when malformed."""
        unknown = set(body) - set(cls.KNOBS) - {"queue_url"}
        if unknown:
            raise ValueError(f"unknown event setting(s): {', '.join(sorted(unknown))}")
        urls = body.get("queue_urls", [body["queue_url"]] if body.get("queue_url") else [])
        if not urls:
            return None
        if not isinstance(urls, list) or not all(isinstance(url, str) and url.startswith(("http://", "https://")) for url in urls):
            raise ValueError("queue_url(s) must be http:// or https:// SQS queue URLs")
        endpoint = body.get("endpoint_url")
        if endpoint is not None and not (isinstance(endpoint, str) and endpoint.startswith(("http://", "https://"))):
            raise ValueError("endpoint_url must be an http:// or https:// URL, or null")
        counts = {}
        for knob in ("duplicate_every", "drop_every"):
            value = body.get(knob, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{knob} must be a whole number, 0 or more (0: never)")
            counts[knob] = value
        seconds = {}
        for knob in ("delay", "out_of_order"):
            value = body.get(knob, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{knob} must be a number of seconds, 0 or more")
            seconds[knob] = float(value)
        patterns = body.get("patterns")
        if patterns is not None and not (isinstance(patterns, list) and patterns and all(_is_pattern(pattern) for pattern in patterns)):
            raise ValueError('patterns must be a list of rules\' patterns, each {"detail-type": [...], "status": [...]} (either may be left out), '
                             "or null for every event")
        return cls(list(urls), endpoint, counts["duplicate_every"], counts["drop_every"], seconds["delay"], seconds["out_of_order"], patterns)

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether a rule of the plan matches ``event``, as EventBridge matches a pattern's listed values."""
        if self.patterns is None:
            return True
        fields = {"detail-type": event.get("detail-type"), "status": event["detail"].get("status")}
        return any(all(fields[key] in values for key, values in pattern.items()) for pattern in self.patterns)

    def describe(self) -> dict[str, Any]:
        return {"queue_urls": self.queue_urls, "endpoint_url": self.endpoint_url, "duplicate_every": self.duplicate_every,
                "drop_every": self.drop_every, "delay": self.delay, "out_of_order": self.out_of_order, "patterns": self.patterns}


class StatusWatcher:
    """The status events of every SSM command since the last look, oldest change first."""

    def __init__(self, engine: e.Engine) -> None:
        self.engine = engine
        self._announced: dict[tuple[str, str | None], str] = {}

    def reset(self) -> None:
        self._announced.clear()

    def changes(self, now: float) -> list[dict[str, Any]]:
        events = []
        with self.engine.lock:
            for command in self.engine.snapshot_commands(VENDOR):
                events.extend(self._command_changes(command, now))
        events.sort(key=lambda event: event["_at"])
        return events

    def _command_changes(self, command: e.Command, now: float) -> list[dict[str, Any]]:
        region = command.meta.get("Region") or "us-east-1"
        events = []
        latest = command.requested_at
        for inv in command.invocations:
            phase = inv.phase_at(now)
            status = ssm_status.invocation_status(phase)[0]
            key = (command.id, inv.instance.id)
            at = changed_at(inv, phase, now)
            latest = max(latest, at)
            if self._announced.get(key) == status:
                continue
            self._announced[key] = status
            events.append(invocation_event(command, inv.instance.id, status, region, at))
        status = ssm_status.command_status(self.engine.counts(command, now), command.spec.max_errors, command.cancel_requested)[0]
        if self._announced.get((command.id, None)) != status:
            self._announced[(command.id, None)] = status
            events.append(command_event(command, status, region, latest))
        return events


def changed_at(inv: e.Invocation, phase: str, now: float) -> float:
    """When the invocation reached ``phase`` (the engine keeps every moment of its history)."""
    if phase not in e.OPEN_PHASES and inv.ended_at is not None:
        return inv.ended_at
    if phase == e.CANCELLING and inv.cancelling_at is not None:
        return inv.cancelling_at
    if phase == e.RUNNING and inv.started_at is not None:
        return inv.started_at
    if phase == e.DELAYED and inv.delayed_at is not None:
        return inv.delayed_at
    return min(now, inv.command.requested_at) if phase == e.PENDING else now


def _envelope(detail_type: str, region: str, at: float, resources: list[str], detail: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": SOURCE, "account": ACCOUNT,
            "time": iso(at), "region": region, "resources": resources, "detail": detail, "_at": at}


def instance_arn(region: str, instance_id: str) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{instance_id}"


def invocation_event(command: e.Command, instance_id: str, status: str, region: str, at: float) -> dict[str, Any]:
    return _envelope(INVOCATION_DETAIL_TYPE, region, at, [instance_arn(region, instance_id)], {
        "command-id": command.id, "document-name": command.meta.get("DocumentName", ""), "instance-id": instance_id,
        "requested-date-time": iso(command.requested_at, millis=True), "status": status,
    })


def command_event(command: e.Command, status: str, region: str, at: float) -> dict[str, Any]:
    return _envelope(COMMAND_DETAIL_TYPE, region, at, [instance_arn(region, inv.instance.id) for inv in command.invocations], {
        "command-id": command.id, "document-name": command.meta.get("DocumentName", ""),
        "expire-after": iso(command.requested_at + command.spec.delivery_timeout, millis=True),
        "parameters": command.meta.get("Parameters") or {}, "requested-date-time": iso(command.requested_at, millis=True), "status": status,
    })


class SqsDelivery(BotocoreDelivery):
    service = "sqs"


class EventBridge:
    """Watches the SSM commands and delivers their status events by the plan, on a thread of its own."""

    def __init__(self, engine: e.Engine, secrets: dict[str, str], send: Callable[[str, str, list[str]], int] | None = None) -> None:
        """``send(endpoint, queue_url, bodies)`` puts up to BATCH_SIZE messages in a queue and returns
        how many the queue refused (SQS's own by default)."""
        self.engine = engine
        self.watcher = StatusWatcher(engine)
        self._delivery = SqsDelivery(None, secrets)
        self._send = send or self._send_to_sqs
        self._lock = threading.Lock()
        self._plan: EventPlan | None = None
        # (due, order, body, queue url) to send; order keeps equal due times in emission order.
        self._pending: list[tuple[float, int, str, str]] = []
        self._order = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.counts = self._zero()

    @staticmethod
    def _zero() -> dict[str, int]:
        return {"emitted": 0, "unmatched": 0, "sent": 0, "dropped": 0, "duplicated": 0, "send_failures": 0}

    def configure(self, plan: EventPlan | None, watch: bool = True) -> None:
        """Start delivering by ``plan`` (changes from now on), or stop (None). Without ``watch``, no
        thread looks: the caller calls ``step`` (tests on a manual clock)."""
        with self._lock:
            self._plan = plan
            self._pending.clear()
            self.counts = self._zero()
            self.watcher.reset()
            if plan is not None:
                # What already happened is not news: only changes from now on are sent.
                self.watcher.changes(self.engine.now())
        if plan is not None and watch and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="fleetsim-eventbridge", daemon=True)
            self._thread.start()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            plan = self._plan.describe() if self._plan else None
            return {"plan": plan, "pending": len(self._pending), **self.counts}

    def reset(self) -> None:
        """Events off (a test that turned them on does not leak them into the next)."""
        self.configure(None)

    def shutdown(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(SCAN_SECONDS):
            try:
                self.step(self.engine.now())
            except Exception:  # pylint: disable=broad-except  # a dead watcher would silently stop every event
                traceback.print_exc()

    def step(self, now: float) -> None:
        """One look: queue the new changes by the plan, then send what is due."""
        with self._lock:
            plan = self._plan
            if plan is None:
                return
            for event in self.watcher.changes(now):
                self._schedule(plan, event, now)
            due = []
            while self._pending and self._pending[0][0] <= now:
                due.append(heapq.heappop(self._pending))
        if plan.out_of_order:
            due.reverse()
        for queue_url, bodies in batches([(queue_url, body) for _due, _order, body, queue_url in due]):
            try:
                refused = self._send(plan.endpoint_url or endpoint_of(queue_url), queue_url, bodies)
            except Exception as error:  # pylint: disable=broad-exception-caught  # EventBridge retries; fleetsim logs and goes on
                with self._lock:
                    self.counts["send_failures"] += len(bodies)
                sys.stderr.write(f"fleetsim: event delivery to {queue_url} failed: {error}\n")
                continue
            if refused:
                sys.stderr.write(f"fleetsim: {queue_url} refused {refused} of {len(bodies)} events\n")
            with self._lock:
                self.counts["sent"] += len(bodies) - refused
                self.counts["send_failures"] += refused

    def _schedule(self, plan: EventPlan, event: dict[str, Any], now: float) -> None:
        if not plan.matches(event):
            # No rule matches it: EventBridge sends it to no queue.
            self.counts["unmatched"] += 1
            return
        self.counts["emitted"] += 1
        number = self.counts["emitted"]
        if plan.drop_every and number % plan.drop_every == 0:
            self.counts["dropped"] += 1
            return
        copies = 1
        if plan.duplicate_every and number % plan.duplicate_every == 0:
            copies = 2
            self.counts["duplicated"] += 1
        event = {key: value for key, value in event.items() if key != "_at"}
        body = json.dumps(event)
        due = now + plan.delay
        if plan.out_of_order:
            # Held to the end of the current window, then the window's events are sent newest first.
            due = (math.floor(now / plan.out_of_order) + 1) * plan.out_of_order + plan.delay
        for _copy in range(copies):
            for queue_url in plan.queue_urls:
                heapq.heappush(self._pending, (due, next(self._order), body, queue_url))

    def _send_to_sqs(self, endpoint: str, queue_url: str, bodies: list[str]) -> int:
        client = self._delivery._client(endpoint, region_of(queue_url))  # pylint: disable=protected-access
        entries = [{"Id": str(number), "MessageBody": body} for number, body in enumerate(bodies)]
        return len(client.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed") or [])


def batches(messages: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(queue URL, bodies) runs of at most BATCH_SIZE, keeping the order each queue gets its messages in."""
    by_queue: dict[str, list[str]] = {}
    for queue_url, body in messages:
        by_queue.setdefault(queue_url, []).append(body)
    return [(queue_url, bodies[start:start + BATCH_SIZE]) for queue_url, bodies in by_queue.items()
            for start in range(0, len(bodies), BATCH_SIZE)]


def endpoint_of(queue_url: str) -> str:
    parts = urlsplit(queue_url)
    return f"{parts.scheme}://{parts.netloc}"


def region_of(queue_url: str) -> str:
    """sqs.<region>.amazonaws.com names its region; a test server's URL does not (us-east-1)."""
    host = urlsplit(queue_url).hostname or ""
    labels = host.split(".")
    return labels[1] if len(labels) > 3 and labels[0] == "sqs" else "us-east-1"
