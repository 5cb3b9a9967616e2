# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The module wrapper: one argument spec for every provider, one way to fail.

It wraps rather than subclasses AnsibleModule (as amazon.aws' AnsibleAWSModule does) so the
modules read as plain AnsibleModule code and the typed errors turn into ``fail_json`` here only.
"""

from __future__ import annotations

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import capabilities, describe_unused, refuse_unsupported, unused_options
from ansible_collections.multicloud.invocations.plugins.module_utils._common import merged, provider_argument_spec
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError, MissingDependency
from ansible_collections.multicloud.invocations.plugins.module_utils._output import OutputOptions, shape_output
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import option_secrets
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Provider
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import build_provider
from ansible_collections.multicloud.invocations.plugins.module_utils._result_shape import records_choice, shape_result


class _SecretMaskingModule(AnsibleModule):
    """AnsibleModule that also masks the secrets inside options that are not no_log as a whole (a
    password in endpoint_url or in an aws_config proxy URL). They join ``no_log_values`` before
    AnsibleModule logs the invocation (syslog or journal on the host that runs the module), so they
    are masked there and in everything returned, ``invocation.module_args`` included."""

    def _log_invocation(self) -> None:
        self.no_log_values.update(option_secrets(self.params))
        super()._log_invocation()


class MultiCloudModule:
    def __init__(
        self,
        argument_spec: dict[str, t.Any],
        starts: bool = False,
        host: t.Callable[..., t.Any] | None = None,
        on_progress: t.Callable[[str], None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        """``starts``: the module starts commands (invocation_run), so options the provider would
        drop are refused rather than warned about (see _capabilities).

        ``host`` builds what validates the options and ends the task; by default an AnsibleModule
        (the module process). The action plugin's in-process path passes its own, with the same
        validation, and ``on_progress``, which shows a progress line while the wait runs."""
        kwargs.setdefault("supports_check_mode", True)
        spec = merged(provider_argument_spec(), argument_spec)
        self.started = time.monotonic()
        self.on_progress = on_progress
        self.module = (host or _SecretMaskingModule)(argument_spec=spec, **kwargs)
        self._provider: Provider | None = None
        self._check_unused_options(spec, starts)
        self.output = OutputOptions()
        try:
            refuse_unsupported(self.module.params["provider"], self.module.params)
            records_choice(self.module.params, failed=False)
            # Checked before any call: a directory that cannot take the files fails the task first.
            self.output = OutputOptions.from_params(self.module.params)
        except InvalidInput as error:
            self.fail(error)

    def _check_unused_options(self, spec: dict[str, t.Any], starts: bool) -> None:
        """Options the chosen provider does not use are never dropped silently."""
        params = self.module.params
        provider = params["provider"]
        table = capabilities(provider)
        defaults = {name: option.get("default") for name, option in spec.items()}
        if starts:
            refused = unused_options(table.unused_start, params, defaults)
            if refused:
                self.module.fail_json(
                    msg=f"{describe_unused(provider, refused)}. Remove them from the task, or set provider to one that uses them",
                    error_kind="invalid_input", changed=False, api_calls=0, api_retries=0,
                )
        ignored = unused_options(table.unused_connection, params, defaults)
        if ignored and not params.get("waits"):
            # With waits, each item has its own provider, and its own options are checked against it.
            # Warned, not refused: one module_defaults group often serves every provider of a play.
            self.module.warn(f"{describe_unused(provider, ignored)}; ignored for this task")

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self.module, name)

    @property
    def provider(self) -> Provider:
        """The adapter for ``provider``, built on first use."""
        if self._provider is None:
            self._provider = build_provider(self.module.params["provider"], self.module.params)
        return self._provider

    def use_provider(self, provider: t.Any) -> None:
        """The provider the task's counters and warnings come from, when the task built its own
        (invocation_wait's ``waits``: the group of every item's provider)."""
        self._provider = provider

    def close(self) -> None:
        """Close the provider's connections (the in-process path, when the task ended)."""
        if self._provider is not None:
            self._provider.close()

    def api_calls(self) -> int:
        return self._provider.api_calls if self._provider is not None else 0

    def api_retries(self) -> int:
        return self._provider.retries if self._provider is not None else 0

    def _warn_from_provider(self, result: dict[str, t.Any] | None = None) -> None:
        """The provider's warnings (a plain-HTTP endpoint allowed on purpose) and the wait's (a delay
        past the timeout, ``wait_warnings`` in the result) as task warnings."""
        for warning in self._provider.warnings if self._provider is not None else ():
            self.module.warn(warning)
        for warning in (result or {}).get("wait_warnings") or ():
            self.module.warn(warning)

    def _shape_output(self, result: dict[str, t.Any], failed: bool = False) -> None:
        """The result as returned, on every way out (success, verdict, error), so a wait that ends
        early or on an error is shaped too: the fetch of complete output, output_dir and
        output_limit, then which records come back and without the vendor's payload unless asked
        for (_result_shape: the conditions judged the whole records before; every record is written
        to the records file when some are left out)."""
        records = result.get("invocations")
        if not isinstance(records, list):
            return
        if self.module.params.get("fetch_complete_output") and self._provider is not None and records:
            # After the targets ended and the verdict was drawn: the fetch only completes what is returned.
            calls, retries = self._provider.api_calls, self._provider.retries
            self._provider.fetch_complete_output(records)
            # A wait's result counted its calls already; the fetch's S3 calls are added to them.
            for key, before, now in (("api_calls", calls, self._provider.api_calls), ("api_retries", retries, self._provider.retries)):
                if key in result:
                    result[key] += now - before
        # Files on the controller hide what the result hides (exit_json masks the result itself).
        secrets = self.module.no_log_values
        if self.output.active:
            shape_output(records, self.output, secrets)
        troubled = sum(1 for record in records if record.get("output_warnings"))
        if troubled:
            self.module.warn(f"{troubled} of the records have output_warnings: their output is in the result, but not all of it was saved or fetched")
        params = dict(self.module.params, output_dir=self.output.directory)
        for warning in shape_result(result, params, failed=failed, secrets=secrets):
            self.module.warn(warning)

    def fail(self, error: InvocationError, **result: t.Any) -> t.NoReturn:
        """Fail with the error's message and vendor facts, keeping everything seen so far."""
        self._shape_output(result, failed=True)
        self._warn_from_provider(result)
        result.setdefault("changed", False)
        result.setdefault("api_calls", self.api_calls())
        result.setdefault("api_retries", self.api_retries())
        result.setdefault("elapsed", round(time.monotonic() - self.started, 3))
        result.update(error.as_result())
        if isinstance(error, MissingDependency):
            self.module.fail_json(msg=missing_required_lib(error.library), exception=error.import_traceback, **result)
        self.module.fail_json(msg=error.describe(), **result)

    def fail_json(self, **result: t.Any) -> t.NoReturn:
        """A verdict the module decides itself (not a typed error), with the provider's warnings."""
        self._shape_output(result, failed=True)
        self._warn_from_provider(result)
        self.module.fail_json(**result)

    def exit(self, **result: t.Any) -> t.NoReturn:
        self._shape_output(result)
        self._warn_from_provider(result)
        result.setdefault("changed", False)
        result.setdefault("api_calls", self.api_calls())
        result.setdefault("api_retries", self.api_retries())
        self.module.exit_json(**result)
