# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""AWS Systems Manager Run Command through boto3: the client, its errors, and the wait over commands.

Reads use the list calls (50 invocations a page) so a poll round costs one call per 50 targets,
never one per target. Vendor facts this relies on are in the SSM API reference
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommands.html and its neighbours).
"""

from __future__ import annotations

import datetime
import json
import re
import time
import traceback
import typing as t

try:
    import boto3
    import botocore
    import botocore.session
    import botocore.utils
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None

from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import MIN_REQUEST_SECONDS, BudgetSpent, RequestTimer
from ansible_collections.multicloud.invocations.plugins.module_utils._endpoint import check_plain_http
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    InvocationError,
    MissingDependency,
    NotFound,
    ProviderError,
    start_unconfirmed,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._http import may_have_reached, token_pages
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import (
    ANY,
    SHAPE_ERRORS,
    check_answer,
    describe_foreign_body,
    redact_secrets_in_text,
    wrong_shape,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import RunWatch, Watch, ids_to_wait_on
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import (
    ANSWERS,
    PROVIDER,
    command_budget,
    command_summary,
    get_invocation_record,
    invocation_records,
    next_timeout_in,
    pending_records,
    plain,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import aws_ssm_agents, aws_ssm_output, aws_ssm_windows
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_window_records import selects_window
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_transport import AnswerTooSlow, BoundedSender
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_requests import (
    START_MARKER_PREFIX,
    build_send_request,
    new_start_marker,
    validate_command_id,
    validate_instance_id,
    with_start_marker,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_spec import SPEC
from ansible_collections.multicloud.invocations.plugins.module_utils._record import NOT_FINISHED, iso8601, parse_time
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import classify_error, setting
from ansible_collections.multicloud.invocations.plugins.module_utils._sqs_events import EventQueue
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import AWS_SSM_COMMAND, is_terminal, lookup
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

PAGE_SIZE = SPEC.page_size
# After a SendCommand answer was lost: the pauses before each scan for its marker (a command just
# sent may take a moment to be listed), and the ListCommands pages one scan reads at most.
READ_BACK_PAUSES = (0.0, 1.0, 2.0)
READ_BACK_PAGES = 20

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def classify_client_error(error: t.Any, operation: str) -> InvocationError:
    """A botocore ClientError as one of our typed errors, vendor code and request id kept."""
    response = getattr(error, "response", {}) or {}
    details = response.get("Error", {}) or {}
    metadata = response.get("ResponseMetadata", {}) or {}
    return classify_error(
        SPEC, operation, details.get("Code") or "Unknown", details.get("Message") or str(error),
        http_status=metadata.get("HTTPStatusCode"), request_id=metadata.get("RequestId"),
    )


# Statuses a ListCommandInvocations filter narrows a read to when only the failures are wanted
# early: Failed also covers Undeliverable and InvalidPlatform, TimedOut both kinds of timeout.
FAILURE_FILTERS = ("Failed", "TimedOut")
# ListCommands pages read at most, beyond what our own commands need, when one call covers them all.
SPARE_COMMAND_PAGES = 2
# What a message quotes when botocore could not parse an answer and did not hand over its raw body.
NO_RAW_BODY = "(this botocore release does not hand over the raw answer)"
# Seconds for which a command just read counts as current (it is not read again in the first round).
FRESH_SECONDS = 1.0


class CutShortAnswer(Exception):
    """A success status whose body is not JSON (see refuse_cut_short_answers)."""


# What botocore's answer holds when its JSON parser could not read the body: its own metadata, and
# the body as "message" where the output shape has such a member.
BODY_FALLBACK_KEYS = frozenset(("ResponseMetadata", "message"))


def refuse_cut_short_answers(http_response: t.Any = None, model: t.Any = None, parsed: t.Any = None, **_kwargs: t.Any) -> None:
    """botocore reads a 200 whose JSON body was cut short on its way as an empty answer, so a cut
    ListCommands would say the command does not exist and a cut page would drop invocations.
    Raised here (an ``after-call`` hook), it becomes a transient error in ``_call``."""
    status = getattr(http_response, "status_code", None)
    if status is None or not 200 <= status < 300:
        return
    if isinstance(parsed, dict) and any(key not in BODY_FALLBACK_KEYS for key in parsed):
        # botocore filled members from the body, so the body was whole JSON (a body it cannot read
        # becomes {"message": body}, which fills none): not decoded a second time (a page of 50
        # invocations with their output takes as long to decode as to parse).
        return
    content = (getattr(http_response, "content", b"") or b"").strip()
    if not content:
        return
    try:
        json.loads(content)
    except ValueError:
        raise CutShortAnswer(f"{getattr(model, 'name', 'the call')} answered HTTP {status} with a body that is not JSON "
                             f"(cut short on its way?): {content[:200]!r}") from None


class CommandWatch(RunWatch):
    """The state of one wait over several commands: what to ask for next, what is settled.

    A poll round costs one ListCommands call per 50 open commands (one call per command when
    there is only one), not one call per 50 targets: while a command's counters say targets are
    still running, its counters speak for it, and its invocations (50 a page) are read once, when
    the counters say every target has ended. Reading every page every round would cost
    ``targets / 50`` calls a round and show nothing the counters do not. With ``follow_failures``
    (fail fast), a rise in the failure counters also reads the failed invocations, narrowed by a
    status filter, so the policy sees them at once. Waits on chosen instances (``instance_ids``),
    and commands whose target count is not known yet, read their invocations every round as before.
    A command whose targets are all visible and terminal is not asked for again.
    """

    run_key = "CommandId"

    def __init__(self, provider: "AwsSsmProvider", commands: list[dict[str, t.Any]], instance_ids: list[str], include_output: bool) -> None:
        super().__init__(provider, commands, instance_ids, include_output)
        # Failed invocations read early (follow_failures), and the failure count they were read at.
        self._failures: dict[str, list[dict[str, t.Any]]] = {}
        self._failures_at: dict[str, int] = {}
        # Set by the caller when the policy stops at the first failure.
        self.follow_failures = True
        self._rounds = 0

    def poll(self) -> Snapshot:
        snapshot = Snapshot()
        now = datetime.datetime.now(datetime.timezone.utc)
        fresh = self._refresh_open() if not (self._instance_ids or self._read_everything) else set()
        for command_id in self._runs:
            if command_id in fresh and self._counters_suffice(self._runs[command_id]):
                records, expected, complete = self._poll_counters(command_id, snapshot.unread), self._runs[command_id]["TargetCount"], False
                missing: list[str] = []
            else:
                records, expected, missing, complete = self._poll_command(command_id, refreshed=command_id in fresh)
            snapshot.records.extend(records)
            snapshot.expected += expected
            snapshot.missing.extend(missing)
            snapshot.vendor_aggregate[command_id] = command_summary(self._runs[command_id])
            if not complete:
                self._wake_by(snapshot, next_timeout_in(self._runs[command_id], records, now))
        snapshot.complete = self._all_settled()
        return snapshot

    # -- counters ---------------------------------------------------------------------------

    def _refresh_open(self) -> set[str]:
        """Read every open command's counters; the ids read. One call covers up to 50 commands."""
        open_ids = self._open_ids()
        stale = open_ids
        if not self._rounds:
            # A command read a moment ago (the check of the ids right before the first round) is current.
            stale = [command_id for command_id in open_ids if not self._provider.read_within(command_id, FRESH_SECONDS)]
        self._rounds += 1
        if len(stale) == 1:
            self._refresh(stale[0])
            return set(open_ids)
        found = {}
        if stale:
            earliest = min((self._runs[command_id].get("RequestedDateTime") or "" for command_id in stale), default="")
            if earliest:
                pages = len(stale) // PAGE_SIZE + 1 + SPARE_COMMAND_PAGES
                found = self._provider.commands_requested_since(earliest, set(stale), pages)
        for command_id in stale:
            if command_id in found:
                self._runs[command_id] = found[command_id]
            else:
                # Not in the shared listing (a busy account pushed it past the pages read): ask for it alone.
                self._refresh(command_id)
        return set(open_ids)

    @staticmethod
    def _counters_suffice(command: dict[str, t.Any]) -> bool:
        """True while the command's counters say some known targets have not ended yet."""
        target_count = command.get("TargetCount") or 0
        command_done = is_terminal(lookup(AWS_SSM_COMMAND, command.get("StatusDetails"), command.get("Status")))
        return bool(target_count) and (command.get("CompletedCount") or 0) < target_count and not command_done

    def _poll_counters(self, command_id: str, unread: dict[str, int]) -> list[dict[str, t.Any]]:
        """The failures read so far, and the rest of the command as counts (added to ``unread``)."""
        command = self._runs[command_id]
        errors = (command.get("ErrorCount") or 0) + (command.get("DeliveryTimedOutCount") or 0)
        if self.follow_failures and errors > self._failures_at.get(command_id, 0):
            failed = []
            for status in FAILURE_FILTERS:
                failed.extend(self._provider.list_command_invocations(command_id, status=status))
            self._failures[command_id] = [record for item in failed for record in invocation_records(item, self._include_output)]
            self._failures_at[command_id] = errors
        records = [record for record in self._failures.get(command_id, []) if record["terminal"]]
        done = command.get("CompletedCount") or 0
        # Progress only, never a verdict: the counters do not tell cancelled or undeliverable targets
        # from successes, so they count with the successes until the records are read.
        counted = {
            "success": max(done - errors, 0),
            "failed": max(errors - len(records), 0),
            NOT_FINISHED: max(command["TargetCount"] - done, 0),
        }
        for status, count in counted.items():
            unread[status] = unread.get(status, 0) + count
        return records

    # -- invocations ------------------------------------------------------------------------

    def _poll_command(self, command_id: str, refreshed: bool = False) -> tuple[list[dict[str, t.Any]], int, list[str], bool]:
        if command_id in self._settled:
            records = self._settled[command_id]
            return records, len({record["instance_id"] for record in records}), [], True
        command = self._runs[command_id]
        invocations = self._provider.list_command_invocations(command_id)
        if self._instance_ids:
            invocations = [item for item in invocations if item.get("InstanceId") in self._wanted]
        seen = {item.get("InstanceId") for item in invocations}
        target_count = command.get("TargetCount") or 0
        if not refreshed and (not target_count or (not self._instance_ids and len(seen) < target_count)):
            # Tag targets and rate control make the target set known late: refresh the count
            # only while it does not match what is visible.
            command = self._refresh(command_id)
            target_count = command.get("TargetCount") or 0
            refreshed = True
        records = [record for item in invocations for record in invocation_records(item, self._include_output)]
        command_done = is_terminal(lookup(AWS_SSM_COMMAND, command.get("StatusDetails"), command.get("Status")))
        if self._instance_ids:
            expected = len(self._instance_ids)
            missing = [f"instance {instance_id} in command {command_id}" for instance_id in self._instance_ids if instance_id not in seen]
        else:
            expected = max(target_count, len(seen))
            missing = []
            if not seen and (target_count or not command_done):
                # Right after SendCommand the list can be empty even where the command reads done.
                missing = [f"the invocations of command {command_id}"]
            elif len(seen) < target_count and command_done:
                missing = [f"{target_count - len(seen)} of {target_count} invocations of command {command_id}"]
            # Otherwise fewer seen than counted means rate control has not reached them yet.
        if missing:
            complete = False
        elif not records:
            # A finished command with no targets at all (a tag that matched nothing).
            complete = command_done
        else:
            complete = all(record["terminal"] for record in records) and len(seen) >= expected
        if complete:
            if not refreshed:
                # One last read so the vendor's own aggregate beside ours is current, not stale.
                self._refresh(command_id)
            self._settled[command_id] = records
            expected = len(seen)
        return records, expected, missing, complete

    def _refresh(self, command_id: str) -> dict[str, t.Any]:
        command = self._provider.get_command(command_id, may_appear=True) or self._runs[command_id]
        self._runs[command_id] = command
        return command


# An error document in XML, inside the message botocore gives for a JSON API's error it could not
# parse (an endpoint or proxy answering in XML, as moto_server does for a refused signature).
XML_ERROR = re.compile(r"<Code>(?P<code>[^<]+)</Code>\s*<Message>(?P<message>[^<]*)</Message>")


def json_error(response: dict[str, t.Any]) -> tuple[str, str]:
    """(code, message) of a ClientError, the service's code even when a JSON API answered in XML."""
    details = response.get("Error", {}) or {}
    metadata = response.get("ResponseMetadata", {}) or {}
    code = str(details.get("Code") or f"HTTP{metadata.get('HTTPStatusCode', '')}")
    message = str(details.get("Message") or code)
    inner = XML_ERROR.search(message)
    if code.isdigit() and inner:
        return inner.group("code"), inner.group("message")
    return code, message


def utc_timestamp(value: t.Any) -> t.Any:
    """A timestamp of an answer as botocore's parser would give it, read faster.

    SSM's JSON gives times as epoch seconds. botocore's own parser turns each into a datetime in
    the machine's local zone through dateutil, which costs more than the rest of the answer: a
    final read of 10,000 invocations holds 30,000 of them (about 0.35 s of CPU, measured with
    botocore's JSON parser over 200 pages). The same moment as a UTC datetime is what every
    record keeps anyway; text (an HTTP date, an ISO string) goes to botocore's parser as before.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass  # botocore's parser says what is wrong with it
    return botocore.utils.parse_timestamp(value)


def botocore_session() -> t.Any:
    """A botocore session whose clients read timestamps with :func:`utc_timestamp` (the
    ``timestamp_parser`` default of its response parser factory, a session component)."""
    session = botocore.session.Session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)
    return session


class AwsSsmProvider:
    """SSM Run Command: reads, waits and starts, with boto3."""

    name = PROVIDER

    def __init__(self, options: dict[str, t.Any], client: t.Any = None) -> None:
        self._options = options
        self._client = client
        self._send_client: t.Any = None
        self.timer = RequestTimer(options.get("request_timeout"), PROVIDER)
        # HTTP requests sent (botocore's own retries included), and how many of them were retries.
        self.api_calls = 0
        self.retries = 0
        # Requests botocore has sent so far (its ``before-send`` event: one per attempt).
        self._sent = 0
        # The raw body of the last answer, when botocore reports it (for messages about its shape).
        self._last_body: t.Any = None
        # When each command was last read (monotonic seconds), so a wait does not read it twice at once.
        self._read_at: dict[str, float] = {}
        # Shown by the module or lookup once the task ends (the plain-HTTP opt-in).
        self.warnings: list[str] = []
        self._session: t.Any = None
        self._config: t.Any = None
        self._verify: t.Any = True
        self._s3_client: t.Any = None
        self._logs_client: t.Any = None
        self._sqs_client: t.Any = None

    # -- connection ---------------------------------------------------------------------------

    def _option(self, name: str) -> t.Any:
        return setting(self._options, name, SPEC.environment)

    def client(self) -> t.Any:
        if self._client is not None:
            return self._client
        if not HAS_BOTO3:
            raise MissingDependency("boto3", BOTO3_IMPORT_ERROR)
        endpoint_url = self._option("endpoint_url")
        warning = check_plain_http(endpoint_url, bool(self._options.get("allow_plain_http")), PROVIDER)
        if warning:
            self.warnings.append(warning)
        region = self._option("region")
        profile = self._option("profile")
        if self._options.get("profile") and self._options.get("access_key"):
            raise InvalidInput("profile and access_key exclude each other: give either a profile or the keys", provider=PROVIDER)
        try:
            session = boto3.session.Session(
                botocore_session=botocore_session(),
                aws_access_key_id=self._option("access_key"),
                aws_secret_access_key=self._option("secret_key"),
                aws_session_token=self._option("session_token"),
                profile_name=profile,
                region_name=region,
            )
        except botocore.exceptions.ProfileNotFound as error:
            raise InvalidInput(f"AWS profile {profile!r} was not found in the shared config or credentials files", provider=PROVIDER) from error
        region = session.region_name
        if not region:
            raise InvalidInput("no AWS region: set region (or the AWS_REGION environment variable)", provider=PROVIDER)
        if not REGION_PATTERN.match(region):
            raise InvalidInput(f"region {region!r} is not an AWS region name such as 'eu-west-1'", provider=PROVIDER)
        # The retry mode is set explicitly: botocore's default changed from legacy to standard in
        # 1.44, and waits must behave the same on every execution environment.
        # Every request's total time is bounded by BoundedSender (below). These timeouts bound each
        # socket wait inside botocore's session too, so an attempt the sender gave up on ends in the
        # background soon after (botocore's default read timeout is 60 s).
        per_request = self.timer.limit
        budget = self._options.get("timeout")
        if isinstance(budget, (int, float)) and not isinstance(budget, bool) and budget > 0:
            per_request = min(per_request, max(float(budget), MIN_REQUEST_SECONDS))
        config = Config(retries={"mode": "standard", "total_max_attempts": 5}, user_agent_extra="multicloud.invocations",
                        connect_timeout=per_request, read_timeout=per_request)
        if self._options.get("aws_config"):
            try:
                config = config.merge(Config(**self._options["aws_config"]))
            except TypeError as error:
                raise InvalidInput(f"aws_config holds an option botocore's Config does not take: {error}", provider=PROVIDER) from error
        verify: t.Any = self._option("ca_bundle") or True
        if self._options.get("validate_certs") is False:
            verify = False
        # Kept for the S3 client that fetches the complete output (same credentials, TLS and timeouts).
        self._session, self._config, self._verify = session, config, verify
        self._client = session.client("ssm", endpoint_url=endpoint_url, config=config, verify=verify)
        self._client.meta.events.register("after-call.ssm", refuse_cut_short_answers)
        self._client.meta.events.register("before-parse.ssm", self._keep_body)
        self._client.meta.events.register("needs-retry.ssm", self._no_retry_past_the_budget)
        # Counted before the bounded sender answers the event: botocore stops at the first handler
        # that returns a response, so a hook registered after it would never run.
        self._client.meta.events.register("before-send.ssm", self._count_request)
        BoundedSender.install(self._client, self.timer.bound)
        # SendCommand has no idempotency token: botocore must not send it again after a reset or a
        # read timeout (the command may already run), so starts go through a client that never
        # retries. Whatever aws_config says, this one is not overridden.
        self._send_client = session.client("ssm", endpoint_url=endpoint_url, verify=verify,
                                           config=config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1})))
        self._send_client.meta.events.register("after-call.ssm", refuse_cut_short_answers)
        self._send_client.meta.events.register("before-parse.ssm", self._keep_body)
        self._send_client.meta.events.register("before-send.ssm", self._count_request)
        BoundedSender.install(self._send_client, self.timer.bound)
        return self._client

    # -- the complete output in S3 (fetch_complete_output) ------------------------------------

    def s3_client(self) -> t.Any:
        """An S3 client on the SSM client's session, at ``s3_endpoint_url`` (a VPC endpoint, a test
        server) or S3's own endpoint."""
        if self._s3_client is None:
            # Path-style addressing: a bucket name never has to resolve as a host name of a custom endpoint.
            path_style = Config(s3={"addressing_style": "path"}) if self._options.get("s3_endpoint_url") else None
            self._s3_client = self._side_client("s3", "s3_endpoint_url", path_style)
        return self._s3_client

    def logs_client(self) -> t.Any:
        """A CloudWatch Logs client on the SSM client's session, at ``logs_endpoint_url`` (a VPC
        endpoint, a test server) or CloudWatch Logs' own endpoint."""
        if self._logs_client is None:
            self._logs_client = self._side_client("logs", "logs_endpoint_url")
        return self._logs_client

    # -- the status events a wait wakes on (event_queue) -----------------------------------------

    def event_queue(self, queue_url: str) -> EventQueue:
        """The SQS queue ``queue_url`` at ``event_queue_endpoint_url`` (or SQS's own endpoint, which
        AWS_ENDPOINT_URL_SQS may set), with the SSM client's credentials, region, TLS settings and
        budget. Its requests are counted by the queue (``sqs_calls``), apart from SSM's ``api_calls``."""
        if self._sqs_client is None:
            self._sqs_client = self._side_client("sqs", "event_queue_endpoint_url", counted=False)
        return EventQueue(self._sqs_client, queue_url)

    def longest_long_poll(self) -> float:
        """Seconds a long poll may wait now: its answer must come within the per-request limit and
        what is left of the budget, so a second is kept for it."""
        left = self.timer.left()
        return max(min(self.timer.limit, left if left is not None else self.timer.limit) - MIN_REQUEST_SECONDS, 0.0)

    def _side_client(self, service_name: str, endpoint_option: str, extra_config: t.Any = None, counted: bool = True) -> t.Any:
        """A client of another AWS service (the complete output's S3 or CloudWatch Logs, the event
        queue's SQS), with the SSM client's credentials, TLS settings and timeouts, its requests
        bound by the budget and (``counted``) counted in ``api_calls``."""
        self.client()
        if self._session is None:
            raise ProviderError(f"no {service_name} client can be made beside an SSM client built elsewhere", provider=PROVIDER)
        endpoint_url = self._options.get(endpoint_option)
        warning = check_plain_http(endpoint_url, bool(self._options.get("allow_plain_http")), PROVIDER, option=endpoint_option)
        if warning:
            self.warnings.append(warning)
        config = self._config.merge(extra_config) if extra_config is not None else self._config
        client = self._session.client(service_name, endpoint_url=endpoint_url, config=config, verify=self._verify)
        # botocore names a client's events by its service id ("s3", "cloudwatch-logs").
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"needs-retry.{service}", self._no_retry_past_the_budget)
        if counted:
            client.meta.events.register(f"before-send.{service}", self._count_request)
        BoundedSender.install(client, self.timer.bound, service=service)
        return client

    def close(self) -> None:
        """Close the pooled connections of every client it built (see Provider.close)."""
        for client in (self._client, self._s3_client, self._logs_client, self._sqs_client):
            closer = getattr(client, "close", None)  # None: not built (or a botocore without close())
            if closer is not None:
                closer()

    def fetch_complete_output(self, records: list[dict[str, t.Any]]) -> None:
        """Replace every stream SSM cut, of every ended record, with its complete copy from S3 or
        CloudWatch Logs; a failure is a warning on the record (aws_ssm_output.py)."""
        aws_ssm_output.fetch_complete_output(records, self._get_object, self._get_log_events)

    def _get_log_events(self, group: str, stream: str) -> list[str]:
        """Every event's message of one log stream, oldest first (every page, at most
        aws_ssm_output.MAX_LOG_PAGES of them)."""
        return aws_ssm_output.read_log_stream(self._logs_call, group, stream)

    def _logs_call(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        """One logs:GetLogEvents page."""
        return self._output_request(self.logs_client(), "GetLogEvents", lambda client: client.get_log_events(**request))

    def _get_object(self, bucket: str, key: str) -> str:
        """One s3:GetObject of at most aws_ssm_output.MAX_OBJECT_BYTES bytes, its body as text."""

        def read(client: t.Any) -> tuple[bytes, t.Any, t.Any]:
            got = client.get_object(Bucket=bucket, Key=key, Range=aws_ssm_output.OBJECT_RANGE)
            return got["Body"].read(), got.get("ContentRange"), (got.get("ResponseMetadata") or {}).get("RequestId")

        body, content_range, request_id = self._output_request(self.s3_client(), "S3 GetObject", read)
        return aws_ssm_output.object_text(body, content_range, bucket, key, request_id)

    def _output_request(self, client: t.Any, what: str, request: t.Callable[[t.Any], t.Any]) -> t.Any:
        """One request of the complete-output fetch (S3 or CloudWatch Logs), counted and bound by the
        budget; failures as typed errors with the service's code and request id."""
        sent_before = self._sent
        try:
            self.timer.seconds()  # raises BudgetSpent when too little of a wait's budget is left
            return request(client)
        except ClientError as error:
            response = getattr(error, "response", {}) or {}
            metadata = response.get("ResponseMetadata", {}) or {}
            code, message = json_error(response)
            raise ProviderError(f"{what} failed: {message}", provider=PROVIDER, code=code,
                                request_id=metadata.get("RequestId"), http_status=metadata.get("HTTPStatusCode")) from None
        except BudgetSpent as error:
            raise ProviderError(f"no time was left of the budget ({error.message})", provider=PROVIDER, code="BudgetSpent") from None
        except (BotoCoreError, AnswerTooSlow) as error:
            raise ProviderError(f"{what} failed: {redact_secrets_in_text(str(error))}", provider=PROVIDER,
                                code=type(error).__name__) from None
        finally:
            self._count_call(sent_before)

    def _count_request(self, **_kwargs: t.Any) -> None:
        """A ``before-send`` hook: botocore is about to send one HTTP request (a retry included)."""
        self._sent += 1

    def _keep_body(self, response_dict: t.Any = None, **_kwargs: t.Any) -> None:
        """Keep the raw body of the last answer (botocore's ``before-parse`` event), so a message about
        an answer of the wrong shape can quote what was really sent. Older botocore releases (1.31
        among them) do not emit the event: messages then quote the answer as botocore parsed it, and
        name a foreign error page by its HTTP status alone."""
        self._last_body = (response_dict or {}).get("body")

    def limit_requests_to(self, seconds: float) -> None:
        """No request from now on starts with less than a second of ``seconds`` left (a wait's budget)."""
        self.timer.budget(seconds)

    def _no_retry_past_the_budget(self, response: t.Any = None, caught_exception: t.Any = None, **_kwargs: t.Any) -> None:
        """A ``needs-retry`` hook: a failed attempt is not tried again once the budget is spent."""
        if isinstance(caught_exception, BudgetSpent):
            raise caught_exception  # the request timer refused to send it: nothing failed, nothing to retry
        failed = caught_exception is not None or (response is not None and getattr(response[0], "status_code", 200) >= 400)
        if failed:
            left = self.timer.left()
            if left is not None and left < MIN_REQUEST_SECONDS:
                raise BudgetSpent(left, PROVIDER, after=str(caught_exception or f"HTTP {response[0].status_code}"))

    def _count_call(self, sent_before: int) -> None:
        """Count one call's HTTP requests: what botocore sent, or one for a client built elsewhere
        (an injected or stubbed client sends nothing through our hook)."""
        requests_sent = max(self._sent - sent_before, 1)
        self.api_calls += requests_sent
        self.retries += requests_sent - 1

    def send_client(self) -> t.Any:
        """The client for SendCommand: one attempt per call (an injected client serves both)."""
        client = self.client()
        return self._send_client or client

    def _call(self, operation: str, _client: t.Any = None, **kwargs: t.Any) -> dict[str, t.Any]:
        client = _client or self.client()
        self.timer.seconds()  # raises BudgetSpent when too little of a wait's budget is left
        self._last_body = None
        name = _pascal(operation)
        sent_before = self._sent
        try:
            response = self._send(client, operation, name, kwargs)
        finally:
            self._count_call(sent_before)
        return check_answer(response, ANSWERS.get(name, ANY), provider=PROVIDER, service="SSM", operation=name, raw=self._last_body)

    def _send(self, client: t.Any, operation: str, name: str, kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
        """One call through botocore, its failures as our typed errors."""
        try:
            return getattr(client, operation)(**kwargs)
        except BudgetSpent:
            raise
        except SHAPE_ERRORS as error:
            # botocore itself could not read the answer: a list where its model has an object, a
            # number where it has a list. Not retried: what answered will answer the same again.
            raise wrong_shape(PROVIDER, "SSM", name, f"botocore could not read it: {error.__class__.__name__}: {error}",
                              self._last_body if self._last_body is not None else NO_RAW_BODY) from None
        except ClientError as error:
            failure = classify_client_error(error, name)
            if str(failure.code).isdigit() and isinstance(self._last_body, bytes):
                # botocore names a body that is not SSM's JSON (a proxy's error page) by its status alone.
                failure.message = f"SSM {name} failed: the endpoint answered with {describe_foreign_body(self._last_body.decode('utf-8', 'replace'))}"
            raise failure from error
        except CutShortAnswer as error:
            # Transient for the waiter (the next round asks again); a SendCommand is not sent twice.
            raise ProviderError(f"SSM {error}", provider=PROVIDER, http_status=200, retryable=True) from error
        except (NoCredentialsError, PartialCredentialsError) as error:
            raise AccessDenied(
                f"no usable AWS credentials: {error}. Set access_key and secret_key, a profile, or the AWS_* environment variables",
                provider=PROVIDER,
            ) from error
        except botocore.exceptions.SSLError as error:
            raise ProviderError(
                f"TLS verification of the SSM endpoint failed: {redact_secrets_in_text(str(error))}. Give the CA bundle with ca_bundle, "
                "or set validate_certs: false for a test endpoint you trust",
                provider=PROVIDER,
            ) from None
        except AnswerTooSlow as error:
            # The request was sent (or may have been): a SendCommand may have started the command.
            raise ProviderError(redact_secrets_in_text(str(error)), provider=PROVIDER, retryable=True) from None
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError, botocore.exceptions.ReadTimeoutError) as error:
            failure = ProviderError(f"cannot reach the SSM endpoint: {redact_secrets_in_text(str(error))}", provider=PROVIDER, retryable=True)
            # No connection was made (refused, connect timeout): the request surely never left.
            failure.not_sent = isinstance(error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError))
            raise failure from None
        except BotoCoreError as error:
            # Not chained, and the text redacted: botocore quotes the endpoint or proxy URL with its user-info.
            raise ProviderError(f"SSM {name} failed: {redact_secrets_in_text(str(error))}", provider=PROVIDER) from None

    # -- reads --------------------------------------------------------------------------------

    def get_command(self, command_id: str, may_appear: bool = False) -> dict[str, t.Any] | None:
        """The command (ListCommands), or NotFound. ``may_appear`` marks an id we just created."""
        try:
            response = self._call("list_commands", CommandId=command_id)
        except NotFound as error:
            error.retryable = may_appear
            error.message = f"command {command_id} does not exist in this account and region ({error.message})"
            raise
        commands = response.get("Commands") or []
        if not commands:
            raise NotFound(f"command {command_id} does not exist in this account and region", provider=PROVIDER, retryable=may_appear)
        self._read_at[command_id] = time.monotonic()
        return plain(commands[0])

    def read_within(self, command_id: str, seconds: float) -> bool:
        """True when this provider read the command less than ``seconds`` ago."""
        read_at = self._read_at.get(command_id)
        return read_at is not None and time.monotonic() - read_at < seconds

    def commands_requested_since(self, requested_after: str, wanted: set[str], max_pages: int) -> dict[str, dict[str, t.Any]]:
        """The wanted commands found among those requested since a moment (ListCommands, 50 a page).

        One call reads up to 50 commands, so a wait on many commands reads their counters at the
        cost of one. Stops once every wanted command is found, or after ``max_pages`` pages.
        """
        request: dict[str, t.Any] = {"MaxResults": PAGE_SIZE, "Filters": [{"key": "InvokedAfter", "value": _one_second_before(requested_after)}]}
        found: dict[str, dict[str, t.Any]] = {}
        for _page in range(max_pages):
            response = self._call("list_commands", **request)
            for command in response.get("Commands") or []:
                if command.get("CommandId") in wanted:
                    found[command["CommandId"]] = plain(command)
                    self._read_at[command["CommandId"]] = time.monotonic()
            token = response.get("NextToken")
            if not token or len(found) == len(wanted):
                break
            request["NextToken"] = token
        return found

    def describe_commands(self, command_ids: list[str]) -> list[dict[str, t.Any]]:
        for command_id in command_ids:
            validate_command_id(command_id)
        return [self.get_command(command_id) for command_id in command_ids]

    def list_command_invocations(
        self, command_id: str | None = None, instance_id: str | None = None, limit: int | None = None, status: str | None = None
    ) -> list[dict[str, t.Any]]:
        """Every page of ListCommandInvocations with Details=true (or the first ``limit`` items), optionally of one status."""
        request: dict[str, t.Any] = {"Details": True, "MaxResults": PAGE_SIZE}
        if command_id:
            request["CommandId"] = command_id
        if instance_id:
            request["InstanceId"] = instance_id
        if status:
            request["Filters"] = [{"key": "Status", "value": status}]

        def page(request: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], str | None]:
            response = self._call("list_command_invocations", **request)
            return response.get("CommandInvocations") or [], response.get("NextToken")

        return token_pages(page, request, SPEC.expired_page_token, limit)

    def get_command_invocation(self, command_id: str, instance_id: str, plugin_name: str | None = None) -> dict[str, t.Any]:
        request = {"CommandId": command_id, "InstanceId": instance_id}
        if plugin_name:
            request["PluginName"] = plugin_name
        return self._call("get_command_invocation", **request)

    @staticmethod
    def _check_selectors(command_id: str | None, instance_id: str | None, plugin_name: str | None, limit: int) -> None:
        if not (command_id or instance_id):
            raise InvalidInput("give command_id, instance_id or both to say which invocations to read")
        if limit < 1:
            raise InvalidInput(f"max_results must be 1 or more, got {limit}")
        if plugin_name and not (command_id and instance_id):
            raise InvalidInput("plugin_name needs both command_id and instance_id")
        if command_id:
            validate_command_id(command_id)
        if instance_id:
            validate_instance_id(instance_id)

    def raw_query(self, command_id: str | None, instance_id: str | None, plugin_name: str | None, limit: int) -> dict[str, t.Any]:
        """The SSM response for the selectors: GetCommandInvocation's, or every ListCommandInvocations page joined."""
        self._check_selectors(command_id, instance_id, plugin_name, limit)
        if command_id and instance_id:
            return plain(self.get_command_invocation(command_id, instance_id, plugin_name))
        limit_items = None if command_id else limit
        return {"CommandInvocations": plain(self.list_command_invocations(command_id=command_id, instance_id=instance_id, limit=limit_items))}

    def query(
        self, command_id: str | None, instance_id: str | None, plugin_name: str | None, include_output: bool, limit: int
    ) -> tuple[list[dict[str, t.Any]], int, dict[str, t.Any]]:
        """What invocation_info shows: (records, expected targets, vendor aggregates)."""
        self._check_selectors(command_id, instance_id, plugin_name, limit)
        if command_id and instance_id:
            # One target: the single-item call gives the full 24,000 / 8,000 character output.
            response = self.get_command_invocation(command_id, instance_id, plugin_name)
            return [get_invocation_record(response, include_output)], 1, {}
        if command_id:
            command = self.get_command(command_id)
            invocations = self.list_command_invocations(command_id=command_id)
            records = [record for item in invocations for record in invocation_records(item, include_output)]
            expected = max(command.get("TargetCount") or 0, len({item.get("InstanceId") for item in invocations}))
            return records, expected, {command_id: command_summary(command)}
        invocations = self.list_command_invocations(instance_id=instance_id, limit=limit)
        records = [record for item in invocations for record in invocation_records(item, include_output)]
        return records, len(invocations), {}

    # -- waits --------------------------------------------------------------------------------

    def watch(self, commands: list[dict[str, t.Any]], instance_ids: list[str], include_output: bool) -> Watch:
        if commands and aws_ssm_windows.is_window_handle(commands[0]):
            return aws_ssm_windows.watch(self, commands, include_output)
        for instance_id in instance_ids:
            validate_instance_id(instance_id)
        return CommandWatch(self, commands, instance_ids, include_output)

    def default_timeout(self, commands: list[dict[str, t.Any]]) -> float:
        if commands and aws_ssm_windows.is_window_handle(commands[0]):
            return aws_ssm_windows.window_budget(commands[0])
        return max(command_budget(command) for command in commands)

    # -- starts -------------------------------------------------------------------------------

    def send_command(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        """SendCommand, sent once. When its answer is lost, the command is looked for by the marker
        in its Comment among the commands sent since; found, it is returned as if answered."""
        sent_at = datetime.datetime.now(datetime.timezone.utc)
        try:
            return plain(self._call("send_command", _client=self.send_client(), **request)["Command"])
        except InvocationError as failure:
            if not may_have_reached(failure):
                raise
            marker = str(request.get("Comment") or "").rsplit(" ", 1)[-1]
            found = self._find_by_marker(marker, sent_at) if marker.startswith(START_MARKER_PREFIX) else None
            if found is None:
                raise start_unconfirmed(
                    failure, f"SSM SendCommand (Comment marker {marker})",
                    f"list the commands sent since {iso8601(sent_at)} (aws ssm list-commands --filters "
                    f"key=InvokedAfter,value={_one_second_before(iso8601(sent_at) or '')}) and look for {marker} in their Comment",
                ) from None
            return found

    def _find_by_marker(self, marker: str, sent_at: datetime.datetime) -> dict[str, t.Any] | None:
        """The command whose Comment ends with ``marker``, among those sent since ``sent_at``."""
        request: dict[str, t.Any] = {"MaxResults": PAGE_SIZE, "Filters": [{"key": "InvokedAfter", "value": _one_second_before(iso8601(sent_at) or "")}]}
        for pause in READ_BACK_PAUSES:
            if pause:
                time.sleep(pause)
            request.pop("NextToken", None)
            try:
                for _page in range(READ_BACK_PAGES):
                    response = self._call("list_commands", **request)
                    for command in response.get("Commands") or []:
                        if str(command.get("Comment") or "").endswith(marker):
                            return plain(command)
                    if not response.get("NextToken"):
                        break
                    request["NextToken"] = response["NextToken"]
            except InvocationError:
                continue  # the next pause, or the error that says the start is unconfirmed
        return None

    def cancel_command(self, command_id: str, instance_ids: list[str] | None = None) -> None:
        request: dict[str, t.Any] = {"CommandId": command_id}
        if instance_ids:
            request["InstanceIds"] = instance_ids
        self._call("cancel_command", **request)

    # -- agents -------------------------------------------------------------------------------

    def managed_nodes(self, filters: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Every page of DescribeInstanceInformation for ``filters``, 50 a page."""
        request: dict[str, t.Any] = {"Filters": filters, "MaxResults": PAGE_SIZE}
        nodes: list[dict[str, t.Any]] = []
        while True:
            response = self._call("describe_instance_information", **request)
            nodes.extend(response.get("InstanceInformationList") or [])
            if not response.get("NextToken"):
                return nodes
            request["NextToken"] = response["NextToken"]

    def agent_states(self, instance_ids: list[str], targets: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Each target's agent. Tag targets: the managed nodes the tags select (the nodes SendCommand's Targets reach).
        Instance ids: in the order given; one that is not a managed node is not_registered."""
        if targets:
            return [aws_ssm_agents.node_agent(node) for node in self.managed_nodes(aws_ssm_agents.tag_filters(targets))]
        for instance_id in instance_ids:
            validate_instance_id(instance_id)
        found: dict[str, dict[str, t.Any]] = {}
        for filters in aws_ssm_agents.id_filters(instance_ids):
            for node in self.managed_nodes(filters):
                found[node["InstanceId"]] = node
        return [aws_ssm_agents.node_agent(found[i]) if i in found else aws_ssm_agents.missing_agent(i) for i in instance_ids]

    # -- the provider protocol (docs/design.md): what modules, the lookup and the role call -----

    def read(self, params: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], int, dict[str, t.Any]]:
        if selects_window(params):
            return aws_ssm_windows.read(self, params)
        return self.query(
            params.get("command_id"), params.get("instance_id"), params.get("plugin_name"), params.get("include_output", True), params.get("max_results", 50)
        )

    def read_raw(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if selects_window(params):
            return aws_ssm_windows.read_raw(self, params)
        return self.raw_query(params.get("command_id"), params.get("instance_id"), params.get("plugin_name"), params.get("max_results", 50))

    def wait_targets(self, params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        """The commands to wait on, read once so an unknown id fails at once."""
        if selects_window(params):
            return aws_ssm_windows.wait_targets(self, params)
        # Every id is checked before the first call, instance ids too (watch() checks them again).
        return self.describe_commands(ids_to_wait_on(PROVIDER, params, validate_command_id, validate_instance_id))

    def start_request(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        return with_start_marker(build_send_request(params), new_start_marker())

    def start(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        return self.send_command(request)

    def cancel(self, commands: list[dict[str, t.Any]]) -> None:
        if commands and aws_ssm_windows.is_window_handle(commands[0]):
            return  # refused before the wait (wait_targets): window runs are not cancelled from here
        for command in commands:
            if not is_terminal(lookup(AWS_SSM_COMMAND, command.get("StatusDetails"), command.get("Status"))):
                self.cancel_command(command["CommandId"])

    @staticmethod
    def started(command: dict[str, t.Any]) -> dict[str, t.Any]:
        """What invocation_run returns for a command just sent, before any wait."""
        records = pending_records(command)
        return {"command_id": command["CommandId"], "command": command, "invocations": records, "expected": command.get("TargetCount") or len(records)}


def _one_second_before(moment: str) -> str:
    """An ISO 8601 time one second earlier, in the form the InvokedAfter filter takes (whole seconds, Z)."""
    parsed = parse_time(moment)
    if parsed is None:
        return moment
    return (parsed - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pascal(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))
