# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""One command started in batches: invocation_run's ``resolve_targets`` over more instances than one start takes.

The instance ids the tags resolved to are cut into batches of at most the provider's
``instance_ids_per_start`` (SSM SendCommand: 50). Each batch is its own start request, with a
marker of its own (``start_request`` makes one per call), and is sent at most once, in order. The
first batch that fails stops the rest: a batch whose start failed for sure (the vendor refused it,
or it could not leave: no budget left, no connection) was not sent, one whose answer
was lost and could not be found again (``StartUnconfirmed``) may have started, and neither is
ever sent again, nor is any batch after it. Every instance ends up in exactly one record: pending
under its batch's run id when sent, ``undeliverable`` ("not sent: ...") when not, ``unknown``
when its batch may have started.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import capabilities
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError, StartUnconfirmed
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import UNDELIVERABLE, UNKNOWN

# A batch's state (the result's ``batches[].state``).
SENT = "sent"
# The start failed for sure (the vendor refused it, or it was never sent): nothing of it runs.
FAILED = "failed"
# The start's answer was lost and no run carrying its marker was found: it may have started.
UNCONFIRMED = "unconfirmed"
# Not tried: an earlier batch failed (or check mode).
NOT_SENT = "not_sent"
BATCH_STATES = (SENT, FAILED, UNCONFIRMED, NOT_SENT)


@dataclasses.dataclass
class Batch:
    """One start of the command: its instances, its request, and what became of it."""

    number: int
    count: int
    instance_ids: list[str]
    request: dict[str, t.Any]
    state: str = NOT_SENT
    # What the provider's started() made of the vendor's answer (run ids, records, expected count).
    started: dict[str, t.Any] | None = None
    handle: dict[str, t.Any] | None = None
    error: InvocationError | None = None

    @property
    def name(self) -> str:
        return f"batch {self.number} of {self.count}"

    def public(self, run_id_key: str) -> dict[str, t.Any]:
        """The batch as the result shows it (``batches``)."""
        error = None
        if self.error is not None:
            error = {"message": self.error.message, "code": self.error.code, "request_id": self.error.request_id}
        return {
            "batch": self.number,
            "instance_ids": list(self.instance_ids),
            "state": self.state,
            run_id_key: (self.started or {}).get(run_id_key),
            "request": self.request,
            "error": error,
        }


def split(instance_ids: t.Sequence[str], size: int) -> list[list[str]]:
    """``instance_ids`` in order, in lists of at most ``size``."""
    if size < 1:
        raise ValueError(f"a batch holds at least one instance, got {size}")
    return [list(instance_ids[start:start + size]) for start in range(0, len(instance_ids), size)]


def plan(provider: t.Any, params: dict[str, t.Any]) -> list[Batch]:
    """A start request per batch of ``params['instance_ids']``, each checked before anything is sent."""
    instance_ids = list(params["instance_ids"])
    size = capabilities(provider.name).instance_ids_per_start or len(instance_ids)
    chunks = split(instance_ids, size)
    return [
        Batch(number, len(chunks), chunk, provider.start_request(dict(params, instance_ids=chunk)))
        for number, chunk in enumerate(chunks, start=1)
    ]


def send(provider: t.Any, batches: list[Batch]) -> InvocationError | None:
    """Start each batch once, in order, until one fails: that batch's error, or None when all were sent."""
    for batch in batches:
        try:
            batch.handle = provider.start(batch.request)
        except StartUnconfirmed as error:
            batch.state, batch.error = UNCONFIRMED, error
            return error
        except InvocationError as error:
            batch.state, batch.error = FAILED, error
            return error
        batch.state = SENT
        batch.started = provider.started(batch.handle)
    return None


def failed_batch(batches: list[Batch]) -> Batch | None:
    return next((batch for batch in batches if batch.state in (FAILED, UNCONFIRMED)), None)


def records(provider_name: str, batches: list[Batch]) -> tuple[list[dict[str, t.Any]], int]:
    """Every instance's record, batch by batch, and how many targets they stand for."""
    failed = failed_batch(batches)
    found: list[dict[str, t.Any]] = []
    expected = 0
    for batch in batches:
        if batch.state == SENT:
            started = batch.started or {}
            found.extend(started["invocations"])
            expected += started["expected"]
            continue
        if batch.state == UNCONFIRMED:
            status, why = UNKNOWN, f"may have started: the answer to {batch.name} was lost and its start could not be confirmed"
        elif batch.state == FAILED:
            code = batch.error.code if batch.error is not None and batch.error.code else "see the task's error"
            status, why = UNDELIVERABLE, f"not sent: the start of {batch.name} failed ({code})"
        else:
            status, why = UNDELIVERABLE, f"not sent: {failed.name if failed else 'an earlier batch'} failed, so {batch.name} was not sent"
        found.extend(make_record(provider_name, status, instance_id=instance_id, vendor_status_details=why) for instance_id in batch.instance_ids)
        expected += len(batch.instance_ids)
    return found, expected


def run_ids(batches: list[Batch], run_id_key: str) -> list[str]:
    """The run ids of the batches sent, in batch order."""
    return [batch.started[run_id_key] for batch in batches if batch.state == SENT and batch.started]


def failure_message(batches: list[Batch], run_id_name: str, run_id_key: str) -> str:
    """What a failed batch did to the rest, for the front of the error's message."""
    failed = failed_batch(batches)
    if failed is None:
        return ""
    sent = [batch for batch in batches if batch.state == SENT]
    skipped = [batch for batch in batches if batch.state == NOT_SENT]
    parts = [f"{failed.name} ({len(failed.instance_ids)} instances) "
             + ("may have started and was not sent again" if failed.state == UNCONFIRMED else "failed, nothing of it was sent")]
    if sent:
        parts.append("sent before it: " + ", ".join(f"{batch.name} as {run_id_name} {(batch.started or {}).get(run_id_key)}" for batch in sent))
    else:
        parts.append("no batch was sent before it")
    if skipped:
        instances = sum(len(batch.instance_ids) for batch in skipped)
        parts.append(f"not sent after it: {', '.join(batch.name for batch in skipped)} ({instances} instances)")
    return "; ".join(parts) + f" (see batches and invocations). {failed.name.capitalize()}"
