# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The normalised status vocabulary and every vendor's status table, as data.

A vendor adapter never decides a normalised status in code: it looks its vendor's value up here.
Adding a vendor means adding a table, not a branch. The tables follow
AWS's command status documentation
(https://docs.aws.amazon.com/systems-manager/latest/userguide/monitor-commands.html); where AWS documents a value both spaced
("Delivery Timed Out") and CamelCase (``DeliveryTimedOut``), :func:`vendor_key` folds the two.
"""

from __future__ import annotations

import functools
import re

PENDING = "pending"
RUNNING = "running"
CANCELLING = "cancelling"
SUCCESS = "success"
FAILED = "failed"
TIMED_OUT = "timed_out"
CANCELLED = "cancelled"
UNDELIVERABLE = "undeliverable"
# Maintenance windows only (SKIPPED_OVERLAPPING): the run was not started because the previous
# one was still going. Terminal, and never a success: the work did not run.
SKIPPED = "skipped"
# A vendor value this collection does not know yet. It is never terminal, so a wait keeps
# looking (and reports it) instead of passing or failing on a guess. Also the record of an
# instance whose start may have happened but could not be confirmed (a batch of invocation_run's
# resolve_targets whose answer was lost and whose command was not found): never a success.
UNKNOWN = "unknown"
# Aggregate only: every target finished, some succeeded and some did not.
PARTIAL_FAILED = "partial_failed"

# The per-target vocabulary, in the order summaries list it.
STATUSES = (PENDING, RUNNING, CANCELLING, SUCCESS, FAILED, TIMED_OUT, CANCELLED, UNDELIVERABLE, SKIPPED, UNKNOWN)
# partial_failed only occurs as an aggregate, and is final there too.
TERMINAL_STATUSES = frozenset((SUCCESS, FAILED, TIMED_OUT, CANCELLED, UNDELIVERABLE, SKIPPED, PARTIAL_FAILED))
# What a user may filter on (``statuses`` option): the per-target vocabulary.
FILTERABLE_STATUSES = STATUSES


_NOT_IN_KEYS = re.compile(r"[\s_\-]")


def vendor_key(value: str | None) -> str:
    """Fold a vendor status for lookup: no spaces, dashes or underscores, lower case."""
    if not value:
        return ""
    return _folded(str(value))


@functools.lru_cache(maxsize=256)
def _folded(text: str) -> str:
    # A vendor has a handful of statuses, read once per instance and round: each is folded once.
    return _NOT_IN_KEYS.sub("", text).lower()


# AWS SSM Run Command, invocation and plugin level: StatusDetails first, Status as a fallback.
AWS_SSM_INVOCATION = {
    "pending": PENDING,
    "inprogress": RUNNING,
    "delayed": PENDING,
    "cancelling": CANCELLING,
    "success": SUCCESS,
    "failed": FAILED,
    "executiontimedout": TIMED_OUT,
    "deliverytimedout": UNDELIVERABLE,
    "undeliverable": UNDELIVERABLE,
    "invalidplatform": UNDELIVERABLE,
    "accessdenied": FAILED,
    # The service cancelled the rest of the command after MaxErrors was exceeded.
    "terminated": CANCELLED,
    "cancelled": CANCELLED,
    "timedout": TIMED_OUT,
}

# AWS SSM Run Command, command level (ListCommands): the invocation values plus the aggregates.
AWS_SSM_COMMAND = dict(
    AWS_SSM_INVOCATION,
    incomplete=PARTIAL_FAILED,
    rateexceeded=FAILED,
    limitexceeded=FAILED,
    noinstancesintag=UNDELIVERABLE,
)


# AWS SSM Maintenance Windows
# (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_MaintenanceWindowExecution.html): Status of a window execution, of a task
# execution and of a task invocation (one enum, MaintenanceWindowExecutionStatus).
AWS_SSM_WINDOW = {
    "pending": PENDING,
    "inprogress": RUNNING,
    "cancelling": CANCELLING,
    "success": SUCCESS,
    "failed": FAILED,
    "timedout": TIMED_OUT,
    "cancelled": CANCELLED,
    "skippedoverlapping": SKIPPED,
}


def lookup(table: dict[str, str], *values: str | None) -> str:
    """The normalised status of the first value the table knows, else ``unknown``.

    Values are tried in order (for AWS: StatusDetails, then Status). An empty value is skipped.
    """
    for value in values:
        found = table.get(vendor_key(value))
        if found:
            return found
    return UNKNOWN


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


# Alibaba Cloud ECS Cloud Assistant
# (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocationresults), per instance: InvocationStatus of a
# DescribeInvocations InvokeInstance or a DescribeInvocationResults InvocationResult.
ALIBABA_ECS_INSTANCE = {
    "pending": PENDING,
    # A periodic or boot-time task waiting for its next run.
    "scheduled": PENDING,
    "running": RUNNING,
    "stopping": CANCELLING,
    "success": SUCCESS,
    "failed": FAILED,
    "error": FAILED,
    "invalid": FAILED,
    "timeout": TIMED_OUT,
    # Not delivered: the instance must be Running and delivery must finish within a minute.
    "aborted": UNDELIVERABLE,
    # Stopped before it started.
    "cancelled": CANCELLED,
    # Stopped while it ran.
    "terminated": CANCELLED,
}

# Alibaba Cloud ECS Cloud Assistant, invocation level: InvocationStatus first, then the legacy
# InvokeStatus. The legacy "Finished" is deliberately absent: it is final but does not say
# whether the run succeeded, so it stays unknown and the instances decide.
ALIBABA_ECS_INVOCATION = {
    "pending": PENDING,
    "scheduled": PENDING,
    "running": RUNNING,
    "stopping": CANCELLING,
    "success": SUCCESS,
    "failed": FAILED,
    "partialfailed": PARTIAL_FAILED,
    "stopped": CANCELLED,
}

# Per-instance ErrorCode values
# (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocationresults)
# that mean the command never started on the
# instance because of the instance, its Cloud Assistant client or the network: the instance is
# missing, released or stopped; the client is not running, not answering, upgrading or too old;
# delivery timed out; a security group rule blocked the client; or the instance was already
# running as many tasks as it may.
ALIBABA_ECS_UNDELIVERABLE_ERROR_CODES = frozenset(
    (
        "InstanceNotExists",
        "InstanceReleased",
        "InstanceNotRunning",
        "ClientNotRunning",
        "ClientNotResponse",
        "ClientIsUpgrading",
        "ClientNeedUpgrade",
        "DeliveryTimeout",
        "SecurityGroupRuleDenied",
        "TaskConcurrencyLimit",
    )
)
# ErrorCode values that say the command itself, or what it asked for, went wrong: it is not
# applicable to the instance's OS, the user or directory does not exist, the schedule is bad, or
# the run raised, was interrupted or exited non-zero. ExecutionTimeout is timed_out.
ALIBABA_ECS_FAILED_ERROR_CODES = frozenset(
    (
        "CommandNotApplicable",
        "AccountNotExists",
        "DirectoryNotExists",
        "BadCronExpression",
        "ExecutionException",
        "ExecutionInterrupted",
        "ExitCodeNonzero",
    )
)
ALIBABA_ECS_TIMED_OUT_ERROR_CODES = frozenset(("ExecutionTimeout",))
# InvocationStatus values whose outcome an ErrorCode may refine: an Error or Failed instance whose
# ErrorCode says the command never reached it is undeliverable (or timed_out for
# ExecutionTimeout). Aborted is undeliverable already; every other value keeps its table entry.
ALIBABA_ECS_REFINED_BY_ERROR_CODE = frozenset(("error", "failed"))

# Zenlayer ZOS (https://github.com/zenlayer/zenlayercloud-sdk-python), per instance: taskStatus of a DescribeCommandInvocations
# invocationInstances item. ZOS has no cancel, so nothing maps to cancelling or cancelled.
ZENLAYER_ZOS_INSTANCE = {
    "pending": PENDING,
    "running": RUNNING,
    # Finished with exit code 0.
    "success": SUCCESS,
    # Finished with a non-zero exit code.
    "failed": FAILED,
    "timeout": TIMED_OUT,
    # The task could not run (system error, or the instance is missing or not running); its
    # errorCode decides whether that is undeliverable (see below) or stays failed.
    "error": FAILED,
}

# Zenlayer ZOS, invocation level: invocationStatus of a DescribeCommandInvocations item. Mixed
# non-terminal situations are not documented, so the instances decide the aggregate.
ZENLAYER_ZOS_INVOCATION = {
    "pending": PENDING,
    "running": RUNNING,
    "success": SUCCESS,
    "failed": FAILED,
    "partialfailed": PARTIAL_FAILED,
}

# Per-instance errorCode values (https://github.com/zenlayer/zenlayercloud-sdk-python) that mean the command never started on the
# instance: the instance does not exist, is not running ("InstanceInstanceState", spelled so by
# the vendor), or the command's type does not fit its platform.
ZENLAYER_ZOS_UNDELIVERABLE_ERROR_CODES = frozenset(("InstanceNotExists", "InstanceInstanceState", "CommandPlatformInvalid"))
# The other documented errorCode values ("ExecutionExitNoneZero" is spelled so by the vendor).
# With taskStatus Error they stay failed, ExecutionTimeout included, as the reference maps them;
# a Timeout taskStatus is what says timed_out. Unknown codes are failed too.
ZENLAYER_ZOS_FAILED_ERROR_CODES = frozenset(("SystemError", "ExecutionTimeout", "ExecutionExitNoneZero"))
# taskStatus values whose outcome an errorCode may refine: only Error.
ZENLAYER_ZOS_REFINED_BY_ERROR_CODE = frozenset(("error",))
