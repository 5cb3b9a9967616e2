# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""A provider as data: how its API names errors, where its settings come from, how it pages.

Each provider has one ``ProviderSpec`` (in ``_providers/<name>_spec.py``); the code here reads
any of them, so a vendor's differences stay in its table: :func:`classify_error` turns a vendor
error into one of our typed errors, :func:`setting` reads an option or its environment variables.
What a provider does with the modules' options (its capabilities) is in ``_capabilities.py``.
"""

from __future__ import annotations

import dataclasses
import os
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    InvocationError,
    NotFound,
    ProviderError,
    Throttled,
    vendor_message,
)


@dataclasses.dataclass(frozen=True)
class CodeClass:
    """The vendor error codes (and HTTP statuses) that mean one thing to us."""

    codes: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    # Parts of a code that are enough on their own ("NOT_FOUND" anywhere in a ZOS code).
    fragments: tuple[str, ...] = ()
    statuses: frozenset[int] = frozenset()

    def holds(self, code: str, http_status: int | None) -> bool:
        return (
            code in self.codes
            or code.startswith(self.prefixes)
            or code.endswith(self.suffixes)
            or any(fragment in code for fragment in self.fragments)
            or http_status in self.statuses
        )


@dataclasses.dataclass(frozen=True)
class ErrorTable:
    """A vendor's error codes by what they mean, tried in this order: throttled, access denied,
    not found, invalid input; anything else is a provider error, retried when ``transient`` holds
    or the status is 5xx."""

    throttled: CodeClass
    access: CodeClass
    not_found: CodeClass
    invalid: CodeClass
    transient: CodeClass
    # What an operator checks when access is denied.
    access_hint: str
    # Codes whose message goes on with what the server computed: only its first sentence is quoted.
    first_sentence: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class ProviderSpec:
    name: str
    # How messages name the vendor's API ("SSM", "Cloud Assistant", "ZOS").
    service: str
    errors: ErrorTable
    # Connection option -> environment variables tried, in order, when the option is not set.
    environment: dict[str, tuple[str, ...]]
    # Items asked for per page of a list call.
    page_size: int
    # The keys of an error answer's code and message (a signed-HTTP provider's envelope).
    error_keys: tuple[str, str] = ("Code", "Message")
    request_id_key: str = "RequestId"
    # A response header that says how long to wait before retrying, if the vendor sends one.
    retry_after_header: str | None = None
    # Actions that start something and carry no idempotency token: never sent twice.
    not_idempotent: frozenset[str] = frozenset()
    # Codes of a page token that expired between two pages: the walk starts again from the first page.
    expired_page_token: frozenset[str] = frozenset()


def classify_error(
    spec: ProviderSpec, action: str, code: t.Any, message: t.Any, *, http_status: int | None = None, request_id: t.Any = None
) -> InvocationError:
    """A vendor error as one of our typed errors, its code and request id kept."""
    table = spec.errors
    code = str(code or (f"HTTP{http_status}" if http_status else "Unknown"))
    facts = {"provider": spec.name, "code": code, "request_id": request_id, "http_status": http_status}
    text = f"{spec.service} {action} failed: {vendor_message(message, first_sentence=code in table.first_sentence)}"
    if table.throttled.holds(code, http_status):
        return Throttled(text, **facts)
    if table.access.holds(code, http_status):
        return AccessDenied(f"{text}. {table.access_hint}", **facts)
    if table.not_found.holds(code, http_status):
        return NotFound(text, **facts)
    if table.invalid.holds(code, http_status):
        return InvalidInput(text, **facts)
    retryable = table.transient.holds(code, http_status) or bool(http_status and http_status >= 500)
    return ProviderError(text, retryable=retryable, **facts)


# The key under which a task run inside the action plugin hands its ``environment:`` to the
# providers (a module process has it in os.environ instead; the controller's is never changed).
TASK_ENVIRONMENT_OPTION = "_task_environment"


def setting(options: t.Mapping[str, t.Any], name: str, environment: t.Mapping[str, tuple[str, ...]]) -> t.Any:
    """The option ``name``, or else the first of its environment variables that is set, or None.

    A variable the task's environment sets wins over the process's, as in a module process."""
    value = options.get(name)
    if value not in (None, ""):
        return value
    task_environment = options.get(TASK_ENVIRONMENT_OPTION) or {}
    for variable in environment.get(name, ()):
        found = task_environment[variable] if variable in task_environment else os.environ.get(variable)
        if found:
            return found
    return None
