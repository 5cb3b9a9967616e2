# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""One wait over runs of several providers (invocation_wait's ``waits`` option).

Each item of ``waits`` names a provider, its own connection options and its runs. The items are
waited on together by the one waiter (``_waiter.wait_for``) and judged once by ``_wait_task``:
``ProviderGroup`` stands for every item's provider where ``wait_and_judge`` expects one, and its
``GroupWatch`` reads one round over every item. Each item keeps its own pace: it is read when its
own pause is over (its own backoff, and its own slowing down when its vendor throttles it), so a
slow or throttled vendor does not set the pace of the others, and the waiter wakes when the next
item is due. There is one deadline, the waiter's.

An item whose reads fail for good (an unknown id, refused credentials, a server that keeps
failing) stops being read; the others go on, and the result keeps the records of every item and
the error of the one that failed (the wait then ends in ``error``, never in a verdict).
"""

from __future__ import annotations

import copy
import dataclasses
import random
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import (
    capabilities,
    describe_unused,
    refuse_for_wait_kind,
    refuse_unsupported,
    unused_options,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._check_mode import without_not_started
from ansible_collections.multicloud.invocations.plugins.module_utils._common import WAIT_ITEM_CONNECTION_OPTIONS, WAIT_ITEM_WINDOW_OPTIONS
from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import BudgetSpent
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError, NotFound, Throttled
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Records, Watch
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_window_records import validate_window_selectors
from ansible_collections.multicloud.invocations.plugins.module_utils._record import summarize
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import build_provider
from ansible_collections.multicloud.invocations.plugins.module_utils._run_result import read_run
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import (
    TASK_CLOCKS,
    VERDICT_ERROR,
    lookup_targets,
    settings_from,
    spent_since_the_task_started,
    wait_and_judge,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import (
    MAX_CONSECUTIVE_TRANSIENT_ERRORS,
    Pacer,
    Snapshot,
    WaitSettings,
    persistent_error,
)

# Options of a single wait that name what to wait on: with ``waits``, each item names its own.
SINGLE_WAIT_OPTIONS = (
    "command_ids", "invocation_ids", "instance_ids", "window_id", "window_execution_id", "window_task_id", "executed_after", "executed_before",
)


@dataclasses.dataclass
class WaitItem:
    """One item of ``waits``: its provider, its options (the task's, overlaid with its own) and,
    once looked up, its runs."""

    index: int
    provider_name: str
    params: dict[str, t.Any]
    provider: t.Any = None
    targets: Records = dataclasses.field(default_factory=list)
    error: InvocationError | None = None
    # With ``run``: the records of the targets that run never sent to, judged with the rest.
    left_out: Records = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        return f"waits[{self.index}] ({self.provider_name})"

    @property
    def window(self) -> bool:
        """Whether the item names a maintenance window run rather than run ids."""
        return any(self.params.get(option) for option in WAIT_ITEM_WINDOW_OPTIONS)

    @property
    def ids(self) -> list[str]:
        """The runs of the item: its run ids, or the window execution (once looked up, the one its window chose)."""
        if not self.window:
            return list(self.params.get(capabilities(self.provider_name).wait_ids) or [])
        resolved = [target["WindowExecutionId"] for target in self.targets if isinstance(target, dict) and target.get("WindowExecutionId")]
        named = self.params.get("window_execution_id") or self.params.get("window_id")
        return resolved or ([named] if named else [])


def items_from(params: dict[str, t.Any]) -> list[WaitItem]:
    """The items of ``waits``, each with the options its provider is built from; bad input is
    refused here, before any call, with the item and the option named."""
    mixed = [option for option in SINGLE_WAIT_OPTIONS if params.get(option) not in (None, [], "")]
    if mixed:
        raise InvalidInput(
            f"waits names the runs to wait on, with their ids in each item, so {', '.join(mixed)} cannot be set beside it: "
            "move them into an item of waits, or leave waits out"
        )
    if not params["waits"]:
        raise InvalidInput("waits is empty: give at least one item, with its provider and the ids to wait on")
    if params.get("fetch_complete_output"):
        # The fetch needs the provider (and the credentials) that read each record; a wait over
        # several items does not read it yet.
        raise InvalidInput(
            "fetch_complete_output is not available with waits yet: wait on the items with waits, then read the "
            "commands whose output was cut with invocation_info and fetch_complete_output, one provider at a time"
        )
    return [_item(index, entry, params) for index, entry in enumerate(params["waits"])]


def _item(index: int, entry: dict[str, t.Any], task: dict[str, t.Any]) -> WaitItem:
    run = None
    if entry.get("run") is not None:
        if any(entry.get(option) for option in WAIT_ITEM_WINDOW_OPTIONS):
            raise InvalidInput(f"waits[{index}]: run names commands that invocation_run started, not a maintenance window run: "
                               "give the window in an item of its own")
        run = read_run(f"waits[{index}]", entry["run"], entry)
        # The run names its provider, its runs and (unless the item sets one) its region.
        entry = dict(entry, provider=run.provider, **{capabilities(run.provider).wait_ids: run.run_ids})
        if entry.get("region") is None and run.region is not None:
            entry["region"] = run.region
    provider = entry.get("provider")
    if provider is None:
        raise InvalidInput(f"waits[{index}] names no provider: give provider (aws_ssm, alibaba_ecs or zenlayer_zos), or run")
    where = f"waits[{index}] ({provider})"
    table = capabilities(provider)
    # Options set in the item itself that its provider does not read are refused (a region on a
    # Zenlayer item is a mistake in that item); those inherited from the task are not, since one
    # module_defaults group often serves every provider.
    unused = unused_options(table.unused_connection, entry, {})
    if unused:
        raise InvalidInput(f"{where}: {describe_unused(provider, unused)}. Remove them from the item")
    item_params = {key: value for key, value in task.items() if key != "waits"}
    for option in WAIT_ITEM_CONNECTION_OPTIONS:
        if entry.get(option) is not None:
            item_params[option] = entry[option]
    item_params["provider"] = provider
    for option in ("command_ids", "invocation_ids", "instance_ids") + WAIT_ITEM_WINDOW_OPTIONS:
        item_params[option] = entry.get(option)
    try:
        refuse_unsupported(provider, item_params)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error.message}", provider=provider) from None
    item = WaitItem(index, provider, item_params, left_out=run.left_out if run is not None else [])
    if item.window:
        _check_window_item(where, item_params)
        return item
    if not item_params.get(table.wait_ids):
        raise InvalidInput(
            f"{where} names no run: give {table.wait_ids} (the {table.run_id_name}s to wait on)"
            + (", or window_execution_id / window_id (a maintenance window run)" if "windows" not in table.lacks else ""),
            provider=provider,
        )
    if item_params["instance_ids"] is not None and not item_params["instance_ids"]:
        raise InvalidInput(f"{where}: instance_ids is empty: list the instances to wait on, or leave instance_ids out", provider=provider)
    return item


def _check_window_item(where: str, item_params: dict[str, t.Any]) -> None:
    """An item that names a maintenance window run names nothing else, and its selectors are
    well-formed: refused here, before any item's call, as a single wait refuses them before its own."""
    beside = [option for option in ("command_ids", "invocation_ids", "instance_ids") if item_params.get(option) is not None]
    if beside:
        raise InvalidInput(
            f"{where} names a maintenance window run and {', '.join(beside)}: an item waits on either run ids or one window run "
            "(every target of the execution); split them into two items", provider=item_params["provider"],
        )
    try:
        refuse_for_wait_kind(item_params["provider"], item_params)
        # The format and combination rules of the window options; only a provider with windows gets here.
        validate_window_selectors(item_params)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error.message}", provider=item_params["provider"]) from None


def drop_runs_not_started(items: list[WaitItem]) -> tuple[list[WaitItem], int]:
    """The items with the check-mode placeholder ids of invocation_run taken out (those runs never
    started), items left with no id dropped; and how many ids were taken out."""
    kept, skipped = [], 0
    for item in items:
        if item.window:
            kept.append(item)  # named by the window service's ids, never by invocation_run's placeholder
            continue
        option = capabilities(item.provider_name).wait_ids
        item.params[option], placeholders = without_not_started(item.params[option])
        skipped += placeholders
        if item.params[option]:
            kept.append(item)
    return kept, skipped


@dataclasses.dataclass
class _Part:
    """The state of one item inside a group watch."""

    item: WaitItem
    watch: Watch
    pacer: Pacer
    snapshot: Snapshot = dataclasses.field(default_factory=Snapshot)
    due_at: float = float("-inf")
    polls: int = 0
    throttled: int = 0
    transient_in_row: int = 0
    last_counts: tuple | None = None
    slowing_down: bool = False

    @property
    def done(self) -> bool:
        return self.item.error is not None or self.snapshot.complete


class GroupWatch(Watch):
    """Reads every item that is due in one round and merges what they saw into one snapshot."""

    def __init__(self, items: list[WaitItem], include_output: bool, settings: WaitSettings,
                 clock: t.Callable[[], float] = time.monotonic, rand: t.Callable[[], float] = random.random) -> None:
        self._clock = clock
        self._settings = settings
        self._grace_ends = clock() + settings.not_found_grace - settings.already_waited
        # Every item, those whose lookup failed included (their error is reported with the rest).
        self._items = items
        self.parts = [_Part(item, _watch_of(item, include_output), Pacer(settings, rand)) for item in items if item.error is None and item.targets]
        self._follow_failures = False

    @property  # type: ignore[override]
    def follow_failures(self) -> bool:
        return self._follow_failures

    @follow_failures.setter
    def follow_failures(self, value: bool) -> None:
        self._follow_failures = value
        for part in self.parts:
            part.watch.follow_failures = value

    def poll(self) -> Snapshot:
        budget_spent: BudgetSpent | None = None
        read = 0
        now = self._clock()
        for part in self.parts:
            # An item due within half its own pause is read in this round too: reading it a little
            # early keeps the rounds to about those of the busiest item, not one per item. One that
            # is slowing down (throttled, failing) waits its whole pause.
            early = 0.0 if part.slowing_down else part.pacer.interval / 2
            if part.done or part.due_at - now > early:
                continue
            try:
                part.polls += 1
                snapshot = part.watch.poll()
            except BudgetSpent as error:
                if error.after_failure:
                    self._transient(part, error)
                else:
                    budget_spent = error
            except InvocationError as error:
                self._failed(part, error)
            else:
                read += 1
                self._read(part, snapshot)
        if budget_spent is not None and not read:
            # No item could send a request: the budget is over for all of them (they share it).
            raise budget_spent
        return self.merged()

    def _read(self, part: _Part, snapshot: Snapshot) -> None:
        summary = snapshot.summary()
        counts = (summary["total"], summary["expected"], tuple(summary["counts"].values()))
        changed, part.last_counts = counts != part.last_counts, counts
        part.snapshot = snapshot
        part.transient_in_row = 0
        part.slowing_down = False
        # A round that read only an aggregate hiding the progress (ZOS) keeps the base interval.
        pause = part.pacer.next_pause(changed or snapshot.progress_hidden)
        if snapshot.wake_in is not None:
            pause = min(pause, max(snapshot.wake_in, self._settings.interval / 2))
        part.due_at = self._clock() + pause

    def _failed(self, part: _Part, error: InvocationError) -> None:
        if isinstance(error, Throttled):
            # Throttling never ends a wait: this item slows down, the others keep their pace.
            part.throttled += 1
            part.slowing_down = True
            part.due_at = self._clock() + part.pacer.next_pause(False, slow_down=True)
        elif isinstance(error, NotFound):
            if self._clock() >= self._grace_ends:
                part.item.error = error
            else:
                part.due_at = self._clock() + part.pacer.next_pause(False)
        elif error.retryable:
            self._transient(part, error)
        else:
            part.item.error = error

    def _transient(self, part: _Part, error: InvocationError) -> None:
        part.transient_in_row += 1
        if part.transient_in_row >= MAX_CONSECUTIVE_TRANSIENT_ERRORS:
            part.item.error = persistent_error(error, part.transient_in_row, "in a row")
        else:
            part.slowing_down = True
            part.due_at = self._clock() + part.pacer.next_pause(False, slow_down=True)

    def read_all(self) -> Snapshot:
        for part in self.parts:
            if part.item.error is None and part.snapshot.unread:
                try:
                    part.snapshot = part.watch.read_all()
                except InvocationError:
                    pass  # this item keeps what its counters said, as a single wait does
        return self.merged()

    def merged(self) -> Snapshot:
        """One snapshot over every item: an item that failed keeps the records it saw and counts as ended.

        The targets an item's run left out are known before any call, so they are in every
        snapshot, whatever became of the item's lookup or reads (issue 19: nothing seen is lost)."""
        merged = Snapshot(complete=all(part.done for part in self.parts))
        parts = {part.item.index: part for part in self.parts}
        now = self._clock()
        for item in self._items:
            known = left_out_records([item])
            merged.records.extend(known)
            merged.expected += len(known)
            part = parts.get(item.index)
            if part is None:
                continue  # its lookup failed: nothing else of it was seen
            snapshot = part.snapshot
            merged.records.extend(snapshot.records)
            merged.expected += snapshot.expected
            merged.vendor_aggregate.update(snapshot.vendor_aggregate)
            if part.done:
                continue
            merged.missing.extend(snapshot.missing)
            for status, count in snapshot.unread.items():
                merged.unread[status] = merged.unread.get(status, 0) + count
            due_in = max(part.due_at - now, 0.0)
            if merged.next_read_in is None or due_in < merged.next_read_in:
                merged.next_read_in = due_in
        return merged

    def failure(self) -> InvocationError | None:
        return combined_error(self._items)


def _watch_of(item: WaitItem, include_output: bool) -> Watch:
    """The item's watch. The targets its run left out are never looked for in a command: the group
    adds them to every snapshot itself (``GroupWatch.merged``)."""
    return item.provider.watch(item.targets, item.params.get("instance_ids") or [], include_output)


def left_out_records(items: list[WaitItem]) -> Records:
    """Copies of the records of the targets the items' runs left out, item by item in the run's order."""
    return [dict(record) for item in items for record in item.left_out]


class ProviderGroup:
    """Every item's provider, seen as one by ``wait_and_judge``: counters add up, the budget
    applies to each, the default budget is the longest item's, and a cancel goes to each item's
    own provider."""

    name = "waits"

    def __init__(self, items: list[WaitItem], settings: WaitSettings,
                 clock: t.Callable[[], float] = time.monotonic, rand: t.Callable[[], float] = random.random) -> None:
        self.items = items
        self._settings = settings
        self._clock = clock
        self._rand = rand
        self.group_watch: GroupWatch | None = None

    def _built(self) -> list[t.Any]:
        return [item.provider for item in self.items if item.provider is not None]

    def close(self) -> None:
        for provider in self._built():
            provider.close()

    @property
    def api_calls(self) -> int:
        return sum(provider.api_calls for provider in self._built())

    @property
    def retries(self) -> int:
        return sum(provider.retries for provider in self._built())

    @property
    def warnings(self) -> list[str]:
        return [warning for provider in self._built() for warning in provider.warnings]

    def limit_requests_to(self, seconds: float) -> None:
        for item in self._waited():
            item.provider.limit_requests_to(seconds)

    def waited_on(self) -> list[WaitItem]:
        return self._waited()

    def _waited(self) -> list[WaitItem]:
        return [item for item in self.items if item.error is None and item.targets]

    def default_timeout(self, targets: Records) -> float:
        del targets  # each item's own runs decide
        return max(item.provider.default_timeout(item.targets) for item in self._waited())

    def watch(self, targets: Records, instance_ids: list[str], include_output: bool) -> Watch:
        del targets, instance_ids  # each item has its own
        self.group_watch = GroupWatch(self.items, include_output, self._settings, self._clock, self._rand)
        return self.group_watch

    def cancel(self, targets: Records) -> None:
        del targets
        for item in self._waited():
            item.provider.cancel(item.targets)

    def handles(self) -> list[dict[str, t.Any]]:
        """What a resumed slice needs to wait on the same runs without reading them again, and to
        report the items whose lookup failed (their error travels with the checkpoint)."""
        handles = [{"wait": item.index, "runs": item.targets} for item in self._waited()]
        for item in self.items:
            if item.error is not None and not item.targets:
                error = item.error
                handles.append({"wait": item.index, "runs": [], "error": {
                    "message": error.message, "code": error.code, "request_id": error.request_id, "http_status": error.http_status}})
        return handles

    def resume(self, handles: list[dict[str, t.Any]]) -> None:
        by_index = {handle["wait"]: handle for handle in handles}
        for item in self.items:
            handle = by_index.get(item.index) or {}
            item.targets = handle.get("runs") or []
            failed = handle.get("error")
            if failed:
                item.error = InvocationError(failed["message"], provider=item.provider_name, code=failed.get("code"),
                                             request_id=failed.get("request_id"), http_status=failed.get("http_status"))

    def describe(self) -> list[dict[str, t.Any]]:
        """Per item: what was waited on, how it went, and its error if it failed (code and request id kept)."""
        parts = {part.item.index: part for part in (self.group_watch.parts if self.group_watch else [])}
        described = []
        for item in self.items:
            part = parts.get(item.index)
            seen = part.snapshot.summary()["total"] if part else 0
            entry = {
                "provider": item.provider_name,
                "ids": item.ids,
                "instance_ids": item.params.get("instance_ids"),
                "region": item.params.get("region"),
                "polls": part.polls if part else 0,
                "throttled_polls": part.throttled if part else 0,
                "api_calls": item.provider.api_calls if item.provider is not None else 0,
                "records": seen + len(item.left_out),
                # Of records, the targets the item's run did not send to (waits[].run).
                "left_out": len(item.left_out),
                "ended": "error" if item.error is not None else "finished" if part and part.snapshot.complete else "not_finished",
                "error": None,
                "error_code": None,
                "request_id": None,
            }
            if item.error is not None:
                entry.update(error=item.error.describe(), error_code=item.error.code, request_id=item.error.request_id)
            described.append(entry)
        return described


def combined_error(items: list[WaitItem]) -> InvocationError | None:
    """One error naming every item that failed; the first one's vendor facts are kept as the result's."""
    failed = [item for item in items if item.error is not None]
    if not failed:
        return None
    # A copy of the first, so its kind (error_kind in the result), code and request id are kept;
    # describe() appends those facts once, at the end of the message.
    error = copy.copy(failed[0].error)
    said = [f"the wait on {failed[0].label} {', '.join(failed[0].ids)} failed: {error.message}"]
    said += [f"the wait on {item.label} {', '.join(item.ids)} failed: {item.error.describe()}" for item in failed[1:]]
    error.message = "; ".join(said)
    error.args = (error.message,)
    return error


def look_up_and_wait_all(
    items: list[WaitItem],
    params: dict[str, t.Any],
    on_progress: t.Callable[[str], None] | None = None,
    build: t.Callable[[str, dict[str, t.Any]], t.Any] = build_provider,
    **hooks: t.Any,
) -> tuple[dict[str, t.Any], InvocationError | None, str | None, ProviderGroup]:
    """What invocation_wait does with ``waits``: look each item's runs up, then one
    ``wait_and_judge`` over all of them. Returns its (result, error, failure) and the group.

    An item whose lookup fails (an unknown id, a wrong region) is not waited on; its error is
    kept and the wait goes on with the others. Bad options fail at once, the item named.
    """
    clocks = dict(TASK_CLOCKS, **hooks)
    clocks.pop("wall")
    group = ProviderGroup(items, settings_from(params, default_timeout=1.0), clock=clocks["clock"], rand=clocks["rand"])
    for item in items:
        item.provider = build(item.provider_name, item.params)
    spent = spent_since_the_task_started(params)
    resumed = (params.get("resume") or {}).get("handles")
    if resumed:
        group.resume(resumed)
    else:
        started = clocks["clock"]()
        earlier = 0.0
        try:
            for item in items:
                # As a single wait's lookup does, each counts its budget and grace from its own start,
                # less what the lookups before it took.
                _look_up(item, clocks, earlier)
                earlier = clocks["clock"]() - started
        except InvalidInput as refused:
            # Bad options end the task at once, the item named, nothing waited on.
            return _ended_before_waiting(items, group, refused), refused, None, group
        spent = (spent or 0.0) + clocks["clock"]() - started
    if not group.waited_on():
        # Every lookup failed: nothing to wait on.
        error = combined_error(items)
        return _ended_before_waiting(items, group, error), error, None, group
    result, error, failure = wait_and_judge(group, group.handles(), params, on_progress, already_spent=spent, **hooks)
    if "checkpoint" not in result:
        result["waits"] = group.describe()
    return result, error, failure, group


def _ended_before_waiting(items: list[WaitItem], group: ProviderGroup, error: InvocationError) -> dict[str, t.Any]:
    """The result of a wait that ended on an error before any round: nothing read, but the targets
    the runs left out are known, and reported."""
    known = left_out_records(items)
    return {"invocations": known, "summary": summarize(known, len(known)), "waits": group.describe(), "verdict": VERDICT_ERROR,
            "passed": False, "reason": f"the wait ended on an error before the targets could be judged: {error.message}"}


def _look_up(item: WaitItem, clocks: dict[str, t.Any], spent: float) -> None:
    """``item.targets`` from its provider, within what the earlier lookups (``spent`` seconds) left of the budget and grace."""
    lookup_params = dict(item.params)
    for option in ("timeout", "not_found_grace"):
        if lookup_params.get(option) is not None and spent > 0:
            lookup_params[option] = max(float(lookup_params[option]) - spent, 0.0 if option == "not_found_grace" else 1.0)
    try:
        item.targets = lookup_targets(item.provider, lookup_params, **clocks)
    except InvalidInput as error:
        raise InvalidInput(f"{item.label}: {error.message}", provider=error.provider, code=error.code, request_id=error.request_id) from None
    except InvocationError as error:
        item.error = error
