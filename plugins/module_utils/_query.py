# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""JMESPath over invocation data, safe under ansible-core 2.19 data tagging.

ansible-core 2.19 hands templated values around as tagged subclasses of str, int, dict and
list. jmespath's type-checked functions (starts_with, contains, sort_by...) reject those
("invalid type for value"), so every value is copied to a plain built-in type first. The module
conditions (success_when) and the lookup both search through here.
"""

from __future__ import annotations

import traceback
import typing as t

try:
    import jmespath
    from jmespath.exceptions import JMESPathError, JMESPathTypeError
except ImportError:
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR: str | None = traceback.format_exc()

    # Stand-ins so that callers can name the exceptions; compile_expression reports the missing library first.
    class JMESPathError(Exception):  # type: ignore[no-redef]
        pass

    class JMESPathTypeError(JMESPathError):  # type: ignore[no-redef]
        pass
else:
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, MissingDependency


def to_plain(value: t.Any) -> t.Any:
    """A deep copy made only of dict, list, str, int, float, bool and None (exact types).

    Tagged or lazy containers become dict and list; str subclasses become exact str; numbers likewise.
    ``str.__str__`` is the one conversion that yields an exact str whatever the subclass overrides:
    ansible-core 2.17's AnsibleUnsafeText keeps its type through ``str()``, ``encode().decode()``,
    ``+`` and ``%``, and requests refuses it in a header (the Host header from ``endpoint_url``).
    """
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return {to_plain(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return [to_plain(item) for item in value]
    return str(value)


def compile_expression(expression: t.Any, option: str) -> t.Any:
    """The compiled expression, or InvalidInput naming the option and jmespath's complaint."""
    if not HAS_JMESPATH:
        raise MissingDependency("jmespath", JMESPATH_IMPORT_ERROR)
    text = to_plain(expression)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{option} must be a non-empty JMESPath expression")
    try:
        return jmespath.compile(text)
    except JMESPathError as error:
        raise InvalidInput(f"{option} is not a valid JMESPath expression: {error}") from error


def search(compiled: t.Any, data: t.Any) -> t.Any:
    """Search plain copies of ``data``. Type errors inside jmespath functions propagate."""
    return compiled.search(to_plain(data))


def evaluate(compiled: t.Any, data: t.Any, option: str) -> t.Any:
    """Search, turning a runtime JMESPath error (a function given the wrong type) into InvalidInput."""
    try:
        return search(compiled, data)
    except JMESPathError as error:
        raise InvalidInput(f"{option} could not be evaluated: {error}") from error


def matches(compiled: t.Any, data: t.Any) -> bool:
    """Whether a condition holds; a function given the wrong type (stdout is null) does not hold."""
    try:
        result = search(compiled, data)
    except JMESPathTypeError:
        return False
    # JMESPath truthiness: false, null, empty string, list and object are false.
    return result not in (None, False, "", [], {})
