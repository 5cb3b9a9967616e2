# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""success_when / failure_when: per-target conditions that refine what counts as success.

In the spirit of the SDK waiters' acceptors, but with both outcomes and any expression. They
decide ``accepted`` only between targets that ran to their own end (``success`` or ``failed``):
they never end a running target, and a target that was cancelled, timed out, never delivered or
skipped is never accepted, whatever its output or the exit code a vendor reported for it.

A condition must evaluate to true or false. Anything else (a string, a number, null) is an error
that names the expression and the record: ``success_when: "stdout"`` would otherwise pass any
target that printed something, and a misspelt field (null) would fail every target while reading
as a condition that was checked. A JMESPath type error (``contains(stdout, ...)`` where stdout is
null) stays "does not match", as documented.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._query import JMESPathError, JMESPathTypeError, compile_expression, search
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import FAILED, SUCCESS

BY_STATUS = "status"
BY_SUCCESS_WHEN = "success_when"
BY_FAILURE_WHEN = "failure_when"

# The statuses of a target whose process ran to an end of its own: only these are judged by the
# conditions. Cancelled, timed out, undeliverable and skipped targets are failures by status.
JUDGED_STATUSES = frozenset((SUCCESS, FAILED))

# Records the conditions are tried on before the first API call, so that an expression that can
# only fail (an unknown function, a wrong number of arguments, a result that is not a boolean) is
# refused at once instead of after the whole wait.
SAMPLE_RECORDS = (
    {"status": SUCCESS, "exit_code": 0, "stdout": "ok\n", "stderr": ""},
    {"status": FAILED, "exit_code": 1, "stdout": "", "stderr": "error\n"},
)


class ConditionError(InvalidInput):
    """A condition could not be evaluated on a record, or did not give true or false."""


def _who(record: dict[str, t.Any]) -> str:
    return record.get("instance_id") or record.get("invocation_id") or record.get("command_id") or "a target"


class Condition:
    """One compiled expression, and the option it came from (for messages)."""

    def __init__(self, option: str, expression: str) -> None:
        self.option = option
        self.expression = expression
        self.compiled = compile_expression(expression, option)

    def holds(self, record: dict[str, t.Any], sample: bool = False) -> bool:
        """Whether the condition is true on ``record``; a JMESPath type error means it is not."""
        where = "a sample record" if sample else f"the record of {_who(record)} (status {record.get('status')})"
        try:
            result = search(self.compiled, record)
        except JMESPathTypeError:
            return False
        except JMESPathError as error:
            raise ConditionError(f"{self.option} {self.expression!r} could not be evaluated on {where}: {error}") from error
        if isinstance(result, bool):
            return result
        shown = "null" if result is None else f"{type(result).__name__} {result!r}"[:120]
        hint = " (null: is a field name misspelt?)" if result is None else ""
        raise ConditionError(
            f"{self.option} {self.expression!r} must evaluate to true or false, got {shown}{hint} on {where}; "
            "compare explicitly, for example \"exit_code == `0`\" or \"contains(stdout, 'READY')\""
        )


class Conditions:
    """Compiled and tried on sample records once, before any API call, so a bad expression fails at once."""

    def __init__(self, success_when: str | None = None, failure_when: str | None = None) -> None:
        self._success = Condition(BY_SUCCESS_WHEN, success_when) if success_when else None
        self._failure = Condition(BY_FAILURE_WHEN, failure_when) if failure_when else None
        for condition in (self._failure, self._success):
            if condition is not None:
                for fields in SAMPLE_RECORDS:
                    condition.holds(make_record("sample", fields["status"], **{k: v for k, v in fields.items() if k != "status"}), sample=True)

    def apply(self, records: t.Iterable[dict[str, t.Any]]) -> None:
        """Set ``accepted`` and ``accepted_by`` on every record, in place.

        Raises ConditionError on the first record a condition cannot judge, after every other
        record has been judged (that record keeps ``accepted`` null), so nothing seen is lost.
        """
        first_error = None
        for record in records:
            try:
                record["accepted"], record["accepted_by"] = self._decide(record)
            except ConditionError as error:
                record["accepted"], record["accepted_by"] = None, None
                first_error = first_error or error
        if first_error is not None:
            raise first_error

    def _decide(self, record: dict[str, t.Any]) -> tuple[bool | None, str | None]:
        if not record["terminal"]:
            return None, None
        if record["status"] not in JUDGED_STATUSES:
            # It never ran to its own end: no condition on its output or exit code makes it a success.
            return False, BY_STATUS
        if self._failure is not None and self._failure.holds(record):
            return False, BY_FAILURE_WHEN
        if self._success is not None:
            return self._success.holds(record), BY_SUCCESS_WHEN
        return record["status"] == SUCCESS, BY_STATUS
