# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The provider protocol: what the modules, the lookup and the waiter call on every provider.

``Provider`` is the whole contract, typed; nothing above the providers asks whether a method is
there. What a provider cannot do (cancel, steps, history) is in its capabilities
(``_capabilities.py``), and options that need it are refused before any call is made.
A ``Watch`` is one wait's state: ``poll`` reads one round. A watch that knows some targets only
from the vendor's counters reads them in full in ``read_all`` when a wait ends early, and reads
failures early only while ``follow_failures`` is set (the policy stops at the first failure).
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import capabilities, refuse_unsupported
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError, NotFound
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot

Records = t.List[t.Dict[str, t.Any]]
# (records, expected targets, the vendor's own aggregate per run)
ReadAnswer = t.Tuple[Records, int, t.Dict[str, t.Any]]


def ids_to_wait_on(
    provider: str, params: t.Mapping[str, t.Any], validate_id: t.Callable[[str], t.Any], validate_instance_id: t.Callable[[str], t.Any]
) -> list[str]:
    """The ids a wait names (its provider's ``wait_ids`` option), each once and in order; every id
    and every instance id is checked before the first call."""
    table = capabilities(provider)
    run_ids = list(dict.fromkeys(params.get(table.wait_ids) or []))
    if not run_ids:
        raise InvalidInput(f"{table.wait_ids} is empty: give at least one {table.run_id_name} to wait on", provider=provider)
    for run_id in run_ids:
        validate_id(run_id)
    for instance_id in params.get("instance_ids") or []:
        validate_instance_id(instance_id)
    return run_ids


def named_runs_exist(provider: str, named: t.Sequence[str] | None, found: list[dict[str, t.Any]], where: str) -> list[dict[str, t.Any]]:
    """``found``, or NotFound when runs were named by id and the vendor returned none: a mistyped id
    must not read as an empty, successful answer (aws_ssm fails the same way)."""
    if named and not found:
        raise NotFound(f"invocation {', '.join(named)} does not exist {where}", provider=provider)
    return found


class Watch:
    """One wait over some runs; subclasses read a round in ``poll``."""

    # Set by the wait from the failure policy: read failures early (at a cost) only when it stops at one.
    follow_failures: bool = False

    def poll(self) -> Snapshot:
        raise NotImplementedError

    def read_all(self) -> Snapshot:
        """A round that reads every target in full (the waiter calls it only when a round left
        some targets counted but unread; a watch that reads every target each round never does)."""
        return self.poll()

    def failure(self) -> InvocationError | None:
        """An error that stopped part of the wait while the rest went on (a wait over several
        providers, ``_multi_wait.GroupWatch``); a watch over one provider raises its errors instead."""
        return None


class RunWatch(Watch):
    """The skeleton of a wait over several runs, each named by ``run_key`` in its handle: the state
    every provider's watch keeps, and how a round learns when to look next. A vendor's watch brings
    ``poll``, reading the runs not settled yet."""

    run_key: str

    def __init__(self, provider: t.Any, runs: Records, instance_ids: list[str], include_output: bool) -> None:
        self._provider = provider
        self._runs = {run[self.run_key]: run for run in runs}
        self._instance_ids = list(instance_ids)
        # For membership tests; the list keeps the order messages name them in.
        self._wanted = set(self._instance_ids)
        self._include_output = include_output
        # Runs whose every target is visible and terminal: their records, never asked for again.
        self._settled: dict[str, Records] = {}
        # Set during ``read_all``: a watch that counts some targets from a cheap aggregate reads
        # every open run in full instead.
        self._read_everything = False

    def read_all(self) -> Snapshot:
        """A round that reads every open run in full, whatever the vendor's aggregate says.

        What a wait that ends early (timeout, fail fast) returns, so it holds every target's record.
        """
        self._read_everything = True
        try:
            return self.poll()
        finally:
            self._read_everything = False

    def _open_ids(self) -> list[str]:
        return [run_id for run_id in self._runs if run_id not in self._settled]

    def _all_settled(self) -> bool:
        return len(self._settled) == len(self._runs)

    @staticmethod
    def _wake_by(snapshot: Snapshot, wake_in: float | None) -> None:
        """Keep the soonest moment an open target changes by itself (a timeout falling due)."""
        if wake_in is not None and (snapshot.wake_in is None or wake_in < snapshot.wake_in):
            snapshot.wake_in = wake_in


class Provider(t.Protocol):
    """A vendor's adapter, built from the task's options (``_registry.build_provider``)."""

    name: str

    # HTTP requests sent so far (every attempt), and the attempts that were retries.
    @property
    def api_calls(self) -> int: ...

    @property
    def retries(self) -> int: ...

    # What the module or lookup shows as warnings once the task ends (the plain-HTTP opt-in).
    @property
    def warnings(self) -> list[str]: ...

    def limit_requests_to(self, seconds: float) -> None:
        """No request from now on runs past ``seconds`` from now (a wait's budget)."""

    # -- reads (invocation_info, the lookup)
    def read(self, params: dict[str, t.Any]) -> ReadAnswer: ...

    def read_raw(self, params: dict[str, t.Any]) -> dict[str, t.Any]: ...

    # -- waits (invocation_wait, invocation_run with wait)
    def wait_targets(self, params: dict[str, t.Any]) -> Records:
        """The runs to wait on, read once so an unknown id fails at once."""

    def watch(self, targets: Records, instance_ids: list[str], include_output: bool) -> Watch: ...

    def default_timeout(self, targets: Records) -> float:
        """The budget of a wait with no timeout option: what the runs themselves may take."""

    # -- starts (invocation_run)
    def start_request(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        """The request a start sends, built and checked before anything is sent (check mode stops here)."""

    def start(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        """Send the start, once; the handle of the run started."""

    def started(self, handle: dict[str, t.Any]) -> dict[str, t.Any]: ...

    def cancel(self, targets: Records) -> None:
        """Stop the runs that are still open (only with the cancel capability)."""

    # -- agents (invocation_run's pre-flight, agent_info)
    def agent_states(self, instance_ids: list[str], targets: Records) -> Records:
        """Each target's agent (``_agents.agent_entry``), read-only (only with the agents capability)."""

    # -- output (fetch_complete_output, only with the complete_output capability)
    def fetch_complete_output(self, records: Records) -> None:
        """Replace each stream the vendor cut, of each ended record, with its complete copy; a
        failure is an ``output_warnings`` entry on the record, never an error of the task."""

    def close(self) -> None:
        """Close the connections it opened (a task run inside the action plugin ends before its
        process does, and the next loop item must not find a connection still held)."""


class SignedHttpProvider:
    """What a provider over a signed-HTTP client (``_http.SignedHttpClient``) shares: its client,
    built on first use, the counters and warnings read from it, and its watch and wait budget from
    the vendor's hooks (``watch_class``, ``run_budget``)."""

    name: str
    client_class: t.Any
    watch_class: t.Any
    # A run's own budget (its timeouts and a margin), from the records module.
    run_budget: t.Callable[[dict[str, t.Any]], float]

    def __init__(self, options: dict[str, t.Any], client: t.Any = None) -> None:
        self._options = options
        self._client = client

    @property
    def api_calls(self) -> int:
        return self._client.api_calls if self._client is not None else 0

    @property
    def retries(self) -> int:
        return self._client.retries if self._client is not None else 0

    @property
    def warnings(self) -> list[str]:
        return list(self._client.warnings) if self._client is not None else []

    def limit_requests_to(self, seconds: float) -> None:
        self.client().timer.budget(seconds)

    def client(self) -> t.Any:
        if self._client is None:
            self._client = self.client_class(self._options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def watch(self, targets: Records, instance_ids: list[str], include_output: bool) -> Watch:
        return self.watch_class(self, targets, instance_ids, include_output)

    @classmethod
    def default_timeout(cls, targets: Records) -> float:
        return max(cls.run_budget(target) for target in targets)

    def cancel(self, targets: Records) -> None:
        # Reached only by a provider without the cancel capability when the check was skipped.
        refuse_unsupported(self.name, {"cancel_on_timeout": True})

    def agent_states(self, instance_ids: list[str], targets: Records) -> Records:
        # Reached only by a provider without the agents capability when the check was skipped.
        refuse_unsupported(self.name, {"agent_check": True})
        return []

    def fetch_complete_output(self, records: Records) -> None:
        # Likewise, for a provider without the complete_output capability.
        refuse_unsupported(self.name, {"fetch_complete_output": True})
