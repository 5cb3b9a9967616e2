# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The failure policy: per-target records in, one verdict out.

The verdict is always computed from the targets, never from a vendor aggregate: SSM leaves
Undeliverable targets out of a command's ``Success`` and Alibaba folds stopped instances into it.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import SUCCESS, UNDELIVERABLE

VERDICT_SUCCESS = "success"
VERDICT_FAILED = "failed"
# The wait ended before every target finished, and the policy could still have passed.
VERDICT_TIMED_OUT = "timed_out"

UNDELIVERABLE_COUNTS_AS_FAILURE = "failure"
UNDELIVERABLE_IGNORED = "ignore"

# When a wait stops before every target has ended (the ``stop_early`` option).
# Never: every target ends, or the budget does.
STOP_NEVER = "never"
# As soon as the verdict can no longer be success (what ``fail_fast`` always meant).
STOP_WHEN_FAILED = "failed"
# Also as soon as the verdict can no longer be anything but success. Opt-in: the targets still
# open may be running the command when the wait returns.
STOP_WHEN_DECIDED = "decided"
STOP_CHOICES = (STOP_NEVER, STOP_WHEN_FAILED, STOP_WHEN_DECIDED)


@dataclasses.dataclass(frozen=True)
class FailurePolicy:
    """How many failures a set of targets may have and still pass.

    With neither threshold set, every target must succeed.
    """

    max_failures: int | None = None
    min_success_percent: float | None = None
    fail_fast: bool = False
    undeliverable: str = UNDELIVERABLE_COUNTS_AS_FAILURE
    # None: the default, see :meth:`stop_mode`.
    stop_early: str | None = None

    @property
    def has_thresholds(self) -> bool:
        return self.max_failures is not None or self.min_success_percent is not None

    @property
    def stop_mode(self) -> str:
        """When the wait stops early. By default a wait given a threshold (or ``fail_fast``) stops
        once it has lost: a gate allowing one failure that saw five has nothing left to wait for.
        Without thresholds, a wait keeps every target's final status, as it always did."""
        if self.stop_early is not None:
            return self.stop_early
        return STOP_WHEN_FAILED if self.has_thresholds or self.fail_fast else STOP_NEVER

    def describe(self) -> str:
        rules = []
        if self.max_failures is None and self.min_success_percent is None:
            rules.append("all targets must succeed")
        if self.max_failures is not None:
            rules.append(f"at most {self.max_failures} failed")
        if self.min_success_percent is not None:
            rules.append(f"at least {self.min_success_percent:g}% succeeded")
        rules.append("undeliverable targets " + ("are ignored" if self.undeliverable == UNDELIVERABLE_IGNORED else "count as failures"))
        if self.fail_fast:
            rules.append("fail fast")
        return ", ".join(rules)

    def describe_stop(self) -> str:
        return {
            STOP_NEVER: "waits for every target",
            STOP_WHEN_FAILED: "stops once it cannot pass",
            STOP_WHEN_DECIDED: "stops once the verdict is decided",
        }[self.stop_mode]


@dataclasses.dataclass
class Verdict:
    verdict: str
    passed: bool
    reason: str
    succeeded: int
    failed: int
    open: int
    ignored: int
    success_percent: float | None

    def as_result(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


# What the policy makes of one target (a record's ``outcome``, and what reports group by).
OUTCOME_PASSED = "passed"
OUTCOME_FAILED = "failed"
OUTCOME_NOT_FINISHED = "not_finished"
OUTCOME_IGNORED = "ignored"
OUTCOMES = (OUTCOME_PASSED, OUTCOME_FAILED, OUTCOME_NOT_FINISHED, OUTCOME_IGNORED)


def outcome(record: dict[str, t.Any], policy: FailurePolicy) -> str:
    """How one record counts in the verdict under ``policy``."""
    if not record["terminal"]:
        return OUTCOME_NOT_FINISHED
    if record["status"] == UNDELIVERABLE and policy.undeliverable == UNDELIVERABLE_IGNORED:
        return OUTCOME_IGNORED
    if record.get("accepted", record["status"] == SUCCESS):
        return OUTCOME_PASSED
    return OUTCOME_FAILED


def count_outcomes(records: t.Sequence[dict[str, t.Any]], policy: FailurePolicy) -> dict[str, int]:
    """Records per outcome (every outcome present, 0 included), and ``targets``: how many records."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        counts[outcome(record, policy)] += 1
    counts["targets"] = len(records)
    return counts


def _counts(records: t.Sequence[dict[str, t.Any]], expected: int, policy: FailurePolicy) -> tuple[int, int, int, int]:
    """(succeeded, failed, open, ignored); targets not visible yet count as open."""
    counts = count_outcomes(records, policy)
    open_ = counts[OUTCOME_NOT_FINISHED] + max(expected - len(records), 0)
    return counts[OUTCOME_PASSED], counts[OUTCOME_FAILED], open_, counts[OUTCOME_IGNORED]


def _passes(succeeded: int, failed: int, judged: int, policy: FailurePolicy) -> bool:
    if policy.max_failures is None and policy.min_success_percent is None:
        return failed == 0
    if policy.max_failures is not None and failed > policy.max_failures:
        return False
    if policy.min_success_percent is not None and judged and 100.0 * succeeded / judged < policy.min_success_percent:
        return False
    return True


def decided(succeeded: int, failed: int, open_: int, policy: FailurePolicy) -> str | None:
    """The verdict the targets still open can no longer change, or None while they still can.

    ``open_`` counts targets not ended yet (or not visible yet). Whatever they become, each either
    succeeds, fails or (undeliverable, when ignored) drops out of the count: the best case is that
    all succeed, the worst that all fail. A verdict both cases agree on is decided.
    """
    judged = succeeded + failed + open_
    if not _passes(succeeded + open_, failed, judged, policy):
        return VERDICT_FAILED
    if not open_:
        return VERDICT_SUCCESS if judged else VERDICT_FAILED
    # Worst case. Without any success yet, every open target could also end undeliverable and
    # ignored, and a set where nothing ran fails: not decided.
    if succeeded and _passes(succeeded, failed + open_, judged, policy):
        return VERDICT_SUCCESS
    return None


def judge(
    records: t.Sequence[dict[str, t.Any]], policy: FailurePolicy, expected: int = 0, pass_when_decided: bool = False
) -> Verdict:
    """The verdict over the records seen so far; open targets keep it undecided unless it is lost.

    With ``pass_when_decided`` (a wait that stopped on a pass its open targets can no longer
    lose), a decided pass is a success even though some targets have not ended.
    """
    succeeded, failed, open_, ignored = _counts(records, expected, policy)
    judged = succeeded + failed + open_
    percent = round(100.0 * succeeded / judged, 2) if judged else None
    not_ended = f", {open_} had not finished" if open_ else ""

    def verdict(name: str, reason: str) -> Verdict:
        return Verdict(name, name == VERDICT_SUCCESS, reason, succeeded, failed, open_, ignored, percent)

    # Best case: every open target still succeeds. If even that fails, the verdict is final.
    if not _passes(succeeded + open_, failed, judged, policy):
        return verdict(VERDICT_FAILED, f"{failed} of {judged} targets failed{not_ended}; policy: {policy.describe()}")
    if open_ and pass_when_decided and decided(succeeded, failed, open_, policy) == VERDICT_SUCCESS:
        return verdict(
            VERDICT_SUCCESS,
            f"{succeeded} of {judged} targets succeeded, {open_} had not finished and could no longer change the verdict; policy: {policy.describe()}",
        )
    if open_:
        return verdict(VERDICT_TIMED_OUT, f"{open_} of {judged} targets had not finished; policy: {policy.describe()}")
    if not judged:
        return verdict(VERDICT_FAILED, f"no target ran ({ignored} undeliverable and ignored); policy: {policy.describe()}")
    return verdict(VERDICT_SUCCESS, f"{succeeded} of {judged} targets succeeded; policy: {policy.describe()}")


def lost(records: t.Sequence[dict[str, t.Any]], policy: FailurePolicy, expected: int = 0) -> bool:
    """True once the policy can no longer pass: what ``fail_fast`` stops on.

    Nothing seen yet is not a loss: right after a send, tag targets are not even counted.
    """
    if not records:
        return False
    return judge(records, policy, expected).verdict == VERDICT_FAILED


def settled(records: t.Sequence[dict[str, t.Any]], policy: FailurePolicy, expected: int = 0, counted_success: int = 0) -> str | None:
    """The verdict once the records decide it whatever the open targets do, else None.

    ``counted_success`` is how many of the targets without a record the vendor's counters call
    ended well: a hint only (counters do not tell a cancelled target from a success), so a
    success decided with it must be read again before the wait stops on it. Nothing seen yet
    decides nothing.
    """
    if not records and not counted_success:
        return None
    succeeded, failed, open_, _ignored = _counts(records, expected, policy)
    counted_success = min(counted_success, open_)
    return decided(succeeded + counted_success, failed, open_ - counted_success, policy)


def should_stop(records: t.Sequence[dict[str, t.Any]], policy: FailurePolicy, expected: int = 0, counted_success: int = 0) -> str | None:
    """The decided verdict a wait under ``policy`` stops on now, or None to go on waiting."""
    mode = policy.stop_mode
    if mode == STOP_NEVER:
        return None
    verdict = settled(records, policy, expected, counted_success)
    if verdict == VERDICT_FAILED or (verdict == VERDICT_SUCCESS and mode == STOP_WHEN_DECIDED):
        return verdict
    return None
