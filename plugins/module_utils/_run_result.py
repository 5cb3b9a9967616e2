# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""A registered invocation_run result, given to a wait (``waits[].run``) or a gate.

invocation_run may leave targets out of what it sends: those whose agent was offline
(``agent_check`` with ``offline_targets: skip``) and the instances of batches it did not send
(``resolve_targets``). Its result holds an ``undeliverable`` record for each, but the commands it
started do not know them, so a wait or a gate on the run ids alone would judge the others only and
could pass while an instance never got the command. Read from the result, the run names its
provider, its region, every run it started and those records; the wait follows the runs and judges
the records with them, without looking for those targets in any command.

Only those facts are read from the result: a registered result never holds credentials, and the
connection options still come from the wait's item, the task or module_defaults.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import capabilities
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import PROVIDER_NAMES
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import UNDELIVERABLE

# Keys every result of invocation_run has (RETURN: returned always), whatever became of the run.
RUN_RESULT_KEYS = ("provider", "request", "invocations", "summary")


@dataclasses.dataclass
class RunResult:
    """What a wait takes from a registered invocation_run result."""

    provider: str
    region: str | None
    run_ids: list[str]
    # The records of the targets the run never sent to, in the run's order.
    left_out: list[dict[str, t.Any]]


def read_run(where: str, run: t.Any, entry: dict[str, t.Any]) -> RunResult:
    """The run ``entry['run']`` names, checked against what the entry says itself; bad input is
    refused with ``where`` (the item) named."""
    if not isinstance(run, dict) or any(key not in run for key in RUN_RESULT_KEYS):
        if isinstance(run, dict) and run.get("skipped"):
            raise InvalidInput(f"{where}: run is the result of a task that was skipped: no command was sent, so there is nothing to wait on")
        raise InvalidInput(
            f"{where}: run must be the registered result of multicloud.invocations.invocation_run (with its "
            f"{', '.join(RUN_RESULT_KEYS)}); got {_shape(run)}. Register the run's task and give that variable"
        )
    provider = run["provider"]
    if provider not in PROVIDER_NAMES:
        raise InvalidInput(f"{where}: run names provider {provider!r}, which is not one of {', '.join(PROVIDER_NAMES)}")
    if entry.get("provider") not in (None, provider):
        raise InvalidInput(
            f"{where}: provider is {entry['provider']} but the run was started on {provider}: leave provider out (the run names it) or fix it"
        )
    table = capabilities(provider)
    run_ids = list(run.get(table.wait_ids) or ([run[table.run_id]] if run.get(table.run_id) else []))
    if not run_ids:
        raise InvalidInput(
            f"{where}: the run started no {table.run_id_name} (nothing was sent"
            + (f": {run['msg']}" if run.get("msg") else "")
            + "), so there is nothing to wait on; its records say why"
        )
    for option in ("command_ids", "invocation_ids"):
        given = entry.get(option)
        if given and sorted(given) != sorted(run_ids):
            raise InvalidInput(
                f"{where}: {option} {', '.join(given)} is not what the run started ({', '.join(run_ids)}): "
                "leave the ids out (the run names every run it started), or give the ids without run"
            )
    if entry.get("instance_ids") is not None:
        raise InvalidInput(
            f"{where}: instance_ids cannot be set beside run: an item with run judges every target of the run, those it "
            "left out included. To judge some instances only, give the run's ids and instance_ids instead of run"
        )
    left_out = [dict(record) for record in run["invocations"] if _left_out(record)]
    undeliverable = (run["summary"].get("counts") or {}).get(UNDELIVERABLE, 0) if isinstance(run["summary"], dict) else 0
    if run.get("records_left_out") and undeliverable > sum(1 for record in run["invocations"] if record.get("status") == UNDELIVERABLE):
        # return_records=none (or a trimmed list) dropped undeliverable records: the targets the run
        # left out could not all be told, and a gate must not pass without them.
        raise InvalidInput(
            f"{where}: the run's result does not hold all its undeliverable records (return_records left "
            f"{run['records_left_out']} out), so the targets it did not send to cannot be judged: run it with "
            "return_records all, auto or unsuccessful"
        )
    return RunResult(provider, run.get("region"), run_ids, left_out)


def _left_out(record: t.Any) -> bool:
    """A record the run made itself for a target it did not send to: undeliverable, under no run."""
    return (isinstance(record, dict) and record.get("status") == UNDELIVERABLE
            and not record.get("command_id") and not record.get("invocation_id"))


def _shape(value: t.Any) -> str:
    if isinstance(value, dict):
        keys = sorted(str(key) for key in value)[:8]
        return "a dict with " + (", ".join(keys) if keys else "no keys")
    return f"a {type(value).__name__}"
