# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""invocation_info and the lookup read an id that is not visible yet again within not_found_grace."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied, NotFound
from ansible_collections.multicloud.invocations.plugins.module_utils._info_task import read_invocations, read_raw
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record


class ScriptedProvider:
    """read() and read_raw() give the scripted answers in turn (an exception is raised)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def _next(self):
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def read(self, _params):
        return self._next()

    def read_raw(self, _params):
        return self._next()


SEEN = ([make_record("aws_ssm", "success", instance_id="i-0123456789abcdef0", command_id="c1")], 1, {})


def test_without_a_grace_an_unknown_id_fails_at_once(fake_clock):
    provider = ScriptedProvider(NotFound("command c1 does not exist"), SEEN)
    with pytest.raises(NotFound) as caught:
        read_invocations(provider, {"command_id": "c1", "not_found_grace": 0}, **fake_clock.hooks())
    assert caught.value.message == "command c1 does not exist"
    assert provider.calls == 1 and fake_clock.sleeps == []


def test_an_id_not_visible_yet_is_read_again_within_the_grace(fake_clock):
    provider = ScriptedProvider(NotFound("command c1 does not exist"), NotFound("command c1 does not exist"), SEEN)
    result = read_invocations(provider, {"command_id": "c1", "not_found_grace": 30}, **fake_clock.hooks())
    assert [record["status"] for record in result["invocations"]] == ["success"]
    assert provider.calls == 3 and fake_clock.sleeps == [0.5, 1.0]


def test_a_command_with_targets_but_no_invocation_yet_is_not_visible_yet(fake_clock):
    # SSM lists a command a moment before its invocations: TargetCount 2, CommandInvocations [].
    provider = ScriptedProvider(([], 2, {}), SEEN)
    result = read_invocations(provider, {"command_id": "c1", "not_found_grace": 30}, **fake_clock.hooks())
    assert len(result["invocations"]) == 1 and provider.calls == 2


def test_the_grace_ends_with_never_visible(fake_clock):
    provider = ScriptedProvider(([], 2, {}))
    with pytest.raises(NotFound) as caught:
        read_invocations(provider, {"command_id": "c1", "not_found_grace": 3}, **fake_clock.hooks())
    assert caught.value.message.startswith("none of the 2 invocations of c1 is visible yet; it never became visible within 3s")
    assert fake_clock.elapsed == pytest.approx(3.0)


def test_an_instance_without_invocations_is_an_empty_answer_not_a_wait(fake_clock):
    provider = ScriptedProvider(([], 0, {}))
    result = read_invocations(provider, {"instance_id": "i-0123456789abcdef0", "not_found_grace": 30}, **fake_clock.hooks())
    assert result["invocations"] == [] and provider.calls == 1


def test_raw_reads_are_read_again_too_and_access_denied_is_not(fake_clock):
    provider = ScriptedProvider(NotFound("InvocationDoesNotExist"), {"Status": "Success"})
    assert read_raw(provider, {"command_id": "c1", "not_found_grace": 30}, **fake_clock.hooks()) == {"Status": "Success"}
    refused = ScriptedProvider(AccessDenied("bad key"))
    with pytest.raises(AccessDenied):
        read_raw(refused, {"command_id": "c1", "not_found_grace": 30}, **fake_clock.hooks())
    assert refused.calls == 1
