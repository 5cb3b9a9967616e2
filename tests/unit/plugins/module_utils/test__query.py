# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JMESPath over plain copies: tagged values from ansible-core 2.19 must work with every function."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._query import compile_expression, matches, search, to_plain


class TaggedStr(str):
    """Stands in for a tagged string on ansible-core versions without data tagging."""


class TaggedDict(dict):
    pass


def test_to_plain_gives_exact_builtin_types():
    value = TaggedDict(a=TaggedStr("x"), b=[TaggedStr("y"), 1, 2.5, True, None], c=(1, 2))
    plain = to_plain(value)
    assert plain == {"a": "x", "b": ["y", 1, 2.5, True, None], "c": [1, 2]}
    assert plain.__class__ is dict and plain["a"].__class__ is str and plain["b"][0].__class__ is str
    assert plain["b"][3].__class__ is bool


class StickyStr(str):
    """Like ansible-core 2.17's AnsibleUnsafeText: encode/decode and + keep the subclass."""

    def encode(self, *args, **kwargs):
        return StickyBytes(str.encode(self, *args, **kwargs))

    def __add__(self, other):
        return StickyStr(str.__add__(self, other))


class StickyBytes(bytes):
    def decode(self, *args, **kwargs):
        return StickyStr(bytes.decode(self, *args, **kwargs))


def test_to_plain_strips_a_subclass_that_survives_str_and_decode():
    # Found on 2.17: the lookup's endpoint_url reached requests as AnsibleUnsafeText, which refuses
    # it in the Host header ("must be of type str or bytes").
    plain = to_plain({"endpoint_url": StickyStr("https://127.0.0.1:8443")})
    assert plain == {"endpoint_url": "https://127.0.0.1:8443"}
    assert plain["endpoint_url"].__class__ is str


def test_starts_with_works_on_subclassed_strings_through_search():
    data = {"invocations": [{"instance_id": TaggedStr("i-0abc"), "status": TaggedStr("failed")}, {"instance_id": "i-0def", "status": "success"}]}
    compiled = compile_expression("invocations[?starts_with(instance_id, 'i-0a')].status", "query")
    assert search(compiled, data) == ["failed"]


def test_matches_uses_jmespath_truthiness():
    assert matches(compile_expression("a", "q"), {"a": "x"})
    for falsy in (None, False, "", [], {}):
        assert not matches(compile_expression("a", "q"), {"a": falsy})


def test_bad_expression_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        compile_expression("invocations[?", "query")
    assert "query is not a valid JMESPath expression" in caught.value.message


def test_empty_expression_is_invalid_input():
    with pytest.raises(InvalidInput):
        compile_expression("  ", "query")
