# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each shared argument spec and its doc fragment say the same thing, both ways."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.multicloud.invocations.plugins.doc_fragments import common, output, wait, window
from ansible_collections.multicloud.invocations.plugins.module_utils._common import (
    merged, output_argument_spec, provider_argument_spec, wait_argument_spec, window_argument_spec,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import AlibabaEcsProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos import ZenlayerZosProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._registry import PROVIDER_NAMES, adapter_class, build_provider

PAIRS = [
    pytest.param(common.ModuleDocFragment.DOCUMENTATION, provider_argument_spec, id="common-provider_argument_spec"),
    pytest.param(wait.ModuleDocFragment.DOCUMENTATION, wait_argument_spec, id="wait-wait_argument_spec"),
    pytest.param((output.ModuleDocFragment.DOCUMENTATION, output.ModuleDocFragment.INCLUDE_OUTPUT), output_argument_spec, id="output-output_argument_spec"),
    pytest.param((window.ModuleDocFragment.DOCUMENTATION, window.ModuleDocFragment.CHOICE), window_argument_spec, id="window-window_argument_spec"),
]


def fragment_options(documentation: str | tuple[str, ...]) -> dict:
    """The options of one fragment text, or of several a module extends together."""
    options = {}
    for text in (documentation,) if isinstance(documentation, str) else documentation:
        options.update(yaml.safe_load(text)["options"])
    return options


def documented(option: dict) -> dict:
    return {
        "type": option.get("type", "str"),
        "default": option.get("default"),
        "choices": option.get("choices"),
        "aliases": sorted(option.get("aliases") or []),
        "elements": option.get("elements"),
        "required": option.get("required", False),
    }


def specified(option: dict) -> dict:
    return {
        "type": option.get("type", "str"),
        "default": option.get("default"),
        "choices": list(option["choices"]) if option.get("choices") is not None else None,
        "aliases": sorted(option.get("aliases") or []),
        "elements": option.get("elements"),
        "required": option.get("required", False),
    }


@pytest.mark.parametrize("documentation, spec_function", PAIRS)
def test_fragment_and_spec_have_the_same_options(documentation, spec_function):
    options = fragment_options(documentation)
    spec = spec_function()
    assert sorted(options) == sorted(spec)


@pytest.mark.parametrize("documentation, spec_function", PAIRS)
def test_fragment_and_spec_agree_on_every_option(documentation, spec_function):
    options = fragment_options(documentation)
    spec = spec_function()
    for name in sorted(set(options) | set(spec)):
        assert name in options, f"{name} is in the spec but not documented"
        assert name in spec, f"{name} is documented but not in the spec"
        assert documented(options[name]) == specified(spec[name]), name
        assert options[name].get("description"), f"{name} has no description"


def test_secrets_are_not_logged():
    spec = provider_argument_spec()
    assert spec["secret_key"]["no_log"] is True
    assert spec["session_token"]["no_log"] is True


def test_merged_later_specs_win():
    assert merged({"a": {"type": "str"}, "b": {"type": "int"}}, {"b": {"type": "float"}}) == {"a": {"type": "str"}, "b": {"type": "float"}}


def test_provider_choices_follow_the_registry():
    assert provider_argument_spec()["provider"]["choices"] == list(PROVIDER_NAMES)
    assert PROVIDER_NAMES == ("aws_ssm", "alibaba_ecs", "zenlayer_zos")
    assert adapter_class("aws_ssm") is AwsSsmProvider
    assert adapter_class("alibaba_ecs") is AlibabaEcsProvider
    assert adapter_class("zenlayer_zos") is ZenlayerZosProvider
    assert all(adapter_class(name).name == name for name in PROVIDER_NAMES)


def test_a_module_start_imports_no_provider_until_one_is_built():
    """The module wrapper and the registry load no vendor SDK: a task pays only for its own provider."""
    probe = (
        "import sys\n"
        "from ansible_collections.multicloud.invocations.plugins.module_utils import _module, _registry\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'requests') or '._providers.' in m)\n"
        "assert not loaded, loaded\n"
        "_registry.adapter_class('zenlayer_zos')\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
        "assert '_providers.zenlayer_zos' in ' '.join(sys.modules)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_build_provider():
    provider = build_provider("aws_ssm", {"region": "us-east-1"})
    assert isinstance(provider, AwsSsmProvider)
    assert provider.api_calls == 0


def test_build_unknown_provider():
    with pytest.raises(InvalidInput, match="unknown provider 'gcp': choose one of aws_ssm, alibaba_ecs, zenlayer_zos"):
        build_provider("gcp", {})
