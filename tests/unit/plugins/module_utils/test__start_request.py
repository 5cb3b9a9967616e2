# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The start checks every vendor's request builder shares: one message whichever vendor asks."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import (
    alibaba_ecs_requests,
    aws_ssm_requests,
    zenlayer_zos_requests,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._start_request import (
    checked_instance_ids,
    one_kind_of_target,
    refuse_over,
    script_text,
    whole_seconds,
)

AWS = ["i-0123456789abcdef0", "i-0123456789abcdef1"]
ALIBABA = ["i-bp1aaaaaaaaaaaaaaaaa", "i-bp1bbbbbbbbbbbbbbbbb"]
ZOS = ["ins-1a2b3c4d", "ins-5e6f7a8b"]


def message(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as raised:
        call(*args, **kwargs)
    return str(raised.value)


@pytest.mark.parametrize("options", [{}, {"instance_ids": [], "targets": []}, {"instance_ids": ["a"], "targets": [{"key": "tag:a"}]}])
def test_exactly_one_kind_of_target(options):
    assert message(one_kind_of_target, options) == "set exactly one of instance_ids or targets to say where the command runs"


def test_one_kind_of_target_returns_both_lists():
    assert one_kind_of_target({"instance_ids": ["a"], "targets": None}) == (["a"], [])
    assert one_kind_of_target({"targets": [{"key": "tag:a"}]}) == ([], [{"key": "tag:a"}])


def test_refuse_over_says_how_to_do_more_only_when_there_is_a_way():
    refuse_over("SendCommand", "targets", [1] * 5, 5)
    assert message(refuse_over, "SendCommand", "targets", [1] * 6, 5) == "SendCommand takes at most 5 targets (6 given)"
    assert message(refuse_over, "X", "instance_ids", [1] * 3, 2, "split them") == "X takes at most 2 instance_ids (3 given); split them"


def test_checked_instance_ids_names_each_repeated_id_once_sorted_and_validates_the_rest():
    def validate(instance_id):
        if instance_id == "bad":
            raise InvalidInput("bad id")
        return instance_id

    repeated = message(checked_instance_ids, ["b", "a", "b", "a", "b", "c"], action="X", most=9, how_to_do_more="", validate=validate)
    assert repeated == "instance_ids lists a, b more than once: list each instance once"
    assert message(checked_instance_ids, ["a", "bad"], action="X", most=9, how_to_do_more="", validate=validate) == "bad id"
    assert checked_instance_ids(["a", "b"], action="X", most=2, how_to_do_more="", validate=validate) == ["a", "b"]


@pytest.mark.parametrize(
    "build, options",
    [
        pytest.param(aws_ssm_requests.build_send_request, {"commands": ["true"], "instance_ids": AWS + AWS[:1]}, id="aws_ssm"),
        pytest.param(alibaba_ecs_requests.build_run_command, {"commands": ["true"], "region": "cn-hangzhou", "instance_ids": ALIBABA + ALIBABA[:1]},
                     id="alibaba_ecs"),
        pytest.param(zenlayer_zos_requests.build_run_requests, {"commands": ["true"], "instance_ids": ZOS + ZOS[:1]}, id="zenlayer_zos"),
    ],
)
def test_every_vendor_refuses_a_repeated_instance_with_the_same_words(build, options):
    assert message(build, options) == f"instance_ids lists {options['instance_ids'][0]} more than once: list each instance once"


@pytest.mark.parametrize("commands", [None, [], [""], ["  ", ""], "   "])
def test_script_text_refuses_nothing_to_run(commands):
    assert message(script_text, {"commands": commands}, "RunCommand") == "RunCommand needs something to run: set commands (a list of script lines)"


def test_script_text_joins_the_lines():
    assert script_text({"commands": ["echo 1", 2]}, "X") == "echo 1\n2"
    assert script_text({"commands": "echo 1"}, "X") == "echo 1"


@pytest.mark.parametrize("value", [0, 61, True, 1.5, "30"])
def test_whole_seconds_refuses_what_is_not_a_whole_number_in_range(value):
    assert message(whole_seconds, "execution_timeout", value, 1, 60, "a minute") == (
        f"execution_timeout must be a whole number of seconds from 1 to 60 (a minute), got {value!r}"
    )


def test_whole_seconds_keeps_a_value_in_range_and_none():
    assert [whole_seconds("t", value, 1, 60, "a minute") for value in (1, 60, None)] == [1, 60, None]
