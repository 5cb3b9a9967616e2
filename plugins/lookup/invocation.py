# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: invocation
short_description: Read run-command invocations and query them with JMESPath
version_added: 1.0.0
description:
  - Reads invocations with the same selectors as M(multicloud.invocations.invocation_info) and returns
    C({invocations, summary}), or, with O(raw=true), the vendor's own response (every page joined).
  - Reads the task invocations of an SSM Maintenance Window execution (O(window_id) or
    O(window_execution_id)) as M(multicloud.invocations.invocation_info) does, one record per task invocation.
    The maintenance window options were added in version 1.1.0.
  - O(query) applies a JMESPath expression to that data, as the AWS CLI's C(--query) does.
  - Values are copied to plain Python types before JMESPath sees them, so C(starts_with), C(contains) and C(sort_by)
    work on templated strings under ansible-core 2.19 data tagging.
  - Runs on the controller, in the template engine, so it does not read C(module_defaults). Give the connection
    options (O(region), O(endpoint_url), credentials) in the call, or through the vendor's environment variables
    listed with each option.
author:
  - Multicloud Invocations maintainers (@multicloud-invocations)
options:
  command_id:
    description:
      - The command whose invocations to read.
    type: str
  invocation_id:
    description:
      - The run to read, for providers that identify a run by its own id (V(aws_ssm) uses O(command_id)).
    type: str
  instance_id:
    description:
      - The instance whose invocations to read; with O(command_id), only that one.
    type: str
  plugin_name:
    description:
      - The step name of a multi-step document, with O(command_id) and O(instance_id).
    type: str
  statuses:
    description:
      - Keep only invocations whose normalised status is one of these (not with O(raw=true)).
    type: list
    elements: str
  max_results:
    description:
      - How many invocations to read at most when querying by O(instance_id) alone.
    type: int
    default: 50
  query:
    description:
      - A JMESPath expression over the result, for example V(invocations[?status=='failed'].instance_id).
      - Without it, the whole result is returned.
    type: str
  include_vendor_payload:
    description:
      - Keep the vendor's payload of each record (C(raw)) in C(invocations), as the modules' option of that name does.
        By default records are compact, without it.
      - Not with O(raw=true), which returns the vendor's response itself instead of records.
    type: bool
    default: false
  raw:
    description:
      - Query the vendor's own response (for SSM, C(CommandInvocations) or the C(GetCommandInvocation) fields)
        instead of the normalised C(invocations) and C(summary).
      - For a maintenance window, C(WindowExecution) (the C(GetMaintenanceWindowExecution) fields, or the chosen item of
        C(DescribeMaintenanceWindowExecutions)), C(WindowExecutionTaskIdentities) and
        C(WindowExecutionTaskInvocationIdentities) (every page of every task). O(include_command_details) has no
        effect then, since the result holds the window service's own responses only.
    type: bool
    default: false
extends_documentation_fragment:
  - multicloud.invocations.common.plugins
  - multicloud.invocations.common.read_grace
  - multicloud.invocations.output.include_output
  - multicloud.invocations.window
  - multicloud.invocations.window.choice
seealso:
  - module: multicloud.invocations.invocation_info
"""

EXAMPLES = r"""
- name: The instances where the command failed
  vars:
    failed_query: "invocations[?status=='failed'].instance_id"
  ansible.builtin.debug:
    msg: "{{ lookup('multicloud.invocations.invocation', command_id=cid, region='eu-west-1', query=failed_query) }}"

- name: The vendor's detail status of each record, from the vendor's payload the records keep when asked
  ansible.builtin.debug:
    msg: "{{ lookup('multicloud.invocations.invocation', command_id=cid, include_vendor_payload=true, region='eu-west-1',
                    query='invocations[].{id: instance_id, details: raw.StatusDetails}') }}"

- name: Exit codes by instance, from the vendor's own response
  ansible.builtin.debug:
    msg: "{{ lookup('multicloud.invocations.invocation', command_id=cid, raw=true, region='eu-west-1',
                    query='CommandInvocations[].{id: InstanceId, code: CommandPlugins[0].ResponseCode}') }}"

# The aggregate is success only when every target the command announced is visible and succeeded:
# a failed count of 0 alone would pass while targets are still missing (summary.counts.not_visible).
- name: Gate on the command
  ansible.builtin.assert:
    that: lookup('multicloud.invocations.invocation', command_id=cid, region='eu-west-1', query='summary.aggregate') == 'success'

- name: The targets where the last run of a maintenance window failed
  ansible.builtin.debug:
    msg: "{{ lookup('multicloud.invocations.invocation', window_id='mw-0c50858d01e5f0a1b', statuses=['failed', 'timed_out'],
                    region='eu-west-1', query='invocations[].instance_id') }}"

- name: The task invocations of one window execution, as the window service returns them
  ansible.builtin.debug:
    msg: "{{ lookup('multicloud.invocations.invocation', window_execution_id='14bea65d-5ccc-462d-a2f3-e99c8e0a1b2c', raw=true,
                    region='eu-west-1', query='WindowExecutionTaskInvocationIdentities[].{id: InvocationId, status: Status}') }}"
"""

RETURN = r"""
_raw:
  description:
    - Without O(query), the result - C({invocations, summary}), its records compact (without C(raw)) unless
      O(include_vendor_payload=true), or the vendor's response with O(raw=true).
    - With O(query), what the expression selects (a list, a dict, a string, a number or null).
  type: raw
"""

from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import refuse_unsupported
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError, MissingDependency
from ansible_collections.multicloud.invocations.plugins.module_utils._info_task import read_invocations, read_raw
from ansible_collections.multicloud.invocations.plugins.module_utils._query import compile_expression, evaluate, to_plain
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import PROVIDER_NAMES, build_provider
from ansible_collections.multicloud.invocations.plugins.module_utils._result_shape import INCLUDE_VENDOR_PAYLOAD, shape_records
from ansible_collections.multicloud.invocations.plugins.module_utils._statuses import FILTERABLE_STATUSES

OPTIONS = (
    "provider",
    "access_key",
    "secret_key",
    "session_token",
    "profile",
    "region",
    "endpoint_url",
    "ca_bundle",
    "validate_certs",
    "allow_plain_http",
    "aws_config",
    "signature_version",
    "request_timeout",
    "token",
    "command_id",
    "invocation_id",
    "instance_id",
    "plugin_name",
    "statuses",
    "include_output",
    "window_id",
    "window_execution_id",
    "window_task_id",
    "executed_after",
    "executed_before",
    "include_command_details",
    "max_results",
    "not_found_grace",
    "query",
    "include_vendor_payload",
    "raw",
)


# Aliases of the credential options (doc fragment common.plugins), to tell a keyword from the environment.
ALIASES = {
    "access_key": ("aws_access_key_id", "aws_access_key", "ec2_access_key", "access_key_id", "alicloud_access_key"),
    "secret_key": ("aws_secret_access_key", "aws_secret_key", "ec2_secret_key", "access_key_secret", "alicloud_secret_key", "access_key_password"),
    "session_token": ("aws_session_token", "security_token", "aws_security_token", "alicloud_security_token"),
    "profile": ("aws_profile",),
    "region": ("aws_region", "ec2_region"),
    "endpoint_url": ("aws_endpoint_url", "ec2_url"),
    "ca_bundle": ("aws_ca_bundle",),
}
CREDENTIAL_OPTIONS = ("access_key", "secret_key", "session_token", "token", "profile", "region", "endpoint_url", "ca_bundle")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError(
                "the invocation lookup takes no positional terms: give the selectors as keywords, "
                "for example lookup('multicloud.invocations.invocation', command_id=cid)"
            )
        if kwargs.get("provider") is not None and kwargs["provider"] not in PROVIDER_NAMES:
            # Said here, with the choices: Ansible's own message names neither them nor the option's use.
            raise AnsibleLookupError(f"invocation lookup: unknown provider {kwargs['provider']!r}: choose one of {', '.join(PROVIDER_NAMES)}")
        unknown_keywords = sorted(set(kwargs) - self._known_keywords())
        if unknown_keywords:
            # Ansible would drop them silently: a misspelt statuses= would read every invocation.
            raise AnsibleLookupError(
                f"invocation lookup: unknown keyword(s) {', '.join(unknown_keywords)}: "
                f"the lookup takes {', '.join(sorted(OPTIONS))} (and the aliases of the connection options)"
            )
        self.set_options(var_options=variables, direct=kwargs)
        options = {}
        for name in OPTIONS:
            value = self.get_option(name)
            if name in CREDENTIAL_OPTIONS and value is not None and not self._given(name, kwargs):
                # Environment variables are left to the provider, which reads only its own vendor's:
                # an AWS key in the environment must not be sent to Alibaba Cloud.
                origin = self.get_option_and_origin(name)[1]
                if str(origin).startswith("env"):
                    value = None
            options[name] = value
        # Plain copies: tagged values from templating must not reach the SDKs or jmespath.
        options = to_plain(options)
        unknown = sorted(set(options["statuses"] or ()) - set(FILTERABLE_STATUSES))
        if unknown:
            raise AnsibleLookupError(f"statuses has unknown values {unknown}: choose from {', '.join(FILTERABLE_STATUSES)}")
        if options["not_found_grace"] is not None and options["not_found_grace"] < 0:
            raise AnsibleLookupError(f"not_found_grace must be 0 or more seconds, got {options['not_found_grace']:g}")
        if options["raw"] and options["statuses"]:
            raise AnsibleLookupError("statuses filters normalised records; with raw=true, filter in the query instead")
        if options["raw"] and options["include_vendor_payload"]:
            raise AnsibleLookupError("include_vendor_payload keeps the vendor's payload in each record; raw=true returns the vendor's "
                                     "response instead of records: set one of them")
        try:
            # Compile first: a bad expression must fail before any API call.
            compiled = compile_expression(options["query"], "query") if options["query"] else None
            refuse_unsupported(options["provider"], options)
            provider = build_provider(options["provider"], options)
            if options["raw"]:
                data = read_raw(provider, options)
            else:
                data = read_invocations(provider, options)
                shape_records(data["invocations"], bool(options[INCLUDE_VENDOR_PAYLOAD]))
            result = evaluate(compiled, data, "query") if compiled is not None else data
            for warning in provider.warnings:
                Display().warning(f"invocation lookup: {warning}")
        except MissingDependency as error:
            raise AnsibleLookupError(f"the invocation lookup needs the Python library {error.library} on the controller") from error
        except InvocationError as error:
            # Not chained: describe() holds the vendor's code, message and request id, and Ansible
            # would append the causes' own messages (a signature error's canonical request, twice).
            raise AnsibleLookupError(f"invocation lookup: {error.describe()}") from None
        return [result]

    def _known_keywords(self) -> set:
        """The documented options and their aliases, from the plugin's own documentation."""
        known = set(OPTIONS)
        for aliases in ALIASES.values():
            known.update(aliases)
        definitions = C.config.get_configuration_definitions("lookup", self._load_name) or {}
        for name, definition in definitions.items():
            known.add(name)
            known.update((definition or {}).get("aliases") or ())
        return known

    @staticmethod
    def _given(name: str, kwargs: dict) -> bool:
        """Whether the caller passed the option (or one of its aliases) as a keyword."""
        return name in kwargs or any(alias in kwargs for alias in ALIASES.get(name, ()))
