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


@dataclasses.dataclass(frozen=True)
class FailurePolicy:
    """How many failures a set of targets may have and still pass.

    With neither threshold set, every target must succeed.
    """

    max_failures: int | None = None
    min_success_percent: float | None = None
    fail_fast: bool = False
    undeliverable: str = UNDELIVERABLE_COUNTS_AS_FAILURE

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


def _counts(records: t.Sequence[dict[str, t.Any]], expected: int, policy: FailurePolicy) -> tuple[int, int, int, int]:
    """(succeeded, failed, open, ignored); targets not visible yet count as open."""
    succeeded = failed = open_ = ignored = 0
    for record in records:
        if not record["terminal"]:
            open_ += 1
        elif record["status"] == UNDELIVERABLE and policy.undeliverable == UNDELIVERABLE_IGNORED:
            ignored += 1
        elif record.get("accepted", record["status"] == SUCCESS):
            succeeded += 1
        else:
            failed += 1
    open_ += max(expected - len(records), 0)
    return succeeded, failed, open_, ignored


def _passes(succeeded: int, failed: int, judged: int, policy: FailurePolicy) -> bool:
    if policy.max_failures is None and policy.min_success_percent is None:
        return failed == 0
    if policy.max_failures is not None and failed > policy.max_failures:
        return False
    if policy.min_success_percent is not None and judged and 100.0 * succeeded / judged < policy.min_success_percent:
        return False
    return True


def judge(records: t.Sequence[dict[str, t.Any]], policy: FailurePolicy, expected: int = 0) -> Verdict:
    """The verdict over the records seen so far; open targets keep it undecided unless it is lost."""
    succeeded, failed, open_, ignored = _counts(records, expected, policy)
    judged = succeeded + failed + open_
    percent = round(100.0 * succeeded / judged, 2) if judged else None

    def verdict(name: str, reason: str) -> Verdict:
        return Verdict(name, name == VERDICT_SUCCESS, reason, succeeded, failed, open_, ignored, percent)

    # Best case: every open target still succeeds. If even that fails, the verdict is final.
    if not _passes(succeeded + open_, failed, judged, policy):
        return verdict(VERDICT_FAILED, f"{failed} of {judged} targets failed; policy: {policy.describe()}")
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
