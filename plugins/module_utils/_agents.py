# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Agent readiness, vendor-neutral: what each target's agent is, and invocation_run's pre-flight.

A provider with the ``agents`` capability answers ``agent_states(instance_ids, targets)`` with one
entry per target (``agent_entry``): its ``state`` in our words (``AGENT_STATES``) beside the
vendor's own value. The pre-flight (``plan``) reads them before anything is sent and decides, by
``offline_targets``, whether to refuse the start, leave the targets whose agent is not online out,
or send to every target anyway. A target left out is a record of its own (``left_out_records``):
status ``undeliverable``, the agent's entry in its ``agent`` field, so the failure policy and a gate
count it like any target the vendor could not deliver to.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import UNDELIVERABLE

# The agent heartbeats (SSM PingStatus Online, Cloud Assistant "true").
ONLINE = "online"
# The agent was installed and registered, and has stopped answering (SSM ConnectionLost, Cloud
# Assistant "false" with a version).
LOST = "lost"
# The vendor knows no agent there: never installed or never registered (absent from SSM's managed
# nodes, Cloud Assistant "false" without a version, or not in the answer at all).
NOT_REGISTERED = "not_registered"
AGENT_STATES = (ONLINE, LOST, NOT_REGISTERED)

# What invocation_run does with targets whose agent is not online (option offline_targets).
OFFLINE_FAIL = "fail"
OFFLINE_SKIP = "skip"
OFFLINE_SEND = "send"
OFFLINE_TARGETS = (OFFLINE_FAIL, OFFLINE_SKIP, OFFLINE_SEND)


def agent_entry(instance_id: str, state: str, vendor_status: t.Any = None, last_seen: t.Any = None, raw: t.Any = None) -> dict[str, t.Any]:
    """One target's agent: ``ready`` only when ``state`` is online; ``last_seen`` is the vendor's last heartbeat."""
    if state not in AGENT_STATES:
        raise ValueError(f"unknown agent state {state!r}")
    return {"instance_id": instance_id, "state": state, "ready": state == ONLINE, "vendor_status": vendor_status,
            "last_seen": last_seen, "raw": raw if raw is not None else {}}


def describe(entries: t.Iterable[dict[str, t.Any]]) -> str:
    """``i-1 (lost, ConnectionLost), i-2 (not_registered)`` for a message."""
    parts = []
    for entry in entries:
        detail = entry["state"] if not entry.get("vendor_status") else f"{entry['state']}, {entry['vendor_status']}"
        parts.append(f"{entry['instance_id']} ({detail})")
    return ", ".join(parts)


def beside_record(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The agent as a record shows it: without the vendor's payload (the agents result keeps that)."""
    return {key: value for key, value in entry.items() if key != "raw"}


def left_out_records(provider: str, entries: t.Iterable[dict[str, t.Any]], why: str) -> list[dict[str, t.Any]]:
    """An undeliverable record per target not sent to, its agent beside it."""
    return [
        make_record(provider, UNDELIVERABLE, instance_id=entry["instance_id"], vendor_status_details=f"not sent: {why}",
                    agent=beside_record(entry))
        for entry in entries
    ]


def attach(records: t.Iterable[dict[str, t.Any]], entries: t.Iterable[dict[str, t.Any]]) -> None:
    """Put each not-ready agent beside the vendor's record of its target (offline_targets=send)."""
    offline = {entry["instance_id"]: entry for entry in entries if not entry["ready"]}
    for record in records:
        entry = offline.get(record.get("instance_id"))
        if entry is not None:
            record["agent"] = beside_record(entry)


@dataclasses.dataclass
class Plan:
    """What the pre-flight decided: the options to start with, and what to report."""

    # Every target's agent, as the vendor answered (the result's ``agents``).
    entries: list[dict[str, t.Any]]
    # The options the start is built from (narrowed to the ready instances when some are left out).
    params: dict[str, t.Any]
    # Records of the targets not sent to.
    left_out: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    # Set when nothing may be sent: why (the task fails with it, and with ``left_out``).
    refusal: str | None = None

    @property
    def offline(self) -> list[dict[str, t.Any]]:
        return [entry for entry in self.entries if not entry["ready"]]


def validate_options(provider: str, params: t.Mapping[str, t.Any]) -> None:
    """offline_targets and resolve_targets mean something only with agent_check; skip over tag
    targets needs resolve_targets (the command then goes to instance ids, not to the tag)."""
    if not params.get("agent_check"):
        for option, default in (("offline_targets", OFFLINE_FAIL), ("resolve_targets", False)):
            if params.get(option) not in (None, default):
                raise InvalidInput(f"{option} says what the agent pre-flight does; it needs agent_check: true", provider=provider)
        return
    if params.get("offline_targets") == OFFLINE_SKIP and params.get("targets") and not params.get("resolve_targets"):
        raise InvalidInput(
            "offline_targets: skip with targets leaves some of the tag's instances out, so the command cannot go to the tag: "
            "set resolve_targets: true to send it to the instance ids the tag resolves to (their agents online), "
            "or use offline_targets: fail or send",
            provider=provider,
        )
    if params.get("resolve_targets") and not params.get("targets"):
        raise InvalidInput("resolve_targets resolves tag targets to instance ids; it needs targets (not instance_ids)", provider=provider)


def plan(provider: t.Any, params: dict[str, t.Any]) -> Plan | None:
    """Read the targets' agents (read-only) and decide what to send; None without agent_check."""
    validate_options(provider.name, params)
    if not params.get("agent_check"):
        return None
    entries = provider.agent_states(list(params.get("instance_ids") or []), list(params.get("targets") or []))
    result = Plan(entries=entries, params=params)
    offline = result.offline
    mode = params.get("offline_targets") or OFFLINE_FAIL
    if params.get("targets") and not entries:
        result.refusal = "the targets resolve to no instance with a registered agent, so nothing was sent"
        return result
    if not offline or mode == OFFLINE_SEND:
        return result
    if mode == OFFLINE_FAIL:
        result.left_out = left_out_records(provider.name, offline, "the agent pre-flight found its agent not online")
        result.refusal = (f"the agent of {len(offline)} of {len(entries)} targets is not online: {describe(offline)}; "
                          "nothing was sent (offline_targets: fail). Bring the agents back, or set offline_targets to skip or send")
        return result
    ready = [entry["instance_id"] for entry in entries if entry["ready"]]
    result.left_out = left_out_records(provider.name, offline, "left out by the agent pre-flight (offline_targets: skip)")
    if not ready:
        result.refusal = f"no target's agent is online: {describe(offline)}; nothing was sent"
        return result
    result.params = dict(params, instance_ids=ready, targets=None)
    return result
