# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Zenlayer ZOS over HTTPS with requests, signed by our own ZC2 code (or a Bearer token).

ZOS has no one-shot run and no cancel: a run is CreateCommand then InvokeCommand, and its
execution timeout is 1-60 seconds. Facts are from Zenlayer's SDK (https://github.com/zenlayer/zenlayercloud-sdk-python).
"""

from __future__ import annotations

import datetime
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    InvocationError,
    MissingDependency,
    NotFound,
    ProviderError,
    start_unconfirmed,
)
from ansible_collections.multicloud.invocations.plugins.module_utils import _http
from ansible_collections.multicloud.invocations.plugins.module_utils._http import SignedHttpClient, SignedRequest, may_have_reached
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import ANY, check_answer
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import RunWatch, SignedHttpProvider, ids_to_wait_on, named_runs_exist
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_records import (
    ANSWERS,
    ENVELOPE,
    PROVIDER,
    instance_record,
    instance_rows,
    instance_status,
    invocation_budget,
    invocation_fields,
    invocation_records,
    invocation_summary,
    next_timeout_in,
    parse_time,
    pending_records,
    with_invocation,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_requests import (
    build_describe_invocations,
    build_invoke_command,
    build_run_requests,
    ENDED_INVOCATION_STATUSES,
    is_last_page,
    json_body,
    validate_command_id,
    validate_instance_id,
    validate_invocation_id,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_spec import SPEC
from ansible_collections.multicloud.invocations.plugins.module_utils._record import iso8601
from ansible_collections.multicloud.invocations.plugins.module_utils._row_records import RowRecords
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import RUNNING
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import classify_error as spec_classify_error, setting
from ansible_collections.multicloud.invocations.plugins.module_utils._signing_zc2 import bearer_headers, zc2_headers
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

API_VERSION = "2025-10-10"
DEFAULT_ENDPOINT = "https://console.zenlayer.com/api/v2/zos"
API_PATH = "/api/v2/zos"
PAGE_SIZE = SPEC.page_size

COMMAND_TYPES = {"RunShellScript": "SHELL", "RunPowerShellScript": "POWERSHELL", "RunBatScript": "BAT"}
# Pauses before each read of a command's invocations after an InvokeCommand answer was lost: a
# run just started may take a moment to be listed.
READ_BACK_PAUSES = (0.0, 1.0, 2.0)
# An invocation read less than this long ago (the check of the ids right before a wait's first
# round) is current: that round need not ask for it again.
FRESH_SECONDS = 1.0


def classify_error(http_status: int, body: dict[str, t.Any], headers: t.Mapping[str, str], action: str) -> InvocationError:
    """A ZOS error envelope as one of our typed errors, code and requestId kept."""
    if http_status == 403 and str(headers.get("cf-mitigated", "")).lower() == "challenge":
        return AccessDenied(
            f"ZOS {action} was stopped by a security challenge in front of the API (HTTP 403, cf-mitigated: challenge): "
            "the request came from an address or client the edge does not trust; retrying will not help",
            provider=PROVIDER, code="SECURITY_CHALLENGE", http_status=403,
        )
    return spec_classify_error(SPEC, action, body.get("code"), body.get("message"), http_status=http_status, request_id=body.get("requestId"))


def _setting(options: dict[str, t.Any], name: str) -> t.Any:
    return setting(options, name, SPEC.environment)


class ZenlayerClient(SignedHttpClient):
    """ZOS actions, signed with ZC2-HMAC-SHA256 or carrying a bearer token."""

    def __init__(self, options: dict[str, t.Any], sleep: t.Callable[[float], None] = time.sleep) -> None:
        if not _http.HAS_REQUESTS:
            raise MissingDependency("requests", _http.REQUESTS_IMPORT_ERROR)
        self.access_key = _setting(options, "access_key")
        self.password = _setting(options, "secret_key")
        self.token = _setting(options, "token")
        if not self.token and not (self.access_key and self.password):
            raise AccessDenied(
                "no Zenlayer credentials: set access_key and secret_key (alias access_key_password), or token, or the "
                "ZENLAYERCLOUD_ACCESS_KEY_ID / ZENLAYERCLOUD_ACCESS_KEY_PASSWORD or ZENLAYER_TOKEN environment variables",
                provider=PROVIDER,
            )
        super().__init__(SPEC, options, options.get("endpoint_url") or DEFAULT_ENDPOINT, sleep)
        self.url = f"{self.base_url}{self.path if self.path not in ('', '/') else API_PATH}"

    def sign(self, action: str, params: dict[str, t.Any]) -> SignedRequest:
        body = json_body(params)
        if self.token:
            headers = bearer_headers(self.token, action, API_VERSION, host=self.host)
        else:
            headers = zc2_headers(action, API_VERSION, int(time.time()), body, self.host, self.access_key, self.password)
        return SignedRequest(self.url, headers, data=body)

    def answer(self, action: str, http_status: int, body: dict[str, t.Any]) -> dict[str, t.Any]:
        facts = {"provider": PROVIDER, "service": SPEC.service, "operation": action, "http_status": http_status}
        envelope = check_answer(body, ENVELOPE, **facts)
        return check_answer(envelope["response"], ANSWERS.get(action, ANY), raw=body, **facts)

    def refusal(self, action: str, http_status: int, body: dict[str, t.Any], headers: t.Mapping[str, str]) -> InvocationError:
        return classify_error(http_status, body, headers, action)

    def invocations(self, invocation_ids: list[str] | None = None, command_ids: list[str] | None = None, instance_ids: list[str] | None = None,
                    limit: int | None = None, statuses: t.Sequence[str] | None = None) -> list[dict[str, t.Any]]:
        """Every page of DescribeCommandInvocations: stops on totalCount or a short page.

        ``statuses`` keeps only the invocations in those ``invocationStatus`` values (the documented
        ``invocationStatuses`` filter)."""
        items: list[dict[str, t.Any]] = []
        page = 1
        while True:
            response = self.call("DescribeCommandInvocations",
                                 build_describe_invocations(invocation_ids, command_ids, instance_ids, page, PAGE_SIZE, statuses))
            data = response.get("dataSet") or []
            items.extend(data)
            if is_last_page(data, PAGE_SIZE, len(items), response.get("totalCount")) or (limit and len(items) >= limit):
                return items[:limit] if limit else items
            page += 1


class InvocationWatch(RunWatch):
    """A wait over several invocation ids: one DescribeCommandInvocations call a round (per 100 open invocations).

    ZOS has no counters, and an invocation's answer nests every one of its instances (200 at most),
    so reading every open invocation each round costs HTTP, JSON and shape checks in proportion to
    the fleet. A round therefore asks only which open invocations have ended, with the documented
    ``invocationStatuses`` filter (Success, Failed, PartialFailed; Zenlayer API reference,
    DescribeCommandInvocations): those come back whole, and are read once; the others are still
    open, and the last full read of each speaks for it (``unread``: counted in the progress, not in
    the verdict). The wait ends when every invocation has ended, as before.

    An invocation is read in full every round when the wait needs its instances before it ends:
    a wait on chosen instances (``instance_ids``), one that stops at the first failure
    (``follow_failures``: fail_fast, stop_early, thresholds) so that it sees the failure as early as
    before, an invocation never read in full yet (just started: it may not be listed at first,
    which the not-found grace judges) or read without instances, and the read of everything that
    ends an early stop (``read_all``). Those rounds keep each invocation's records between rounds
    (``RowRecords``): a round builds only the records of instances whose row changed.
    """

    run_key = "invocationId"

    def __init__(self, provider: t.Any, runs: list[dict[str, t.Any]], instance_ids: list[str], include_output: bool) -> None:
        super().__init__(provider, runs, instance_ids, include_output)
        self._records_of: dict[str, RowRecords] = {}
        # Per open invocation, from the item its counts were taken from: (that item, its instances
        # per normalised status, one stand-in record per distinct start of a running instance).
        self._open_view: dict[str, tuple[dict[str, t.Any], dict[str, int], list[dict[str, t.Any]]]] = {}
        self._rounds = 0

    def poll(self) -> Snapshot:
        snapshot = Snapshot()
        now = datetime.datetime.now(datetime.timezone.utc)
        fresh, counted = self._read_round()
        self._rounds += 1
        for invocation_id in self._runs:
            if invocation_id in self._settled:
                records = self._settled[invocation_id]
            elif invocation_id in fresh:
                item = self._runs[invocation_id] = fresh[invocation_id]
                records = self._records_of_item(invocation_id, item, snapshot, now)
            elif invocation_id in counted:
                self._count_open(invocation_id, snapshot, now)
                continue
            else:
                snapshot.missing.append(f"invocation {invocation_id}")
                continue
            snapshot.records.extend(records)
            # The instances asked for count as targets even while the invocation does not list them.
            snapshot.expected += max(len(records), len(self._instance_ids))
            snapshot.vendor_aggregate[invocation_id] = invocation_summary(self._runs[invocation_id])
        snapshot.complete = self._all_settled()
        return snapshot

    def _read_round(self) -> tuple[dict[str, dict[str, t.Any]], set[str]]:
        """(the invocations read whole this round by id, the open ones their last full read speaks for)."""
        open_ids = self._open_ids()
        if self._instance_ids or self.follow_failures or self._read_everything:
            whole, counted = open_ids, []
        else:
            counted = [invocation_id for invocation_id in open_ids if instance_rows(self._runs[invocation_id])]
            whole = [invocation_id for invocation_id in open_ids if invocation_id not in counted]
        fresh: dict[str, dict[str, t.Any]] = {}
        client = self._provider.client()
        if whole:
            fresh.update((item.get("invocationId"), item) for item in client.invocations(invocation_ids=whole))
        ask = counted
        if counted and not self._rounds:
            # The first round right after the ids were checked (wait_targets read them a moment ago):
            # that read is current, so it is not asked for again.
            current = [invocation_id for invocation_id in counted if self._provider.read_within(invocation_id, FRESH_SECONDS)]
            fresh.update((invocation_id, self._runs[invocation_id]) for invocation_id in current
                         if self._runs[invocation_id].get("invocationStatus") in ENDED_INVOCATION_STATUSES)
            ask = [invocation_id for invocation_id in counted if invocation_id not in current]
        if ask:
            # Only the invocations that have ended come back (whole); the rest are still open.
            fresh.update((item.get("invocationId"), item) for item in client.invocations(invocation_ids=ask, statuses=ENDED_INVOCATION_STATUSES))
        return fresh, set(counted) - set(fresh)

    def _records_of_item(self, invocation_id: str, item: dict[str, t.Any], snapshot: Snapshot, now: datetime.datetime) -> list[dict[str, t.Any]]:
        """The records of an invocation read whole; it is settled once every instance has ended."""
        rows = instance_rows(item)
        missing_here: list[str] = []
        if self._instance_ids:
            rows = [row for row in rows if row.get("instanceId") in self._wanted]
            seen = {row.get("instanceId") for row in rows}
            missing_here = [f"instance {i} in invocation {invocation_id}" for i in self._instance_ids if i not in seen]
            snapshot.missing.extend(missing_here)
        records = self._records(invocation_id).records(invocation_fields(item), rows)
        # An instance asked for but not listed keeps the invocation open (the grace decides).
        if not missing_here and records and all(record["terminal"] for record in records):
            self._settled[invocation_id] = records
            # Never read again: its rows need not be kept.
            del self._records_of[invocation_id]
            self._open_view.pop(invocation_id, None)
        else:
            self._wake_by(snapshot, next_timeout_in(item, records, now))
        return records

    def _count_open(self, invocation_id: str, snapshot: Snapshot, now: datetime.datetime) -> None:
        """An invocation still open, as its last full read counted it: progress only, never a verdict."""
        item = self._runs[invocation_id]
        view = self._open_view.get(invocation_id)
        if view is None or view[0] is not item:
            # Taken once per full read, not once a round: a round costs the same whatever the fleet.
            counts: dict[str, int] = {}
            starts: dict[t.Any, dict[str, t.Any]] = {}
            for row in instance_rows(item):
                status = instance_status(row.get("taskStatus"), row.get("errorCode") or None)
                counts[status] = counts.get(status, 0) + 1
                if status == RUNNING and row.get("execStartTime") not in starts:
                    starts[row.get("execStartTime")] = {"terminal": False, "status": RUNNING, "started_at": row.get("execStartTime")}
            view = self._open_view[invocation_id] = (item, counts, list(starts.values()))
        _item, counts, running = view
        for status, count in counts.items():
            snapshot.unread[status] = snapshot.unread.get(status, 0) + count
        snapshot.expected += sum(counts.values())
        snapshot.vendor_aggregate[invocation_id] = invocation_summary(item)
        # Its running instances' execution timeouts still fall due when they did: look just after.
        self._wake_by(snapshot, next_timeout_in(item, running, now))
        # Counts that do not move say nothing here (the aggregate hides the instances' progress):
        # the pacer keeps its base interval rather than backing off, as the peers that poll ZOS do.
        snapshot.progress_hidden = True

    def _records(self, invocation_id: str) -> RowRecords:
        """The records an open invocation keeps between rounds."""
        if invocation_id not in self._records_of:
            include_output = self._include_output
            self._records_of[invocation_id] = RowRecords(
                lambda fields, row: instance_record(fields, row, include_output), key=lambda row: row.get("instanceId"), refresh=with_invocation)
        return self._records_of[invocation_id]


class ZenlayerZosProvider(SignedHttpProvider):
    """ZOS: reads, waits and starts (the provider protocol, _provider.py); it has no cancel."""

    name = PROVIDER
    client_class = ZenlayerClient
    watch_class = InvocationWatch
    run_budget = staticmethod(invocation_budget)

    def __init__(self, options: dict[str, t.Any], client: t.Any = None) -> None:
        super().__init__(options, client)
        # When each invocation was last read whole (monotonic clock), for the wait's first round.
        self._read_at: dict[str, float] = {}

    def read_within(self, invocation_id: str, seconds: float) -> bool:
        """True when this provider read the invocation whole less than ``seconds`` ago."""
        read_at = self._read_at.get(invocation_id)
        return read_at is not None and time.monotonic() - read_at < seconds

    def _selectors(self, params: dict[str, t.Any]) -> dict[str, list[str]]:
        if params.get("max_results") is not None and params["max_results"] < 1:
            raise InvalidInput(f"max_results must be 1 or more, got {params['max_results']}", provider=PROVIDER)
        selectors = {}
        if params.get("invocation_id"):
            selectors["invocation_ids"] = [validate_invocation_id(params["invocation_id"])]
        if params.get("command_id"):
            selectors["command_ids"] = [validate_command_id(params["command_id"])]
        if params.get("instance_id"):
            selectors["instance_ids"] = [validate_instance_id(params["instance_id"])]
        if not selectors:
            raise InvalidInput("give invocation_id, command_id or instance_id to say which invocations to read", provider=PROVIDER)
        return selectors

    def read(self, params: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], int, dict[str, t.Any]]:
        selectors = self._selectors(params)
        limit = None if "invocation_ids" in selectors else params.get("max_results") or 50
        invocations = self._named_exist(selectors, self.client().invocations(limit=limit, **selectors))
        wanted = set(selectors.get("instance_ids") or ())
        records = []
        for item in invocations:
            for record in invocation_records(item, params.get("include_output", True)):
                if "instance_ids" not in selectors or record["instance_id"] in wanted:
                    records.append(record)
        return records, len(records), {item.get("invocationId"): invocation_summary(item) for item in invocations}

    def read_raw(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        selectors = self._selectors(params)
        limit = None if "invocation_ids" in selectors else params.get("max_results") or 50
        return {"dataSet": self._named_exist(selectors, self.client().invocations(limit=limit, **selectors))}

    @staticmethod
    def _named_exist(selectors: dict[str, list[str]], invocations: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        return named_runs_exist(PROVIDER, selectors.get("invocation_ids"), invocations, "for these credentials")

    def wait_targets(self, params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        invocation_ids = ids_to_wait_on(PROVIDER, params, validate_invocation_id, validate_instance_id)
        found = {item.get("invocationId"): item for item in self.client().invocations(invocation_ids=invocation_ids)}
        read_at = time.monotonic()
        self._read_at.update((invocation_id, read_at) for invocation_id in found)
        unknown = [invocation_id for invocation_id in invocation_ids if invocation_id not in found]
        if unknown:
            raise NotFound(f"invocation {', '.join(unknown)} does not exist for these credentials", provider=PROVIDER)
        return [found[invocation_id] for invocation_id in invocation_ids]

    def start_request(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        # The module's command_type values are Cloud Assistant's; ZOS names the same types SHELL, POWERSHELL, BAT.
        params = dict(params, command_type=COMMAND_TYPES.get(params.get("command_type"), params.get("command_type")))
        if params.get("saved_command_id"):
            return {"CreateCommand": None, "InvokeCommand": build_invoke_command(params)}
        create, invoke = build_run_requests(params)
        return {"CreateCommand": create, "InvokeCommand": invoke}

    def start(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        """CreateCommand (unless a saved command runs) then InvokeCommand, each sent once: ZOS has
        no idempotency token, so an answer lost on its way back is read back, never sent again."""
        invoke = dict(request["InvokeCommand"])
        if request.get("CreateCommand"):
            try:
                invoke["commandId"] = self.client().call("CreateCommand", request["CreateCommand"]).get("commandId")
            except InvocationError as failure:
                if not may_have_reached(failure):
                    raise
                # Without the command id there is nothing to read back; nothing ran either.
                raise ProviderError(
                    f"ZOS CreateCommand got no answer ({failure.message}): a saved command may have been created, but nothing "
                    "was run (InvokeCommand was not sent), so running the task again is safe; a stray saved command may remain",
                    provider=PROVIDER, code=failure.code, request_id=failure.request_id, http_status=failure.http_status,
                ) from None
        sent_at = datetime.datetime.now(datetime.timezone.utc)
        try:
            response = self.client().call("InvokeCommand", invoke)
        except InvocationError as failure:
            if not may_have_reached(failure):
                raise
            response = self._read_back_invocation(invoke, sent_at, fresh_command=bool(request.get("CreateCommand")), failure=failure)
        return {
            "invocationId": response.get("invocationId"),
            "commandId": invoke["commandId"],
            "timeout": invoke.get("timeout"),
            "createTime": iso8601(datetime.datetime.now(datetime.timezone.utc)),
            "invocationStatus": "Pending",
            "instanceIds": list(invoke.get("instanceIds") or []),
            "invocationInstances": [],
        }

    def _read_back_invocation(self, invoke: dict[str, t.Any], sent_at: datetime.datetime, fresh_command: bool,
                              failure: InvocationError) -> dict[str, t.Any]:
        """The invocation an InvokeCommand whose answer was lost created, read from the command's
        invocations; or an error saying plainly that it may have started and how to check."""
        wanted = set(invoke.get("instanceIds") or [])
        # A command created by this task has no other invocations; a saved one may, so those must
        # also be this task's instances and no older than the send (a second back for rounding).
        since = sent_at - datetime.timedelta(seconds=1)
        for pause in READ_BACK_PAUSES:
            self._sleep(pause)
            try:
                items = self.client().invocations(command_ids=[invoke["commandId"]])
            except InvocationError:
                continue
            mine = [item for item in items if fresh_command or (
                {entry.get("instanceId") for entry in item.get("invocationInstances") or []} <= wanted
                and (parse_time(item.get("createTime")) or since) >= since)]
            if len(mine) == 1:
                return mine[0]
            if len(mine) > 1:
                break  # ours cannot be told apart from another run of the same saved command
        raise start_unconfirmed(
            failure, f"ZOS InvokeCommand of command {invoke['commandId']} on {', '.join(sorted(wanted))}",
            f"read its invocations with multicloud.invocations.invocation_info (provider: zenlayer_zos, command_id: {invoke['commandId']})",
        )

    @staticmethod
    def _sleep(seconds: float) -> None:
        if seconds:
            time.sleep(seconds)

    @staticmethod
    def started(handle: dict[str, t.Any]) -> dict[str, t.Any]:
        records = pending_records(handle["invocationId"], handle.get("commandId"), handle["instanceIds"], handle.get("createTime"))
        return {
            "invocation_id": handle["invocationId"], "command_id": handle.get("commandId"), "command": handle, "invocations": records, "expected": len(records)
        }
