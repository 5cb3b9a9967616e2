# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An ansible-rulebook event source: run-command invocation status changes from an SQS queue.

AWS publishes every SSM Run Command invocation's status change to EventBridge ("EC2 Command
Invocation Status-change Notification", source ``aws.ssm``); a rule delivers them to an SQS queue
(https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html).
This source long-polls that queue, deletes what it reads, and puts one normalised event per
invocation status change on the rulebook's queue. Events can be late, duplicated, out of order or
lost, so with ``confirm: true`` each one is checked against the SSM API first.
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import logging
import os
import sys
import typing as t

DOCUMENTATION = r"""
---
short_description: Invocation status changes from an SQS queue fed by EventBridge.
description:
  - Long-polls an SQS queue that an EventBridge rule fills with run-command status-change events, deletes each
    message it reads, and yields one event per invocation status change, with the collection's normalised status
    beside the vendor's.
  - Give each consumer (each rulebook, each waiting task) its own queue; one EventBridge rule can deliver to several.
  - Credentials come from the arguments, else from boto3's usual chain (environment, profile, instance role).
options:
  queue_url:
    description: URL of the SQS queue to read (the consumer's own queue).
    type: str
    required: true
  region:
    description: AWS region of the queue and of the SSM API; else E(AWS_REGION), E(AWS_DEFAULT_REGION), the profile's.
    type: str
  sqs_endpoint_url:
    description: Send SQS requests here; else E(AWS_ENDPOINT_URL_SQS), E(AWS_ENDPOINT_URL), else AWS's public endpoint.
    type: str
  ssm_endpoint_url:
    description: Send SSM requests (O(confirm)) here; else E(AWS_ENDPOINT_URL_SSM), E(AWS_ENDPOINT_URL), else AWS's.
    type: str
  allow_plain_http:
    description: Allow an C(http://) endpoint that is not a loopback address (credentials would cross the network in clear).
    type: bool
    default: false
  access_key:
    description: AWS access key id; with O(secret_key) (and O(session_token) for temporary credentials).
    type: str
  secret_key:
    description: AWS secret access key.
    type: str
  session_token:
    description: STS session token.
    type: str
  profile:
    description: A named profile of the AWS configuration files.
    type: str
  wait_seconds:
    description: SQS long-poll time of each receive, 0 to 20 (SQS's maximum, the fewest calls on a quiet queue).
    type: int
    default: 20
    aliases: [delay_seconds]
  confirm:
    description:
      - Read each invocation from the SSM API (GetCommandInvocation) before yielding its event, and yield the API's
        status and exit code. An event whose status the API contradicts is stale (late or out of order) and is dropped.
      - When the read fails, the event is yielded with C(confirmed=false) and the error's code and request id.
    type: bool
    default: false
  stop_when_empty:
    description: End the source when a receive finds the queue empty (drain what is queued, then stop).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: React to failed run-command invocations
  hosts: all
  sources:
    - multicloud.invocations.invocation_events:
        queue_url: https://sqs.eu-west-1.amazonaws.com/123456789012/eda-invocations
        region: eu-west-1
        confirm: true
  rules:
    - name: An invocation failed
      condition: event.status == "failed"
      action:
        debug:
          msg: "{{ event.command_id }} failed on {{ event.instance_id }}"
"""

# What one event carries (besides ``meta``, which ansible-rulebook fills in):
#   provider, command_id, instance_id, status (normalised), vendor_status, time, event_id,
#   confirmed (bool), exit_code (confirmed terminal invocations, when the vendor knows it),
#   confirm_error ({code, message, request_id}, when confirming failed).

# SQS delivers at least once and EventBridge retries a target with the same event id: the ids
# already yielded are remembered, the most recent ones only, so a long-running source stays small.
REMEMBERED_EVENT_IDS = 10000
SQS_MAX_WAIT_SECONDS = 20


def _collection_module_utils() -> t.Any:
    """The collection's module_utils this source reuses (event parser, status table, endpoint rule).

    ansible-rulebook runs this file with runpy, without ansible-core's collection loader, so the
    name ``ansible_collections`` is importable only if the directory that holds it is on sys.path.
    That directory is this file's own ancestor in an installed collection
    (<root>/ansible_collections/multicloud/invocations/extensions/eda/plugins/event_source/), and
    ``ansible_collections`` then imports as a namespace package from it.
    """
    try:
        importlib.import_module("ansible_collections.multicloud.invocations.plugins.module_utils")
    except ImportError:
        here = os.path.abspath(__file__)   # not realpath: a symlinked collection is found through its link
        parts = here.split(os.sep)
        try:
            at = len(parts) - 1 - parts[::-1].index("ansible_collections")
        except ValueError:
            raise ImportError(
                f"{here} is not inside an installed collection: install multicloud.invocations with ansible-galaxy "
                "collection install (or put it under a path ending in ansible_collections/multicloud/invocations) "
                "and name the source multicloud.invocations.invocation_events"
            ) from None
        sys.path.append(os.sep.join(parts[:at]) or os.sep)
    from ansible_collections.multicloud.invocations.plugins.module_utils import _endpoint, _errors, _payload, _record, _spec, _sqs_events, _statuses
    from ansible_collections.multicloud.invocations.plugins.module_utils._providers import aws_ssm_spec
    return _endpoint, _errors, _payload, _record, _spec, _sqs_events, _statuses, aws_ssm_spec


_endpoint, _errors, _payload, _record, _spec, _sqs_events, _statuses, aws_ssm_spec = _collection_module_utils()
# runpy names the module "<run_path>": the log says whose lines these are.
LOG = logging.getLogger("multicloud.invocations.invocation_events")


class Settings(t.NamedTuple):
    queue_url: str
    region: str | None
    sqs_endpoint_url: str | None
    ssm_endpoint_url: str | None
    credentials: dict
    profile: str | None
    wait_seconds: int
    confirm: bool
    stop_when_empty: bool

    def __repr__(self) -> str:
        # Never the credentials' values, should settings ever reach a log line or a traceback.
        shown = self._replace(credentials={key: "<hidden>" for key in self.credentials})
        return "Settings(" + ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, shown)) + ")"


KNOWN_ARGS = frozenset((
    "queue_url", "region", "sqs_endpoint_url", "ssm_endpoint_url", "allow_plain_http", "access_key", "secret_key",
    "session_token", "profile", "wait_seconds", "delay_seconds", "confirm", "stop_when_empty",
))
# ansible-rulebook adds its own keys to a source's arguments (the feedback queue of newer releases).
RULEBOOK_ARGS = frozenset(("eda_feedback_queue",))


def _flag(args: dict, name: str) -> bool:
    value = args.get(name, False)
    if isinstance(value, bool):
        return value
    # A rulebook variable rendered into an argument arrives as text.
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off", ""):
        return False
    raise _errors.InvalidInput(f"{name} must be true or false, got {value!r}")


def parse_settings(args: dict, environ: t.Mapping[str, str] | None = None) -> Settings:
    """The source's arguments, checked; InvalidInput says what is wrong and how to fix it.

    ``environ``: where the endpoint variables are read (the process environment by default).
    """
    environ = os.environ if environ is None else environ
    unknown = sorted(set(args) - KNOWN_ARGS - RULEBOOK_ARGS)
    if unknown:
        raise _errors.InvalidInput(f"unknown argument(s) {', '.join(unknown)}; the source takes {', '.join(sorted(KNOWN_ARGS))}")
    queue_url = args.get("queue_url")
    if not queue_url or not isinstance(queue_url, str):
        raise _errors.InvalidInput("queue_url is required: the URL of the SQS queue an EventBridge rule delivers the status events to")
    if "wait_seconds" in args and "delay_seconds" in args:
        raise _errors.InvalidInput("give wait_seconds or its alias delay_seconds, not both")
    raw_wait = args.get("wait_seconds", args.get("delay_seconds", SQS_MAX_WAIT_SECONDS))
    try:
        wait_seconds = int(str(raw_wait))
    except ValueError:
        wait_seconds = -1
    if not 0 <= wait_seconds <= SQS_MAX_WAIT_SECONDS:
        raise _errors.InvalidInput(f"wait_seconds must be a whole number from 0 to {SQS_MAX_WAIT_SECONDS} (SQS's long-poll limit), got {raw_wait!r}")
    allow_plain_http = _flag(args, "allow_plain_http")
    confirm = _flag(args, "confirm")
    endpoints = {}
    for service in ("sqs", "ssm"):
        option = f"{service}_endpoint_url"
        url = args.get(option) or environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or environ.get("AWS_ENDPOINT_URL") or None
        if service == "ssm" and not confirm:
            url = None   # never called
        warning = _endpoint.check_plain_http(url, allow_plain_http, "aws_ssm", option)
        if warning:
            LOG.warning(warning)
        endpoints[option] = url
    queue_warning = _endpoint.check_plain_http(queue_url, allow_plain_http, "aws_ssm", "queue_url")
    if queue_warning:
        LOG.warning(queue_warning)
    credentials = {
        "aws_access_key_id": args.get("access_key"),
        "aws_secret_access_key": args.get("secret_key"),
        "aws_session_token": args.get("session_token"),
    }
    if bool(credentials["aws_access_key_id"]) != bool(credentials["aws_secret_access_key"]):
        raise _errors.InvalidInput("access_key and secret_key go together: give both, or neither to use boto3's credential chain")
    return Settings(
        queue_url=queue_url,
        region=args.get("region") or None,
        sqs_endpoint_url=endpoints["sqs_endpoint_url"],
        ssm_endpoint_url=endpoints["ssm_endpoint_url"],
        credentials={key: value for key, value in credentials.items() if value},
        profile=args.get("profile") or None,
        wait_seconds=wait_seconds,
        confirm=confirm,
        stop_when_empty=_flag(args, "stop_when_empty"),
    )


def _api_error(operation: str, exc: Exception) -> dict:
    """A failed SSM call as {code, message, request_id}, classified and worded as the modules do
    (a signature error's message is cut before the canonical request it quotes)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        metadata = response.get("ResponseMetadata") or {}
        classified = _spec.classify_error(aws_ssm_spec.SPEC, operation, error.get("Code"), error.get("Message"),
                                          http_status=metadata.get("HTTPStatusCode"), request_id=metadata.get("RequestId"))
        return {"code": classified.code, "message": classified.message, "request_id": classified.request_id}
    return {"code": type(exc).__name__, "message": _payload.redact_secrets_in_text(f"SSM {operation} failed: {exc}"), "request_id": None}


class Confirmer:
    """Reads an invocation from the SSM API: the truth an event is checked against."""

    def __init__(self, ssm_client: t.Any) -> None:
        self.ssm = ssm_client

    def read(self, event: t.Any) -> dict:
        """{status, event_status, vendor_status, exit_code} as the API says now, or {error: {...}} when it could not be read."""
        try:
            answer = self.ssm.get_command_invocation(CommandId=event.command_id, InstanceId=event.instance_id)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # botocore's errors and the network's
            return {"error": _api_error("GetCommandInvocation", exc)}
        details, status = answer.get("StatusDetails"), answer.get("Status")
        # An event carries the invocation's Status (TimedOut); the API also has StatusDetails, which
        # can say more (DeliveryTimedOut: undeliverable). The event is checked against the Status
        # alone, and the rule sees the finer status.
        normalised = _statuses.lookup(_statuses.AWS_SSM_INVOCATION, details, status)
        coarse = _statuses.lookup(_statuses.AWS_SSM_INVOCATION, status)
        exit_code = answer.get("ResponseCode")
        # SSM answers ResponseCode -1 while the invocation has not ended; a run killed at its timeout or
        # cancelled has the killed process's code, not the command's answer (the collection's records
        # say the same: _record.own_exit_code).
        if not isinstance(exit_code, int) or exit_code == -1:
            exit_code = None
        return {"status": normalised, "event_status": coarse, "vendor_status": details or status,
                "exit_code": _record.own_exit_code(normalised, exit_code)}


class RecentIds:
    """The event ids seen lately, oldest forgotten first."""

    def __init__(self, size: int = REMEMBERED_EVENT_IDS) -> None:
        self.size = size
        self.ids: collections.OrderedDict[str, None] = collections.OrderedDict()

    def seen(self, event_id: str) -> bool:
        """Whether the id was seen before; remembers it either way."""
        if event_id in self.ids:
            self.ids.move_to_end(event_id)
            return True
        self.ids[event_id] = None
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return False


def rulebook_event(event: t.Any) -> dict:
    """The event a rule sees, before confirmation."""
    return {
        "provider": event.provider,
        "command_id": event.command_id,
        "instance_id": event.instance_id,
        "status": event.status,
        "vendor_status": event.vendor_status,
        "time": event.time,
        "event_id": event.event_id,
        "confirmed": False,
    }


async def confirmed_event(event: t.Any, confirmer: Confirmer) -> dict | None:
    """The event with the API's status and exit code; None when the API contradicts it (stale)."""
    found = rulebook_event(event)
    # Only SSM events reach here (_sqs_events reads source aws.ssm): Alibaba's Cloud Assistant events
    # go to EventBridge HTTP targets, not SQS, and Zenlayer publishes none.
    answer = await asyncio.to_thread(confirmer.read, event)
    if "error" in answer:
        LOG.error("could not confirm event %s (%s on %s): %s %s (request id %s)", event.event_id, event.command_id, event.instance_id,
                  answer["error"]["code"], answer["error"]["message"], answer["error"]["request_id"])
        found["confirm_error"] = answer["error"]
        return found
    if answer["event_status"] != event.status:
        LOG.info("dropped stale event %s: %s on %s is %s by the event, %s by the API", event.event_id, event.command_id,
                 event.instance_id, event.vendor_status, answer["vendor_status"])
        return None
    found.update(status=answer["status"], vendor_status=answer["vendor_status"], confirmed=True)
    if answer["exit_code"] is not None:
        found["exit_code"] = answer["exit_code"]
    return found


async def run(queue: t.Any, settings: Settings, event_queue: t.Any, confirmer: Confirmer | None,
              sleep: t.Callable[[float], t.Awaitable[None]] = asyncio.sleep) -> None:
    """Receive, parse, drop repeats, confirm and put, until cancelled (or the queue is empty, if asked).

    A queue that cannot be read on the first receive ends the source with SQS's code and request id
    (a wrong URL or missing permission does not heal); later, it is logged and read again after a
    pause that doubles up to a minute (a network or service hiccup does).
    """
    recent = RecentIds()
    read_once = False
    pause = 1.0
    while True:
        try:
            received = await asyncio.to_thread(event_queue.receive, settings.wait_seconds)
        except _sqs_events.QueueUnreadable as exc:
            if not read_once or settings.stop_when_empty:
                raise _errors.ProviderError(exc.describe(), provider="aws_ssm", code=exc.code, request_id=exc.request_id) from None
            LOG.error("%s; reading again in %.0f s", exc.describe(), pause)
            await sleep(pause)
            pause = min(pause * 2, 60.0)
            continue
        read_once, pause = True, 1.0
        if not received and settings.stop_when_empty:
            return
        for event in received:
            # None: a message that is not a status event. A command-level event names no instance:
            # its invocations send their own events.
            if event is None or event.instance_id is None:
                continue
            if event.event_id and recent.seen(event.event_id):
                continue
            found = await confirmed_event(event, confirmer) if confirmer else rulebook_event(event)
            if found is not None:
                await queue.put(found)


def _clients(settings: Settings) -> tuple[t.Any, t.Any]:
    import boto3  # pylint: disable=import-outside-toplevel  # a missing boto3 is reported by main(), not at load
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region, **settings.credentials)
    # The long poll must fit in the read timeout; standard retries ride out throttling and 5xx.
    config = Config(read_timeout=settings.wait_seconds + 15, connect_timeout=10, retries={"mode": "standard", "max_attempts": 5})
    sqs = session.client("sqs", endpoint_url=settings.sqs_endpoint_url, config=config)
    ssm = session.client("ssm", endpoint_url=settings.ssm_endpoint_url, config=config) if settings.confirm else None
    return sqs, ssm


async def main(queue: t.Any, args: dict[str, t.Any]) -> None:
    """ansible-rulebook's entry point."""
    settings = parse_settings(args)
    try:
        sqs, ssm = _clients(settings)
    except ImportError as exc:
        raise _errors.InvalidInput(f"the source needs boto3 and botocore (pip install boto3) in ansible-rulebook's Python: {exc}") from None
    await run(queue, settings, _sqs_events.EventQueue(sqs, settings.queue_url), Confirmer(ssm) if ssm else None)
