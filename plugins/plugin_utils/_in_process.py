# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Running a waiting module's code inside the action plugin, on the controller.

Where the task runs on the controller anyway (a local connection, the usual case for API modules),
the wait runs in the action plugin's own process: one process per wait, and a progress line
printed from there while it runs, instead of one module start per line.

:class:`InProcessModule` stands in for AnsibleModule: it validates the options with the same
argument spec, masks the same secrets, and ends the task by raising :class:`TaskEnded` with a result
shaped as AnsibleModule shapes one (``invocation.module_args``, ``warnings``, no_log values
removed). :func:`refusal` says why a task must take the module path instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.multicloud.invocations.plugins.module_utils._output import without_secrets_where_shown
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import option_secrets
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import environment_variables
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import TASK_ENVIRONMENT_OPTION

try:  # ansible-core 2.19 and later: arguments travel to a module in a serialization profile
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder

    def as_a_module_sees_them(args: dict[str, t.Any]) -> dict[str, t.Any]:
        """The task's arguments as a module would receive them: plain Python types, no templating
        tags (whose type names would show in messages), exactly as the module path sends them."""
        encoder = get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE)
        decoder = get_module_decoder("legacy", Direction.CONTROLLER_TO_MODULE)
        return json.loads(json.dumps(args, cls=encoder), cls=decoder)

except ImportError:  # ansible-core 2.17 and 2.18
    from ansible.module_utils.common.json import AnsibleJSONEncoder

    def as_a_module_sees_them(args: dict[str, t.Any]) -> dict[str, t.Any]:
        """The task's arguments as a module would receive them (vaulted values decrypted, as the module path does)."""
        return json.loads(json.dumps(args, cls=AnsibleJSONEncoder, vault_to_text=True))


# What the modules import besides ansible-core; without one, the module path runs instead, and
# fails (or not) exactly as it would have.
RUNTIME_LIBRARIES = ("boto3", "requests", "jmespath")


class TaskEnded(Exception):
    """How an in-process run ends (AnsibleModule exits the process instead): the task's result."""

    def __init__(self, result: dict[str, t.Any]) -> None:
        super().__init__("the task ended")
        self.result = result


class InProcessModule:
    """The parts of AnsibleModule MultiCloudModule uses, for a run inside the action plugin.

    ``task_environment`` is the task's ``environment:``; it is handed to the providers, which read
    their vendors' variables from it before the controller's own (as the module process would see
    them), and the controller's ``os.environ`` is never changed.
    """

    def __init__(
        self,
        argument_spec: dict[str, t.Any],
        *,
        task_args: dict[str, t.Any],
        name: str,
        check_mode: bool,
        task_environment: dict[str, str] | None = None,
        supports_check_mode: bool = True,
        **rules: t.Any,
    ) -> None:
        del supports_check_mode  # every module of the collection supports check mode
        self.check_mode = check_mode
        self.no_log_values: set[str] = set()
        self._name = name
        self._warnings: list[str] = []
        self.params: dict[str, t.Any] = {}
        task_args = as_a_module_sees_them(task_args)
        validation = ArgumentSpecValidator(argument_spec, **rules).validate(dict(task_args))
        self.params = dict(task_args, **validation.validated_parameters)
        self.no_log_values.update(validation._no_log_values)  # pylint: disable=protected-access
        self.no_log_values.update(option_secrets(self.params))
        for both in validation._warnings:  # pylint: disable=protected-access
            self.warn(f"Both option {both['option']} and its alias {both['alias']} are set.")
        if validation.errors.errors:
            message = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                message = f"Unsupported parameters for ({name}) module: {message}"
            self.fail_json(msg=message)
        # Shown in invocation.module_args as the module would show them; the environment is not an option.
        self._shown_params = dict(self.params)
        if task_environment:
            task_environment = as_a_module_sees_them(task_environment)
            # A secret given through a variable (a secret key) is masked as the option itself would be.
            variables = environment_variables()
            self.no_log_values.update(
                str(value) for variable, value in task_environment.items()
                if value and argument_spec.get(variables.get(variable, ""), {}).get("no_log")
            )
            self.params[TASK_ENVIRONMENT_OPTION] = dict(task_environment)

    def warn(self, warning: str) -> None:
        self._warnings.append(warning)

    def exit_json(self, **result: t.Any) -> t.NoReturn:
        raise TaskEnded(self._formatted(result))

    def fail_json(self, msg: str, **result: t.Any) -> t.NoReturn:
        exception = result.pop("exception", None)
        result.update(failed=True, msg=str(msg))
        if isinstance(exception, str):
            result["exception"] = exception
        raise TaskEnded(self._formatted(result))

    def _formatted(self, result: dict[str, t.Any]) -> dict[str, t.Any]:
        """As AnsibleModule returns a result: the options used, the warnings, no secret."""
        result.setdefault("invocation", {"module_args": getattr(self, "_shown_params", self.params)})
        if self._warnings:
            result["warnings"] = list(self._warnings)
        # Only the parts whose JSON may show a secret are walked (remove_values walks every string).
        return without_secrets_where_shown(result, self.no_log_values)


def missing_library() -> str | None:
    """The first runtime library the controller's Python cannot import, or None."""
    for library in RUNTIME_LIBRARIES:
        if importlib.util.find_spec(library) is None:
            return library
    return None


def refusal(*, local: bool, interpreter: t.Any, asynchronous: bool, task_environment: dict[str, t.Any]) -> str | None:
    """Why this task cannot run in the action plugin's process (None when it can).

    ``interpreter`` is the task's ``ansible_python_interpreter`` (None when unset): a task that names
    another Python than the controller's runs the module there, where its libraries are.
    """
    if not local:
        return "the task runs on another host"
    if asynchronous:
        return "the task is async"
    if interpreter and not str(interpreter).startswith("auto") and os.path.abspath(str(interpreter)) != os.path.abspath(sys.executable):
        return f"the task names the Python {interpreter}"
    unread = sorted(set(task_environment) - set(environment_variables()))
    if unread:
        # A variable only a library reads (a proxy, a CA bundle of requests) reaches it only
        # through the process environment: the module process gets it, this process must not.
        return f"the task's environment sets {', '.join(unread)}"
    library = missing_library()
    if library:
        return f"the controller's Python lacks {library}"
    return None
