# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The checks every vendor's start request makes of where and what to run, before any call.

Each request builder (``_providers/*_requests.py``) gives its vendor's numbers and words (the
action its API names, how many ids one call takes, how to run on more); the checks and their
messages are the same for every vendor.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput


def one_kind_of_target(options: t.Mapping[str, t.Any]) -> tuple[list[t.Any], list[t.Any]]:
    """``(instance_ids, targets)``, exactly one of them given."""
    instance_ids = options.get("instance_ids") or []
    targets = options.get("targets") or []
    if bool(instance_ids) == bool(targets):
        raise InvalidInput("set exactly one of instance_ids or targets to say where the command runs")
    return instance_ids, targets


def refuse_over(action: str, what: str, items: t.Sized, most: int, how_to_do_more: str = "") -> None:
    """Refuse more ``items`` than one ``action`` call takes, saying how to do more where there is a way."""
    if len(items) > most:
        advice = f"; {how_to_do_more}" if how_to_do_more else ""
        raise InvalidInput(f"{action} takes at most {most} {what} ({len(items)} given){advice}")


def checked_instance_ids(
    instance_ids: t.Sequence[t.Any], *, action: str, most: int, how_to_do_more: str, validate: t.Callable[[t.Any], str]
) -> list[str]:
    """The instance ids of one start: at most ``most``, each once, each in its vendor's format (``validate``).

    An instance listed twice is a mistake in the list, refused here with what to fix: SSM would refuse
    it only after the call (its ``DuplicateInstanceId`` error), other vendors run it once."""
    refuse_over(action, "instance_ids", instance_ids, most, how_to_do_more)
    if len(set(instance_ids)) != len(instance_ids):
        counts: dict[t.Any, int] = {}
        for instance_id in instance_ids:
            counts[instance_id] = counts.get(instance_id, 0) + 1
        repeated = sorted(instance_id for instance_id, count in counts.items() if count > 1)
        raise InvalidInput(f"instance_ids lists {', '.join(repeated)} more than once: list each instance once")
    return [validate(instance_id) for instance_id in instance_ids]


def whole_seconds(name: str, value: t.Any, low: int, high: int, span: str) -> int | None:
    """``value`` (None when not set), refused unless it is a whole number of seconds from ``low`` to
    ``high``; ``span`` says that range the way its vendor does (``48 hours``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name} must be a whole number of seconds from {low} to {high} ({span}), got {value!r}")
    return value


def script_text(options: t.Mapping[str, t.Any], action: str) -> str:
    """The ``commands`` lines as one script, refused when there is nothing to run."""
    commands = options.get("commands") or []
    if isinstance(commands, str):
        commands = [commands]
    content = "\n".join(str(line) for line in commands)
    if not content.strip():
        raise InvalidInput(f"{action} needs something to run: set commands (a list of script lines)")
    return content
