# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Alibaba Cloud ECS Cloud Assistant over HTTPS with requests, signed by our own code.

The RPC API takes every parameter in the query string of a ``POST /``. Requests are signed with
ACS3-HMAC-SHA256 (the current SDK's default) or, with ``signature_version: rpc_v1``, the legacy
HMAC-SHA1 query signature that older gateways expect. Facts are from the ECS API reference
(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations).
"""

from __future__ import annotations

import datetime
import time
import typing as t
import uuid

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    InvalidInput,
    InvocationError,
    MissingDependency,
    NotFound,
    start_unconfirmed,
)
from ansible_collections.multicloud.invocations.plugins.module_utils import _http
from ansible_collections.multicloud.invocations.plugins.module_utils._http import SignedHttpClient, SignedRequest, may_have_reached, token_pages
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import ANY, check_answer
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import RunWatch, SignedHttpProvider, ids_to_wait_on, named_runs_exist
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_agents, alibaba_ecs_output
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_oss import OssReader
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_credentials import resolve
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_records import (
    ANSWERS,
    PROVIDER,
    instance_record,
    instance_records,
    instance_rows,
    invocation_budget,
    invocation_fields,
    invocation_summary,
    is_periodic,
    next_timeout_in,
    pending_records,
    result_record,
    row_status,
    rows_next_timeout_in,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_requests import (
    build_invoke_command,
    build_run_command,
    validate_command_id,
    validate_instance_id,
    validate_invoke_id,
    validate_region,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_spec import SPEC
from ansible_collections.multicloud.invocations.plugins.module_utils._record import iso8601
from ansible_collections.multicloud.invocations.plugins.module_utils._row_records import RowRecords
from ansible_collections.multicloud.invocations.plugins.module_utils._signing_acs3 import acs3_headers, acs_timestamp, canonical_query, rpc_signed_params
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import classify_error as spec_classify_error
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import ALIBABA_ECS_INVOCATION, SUCCESS, is_terminal, lookup
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

API_VERSION = "2014-05-26"
PAGE_SIZE = SPEC.page_size
# Regions whose ECS endpoint is not ecs.<region>.aliyuncs.com
# (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-endpoint).
ENDPOINT_EXCEPTIONS = {"cn-hangzhou": "ecs-cn-hangzhou.aliyuncs.com"}
SHARED_ENDPOINT_REGIONS = frozenset(("cn-hangzhou-finance", "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1"))


def endpoint_for(region: str) -> str:
    if region in ENDPOINT_EXCEPTIONS:
        return ENDPOINT_EXCEPTIONS[region]
    if region in SHARED_ENDPOINT_REGIONS:
        return "ecs.aliyuncs.com"
    return f"ecs.{region}.aliyuncs.com"


def classify_error(http_status: int, body: dict[str, t.Any], action: str) -> InvocationError:
    """An Alibaba error envelope as one of our typed errors, Code and RequestId kept."""
    return spec_classify_error(SPEC, action, body.get("Code"), body.get("Message"), http_status=http_status, request_id=body.get("RequestId"))


class AlibabaClient(SignedHttpClient):
    """Cloud Assistant's RPC calls, signed with ACS3 or, with ``signature_version: rpc_v1``, the legacy query signature."""

    def __init__(self, options: dict[str, t.Any], sleep: t.Callable[[float], None] = time.sleep) -> None:
        if not _http.HAS_REQUESTS:
            raise MissingDependency("requests", _http.REQUESTS_IMPORT_ERROR)
        self.credentials = resolve(options)
        self.region = validate_region(options.get("region") or self.credentials.region)
        super().__init__(SPEC, options, options.get("endpoint_url") or f"https://{endpoint_for(self.region)}", sleep)
        self.path = self.path or "/"
        self.signature_version = options.get("signature_version") or "acs3"

    def sign(self, action: str, params: dict[str, t.Any]) -> SignedRequest:
        """A fresh date and nonce each attempt; the query string is sent exactly as it was signed."""
        params = dict(params, RegionId=self.region)
        now = datetime.datetime.now(datetime.timezone.utc)
        nonce = uuid.uuid4().hex
        creds = self.credentials
        if self.signature_version == "rpc_v1":
            query = rpc_signed_params(
                "POST", params, creds.access_key_id, creds.access_key_secret, action, API_VERSION, acs_timestamp(now), nonce, creds.security_token
            )
            headers = {"accept": "application/json"}
        else:
            query = params
            headers = acs3_headers(
                "POST", self.host, self.path, params, {"accept": "application/json"}, b"",
                creds.access_key_id, creds.access_key_secret, action, API_VERSION, acs_timestamp(now), nonce, creds.security_token,
            )
        return SignedRequest(f"{self.base_url}{self.path}?{canonical_query(query)}", headers, endpoint=self.base_url)

    def answer(self, action: str, http_status: int, body: dict[str, t.Any]) -> dict[str, t.Any]:
        return check_answer(body, ANSWERS.get(action, ANY), provider=PROVIDER, service=SPEC.service, operation=action, http_status=http_status)

    def pages(
        self, action: str, params: dict[str, str], unwrap: t.Callable[[dict[str, t.Any]], tuple[list[t.Any], str | None]], limit: int | None = None
    ) -> list[t.Any]:
        """Every page by NextToken (MaxResults 50), or the first ``limit`` items."""
        return token_pages(lambda request: unwrap(self.call(action, request)), dict(params, MaxResults=str(PAGE_SIZE)), SPEC.expired_page_token, limit)


def _invocations(body: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], str | None]:
    holder = body.get("Invocations") or {}
    items = holder.get("Invocation") if isinstance(holder, dict) else holder
    return list(items or []), body.get("NextToken") or None


def _results(body: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], str | None]:
    holder = body.get("Invocation") or {}
    results = holder.get("InvocationResults") or {}
    items = results.get("InvocationResult") if isinstance(results, dict) else results
    return list(items or []), holder.get("NextToken") or None


class InvocationWatch(RunWatch):
    """A wait over several invoke ids: the invocation's own state each round, its results once.

    A round reads each open invocation with DescribeInvocations, one call however many instances
    it names: the vendor's aggregate and every instance's status (Alibaba has no counters). While
    some of its instances have not ended, those statuses speak for them (``unread``: counted in the
    progress, not in the verdict; with ``follow_failures`` the failed ones are records at once, so
    the policy sees them). The per-instance results (DescribeInvocationResults, 50 a page: output,
    exit code, error code) are read once every instance the invocation names has ended, or when
    the wait ends early (``read_all``). Reading every page every round would cost ``instances / 50``
    calls a round and show nothing the statuses do not. Waits on chosen instances, and invocations
    that name no instance yet (started by tag, not resolved), read the results every round. An
    invocation whose every instance has a terminal result is not asked for again.
    """

    run_key = "InvokeId"

    def __init__(self, provider: "AlibabaEcsProvider", runs: list[dict[str, t.Any]], instance_ids: list[str], include_output: bool) -> None:
        super().__init__(provider, runs, instance_ids, include_output)
        # Set by the caller when the policy stops at the first failure.
        self.follow_failures = True
        # The records of the instances that failed while their invocation is open, kept between rounds.
        self._failures_of: dict[str, RowRecords] = {}

    def poll(self) -> Snapshot:
        snapshot = Snapshot()
        now = datetime.datetime.now(datetime.timezone.utc)
        for invoke_id in self._runs:
            described = False
            if invoke_id not in self._settled and not (self._instance_ids or self._read_everything):
                invocation = self._runs[invoke_id] = self._provider.describe(invoke_id, may_appear=True)
                described = True
                rows = instance_rows(invocation)
                statuses = [row_status(row) for row in rows]
                if statuses and not all(is_terminal(status) for status in statuses):
                    snapshot.records.extend(self._count_open(invoke_id, invocation, rows, statuses, snapshot.unread))
                    snapshot.expected += len(statuses)
                    snapshot.vendor_aggregate[invoke_id] = invocation_summary(invocation)
                    self._wake_by(snapshot, rows_next_timeout_in(invocation, zip(rows, statuses), now))
                    continue
            records, expected, missing = self._poll_one(invoke_id, described)
            snapshot.records.extend(records)
            snapshot.expected += expected
            snapshot.missing.extend(missing)
            snapshot.vendor_aggregate[invoke_id] = invocation_summary(self._runs[invoke_id])
            if invoke_id not in self._settled:
                self._wake_by(snapshot, next_timeout_in(self._runs[invoke_id], records, now))
        snapshot.complete = self._all_settled()
        return snapshot

    def _count_open(self, invoke_id: str, invocation: dict[str, t.Any], rows: list[dict[str, t.Any]], statuses: list[str],
                    unread: dict[str, int]) -> list[dict[str, t.Any]]:
        """The failures as records (with ``follow_failures``), every other instance as a count in ``unread``.

        Only the failures' records are built (the policy and the conditions read them), each once
        while its row stays the same; the others are counted from their status alone.
        """
        failed = []
        for row, status in zip(rows, statuses):
            if self.follow_failures and is_terminal(status) and status != SUCCESS:
                failed.append(row)
            else:
                unread[status] = unread.get(status, 0) + 1
        if not failed:
            return []
        if invoke_id not in self._failures_of:
            self._failures_of[invoke_id] = RowRecords(
                lambda fields, row: instance_record(fields, row, include_output=False), key=lambda row: row.get("InstanceId"))
        return self._failures_of[invoke_id].records(invocation_fields(invocation), failed)

    def _poll_one(self, invoke_id: str, described: bool = False) -> tuple[list[dict[str, t.Any]], int, list[str]]:
        if invoke_id in self._settled:
            records = self._settled[invoke_id]
            return records, len(records), []
        if not described and not instance_rows(self._runs[invoke_id]):
            # Started by tag: the instance list is known only once the service has resolved it.
            self._runs[invoke_id] = self._provider.describe(invoke_id, may_appear=True)
            described = True
        results = self._provider.results(invoke_id)
        records = [result_record(result, self._include_output, "PlainText") for result in results]
        known = self._instance_ids or [item.get("InstanceId") for item in instance_rows(self._runs[invoke_id])]
        if self._instance_ids:
            records = [record for record in records if record["instance_id"] in self._wanted]
        seen = {record["instance_id"] for record in records}
        # Alibaba writes no record for an instance whose agent or network is broken: the
        # instances the invocation names but the results lack are missing, within the grace.
        missing = [f"instance {instance_id} in invocation {invoke_id}" for instance_id in known if instance_id not in seen]
        if not known and not records:
            missing = [f"the results of invocation {invoke_id}"]
        expected = max(len(known), len(seen))
        if not missing and records and all(record["terminal"] for record in records):
            if not described:
                # One last read so the vendor's own aggregate beside ours is current.
                self._runs[invoke_id] = self._provider.describe(invoke_id, may_appear=True)
            self._settled[invoke_id] = records
            self._failures_of.pop(invoke_id, None)
        return records, expected, missing


class AlibabaEcsProvider(SignedHttpProvider):
    """Cloud Assistant: reads, waits and starts (the provider protocol, _provider.py)."""

    name = PROVIDER
    client_class = AlibabaClient
    watch_class = InvocationWatch
    run_budget = staticmethod(invocation_budget)

    # -- reads --------------------------------------------------------------------------------

    def describe(self, invoke_id: str, may_appear: bool = False) -> dict[str, t.Any]:
        """One invocation with its instance list (DescribeInvocations)."""
        items, _token = _invocations(self.client().call("DescribeInvocations", {"InvokeId": invoke_id, "ContentEncoding": "PlainText"}))
        if not items:
            raise NotFound(f"invocation {invoke_id} does not exist in this account and region", provider=PROVIDER, retryable=may_appear)
        return items[0]

    def results(self, invoke_id: str, include_history: bool = False) -> list[dict[str, t.Any]]:
        params = {"InvokeId": invoke_id, "ContentEncoding": "PlainText"}
        if include_history:
            params["IncludeHistory"] = "true"
        return self.client().pages("DescribeInvocationResults", params, _results)

    def _selectors(self, params: dict[str, t.Any]) -> dict[str, str]:
        selectors: dict[str, str] = {}
        if params.get("invocation_id"):
            selectors["InvokeId"] = validate_invoke_id(params["invocation_id"])
        if params.get("command_id"):
            selectors["CommandId"] = validate_command_id(params["command_id"], allow_public=True)
        if params.get("instance_id"):
            selectors["InstanceId"] = validate_instance_id(params["instance_id"])
        if not selectors:
            raise InvalidInput("give invocation_id, command_id or instance_id to say which invocations to read", provider=PROVIDER)
        if params.get("max_results") is not None and params["max_results"] < 1:
            raise InvalidInput(f"max_results must be 1 or more, got {params.get('max_results')}", provider=PROVIDER)
        return selectors

    def read(self, params: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], int, dict[str, t.Any]]:
        selectors = self._selectors(params)
        include_output = params.get("include_output", True)
        if params.get("include_history"):
            if "InvokeId" not in selectors:
                raise InvalidInput("include_history needs invocation_id (the invoke id of a periodic task)", provider=PROVIDER)
            results = self.results(selectors["InvokeId"], include_history=True)
            records = [result_record(result, include_output, "PlainText") for result in results]
            if "InstanceId" in selectors:
                records = [record for record in records if record["instance_id"] == selectors["InstanceId"]]
            return records, len(records), {}
        query = dict(selectors, ContentEncoding="PlainText")
        if include_output and ("InvokeId" in selectors or "InstanceId" in selectors):
            query["IncludeOutput"] = "true"
        limit = None if "InvokeId" in selectors else params.get("max_results") or 50
        invocations = self._named_exist(selectors, self.client().pages("DescribeInvocations", query, _invocations, limit))
        records = []
        for invocation in invocations:
            for record in instance_records(invocation, None, include_output, "PlainText"):
                if "InstanceId" not in selectors or record["instance_id"] == selectors["InstanceId"]:
                    records.append(record)
        return records, len(records), {item.get("InvokeId"): invocation_summary(item) for item in invocations}

    def read_raw(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        query = dict(self._selectors(params), ContentEncoding="PlainText")
        if "InvokeId" in query or "InstanceId" in query:
            # DescribeInvocations takes IncludeOutput only with one of these
            # (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations).
            query["IncludeOutput"] = "true"
        limit = None if "InvokeId" in query else params.get("max_results") or 50
        return {"Invocations": {"Invocation": self._named_exist(query, self.client().pages("DescribeInvocations", query, _invocations, limit))}}

    @staticmethod
    def _named_exist(selectors: dict[str, str], invocations: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        named = [selectors["InvokeId"]] if "InvokeId" in selectors else None
        return named_runs_exist(PROVIDER, named, invocations, "in this account and region")

    # -- waits --------------------------------------------------------------------------------

    def wait_targets(self, params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        invoke_ids = ids_to_wait_on(PROVIDER, params, validate_invoke_id, validate_instance_id)
        invocations = [self.describe(invoke_id) for invoke_id in invoke_ids]
        periodic = [item["InvokeId"] for item in invocations if is_periodic(item)]
        if periodic:
            raise InvalidInput(
                f"{', '.join(periodic)} repeat ({'/'.join(sorted({str(item.get('RepeatMode')) for item in invocations if is_periodic(item)}))}) "
                "and never complete, so they cannot be waited on; read them with invocation_info (include_history: true)",
                provider=PROVIDER,
            )
        return invocations

    # -- agents -------------------------------------------------------------------------------

    def agent_states(self, instance_ids: list[str], targets: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        """Each instance's Cloud Assistant agent (DescribeCloudAssistantStatus, 50 ids a call, every page), in the
        order given; an instance the answer leaves out is not_registered."""
        if targets:
            raise InvalidInput(
                "agent_check reads Cloud Assistant's status by instance id (DescribeCloudAssistantStatus has no tag filter): "
                "give instance_ids instead of targets, or leave agent_check off",
                provider=PROVIDER,
            )
        for instance_id in instance_ids:
            validate_instance_id(instance_id)
        found: dict[str, dict[str, t.Any]] = {}
        size = alibaba_ecs_agents.IDS_PER_CALL
        for start in range(0, len(instance_ids), size):
            # The client adds RegionId to every call.
            params = {f"InstanceId.{n}": i for n, i in enumerate(instance_ids[start:start + size], start=1)}
            for item in self.client().pages("DescribeCloudAssistantStatus", params, alibaba_ecs_agents.statuses):
                found[item["InstanceId"]] = item
        return [alibaba_ecs_agents.status_agent(found[i]) if i in found else alibaba_ecs_agents.missing_agent(i) for i in instance_ids]

    # -- starts -------------------------------------------------------------------------------

    def start_request(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        if params.get("saved_command_id"):
            return {"Action": "InvokeCommand", "Parameters": build_invoke_command(dict(params, command_id=params["saved_command_id"]))}
        return {"Action": "RunCommand", "Parameters": build_run_command(params)}

    def start(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        # The request always carries a ClientToken, so the client's retries after a lost answer
        # are safe: Cloud Assistant answers a repeated token with the first run, never a second.
        try:
            response = self.client().call(request["Action"], request["Parameters"])
        except InvocationError as failure:
            if not may_have_reached(failure):
                raise
            token = request["Parameters"].get("ClientToken")
            raise start_unconfirmed(
                failure, f"Cloud Assistant {request['Action']} (ClientToken {token})",
                f"run the task again with client_token: {token} (Cloud Assistant then returns the first run instead of starting "
                "another), or list the recent invocations with multicloud.invocations.invocation_info",
            ) from None
        # The flattened parameters keep InstanceId.1, .2, ... in the order they were given.
        instance_ids = [value for key, value in request["Parameters"].items() if key.startswith("InstanceId.")]
        return {
            "InvokeId": response.get("InvokeId"),
            "CommandId": response.get("CommandId") or request["Parameters"].get("CommandId"),
            "RequestId": response.get("RequestId"),
            "InstanceIds": instance_ids,
            "Timeout": request["Parameters"].get("Timeout"),
            "RepeatMode": "Once",
            "CreationTime": iso8601(datetime.datetime.now(datetime.timezone.utc)),
            "InvocationStatus": "Pending",
            "InvokeInstances": {"InvokeInstance": [{"InstanceId": instance_id} for instance_id in instance_ids]},
        }

    @staticmethod
    def started(handle: dict[str, t.Any]) -> dict[str, t.Any]:
        records = pending_records(handle["InvokeId"], handle.get("CommandId"), handle["InstanceIds"], handle.get("CreationTime"))
        return {"invocation_id": handle["InvokeId"], "command_id": handle.get("CommandId"), "command": handle, "invocations": records, "expected": len(records)}

    # -- the complete output in OSS (fetch_complete_output) ------------------------------------

    def fetch_complete_output(self, records: list[dict[str, t.Any]]) -> None:
        """Replace the output Cloud Assistant cut, of every ended record, with its complete copy from
        OSS (alibaba_ecs_output.py); a failure is a warning on the record."""
        reader = OssReader(self.client(), self._options.get("oss_endpoint_url"), bool(self._options.get("allow_plain_http")))
        alibaba_ecs_output.fetch_complete_output(records, reader.get_object)

    def cancel(self, targets: list[dict[str, t.Any]]) -> None:
        for invocation in targets:
            if not is_terminal(lookup(ALIBABA_ECS_INVOCATION, invocation.get("InvocationStatus"))):
                self.client().call("StopInvocation", {"InvokeId": invocation["InvokeId"]})
