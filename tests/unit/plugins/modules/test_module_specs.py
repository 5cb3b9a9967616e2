# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's EXAMPLES pass its real argument spec, and its documentation matches that spec."""

from __future__ import annotations

import importlib
import pathlib

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.multicloud.invocations.plugins.module_utils._common import merged, provider_argument_spec, wait_argument_spec

COLLECTION = "multicloud.invocations"
PACKAGE = "ansible_collections.multicloud.invocations.plugins"
MODULES_DIR = pathlib.Path(importlib.import_module(f"{PACKAGE}.modules").__path__[0])
MODULE_NAMES = sorted(path.stem for path in MODULES_DIR.glob("*.py") if not path.name.startswith("_"))
WAITING_MODULES = {"invocation_wait", "invocation_run"}


class _Captured(Exception):
    pass


def capture_spec(monkeypatch, name: str) -> tuple[dict, dict]:
    """(full argument spec, validator keyword arguments) exactly as main() builds them."""
    module = importlib.import_module(f"{PACKAGE}.modules.{name}")
    seen = {}

    class Capture:
        def __init__(self, argument_spec, **kwargs):
            seen["spec"] = argument_spec
            seen["kwargs"] = kwargs
            raise _Captured()

    monkeypatch.setattr(module, "MultiCloudModule", Capture)
    with pytest.raises(_Captured):
        module.main()
    # MultiCloudModule merges the provider options under the module's own.
    spec = merged(provider_argument_spec(), seen["spec"])
    # supports_check_mode is AnsibleModule's, starts is MultiCloudModule's own: neither is the validator's.
    kwargs = {key: value for key, value in seen["kwargs"].items() if key not in ("supports_check_mode", "starts")}
    return spec, kwargs


def example_tasks(name: str) -> list[dict]:
    module = importlib.import_module(f"{PACKAGE}.modules.{name}")
    tasks = yaml.safe_load(module.EXAMPLES)
    fqcn = f"{COLLECTION}.{name}"
    return [task[fqcn] for task in tasks if fqcn in task]


def test_every_module_is_covered():
    assert MODULE_NAMES == ["agent_info", "invocation_info", "invocation_run", "invocation_wait"]


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_examples_pass_the_argument_spec(monkeypatch, name):
    spec, kwargs = capture_spec(monkeypatch, name)
    if name in WAITING_MODULES:
        assert set(wait_argument_spec()) <= set(spec)
    tasks = example_tasks(name)
    assert tasks, f"{name} has no example task for its FQCN"
    validator = ArgumentSpecValidator(spec, **kwargs)
    for index, arguments in enumerate(tasks):
        result = validator.validate(dict(arguments))
        assert not result.error_messages, f"example {index} of {name}: {result.error_messages}"
        assert not result.unsupported_parameters


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_the_validator_catches_a_bad_example(monkeypatch, name):
    # The check above is only worth something if a wrong option would fail it.
    spec, kwargs = capture_spec(monkeypatch, name)
    arguments = dict(example_tasks(name)[0], no_such_option=1)
    assert ArgumentSpecValidator(spec, **kwargs).validate(arguments).error_messages


def fragment_options(reference: str) -> dict:
    """The options of a doc fragment named like 'multicloud.invocations.common' or '...attributes.INFO_MODULE'."""
    parts = reference.split(".")[2:]
    fragment = importlib.import_module(f"{PACKAGE}.doc_fragments.{parts[0]}").ModuleDocFragment
    # Ansible reads a named section in upper case, however the reference spells it.
    text = getattr(fragment, parts[1].upper() if len(parts) > 1 else "DOCUMENTATION")
    return yaml.safe_load(text).get("options") or {}


def documented_options(name: str) -> dict:
    module = importlib.import_module(f"{PACKAGE}.modules.{name}")
    documentation = yaml.safe_load(module.DOCUMENTATION)
    options = {}
    for reference in documentation.get("extends_documentation_fragment") or []:
        options.update(fragment_options(reference))
    options.update(documentation.get("options") or {})
    return options


def shape(option: dict, sub_key: str) -> dict:
    subs = option.get(sub_key)
    return {
        "type": option.get("type", "str"),
        "default": option.get("default"),
        "choices": list(option["choices"]) if option.get("choices") is not None else None,
        "aliases": sorted(option.get("aliases") or []),
        "elements": option.get("elements"),
        "required": option.get("required", False),
        "sub": {key: shape(value, sub_key) for key, value in subs.items()} if subs else None,
    }


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_documentation_matches_the_argument_spec(monkeypatch, name):
    spec, dummy = capture_spec(monkeypatch, name)
    docs = documented_options(name)
    assert sorted(docs) == sorted(spec)
    for option in spec:
        assert shape(docs[option], "suboptions") == shape(spec[option], "options"), option
