# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What each provider does with the modules' options: one table per provider, as data.

``run_id`` is the key of invocation_run's result that names a run, and ``wait_ids`` the
invocation_wait option that takes it (AWS waits on the command; Alibaba Cloud and Zenlayer on the
run of a command, their invocation).

``unused_start`` lists the invocation_run options a provider never sends, with what to use
instead: set to anything but their default, they are refused, because a dropped option would run
something other than what the task says. ``unused_connection`` lists the connection options a
provider does not read: those are warned about, not refused, because one ``module_defaults``
group often serves every provider of a play.

``lacks`` names what a provider cannot do, with why: starting (``start``), stopping a run
(``cancel``), maintenance windows (``windows``), steps within a run (``steps``), past runs of a
periodic task (``history``), reading the state of the targets' agents (``agents``), fetching the complete output
from object storage (``complete_output``), waking on status events read from an SQS queue
(``events``). An option that needs one of them is refused before any call (:func:`refuse_unsupported`),
as is an id option the provider does not take (``foreign_ids``).

A kind of wait can refuse options too, whatever the provider: a maintenance window wait covers
every target of one window execution, so it takes neither ``instance_ids`` nor
``cancel_on_timeout`` (``WAIT_KINDS``, checked by :func:`refuse_for_wait_kind`).
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput

# Option -> the capability it needs.
OPTION_NEEDS = {
    "cancel_on_timeout": "cancel",
    "plugin_name": "steps",
    "include_history": "history",
    "window_id": "windows",
    "window_execution_id": "windows",
    "window_task_id": "windows",
    "agent_check": "agents",
    "fetch_complete_output": "complete_output",
    "event_queue": "events",
}


@dataclasses.dataclass(frozen=True)
class WaitKind:
    """A kind of wait other than waiting on run ids: the options that select it, and those it refuses."""

    selectors: tuple[str, ...]
    # option -> why it does not apply, and what to do instead
    refuses: dict[str, str]


WAIT_KINDS = {
    "window": WaitKind(
        selectors=("window_id", "window_execution_id", "window_task_id"),
        refuses={
            "cancel_on_timeout": "cancel_on_timeout does not apply to maintenance window runs: stop a window execution in SSM itself",
            "instance_ids": "instance_ids narrows command waits; a maintenance window wait covers every target of the execution",
            "event_queue": "event_queue wakes command waits on Run Command status events; a maintenance window wait polls (leave event_queue out)",
        },
    ),
}


@dataclasses.dataclass(frozen=True)
class Capabilities:
    run_id: str
    wait_ids: str
    # How messages name one of those ids.
    run_id_name: str
    # option -> what to use instead ("nothing: why" when there is no counterpart)
    unused_start: dict[str, str] = dataclasses.field(default_factory=dict)
    unused_connection: dict[str, str] = dataclasses.field(default_factory=dict)
    # capability -> why the provider lacks it (see OPTION_NEEDS)
    lacks: dict[str, str] = dataclasses.field(default_factory=dict)
    # id option the provider does not take -> what to give instead
    foreign_ids: dict[str, str] = dataclasses.field(default_factory=dict)
    # The keys, anywhere in a record's raw payload, that hold a copy of the output (output_limit cuts them too).
    raw_output_keys: frozenset[str] = frozenset()
    # How many instance ids one start takes. invocation_run's resolve_targets sends the instances a
    # tag resolves to in batches of this many, one start each (None: that provider does not resolve tags).
    instance_ids_per_start: int | None = None


CAPABILITIES: dict[str, Capabilities] = {
    "aws_ssm": Capabilities(
        run_id="command_id",
        wait_ids="command_ids",
        run_id_name="command id",
        unused_start={
            "command_type": "document_name (AWS-RunShellScript or AWS-RunPowerShellScript)",
            "saved_command_id": "document_name and parameters (SSM runs documents, not saved commands)",
            "username": "nothing: SSM runs commands as the agent's user; use sudo -u in commands",
            "client_token": "nothing: SendCommand takes no idempotency token",
            "output_oss_uri": "output_s3_bucket_name and output_s3_key_prefix: SSM delivers the complete output to S3",
        },
        unused_connection={
            "token": "nothing: it is the Zenlayer bearer token; AWS uses access_key, secret_key or a profile",
            "signature_version": "nothing: botocore signs AWS requests with SigV4",
            "oss_endpoint_url": "nothing: it is where alibaba_ecs reads the complete output; SSM delivers to S3 (s3_endpoint_url)",
        },
        lacks={"history": "SSM keeps no past runs of a command (a command runs once)"},
        # GetCommandInvocation's streams, and each CommandPlugin's Output in ListCommandInvocations.
        raw_output_keys=frozenset(("StandardOutputContent", "StandardErrorContent", "Output")),
        # SendCommand's InstanceIds holds at most 50 ids (SSM API reference, SendCommand).
        instance_ids_per_start=50,
        foreign_ids={
            "invocation_id": "aws_ssm identifies runs by command id: use command_id / command_ids, not invocation_id",
            "invocation_ids": "aws_ssm identifies runs by command id: use command_id / command_ids, not invocation_id",
        },
    ),
    "alibaba_ecs": Capabilities(
        run_id="invocation_id",
        wait_ids="invocation_ids",
        run_id_name="invoke id",
        unused_start={
            "document_name": "command_type (RunShellScript, RunPowerShellScript or RunBatScript)",
            "delivery_timeout": "nothing: Cloud Assistant gives up on an unreachable instance after about a minute",
            "max_concurrency": "nothing: Cloud Assistant starts every instance at once",
            "max_errors": "nothing: Cloud Assistant has no error threshold",
            "output_s3_bucket_name": "output_oss_uri: Cloud Assistant delivers the complete output to OSS",
            "output_s3_key_prefix": "output_oss_uri, oss://<bucket>/<prefix>: Cloud Assistant delivers the complete output to OSS",
            "cloudwatch_output_log_group": "nothing: CloudWatch Logs delivery is an SSM feature; Cloud Assistant returns the output itself",
        },
        unused_connection={
            "token": "nothing: it is the Zenlayer bearer token; Alibaba Cloud uses access_key and secret_key",
            "aws_config": "nothing: it configures botocore, which alibaba_ecs does not use",
            "s3_endpoint_url": "nothing: it is where aws_ssm reads the complete output; Cloud Assistant delivers to OSS",
            "logs_endpoint_url": "nothing: it is where aws_ssm reads the complete output from CloudWatch Logs",
            "event_queue_endpoint_url": "nothing: it is where aws_ssm reads its event queue (SQS)",
        },
        lacks={
            "events": "Cloud Assistant's status events go to Alibaba Cloud EventBridge, not to an SQS queue (the only event feed the wait reads)",
            "steps": "Cloud Assistant invocations have no steps (plugin_name is an SSM notion)",
            "windows": "Cloud Assistant has no maintenance windows (they are an SSM notion)",
        },
        raw_output_keys=frozenset(("Output",)),
        foreign_ids={
            "command_ids": "alibaba_ecs waits on runs by their invoke id: use invocation_ids ('t-...'), as returned by invocation_run",
        },
    ),
    "zenlayer_zos": Capabilities(
        run_id="invocation_id",
        wait_ids="invocation_ids",
        run_id_name="invocation id",
        unused_start={
            "document_name": "command_type",
            "targets": "instance_ids: ZOS runs commands on listed instances only",
            "parameters": "commands: ZOS commands take no parameters",
            "working_directory": "a cd in commands: ZOS has no working directory setting",
            "username": "nothing: ZOS runs commands as the guest agent's user",
            "client_token": "nothing: ZOS takes no idempotency token",
            "delivery_timeout": "nothing: ZOS has no delivery timeout",
            "max_concurrency": "nothing: ZOS starts every instance at once",
            "max_errors": "nothing: ZOS has no error threshold",
            "output_s3_bucket_name": "nothing: ZOS returns the output itself (stdout in the records)",
            "output_s3_key_prefix": "nothing: ZOS returns the output itself (stdout in the records)",
            "output_oss_uri": "nothing: ZOS returns the output itself (stdout in the records)",
            "cloudwatch_output_log_group": "nothing: CloudWatch Logs delivery is an SSM feature; ZOS returns the output itself",
        },
        unused_connection={
            "session_token": "token (a personal access token), or access_key and secret_key",
            "profile": "access_key and secret_key, or token",
            "region": "nothing: ZOS has one endpoint for every region",
            "aws_config": "nothing: it configures botocore, which zenlayer_zos does not use",
            "s3_endpoint_url": "nothing: it is where aws_ssm reads the complete output; ZOS delivers none",
            "oss_endpoint_url": "nothing: it is where alibaba_ecs reads the complete output; ZOS delivers none",
            "logs_endpoint_url": "nothing: it is where aws_ssm reads the complete output from CloudWatch Logs; ZOS delivers none",
            "event_queue_endpoint_url": "nothing: it is where aws_ssm reads its event queue (SQS); ZOS publishes no status events",
            "signature_version": "nothing: ZOS requests are signed with ZC2-HMAC-SHA256 (or carry token)",
        },
        lacks={
            "complete_output": "ZOS documents no delivery of the output to object storage, so there is no complete copy to fetch",
            "cancel": "ZOS has no call to stop an invocation",
            "steps": "ZOS invocations have no steps (plugin_name is an SSM notion)",
            "history": "ZOS keeps no past runs of an invocation",
            "agents": "ZOS (API 2025-10-10) documents no call that reports the guest agent's state; InvokeCommand only refuses an "
                      "instance without it (INVALID_INSTANCE_QGA_REQUIRED)",
            "windows": "ZOS has no maintenance windows (they are an SSM notion)",
            "events": "ZOS publishes no command status events; its waits poll",
        },
        raw_output_keys=frozenset(("output", "outputError")),
        foreign_ids={
            "command_ids": "zenlayer_zos waits on runs by their invocation id: use invocation_ids, as returned by invocation_run",
        },
    ),
}


def capabilities(provider: str) -> Capabilities:
    return CAPABILITIES[provider]


def unused_options(table: dict[str, str], params: dict[str, t.Any], defaults: dict[str, t.Any]) -> list[tuple[str, str]]:
    """(option, what to use instead) for each option of ``table`` that is set.

    An option with a default counts only when it is set to something else (``document_name``
    keeps ``AWS-RunShellScript`` on every provider's task).
    """
    found = []
    for option, instead in table.items():
        value = params.get(option)
        if value in (None, "", [], {}) or value == defaults.get(option):
            continue
        found.append((option, instead))
    return found


def describe_unused(provider: str, found: list[tuple[str, str]]) -> str:
    """``alibaba_ecs does not use max_errors (Cloud Assistant has no error threshold); ...``"""
    parts = []
    for option, instead in found:
        if instead.startswith("nothing: "):
            parts.append(f"{option} ({instead[len('nothing: '):]})")
        else:
            parts.append(f"{option} (use {instead})")
    return f"{provider} does not use " + "; ".join(parts)


def refuse_unsupported(provider: str, params: t.Mapping[str, t.Any]) -> None:
    """InvalidInput when an option asks for what ``provider`` cannot do, or names a run by an id it
    does not take; before any call, so nothing is sent for a task that cannot be honoured."""
    table = capabilities(provider)
    for option, instead in table.foreign_ids.items():
        if params.get(option):
            raise InvalidInput(instead, provider=provider)
    for option, capability in OPTION_NEEDS.items():
        if params.get(option) and capability in table.lacks:
            raise InvalidInput(f"{table.lacks[capability]}, so {option} cannot be honoured; leave it unset", provider=provider)


def require(provider: str, capability: str, what: str) -> None:
    """InvalidInput, before any call, when ``provider`` lacks ``capability`` that ``what`` (a module) needs."""
    table = capabilities(provider)
    if capability in table.lacks:
        raise InvalidInput(f"{table.lacks[capability]}, so {what} cannot be used with {provider}", provider=provider)


def wait_kind(params: t.Mapping[str, t.Any]) -> str | None:
    """The kind of wait ``params`` select (a key of WAIT_KINDS), or None for a wait on run ids."""
    for kind, table in WAIT_KINDS.items():
        if any(params.get(option) for option in table.selectors):
            return kind
    return None


def refuse_for_wait_kind(provider: str, params: t.Mapping[str, t.Any]) -> None:
    """InvalidInput, before any call, when an option is set that the kind of wait ``params`` select does not take."""
    kind = wait_kind(params)
    if kind is None:
        return
    for option, why in WAIT_KINDS[kind].refuses.items():
        if params.get(option):
            raise InvalidInput(why, provider=provider)
