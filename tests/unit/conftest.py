# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the unit tests: a fake clock, record factories and a module runner."""

from __future__ import annotations

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record

try:
    # ansible-core 2.19 and later.
    from ansible.module_utils.testing import patch_module_args as _patch_module_args
except ImportError:  # pragma: no cover - ansible-core 2.17 and 2.18
    _patch_module_args = None


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds

    @property
    def elapsed(self) -> float:
        return self.now - self.start

    def hooks(self, rand=lambda: 0.5) -> dict:
        """Keyword arguments for wait_for (rand 0.5 means no jitter)."""
        return {"clock": self.clock, "sleep": self.sleep, "rand": rand}


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


def _record(status: str, instance_id: str = "i-0123456789abcdef0", **fields):
    fields.setdefault("command_id", "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10")
    return make_record("aws_ssm", status, instance_id=instance_id, **fields)


@pytest.fixture
def rec():
    """rec(status, instance_id=..., **fields): a normalised record."""
    return _record


@pytest.fixture
def recs():
    """recs("success", "failed", ...): one record per status, each on its own instance."""

    def factory(*statuses: str):
        return [_record(status, f"i-{index:017x}") for index, status in enumerate(statuses)]

    return factory


@contextlib.contextmanager
def module_args(args: dict):
    """Expose module arguments to AnsibleModule, on every supported ansible-core."""
    if _patch_module_args is not None:
        with _patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


@pytest.fixture
def run_module(capsys):
    """run_module(module, args) -> the module's result dict (``failed`` set when it failed)."""

    def runner(module, args: dict) -> dict:
        capsys.readouterr()
        with module_args(args):
            with pytest.raises(SystemExit) as caught:
                module.main()
        result = json.loads(capsys.readouterr().out)
        assert bool(caught.value.code) == bool(result.get("failed")), result
        return result

    return runner
